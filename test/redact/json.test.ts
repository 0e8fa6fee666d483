// Redaction by value: member-name rules, the allow list, JSON in strings, the raw text rewritten
// only at secret values (valid JSON, stable), and a property test over random records.
import { describe, expect, it, afterEach } from 'vitest';
import fc from 'fast-check';
import { redactJsonRecord, redactJsonValue, scanText } from '../../src/redact/json.js';
import { isSecretName, makePolicy, setPolicy, REDACTED } from '../../src/redact/policy.js';
import { rawRecord } from '../../src/pipeline/record.js';
import { sha256Hex } from '../../src/event/hash.js';

afterEach(() => setPolicy(null));

describe('member names', () => {
  it.each([
    'password',
    'masterUserPassword',
    'MasterUserPassword',
    'oldPassword',
    'newPassword',
    'SecretString',
    'PASSWORD',
    'Password',
    'DB_PASSWORD',
    'AWS_SECRET_ACCESS_KEY',
    'aws_secret_access_key',
    'SecretAccessKey',
    'authToken',
    'privateKeyData',
    'rootPassword',
    'secretData',
    'sessionToken',
    'x-amz-security-token',
    'Authorization',
    'api-key',
    'client_secret',
    'connectionString',
    'dsn',
    'pw',
    'sslpassword',
    'credentials',
    'tokenValue',
  ])('%s is a secret', (n) => expect(isSecretName(n)).toBe(true));
  it.each([
    'passwordLastUsed',
    'tokenType',
    'accessKeyId',
    'secretId',
    'secretArn',
    'clientToken',
    'nextToken',
    'userName',
    'keyId',
    'authenticationInfo',
    'authorizationInfo',
    'passwordResetRequired',
    'key',
    'bucketName',
    'CredentialChallenge',
    'password_encryption',
  ])('%s is not', (n) => expect(isSecretName(n)).toBe(false));
  it('extra names and patterns from the config', () => {
    expect(isSecretName('pin')).toBe(false);
    setPolicy(makePolicy({ extra_names: ['PIN', 'recovery-code'], extra_patterns: ['^otp'] }));
    expect(isSecretName('pin')).toBe(true);
    expect(isSecretName('RecoveryCode')).toBe(true);
    expect(isSecretName('otpSeed')).toBe(true);
    expect(() => makePolicy({ extra_patterns: ['('] })).toThrow(/not a valid regular expression/);
  });
});

