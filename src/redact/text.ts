// Redaction of text: (1) redactSecrets, over the raw text of line formats (pgaudit stderr, csvlog
// and jsonlog lines, MariaDB server_audit, MySQL/Percona XML and CSV), where a statement sits
// inside the log's own quoting (server_audit's \' quoting, JSON's \" quoting, CSV's doubled quotes);
// (2) redactFreeText, over one decoded string (a JSON string value, a literal's content): NAME=value,
// --name value, URL credentials, Bearer/Basic credentials. JSON records are redacted by value
// (src/redact/json.ts); SQL statements by tokens (src/redact/sql.ts). The rules: policy.ts RULES.
import { REDACTED, isSecretName, extrasActive } from './policy.js';

export { REDACTED };

// A quoted literal in each of the escapings found in logs. Escaped forms come first so that
// server_audit's \'...\' and JSON's \"...\" are taken whole. Group 1 is the opening sequence.
// A bare "..." (a MySQL string) holds no ", newline, comma or colon: in a JSON line a `password "`
// at the end of a string must not take the next member as its literal.
// Inside an escaped literal there is no bare quote of its kind: in a JSON line, \"...\" cannot run
// past the end of the JSON string it sits in (a message ending in `password \"` keeps the next member).
const LITERAL = [
  String.raw`(\\')(?:(?!\\')[^'])*\\'`, // \'...\'   (MariaDB server_audit)
  String.raw`(\\")(?:(?!\\")[^"\n])*\\"`, // \"...\"   (inside JSON strings)
  String.raw`(&apos;)(?:(?!&apos;)[^<])*&apos;`, // &apos;...&apos; (XML text: MySQL Enterprise / Percona XML)
  String.raw`(&quot;)(?:(?!&quot;)[^<])*&quot;`, // &quot;...&quot;
  String.raw`("")(?:(?!"")[^\n])*""`, // ""...""   (inside CSV fields)
  String.raw`(E?')(?:[^'\\]|''|\\[\s\S])*'`, // '...' with '' or \ escapes, E'...'
  String.raw`(")[^"\\\n,:{}]*"`, // "..." (MySQL ANSI_QUOTES off)
  String.raw`(\$[A-Za-z_]*\$)[\s\S]*?\$[A-Za-z_]*\$`, // $$...$$ / $tag$...$tag$
].join('|');
const literalAfter = (lead: string) => new RegExp(`(${lead})(?:${LITERAL})`, 'gi');
/** Spaces and comments between a keyword and its literal. */
const GAP = String.raw`(?:\s|/\*(?:(?!\*/)[\s\S])*\*/)`;

// Each pattern has a `gate`: a cheap regex its match cannot happen without, tested on the record's
// original text, so a record that triggers the pre-check runs only the patterns that can apply.
// test/core/redact-gates.test.ts checks the output against the ungated routine.
const SQL_GATE = /passw|identified|connection|sslkey/i;
const KEY_GATE = /p(?:assw|wd)|secret|token|api_?key|private_?key/i;
const ESCAPED_KEY_GATE = /\\"(?:client_|access_)?(?:password|passwd|pwd|secret|token|api_key|private_key)\\"/;
const URL_GATE = /:\/\/[^\s/]*:/; // scheme://user: (https://host/ in a user agent is not enough)
const KEY_VALUE_GATE = /(?:passw(?:or)?d|pwd|secret|access_key|api_?key|token)\s*[=:]/i;
const FLAG_GATE = /--[\w-]*(?:passw|pwd|secret|token|api-?key)|\s-p\S/i;

// Bytebase's SENSITIVE fields by their JSON (camelCase) names; `code` (an OAuth/OIDC sign-in code)
// only inside `oauth2Context` / `oidcContext` (a bare `code` is also an error's SQLSTATE).
const BYTEBASE_KEYS =
  'newPassword|bindPassword|sshPassword|masterPassword|clientSecret|appSecret|tempOtpSecret|secretAccessKey|sslKey|vaultSslKey|sshPrivateKey|authenticationPrivateKey|authenticationPrivateKeyPassphrase|serviceKey|keytab|license|otpCode|recoveryCode|emailCode|mfaTempToken|sessionToken|accessToken|apiKey';
