// Derives fixtures/bytebase/search-response.jsonl from the real rows (audit_log.rows.jsonl): each row
// becomes the AuditLog the search API returns for it, as convertToAuditLog in Bytebase's
// backend/api/v1/audit_log_service.go does (name = <parent>/auditLogs/<id>, createTime = created_at;
// user, method, severity, resource, request, response, status, latency, serviceData copied; the
// converter does not copy requestMetadata), in pages of 40 as `auditLogs:search` response lines.
// Usage: node scripts/bytebase-api-fixture.mjs > fixtures/bytebase/search-response.jsonl
import { readFileSync } from 'node:fs';

import { fileURLToPath } from 'node:url';

export const rows = readFileSync(new URL('../fixtures/bytebase/audit_log.rows.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));

export function toApi(row) {
  const p = row.payload;
  const t = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?/.exec(row.created_at);
  const a = { name: `${p.parent}/auditLogs/${row.id}`, createTime: `${t[1]}T${t[2]}${t[3] ?? ''}Z` };
  for (const k of ['user', 'method', 'severity', 'resource', 'request', 'response', 'status', 'latency', 'serviceData'])
    if (p[k] !== undefined) a[k] = p[k];
  return a;
}

const PAGE = 40;
if (process.argv[1] === fileURLToPath(import.meta.url))
  for (let i = 0; i < rows.length; i += PAGE) {
    const page = { auditLogs: rows.slice(i, i + PAGE).map(toApi) };
    if (i + PAGE < rows.length)
      page.nextPageToken = Buffer.from(JSON.stringify({ limit: PAGE, offset: i + PAGE })).toString('base64url');
    process.stdout.write(JSON.stringify(page) + '\n');
  }
