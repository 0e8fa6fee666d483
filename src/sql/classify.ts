// SQL classification shared by the PostgreSQL and MySQL/MariaDB adapters: which command a
// statement is, which of the six categories it falls in, which privileges it grants or revokes,
// and whether it turns audit logging off. Works on statement text (already redacted); tolerant of
// comments, case and extra white space. See ../shared/design/sources.md, "Category signals".
import type { Category } from '../event/build.js';
import type { PermissionChange } from '../event/types.generated.js';

/** Strips leading comments and white space (/* ... *\/, -- ...) and returns the rest. */
export function stripLeadingComments(sql: string): string {
  let s = sql;
  for (;;) {
    let i = 0;
    while (i < s.length && isSpace(s.charCodeAt(i))) i++;
    const t = i === 0 ? s : s.slice(i); // s.replace(/^\s+/, '') without a regex
    if (t.startsWith('/*')) {
      const end = t.indexOf('*/');
      s = end < 0 ? '' : t.slice(end + 2);
    } else if (t.startsWith('--') || t.startsWith('#')) {
      const end = t.indexOf('\n');
      s = end < 0 ? '' : t.slice(end + 1);
    } else return t;
  }
}

const TWO_WORD = new Set([
  'CREATE',
  'ALTER',
  'DROP',
  'RENAME',
  'SET',
  'SHOW',
  'GRANT',
  'REVOKE',
  'COMMENT',
  'SECURITY',
  'REFRESH',
  'INSTALL',
  'UNINSTALL',
  'REASSIGN',
  'IMPORT',
  'LOAD',
  'LOCK',
  'FLUSH',
  'CHANGE',
]);
const SKIP_MODIFIERS = new Set([
  'OR',
  'REPLACE',
  'TEMP',
  'TEMPORARY',
  'UNLOGGED',
  'GLOBAL',
  'LOCAL',
  'UNIQUE',
  'MATERIALIZED',
  'DEFINER',
  'ALGORITHM',
  'SQL',
  'SECURITY',
  'IF',
  'NOT',
  'EXISTS',
  'TRUSTED',
  'PROCEDURAL',
  'RECURSIVE',
  'DEFAULT',
  'ONLINE',
  'OFFLINE',
  'IGNORE',
  'AGGREGATE',
  'CONSTRAINT',
  'FOREIGN',
  'EVENT',
]);

/** JavaScript's \s: the white space and line terminators regular expressions and trim() know. */
function isSpace(c: number): boolean {
  return (
    c === 32 ||
    (c >= 9 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}
/** [A-Za-z_] (and '=' when `eq`): the characters of a command word. */
function isWordChar(c: number, eq: boolean): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (eq && c === 61);
}

/**
 * s.toUpperCase(), without its call into the runtime (~550 instructions, several per statement)
 * when `s` has nothing it would change: no a-z and nothing outside ASCII.
 */
export function upperCase(s: string): string {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if ((c >= 97 && c <= 122) || c >= 128) return s.toUpperCase();
  }
  return s;
}

/** s.slice(from, to).toUpperCase() for a word of [A-Za-z_=] (upper-cased only when it has a-z). */
function upperWord(s: string, from: number, to: number): string {
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    if (c >= 97 && c <= 122) return s.slice(from, to).toUpperCase();
  }
  return s.slice(from, to);
}

/** The end of the word of [A-Za-z_] at `from` (`from` when there is none). */
function firstWordEnd(s: string, from: number): number {
  let i = from;
  while (i < s.length && isWordChar(s.charCodeAt(i), false)) i++;
  return i;
}

/**
 * The first seven words of a statement, upper case: the same words as
 * `s.match(/^[A-Za-z_]+(?:\s+[A-Za-z_=]+){0,6}/)[0].toUpperCase().split(/\s+/)`, read with a scanner
 * (no match array, no upper-casing of the joined text, no split): sqlCommand runs once or twice
 * per audited statement.
 */
function leadingWords(s: string, from: number): string[] {
  const words: string[] = [];
  const n = s.length;
  let i = firstWordEnd(s, from);
  if (i === from) return words;
  words.push(upperWord(s, from, i));
  while (words.length < 7) {
    let j = i;
    while (j < n && isSpace(s.charCodeAt(j))) j++;
    if (j === i) break;
    const start = j;
    while (j < n && isWordChar(s.charCodeAt(j), true)) j++;
    if (j === start) break;
    words.push(upperWord(s, start, j));
    i = j;
  }
  return words;
}