describe('records', () => {
  const rec = (o: unknown, spacing?: number) => JSON.stringify(o, null, spacing);
  it('rewrites only the secret values; everything else keeps its bytes', () => {
    const text =
      '{"b":1.50,"n":12345678901234567890,"requestParameters":{"masterUserPassword":"hunter2","x":"\\u00e9"},"e":[1e3]}';
    const v = JSON.parse(text);
    const raw = redactJsonRecord(rawRecord(text, { file: 'f' }), v);
    expect(raw.text).toBe(
      '{"b":1.50,"n":12345678901234567890,"requestParameters":{"masterUserPassword":"<REDACTED>","x":"\\u00e9"},"e":[1e3]}',
    );
    expect(raw.sha256).toBe(sha256Hex(text));
    expect(raw.redactions).toBe(1);
    expect(v.requestParameters.masterUserPassword).toBe(REDACTED);
  });
  it('a record without secrets is the same object, marked as redacted with 0', () => {
    const text = rec({ userIdentity: { accessKeyId: 'AKIA' }, eventName: 'GetObject' });
    const r = rawRecord(text, { file: 'f' });
    expect(redactJsonRecord(r, JSON.parse(text))).toBe(r);
    expect(r.redactions).toBe(0);
  });
  it('JSON inside a string (LookupEvents CloudTrailEvent), containers under secret names, SSM SecureString', () => {
    const inner = {
      responseElements: {
        credentials: { accessKeyId: 'ASIA1', secretAccessKey: 'S1', sessionToken: 'T1', expiration: 'E' },
      },
    };
    const o = {
      CloudTrailEvent: JSON.stringify(inner),
      requestParameters: { name: '/p', type: 'SecureString', value: 'V1' },
    };
    const text = rec(o);
    const v = JSON.parse(text);
    const out = redactJsonRecord(rawRecord(text, { file: 'f' }), v).text;
    for (const s of ['S1', 'T1', 'V1']) expect(out).not.toContain(s);
    for (const s of ['ASIA1', '"E\\"', '/p']) expect(out).toContain(s);
    expect(JSON.parse(JSON.parse(out).CloudTrailEvent)).toEqual({
      responseElements: {
        credentials: { accessKeyId: 'ASIA1', secretAccessKey: REDACTED, sessionToken: REDACTED, expiration: 'E' },
      },
    });
  });
  it('regressions: free text next to \\" and a message ending in `password "` stay valid JSON', () => {
    const o = {
      requestParameters: { commands: ['echo "password=abc" > f'] },
      errorMessage: 'bad password "',
      next: 'kept',
    };
    const text = rec(o);
    const v = JSON.parse(text);
    const out = redactJsonRecord(rawRecord(text, { file: 'f' }), v).text;
    const back = JSON.parse(out);
    expect(back.requestParameters.commands[0]).toBe(`echo "password=${REDACTED}" > f`);
    expect(back.errorMessage).toBe('bad password "');
    expect(back.next).toBe('kept');
  });
  it('free text: PGPASSWORD=, --password value, mysql -p, URL credentials', () => {
    const o = {
      userData:
        'export PGPASSWORD=s3cr3t\npg_dump --password hunter22 -h db\nmysql -u root -pTopSecret1\npsql postgres://u:pw9@h/db',
    };
    const v = JSON.parse(rec(o));
    redactJsonValue(v);
    for (const s of ['s3cr3t', 'hunter22', 'TopSecret1', 'pw9']) expect(v.userData).not.toContain(s);
  });
});

// Random records with secrets at random depths under random spellings of secret names.
const SECRET_NAMES = fc.constantFrom(
  'password',
  'Password',
  'PASSWORD',
  'db_password',
  'dbPassword',
  'DB-PASSWORD',
  'masterUserPassword',
  'secretAccessKey',
  'AWS_SECRET_ACCESS_KEY',
  'sessionToken',
  'api_key',
  'ApiKey',
  'privateKeyData',
  'client.secret',
  'authToken',
  'Authorization',
);
const PLAIN_NAMES = fc.constantFrom(
  'userName',
  'eventName',
  'accessKeyId',
  'tokenType',
  'passwordLastUsed',
  'region',
  'x',
  'items',
  'count',
  'secretArn',
);
const SECRET = fc.stringMatching(/^[A-Za-z0-9]{6,12}$/).map((s) => `SEC${s}`);
const plain = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.stringMatching(/^[a-z ]{0,10}$/),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const tree: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, plain, fc.array(tie('node'), { maxLength: 3 }), tie('obj')),
  obj: fc
    .array(fc.oneof(fc.tuple(PLAIN_NAMES, tie('node')), fc.tuple(SECRET_NAMES, SECRET)), { maxLength: 4 })
    .map((pairs) => Object.fromEntries(pairs as Array<[string, unknown]>)),
})).obj;

/** The original with every secret-named member's string replaced (what redaction must give). */
function expected(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(expected);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, typeof x === 'string' && isSecretName(k) ? REDACTED : expected(x)]),
    );
  return v;
}

