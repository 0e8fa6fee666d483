// PostgreSQL csvlog: one CSV row per message (a quoted field may span lines). Columns, per
// https://www.postgresql.org/docs/current/runtime-config-logging.html#RUNTIME-CONFIG-LOGGING-CSVLOG :
//   log_time, user_name, database_name, process_id, connection_from, session_id,
//   session_line_num, command_tag, session_start_time, virtual_transaction_id, transaction_id,
//   error_severity, sql_state_code, message, detail, hint, internal_query, internal_query_pos,
//   context, query, query_pos, location, application_name,
//   backend_type (PostgreSQL 13+), leader_pid, query_id (PostgreSQL 14+).
// So a row has 23 (12 and older), 24 (13) or 26 (14 to 17) columns. Some collectors drop
// application_name (CloudNativePG's test data: 23 columns ending with the backend type), so the
// layout is told from the row, not from a fixed count.
import { DEFAULT_MAX_RECORD_BYTES, splitLineBatches, type Line, quoteCount } from '../../pipeline/lines.js';
import { OversizeLines, oversizeRecord, rawFromLines } from '../../pipeline/record.js';
import type { RawRecord } from '../../pipeline/types.js';
import { eachRecord } from '../../pipeline/batch.js';
import { pgValue, splitConnectionFrom, type LogLine, type TimeReader } from './log-line.js';

/** A line that starts a csvlog row: a time stamp followed by a comma. */
export const CSVLOG_ROW_START = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [^,\s]+)?,/;

const odd = (line: Line): boolean => quoteCount(line.text) % 2 === 1;

/** The row frameCsvlog holds open (a quoted field spanning lines), and the rare cases around it: an
 *  over-long line, the rest of an over-long row, a row grown past the limit (hashed as it goes). */
class OpenRow {
  cur: Line[] = [];
  open = false;
  bytes = 0;
  /** The open row once it grew past the limit: hashed as it goes, never held whole. */
  big: OversizeLines | null = null;
  /** Line number of an over-long line: the lines after it up to the next row start are what is left of its row. */
  tailOf: number | null = null;

  constructor(
    readonly file: string,
    readonly maxBytes: number,
  ) {}

  /** An over-long line: the row held so far, if any, to yield before the line's own record. */
  overLong(line: Line): RawRecord | null {
    let held: RawRecord | null = null;
    if (this.big) {
      held = this.big.record();
      this.big = null;
    } else if (this.cur.length > 0)
      held = rawFromLines(
        this.file,
        this.cur,
        this.open || this.tailOf !== null
          ? `record longer than the limit of ${this.maxBytes} bytes (--max-record-bytes): its line ${line.line} is rejected on its own`
          : undefined,
      );
    this.cur = [];
    this.bytes = 0;
    this.open = false;
    this.tailOf = line.line; // its quote may still be open: what follows up to the next row start is the rest of it
    return held;
  }

  /** A line (not a row start) after an over-long line: the rest of its row. */
  addToTail(line: Line): void {
    if (this.big) this.big.add(line);
    else {
      this.cur.push(line);
      this.bytes += line.byteLength;
      if (this.bytes > this.maxBytes) {
        this.big = new OversizeLines(this.file, this.cur, this.maxBytes);
        this.cur = [];
        this.bytes = 0;
      }
    }
  }

  /** A row starts after an over-long line: the rest of the over-long row, if any, to yield. */
  endTail(): RawRecord | null {
    let rest: RawRecord | null = null;
    if (this.big) {
      rest = this.big.record();
      this.big = null;
    } else if (this.cur.length > 0) rest = rawFromLines(this.file, this.cur, this.restOfOverLong());
    this.cur = [];
    this.bytes = 0;
    this.tailOf = null;
    return rest;
  }

  restOfOverLong(): string {
    return `the rest of the over-long record at line ${this.tailOf} (record longer than the limit of ${this.maxBytes} bytes, --max-record-bytes)`;
  }

  /** The over-long row, done. */
  closeBig(big: OversizeLines): RawRecord {
    this.big = null;
    this.open = false;
    return big.record();
  }

  /** A line (not a row start) of the over-long row: the row once its quote closes. */
  addToBig(big: OversizeLines, line: Line): RawRecord | null {
    big.add(line);
    return odd(line) ? this.closeBig(big) : null;
  }

  /** A line (not a row start) of the open row: the row once its quote closes. */
  continueRow(line: Line): RawRecord | null {
    if (this.bytes + line.byteLength > this.maxBytes) {
      const big = new OversizeLines(this.file, this.cur, this.maxBytes);
      this.big = big;
      this.cur = [];
      this.bytes = 0;
      return this.addToBig(big, line);
    }
    this.cur.push(line);
    this.bytes += line.byteLength;
    if (odd(line)) this.open = false;
    if (this.open) return null;
    const row = rawFromLines(this.file, this.cur);
    this.cur = [];
    return row;
  }

  /** A row starts while one is open: the open one was truncated, and is yielded as it is. */
  truncated(): RawRecord {
    const row = rawFromLines(this.file, this.cur);
    this.cur = [];
    this.open = false;
    return row;
  }

  openRow(line: Line): void {
    this.cur = [line];
    this.bytes = line.byteLength;
    this.open = true;
  }

  /** End of input: the row still held, if any. */
  finish(): RawRecord | null {
    if (this.big) return this.big.record();
    if (this.cur.length > 0)
      return rawFromLines(this.file, this.cur, this.tailOf !== null ? this.restOfOverLong() : undefined);
    return null;
  }
}

/**
 * Frames csvlog rows: lines are joined while a quoted field is open. A row that is still open when
 * a new row obviously starts (a time stamp and a comma at the start of a line) was truncated: it is
 * yielded as it is and the reader rejects it, so it never swallows the rows after it.
 */
