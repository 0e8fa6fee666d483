// MariaDB server_audit adapter (`--format mariadb-audit`): the plugin's file output
// (server_audit.log and its rotated .1, .2, ... files), the same plugin on Amazon RDS, and the
// Aurora / RDS variant with epoch-microsecond timestamps and a connection-type field.
// Format: https://mariadb.com/kb/en/mariadb-audit-plugin-log-format/
// Options: timezone (the server's zone; local timestamps have none), instance.
import type { FormatAdapter, NormalizeContext, Outcome, RawRecord, RecordNormalizer } from '../../pipeline/types.js';
import { eachRecord, normalizeWith } from '../../pipeline/batch.js';
import { recordLimit, splitLineBatches } from '../../pipeline/lines.js';
import { rawFromLines, event, reject } from '../../pipeline/record.js';
import { LocalTimeConverter } from '../mysql-common/local-time.js';
import { parseServerAuditLine, isEpoch, epochMillis, type ServerAuditRecord } from './parse.js';
import { mapServerAudit, FORMAT } from './map.js';
import { upperCase } from '../../sql/classify.js';

export { parseServerAuditLine, encodeServerAuditString } from './parse.js';
export { mapServerAudit } from './map.js';

const OPERATIONS =
  'CONNECT|DISCONNECT|FAILED_CONNECT|CHANGE_USER|CHANGE_USER_DONE|QUERY|QUERY_DDL|QUERY_DML|QUERY_DCL|QUERY_DML_NO_SELECT|READ|WRITE|CREATE|ALTER|RENAME|DROP|AUDIT_CONFIG';
// Only the start of a line is matched (bounded), so detection stays cheap on long SQL lines.
const LINE_START = new RegExp(
  String.raw`^(?:\d{8} \d\d:\d\d:\d\d|\d{10}|\d{13}|\d{16}),[^,\n]*,[^,\n]*,[^,\n]*,\d+,\d+,(?:${OPERATIONS}),`,
);

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
export function recordTime(
  rec: ServerAuditRecord,
  local: LocalTimeConverter,
): { timestamp: string | null; zoneAssumed: string | null; epoch: boolean } {
  const ts = rec.timestamp;
  if (isEpoch(ts)) return { timestamp: new Date(epochMillis(ts)).toISOString(), zoneAssumed: null, epoch: true };
  // YYYYMMDD HH:MM:SS, digits checked by the parser (isLocalTimestamp): read without slicing.
  const iso = local.toIso(
    digits(ts, 0, 4),
    digits(ts, 4, 2),
    digits(ts, 6, 2),
    digits(ts, 9, 2),
    digits(ts, 12, 2),
    digits(ts, 15, 2),
  );
  return { timestamp: iso, zoneAssumed: local.zone, epoch: false };
}

/** Skip reason of a TABLE record folded into the event of its statement. */
export const FOLDED = 'TABLE record folded into its QUERY event';

const TABLE_OPS = new Set(['READ', 'WRITE', 'CREATE', 'ALTER', 'RENAME', 'DROP']);
/** TABLE records held per connection while waiting for their QUERY, and in all (memory stays bounded). */
const MAX_HELD_PER_CONNECTION = 1000;
const MAX_HELD = 20000;

interface Held {
  raw: RawRecord;
  rec: ServerAuditRecord;
  timestamp: string;
  zoneAssumed: string | null;
  epoch: boolean;
}

/**
 * One event per audited action. server_audit writes a TABLE record (READ, WRITE, ...) for every
 * table a statement opens, before the statement's QUERY record and with the same connection and
 * query id; a GRANT writes half a dozen grant tables (mysql.db, mysql.global_priv, ...). Those TABLE
 * records are held until the QUERY of the same connection and query id arrives, then folded into its
 * event (details.tables lists them) and counted as skipped with the reason FOLDED. TABLE records
 * without such a QUERY (the QUERY class not logged, another query id, the end of the input) stay
 * events of their own, in the order read.
 */
class ServerAuditNormalizer implements RecordNormalizer {
  private readonly zoneGiven: boolean;
  private readonly local: LocalTimeConverter;
  private readonly duplicates = new Duplicates();
  private readonly folder: TableFolder;

  constructor(private readonly ctx: NormalizeContext) {
    this.zoneGiven = typeof ctx.options.timezone === 'string' && ctx.options.timezone !== '';
    this.local = new LocalTimeConverter(this.zoneGiven ? ctx.options.timezone! : 'UTC');
    const instance =
      typeof ctx.options.instance === 'string' && ctx.options.instance !== '' ? ctx.options.instance : null;
    this.folder = new TableFolder(instance);
  }

  push(raw: RawRecord, out: Outcome[]): void {
    if (raw.error) {
      out.push(reject(raw, raw.error));
      return;
    }
    const parsed = parseServerAuditLine(raw.text);
    if (!parsed.ok) {
      out.push(reject(raw, parsed.error));
      return;
    }
    const t = recordTime(parsed.record, this.local);
    if (t.timestamp === null) {
      out.push(reject(raw, `timestamp '${parsed.record.timestamp}' is not a valid date`));
      return;
    }
    if (!t.epoch && !this.zoneGiven) {
      this.ctx.note(
        `server_audit timestamps carry no time zone: assumed UTC (events say so in timestamp_zone_assumed); give the server's zone with --timezone`,
      );
    }
    this.duplicates.check(raw);
    this.folder.add(
      { raw, rec: parsed.record, timestamp: t.timestamp, zoneAssumed: t.zoneAssumed, epoch: t.epoch },
      out,
    );
  }

