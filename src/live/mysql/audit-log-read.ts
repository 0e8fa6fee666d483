// MySQL Enterprise Audit read over SQL: audit_log_read() returns the JSON-format audit log as JSON
// arrays of events, starting at a time or at a bookmark ({"timestamp", "id"}) and continuing in
// batches of max_array_length. Built against the documented contract; MySQL Enterprise is
// commercial and cannot run in this project's tests, so the JSON handling is unit-tested with the
// documented shapes instead of a server.
// https://dev.mysql.com/doc/refman/8.0/en/audit-log-file-reading.html
// https://dev.mysql.com/doc/refman/8.0/en/audit-log-reference.html#audit-log-routines

export interface Bookmark {
  timestamp: string;
  id: number;
}

/** One audit_log_read() call: the SQL argument in, the JSON string result out (null for SQL NULL). */
export type AuditLogReadCall = (arg: string) => Promise<string | null>;

/** 'YYYY-MM-DD HH:MM:SS' in UTC, the form audit_log_read() takes and JSON audit records carry. */
export function auditTime(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

export interface ReadBatch {
  items: Record<string, unknown>[];
  bookmark: Bookmark | null;
  end: boolean;
}

/**
 * Parses one audit_log_read() result. The end of the log shows as SQL NULL, a JSON null, an empty
 * array, or an array whose last element is null; the events are the array's objects.
 */
export function parseReadResult(text: string | null): ReadBatch {
  if (text === null) return { items: [], bookmark: null, end: true };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`audit_log_read() returned text that is not JSON: ${(e as Error).message}`);
  }
  if (v === null) return { items: [], bookmark: null, end: true };
  if (!Array.isArray(v)) throw new Error('audit_log_read() returned JSON that is not an array');
  let end = v.length === 0;
  if (v.length > 0 && v[v.length - 1] === null) end = true;
  const items = v.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x));
  const last = items[items.length - 1];
  const bookmark =
    last && typeof last.timestamp === 'string' && typeof last.id === 'number'
      ? { timestamp: last.timestamp, id: last.id }
      : null;
  return { items, bookmark, end };
}

/**
 * Reads every event from `since` up to `until` (exclusive), batch by batch, each batch starting at
 * the bookmark of the previous batch's last event (which the server returns again and is dropped).
 * Yields each event as one JSON line; `onBatch` hears the bookmark reached (the position).
 */
export async function* readAuditLog(
  call: AuditLogReadCall,
  since: Date,
  until: Date,
  maxArrayLength: number,
  onBatch: (bookmark: Bookmark | null, batch: number) => void,
): AsyncGenerator<Buffer> {
  const untilText = auditTime(until);
  let arg = JSON.stringify({ start: { timestamp: auditTime(since) }, max_array_length: maxArrayLength });
  let prev: Bookmark | null = null;
  for (let batch = 1; ; batch++) {
    const r = parseReadResult(await call(arg));
    let items = r.items;
    if (prev && items.length > 0 && items[0].timestamp === prev.timestamp && items[0].id === prev.id)
      items = items.slice(1);
    const lines: string[] = [];
    let past = false;
    for (const it of items) {
      if (typeof it.timestamp === 'string' && it.timestamp >= untilText) {
        past = true;
        break;
      }
      lines.push(JSON.stringify(it));
    }
    if (r.bookmark) prev = r.bookmark;
    onBatch(prev, batch);
    if (lines.length > 0) yield Buffer.from(lines.join('\n') + '\n');
    if (past || r.end || items.length === 0 || !r.bookmark) return;
    arg = JSON.stringify({ timestamp: r.bookmark.timestamp, id: r.bookmark.id, max_array_length: maxArrayLength });
  }
}
