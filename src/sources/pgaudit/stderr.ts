// PostgreSQL stderr logs: every message starts with the log_line_prefix and a severity; a message
// that spans several lines (multi-line SQL) continues on lines that do not start with the prefix
// (PostgreSQL starts each of them with a tab).
// Format: https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-LOG-LINE-PREFIX
import { splitLines, type Line } from '../../pipeline/lines.js';
import { rawFromLines } from '../../pipeline/record.js';
import type { RawRecord } from '../../pipeline/types.js';
import { matchPrefix, type CompiledPrefix, type PrefixValues } from './prefix.js';
import { pgValue, splitRemote, hostValue, type LogLine, type TimeReader } from './log-line.js';

/** A record larger than this is cut: its continuation lines become records of their own. */
const MAX_RECORD_BYTES = 8 * 1024 * 1024;

/** Frames a stderr log into records: a prefixed line and its continuation lines. */
export async function* frameStderr(chunks: AsyncIterable<Buffer>, file: string, prefix: CompiledPrefix): AsyncGenerator<RawRecord> {
  let cur: Line[] = [];
  let bytes = 0;
  for await (const line of splitLines(chunks)) {
    const starts = line.text.length > 0 && prefix.regex.test(line.text);
    if (!starts && cur.length > 0 && line.text.length > 0 && bytes + line.byteLength <= MAX_RECORD_BYTES) {
      cur.push(line);
      bytes += line.byteLength;
      continue;
    }
    if (cur.length > 0) yield rawFromLines(file, cur);
    if (starts) { cur = [line]; bytes = line.byteLength; }
    else { cur = []; bytes = 0; yield rawFromLines(file, [line]); }
  }
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
  if (v && /\d/.test(v[1]!)) { line.message = line.message.slice(7); line.sqlstate ??= v[1]!; }
  return line;
}

export function lineFromValues(v: PrefixValues, severity: string, message: string, prefix: CompiledPrefix, times: TimeReader): LogLine {
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
  };
}