describe('property', () => {
  it('the redacted record is valid JSON, equal to the original but at secret values, stable, and holds no secret', () => {
    fc.assert(
      fc.property(tree, fc.constantFrom(undefined, 2), (o, sp) => {
        const text = JSON.stringify(o, null, sp);
        const v = JSON.parse(text);
        const raw = redactJsonRecord(rawRecord(text, { file: 'f' }), v);
        const back = JSON.parse(raw.text);
        expect(back).toEqual(expected(JSON.parse(text)));
        expect(v).toEqual(back);
        expect(redactJsonRecord(rawRecord(text, { file: 'f' }), JSON.parse(text)).text).toBe(raw.text);
        expect(raw.text).not.toMatch(/SEC[A-Za-z0-9]{6}/);
        expect(raw.sha256).toBe(sha256Hex(text));
        // Embedded in a string (a request body), the same.
        const outer = JSON.stringify({ body: text });
        const ov = JSON.parse(outer);
        const or = redactJsonRecord(rawRecord(outer, { file: 'f' }), ov);
        expect(JSON.parse(JSON.parse(or.text).body)).toEqual(expected(JSON.parse(text)));
      }),
      { numRuns: 1500 },
    );
  });
  it('the scanner given the walked value writes the same text as the scanner deciding every string again', () => {
    // Strings that free-text and SQL rules change, repeated members (JSON.parse keeps the last), SecureString.
    const leafText = fc.constantFrom(
      'export PGPASSWORD=hunter2',
      'plain words',
      "ALTER ROLE a PASSWORD 'x1'",
      'postgres://u:pw9@h/db',
      'arn:aws:kms:us-east-1:1:key/k',
      'SecureString',
      '{"password":"inner"}',
      'Bearer abcdefgh12345',
    );
    const member = fc.tuple(fc.oneof(PLAIN_NAMES, SECRET_NAMES, fc.constantFrom('type', 'value', 'cmd')), leafText);
    const text = fc
      .array(fc.oneof(member, fc.tuple(PLAIN_NAMES, fc.array(member, { maxLength: 3 }))), { maxLength: 6 })
      .map((pairs) => {
        const body = (ps: Array<[string, unknown]>): string =>
          `{${ps.map(([k, x]) => `${JSON.stringify(k)}:${Array.isArray(x) ? body(x as Array<[string, unknown]>) : JSON.stringify(x)}`).join(',')}}`;
        return body(pairs as Array<[string, unknown]>);
      });
    fc.assert(
      fc.property(text, (t) => {
        const v = JSON.parse(t);
        redactJsonValue(v);
        expect(scanText(t, v)).toBe(scanText(t));
      }),
      { numRuns: 2000 },
    );
  });
  it('the scanner reads what JSON.parse reads', () => {
    fc.assert(
      fc.property(fc.json(), (t) => {
        expect(scanText(t)).not.toBeNull();
      }),
      { numRuns: 1000 },
    );
  });
});

describe('AWS unique ids are names, not secrets', () => {
  // Found on the bench's CloudTrail records: a role id whose random letters spell PWD made
  // 'AROA…:deploy-bot@example.com' (CloudTrail's principalId) read as NAME: secret, and the
  // session name, part of the user field, was redacted from the evidence.
  it.each(['AROAIXVL5YF4JKVPWD4DL', 'AROAK7B5PWD424EIQALDV', 'AIDAKEYTOKEN5EXAMPLE1', 'ASIAPASS7EXAMPLE2345'])(
    '%s is not a secret name',
    (id) => expect(isSecretName(id)).toBe(false),
  );
  it('a principalId keeps its session name in free text and in a record', async () => {
    const { redactFreeText } = await import('../../src/redact/text.js');
    expect(redactFreeText('AROAIXVL5YF4JKVPWD4DL:deploy-bot@example.com').count).toBe(0);
    const text = '{"userIdentity":{"principalId":"AROAIXVL5YF4JKVPWD4DL:deploy-bot@example.com"}}';
    const r = redactJsonRecord(rawRecord(text, { file: 't', line: 1 }));
    expect(r.text).toBe(text);
  });
  it('secret names that look a little like ids still are secrets', () => {
    for (const n of ['DB_PWD', 'AROA_PASSWORD', 'AWS_SECRET_ACCESS_KEY', 'PWD']) expect(isSecretName(n)).toBe(true);
  });
});
