// A local HTTP server speaking Bytebase's v1 REST API for the audit log (proto/v1/v1/
// audit_log_service.proto): POST /v1/auditLogs:search and /v1/{parent=projects/*}/auditLogs:search,
// body {filter, orderBy, pageSize, pageToken}, response {auditLogs, nextPageToken}. It enforces what
// the server does: a Bearer token, the CEL filter on create_time (>= and <= only, RFC 3339 strings,
// other variables rejected as the server rejects them), create_time ordering, page size default 10
// and maximum 5000, offset page tokens, the parent as a filter on the entry's parent; errors as
// {code, message} with the gRPC-gateway HTTP status. `failures` injects errors on given requests.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiEntry { name: string; createTime: string; [k: string]: unknown }

export interface BytebaseApi {
  url: string;
  /** Every request body received, in order, with its path. */
  requests: Array<{ path: string; body: Record<string, unknown>; auth: string | null }>;
  /** Request number (1-based) → HTTP status to answer with instead. */
  failures: Map<number, number>;
  stop(): Promise<void>;
}

const GRPC: Record<number, [number, string]> = { 400: [3, 'INVALID_ARGUMENT'], 401: [16, 'UNAUTHENTICATED'], 403: [7, 'PERMISSION_DENIED'], 429: [8, 'RESOURCE_EXHAUSTED'], 500: [13, 'INTERNAL'], 503: [14, 'UNAVAILABLE'] };

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => { let b = ''; req.setEncoding('utf8'); req.on('data', (c) => { b += c; }); req.on('end', () => resolve(b)); req.on('error', reject); });
}

/** The subset of CEL the server accepts for create_time: `create_time >= "t"` / `<= "t"` joined by &&. */
function parseFilter(filter: string): { since: number; until: number } | string {
  let since = -Infinity;
  let until = Infinity;
  if (!filter.trim()) return { since, until };
  for (const part of filter.split('&&').map((x) => x.trim())) {
    const m = /^(\w+)\s*(>=|<=|==|>|<)\s*["']([^"']*)["']$/.exec(part);
    if (!m) return `failed to parse filter ${filter}`;
    const [, v, op, value] = m;
    if (v !== 'create_time') return `unknown variable ${v}`;
    if (op !== '>=' && op !== '<=') return '">=" and "<=" are only supported for "create_time"';
    const t = Date.parse(value!);
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value!) || Number.isNaN(t)) return `failed to parse time ${value}`;
    if (op === '>=') since = t; else until = t;
  }
  return { since, until };
}

export async function startBytebaseApi(entries: ApiEntry[], token: string): Promise<BytebaseApi> {
  const requests: BytebaseApi['requests'] = [];
  const failures = new Map<number, number>();
  const fail = (res: import('node:http').ServerResponse, status: number, message: string) => {
    const [code] = GRPC[status] ?? [2, 'UNKNOWN'];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code, message, details: [] }));
  };
  const server: Server = createServer(async (req, res) => {
    const text = await body(req);
    const path = (req.url ?? '').split('?')[0]!;
    let b: Record<string, unknown> = {};
    try { b = text ? JSON.parse(text) : {}; } catch { fail(res, 400, 'invalid JSON body'); return; }
    requests.push({ path, body: b, auth: req.headers.authorization ?? null });
    const injected = failures.get(requests.length);
    if (injected) { fail(res, injected, injected === 403 ? 'permission denied: bb.auditLogs.search' : 'the server is busy'); return; }
    const m = /^\/v1\/(?:(projects\/[^/]+)\/)?auditLogs:search$/.exec(path);
    if (req.method !== 'POST' || !m) { fail(res, 404 as never, `no route ${req.method} ${path}`); return; }
    if (req.headers.authorization !== `Bearer ${token}`) { fail(res, 401, 'failed to authenticate: invalid access token'); return; }
    const parent = m[1] ?? null;
    const f = parseFilter(String(b.filter ?? ''));
    if (typeof f === 'string') { fail(res, 400, `failed to get filter: ${f}`); return; }
    const order = String(b.orderBy ?? '');
    if (order && !/^create_time( (asc|desc))?$/.test(order)) { fail(res, 400, `invalid order by key ${order}`); return; }
    const size = Math.min(5000, Number(b.pageSize ?? 0) > 0 ? Number(b.pageSize) : 10);
    let offset = 0;
    if (b.pageToken) {
      try { offset = JSON.parse(Buffer.from(String(b.pageToken), 'base64url').toString()).offset; } catch { fail(res, 400, 'invalid page token'); return; }
    }
    let list = entries.filter((e) => { const t = Date.parse(e.createTime); return t >= f.since && t <= f.until; });
    if (parent) list = list.filter((e) => e.name.startsWith(`${parent}/`));
    // created_at has microseconds: order on the full fraction, not Date's milliseconds.
    const key = (t: string) => t.replace(/(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, (_m, f: string | undefined) => (f ?? '.').padEnd(10, '0'));
    list.sort((a, c) => (key(a.createTime) < key(c.createTime) ? -1 : key(a.createTime) > key(c.createTime) ? 1 : a.name.localeCompare(c.name)));
    if (order.endsWith('desc')) list.reverse();
    const page = list.slice(offset, offset + size);
    const out: Record<string, unknown> = { auditLogs: page };
    if (offset + size < list.length) out.nextPageToken = Buffer.from(JSON.stringify({ limit: size, offset: offset + size })).toString('base64url');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, failures, stop: () => new Promise((r) => server.close(() => r())) };
}
