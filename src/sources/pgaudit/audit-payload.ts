// The pgaudit payload: the text after "AUDIT: " is one CSV row, written by pgaudit's
// append_valid_csv (a field is quoted only when it holds a comma, a double quote, CR or LF; quotes
// inside are doubled). Fields, per https://github.com/pgaudit/pgaudit#format :
//   AUDIT_TYPE, STATEMENT_ID, SUBSTATEMENT_ID, CLASS, COMMAND, OBJECT_TYPE, OBJECT_NAME,
//   STATEMENT, PARAMETER[, ROWS]   (ROWS only with pgaudit.log_rows = on)
// PARAMETER is itself a CSV list of the bind values (so it is quoted when there is more than one),
// or <none> (no parameters) / <not logged> (pgaudit.log_parameter off). STATEMENT is
// <not logged> with pgaudit.log_statement = off and <previously logged> with log_statement_once.

export interface AuditRecord {
  auditType: string;
  statementId: number;
  substatementId: number;
  auditClass: string;
  command: string;
  objectType: string | null;
  objectName: string | null;
  /** The statement text, null when pgaudit did not log it (see statementMarker). */
  statement: string | null;
  /** '<not logged>' or '<previously logged>' when the statement text is absent. */
  statementMarker: string | null;
  /** The PARAMETER field as written: '<none>', '<not logged>' or the CSV list of values. */
  parameter: string | null;
  /** ROWS (pgaudit.log_rows), null when absent or empty. */
  rows: number | null;
}

export type CsvResult = { fields: string[] } | { error: string };

/**
 * Parses one CSV row as pgaudit writes it (from index `from` of `text`). A quoted field that never
 * closes (a truncated record) is an error, as is text after a closing quote.
 */
export function parseAuditCsv(text: string, from = 0): CsvResult {
  const fields: string[] = [];
  const n = text.length;
  let i = from;
  for (;;) {
    if (i < n && text.charCodeAt(i) === 34 /* " */) {
      let value = '';
      let start = i + 1;
      for (;;) {
        const q = text.indexOf('"', start);
        if (q < 0)
          return { error: `field ${fields.length + 1} opens a quote that never closes (the record is truncated)` };
        if (text.charCodeAt(q + 1) === 34) {
          value += text.slice(start, q + 1);
          start = q + 2;
          continue;
        }
        value += text.slice(start, q);
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return { fields };
      if (text.charCodeAt(i) !== 44 /* , */)
        return { error: `unexpected text after the closing quote of field ${fields.length}` };
      i++;
    } else {
      const c = text.indexOf(',', i);
      if (c < 0) {
        fields.push(text.slice(i));
        return { fields };
      }
      fields.push(text.slice(i, c));
      i = c + 1;
    }
  }
}

/** Encodes one value as pgaudit's append_valid_csv does (used by tests and by the parameter list). */
export function encodeAuditField(value: string): string {
  if (/[",\r\n]/.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

/** /^\d+$/ without the regex. */
function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const NOT_LOGGED = new Set(['<not logged>', '<previously logged>']);

/**
 * Parses the message of an AUDIT line ("AUDIT: SESSION,1,1,..."). Returns null when the message
 * is not a pgaudit record at all, an error when it is one that cannot be read.
 */
export function parseAuditMessage(message: string): { record: AuditRecord } | { error: string } | null {
  if (!message.startsWith('AUDIT: ')) return null;
  const csv = parseAuditCsv(message, 7);
  if ('error' in csv) return { error: `pgaudit record: ${csv.error}` };
  const f = csv.fields;
  if (f.length !== 9 && f.length !== 10)
    return { error: `pgaudit record has ${f.length} fields, expected 9 (or 10 with pgaudit.log_rows)` };
  const [auditType, sid, subid, auditClass, command, objectType, objectName, statement, parameter, rows] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (auditType !== 'SESSION' && auditType !== 'OBJECT')
    return { error: `pgaudit AUDIT_TYPE is '${auditType.slice(0, 40)}', expected SESSION or OBJECT` };
  if (!isDigits(sid) || !isDigits(subid)) return { error: 'pgaudit STATEMENT_ID / SUBSTATEMENT_ID are not numbers' };
  if (rows !== undefined && rows !== '' && !/^-?\d+$/.test(rows))
    return { error: `pgaudit ROWS is '${rows.slice(0, 40)}', expected a number` };
  const marker = statement.charCodeAt(0) === 60 /* < */ && NOT_LOGGED.has(statement) ? statement : null;
  return {
    record: {
      auditType,
      statementId: Number(sid),
      substatementId: Number(subid),
      auditClass,
      command,
      objectType: objectType === '' ? null : objectType,
      objectName: objectName === '' ? null : objectName,
      statement: marker ? null : statement,
      statementMarker: marker,
      parameter: parameter === '' ? null : parameter,
      rows: rows === undefined || rows === '' ? null : Number(rows),
    },
  };
}
