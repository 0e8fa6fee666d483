// Secret redaction. Applied to every raw record as it is read (so neither events, rejects, raw
// records in a bundle, nor error messages can carry a secret) and again to SQL statements.
// Patterns cover the SQL forms that carry a password in PostgreSQL and MySQL/MariaDB, and
// credentials in connection strings, in plain text and in the escaped forms the logs use
// (server_audit's \' quoting, JSON's \" quoting, CSV's doubled quotes).

export const REDACTED = '<REDACTED>';

// A quoted literal in each of the escapings found in logs. Escaped forms come first so that
// server_audit's \'...\' and JSON's \"...\" are taken whole. Group 1 is the opening sequence.
const LITERAL = [
  String.raw`(\\')(?:(?!\\')[\s\S])*\\'`, // \'...\'   (MariaDB server_audit)
  String.raw`(\\")(?:(?!\\")[\s\S])*\\"`, // \"...\"   (inside JSON strings)
  String.raw`("")(?:(?!"")[\s\S])*""`, // ""...""   (inside CSV fields)
  String.raw`(E?')(?:[^'\\]|''|\\[\s\S])*'`, // '...' with '' or \ escapes, E'...'
  String.raw`(")(?:[^"\\]|""|\\[\s\S])*"`, // "..." (MySQL ANSI_QUOTES off)
  String.raw`(\$[A-Za-z_]*\$)[\s\S]*?\$[A-Za-z_]*\$`, // $$...$$ / $tag$...$tag$
].join('|');
const literalAfter = (lead: string) => new RegExp(`(${lead})(?:${LITERAL})`, 'gi');

// Each pattern has a `gate`: a cheap regex its match cannot happen without, tested on the record's
// original text, so a record that triggers the pre-check runs only the patterns that can apply.
// CloudTrail's `"sessionToken":"..."` records (13% of a typical trail) need only the JSON-member
// pattern; the key=value pattern alone cost ~8 µs on each of them (its `\b(?:[a-z0-9]+_)*` is tried
// at every word). A replacement never creates a gate's text (it puts `<REDACTED>` between the
// delimiters it matched), so gating on the original text runs a superset of the patterns needed.
// test/core/redact-gates.test.ts checks the output against the ungated routine.
const SQL_GATE = /passw|identified/i;
const KEY_GATE = /p(?:assw|wd)|secret|token|api_?key|private_?key/i;
const ESCAPED_KEY_GATE = /\\"(?:client_|access_)?(?:password|passwd|pwd|secret|token|api_key|private_key)\\"/;
const URL_GATE = /:\/\/[^\s/]*:/; // scheme://user: (https://host/ in a user agent is not enough)
const KEY_VALUE_GATE = /(?:passw(?:or)?d|pwd|secret|access_key|api_?key|token)\s*[=:]/i;

// Bytebase's SENSITIVE fields by their JSON (camelCase) names; `code` (an OAuth/OIDC sign-in code)
// only inside `oauth2Context` / `oidcContext` (a bare `code` is also an error's SQLSTATE).
const BYTEBASE_KEYS = 'newPassword|bindPassword|sshPassword|masterPassword|clientSecret|appSecret|tempOtpSecret|secretAccessKey|sslKey|vaultSslKey|sshPrivateKey|authenticationPrivateKey|authenticationPrivateKeyPassphrase|serviceKey|keytab|license|otpCode|recoveryCode|emailCode|mfaTempToken|sessionToken|accessToken|apiKey';
const BYTEBASE_MEMBER = new RegExp(String.raw`(\\"(?:${BYTEBASE_KEYS})\\"\s*:\s*|\\"(?:oauth2Context|oidcContext)\\"\s*:\s*\{[^{}]*?\\"code\\"\s*:\s*)\\"(?:(?!\\")[\s\S])*\\"|("(?:${BYTEBASE_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)*"`, 'g');
const BYTEBASE_LIST = new RegExp(String.raw`(\\"tempRecoveryCodes\\"\s*:\s*)\[[^\]]*\]|("tempRecoveryCodes"\s*:\s*)\[[^\]]*\]`, 'g');
const BYTEBASE_GATE = /password|secret|sslkey|privatekey|servicekey|keytab|license|code|token|apikey|context/i;

