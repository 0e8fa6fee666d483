// Parser for one MariaDB server_audit record (one line of the plugin's file output).
// Format: https://mariadb.com/kb/en/mariadb-audit-plugin-log-format/
//   timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode
// and, as written by the plugin source (plugin/server_audit/server_audit.c):
//   - timestamp `YYYYMMDD HH:MM:SS` in the server's local time, no zone; Amazon Aurora / RDS
//     exports write Unix epoch microseconds instead, and may append a connection-type field
//     (`...,0,SOCKET`) or an empty one (`...,0,,`);
//   - QUERY objects are quoted '...'; inside, the plugin escapes \b \t \n \f \r \' and \\ with a
//     backslash (escape_string), so a record is always one line and commas inside the quotes are
//     not separators;
//   - TABLE events: database,object = db,table with an empty retcode; RENAME writes
//     `db,table|new_db.new_table,`; CHANGE_USER writes the new user as `name` in backquotes;
//     AUDIT_CONFIG writes `variable=value` unquoted (the value may contain commas);
//   - MariaDB 12 writes the client as host:port.
// Pure: a hand-written scanner (no regular expression over the whole line), so that a long SQL
// text costs one pass.

export interface ServerAuditRecord {
  /** The timestamp field as written. */
  timestamp: string;
  serverhost: string;
  username: string;
  host: string;
  connectionId: string;
  queryId: string;
  operation: string;
  database: string;
  /** The object field, unquoted and unescaped when it was quoted. */
  object: string;
  /** True when the object was a quoted SQL text. */
  quoted: boolean;
  retcode: string;
  /** 11th field (Aurora / RDS): the connection type, e.g. SOCKET, TCP/IP, SSL. */
  connectionType: string | null;
  /** Any fields after the 11th, as written. */
  extra: string[];
}

export type ParseResult = { ok: true; record: ServerAuditRecord } | { ok: false; error: string };

const FIELD_NAMES = 'timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode';
const MAX_FIELDS = 12;

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  "'": "'",
  '\\': '\\',
  '0': '\0',
};

/**
 * Reads the quoted object (SQL text) starting at line[i] (a quote): its unescaped text and the
 * index after the closing quote, or the reason it cannot be read.
 */
function readQuoted(line: string, i: number): { text: string; end: number } | { error: string } {
  const n = line.length;
  let out = '';
  let seg = i + 1;
  let j = i + 1;
  while (j < n) {
    const c = line.charCodeAt(j);
    if (c === 0x5c) {
      // backslash escape
      if (j + 1 >= n) break;
      const e = line[j + 1]!;
      out += line.slice(seg, j) + (ESCAPES[e] ?? e);
      j += 2;
      seg = j;
      continue;
    }
    if (c === 0x27) return { text: out + line.slice(seg, j), end: j + 1 };
    j++;
  }
  return { error: `the quoted object (SQL text) starting at column ${i + 1} never closes: the record is truncated` };
}

/** Splits a line into its fields (the object unquoted); quoted says whether the object was quoted. */
function splitFields(line: string): { fields: string[]; quoted: boolean } | { error: string } {
  const fields: string[] = [];
  let quoted = false;
  const n = line.length;
  let i = 0;
  for (;;) {
    // Field 8 (object) is the only one the plugin quotes.
    if (fields.length === 8 && line.charCodeAt(i) === 0x27) {
      const q = readQuoted(line, i);
      if ('error' in q) return q;
      fields.push(q.text);
      quoted = true;
      i = q.end;
      if (i >= n) break;
      if (line.charCodeAt(i) !== 0x2c) {
        return { error: `unexpected text after the quoted object at column ${i + 1} (expected a comma)` };
      }
      i++;
      continue;
    }
    const comma = line.indexOf(',', i);
    if (comma < 0) {
      fields.push(line.slice(i));
      break;
    }
    fields.push(line.slice(i, comma));
    i = comma + 1;
    if (fields.length > 64) break;
  }
  return { fields, quoted };
}

/** Parses one line. Never throws. */
export function parseServerAuditLine(line: string): ParseResult {
  const split = splitFields(line);
  if ('error' in split) return { ok: false, error: split.error };
  const { fields, quoted } = split;

  // AUDIT_CONFIG values are written unquoted and may contain commas (server_audit_events=A,B):
  // everything between the database and the last field is the object.
  if (fields.length > 10 && fields[6] === 'AUDIT_CONFIG' && !quoted) {
    const last = fields[fields.length - 1]!;
    fields.splice(8, fields.length - 8, fields.slice(8, -1).join(','), last);
  }
  if (fields.length < 10 || fields.length > MAX_FIELDS) {
    return {
      ok: false,
      error: `expected 10 comma-separated fields (${FIELD_NAMES}; Aurora / RDS add up to 2), found ${fields.length}`,
    };
  }
  const ts = fields[0]!;
  if (!isLocalTimestamp(ts) && !isEpoch(ts)) {
    return { ok: false, error: `timestamp '${ts.slice(0, 40)}' is neither YYYYMMDD HH:MM:SS nor Unix epoch time` };
  }
  if (!isDigits(fields[4]!)) return { ok: false, error: `connectionid '${fields[4]!.slice(0, 40)}' is not a number` };
  if (!isDigits(fields[5]!)) return { ok: false, error: `queryid '${fields[5]!.slice(0, 40)}' is not a number` };
  if (fields[6] === '') return { ok: false, error: 'the operation field is empty' };
  return {
    ok: true,
    record: {
      timestamp: ts,
      serverhost: fields[1]!,
      username: fields[2]!,
      host: fields[3]!,
      connectionId: fields[4]!,
      queryId: fields[5]!,
      operation: fields[6]!,
      database: fields[7]!,
      object: fields[8]!,
      quoted,
      retcode: fields[9]!,
      connectionType: fields.length > 10 ? fields[10]! : null,
      extra: fields.slice(11),
    },
  };
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 20) return false;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** `YYYYMMDD HH:MM:SS`. */
export function isLocalTimestamp(s: string): boolean {
  if (s.length !== 17 || s[8] !== ' ' || s[11] !== ':' || s[14] !== ':') return false;
  return isDigits(s.slice(0, 8)) && isDigits(s.slice(9, 11)) && isDigits(s.slice(12, 14)) && isDigits(s.slice(15, 17));
}

/** Unix epoch seconds (10 digits), milliseconds (13) or microseconds (16). */
export function isEpoch(s: string): boolean {
  return (s.length === 10 || s.length === 13 || s.length === 16) && isDigits(s);
}

/** Milliseconds since the epoch for an epoch field (see isEpoch). */
export function epochMillis(s: string): number {
  if (s.length === 16) return Math.floor(Number(s) / 1000);
  if (s.length === 13) return Number(s);
  return Number(s) * 1000;
}

/**
 * Encodes a string as the plugin writes a QUERY object (escape_string in server_audit.c), quotes
 * included. The inverse of the decoding above; used by tests and by anyone writing fixtures.
 */
export function encodeServerAuditString(s: string): string {
  let out = "'";
  for (const ch of s) {
    switch (ch) {
      case '\b':
        out += '\\b';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\r':
        out += '\\r';
        break;
      case "'":
        out += "\\'";
        break;
      case '\\':
        out += '\\\\';
        break;
      default:
        out += ch;
    }
  }
  return `${out}'`;
}
