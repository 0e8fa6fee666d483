// MariaDB server_audit adapter (`--format mariadb-audit`): the plugin's file output
// (server_audit.log and its rotated .1, .2, ... files), the same plugin on Amazon RDS, and the
// Aurora / RDS variant with epoch-microsecond timestamps and a connection-type field.
// Format: https://mariadb.com/kb/en/mariadb-audit-plugin-log-format/
// Options: timezone (the server's zone; local timestamps have none), instance.
import type { FormatAdapter, NormalizeContext, Outcome, RawRecord } from '../../pipeline/types.js';
import { splitLines } from '../../pipeline/lines.js';
import { rawFromLines, event, reject } from '../../pipeline/record.js';
import { LocalTimeConverter } from '../mysql-common/local-time.js';
import { parseServerAuditLine, isEpoch, epochMillis, type ServerAuditRecord } from './parse.js';
import { mapServerAudit, FORMAT } from './map.js';

export { parseServerAuditLine, encodeServerAuditString } from './parse.js';
export { mapServerAudit } from './map.js';

const OPERATIONS = 'CONNECT|DISCONNECT|FAILED_CONNECT|CHANGE_USER|CHANGE_USER_DONE|QUERY|QUERY_DDL|QUERY_DML|QUERY_DCL|QUERY_DML_NO_SELECT|READ|WRITE|CREATE|ALTER|RENAME|DROP|AUDIT_CONFIG';
// Only the start of a line is matched (bounded), so detection stays cheap on long SQL lines.
const LINE_START = new RegExp(String.raw`^(?:\d{8} \d\d:\d\d:\d\d|\d{10}|\d{13}|\d{16}),[^,\n]*,[^,\n]*,[^,\n]*,\d+,\d+,(?:${OPERATIONS}),`);

function sniff(head: string): number {
  const lines = head.split('\n', 6).filter((l) => l.trim() !== '');
  if (lines.length === 0) return 0;
  // The last line of the head may be cut; judge the complete ones (or the only one).
  const judged = lines.length > 1 ? lines.slice(0, -1) : lines;
  const good = judged.filter((l) => LINE_START.test(l)).length;
  if (good === 0) return 0;
  // A file whose first record is one of ours is ours even with some damaged lines after it.
  const ratio = good / judged.length;
  return LINE_START.test(judged[0]!) ? 0.95 * (0.5 + 0.5 * ratio) : 0.6 * ratio;
}

/** The number written by `n` decimal digits of `s` from `from` (Number(s.slice(from, from + n)) for digits). */
function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number(s.slice(from, from + n));
    v = v * 10 + c;
  }
  return v;
}

/** Converts a record's timestamp field: local time with the configured (or assumed) zone, or epoch. */
export function recordTime(rec: ServerAuditRecord, local: LocalTimeConverter): { timestamp: string | null; zoneAssumed: string | null; epoch: boolean } {
  const ts = rec.timestamp;
  if (isEpoch(ts)) return { timestamp: new Date(epochMillis(ts)).toISOString(), zoneAssumed: null, epoch: true };
  // YYYYMMDD HH:MM:SS, digits checked by the parser (isLocalTimestamp): read without slicing.
  const iso = local.toIso(digits(ts, 0, 4), digits(ts, 4, 2), digits(ts, 6, 2), digits(ts, 9, 2), digits(ts, 12, 2), digits(ts, 15, 2));
  return { timestamp: iso, zoneAssumed: local.zone, epoch: false };
}

async function* normalize(records: AsyncIterable<RawRecord>, ctx: NormalizeContext): AsyncGenerator<Outcome> {
  const zoneGiven = typeof ctx.options.timezone === 'string' && ctx.options.timezone !== '';
  const local = new LocalTimeConverter(zoneGiven ? ctx.options.timezone! : 'UTC');
  const instance = typeof ctx.options.instance === 'string' && ctx.options.instance !== '' ? ctx.options.instance : null;
  // Exact duplicates (same bytes on another line) are kept as separate events and reported.
  const seen = new Map<string, number>();
  const duplicates: string[] = [];
  let duplicateCount = 0;
  for await (const raw of records) {
    if (raw.error) { yield reject(raw, raw.error); continue; }
    const parsed = parseServerAuditLine(raw.text);
    if (!parsed.ok) { yield reject(raw, parsed.error); continue; }
    const t = recordTime(parsed.record, local);
    if (t.timestamp === null) { yield reject(raw, `timestamp '${parsed.record.timestamp}' is not a valid date`); continue; }
    if (!t.epoch && !zoneGiven) {
      ctx.note(`server_audit timestamps carry no time zone: assumed UTC (events say so in timestamp_zone_assumed); give the server's zone with --timezone`);
    }
    const line = raw.location.line ?? 0;
    const first = seen.get(raw.sha256);
    if (first !== undefined) {
      duplicateCount++;
      if (duplicates.length < 5) duplicates.push(`line ${line} repeats line ${first}`);
    } else {
      if (seen.size >= 10000) seen.clear();
      seen.set(raw.sha256, line);
    }
    yield event(mapServerAudit(parsed.record, raw, {
      instance, timestamp: t.timestamp, zoneAssumed: t.zoneAssumed, variant: t.epoch ? 'aurora' : 'server_audit',
    }), raw);
  }
  if (duplicateCount > 0) {
    ctx.note(`${duplicateCount} record${duplicateCount === 1 ? ' is an exact duplicate' : 's are exact duplicates'} of an earlier record (${duplicates.join(', ')}${duplicateCount > duplicates.length ? ', ...' : ''}): each is kept as its own event, not merged`);
  }
}

export const adapter: FormatAdapter = {
  id: FORMAT,
  kind: 'mariadb',
  title: 'MariaDB server_audit',
  description: 'MariaDB / MySQL server_audit plugin files (server_audit.log, rotated .1 .2 files, Amazon RDS and Aurora audit logs): lines of timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode',
  sniff: (head) => sniff(head),
  async *records(input) {
    for await (const l of splitLines(input.chunks)) {
      if (l.text.trim() === '') continue; // blank lines carry no record
      yield rawFromLines(input.name, [l]);
    }
  },
  normalize,
};