const BYTEBASE_MEMBER = new RegExp(
  String.raw`(\\"(?:${BYTEBASE_KEYS})\\"\s*:\s*|\\"(?:oauth2Context|oidcContext)\\"\s*:\s*\{[^{}]*?\\"code\\"\s*:\s*)\\"(?:(?!\\")[\s\S])*\\"|("(?:${BYTEBASE_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)*"`,
  'g',
);
const BYTEBASE_LIST = new RegExp(
  String.raw`(\\"tempRecoveryCodes\\"\s*:\s*)\[[^\]]*\]|("tempRecoveryCodes"\s*:\s*)\[[^\]]*\]`,
  'g',
);
const BYTEBASE_GATE = /password|secret|sslkey|privatekey|servicekey|keytab|license|code|token|apikey|context/i;

const pickQuote = (qs: string[]): string => qs.slice(0, 8).find((x) => x !== undefined) ?? "'";

const PATTERNS: Array<{ re: RegExp; gate: RegExp; when?: RegExp; replace: (m: string, ...g: string[]) => string }> = [
  // PostgreSQL: CREATE/ALTER ROLE|USER ... [ENCRYPTED|UNENCRYPTED] PASSWORD [comments] '...'; OPTIONS
  // (password '...', sslpassword '...', sslkey '...'); MySQL: SET PASSWORD [FOR u @ h] = '...',
  // = PASSWORD('...'), IDENTIFIED BY [PASSWORD] '...', IDENTIFIED WITH plugin BY|AS '...', a misspelt
  // IDENTIFIED BYY '...', REPLACE '...' (the old password); CREATE SUBSCRIPTION ... CONNECTION '...'.
  {
    re: literalAfter(
      String.raw`\b(?:(?:ssl)?PASSWORD(?:${GAP}*=${GAP}*|${GAP}*\(${GAP}*|${GAP}+)(?:PASSWORD${GAP}*\(${GAP}*)?|SSLKEY${GAP}+|CONNECTION${GAP}+|IDENTIFIED${GAP}+(?:WITH${GAP}+[\w'"\\]+${GAP}+)?\w+${GAP}+(?:PASSWORD${GAP}+)?|SET${GAP}+PASSWORD${GAP}+(?:FOR${GAP}+[^=]{1,200}?)?=${GAP}*(?:PASSWORD${GAP}*\(${GAP}*)?(?:OLD_PASSWORD${GAP}*\(${GAP}*)?)`,
    ),
    gate: SQL_GATE,
    replace: (_m, lead, ...qs) => {
      const q = pickQuote(qs);
      return `${lead}${q}${REDACTED}${q.replace(/^E/, '')}`;
    },
  },
  // MySQL IDENTIFIED BY 'new' REPLACE 'old': the old password too.
  {
    re: literalAfter(String.raw`\bREPLACE${GAP}+`),
    gate: /identified/i,
    when: /identified/i,
    replace: (_m, lead, ...qs) => {
      const q = pickQuote(qs);
      return `${lead}${q}${REDACTED}${q.replace(/^E/, '')}`;
    },
  },
  // A literal after PASSWORD / IDENTIFIED BY that never closes (a truncated record): redact to the end of the line.
  {
    re: /(\b(?:PASSWORD(?:\s*=\s*|\s*\(\s*|\s+)|IDENTIFIED\s+BY\s*))(E?)(')(?![^\n]*\3)[^\n]*/gi,
    gate: SQL_GATE,
    replace: (_m, lead, e, q) => `${lead}${e}${q}${REDACTED}`,
  },
  // JSON members named like secrets: "password": "...", and the escaped form inside a JSON string.
  {
    re: /("(?:password|passwd|pwd|secret|client_secret|secret_access_key|secretAccessKey|token|access_token|refresh_token|api_key|apiKey|private_key|privateKey|sessionToken)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi,
    gate: KEY_GATE,
    replace: (_m, a) => `${a}"${REDACTED}"`,
  },
  {
    re: /(\\"(?:password|passwd|pwd|secret|client_secret|token|access_token|api_key|private_key|secretAccessKey|sessionToken)\\"\s*:\s*)\\"(?:(?!\\")[\s\S])*\\"/gi,
    gate: ESCAPED_KEY_GATE,
    replace: (_m, a) => `${a}\\"${REDACTED}\\"`,
  },
  // Bytebase request/response JSON (escaped inside the audit entry, or plain): the fields its API
  // marks SENSITIVE (proto/v1/v1/*.proto `audit_behavior = SENSITIVE`), which servers before that
  // annotation wrote into the audit log: data-source and IdP credentials, sign-in codes, MFA secrets.
  {
    re: BYTEBASE_MEMBER,
    gate: BYTEBASE_GATE,
    replace: (_m, a, b) => (a !== undefined ? `${a}\\"${REDACTED}\\"` : `${b}"${REDACTED}"`),
  },
  {
    re: BYTEBASE_LIST,
    gate: BYTEBASE_GATE,
    replace: (_m, a, b) => (a !== undefined ? `${a}[\\"${REDACTED}\\"]` : `${b}["${REDACTED}"]`),
  },
  // URLs with credentials: scheme://user:secret@host
  {
    re: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"\\]+:)([^\s@'"\\]+)(@)/gi,
    gate: URL_GATE,
    replace: (_m, a, _s, c) => `${a}${REDACTED}${c}`,
  },
  // key=value conninfo and config style: password=..., secret=..., token=... (unquoted or quoted)
  // (also prefixed names such as MySQL's CHANGE MASTER TO MASTER_PASSWORD=\'...\' in server_audit quoting)
  // Not after ':' '/' or '.': `arn:aws:secretsmanager:...:secret:name` is a resource name, not a secret.
  // An unquoted value stops before \" and \' (the end of the enclosing JSON string or server_audit literal).
  {
    re: /(?<![:/.])\b((?:[a-z0-9]+_)*(?:password|passwd|pwd|secret|secret_access_key|aws_secret_access_key|api_key|apikey|token|access_token)\s*[=:]\s*)(\\'(?:(?!\\')[^\n])*\\'|\\"(?:(?!\\")[^\n])*\\"|&apos;(?:(?!&apos;)[^<\n])*&apos;|&quot;(?:(?!&quot;)[^<\n])*&quot;|'[^']*'|"[^"]*"|(?:[^\s,;'"&)\\]|\\[^"'\s])+)/gi,
    gate: KEY_VALUE_GATE,
    replace: (m, a, v) =>
      v === REDACTED || /^['"]?<REDACTED>/.test(v) || /^['"]?\*+['"]?$/.test(v) ? m : `${a}${REDACTED}`,
  },
  // --password value, --password=value, mysql -pvalue (command lines in logs).
  {
    re: /(--[\w-]*(?:passw(?:or)?d|pwd|secret|token|api-?key)[\w-]*(?:=|[ \t]+))(?!-)(\\'(?:(?!\\')[^\n])*\\'|\\"(?:(?!\\")[^\n])*\\"|'[^']*'|"[^"\n]*"|(?:[^\s,;'"&)\\]|\\[^"'\s])+)/gi,
    gate: FLAG_GATE,
    replace: (m, a, v) => (v.includes(REDACTED) ? m : `${a}${REDACTED}`),
  },
  {
    re: /(\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mysqlimport)\b[^\n]*?\s-p)((?:[^\s'"\\]|\\[^"'\s])+)/g,
    gate: FLAG_GATE,
    replace: (m, a, v) => (v.includes(REDACTED) ? m : `${a}${REDACTED}`),
  },
];

