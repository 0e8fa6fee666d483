// Percona audit_log CSV format (audit_log_format=CSV), as written by plugin/audit_log/audit_log.cc:
// every text field is quoted with '"' doubled inside, numbers (STATUS) are not quoted, and control
// characters are written raw, so a quoted SQL text may span several lines. Layouts:
//   general records:    NAME,RECORD,TIMESTAMP,COMMAND_CLASS,CONNECTION_ID,STATUS,SQLTEXT,USER,HOST,OS_USER,IP,DB
//   connection records: NAME,RECORD,TIMESTAMP,CONNECTION_ID,STATUS,USER,PRIV_USER,OS_LOGIN,PROXY_USER,HOST,IP,DB
//   audit start / stop: NAME,RECORD,TIMESTAMP,MYSQL_VERSION,STARTUP_OPTIONS,OS_VERSION
// https://docs.percona.com/percona-server/8.0/audit-log-plugin.html
import { DEFAULT_MAX_RECORD_BYTES, splitLineBatches, type Line, quoteCount } from '../../pipeline/lines.js';
import { OversizeLines, oversizeRecord, rawFromLines } from '../../pipeline/record.js';
import type { RawRecord } from '../../pipeline/types.js';

const MAX_LINES = 10000;
/** The start of a record: a quoted name, then the quoted RECORD id `<n>_<date>`. */
export const CSV_RECORD_START = /^"[A-Za-z][A-Za-z ]{0,30}","\d+_\d{4}-\d\d-\d\dT/;

/** Frames CSV records: lines are joined while a quoted field is open (odd number of quotes). */
export async function* frameCsvRecords(
  chunks: AsyncIterable<Buffer>,
  file: string,
  maxBytes = DEFAULT_MAX_RECORD_BYTES,
): AsyncGenerator<RawRecord> {
  let pending: Line[] = [];
  let quotes = 0;
  let bytes = 0;
  /** The open record once it grew past the limit (--max-record-bytes): hashed as it goes, never held whole. */
  let big: OversizeLines | null = null;
  for await (const batch of splitLineBatches(chunks, { maxLineBytes: maxBytes }))
    for (const l of batch) {
      if (l.oversize) {
        // Over the limit: rejected with its head and hash. An open record it continued is rejected
        // too; reading resumes at the next record start.
        if (big) {
          yield big.record();
          big = null;
        } else if (pending.length > 0)
          yield rawFromLines(
            file,
            pending,
            `record longer than the limit of ${maxBytes} bytes (--max-record-bytes): its line ${l.line} is rejected on its own`,
          );
        pending = [];
        quotes = 0;
        bytes = 0;
        yield oversizeRecord(file, l);
        continue;
      }
      const start = CSV_RECORD_START.test(l.text);
      if (big) {
        if (!start) {
          big.add(l);
          quotes += quoteCount(l.text);
          if (quotes % 2 === 0) {
            yield big.record();
            big = null;
            quotes = 0;
          }
          continue;
        }
        yield big.record();
        big = null;
        quotes = 0;
      }
      if (pending.length === 0 && l.text.trim() === '') continue;
      if (pending.length > 0 && start) {
        // A record start while a quoted field is open: the open record is damaged (a lost line or a
        // stray quote); it costs itself only, and this line starts the next record.
        yield rawFromLines(
          file,
          pending,
          `damaged CSV record: a quoted field is still open when the next record starts at line ${l.line}`,
        );
        pending = [];
        quotes = 0;
        bytes = 0;
      }
      if (pending.length > 0 && bytes + l.byteLength > maxBytes) {
        big = new OversizeLines(file, pending, maxBytes);
        big.add(l);
        pending = [];
        bytes = 0;
        quotes += quoteCount(l.text);
        if (quotes % 2 === 0) {
          yield big.record();
          big = null;
          quotes = 0;
        }
        continue;
      }
      pending.push(l);
      bytes += l.byteLength;
      quotes += quoteCount(l.text);
      if (quotes % 2 === 0) {
        yield rawFromLines(file, pending);
        pending = [];
        quotes = 0;
        bytes = 0;
        continue;
      }
      if (pending.length >= MAX_LINES) {
        yield rawFromLines(file, pending, `a quoted field stays open for ${MAX_LINES} lines: not a CSV audit record`);
        pending = [];
        quotes = 0;
        bytes = 0;
      }
    }
  if (big) yield big.record();
  else if (pending.length)
    yield rawFromLines(file, pending, 'truncated CSV record: the input ends inside a quoted field');
}

export interface CsvFields {
  values: string[];
  quoted: boolean[];
}

/** Splits one CSV record into fields. Returns an error message when the quoting is broken. */
export function parseCsvRecord(text: string): CsvFields | { error: string } {
  const values: string[] = [];
  const quoted: boolean[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 0x22) {
      let out = '';
      let seg = i + 1;
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return { error: `a quoted field starting at character ${i + 1} never closes` };
        if (text.charCodeAt(q + 1) === 0x22) {
          out += text.slice(seg, q + 1);
          j = q + 2;
          seg = j;
          continue;
        }
        out += text.slice(seg, q);
        i = q + 1;
        break;
      }
      values.push(out);
      quoted.push(true);
      if (i >= n) break;
      if (text.charCodeAt(i) !== 0x2c) return { error: `unexpected text after a quoted field at character ${i + 1}` };
      i++;
      continue;
    }
    const c = text.indexOf(',', i);
    if (c < 0) {
      values.push(text.slice(i));
      quoted.push(false);
      break;
    }
    values.push(text.slice(i, c));
    quoted.push(false);
    i = c + 1;
  }
  return { values, quoted };
}

const GENERAL = [
  'NAME',
  'RECORD',
  'TIMESTAMP',
  'COMMAND_CLASS',
  'CONNECTION_ID',
  'STATUS',
  'SQLTEXT',
  'USER',
  'HOST',
  'OS_USER',
  'IP',
  'DB',
];
const CONNECTION = [
  'NAME',
  'RECORD',
  'TIMESTAMP',
  'CONNECTION_ID',
  'STATUS',
  'USER',
  'PRIV_USER',
  'OS_LOGIN',
  'PROXY_USER',
  'HOST',
  'IP',
  'DB',
];
const AUDIT = ['NAME', 'RECORD', 'TIMESTAMP', 'MYSQL_VERSION', 'STARTUP_OPTIONS', 'OS_VERSION'];

/** Names the fields of a CSV record by its layout (see the header comment). */
export function csvFieldMap(f: CsvFields): Record<string, string> | { error: string } {
  let names: string[];
  if (f.values.length === 6) names = AUDIT;
  else if (f.values.length === 12)
    names = f.quoted[4] ? GENERAL : CONNECTION; // STATUS is the only unquoted field
  else return { error: `expected 12 fields (or 6 for an Audit / NoAudit record), found ${f.values.length}` };
  const out: Record<string, string> = {};
  names.forEach((n, k) => {
    out[n] = f.values[k]!;
  });
  return out;
}