export function frameCsvlog(...args: Parameters<typeof frameCsvlogBatches>): AsyncGenerator<RawRecord> {
  return eachRecord(frameCsvlogBatches(...args));
}

export async function* frameCsvlogBatches(
  chunks: AsyncIterable<Buffer>,
  file: string,
  maxBytes = DEFAULT_MAX_RECORD_BYTES,
): AsyncGenerator<RawRecord[]> {
  const row = new OpenRow(file, maxBytes);
  for await (const batch of splitLineBatches(chunks, { maxLineBytes: maxBytes })) {
    const out: RawRecord[] = [];
    for (const line of batch) {
      if (line.oversize) {
        const held = row.overLong(line);
        if (held) out.push(held);
        out.push(oversizeRecord(file, line));
        continue;
      }
      const rowStart = CSVLOG_ROW_START.test(line.text);
      if (row.tailOf !== null) {
        if (!rowStart) {
          row.addToTail(line);
          continue;
        }
        const rest = row.endTail();
        if (rest) out.push(rest);
      }
      const big = row.big;
      if (big) {
        // An over-long row: its lines are hashed until its quote closes or a new row starts.
        if (!rowStart) {
          const done = row.addToBig(big, line);
          if (done) out.push(done);
          continue;
        }
        out.push(row.closeBig(big));
      }
      if (row.cur.length > 0 && row.open) {
        if (rowStart) out.push(row.truncated());
        else {
          const done = row.continueRow(line);
          if (done) out.push(done);
          continue;
        }
      }
      if (odd(line)) {
        row.openRow(line);
        continue;
      }
      out.push(rawFromLines(file, [line]));
    }
    if (out.length > 0) yield out;
  }
  const out: RawRecord[] = [];
  const last = row.finish();
  if (last) out.push(last);
  if (out.length > 0) yield out;
}

/** Parses one CSV row (RFC 4180 quoting, as PostgreSQL writes it). */
export function parseCsvRow(text: string): string[] | { error: string } {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let value = '';
      let start = i + 1;
      for (;;) {
        const q = text.indexOf('"', start);
        if (q < 0)
          return { error: `csvlog column ${out.length + 1} opens a quote that never closes (the row is truncated)` };
        if (text.charCodeAt(q + 1) === 34) {
          value += text.slice(start, q + 1);
          start = q + 2;
          continue;
        }
        value += text.slice(start, q);
        i = q + 1;
        break;
      }
      out.push(value);
      if (i >= n) return out;
      if (text.charCodeAt(i) !== 44)
        return { error: `unexpected text after the closing quote of csvlog column ${out.length}` };
      i++;
    } else {
      const c = text.indexOf(',', i);
      if (c < 0) {
        out.push(text.slice(i));
        return out;
      }
      out.push(text.slice(i, c));
      i = c + 1;
    }
  }
}

/** Backend types PostgreSQL writes (pg_stat_activity.backend_type), to tell the 23-column layouts apart. */
export const BACKEND_TYPES = new Set([
  'client backend',
  'autovacuum launcher',
  'autovacuum worker',
  'background worker',
  'background writer',
  'checkpointer',
  'logical replication launcher',
  'logical replication worker',
  'parallel worker',
  'postmaster',
  'startup',
  'walreceiver',
  'walsender',
  'walwriter',
  'archiver',
  'stats collector',
  'not initialized',
  'standalone backend',
  'slotsync worker',
  'walsummarizer',
  'io worker',
  'logger',
  'wal sender',
  'wal receiver',
]);

export type CsvlogLayout = 'pg12' | 'pg12-no-application' | 'pg13' | 'pg14';

export function csvlogLayout(cols: string[]): CsvlogLayout | null {
  if (cols.length === 26) return 'pg14';
  if (cols.length === 24) return 'pg13';
  if (cols.length === 23) return BACKEND_TYPES.has(cols[22]!) ? 'pg12-no-application' : 'pg12';
  return null;
}

export function parseCsvlogRecord(
  text: string,
  times: TimeReader,
): { line: LogLine; layout: CsvlogLayout } | { error: string } {
  const cols = parseCsvRow(text);
  if (!Array.isArray(cols)) return cols;
  const layout = csvlogLayout(cols);
  if (!layout)
    return { error: `csvlog row has ${cols.length} columns, expected 23 (PostgreSQL 12), 24 (13) or 26 (14 to 17)` };
  const t = times.read(cols[0]); // log_time
  if (t.invalid) return { error: `csvlog log_time '${cols[0]!.slice(0, 40)}' is not a time that exists: ${t.invalid}` };
  if (!t.iso)
    return {
      error: `csvlog log_time '${cols[0]!.slice(0, 40)}' is not a time stamp this tool can read (pass --timezone)`,
    };
  const from = splitConnectionFrom(cols[4]); // connection_from
  const application = layout === 'pg12-no-application' ? null : pgValue(cols[22]); // application_name
  const backendType =
    layout === 'pg12-no-application' ? pgValue(cols[22]) : layout === 'pg12' ? null : pgValue(cols[23]); // backend_type
  return {
    layout,
    line: {
      timestamp: t.iso,
      zoneAssumed: t.assumed,
      user: pgValue(cols[1]), // user_name
      database: pgValue(cols[2]), // database_name
      application,
      host: from.host,
      port: from.port,
      pid: pgValue(cols[3]), // process_id
      sessionId: pgValue(cols[5]), // session_id
      vxid: pgValue(cols[9]), // virtual_transaction_id
      backendType,
      severity: cols[11]!, // error_severity
      sqlstate: pgValue(cols[12]), // sql_state_code
      message: cols[13]!, // message
      userKnowable: true,
      ...(t.leap ? { leapSecond: true } : {}),
    },
  };
}
