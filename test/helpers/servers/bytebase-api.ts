// A local HTTP server speaking Bytebase's v1 REST API for the audit log (proto/v1/v1/
// audit_log_service.proto): POST /v1/auditLogs:search and /v1/{parent=projects/*}/auditLogs:search,
// body {filter, orderBy, pageSize, pageToken}, response {auditLogs, nextPageToken}. It enforces what
// the server does: a Bearer token, the CEL filter on create_time (>= and <= only, RFC 3339 strings,
// other variables rejected as the server rejects them), create_time ordering, page size default 10
// and maximum 5000, offset page tokens, the parent as a filter on the entry's parent; errors as
// {code, message} with the gRPC-gateway HTTP status. `failures` injects errors on given requests.
// With `audit`, it also answers the audited mutating calls the probe makes (AuthService/Login,
// RoleService/CreateRole|DeleteRole, ReviewConfigService/CreateReviewConfig|DeleteReviewConfig,
// AuditLogService/ExportAuditLogs, plus the List calls for leftovers) and, as Bytebase's audit
// interceptor does (backend/api/v1/audit.go), appends an AuditLog row for each audited call, success
// or failure, with the caller as `users/{email}`, the request and response as JSON text (SENSITIVE
// fields masked) and the workspace as parent; the row becomes visible to the search `delayMs` later.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export interface ApiEntry {
  name: string;
  createTime: string;
  [k: string]: unknown;
}

export interface AuditOptions {
  /** Accounts that can log in (AuthService/Login): email -> password. */
  accounts: Record<string, string>;
  /** The account the source's own token belongs to. */
  tokenUser?: string;
  /** Milliseconds before an audited call's row is visible to the search (default 0). */
  delayMs?: number;
  /** The workspace id (default ws1). */
  workspace?: string;
  /** Methods the server does not audit (to imitate a server that loses them). */
  unaudited?: string[];
}

export interface BytebaseApi {
  url: string;
  /** Objects the probe calls created and not yet deleted (roles/x, reviewConfigs/y). */
  objects: Set<string>;
  /** The audited calls received (method, at). */
  audited: Array<{ method: string; at: number }>;
  /** Every request body received, in order, with its path. */
  requests: Array<{ path: string; body: Record<string, unknown>; auth: string | null }>;
  /** Request number (1-based) → HTTP status to answer with instead. */
  failures: Map<number, number>;
  stop(): Promise<void>;
}

const GRPC: Record<number, [number, string]> = {
  400: [3, 'INVALID_ARGUMENT'],
  401: [16, 'UNAUTHENTICATED'],
  403: [7, 'PERMISSION_DENIED'],
  429: [8, 'RESOURCE_EXHAUSTED'],
  500: [13, 'INTERNAL'],
  503: [14, 'UNAVAILABLE'],
};

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let b = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      b += c;
    });
    req.on('end', () => resolve(b));
    req.on('error', reject);
  });
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
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value!) || Number.isNaN(t))
      return `failed to parse time ${value}`;
    if (op === '>=') since = t;
    else until = t;
  }
  return { since, until };
}

