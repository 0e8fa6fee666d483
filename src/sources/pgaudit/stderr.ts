// PostgreSQL stderr logs: every message starts with the log_line_prefix and a severity; a message
// that spans several lines (multi-line SQL) continues on lines that do not start with the prefix
// (PostgreSQL starts each of them with a tab).
// Format: https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-LOG-LINE-PREFIX
import { DEFAULT_MAX_RECORD_BYTES, splitLineBatches, type Line } from '../../pipeline/lines.js';
import { OversizeLines, oversizeRecord, rawFromLines } from '../../pipeline/record.js';
import type { RawRecord } from '../../pipeline/types.js';
import { eachRecord } from '../../pipeline/batch.js';
import type { CompiledPrefix, PrefixValues } from './prefix.js';
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
 *  do (the shape of `lastPrefixed`, the last prefixed line): a damaged record of its own. */
function damagedStart(line: Line, lastPrefixed: string | null): boolean {
  if (line.text.length === 0 || lastPrefixed === null) return false;
  const shape = lineShape(lastPrefixed);
  return (
    lineShape(line.text) === shape ||
    (shape.startsWith(lineShape(line.text)) && line.text.length < 24) ||
    /^\d{2,4}[-/]\d/.test(line.text) ||
    !line.terminated
  );
}

/**
 * Frames a stderr log into records, one batch of lines at a time (synchronous: the async
 * generator around it yields once per record, with no per-line state of its own). It holds the
 * open record (a prefixed line and its continuation lines), and the rare cases around it: an
 * over-long line, a record grown past the limit (hashed as it goes), a continuation line cut by
 * the end of the input.
 */
export class StderrFramer {
  cur: Line[] = [];
  bytes = 0;
  /** The open record once it grew past the limit: hashed as it goes, never held whole. */
  big: OversizeLines | null = null;
  /** The last prefixed line: its shape is asked only for a line that neither matches nor continues. */
  lastPrefixed: string | null = null;

  constructor(
    readonly file: string,
    readonly prefix: CompiledPrefix,
    readonly maxBytes: number,
  ) {}

  /** Appends to `out` the records the lines complete. */
  push(batch: Line[], out: RawRecord[]): void {
    for (let i = 0; i < batch.length; i++) this.line(batch[i]!, out);
  }

  /** The end of the input: appends the record still open. */
  end(out: RawRecord[]): void {
    if (this.big) out.push(this.big.record());
    if (this.cur.length > 0) out.push(rawFromLines(this.file, this.cur));
  }

  private line(line: Line, out: RawRecord[]): void {
    if (line.oversize) {
      // A line longer than the limit: rejected on its own (its head and hash kept).
      this.overLong(line, out);
      return;
    }
    const starts = line.text.length > 0 && this.prefix.regex.test(line.text);
    if (starts) this.lastPrefixed = line.text;
    // PostgreSQL starts every continuation line with a tab: any other line that does not match the
    // prefix is a record of its own (a damaged prefix, a half-written line, another program's
    // output), never glued to the record before it.
    const c0 = line.text.charCodeAt(0);
    const continuation = !starts && (c0 === 0x09 || c0 === 0x20);
    const big = this.big;
    if (continuation && big) {
      this.addToBig(big, line, out);
      return;
    }
    if (continuation && this.cur.length > 0) {
      this.continueRecord(line, out);
      return;
    }
    if (big) this.closeBig(big, out);
    if (this.cur.length > 0) out.push(rawFromLines(this.file, this.cur));
    if (starts) {
      this.cur = [line];
      this.bytes = line.byteLength;
    } else {
      this.cur = [];
      this.bytes = 0;
      const damaged = !continuation && damagedStart(line, this.lastPrefixed);
      out.push(rawFromLines(this.file, [line], damaged ? DAMAGED_PREFIX : undefined));
    }
  }

  /** A line longer than the limit: the record held so far, if any (rejected too, saying why, when
   *  the line continues it), then the line's own record. */
  private overLong(line: Line, out: RawRecord[]): void {
    const c = line.text.charCodeAt(0);
    if (this.big) {
      out.push(this.big.record());
      this.big = null;
    } else if (this.cur.length > 0)
      out.push(
        rawFromLines(
          this.file,
          this.cur,
          c === 0x09 || c === 0x20
            ? `record longer than the limit of ${this.maxBytes} bytes (--max-record-bytes): its continuation line ${line.line} is rejected on its own`
            : undefined,
        ),
      );
    this.cur = [];
    this.bytes = 0;
    out.push(oversizeRecord(this.file, line));
  }

  /** A continuation line of the over-long record: the record once the input ends in this line. */
  private addToBig(big: OversizeLines, line: Line, out: RawRecord[]): void {
    big.add(line);
    if (!line.terminated) this.closeBig(big, out);
  }

  private closeBig(big: OversizeLines, out: RawRecord[]): void {
    this.big = null;
    out.push(big.record());
  }

