// The cheaper redaction pre-check and the per-pattern gates in src/sql/redact.ts must give exactly
// the output of the general routine: every pattern run on every record that matches the old
// pre-check. The oracle below is that routine as it was before the gates (same patterns).
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { redactSecrets } from '../../src/sql/redact.js';

const REDACTED = '<REDACTED>';
const LITERAL = [
  String.raw`(\\')(?:(?!\\')[\s\S])*\\'`,
  String.raw`(\\")(?:(?!\\")[\s\S])*\\"`,
  String.raw`("")(?:(?!"")[\s\S])*""`,
  String.raw`(E?')(?:[^'\\]|''|\\[\s\S])*'`,
  String.raw`(")(?:[^"\\]|""|\\[\s\S])*"`,
  String.raw`(\$[A-Za-z_]*\$)[\s\S]*?\$[A-Za-z_]*\$`,
].join('|');
const literalAfter = (lead: string) => new RegExp(`(${lead})(?:${LITERAL})`, 'gi');
const ORACLE_PATTERNS: Array<{ re: RegExp; replace: (m: string, ...g: string[]) => string }> = [
  { re: literalAfter(String.raw`\b(?:PASSWORD(?:\s*=\s*|\s*\(\s*|\s+)(?:PASSWORD\s*\(\s*)?|IDENTIFIED\s+(?:WITH\s+[\w'"\\]+\s+)?(?:BY|AS)\s+(?:PASSWORD\s+)?|SET\s+PASSWORD\s+(?:FOR\s+\S+\s+)?=\s*(?:PASSWORD\s*\(\s*)?(?:OLD_PASSWORD\s*\(\s*)?)`),
    replace: (_m, lead, ...qs) => {
      const q = qs.slice(0, 6).find((x) => x !== undefined) ?? "'";
      return `${lead}${q}${REDACTED}${q.replace(/^E/, '')}`;
    } },
  { re: /(\b(?:PASSWORD(?:\s*=\s*|\s*\(\s*|\s+)|IDENTIFIED\s+BY\s*))(E?)(['"])(?![^\n]*\3)[^\n]*/gi, replace: (_m, lead, e, q) => `${lead}${e}${q}${REDACTED}` },
  { re: /("(?:password|passwd|pwd|secret|client_secret|secret_access_key|secretAccessKey|token|access_token|refresh_token|api_key|apiKey|private_key|privateKey|sessionToken)"\s*:\s*)"(?:[^"\\]|\\.)*"/g,
    replace: (_m, a) => `${a}"${REDACTED}"` },
  { re: /(\\"(?:password|passwd|pwd|secret|client_secret|token|access_token|api_key|private_key)\\"\s*:\s*)\\"(?:(?!\\")[\s\S])*\\"/g,
    replace: (_m, a) => `${a}\\"${REDACTED}\\"` },
  { re: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:)([^\s@'"]+)(@)/gi, replace: (_m, a, _s, c) => `${a}${REDACTED}${c}` },
  { re: /(?<![:/.])\b((?:[a-z0-9]+_)*(?:password|passwd|pwd|secret|secret_access_key|aws_secret_access_key|api_key|apikey|token|access_token)\s*[=:]\s*)(\\'(?:(?!\\')[^\n])*\\'|\\"(?:(?!\\")[^\n])*\\"|'[^']*'|"[^"]*"|[^\s,;'"&)]+)/gi,
    replace: (m, a, v) => (v === REDACTED || /^['"]?<REDACTED>/.test(v) || /^['"]?\*+['"]?$/.test(v) ? m : `${a}${REDACTED}`) },
];
const ORACLE_MAYBE = /passw|identified|pwd|secret|token|api_?key|private_?key|:\/\/[^\s/]*:/i;
function oracle(text: string): string {
  if (!ORACLE_MAYBE.test(text)) return text;
  let out = text;
  for (const p of ORACLE_PATTERNS) out = out.replace(p.re, p.replace as (m: string, ...g: string[]) => string);
  return out;
}

// Fragments that exercise every pattern, its gate words in mixed case, and the delimiters around them.
const WORDS = ['password', 'PASSWORD', 'PassWord', 'passwd', 'pwd', 'PWD', 'secret', 'Secret', 'client_secret', 'secretAccessKey',
  'secret_access_key', 'token', 'Token', 'TOKEN', 'sessionToken', 'access_token', 'api_key', 'apiKey', 'APIKEY', 'private_key',
  'privateKey', 'identified', 'IDENTIFIED', 'IDENTIFIED BY', 'IDENTIFIED WITH x BY', 'SET PASSWORD', 'SET PASSWORD FOR u =', 'PASSWORD(',
  'MASTER_PASSWORD', 'postgres://', 'https://', '://', 'arn:aws:secretsmanager:', ':secret:', 'ſecret', 'İdentified', 'ToKen'];
const PUNCT = ['"', "'", "\\'", '\\"', '""', "E'", '$$', '$t$', ':', '=', ' = ', ': ', '@', '/', '.', ',', ';', '(', ')', ' ', '\n', '_', '<REDACTED>', '***', '{', '}'];
const fragment = fc.oneof(
  fc.constantFrom(...WORDS), fc.constantFrom(...PUNCT), fc.constantFrom(...PUNCT),
  fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
);
const text = fc.array(fragment, { maxLength: 24 }).map((a) => a.join(''));

test('property: gated redaction equals the general routine on texts dense in trigger words', () => {
  fc.assert(fc.property(text, (t) => { expect(redactSecrets(t)).toBe(oracle(t)); }), { numRuns: 20000 });
});

test('property: gated redaction equals the general routine on JSON records with secret-named members', () => {
  const key = fc.constantFrom('password', 'sessionToken', 'accessKeyId', 'secretAccessKey', 'token', 'apiKey', 'userName', 'url', 'message');
  const value = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('postgres://u:pw@h/db', "ALTER USER u IDENTIFIED BY 'x'", 'token=abc', JSON.stringify({ password: 'p' })));
  const rec = fc.dictionary(key, fc.oneof(value, fc.dictionary(key, value, { maxKeys: 3 })), { maxKeys: 5 });
  fc.assert(fc.property(rec, (r) => {
    const t = JSON.stringify(r);
    expect(redactSecrets(t)).toBe(oracle(t));
  }), { numRuns: 5000 });
});

test('a CloudTrail session token is still redacted, and records without trigger words are returned as is', () => {
  const ct = '{"responseElements":{"credentials":{"accessKeyId":"ASIAX","sessionToken":"IQoJb3Jp","expiration":"x"}},"userAgent":"https://aws.amazon.com"}';
  expect(redactSecrets(ct)).toBe(ct.replace('IQoJb3Jp', '<REDACTED>'));
  const plain = '{"eventName":"GetObject","userAgent":"aws-cli/2 https://example.com:443/x"}';
  expect(redactSecrets(plain)).toBe(oracle(plain));
  expect(redactSecrets('x https://user:hunter2@host/y')).toBe('x https://user:<REDACTED>@host/y');
});