const PATTERNS: Array<{ re: RegExp; gate: RegExp; replace: (m: string, ...g: string[]) => string }> = [
  // PostgreSQL: CREATE/ALTER ROLE|USER ... [ENCRYPTED|UNENCRYPTED] PASSWORD '...'; \password; MySQL:
  // SET PASSWORD [FOR u] = '...', = PASSWORD('...'), IDENTIFIED BY [PASSWORD] '...',
  // IDENTIFIED WITH plugin BY|AS '...'; RDS/MySQL `ALTER USER ... IDENTIFIED BY RANDOM PASSWORD` has no literal.
  { re: literalAfter(String.raw`\b(?:PASSWORD(?:\s*=\s*|\s*\(\s*|\s+)(?:PASSWORD\s*\(\s*)?|IDENTIFIED\s+(?:WITH\s+[\w'"\\]+\s+)?(?:BY|AS)\s+(?:PASSWORD\s+)?|SET\s+PASSWORD\s+(?:FOR\s+\S+\s+)?=\s*(?:PASSWORD\s*\(\s*)?(?:OLD_PASSWORD\s*\(\s*)?)`), gate: SQL_GATE,
    replace: (_m, lead, ...qs) => {
      const q = qs.slice(0, 6).find((x) => x !== undefined) ?? "'";
      return `${lead}${q}${REDACTED}${q.replace(/^E/, '')}`;
    } },
  // A literal after PASSWORD / IDENTIFIED BY that never closes (a truncated record): redact to the end of the line.
  { re: /(\b(?:PASSWORD(?:\s*=\s*|\s*\(\s*|\s+)|IDENTIFIED\s+BY\s*))(E?)(['"])(?![^\n]*\3)[^\n]*/gi, gate: SQL_GATE, replace: (_m, lead, e, q) => `${lead}${e}${q}${REDACTED}` },
  // JSON members named like secrets: "password": "...", and the escaped form inside a JSON string.
  { re: /("(?:password|passwd|pwd|secret|client_secret|secret_access_key|secretAccessKey|token|access_token|refresh_token|api_key|apiKey|private_key|privateKey|sessionToken)"\s*:\s*)"(?:[^"\\]|\\.)*"/g, gate: KEY_GATE,
    replace: (_m, a) => `${a}"${REDACTED}"` },
  { re: /(\\"(?:password|passwd|pwd|secret|client_secret|token|access_token|api_key|private_key)\\"\s*:\s*)\\"(?:(?!\\")[\s\S])*\\"/g, gate: ESCAPED_KEY_GATE,
    replace: (_m, a) => `${a}\\"${REDACTED}\\"` },
  // Bytebase request/response JSON (escaped inside the audit entry, or plain): the fields its API
  // marks SENSITIVE (proto/v1/v1/*.proto `audit_behavior = SENSITIVE`), which servers before that
  // annotation wrote into the audit log: data-source and IdP credentials, sign-in codes, MFA secrets.
  { re: BYTEBASE_MEMBER, gate: BYTEBASE_GATE, replace: (_m, a, b) => (a !== undefined ? `${a}\\"${REDACTED}\\"` : `${b}"${REDACTED}"`) },
  { re: BYTEBASE_LIST, gate: BYTEBASE_GATE, replace: (_m, a, b) => (a !== undefined ? `${a}[\\"${REDACTED}\\"]` : `${b}["${REDACTED}"]`) },
  // URLs with credentials: scheme://user:secret@host
  { re: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]+:)([^\s@'"]+)(@)/gi, gate: URL_GATE, replace: (_m, a, _s, c) => `${a}${REDACTED}${c}` },
  // key=value conninfo and config style: password=..., secret=..., token=... (unquoted or quoted)
  // (also prefixed names such as MySQL's CHANGE MASTER TO MASTER_PASSWORD=\'...\' in server_audit quoting)
  // Not after ':' '/' or '.': `arn:aws:secretsmanager:...:secret:name` is a resource name, not a secret.
  { re: /(?<![:/.])\b((?:[a-z0-9]+_)*(?:password|passwd|pwd|secret|secret_access_key|aws_secret_access_key|api_key|apikey|token|access_token)\s*[=:]\s*)(\\'(?:(?!\\')[^\n])*\\'|\\"(?:(?!\\")[^\n])*\\"|'[^']*'|"[^"]*"|[^\s,;'"&)]+)/gi, gate: KEY_VALUE_GATE,
    replace: (m, a, v) => (v === REDACTED || /^['"]?<REDACTED>/.test(v) || /^['"]?\*+['"]?$/.test(v) ? m : `${a}${REDACTED}`) },
];

// Cheap pre-check so records without any of these words skip the regexes entirely. It runs on every
// raw record (4-7% of a CloudTrail normalize profile): the words alone are one case-insensitive
// alternation V8 scans quickly; the URL form is looked for only when the text has '://' (its
// `[^\s/]*` made the combined regex about 30% slower). Same answer as
// /passw|identified|pwd|secret|token|api_?key|private_?key|:\/\/[^\s/]*:/i.
const MAYBE_SECRET_WORD = /p(?:assw|wd)|identified|secret|token|api_?key|private_?key|sslkey|servicekey|keytab|license|otpcode|recoverycode|emailcode|oauth2context|oidccontext/i;
const URL_CREDENTIAL = /:\/\/[^\s/]*:/;

/** Returns the text with passwords and credentials replaced by <REDACTED>. */
export function redactSecrets(text: string): string {
  if (!MAYBE_SECRET_WORD.test(text) && !(text.includes('://') && URL_CREDENTIAL.test(text))) return text;
  let out = text;
  for (const p of PATTERNS) {
    if (!p.gate.test(text)) continue;
    out = out.replace(p.re, p.replace as (m: string, ...g: string[]) => string);
  }
  return out;
}

/** Redacts a SQL statement (same rules; named for readability at call sites). */
export const redactSql = redactSecrets;
