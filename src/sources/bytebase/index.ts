// Bytebase audit log adapter (`--format bytebase`): the database-access platform's own audit log,
// where approvals, access grants, masking exemptions, SQL review policies and admin-mode SQL are
// recorded. Inputs:
//   - `auditLogs:search` responses (`{"auditLogs": [...], "nextPageToken": ...}`), one per line or
//     concatenated, and AuditLog objects one per line (JSON Lines) or in a JSON array;
//   - rows of the metadata database's `audit_log` table as JSON, one per line:
//     `psql -At -c "SELECT row_to_json(a) FROM (SELECT id, created_at, payload FROM audit_log ORDER BY id) a"`.
// Each entry goes to the pure mapping in map.ts; SetIamPolicy deltas need the previous policy of
// the same resource, which normalize keeps per input (bounded).
// API: https://github.com/bytebase/bytebase/blob/main/proto/v1/v1/audit_log_service.proto
import { frameJson, parseJsonObject, type JsonFrame } from '../../pipeline/json-frames.js';
import { reject } from '../../pipeline/record.js';
import type { FormatAdapter, Outcome, RawRecord } from '../../pipeline/types.js';
import { FORMAT_ID, mapAuditLog } from './map.js';
import type { PolicySnapshot } from './iam.js';

export { mapAuditLog } from './map.js';

const MALFORMED_NOTE =
  'this input is not valid JSON throughout: the bytes that could not be framed are rejected with their line and byte offset, and the entries before and after them were read';

function variantOf(raw: RawRecord, fallback: string | null): string | null {
  const f = raw as JsonFrame;
  if (f.container === 'wrapper') return 'search-response';
  return fallback;
}

export const adapter: FormatAdapter = {
  id: FORMAT_ID,
  kind: 'bytebase',
  title: 'Bytebase audit log',
  description:
    'Bytebase AuditLog JSON: `auditLogs:search` responses (`{"auditLogs": [...]}`), AuditLog objects one per line, and rows of the metadata database\'s audit_log table as JSON (`{"id", "created_at", "payload"}`)',
  sniff(head: string): number {
    if (/"method"\s*:\s*"\/bytebase\.v1\./.test(head)) return 0.95;
    if (/"auditLogs"\s*:\s*\[/.test(head) && /\/auditLogs\//.test(head)) return 0.9;
    return 0;
  },
  records(input, options) {
    return frameJson(input.chunks, { file: input.name, unwrap: ['auditLogs'], maxRecordBytes: options.maxRecordBytes });
  },
  async *normalize(records, ctx): AsyncIterable<Outcome> {
    const policies = new Map<string, PolicySnapshot>();
    const live = typeof ctx.options.variant === 'string' ? ctx.options.variant : null;
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
      yield mapAuditLog(parsed.value, raw, {
        note: ctx.note,
        instance: ctx.options.instance ?? null,
        variant: variantOf(raw, live),
        policies,
      });
    }
  },
};
