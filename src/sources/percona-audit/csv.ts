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
  const framer = new CsvFramer(file, maxBytes);
  const out: RawRecord[] = [];
  for await (const batch of splitLineBatches(chunks, { maxLineBytes: maxBytes }))
    for (const l of batch) {
      framer.take(l, out);
      for (const r of out) yield r;
      out.length = 0;
    }
  const last = framer.end();
  if (last) yield last;
}

/** The open record: its lines, the quotes counted so far, its bytes; or, once past the limit, its hash. */
class CsvFramer {
  private pending: Line[] = [];
  private quotes = 0;
  private bytes = 0;
  /** The open record once it grew past the limit (--max-record-bytes): hashed as it goes, never held whole. */
  private big: OversizeLines | null = null;

  constructor(
    private readonly file: string,
    private readonly maxBytes: number,
  ) {}

  /** Takes one line; the records it completes go to `out`. */
  take(l: Line, out: RawRecord[]): void {
    if (l.oversize) {
      this.oversizeLine(l, out);
      return;
    }
    const start = CSV_RECORD_START.test(l.text);
    if (this.big) {
      if (!start) {
        this.big.add(l);
        this.addQuotes(l, out);
        return;
      }
      out.push(this.big.record());
      this.big = null;
      this.quotes = 0;
    }
    if (this.pending.length === 0 && l.text.trim() === '') return;
    if (this.pending.length > 0 && start) {
      // A record start while a quoted field is open: the open record is damaged (a lost line or a
      // stray quote); it costs itself only, and this line starts the next record.
      out.push(
        rawFromLines(
          this.file,
          this.pending,
          `damaged CSV record: a quoted field is still open when the next record starts at line ${l.line}`,
        ),
      );
      this.reset();
    }
    if (this.pending.length > 0 && this.bytes + l.byteLength > this.maxBytes) {
      this.big = new OversizeLines(this.file, this.pending, this.maxBytes);
      this.big.add(l);
      this.pending = [];
      this.bytes = 0;
      this.addQuotes(l, out);
      return;
    }
    this.pending.push(l);
    this.bytes += l.byteLength;
    this.quotes += quoteCount(l.text);
    if (this.quotes % 2 === 0) {
      out.push(rawFromLines(this.file, this.pending));
      this.reset();
    } else if (this.pending.length >= MAX_LINES) {
      out.push(
        rawFromLines(
          this.file,
          this.pending,
          `a quoted field stays open for ${MAX_LINES} lines: not a CSV audit record`,
        ),
      );
      this.reset();
    }
  }

  /** The input ended: an open record is truncated. */
  end(): RawRecord | null {
    if (this.big) return this.big.record();
    if (this.pending.length)
      return rawFromLines(this.file, this.pending, 'truncated CSV record: the input ends inside a quoted field');
    return null;
  }

  /**
   * A line over the limit: rejected with its head and hash. An open record it continued is
   * rejected too; reading resumes at the next record start.
   */
  private oversizeLine(l: Line, out: RawRecord[]): void {
    if (this.big) {
      out.push(this.big.record());
      this.big = null;
    } else if (this.pending.length > 0)
      out.push(
        rawFromLines(
          this.file,
          this.pending,
          `record longer than the limit of ${this.maxBytes} bytes (--max-record-bytes): its line ${l.line} is rejected on its own`,
        ),
      );
    this.reset();
    out.push(oversizeRecord(this.file, l));
  }

  /** Counts a line's quotes into the over-long record; an even count closes it. */
  private addQuotes(l: Line, out: RawRecord[]): void {
    this.quotes += quoteCount(l.text);
    if (this.quotes % 2 === 0) {
      out.push(this.big!.record());
      this.big = null;
      this.quotes = 0;
    }
  }

  private reset(): void {
    this.pending = [];
    this.quotes = 0;
    this.bytes = 0;
  }
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
