import { expect, test } from 'vitest';
import fc from 'fast-check';
import { redactSecrets } from '../../src/sql/redact.js';

test.each([
  ["CREATE ROLE alice LOGIN PASSWORD 'Secr3t!'", "CREATE ROLE alice LOGIN PASSWORD '<REDACTED>'"],
  [
    "ALTER ROLE bob ENCRYPTED PASSWORD 'a''b' VALID UNTIL 'infinity'",
    "ALTER ROLE bob ENCRYPTED PASSWORD '<REDACTED>' VALID UNTIL 'infinity'",
  ],
  ["ALTER USER x PASSWORD E'abc'", "ALTER USER x PASSWORD E'<REDACTED>'"],
  [
    "'ALTER USER \\'u\\'@\\'%\\' IDENTIFIED BY \\'pw1\\''",
    "'ALTER USER \\'u\\'@\\'%\\' IDENTIFIED BY \\'<REDACTED>\\''",
  ],
  [
    "CREATE USER 'u'@'%' IDENTIFIED WITH mysql_native_password BY 'pw2'",
    "CREATE USER 'u'@'%' IDENTIFIED WITH mysql_native_password BY '<REDACTED>'",
  ],
  ["SET PASSWORD FOR 'u'@'%' = PASSWORD('pw3')", "SET PASSWORD FOR 'u'@'%' = PASSWORD('<REDACTED>')"],
  ["SET PASSWORD = 'pw4'", "SET PASSWORD = '<REDACTED>'"],
  ['{"query":"CREATE USER u IDENTIFIED BY \\"pw5\\""}', '{"query":"CREATE USER u IDENTIFIED BY \\"<REDACTED>\\""}'],
  ['postgres://app:hunter2@db:5432/x', 'postgres://app:<REDACTED>@db:5432/x'],
  ['host=x password=abc user=y', 'host=x password=<REDACTED> user=y'],
  ["alter role x password 'pw'; select 'keep me'", "alter role x password '<REDACTED>'; select 'keep me'"],
  ['CREATE ROLE user1 WITH LOGIN PASSWORD <REDACTED>', 'CREATE ROLE user1 WITH LOGIN PASSWORD <REDACTED>'],
  [
    "'CHANGE MASTER TO MASTER_USER=\\'repl\\', MASTER_PASSWORD=\\'pw6\\''",
    "'CHANGE MASTER TO MASTER_USER=\\'repl\\', MASTER_PASSWORD=<REDACTED>'",
  ],
  ["CHANGE REPLICATION SOURCE TO SOURCE_PASSWORD='pw7'", 'CHANGE REPLICATION SOURCE TO SOURCE_PASSWORD=<REDACTED>'],
  ['SELECT 1', 'SELECT 1'],
  ['{"password":"s3cr3t","user":"x"}', '{"password":"<REDACTED>","user":"x"}'],
  [
    '{"requestParameters": {"userName": "u", "password" : "HIDDEN"}}',
    '{"requestParameters": {"userName": "u", "password" : "<REDACTED>"}}',
  ],
  ['{"message":"{\\"password\\":\\"pw\\"}"}', '{"message":"{\\"password\\":\\"<REDACTED>\\"}"}'],
  ['{"passwordLastUsed": "2024-01-01"}', '{"passwordLastUsed": "2024-01-01"}'],
  ['ALTER USER u PASSWORD EXPIRE', 'ALTER USER u PASSWORD EXPIRE'],
  [
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf',
    'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf',
  ],
])('%s', (input, output) => {
  expect(redactSecrets(input)).toBe(output);
});

test('property: a password literal never survives, in any quoting the logs use', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9!#%&*+,.:;<>?@^_~ -]{4,20}$/).filter((s) => !s.includes('REDACTED'));
  fc.assert(
    fc.property(
      secret,
      fc.constantFrom(
        (p: string) => `CREATE ROLE r LOGIN PASSWORD '${p}'`,
        (p: string) => `ALTER USER 'u'@'h' IDENTIFIED BY '${p}'`,
        (p: string) => `'ALTER USER \\'u\\'@\\'h\\' IDENTIFIED BY \\'${p}\\''`,
        (p: string) => JSON.stringify({ sql: `SET PASSWORD FOR u = '${p}'` }),
        (p: string) => `"ALTER ROLE x PASSWORD '${p}'",<none>`,
        (p: string) => JSON.stringify({ requestParameters: { password: p, privateKey: p } }),
        (p: string) => JSON.stringify({ message: JSON.stringify({ password: p }) }),
      ),
      (p, make) => {
        expect(redactSecrets(make(p))).not.toContain(p);
      },
    ),
    { numRuns: 500 },
  );
});

test('a password literal cut off by a truncated record is redacted to the end of its line', () => {
  expect(redactSecrets(`AUDIT: SESSION,2,1,ROLE,CREATE ROLE,,,"CREATE ROLE y PASSWORD 'Sup3rSecret!`)).toBe(
    `AUDIT: SESSION,2,1,ROLE,CREATE ROLE,,,"CREATE ROLE y PASSWORD '<REDACTED>`,
  );
  expect(redactSecrets("ALTER USER u IDENTIFIED BY 'abc\nnext line")).toBe(
    "ALTER USER u IDENTIFIED BY '<REDACTED>\nnext line",
  );
  expect(redactSecrets("ALTER ROLE x PASSWORD 'a' VALID UNTIL '2025-01-01'")).toBe(
    "ALTER ROLE x PASSWORD '<REDACTED>' VALID UNTIL '2025-01-01'",
  );
  expect(redactSecrets('ALTER ROLE x PASSWORD <REDACTED>')).toBe('ALTER ROLE x PASSWORD <REDACTED>');
});
