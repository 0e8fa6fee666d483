// SQL redaction by tokens, not by text patterns: the statement is split into string literals
// ('...', E'...', N'...', _charset'...', "...", $tag$...$tag$), quoted identifiers ("..." and
// `...`), comments (-- and nested /* */), words and punctuation; then the literals that hold
// secrets are replaced, whatever the spacing, comments or order around them. Rules: src/redact/policy.ts
// (RULES) and README "What is redacted".
//
// Backslashes: MySQL strings and PostgreSQL E'' strings take backslash escapes, standard PostgreSQL
// strings (standard_conforming_strings on) do not. The statement is tokenized with backslash
// escapes first and, when that does not tokenize, without: a PostgreSQL 'C:\' then still ends
// where PostgreSQL ends it. A statement that tokenizes neither way (an unterminated quote, a
// truncated record) has every literal redacted, and everything from the unterminated quote on.
import { REDACTED, activePolicy, extrasActive, isSecretName } from './policy.js';
import { redactFreeText } from './text.js';

type Kind = 'word' | 'literal' | 'dliteral' | 'qident' | 'punct' | 'number' | 'param';
interface Token {
  kind: Kind;
  start: number;
  end: number;
  text: string;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const LITERAL_PREFIX = /^(?:[EeNnBbXx]|[Uu]&|_[A-Za-z0-9]+)$/;

/** Index just past the nested block comment opening at `i`, or -1 when it is not closed. */
function blockCommentEnd(sql: string, i: number): number {
  const n = sql.length;
  let depth = 1;
  let j = i + 2;
  while (j < n && depth > 0) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j += 2;
    } else j++;
  }
  return depth > 0 ? -1 : j;
}

/** Index of the quote `c` closing the quoted text opened just before `j` (doubled quotes and, when
 *  `escapes`, backslash escapes skipped), or -1 when it is not closed. */
function closingQuote(sql: string, j: number, c: string, escapes: boolean): number {
  const n = sql.length;
  for (;;) {
    if (j >= n) return -1;
    const d = sql[j]!;
    if (d === '\\' && escapes && c !== '`') {
      j += 2;
      continue;
    }
    if (d === c) {
      if (sql[j + 1] === c) {
        j += 2;
        continue;
      }
      return j;
    }
    j++;
  }
}

/** Start of the literal whose quote `c` is at `i`: a prefix word glued to a single quote (E'', N'',
 *  _utf8mb4'') belongs to the literal and is taken off `out`. */
function literalStart(out: Token[], i: number, c: string): number {
  const prev = out[out.length - 1];
  if (c === "'" && prev && prev.kind === 'word' && prev.end === i && LITERAL_PREFIX.test(prev.text)) {
    out.pop();
    return prev.start;
  }
  return i;
}

/** At a '$' at `i`: pushes a dollar-quoted literal or a $n parameter and returns the index after it;
 *  -1 for an unterminated dollar quote; `i` when neither starts here. */
function dollarToken(sql: string, i: number, out: Token[]): number {
  const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
  if (m) {
    const close = sql.indexOf(m[0], i + m[0].length);
    if (close < 0) return -1;
    out.push({ kind: 'literal', start: i, end: close + m[0].length, text: sql.slice(i, close + m[0].length) });
    return close + m[0].length;
  }
  const p = /^\$\d+/.exec(sql.slice(i, i + 12));
  if (p) {
    out.push({ kind: 'param', start: i, end: i + p[0].length, text: p[0] });
    return i + p[0].length;
  }
  return i;
}

/** Tokens of `sql`, or the index of an unterminated quote / comment when it does not tokenize. */
function tokenize(sql: string, backslash: boolean): Token[] | { failedAt: number; tokens: Token[] } {
  const out: Token[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const e = sql.indexOf('\n', i);
      i = e < 0 ? n : e + 1;
      continue;
    }
    if (c === '#' && !backslash) {
      out.push({ kind: 'punct', start: i, end: i + 1, text: c });
      i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const j = blockCommentEnd(sql, i);
      if (j < 0) return { failedAt: i, tokens: out };
      i = j;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      const prev = out[out.length - 1];
      const escapes = backslash || (prev !== undefined && prev.end === i && /^[Ee]$/.test(prev.text));
      const start = literalStart(out, i, c);
      const j = closingQuote(sql, i + 1, c, escapes);
      if (j < 0) return { failedAt: start, tokens: out };
      out.push({
        kind: c === "'" ? 'literal' : c === '"' ? 'dliteral' : 'qident',
        start,
        end: j + 1,
        text: sql.slice(start, j + 1),
      });
      i = j + 1;
      continue;
    }
    if (c === '$') {
      const j = dollarToken(sql, i, out);
      if (j < 0) return { failedAt: i, tokens: out };
      if (j > i) {
        i = j;
        continue;
      }
    }
    if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < n && WORD_CHAR.test(sql[j]!)) j++;
      out.push({ kind: 'word', start: i, end: j, text: sql.slice(i, j) });
      i = j;
      continue;
    }
    if (c >= '0' && c <= '9') {
      let j = i + 1;
      while (j < n && /[0-9.eE]/.test(sql[j]!)) j++;
      out.push({ kind: 'number', start: i, end: j, text: sql.slice(i, j) });
      i = j;
      continue;
    }
    out.push({ kind: 'punct', start: i, end: i + 1, text: c });
    i++;
  }
  return out;
}