  end(out: Outcome[]): void {
    this.folder.drain(out);
    const note = this.duplicates.note();
    if (note) this.ctx.note(note);
  }
}

/** Exact duplicates (same bytes on another line): kept as separate events, and reported. */
class Duplicates {
  private seen = new Map<string, number>();
  private readonly examples: string[] = [];
  private count = 0;

  check(raw: RawRecord): void {
    const line = raw.location.line ?? 0;
    const first = this.seen.get(raw.sha256);
    if (first !== undefined) {
      this.count++;
      if (this.examples.length < 5) this.examples.push(`line ${line} repeats line ${first}`);
    } else {
      if (this.seen.size >= 10000) this.seen.clear();
      this.seen.set(raw.sha256, line);
    }
  }

  note(): string | null {
    const n = this.count;
    if (n === 0) return null;
    return `${n} record${n === 1 ? ' is an exact duplicate' : 's are exact duplicates'} of an earlier record (${this.examples.join(', ')}${n > this.examples.length ? ', ...' : ''}): each is kept as its own event, not merged`;
  }
}

/**
 * The TABLE records held per connection until their QUERY comes (see normalize): add() appends
 * the outcomes a record brings, in order, drain() those still held at the end.
 */
class TableFolder {
  private readonly held = new Map<string, { queryId: string; items: Held[] }>();
  private count = 0;
  /** The first serverhost seen: its connections are keyed by connection id alone (see key). */
  private host: string | null = null;

  constructor(private readonly instance: string | null) {}

  /**
   * The connection's key in `held`: the connection id for the first serverhost (nearly every file
   * has one), `serverhost\nid` for others. A connection id is digits (the parser checks), so the two
   * kinds never meet, and no key is built per record for the usual file.
   */
  private key(rec: ServerAuditRecord): string {
    if (this.host === null) this.host = rec.serverhost;
    return rec.serverhost === this.host ? rec.connectionId : `${rec.serverhost}\n${rec.connectionId}`;
  }

  add(h: Held, out: Outcome[]): void {
    const rec = h.rec;
    const op = upperCase(rec.operation);
    const table = TABLE_OPS.has(op) && rec.queryId !== '' && rec.queryId !== '0';
    if (!table && this.held.size === 0) {
      // Nothing held (the usual case): no connection key to build or look up.
      out.push(this.toEvent(h));
      return;
    }
    const conn = this.key(rec);
    const g = this.held.get(conn);
    if (table) {
      let cur = g;
      if (cur && cur.queryId !== rec.queryId) {
        this.release(conn, out);
        cur = undefined;
      }
      if (!cur) {
        cur = { queryId: rec.queryId, items: [] };
        this.held.set(conn, cur);
      }
      cur.items.push(h);
      this.count++;
      if (cur.items.length > MAX_HELD_PER_CONNECTION) this.release(conn, out);
      else if (this.count > MAX_HELD) this.release(this.held.keys().next().value!, out);
      return;
    }
    if (g && op.startsWith('QUERY') && g.queryId === rec.queryId) {
      this.held.delete(conn);
      this.count -= g.items.length;
      for (const x of g.items) out.push({ kind: 'skip', raw: x.raw, reason: FOLDED, timestamp: x.timestamp });
      out.push(
        this.toEvent(h, {
          tables: g.items.map((x) => ({
            operation: x.rec.operation,
            table: x.rec.database && x.rec.object ? `${x.rec.database}.${x.rec.object}` : x.rec.object || null,
          })),
          folded_records: g.items.length,
        }),
      );
      return;
    }
    if (g) this.release(conn, out);
    out.push(this.toEvent(h));
  }

  drain(out: Outcome[]): void {
    for (const conn of [...this.held.keys()]) this.release(conn, out);
  }

  private release(conn: string, out: Outcome[]): void {
    const g = this.held.get(conn);
    if (!g) return;
    this.held.delete(conn);
    this.count -= g.items.length;
    for (const h of g.items) out.push(this.toEvent(h));
  }

  private toEvent(h: Held, extra?: Record<string, unknown>): Outcome {
    const ev = mapServerAudit(h.rec, h.raw, {
      instance: this.instance,
      timestamp: h.timestamp,
      zoneAssumed: h.zoneAssumed,
      variant: h.epoch ? 'aurora' : 'server_audit',
    });
    if (extra) ev.details = { ...ev.details, ...extra };
    return event(ev, h.raw);
  }
}

export const adapter: FormatAdapter = {
  id: FORMAT,
  kind: 'mariadb',
  title: 'MariaDB server_audit',
  description:
    'MariaDB / MySQL server_audit plugin files (server_audit.log, rotated .1 .2 files, Amazon RDS and Aurora audit logs): lines of timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode',
  sniff: (head) => sniff(head),
  async *recordBatches(input, options) {
    for await (const batch of splitLineBatches(input.chunks, { maxLineBytes: recordLimit(options) })) {
      const out: RawRecord[] = [];
      for (const l of batch) {
        if (l.text.trim() === '') continue; // blank lines carry no record
        out.push(rawFromLines(input.name, [l]));
      }
      if (out.length > 0) yield out;
    }
  },
  records: (input, options) => eachRecord(adapter.recordBatches!(input, options)),
  normalizer: (ctx) => new ServerAuditNormalizer(ctx),
  normalize: (records, ctx) => normalizeWith(adapter.normalizer!, records, ctx),
};