/**
 * The statement's command in upper case, as pgaudit names commands: 'CREATE TABLE', 'ALTER ROLE',
 * 'GRANT', 'SELECT', 'ALTER SYSTEM', 'SET', 'COPY', 'ALTER DEFAULT PRIVILEGES', 'SET PASSWORD'.
 * Returns null for empty text.
 */
export function sqlCommand(sql: string): string | null {
  const stripped = stripLeadingComments(sql);
  // Leading '(' and the white space after them (/^\(+\s*/) are not part of the command.
  let from = 0;
  if (stripped.charCodeAt(0) === 40) {
    while (stripped.charCodeAt(from) === 40) from++;
    while (from < stripped.length && isSpace(stripped.charCodeAt(from))) from++;
  }
  const end = firstWordEnd(stripped, from);
  if (end === from) return null;
  const head = upperWord(stripped, from, end);
  // Most statements (SELECT, INSERT, UPDATE, ...) are named by their first word alone: the
  // words after it are read only for the commands that look at them.
  if (head !== 'WITH' && head !== 'SET' && !TWO_WORD.has(head)) return head;
  const words = leadingWords(stripped, from);
  const first = words[0]!;
  if (first === 'WITH') return /\b(INSERT|UPDATE|DELETE|MERGE)\b/i.test(stripped.slice(from)) ? 'INSERT' : 'SELECT';
  if (first === 'ALTER' && words[1] === 'DEFAULT' && words[2] === 'PRIVILEGES') return 'ALTER DEFAULT PRIVILEGES';
  if (first === 'SET') {
    if (/^SET\s+@@(?:global|persist|persist_only)\./i.test(stripped.slice(from))) return 'SET GLOBAL'; // MySQL SET @@global.x = ...
    if (words[1] === 'PASSWORD') return 'SET PASSWORD';
    if (words[1] === 'ROLE' || (words[1] === 'DEFAULT' && words[2] === 'ROLE'))
      return words[1] === 'ROLE' ? 'SET ROLE' : 'SET DEFAULT ROLE';
    if (words[1] === 'GLOBAL' || words[1] === 'PERSIST' || words[1] === 'PERSIST_ONLY') return 'SET GLOBAL';
    if (words[1] === 'SESSION' && words[2] === 'AUTHORIZATION') return 'SET SESSION AUTHORIZATION';
    return 'SET';
  }
  if (TWO_WORD.has(first)) {
    let i = 1;
    while (
      i < words.length &&
      SKIP_MODIFIERS.has(words[i]!) &&
      !(first === 'SHOW' || first === 'GRANT' || first === 'REVOKE')
    )
      i++;
    if (first === 'GRANT' || first === 'REVOKE' || first === 'SET') return first;
    const second = words[i];
    if (!second) return first;
    if (first === 'SECURITY' && second === 'LABEL') return 'SECURITY LABEL';
    if (first === 'LOAD' && second === 'DATA') return 'LOAD DATA';
    if (second === 'SYSTEM' && first === 'ALTER') return 'ALTER SYSTEM';
    if ((second === 'FOREIGN' || second === 'EVENT' || second === 'MATERIALIZED') && words[i + 1])
      return `${first} ${second} ${words[i + 1]}`;
    return `${first} ${second}`;
  }
  return first;
}

const PERMISSION_COMMANDS =
  /^(GRANT|REVOKE|(CREATE|ALTER|DROP|RENAME) (ROLE|USER|GROUP)|(CREATE|ALTER|DROP) USER MAPPING|SET PASSWORD|SET DEFAULT ROLE|REASSIGN OWNED)$/;
const POLICY_COMMANDS =
  /^(ALTER SYSTEM|SET GLOBAL|(CREATE|ALTER|DROP) POLICY|ALTER DEFAULT PRIVILEGES|SECURITY LABEL|(INSTALL|UNINSTALL) (PLUGIN|SONAME|COMPONENT)|(CREATE|ALTER|DROP) (EXTENSION)|(CREATE|ALTER|DROP) (EVENT TRIGGER))$/;
