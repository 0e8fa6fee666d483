// PostgreSQL stderr logs: every message starts with the log_line_prefix and a severity; a message
// that spans several lines (multi-line SQL) continues on lines that do not start with the prefix
// (PostgreSQL starts each of them with a tab).
// Format: https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-LOG-LINE-PREFIX
import { DEFAULT_MAX_RECORD_BYTES, splitLineBatches, type Line } from '../../pipeline/lines.js';
import { OversizeLines, oversizeRecord, rawFromLines } from '../../pipeline/record.js';
import type { RawRecord } from '../../pipeline/types.js';
import { eachRecord } from '../../pipeline/batch.js';
import { matchPrefix, type CompiledPrefix, type PrefixValues } from './prefix.js';
import { pgValue, splitRemote, hostValue, type LogLine, type TimeReader } from './log-line.js';

/**
 * The shape of a line's start: runs of digits become '9', runs of letters 'a', other characters
 * stay. Two lines whose prefixes were written by the same log_line_prefix start with the same shape.
 */
export function lineShape(text: string, n = 8): string {
  let out = '';
  let last = '';
  for (let i = 0; i < text.length && out.length < n; i++) {
    const c = text.charCodeAt(i);
    const k = c >= 48 && c <= 57 ? '9' : (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 'a' : text[i]!;
    if ((k === '9' || k === 'a') && k === last) continue;
    out += k;
    last = k;
  }
  return out;
}

const DAMAGED_PREFIX =
  'damaged record: the line starts like the log_line_prefix but does not match it (a damaged time stamp or prefix, or a half-written line); it is not joined to the record before it';

/** A line that is not a continuation and does not match the prefix but starts the way prefixed lines
 *  do (`shape`, the shape of the last prefixed line): a damaged record of its own. */
function damagedStart(line: Line, shape: string | null): boolean {
  return (
    line.text.length > 0 &&
    shape !== null &&
    (lineShape(line.text) === shape ||
      (shape.startsWith(lineShape(line.text)) && line.text.length < 24) ||
      /^\d{2,4}[-/]\d/.test(line.text) ||
      !line.terminated)
  );
}

/** The record frameStderr holds open (a prefixed line and its continuation lines), and the rare
 *  cases around it: an over-long line, a record grown past the limit (hashed as it goes), a
 *  continuation line cut by the end of the input. */
class OpenRecord {
  cur: Line[] = [];
  bytes = 0;
  /** The open record once it grew past the limit: hashed as it goes, never held whole. */
  big: OversizeLines | null = null;

  constructor(
    readonly file: string,
    readonly maxBytes: number,
  ) {}

  /** A line longer than the limit: the record held so far, if any, to yield before the line's own
   *  record (rejected too, saying why, when the line continues it). */
  overLong(line: Line): RawRecord | null {
    const c = line.text.charCodeAt(0);
    let held: RawRecord | null = null;
    if (this.big) {
      held = this.big.record();
      this.big = null;
    } else if (this.cur.length > 0)
      held = rawFromLines(
        this.file,
        this.cur,
        c === 0x09 || c === 0x20
          ? `record longer than the limit of ${this.maxBytes} bytes (--max-record-bytes): its continuation line ${line.line} is rejected on its own`
          : undefined,
      );
    this.cur = [];
    this.bytes = 0;
    return held;
  }

  /** A continuation line of the over-long record: the record once the input ends in this line. */
  addToBig(big: OversizeLines, line: Line): RawRecord | null {
    big.add(line);
    return line.terminated ? null : this.closeBig(big);
  }

  closeBig(big: OversizeLines): RawRecord {
    this.big = null;
    return big.record();
  }

  /** A continuation line of the open record: the record when the input ends in this line. */
  continueRecord(line: Line): RawRecord | null {
    if (this.bytes + line.byteLength > this.maxBytes) {
      // The record passes the limit: rejected, hashed from here on without being held.
      const big = new OversizeLines(this.file, this.cur, this.maxBytes);
      this.big = big;
      this.cur = [];
      this.bytes = 0;
      return this.addToBig(big, line);
    }
    this.cur.push(line);
    this.bytes += line.byteLength;
    if (line.terminated) return null;
    const record = rawFromLines(this.file, this.cur, 'truncated record: the input ends in the middle of its last line');
    this.cur = [];
    return record;
  }
}

/**
 * Frames a stderr log into records: a prefixed line and its continuation lines. PostgreSQL starts
 * every continuation line with a tab; a line that does not match the prefix but starts the way
 * prefixed lines do (the same shape) is a damaged record of its own, never a continuation (so a
 * damaged time stamp cannot hide an audited statement inside the record before it). A record
 * whose last continuation line is cut by the end of the input is flagged as truncated.
 */
export function frameStderr(...args: Parameters<typeof frameStderrBatches>): AsyncGenerator<RawRecord> {
  return eachRecord(frameStderrBatches(...args));
}

export async function* frameStderrBatches(
  chunks: AsyncIterable<Buffer>,
  file: string,
  prefix: CompiledPrefix,
  maxBytes = DEFAULT_MAX_RECORD_BYTES,
): AsyncGenerator<RawRecord[]> {
  const rec = new OpenRecord(file, maxBytes);
  let shape: string | null = null;
  for await (const batch of splitLineBatches(chunks, { maxLineBytes: maxBytes })) {
    const out: RawRecord[] = [];
    for (const line of batch) {
      if (line.oversize) {
        // A line longer than the limit: rejected on its own (its head and hash kept).
        const held = rec.overLong(line);
        if (held) out.push(held);
        out.push(oversizeRecord(file, line));
        continue;
      }
      const starts = line.text.length > 0 && prefix.regex.test(line.text);
      if (starts) shape = lineShape(line.text);
      // PostgreSQL starts every continuation line with a tab: any other line that does not match the
      // prefix is a record of its own (a damaged prefix, a half-written line, another program's
      // output), never glued to the record before it.
      const c0 = line.text.charCodeAt(0);
      const continuation = !starts && (c0 === 0x09 || c0 === 0x20);
      const big = rec.big;
      if (continuation && big) {
        const done = rec.addToBig(big, line);
        if (done) out.push(done);
        continue;
      }
      if (continuation && rec.cur.length > 0) {
        const done = rec.continueRecord(line);
        if (done) out.push(done);
        continue;
      }
      if (big) out.push(rec.closeBig(big));
      if (rec.cur.length > 0) out.push(rawFromLines(file, rec.cur));
      if (starts) {
        rec.cur = [line];
        rec.bytes = line.byteLength;
      } else {
        rec.cur = [];
        rec.bytes = 0;
        out.push(rawFromLines(file, [line], !continuation && damagedStart(line, shape) ? DAMAGED_PREFIX : undefined));
      }
    }
    if (out.length > 0) yield out;
  }
  const out: RawRecord[] = [];
  if (rec.big) out.push(rec.big.record());
  if (rec.cur.length > 0) out.push(rawFromLines(file, rec.cur));
  if (out.length > 0) yield out;
}

/** Joins a record's continuation lines to its message, removing the tab PostgreSQL put before each. */
export function messageOf(text: string, messageStart: number): string {
  const nl = text.indexOf('\n');
  if (nl < 0) return text.slice(messageStart);
  return text.slice(messageStart).replace(/\n\t/g, '\n');
}

/** Reads a prefixed record into a LogLine; null when its first line does not start with the prefix. */
export function parseStderrRecord(text: string, prefix: CompiledPrefix, times: TimeReader): LogLine | null {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  const m = matchPrefix(prefix, first);
  if (!m) return null;
  const line = lineFromValues(m.values, m.severity, messageOf(text, m.messageStart), prefix, times);
  // log_error_verbosity = verbose (RDS's default) writes the SQLSTATE after the severity:
  // "LOG:  00000: AUDIT: ..." (a SQLSTATE has a digit: 'AUDIT: ' is not one).
  const v = /^([0-9A-Z]{5}): /.exec(line.message);
  if (v && /\d/.test(v[1]!)) {
    line.message = line.message.slice(7);
    line.sqlstate ??= v[1]!;
  }
  return line;
}

export function lineFromValues(
  v: PrefixValues,
  severity: string,
  message: string,
  prefix: CompiledPrefix,
  times: TimeReader,
): LogLine {
  const t = times.read(v.m ?? v.t ?? v.n ?? null);
  const remote = v.r !== undefined ? splitRemote(v.r) : { host: hostValue(v.h), port: null };
  return {
    timestamp: t.iso,
    zoneAssumed: t.assumed,
    user: pgValue(v.u), // %u
    database: pgValue(v.d), // %d
    application: pgValue(v.a), // %a
    host: remote.host ?? hostValue(v.h), // %r or %h
    port: remote.port,
    pid: pgValue(v.p), // %p
    sessionId: pgValue(v.c), // %c
    vxid: pgValue(v.v), // %v
    backendType: pgValue(v.b), // %b
    severity,
    sqlstate: pgValue(v.e), // %e
    message,
    userKnowable: prefix.has.has('u'),
    ...(t.invalid
      ? {
          invalidTime: `the prefix time stamp '${(v.m ?? v.t ?? v.n ?? '').slice(0, 40)}' is not a time that exists: ${t.invalid}`,
        }
      : {}),
    ...(t.leap ? { leapSecond: true } : {}),
  };
}