  /** A continuation line of the open record: the record when the input ends in this line. */
  private continueRecord(line: Line, out: RawRecord[]): void {
    if (this.bytes + line.byteLength > this.maxBytes) {
      // The record passes the limit: rejected, hashed from here on without being held.
      const big = new OversizeLines(this.file, this.cur, this.maxBytes);
      this.big = big;
      this.cur = [];
      this.bytes = 0;
      this.addToBig(big, line, out);
      return;
    }
    this.cur.push(line);
    this.bytes += line.byteLength;
    if (line.terminated) return;
    out.push(rawFromLines(this.file, this.cur, 'truncated record: the input ends in the middle of its last line'));
    this.cur = [];
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
  const framer = new StderrFramer(file, prefix, maxBytes);
  for await (const batch of splitLineBatches(chunks, { maxLineBytes: maxBytes })) {
    const out: RawRecord[] = [];
    framer.push(batch, out);
    if (out.length > 0) yield out;
  }
  const out: RawRecord[] = [];
  framer.end(out);
  if (out.length > 0) yield out;
}

/** Joins a record's continuation lines to its message, removing the tab PostgreSQL put before each. */
export function messageOf(text: string, messageStart: number): string {
  const nl = text.indexOf('\n');
  if (nl < 0) return text.slice(messageStart);
  return text.slice(messageStart).replace(/\n\t/g, '\n');
}

/** The capture groups of the escapes a LogLine reads, by letter (several when the prefix repeats
 *  an escape: the last one that matched wins, as in matchPrefix). */
interface Groups {
  m: number[];
  t: number[];
  n: number[];
  u: number[];
  d: number[];
  a: number[];
  r: number[];
  h: number[];
  p: number[];
  c: number[];
  v: number[];
  b: number[];
  e: number[];
  severity: number;
}

const groupCache = new WeakMap<CompiledPrefix, Groups>();
function groupsOf(prefix: CompiledPrefix): Groups {
  let g = groupCache.get(prefix);
  if (g === undefined) {
    const at = (letter: string): number[] => {
      const out: number[] = [];
      prefix.letters.forEach((l, k) => {
        if (l === letter) out.push(k + 1);
      });
      return out;
    };
    g = {
      m: at('m'),
      t: at('t'),
      n: at('n'),
      u: at('u'),
      d: at('d'),
      a: at('a'),
      r: at('r'),
      h: at('h'),
      p: at('p'),
      c: at('c'),
      v: at('v'),
      b: at('b'),
      e: at('e'),
      severity: prefix.letters.length + 1,
    };
    groupCache.set(prefix, g);
  }
  return g;
}

/** The value of one escape in a match (trimmed, as matchPrefix keeps it); undefined when absent. */
function pick(m: RegExpExecArray, at: number[]): string | undefined {
  for (let k = at.length - 1; k >= 0; k--) {
    const v = m[at[k]!];
    if (v !== undefined) return v.trim();
  }
  return undefined;
}

/** The values lineFromValues reads, refilled for each record (no object per record). */
const values = {
  m: undefined as string | undefined,
  t: undefined as string | undefined,
  n: undefined as string | undefined,
  u: undefined as string | undefined,
  d: undefined as string | undefined,
  a: undefined as string | undefined,
  r: undefined as string | undefined,
  h: undefined as string | undefined,
  p: undefined as string | undefined,
  c: undefined as string | undefined,
  v: undefined as string | undefined,
  b: undefined as string | undefined,
  e: undefined as string | undefined,
};

/**
 * Reads a prefixed record into a LogLine; null when its first line does not start with the prefix.
 * The same values as matchPrefix, read from the match by capture group (no PrefixValues object).
 */
export function parseStderrRecord(text: string, prefix: CompiledPrefix, times: TimeReader): LogLine | null {
  const nl = text.indexOf('\n');
  const first = nl < 0 ? text : text.slice(0, nl);
  const m = prefix.regex.exec(first);
  if (!m) return null;
  const g = groupsOf(prefix);
  values.m = pick(m, g.m);
  values.t = pick(m, g.t);
  values.n = pick(m, g.n);
  values.u = pick(m, g.u);
  values.d = pick(m, g.d);
  values.a = pick(m, g.a);
  values.r = pick(m, g.r);
  values.h = pick(m, g.h);
  values.p = pick(m, g.p);
  values.c = pick(m, g.c);
  values.v = pick(m, g.v);
  values.b = pick(m, g.b);
  values.e = pick(m, g.e);
  const line = lineFromValues(values, m[g.severity]!, messageOf(text, m[0].length), prefix, times);
  // log_error_verbosity = verbose (RDS's default) writes the SQLSTATE after the severity:
  // "LOG:  00000: AUDIT: ..." (a SQLSTATE has a digit: 'AUDIT: ' is not one).
  const msg = line.message;
  if (msg.charCodeAt(5) === 58 && msg.charCodeAt(6) === 32) {
    const v = /^([0-9A-Z]{5}): /.exec(msg);
    if (v && /\d/.test(v[1]!)) {
      line.message = msg.slice(7);
      line.sqlstate ??= v[1]!;
    }
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
  const ts = v.m ?? v.t ?? v.n;
  const t = times.read(ts ?? null);
  let host: string | null;
  let port: number | null = null;
  if (v.r !== undefined) {
    const remote = splitRemote(v.r); // %r
    host = remote.host ?? hostValue(v.h);
    port = remote.port;
  } else host = hostValue(v.h); // %h
  const line: LogLine = {
    timestamp: t.iso,
    zoneAssumed: t.assumed,
    user: pgValue(v.u), // %u
    database: pgValue(v.d), // %d
    application: pgValue(v.a), // %a
    host,
    port,
    pid: pgValue(v.p), // %p
    sessionId: pgValue(v.c), // %c
    vxid: pgValue(v.v), // %v
    backendType: pgValue(v.b), // %b
    severity,
    sqlstate: pgValue(v.e), // %e
    message,
    userKnowable: prefix.has.has('u'),
  };
  if (t.invalid)
    line.invalidTime = `the prefix time stamp '${(ts ?? '').slice(0, 40)}' is not a time that exists: ${t.invalid}`;
  if (t.leap) line.leapSecond = true;
  return line;
}