const DDL = /^(CREATE|ALTER|DROP|TRUNCATE|RENAME|COMMENT|REFRESH|IMPORT) /;
const WRITES = /^(INSERT|UPDATE|DELETE|MERGE|REPLACE|LOAD DATA|TRUNCATE|CALL|DO|EXECUTE|COPY)$/;

/** Audit settings whose change is a policy change (pgaudit.*, log_*, server_audit_*, audit_log_*). */
const AUDIT_SETTING =
  /\b(pgaudit\.[a-z_]+|log_(?:statement|connections|disconnections|min_messages|min_duration_statement|line_prefix|destination)|server_audit_[a-z_]+|audit_log_[a-z_]+|general_log|sql_log_off|log_bin)\b/i;

/**
 * The category of a SQL statement. `command` is the source's own command name when it gives one
 * (pgaudit COMMAND), else sqlCommand(sql).
 */
export function sqlCategory(command: string | null, sql: string | null): Category {
  const cmd = upperCase(command ?? (sql ? sqlCommand(sql) : null) ?? '').trim();
  const text = sql ?? '';
  // The commands of nearly every audited statement, decided by the rules below that can apply
  // to them (same answers; test/core/classify-fast-paths.test.ts checks against the general path).
  switch (cmd) {
    case 'SELECT':
      if (/\bINTO\s+(OUTFILE|DUMPFILE)\b/i.test(text)) return 'data_exposure';
      if (/\baudit_log_filter_(?:set|remove|flush)\w*\s*\(/i.test(text)) return 'policy_change';
      return 'other';
    case 'INSERT':
    case 'UPDATE':
    case 'DELETE':
    case 'MERGE':
    case 'REPLACE':
    case 'LOAD DATA':
    case 'TRUNCATE':
    case 'CALL':
    case 'DO':
    case 'EXECUTE':
      return 'change_execution';
    default:
  }
  if (/^(COPY)$/.test(cmd) && /\bTO\s+(STDOUT|PROGRAM|'|E')/i.test(text)) return 'data_exposure';
  if (/^(SELECT)$/.test(cmd) && /\bINTO\s+(OUTFILE|DUMPFILE)\b/i.test(text)) return 'data_exposure';
  if (/^COPY$/.test(cmd) && /\bCOPY\b[\s\S]*\bTO\b/i.test(text) && !/\bFROM\b\s+(STDIN|'|PROGRAM)/i.test(text))
    return 'data_exposure';
  if (PERMISSION_COMMANDS.test(cmd)) {
    // ALTER ROLE x SET pgaudit.log = 'none' changes audit policy, not permissions.
    if (/^ALTER (ROLE|USER)$/.test(cmd) && /\b(?:RE)?SET\s+/i.test(text) && AUDIT_SETTING.test(text))
      return 'policy_change';
    return 'permission_change';
  }
  if (POLICY_COMMANDS.test(cmd)) return 'policy_change';
  if (/^ALTER (DATABASE|ROLE|USER)$/.test(cmd) && AUDIT_SETTING.test(text)) return 'policy_change';
  if ((cmd === 'SET' || cmd === 'RESET') && /\bpgaudit\./i.test(text)) return 'policy_change';
  if (cmd === 'ALTER TABLE' && /\b(ENABLE|DISABLE|FORCE|NO FORCE)\s+ROW\s+LEVEL\s+SECURITY\b/i.test(text))
    return 'policy_change';
  // MySQL Enterprise / Percona audit filter functions: SELECT audit_log_filter_set_filter(...), ..._set_user, ..._remove_*
  if (cmd === 'SELECT' && /\baudit_log_filter_(?:set|remove|flush)\w*\s*\(/i.test(text)) return 'policy_change';
  if (DDL.test(`${cmd} `) || WRITES.test(cmd)) return 'change_execution';
  return 'other';
}

/** True when the statement turns audit logging off (pgaudit.log = 'none', server_audit_logging=OFF, ...). */
export function disablesAuditLogging(sql: string | null): boolean {
  // Every pattern below names an audit setting or sql_log_off: most statements need one scan.
  if (!sql || !/audit|sql_log_off/i.test(sql)) return false;
  return (
    /\bpgaudit\.log\s*(=|TO)\s*'?\s*none\b/i.test(sql) ||
    /\bserver_audit_logging\s*=\s*'?(OFF|0|FALSE)\b/i.test(sql) ||
    /\baudit_log_disable\s*=\s*'?(ON|1|TRUE)\b/i.test(sql) ||
    /\baudit_log_policy\s*=\s*['"]?NONE\b/i.test(sql) || // Percona audit_log: log nothing
    /\bsql_log_off\s*=\s*'?(ON|1|TRUE)\b/i.test(sql) ||
    /\bUNINSTALL\s+(PLUGIN\s+(server_audit|audit_log)|SONAME\s+'?server_audit)/i.test(sql) ||
    /\bDROP\s+EXTENSION\s+(IF\s+EXISTS\s+)?pgaudit\b/i.test(sql)
  );
}

function unquote(name: string): string {
  const t = name.trim();
  // MySQL accounts 'u'@'h' -> u@h; identifiers "x" or `x` -> x
  return t.replace(/\\?['"`]/g, '');
}

function splitList(s: string): string[] {
  const out: string[] = [];
  let depth = 0,
    cur = '',
    q: string | null = null;
  for (const ch of s) {
    if (q) {
      cur += ch;
      if (ch === q) q = null;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      q = ch;
      cur += ch;
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim()) out.push(cur);
  return out.map((x) => x.trim()).filter(Boolean);
}

/**
 * The privilege deltas of a GRANT or REVOKE statement: one entry per (grantee, privilege).
 * GRANT SELECT, INSERT ON t TO a, b  /  GRANT r1 TO a  /  REVOKE ALL ON DATABASE d FROM a.
 * Returns null when the statement is not a GRANT/REVOKE it can read.
 */
export function parsePermissionChanges(sql: string | null): PermissionChange[] | null {
  if (!sql) return null;
  const s = stripLeadingComments(sql).replace(/\s+/g, ' ').replace(/;\s*$/, '');
  const g =
    /^GRANT (.+?)(?: ON (.+?))? TO (.+?)(?: WITH (?:GRANT|ADMIN|INHERIT|SET) OPTION| WITH (?:GRANT|ADMIN) (?:TRUE|FALSE)| GRANTED BY .+| IDENTIFIED .+| AS .+| REQUIRE .+)*$/i.exec(
      s,
    );
  const r =
    /^REVOKE (?:(?:GRANT|ADMIN|INHERIT|SET) OPTION FOR )?(.+?)(?: ON (.+?))? FROM (.+?)(?: (?:CASCADE|RESTRICT)| GRANTED BY .+)*$/i.exec(
      s,
    );
  const m = g ?? r;
  if (!m) return null;
  const operation = g ? 'grant' : 'revoke';
  const privileges = splitList(m[1]!).map((p) => p.replace(/\s+/g, ' '));
  const on = m[2] ? m[2].trim().replace(/`/g, '') : null; // MySQL `db`.`t` -> db.t
  const grantees = splitList(m[3]!).map(unquote);
  const out: PermissionChange[] = [];
  for (const principal of grantees)
    for (const privilege of privileges) {
      out.push({ operation, principal, privilege: on ? privilege.toUpperCase() : unquote(privilege), on });
    }
  return out;
}

// Statement patterns, compiled once (one call per audited statement). `ident` matches a possibly
// qualified or quoted name, including MySQL accounts 'u'@'h'.
const ident = String.raw`((?:\\?['"\x60][^'"\x60]+\\?['"\x60]|[\w$.]+)(?:@(?:\\?['"\x60][^'"\x60]*\\?['"\x60]|[\w.%-]+))?(?:\.(?:"[^"]+"|\x60[^\x60]+\x60|[\w$]+))*)`;
const RESOURCE_RE_1 = new RegExp(
  String.raw`^(?:CREATE|ALTER|DROP|RENAME) (ROLE|USER|GROUP)(?: IF (?:NOT )?EXISTS)? ${ident}`,
  'i',
);
const RESOURCE_RE_2 = new RegExp(String.raw`^(?:CREATE|ALTER|DROP) POLICY(?: IF EXISTS)? ${ident} ON ${ident}`, 'i');
const RESOURCE_RE_3 = new RegExp(
  String.raw`^(?:CREATE|ALTER|DROP|TRUNCATE|COMMENT ON|RENAME)(?: OR REPLACE)?(?: (?:TEMP|TEMPORARY|UNLOGGED|UNIQUE|MATERIALIZED|GLOBAL|LOCAL|ONLINE|OFFLINE))*(?: (TABLE|VIEW|INDEX|SEQUENCE|SCHEMA|DATABASE|FUNCTION|PROCEDURE|TRIGGER|EXTENSION|TYPE|DOMAIN|EVENT|TABLESPACE|SERVER|PUBLICATION|SUBSCRIPTION|COLLATION|AGGREGATE|LANGUAGE|RULE|CONVERSION|STATISTICS|FOREIGN TABLE))?(?: IF (?:NOT )?EXISTS)?(?: ONLY)? ${ident}`,
  'i',
);
const RESOURCE_RE_4 = new RegExp(String.raw`^INSERT(?: IGNORE)? INTO ${ident}`, 'i');
const RESOURCE_RE_5 = new RegExp(String.raw`^REPLACE(?: INTO)? ${ident}`, 'i');
const RESOURCE_RE_6 = new RegExp(String.raw`^UPDATE(?: ONLY)? ${ident}`, 'i');
const RESOURCE_RE_7 = new RegExp(String.raw`^DELETE FROM(?: ONLY)? ${ident}`, 'i');
const RESOURCE_RE_8 = new RegExp(String.raw`^COPY ${ident}`, 'i');
const RESOURCE_RE_9 = new RegExp(String.raw`^LOAD DATA(?: LOCAL)? INFILE .+? INTO TABLE ${ident}`, 'i');
const RESOURCE_RE_10 = new RegExp(String.raw`^(?:SELECT|WITH) [\s\S]*? FROM ${ident}`, 'i');

/** White space other than single spaces: statementResource's patterns need it folded to one space. */
const UNFOLDED_SPACE = /[^\S ]| {2}/;
const SET_PASSWORD_RE = /^SET PASSWORD(?: FOR (\S+))?/i;
const SET_DEFAULT_ROLE_RE = /^SET DEFAULT ROLE .+? (?:FOR|TO) (\S+)/i;
const INSTALL_RE = /^(?:UN)?INSTALL (PLUGIN|SONAME|COMPONENT) (\S+)/i;
const USE_RE = /^USE ([\w$`]+)/i;
const CALL_RE = /^CALL ([\w$.`]+)/i;
const ALTER_SYSTEM_RE = /^ALTER SYSTEM (?:SET|RESET) ([\w.]+)/i;
const SET_RE = /^SET (?:GLOBAL |PERSIST |PERSIST_ONLY |SESSION |LOCAL |@@global\.|@@)?([\w.]+)\s*(?:=|TO\b)/i;
const RESET_RE = /^RESET ([\w.]+)/i;
const OUTFILE_RE = /^SELECT [\s\S]*? INTO (OUTFILE|DUMPFILE) (\\?'[^']*\\?'|"[^"]*")/i;

// CREATE/ALTER/DROP USER MAPPING FOR u SERVER s: the mapping of user u on server s (not a user named MAPPING).
const USER_MAPPING_RE = /^(?:CREATE|ALTER|DROP) USER MAPPING(?: IF (?:NOT )?EXISTS)? FOR (\S+) SERVER ([^\s;]+)/i;
/** A bare number is never a table: `substring('x' from 2 for 3)` has FROM but no table. */
const NUMBER = /^[\d.]+$/;

const table = (m: RegExpExecArray | null) =>
  m && !NUMBER.test(m[1]!) ? { type: 'table', name: unquote(m[1]!) } : null;

/**
 * The resource a statement acts on when the source names none: the grantee(s) of GRANT/REVOKE,
 * the role or user of CREATE/ALTER/DROP ROLE|USER, the parameter of ALTER SYSTEM / SET, the
 * object of DDL, the table of DML, the target of COPY. Returns null when it cannot tell.
 *
 * Every pattern is anchored on its leading keyword followed by a space, so the statement's first
 * word chooses the patterns that can match, tried in the order of the general list (a SELECT
 * tries two patterns, not fifteen). test/core/classify-fast-paths.test.ts keeps the general list
 * as the oracle.
 */
export function statementResource(sql: string | null): { type: string; name: string } | null {
  if (!sql) return null;
  let s = stripLeadingComments(sql);
  if (UNFOLDED_SPACE.test(s)) s = s.replace(/\s+/g, ' ');
  s = s.trim();
  let k = 0;
  while (k < s.length && isWordChar(s.charCodeAt(k), false)) k++;
  if (k === 0) return null; // no pattern matches text that does not start with a keyword
  let m: RegExpExecArray | null;
  switch (upperWord(s, 0, k)) {
    case 'SELECT':
      if ((m = OUTFILE_RE.exec(s))) return { type: 'file', name: unquote(m[2]!) };
      return table(RESOURCE_RE_10.exec(s));
    case 'WITH':
      return table(RESOURCE_RE_10.exec(s));
    case 'INSERT':
      return table(RESOURCE_RE_4.exec(s));
    case 'UPDATE':
      return table(RESOURCE_RE_6.exec(s));
    case 'DELETE':
      return table(RESOURCE_RE_7.exec(s));
    case 'REPLACE':
      return table(RESOURCE_RE_5.exec(s));
    case 'COPY':
      return table(RESOURCE_RE_8.exec(s));
    case 'LOAD':
      return table(RESOURCE_RE_9.exec(s));
    case 'GRANT':
    case 'REVOKE': {
      const deltas = parsePermissionChanges(s);
      if (deltas && deltas.length) {
        const principals = [...new Set(deltas.map((d) => d.principal))];
        return { type: 'role', name: principals.join(', ') };
      }
      return null;
    }
    case 'SET':
      if ((m = SET_PASSWORD_RE.exec(s))) return { type: 'user', name: m[1] ? unquote(m[1]) : 'CURRENT_USER' };
      if ((m = SET_DEFAULT_ROLE_RE.exec(s))) return { type: 'user', name: unquote(m[1]!.replace(/,$/, '')) };
      if ((m = SET_RE.exec(s))) return { type: 'parameter', name: m[1]!.replace(/^@@(global\.)?/i, '') };
      return null;
    case 'INSTALL':
    case 'UNINSTALL':
      if ((m = INSTALL_RE.exec(s)))
        return { type: m[1]!.toUpperCase() === 'COMPONENT' ? 'component' : 'plugin', name: unquote(m[2]!) };
      return null;
    case 'USE':
      return (m = USE_RE.exec(s)) ? { type: 'database', name: unquote(m[1]!) } : null;
    case 'CALL':
      return (m = CALL_RE.exec(s)) ? { type: 'procedure', name: unquote(m[1]!) } : null;
    case 'RESET':
      return (m = RESET_RE.exec(s)) ? { type: 'parameter', name: m[1]! } : null;
    case 'CREATE':
    case 'ALTER':
    case 'DROP':
    case 'RENAME': {
      if ((m = USER_MAPPING_RE.exec(s)))
        return { type: 'user_mapping', name: `${unquote(m[1]!)} ON ${unquote(m[2]!)}` };
      if ((m = RESOURCE_RE_1.exec(s)))
        return { type: m[1]!.toUpperCase() === 'USER' ? 'user' : 'role', name: unquote(m[2]!) };
      if ((m = ALTER_SYSTEM_RE.exec(s))) return { type: 'parameter', name: m[1]! };
      if ((m = RESOURCE_RE_2.exec(s))) return { type: 'policy', name: `${unquote(m[1]!)} ON ${unquote(m[2]!)}` };
      return objectResource(s);
    }
    case 'TRUNCATE':
    case 'COMMENT':
      return objectResource(s);
    default:
      return null;
  }
}

/** The object of DDL (RESOURCE_RE_3); its type from the command when the statement names none. */
function objectResource(s: string): { type: string; name: string } | null {
  const m = RESOURCE_RE_3.exec(s);
  if (!m) return null;
  const cmd = sqlCommand(s) ?? '';
  const type = (m[1] ?? (cmd === 'TRUNCATE' ? 'TABLE' : (cmd.split(' ')[1] ?? 'object')))
    .toLowerCase()
    .replace(/ /g, '_');
  return { type, name: unquote(m[2]!) };
}