export async function startBytebaseApi(entries: ApiEntry[], token: string, audit?: AuditOptions): Promise<BytebaseApi> {
  const requests: BytebaseApi['requests'] = [];
  const objects = new Set<string>();
  const audited: BytebaseApi['audited'] = [];
  const ws = audit?.workspace ?? 'ws1';
  const tokens = new Map<string, string>([[token, audit?.tokenUser ?? 'ae-reader@service.bytebase.com']]);
  let uid = 1000;
  const now = () => {
    const d = new Date();
    return d.toISOString().replace(/Z$/, `${String(Math.floor(Math.random() * 1000)).padStart(3, '0')}Z`);
  };
  const record = (
    method: string,
    user: string | null,
    resource: string,
    request: unknown,
    response: unknown,
    status: { code: number; message: string } | null,
    parent = `workspaces/${ws}`,
  ) => {
    if (audit?.unaudited?.includes(method)) return;
    audited.push({ method, at: Date.now() });
    const row: ApiEntry = {
      name: `${parent}/auditLogs/${++uid}`,
      createTime: now(),
      method: `/bytebase.v1.${method}`,
      severity: 'INFO',
      resource,
      ...(user ? { user: `users/${user}` } : {}),
      request: JSON.stringify(request),
      response: response === null ? '' : JSON.stringify(response),
      ...(status ? { status } : {}),
      latency: '0.012s',
    };
    setTimeout(() => entries.push(row), audit?.delayMs ?? 0);
  };
  const failures = new Map<number, number>();
  const fail = (res: import('node:http').ServerResponse, status: number, message: string) => {
    const [code] = GRPC[status] ?? [2, 'UNKNOWN'];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code, message, details: [] }));
  };
  const send = (res: import('node:http').ServerResponse, status: number, obj: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  /** The probe's calls; true when the route was one of them (answered). */
  async function probeRoute(
    method: string,
    path: string,
    query: URLSearchParams,
    b: Record<string, unknown>,
    auth: string | null,
    res: import('node:http').ServerResponse,
  ): Promise<boolean> {
    if (method === 'POST' && path === '/v1/auth/login') {
      const email = String(b.email ?? '');
      const ok = audit!.accounts[email] !== undefined && audit!.accounts[email] === b.password;
      const masked = { ...b, ...(b.password !== undefined ? { password: '' } : {}) }; // SENSITIVE: masked in the audit row
      if (!ok) {
        // A failed sign-in of an unknown account resolves no workspace: Bytebase writes no row.
        if (audit!.accounts[email] !== undefined)
          record('AuthService/Login', null, email, masked, null, {
            code: 16,
            message: 'the email or password is not valid',
          });
        fail(res, 401, 'the email or password is not valid');
        return true;
      }
      const issued = `bb-session-${randomUUID()}`;
      tokens.set(issued, email);
      const response = { token: issued, user: { name: `users/${email}`, email } };
      record('AuthService/Login', email, email, masked, { ...response, token: '' }, null);
      send(res, 200, response);
      return true;
    }
    if (method === 'POST' && path === '/v1/auth/logout') {
      const user = auth?.startsWith('Bearer ') ? tokens.get(auth.slice(7)) : undefined;
      if (user) {
        tokens.delete(auth!.slice(7));
        record('AuthService/Logout', user, user, {}, {}, null);
      }
      send(res, 200, {});
      return true;
    }
    const routes: Array<[string, RegExp]> = [
      ['POST', /^\/v1\/roles$/],
      ['DELETE', /^\/v1\/(roles\/[^/]+)$/],
      ['GET', /^\/v1\/roles$/],
      ['POST', /^\/v1\/reviewConfigs$/],
      ['DELETE', /^\/v1\/(reviewConfigs\/[^/]+)$/],
      ['GET', /^\/v1\/reviewConfigs$/],
      ['POST', /^\/v1\/(?:(projects\/[^/]+)\/)?auditLogs:export$/],
    ];
    const hit = routes.find(([m, re]) => m === method && re.test(path));
    if (!hit) return false;
    const user = auth?.startsWith('Bearer ') ? tokens.get(auth.slice(7)) : undefined;
    if (!user) {
      fail(res, 401, 'failed to authenticate: invalid access token');
      return true;
    }
    const arg = hit[1].exec(path)![1];
    if (method === 'GET') {
      const kind = path.endsWith('roles') ? 'roles' : 'reviewConfigs';
      send(res, 200, {
        [kind]: [...objects].filter((o) => o.startsWith(`${kind}/`)).map((name) => ({ name, title: name })),
      });
      return true;
    }
    if (path === '/v1/roles') {
      const id = query.get('roleId') ?? query.get('role_id') ?? '';
      const request = { role: b, roleId: id };
      if (!/^[a-zA-Z0-9]{4,63}$/.test(id)) {
        record('RoleService/CreateRole', user, 'roles/', request, null, { code: 3, message: `invalid role id ${id}` });
        fail(res, 400, `invalid role id ${id}`);
        return true;
      }
      const role = { ...b, name: `roles/${id}`, type: 'CUSTOM' };
      objects.add(role.name);
      record('RoleService/CreateRole', user, role.name, request, role, null);
      send(res, 200, role);
      return true;
    }
    if (path === '/v1/reviewConfigs') {
      const name = String(b.name ?? '') || `reviewConfigs/${randomUUID()}`;
      const rc = { ...b, name };
      objects.add(name);
      record('ReviewConfigService/CreateReviewConfig', user, name, { reviewConfig: b }, rc, null);
      send(res, 200, rc);
      return true;
    }
    if (method === 'DELETE') {
      const m = arg!.startsWith('roles/') ? 'RoleService/DeleteRole' : 'ReviewConfigService/DeleteReviewConfig';
      if (!objects.delete(arg!)) {
        record(m, user, arg!, { name: arg }, null, { code: 5, message: `${arg} not found` });
        fail(res, 404 as never, `${arg} not found`);
        return true;
      }
      record(m, user, arg!, { name: arg }, {}, null);
      send(res, 200, {});
      return true;
    }
    // ExportAuditLogs: the rows the filter selects (the probe's filter selects none).
    const request = { ...b, ...(arg ? { parent: arg } : {}) };
    record(
      'AuditLogService/ExportAuditLogs',
      user,
      arg ?? `workspaces/${ws}`,
      request,
      { content: '', nextPageToken: '' },
      null,
      arg ?? `workspaces/${ws}`,
    );
    send(res, 200, { content: '' });
    return true;
  }
  const server: Server = createServer(async (req, res) => {
    const text = await body(req);
    const path = (req.url ?? '').split('?')[0]!;
    let b: Record<string, unknown> = {};
    try {
      b = text ? JSON.parse(text) : {};
    } catch {
      fail(res, 400, 'invalid JSON body');
      return;
    }
    requests.push({ path, body: b, auth: req.headers.authorization ?? null });
    const injected = failures.get(requests.length);
    if (injected) {
      fail(res, injected, injected === 403 ? 'permission denied: bb.auditLogs.search' : 'the server is busy');
      return;
    }
    if (
      audit &&
      (await probeRoute(
        req.method ?? '',
        path,
        new URL(req.url ?? '/', 'http://x').searchParams,
        b,
        req.headers.authorization ?? null,
        res,
      ))
    )
      return;
    const m = /^\/v1\/(?:(projects\/[^/]+)\/)?auditLogs:search$/.exec(path);
    if (req.method !== 'POST' || !m) {
      fail(res, 404 as never, `no route ${req.method} ${path}`);
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      fail(res, 401, 'failed to authenticate: invalid access token');
      return;
    }
    const parent = m[1] ?? null;
    const f = parseFilter(String(b.filter ?? ''));
    if (typeof f === 'string') {
      fail(res, 400, `failed to get filter: ${f}`);
      return;
    }
    const order = String(b.orderBy ?? '');
    if (order && !/^create_time( (asc|desc))?$/.test(order)) {
      fail(res, 400, `invalid order by key ${order}`);
      return;
    }
    const size = Math.min(5000, Number(b.pageSize ?? 0) > 0 ? Number(b.pageSize) : 10);
    let offset = 0;
    if (b.pageToken) {
      try {
        offset = JSON.parse(Buffer.from(String(b.pageToken), 'base64url').toString()).offset;
      } catch {
        fail(res, 400, 'invalid page token');
        return;
      }
    }
    let list = entries.filter((e) => {
      const t = Date.parse(e.createTime);
      return t >= f.since && t <= f.until;
    });
    if (parent) list = list.filter((e) => e.name.startsWith(`${parent}/`));
    // created_at has microseconds: order on the full fraction, not Date's milliseconds.
    const key = (t: string) =>
      t.replace(/(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, (_m, f: string | undefined) => (f ?? '.').padEnd(10, '0'));
    list.sort((a, c) =>
      key(a.createTime) < key(c.createTime)
        ? -1
        : key(a.createTime) > key(c.createTime)
          ? 1
          : a.name.localeCompare(c.name),
    );
    if (order.endsWith('desc')) list.reverse();
    const page = list.slice(offset, offset + size);
    const out: Record<string, unknown> = { auditLogs: page };
    if (offset + size < list.length)
      out.nextPageToken = Buffer.from(JSON.stringify({ limit: size, offset: offset + size })).toString('base64url');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(out));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failures,
    objects,
    audited,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
