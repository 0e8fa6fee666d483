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

export { mapLogEntry } from './map.js';

const MALFORMED_NOTE = 'this input is not valid JSON throughout: the bytes that could not be framed are rejected with their line and byte offset, and the entries before and after them were read';

/** How the record was contained, from the framer (kept on the RawRecord through redaction). */
function variantOf(raw: RawRecord): string {
  const c = (raw as RawRecord & { container?: string }).container;
  if (c === 'array') return 'json-array';
  if (c === 'wrapper') return 'entries-list';
  const l = raw.location;
  return l.line != null && l.line_end != null && l.line !== l.line_end ? 'json-object' : 'json-lines';
}

/** Head of a Cloud SQL for PostgreSQL pgaudit export: belongs to the pgaudit adapter. */
const PGAUDIT_ENTRY = /"methodName"\s*:\s*"cloudsql\.instances\.query"[\s\S]*"auditClass"|"auditClass"[\s\S]*"methodName"\s*:\s*"cloudsql\.instances\.query"/;

export const adapter: FormatAdapter = {
  id: FORMAT_ID,
  kind: 'gcp',
  title: 'GCP Cloud Audit Logs',
  description: 'Cloud Logging LogEntry JSON with an AuditLog protoPayload: `gcloud logging read --format=json` arrays, Cloud Storage sink exports (JSON Lines), single entries, `{"entries": [...]}` API responses',
  sniff(head: string): number {
    if (PGAUDIT_ENTRY.test(head)) return 0.6;
    if (/"@type"\s*:\s*"type\.googleapis\.com\/google\.cloud\.audit\.AuditLog"/.test(head)) return 0.95;
    const proto = /"protoPayload"\s*:/.test(head);
    if (proto && /cloudaudit\.googleapis\.com/.test(head)) return 0.95;
    if (/"insertId"\s*:/.test(head) && /"logName"\s*:/.test(head)) return 0.9;
    if (proto) return 0.7;
    return 0;
  },
  records(input) {
    return frameJson(input.chunks, { file: input.name, unwrap: ['entries'] });
  },
  async *normalize(records, ctx): AsyncIterable<Outcome> {
    for await (const raw of records) {
      if (raw.error) {
        ctx.note(MALFORMED_NOTE);
        yield reject(raw, raw.error);
        continue;
      }
      const parsed = parseJsonObject(raw.text);
      if ('error' in parsed) { yield reject(raw, parsed.error); continue; }
      yield mapLogEntry(parsed.value, raw, { note: ctx.note, instance: ctx.options.instance ?? null, variant: variantOf(raw) });
    }
  },
};
