// PostgreSQL stderr logs: every message starts with the log_line_prefix and a severity; a message
// that spans several lines (multi-line SQL) continues on lines that do not start with the prefix
// (PostgreSQL starts each of them with a tab).
// Format: https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-LOG-LINE-PREFIX
import { DEFAULT_MAX_RECORD_BYTES, splitLineBatches, type Line } from '../../pipeline/lines.js';
import { OversizeLines, oversizeRecord, rawFromLines } from '../../pipeline/record.js';
import type { RawRecord } from '../../pipeline/types.js';
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

/**
 * Frames a stderr log into records: a prefixed line and its continuation lines. PostgreSQL starts
 * every continuation line with a tab; a line that does not match the prefix but starts the way
 * prefixed lines do (the same shape) is a damaged record of its own, never a continuation (so a
 * damaged time stamp cannot hide an audited statement inside the record before it). A record
 * whose last continuation line is cut by the end of the input is flagged as truncated.
 */
export async function* frameStderr(
  chunks: AsyncIterable<Buffer>,
  file: string,
  prefix: CompiledPrefix,
  maxBytes = DEFAULT_MAX_RECORD_BYTES,
): AsyncGenerator<RawRecord> {
  let cur: Line[] = [];
  let bytes = 0;
  /** The open record once it grew past the limit: hashed as it goes, never held whole. */
  let big: OversizeLines | null = null;
  let shape: string | null = null;
  for await (const batch of splitLineBatches(chunks, { maxLineBytes: maxBytes }))
    for (const line of batch) {
      if (line.oversize) {
        // A line longer than the limit: rejected on its own (its head and hash kept). When it
        // continues an open record, that record is rejected too, saying why.
        const c = line.text.charCodeAt(0);
        if (big) {
          yield big.record();
          big = null;
        } else if (cur.length > 0)
          yield rawFromLines(
            file,
            cur,
            c === 0x09 || c === 0x20
              ? `record longer than the limit of ${maxBytes} bytes (--max-record-bytes): its continuation line ${line.line} is rejected on its own`
              : undefined,
          );
        cur = [];
        bytes = 0;
        yield oversizeRecord(file, line);
        continue;
      }
      const starts = line.text.length > 0 && prefix.regex.test(line.text);
      if (starts) shape = lineShape(line.text);
      // PostgreSQL starts every continuation line with a tab: any other line that does not match the
      // prefix is a record of its own (a damaged prefix, a half-written line, another program's
      // output), never glued to the record before it.
      const c0 = line.text.charCodeAt(0);
      const continuation = !starts && (c0 === 0x09 || c0 === 0x20);
      if (continuation && big) {
        big.add(line);
        if (!line.terminated) {
          yield big.record();
          big = null;
        }
        continue;
      }
      const damagedStart =
        !starts &&
        !continuation &&
        line.text.length > 0 &&
        shape !== null &&
        (lineShape(line.text) === shape ||
          (shape.startsWith(lineShape(line.text)) && line.text.length < 24) ||
          /^\d{2,4}[-/]\d/.test(line.text) ||
          !line.terminated);
      if (continuation && cur.length > 0) {
        if (bytes + line.byteLength > maxBytes) {
          // The record passes the limit: rejected, hashed from here on without being held.
          big = new OversizeLines(file, cur, maxBytes);
          big.add(line);
          cur = [];
          bytes = 0;
          if (!line.terminated) {
            yield big.record();
            big = null;
          }
          continue;
        }
        cur.push(line);
        bytes += line.byteLength;
        if (!line.terminated) {
          yield rawFromLines(file, cur, 'truncated record: the input ends in the middle of its last line');
          cur = [];
        }
        continue;
      }
      if (big) {
        yield big.record();
        big = null;
      }
      if (cur.length > 0) yield rawFromLines(file, cur);
      if (starts) {
        cur = [line];
        bytes = line.byteLength;
      } else {
        cur = [];
        bytes = 0;
        yield rawFromLines(file, [line], damagedStart ? DAMAGED_PREFIX : undefined);
      }
    }
  if (big) yield big.record();
  if (cur.length > 0) yield rawFromLines(file, cur);
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