// Cheap pre-check so records without any of these words skip the regexes entirely. It runs on every
// raw record of the line formats (and on JSON string values): the words alone are one
// case-insensitive alternation, grouped by first letter, which V8 scans in about half the
// instructions of the flat list with `\s-p\S` among the words (that alternative, starting with a
// class, defeated the scan's look-ahead: 7.0k against 3.9k instructions per 100-character
// server_audit line, both tests together); the URL form is looked for only when the text has '://'.
// Together the same answer as
// /p(?:assw|wd)|identified|secret|token|api_?key|private_?key|connection|sslkey|\s-p\S|servicekey|keytab|license|otpcode|recoverycode|emailcode|oauth2context|oidccontext/i.
const MAYBE_SECRET_WORD =
  /p(?:assw|wd|rivate_?key)|s(?:ecret|slkey|ervicekey)|token|api_?key|connection|identified|keytab|license|o(?:tpcode|auth2context|idccontext)|recoverycode|emailcode/i;
const MYSQL_DASH_P = /\s-p\S/i;
const URL_CREDENTIAL = /:\/\/[^\s/]*:/;

/** False when no pattern can match `text` (the pre-check above). */
function maybeSecret(text: string): boolean {
  return MAYBE_SECRET_WORD.test(text) || MYSQL_DASH_P.test(text) || (text.includes('://') && URL_CREDENTIAL.test(text));
}

/** Returns the raw text (of a line format) with passwords and credentials replaced by <REDACTED>. */
export function redactSecrets(text: string): string {
  if (!maybeSecret(text)) return text;
  let out = text;
  for (const p of PATTERNS) {
    if (!p.gate.test(text) || (p.when && !p.when.test(text))) continue;
    out = out.replace(p.re, p.replace as (m: string, ...g: string[]) => string);
  }
  return out;
}