const isLiteral = (t: Token | undefined): boolean => t !== undefined && (t.kind === 'literal' || t.kind === 'dliteral');
const upper = (t: Token | undefined): string => (t && t.kind === 'word' ? t.text.toUpperCase() : '');
const CLAUSE_END = new Set([
  'REQUIRE',
  'COMMENT',
  'ATTRIBUTE',
  'DEFAULT',
  'ACCOUNT',
  'FAILED_LOGIN_ATTEMPTS',
  'PASSWORD_LOCK_TIME',
  'RETAIN',
  'DISCARD',
]);
const DBLINK_CONNECT = /^dblink_connect(?:_u)?$/i;
const DBLINK_ANY = /^dblink(?:_\w+)?$/i;

/** Indexes of the tokens whose literal holds a secret. */
function secretLiterals(t: Token[]): Set<number> {
  const hit = new Set<number>();
  const n = t.length;
  const userMapping = t.some((x, k) => upper(x) === 'USER' && upper(t[k + 1]) === 'MAPPING');
  for (let k = 0; k < n; k++) {
    const tok = t[k]!;
    const u = upper(tok);
    // A secret-named word or quoted identifier: the next literal (after = ( := and PASSWORD).
    if (
      (tok.kind === 'word' || tok.kind === 'qident' || tok.kind === 'dliteral') &&
      isSecretName(tok.kind === 'word' ? tok.text : tok.text.slice(1, -1))
    ) {
      let j = k + 1;
      while (
        j < n &&
        ((t[j]!.kind === 'punct' && /^[=(:<>!]$/.test(t[j]!.text)) ||
          /^(?:PASSWORD|OLD_PASSWORD|ENCRYPTED|UNENCRYPTED|LIKE|IS|IN)$/.test(upper(t[j])))
      )
        j++;
      if (isLiteral(t[j])) hit.add(j);
      if (u === 'PASSWORD' && upper(t[k - 1]) === 'SET' && (k === 1 || t[k - 2]!.text === ';')) {
        // SET PASSWORD [FOR user[@host]] = '...' | PASSWORD('...'): every literal after the '='.
        let eq = k + 1;
        while (eq < n && !(t[eq]!.kind === 'punct' && (t[eq]!.text === '=' || t[eq]!.text === ';'))) eq++;
        for (let m = eq + 1; m < n && t[m]!.text !== ';'; m++) if (isLiteral(t[m])) hit.add(m);
      }
    }
    if (u === 'IDENTIFIED') {
      // IDENTIFIED BY 'x' [REPLACE 'old'], WITH plugin [BY|AS 'x'], VIA plugin USING 'x' [OR ...]:
      // every literal up to the end of this user's clause but the plugin name right after WITH/VIA.
      let depth = 0;
      for (let m = k + 1; m < n; m++) {
        const x = t[m]!;
        if (x.kind === 'punct') {
          if (x.text === '(') depth++;
          else if (x.text === ')') depth--;
          else if (x.text === ';' || (x.text === ',' && depth <= 0)) break;
          continue;
        }
        if (CLAUSE_END.has(upper(x))) break;
        if (isLiteral(x) && !/^(?:WITH|VIA)$/.test(upper(t[m - 1]))) hit.add(m);
      }
    }
    if (u === 'CONNECTION' && isLiteral(t[k + 1])) hit.add(k + 1);
    if (u === 'OPTIONS' && userMapping && t[k + 1]?.text === '(') {
      // USER MAPPING options are credentials: all but the user name.
      let depth = 0;
      for (let m = k + 1; m < n; m++) {
        const x = t[m]!;
        if (x.text === '(') depth++;
        else if (x.text === ')') {
          if (--depth === 0) break;
        } else if (isLiteral(x) && !/^(?:USER|USERNAME)$/.test(upper(t[m - 1]))) hit.add(m);
      }
    }
    if (tok.kind === 'word' && t[k + 1]?.text === '(' && (DBLINK_CONNECT.test(tok.text) || DBLINK_ANY.test(tok.text))) {
      // dblink_connect('name', 'conninfo'): every argument; other dblink functions: conninfo arguments.
      let depth = 0;
      for (let m = k + 1; m < n; m++) {
        const x = t[m]!;
        if (x.text === '(') depth++;
        else if (x.text === ')') {
          if (--depth === 0) break;
        } else if (isLiteral(x) && depth === 1 && (DBLINK_CONNECT.test(tok.text) || /=/.test(x.text))) hit.add(m);
      }
    }
  }
  return hit;
}

function replacement(tok: Token): string {
  return tok.kind === 'dliteral' ? `"${REDACTED}"` : `'${REDACTED}'`;
}

// Grouped by first letter (the same words as /pass|pwd|identified|secret|token|key|auth|credential|
// connection|dblink|mapping|:\/\/|\bpw\b|dsn|cookie/i): it runs on every statement, and the grouped
// alternation costs V8 about a fifth fewer instructions.
const GATE =
  /p(?:ass|wd)|identified|secret|token|key|auth|c(?:redential|o(?:nnection|okie))|d(?:blink|sn)|mapping|:\/\/|\bpw\b/i;

/** Redacts the secrets of one SQL statement (or several, separated by ';'). */
export function redactSql(sql: string): string {
  return redactSqlCounted(sql).text;
}

/** As redactSql, with the number of values redacted. */
export function redactSqlCounted(sql: string): { text: string; count: number } {
  if (!extrasActive() && !GATE.test(sql)) return { text: sql, count: 0 };
  let r = tokenize(sql, true);
  if (!Array.isArray(r)) {
    const s = tokenize(sql, false);
    if (Array.isArray(s)) r = s;
  }
  let tokens: Token[];
  let failedAt = -1;
  let hit: Set<number>;
  if (Array.isArray(r)) {
    tokens = r;
    hit = secretLiterals(tokens);
  } else {
    // Not tokenizable: every literal goes, and everything from the unterminated quote on.
    const s = tokenize(sql, false);
    const failed = Array.isArray(s) ? r : s.failedAt >= r.failedAt ? s : r;
    tokens = failed.tokens;
    failedAt = failed.failedAt;
    hit = new Set(tokens.map((x, k) => (isLiteral(x) ? k : -1)).filter((k) => k >= 0));
  }
  let out = '';
  let at = 0;
  let count = 0;
  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k]!;
    if (!isLiteral(tok)) continue;
    let rep: string | null = null;
    if (hit.has(k)) {
      if (!tok.text.includes(REDACTED)) rep = replacement(tok);
    } else {
      // Connection strings and URLs inside any literal: password=..., user:secret@host.
      const inner = tok.text;
      const f = redactFreeText(inner);
      if (f.count > 0) {
        rep = f.text;
        count += f.count - 1;
      }
    }
    if (rep !== null) {
      out += sql.slice(at, tok.start) + rep;
      at = tok.end;
      count++;
    }
  }
  if (failedAt >= 0) {
    out += sql.slice(at, failedAt) + `'${REDACTED}`;
    count++;
    return { text: out, count };
  }
  if (at === 0) return { text: sql, count: 0 };
  return { text: out + sql.slice(at), count };
}

/** Names (columns, functions) the statement mentions that match the secret-name rules. */
export function touchesSecretName(sql: string): boolean {
  let r = tokenize(sql, true);
  if (!Array.isArray(r)) r = r.tokens;
  for (const tok of r) {
    if (tok.kind === 'word' && isSecretName(tok.text)) return true;
    if (tok.kind === 'qident' || tok.kind === 'dliteral') {
      if (isSecretName(tok.text.slice(1, -1))) return true;
    }
  }
  return false;
}

/**
 * The bind parameters to keep for a statement (pgaudit PARAMETER): REDACTED when the policy says
 * `parameters: all`, or when the statement names a secret-like column or function
 * (`INSERT INTO users (name, pw) VALUES ($1, $2)`); else the parameters with the free-text rules
 * applied (a conninfo or URL among them). Null stays null, and pgaudit's <none>/<not logged> stay.
 */
export function redactParameters(statement: string | null, parameter: string | null): string | null {
  if (
    parameter === null ||
    parameter === '<none>' ||
    parameter === '<not logged>' ||
    parameter === '<previously logged>'
  )
    return parameter;
  if (activePolicy().parameters === 'all' || statement === null || touchesSecretName(statement)) return REDACTED;
  return redactFreeText(parameter).text;
}
