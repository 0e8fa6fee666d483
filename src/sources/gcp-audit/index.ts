// GCP Cloud Audit Logs adapter (`--format gcp-audit`): frames LogEntry JSON from files and hands
// each entry to the pure mapping in map.ts.
// Inputs: `gcloud logging read --format=json` (a JSON array), Cloud Storage sink exports and other
// JSON Lines (one LogEntry per line), single LogEntry objects, and the REST `entries.list`
// response (`{"entries": [...], "nextPageToken": ...}`).
// Format: https://cloud.google.com/logging/docs/audit/understanding-audit-logs
// Sink exports: https://cloud.google.com/logging/docs/export/storage
import { frameJson, parseJsonObject } from '../../pipeline/json-frames.js';
import { reject } from '../../pipeline/record.js';
import type { FormatAdapter, Outcome, RawRecord } from '../../pipeline/types.js';
import { FORMAT_ID, mapLogEntry } from './map.js';
import { Lanes } from '../../pipeline/lanes.js';
import { rawRecord } from '../../pipeline/record.js';
import { adapter as pgaudit } from '../pgaudit/index.js';

/**
 * Cloud SQL for PostgreSQL's server log (logName .../logs/cloudsql.googleapis.com%2Fpostgres.log):
 * textPayload is a server log line after Cloud SQL's fixed log_line_prefix '[%p]: [%l-1]
 * db=%d,user=%u ' (the time is the entry's timestamp). Connections, disconnections, failed logins
 * and, with pgaudit on, AUDIT lines: they go to the pgaudit adapter, one running lane per instance.
 */
export const CLOUDSQL_PG_PREFIX = '[%p]: [%l-1] db=%d,user=%u ';
const CLOUDSQL_WITH_TIME = `%m ${CLOUDSQL_PG_PREFIX}`;

export function isCloudSqlPostgresLog(e: Record<string, unknown>): boolean {
  const logName = typeof e.logName === 'string' ? e.logName : '';
  return typeof e.textPayload === 'string' && /\/logs\/cloudsql\.googleapis\.com(?:%2F|\/)postgres\.log$/.test(logName);
}

/** The server log line with the entry's time in front, as %m writes it ('2024-05-02 10:00:00.123 UTC'). */
export function cloudSqlLine(e: Record<string, unknown>): string {
  const text = String(e.textPayload).replace(/\n$/, '');
  const ts = typeof e.timestamp === 'string' ? new Date(e.timestamp) : null;
  if (!ts || !Number.isFinite(ts.getTime())) return text;
  return `${ts.toISOString().replace('T', ' ').replace('Z', '')} UTC ${text}`;
}
import { redactJsonRecord } from '../../redact/json.js';

export { mapLogEntry } from './map.js';

const MALFORMED_NOTE =
  'this input is not valid JSON throughout: the bytes that could not be framed are rejected with their line and byte offset, and the entries before and after them were read';

/** How the record was contained, from the framer (kept on the RawRecord through redaction). */
function variantOf(raw: RawRecord): string {
  const c = (raw as RawRecord & { container?: string }).container;
  if (c === 'array') return 'json-array';
  if (c === 'wrapper') return 'entries-list';
  const l = raw.location;
  return l.line != null && l.line_end != null && l.line !== l.line_end ? 'json-object' : 'json-lines';
}

/** Head of a Cloud SQL for PostgreSQL pgaudit export: belongs to the pgaudit adapter. */
const PGAUDIT_ENTRY =
  /"methodName"\s*:\s*"cloudsql\.instances\.query"[\s\S]*"auditClass"|"auditClass"[\s\S]*"methodName"\s*:\s*"cloudsql\.instances\.query"/;

export const adapter: FormatAdapter = {
  id: FORMAT_ID,
  kind: 'gcp',
  title: 'GCP Cloud Audit Logs',
  description:
    'Cloud Logging LogEntry JSON with an AuditLog protoPayload: `gcloud logging read --format=json` arrays, Cloud Storage sink exports (JSON Lines), single entries, `{"entries": [...]}` API responses',
  redaction: 'json',
  sniff(head: string): number {
    if (PGAUDIT_ENTRY.test(head)) return 0.6;
    if (/"@type"\s*:\s*"type\.googleapis\.com\/google\.cloud\.audit\.AuditLog"/.test(head)) return 0.95;
    const proto = /"protoPayload"\s*:/.test(head);
    if (proto && /cloudaudit\.googleapis\.com/.test(head)) return 0.95;
    if (/"insertId"\s*:/.test(head) && /"logName"\s*:/.test(head)) return 0.9;
    if (proto) return 0.7;
    return 0;
  },
  records(input, options) {
    return frameJson(input.chunks, { file: input.name, unwrap: ['entries'], maxRecordBytes: options.maxRecordBytes });
  },
  async *normalize(records, ctx): AsyncIterable<Outcome> {
    const lanes = new Lanes();
    for await (const raw of records) {
      if (raw.error) {
        ctx.note(MALFORMED_NOTE);
        yield reject(raw, raw.error);
        continue;
      }
      const parsed = parseJsonObject(raw);
      if ('error' in parsed) {
        yield reject(raw, parsed.error);
        continue;
      }
      const e = parsed.value;
      // Secrets out of the value (a server log line's text too) and, when any, out of the kept text.
      const kept = redactJsonRecord(raw, e);
      if (isCloudSqlPostgresLog(e)) {
        const labels = (e.resource as { labels?: Record<string, unknown> } | undefined)?.labels ?? {};
        const dbId = typeof labels.database_id === 'string' ? labels.database_id : '';
        ctx.note(
          `Cloud SQL for PostgreSQL server log entries (postgres.log) read as PostgreSQL log lines with Cloud SQL's log_line_prefix '${CLOUDSQL_PG_PREFIX}' and the entry's timestamp`,
        );
        const sub = {
          options: {
            ...ctx.options,
            logLinePrefix: CLOUDSQL_WITH_TIME,
            instance: ctx.options.instance ?? (dbId.split(':')[1] || dbId || null),
          },
          input: ctx.input,
          note: ctx.note,
        };
        yield* lanes.push(`cloudsql\u0000${dbId}`, pgaudit, sub, rawRecord(cloudSqlLine(e), raw.location), kept);
        continue;
      }
      yield mapLogEntry(e, kept, { note: ctx.note, instance: ctx.options.instance ?? null, variant: variantOf(raw) });
    }
    yield* lanes.finish();
  },
};