/** redactSecrets without the pre-check and the gates (the tests' oracle: gates may only save time). */
export function redactSecretsUngated(text: string): string {
  let out = text;
  for (const p of PATTERNS) {
    if (p.when && !p.when.test(text)) continue;
    out = out.replace(p.re, p.replace as (m: string, ...g: string[]) => string);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Free text in one decoded string.

const FREE_GATE = /pass|pwd|secret|token|key|auth|credential|dsn|cookie|:\/\/|bearer|basic|\bpw\b|-p\S/i;
// NAME=value and NAME: value (NAME checked by the name rules), optional quotes around the value.
const NAME_VALUE = /(?<![\w:/.-])([A-Za-z_][\w.-]{0,80})(\s*(?:=|:(?!\/\/))\s*)('[^'\n]*'|"[^"\n]*"|[^\s,;'"&)\]}]+)/g;
// --name value / --name=value
const FLAG_VALUE = /(--([\w-]{1,80})(?:=|[ \t]+))(?!-)('[^'\n]*'|"[^"\n]*"|[^\s'"]+)/g;
const URL_CRED = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*:)([^\s@'"/]+)(@)/gi;
const AUTH_SCHEME = /\b(Bearer|Basic|Token)(\s+)((?=[A-Za-z0-9._~+/=-]*[0-9+/=])[A-Za-z0-9._~+/=-]{8,})/g;
const MYSQL_P = /(\b(?:mysql|mysqldump|mysqladmin|mariadb|mariadb-dump|mysqlimport)\b[^\n]*?\s-p)([^\s'"]+)/g;

const placeholder = (v: string): boolean => v.includes(REDACTED) || /^['"]?\**['"]?$/.test(v);

/** Redacts NAME=value, --name value, URL and Authorization credentials in one decoded string. */
export function redactFreeText(s: string): { text: string; count: number } {
  if (!extrasActive() && !FREE_GATE.test(s)) return { text: s, count: 0 };
  let count = 0;
  let out = s.replace(NAME_VALUE, (m, name: string, sep: string, v: string) => {
    if (placeholder(v) || !isSecretName(name)) return m;
    // NAME: value only for names that are secrets outright ("password: x"), not for prose ("Token: expired" stays).
    count++;
    const q = v[0] === "'" || v[0] === '"' ? v[0] : '';
    return `${name}${sep}${q}${REDACTED}${q}`;
  });
  if (out.includes('--')) {
    out = out.replace(FLAG_VALUE, (m, lead: string, name: string, v: string) => {
      if (placeholder(v) || !isSecretName(name)) return m;
      count++;
      const q = v[0] === "'" || v[0] === '"' ? v[0] : '';
      return `${lead}${q}${REDACTED}${q}`;
    });
  }
  if (out.includes('://'))
    out = out.replace(URL_CRED, (m, a: string, v: string, c: string) =>
      placeholder(v) ? m : (count++, `${a}${REDACTED}${c}`),
    );
  out = out.replace(AUTH_SCHEME, (m, a: string, sp: string, v: string) =>
    placeholder(v) ? m : (count++, `${a}${sp}${REDACTED}`),
  );
  if (out.includes('-p'))
    out = out.replace(MYSQL_P, (m, a: string, v: string) => (placeholder(v) ? m : (count++, `${a}${REDACTED}`)));
  return { text: count ? out : s, count };
}

/** redactSecrets with the number of replacements made. */
export function redactSecretsCounted(text: string): { text: string; count: number } {
  if (!maybeSecret(text)) return { text, count: 0 };
  let out = text;
  let count = 0;
  for (const p of PATTERNS) {
    if (!p.gate.test(text) || (p.when && !p.when.test(text))) continue;
    out = out.replace(p.re, (m: string, ...g: string[]) => {
      const r = (p.replace as (m: string, ...g: string[]) => string)(m, ...g);
      if (r !== m) count++;
      return r;
    });
  }
  return { text: out, count };
}

/**
 * The raw record of a line format with its text redacted (sha256 stays the original bytes' hash),
 * marked as redacted either way.
 */
export function redactTextRecord<R extends { text: string; redactions?: number }>(raw: R): R {
  const r = redactSecretsCounted(raw.text);
  if (r.count === 0) {
    raw.redactions = 0;
    return raw;
  }
  return { ...raw, text: r.text, redactions: r.count };
}
