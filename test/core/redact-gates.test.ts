// The cheaper redaction pre-check and the per-pattern gates in src/redact/text.ts must give exactly
// the output of the general routine: every pattern run on every record (redactSecretsUngated).
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { redactSecrets } from '../../src/sql/redact.js';
import { redactSecretsUngated } from '../../src/redact/text.js';

const oracle = redactSecretsUngated;

// Fragments that exercise every pattern, its gate words in mixed case, and the delimiters around them.
const WORDS = [
  'password',
  'PASSWORD',
  'PassWord',
  'passwd',
  'pwd',
  'PWD',
  'secret',
  'Secret',
  'client_secret',
  'secretAccessKey',
  'secret_access_key',
  'token',
  'Token',
  'TOKEN',
  'sessionToken',
  'access_token',
  'api_key',
  'apiKey',
  'APIKEY',
  'private_key',
  'privateKey',
  'identified',
  'IDENTIFIED',
  'IDENTIFIED BY',
  'IDENTIFIED WITH x BY',
  'SET PASSWORD',
  'SET PASSWORD FOR u =',
  'PASSWORD(',
  'MASTER_PASSWORD',
  'REPLACE',
  'CONNECTION',
  'sslpassword',
  'SSLKEY',
  '--password',
  '--db-token',
  'mysql -p',
  '/*c*/',
  'postgres://',
  'https://',
  '://',
  'arn:aws:secretsmanager:',
  ':secret:',
  'ſecret',
  'İdentified',
  'ToKen',
];
const PUNCT = [
  '"',
  "'",
  "\\'",
  '\\"',
  '""',
  "E'",
  '$$',
  '$t$',
  ':',
  '=',
  ' = ',
  ': ',
  '@',
  '/',
  '.',
  ',',
  ';',
  '(',
  ')',
  ' ',
  '\n',
  '_',
  '<REDACTED>',
  '***',
  '{',
  '}',
];
const fragment = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.constantFrom(...PUNCT),
  fc.constantFrom(...PUNCT),
  fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
);
const text = fc.array(fragment, { maxLength: 24 }).map((a) => a.join(''));

test('property: gated redaction equals the general routine on texts dense in trigger words', () => {
  fc.assert(
    fc.property(text, (t) => {
      expect(redactSecrets(t)).toBe(oracle(t));
    }),
    { numRuns: 20000 },
  );
});

test('property: gated redaction equals the general routine on JSON records with secret-named members', () => {
  const key = fc.constantFrom(
    'password',
    'sessionToken',
    'accessKeyId',
    'secretAccessKey',
    'token',
    'apiKey',
    'userName',
    'url',
    'message',
  );
  const value = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      'postgres://u:pw@h/db',
      "ALTER USER u IDENTIFIED BY 'x'",
      'token=abc',
      JSON.stringify({ password: 'p' }),
    ),
  );
  const rec = fc.dictionary(key, fc.oneof(value, fc.dictionary(key, value, { maxKeys: 3 })), { maxKeys: 5 });
  fc.assert(
    fc.property(rec, (r) => {
      const t = JSON.stringify(r);
      expect(redactSecrets(t)).toBe(oracle(t));
    }),
    { numRuns: 5000 },
  );
});

test('a CloudTrail session token is still redacted, and records without trigger words are returned as is', () => {
  const ct =
    '{"responseElements":{"credentials":{"accessKeyId":"ASIAX","sessionToken":"IQoJb3Jp","expiration":"x"}},"userAgent":"https://aws.amazon.com"}';
  expect(redactSecrets(ct)).toBe(ct.replace('IQoJb3Jp', '<REDACTED>'));
  const plain = '{"eventName":"GetObject","userAgent":"aws-cli/2 https://example.com:443/x"}';
  expect(redactSecrets(plain)).toBe(oracle(plain));
  expect(redactSecrets('x https://user:hunter2@host/y')).toBe('x https://user:<REDACTED>@host/y');
});
