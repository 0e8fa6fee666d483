// Live source `bytebase`: the audit log of a Bytebase server, read one of two ways, and normalized
// by the bytebase adapter (the same code that reads exported files):
//   - `api`: POST /v1/auditLogs:search (the workspace) or /v1/projects/<id>/auditLogs:search, with
//     a CEL filter on create_time for the period, create_time ascending, every page (pageToken),
//     transient errors retried with backoff; the service account's access token from an
//     environment variable (Authorization: Bearer). The search API omits requestMetadata: events
//     pulled this way have no origin (the warning says so).
//   - `sql`: the metadata PostgreSQL of a self-hosted server, read in a read-only, repeatable-read
//     transaction: SELECT row_to_json(...) FROM audit_log WHERE created_at >= $1 AND created_at < $2
//     in id order (keyset pages of `page_size` rows, so memory does not grow with the period).
//     Servers after 3.x key the table by resource_id (text) and workspace: then the order is
//     (created_at, resource_id). The role needs only SELECT on audit_log.
// API: https://github.com/bytebase/bytebase/blob/main/proto/v1/v1/audit_log_service.proto
import pg from 'pg';
import type { LiveSourceOpener, SourceConfig } from '../../collect/source.js';
import type { Outcome } from '../../pipeline/types.js';
import { openStream } from '../../pipeline/input.js';
import { normalizeOne } from '../../pipeline/run.js';
import { findAdapter } from '../../sources/registry.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { DEFAULT_RETRY, withRetry, type RetryPolicy } from '../pace.js';
import { Scrubber, urlWithoutPassword } from '../secrets.js';
import { pgConnection, type PostgresSourceConfig } from '../postgres/connection.js';
import { quoteIdent } from '../postgres/index.js';

export interface BytebaseSourceConfig {
  name: string;
  type: 'bytebase';
  /** The API: base URL of the Bytebase server (https://bytebase.example.com). */
  url?: string;
  /** Name of the environment variable holding the service account's access token. */
  token_env?: string;
  /** Search these projects (ids or projects/<id>) instead of the whole workspace. */
  projects?: string[];
  /** The metadata database (SQL): connection as for a postgres source. */
  metadata_db?: Omit<PostgresSourceConfig, 'name' | 'type' | 'log_format'> & { table?: string };
  /** Entries per API page (max 5000) or rows per SQL page; default 1000. */
  page_size?: number;
  retry?: Partial<RetryPolicy>;
  /** Seconds per HTTP request before it is abandoned (default 60). */
  request_timeout?: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function transient(e: unknown): string | null {
  if (e instanceof HttpError) return e.status === 429 || e.status >= 500 ? `HTTP ${e.status}` : null;
  const code = (e as { cause?: { code?: string }; code?: string }).cause?.code ?? (e as { code?: string }).code;
  if (code && /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|UND_ERR/.test(code)) return code;
  if ((e as Error).name === 'TimeoutError') return 'timeout';
  return null;
}

/** The error body of a gRPC-gateway / Connect error: {code, message} (code a number or a name). */
function describeError(status: number, body: string): string {
  try {
    const j = JSON.parse(body) as { code?: unknown; message?: unknown };
    const msg = typeof j.message === 'string' ? j.message : '';
    const code = typeof j.code === 'string' ? j.code.toUpperCase() : typeof j.code === 'number' ? `code ${j.code}` : '';
    if (msg || code) return `HTTP ${status}${code ? ` ${code}` : ''}${msg ? `: ${msg}` : ''}`;
  } catch {
    /* not JSON */
  }
  return `HTTP ${status}${body ? `: ${body.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.000Z$/, 'Z');

export const openBytebase: LiveSourceOpener = (cfg: SourceConfig, ctx, summary) => {
  const c = cfg as unknown as BytebaseSourceConfig;
  const res = new LiveResult();
  const progress = new ProgressLine(c.name, ctx.progress);
  const adapter = findAdapter('bytebase');

  async function* viaApi(): AsyncGenerator<Outcome> {
    const base = c.url!.replace(/\/+$/, '');
    const token = c.token_env ? process.env[c.token_env] : undefined;
    if (!c.token_env) {
      res.fail("token_env is not set: name the environment variable that holds the service account's access token");
      return;
    }
    if (!token) {
      res.fail(`environment variable ${c.token_env} (token_env) is not set`);
      return;
    }
    const scrubber = new Scrubber([token]);
    const pageSize = Math.min(5000, Math.max(1, c.page_size ?? 1000));
    const policy = { ...DEFAULT_RETRY, ...c.retry };
    const filter = `create_time >= "${rfc3339(ctx.since)}" && create_time <= "${rfc3339(ctx.until)}"`;
    const parents = c.projects?.length
      ? c.projects.map((p) => (p.startsWith('projects/') ? p : `projects/${p}`))
      : [null];
    const display = urlWithoutPassword(base);
    res.how = `Bytebase API ${display}: POST ${parents.map((p) => (p ? `/v1/${p}/auditLogs:search` : '/v1/auditLogs:search')).join(', ')} with filter ${filter}, orderBy create_time asc, ${pageSize} entries per page, every page (pageToken)`;
    res.settings = {
      mode: 'api',
      url: display,
      token: `environment variable ${c.token_env}`,
      filter,
      page_size: pageSize,
      searched: parents.map((p) => p ?? 'workspace'),
    };
    res.warn(
      'the search API does not return requestMetadata: events pulled through it have no origin (caller IP, user agent); read the metadata database (metadata_db) for origins',
    );
    res.warn(
      "the search API returns only what the server's plan keeps (audit log retention): entries older than the retention are not returned",
    );
    const retries: Record<string, number> = {};
    let pages = 0;
    let entries = 0;
    for (const parent of parents) {
      const endpoint = `${base}/v1/${parent ? `${parent}/` : ''}auditLogs:search`;
      let token2: string | undefined;
      let page = 0;
      let failed = false;
      const pageStream = async function* (): AsyncGenerator<Buffer> {
        for (;;) {
          page++;
          res.position = `${parent ?? 'workspace'}, page ${page}${token2 ? ` (pageToken ${token2.length > 40 ? token2.slice(0, 40) + '…' : token2})` : ''}`;
          let body: { auditLogs?: unknown[]; nextPageToken?: string };
          try {
            body = await withRetry(
              async () => {
                const r = await fetch(endpoint, {
                  method: 'POST',
                  headers: {
                    'content-type': 'application/json',
                    accept: 'application/json',
                    authorization: `Bearer ${token}`,
                  },
                  body: JSON.stringify({
                    ...(parent ? { parent } : {}),
                    filter,
                    orderBy: 'create_time asc',
                    pageSize,
                    ...(token2 ? { pageToken: token2 } : {}),
                  }),
                  signal: AbortSignal.any([
                    AbortSignal.timeout((c.request_timeout ?? 60) * 1000),
                    ...(ctx.signal ? [ctx.signal] : []),
                  ]),
                });
                const text = await r.text();
                if (!r.ok) throw new HttpError(r.status, describeError(r.status, text));
                try {
                  return JSON.parse(text);
                } catch {
                  throw new Error(`the response is not JSON (${text.slice(0, 80).replace(/\s+/g, ' ')}…)`);
                }
              },
              transient,
              (what, attempt, delay) => {
                retries[what] = (retries[what] ?? 0) + 1;
                progress.update(
                  `${parent ?? 'workspace'} page ${page}: ${what}, retry ${attempt} in ${delay} ms`,
                  true,
                );
              },
              policy,
              ctx.signal,
            );
          } catch (e) {
            res.fail(
              scrubber.scrub(
                `Bytebase search failed on ${parent ?? 'the workspace'}, page ${page}, after ${entries} entries: ${(e as Error).message}`,
              ),
            );
            failed = true;
            return;
          }
          res.touched = true;
          pages++;
          const logs = Array.isArray(body.auditLogs) ? body.auditLogs : [];
          entries += logs.length;
          progress.update(`${entries} entries, ${pages} pages so far`);
          if (logs.length) yield Buffer.from(JSON.stringify({ auditLogs: logs }) + '\n');
          token2 = typeof body.nextPageToken === 'string' && body.nextPageToken ? body.nextPageToken : undefined;
          if (!token2) return;
        }
      };
      const input = await openStream(`${c.name}:${parent ?? 'workspace'}:auditLogs:search`, pageStream());
      for await (const o of normalizeOne(
        adapter!,
        input,
        { format: 'bytebase', options: { instance: c.name, variant: 'api' }, since: ctx.since, until: ctx.until },
        summary,
      )) {
        res.count(o);
        yield o;
        if (ctx.signal?.aborted) {
          res.fail('the pull was interrupted');
          return;
        }
      }
      if (failed) return;
    }
    res.settings.pages = pages;
    res.settings.entries = entries;
    if (Object.keys(retries).length) {
      res.settings.retries = retries;
      res.warn(
        `transient errors were retried with backoff: ${Object.entries(retries)
          .map(([k, v]) => `${v} × ${k}`)
          .join(', ')}`,
      );
    }
    progress.update(`done: ${entries} entries, ${pages} pages`, true);
    res.position = null;
    res.done();
  }

  async function* viaSql(): AsyncGenerator<Outcome> {
    const db = c.metadata_db!;
    let conn;
    try {
      conn = pgConnection({ name: c.name, type: 'postgres', ...db });
    } catch (e) {
      res.fail((e as Error).message);
      return;
    }
    const table = db.table ?? 'audit_log';
    const tableSql = table.split('.').map(quoteIdent).join('.');
    const pageSize = Math.max(1, c.page_size ?? 1000);
    const client = new pg.Client(conn.config);
    client.on('error', () => {
      /* reported by the pending query */
    });
    let connected = false;
    try {
      progress.update(`connecting to ${conn.display}`, true);
      await client.connect();
      connected = true;
      const role = String((await client.query('SELECT current_user AS u')).rows[0].u);
      await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query("SET LOCAL TIME ZONE 'UTC'");
      const cols = (
        await client.query(
          'SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped',
          [table],
        )
      ).rows.map((r) => String(r.attname));
      if (cols.length === 0) {
        res.fail(
          `table ${table} was not found in ${conn.display} (connected as ${role}): is this Bytebase's metadata database?`,
        );
        return;
      }
      if (!cols.includes('payload') || !cols.includes('created_at')) {
        res.fail(
          `table ${table} in ${conn.display} has no payload / created_at column: not a Bytebase audit_log table (columns: ${cols.join(', ')})`,
        );
        return;
      }
      const keyed = cols.includes('id') ? 'id' : cols.includes('resource_id') ? 'resource_id' : null;
      if (!keyed) {
        res.fail(`table ${table} has neither id nor resource_id: not a Bytebase audit_log table`);
        return;
      }
      const select =
        keyed === 'id'
          ? 'id, created_at, payload'
          : `resource_id${cols.includes('workspace') ? ', workspace' : ''}, created_at, payload`;
      const order = keyed === 'id' ? 'id' : 'created_at, resource_id';
      const query = `SELECT row_to_json(a)::text AS line, a.${keyed}::text AS k, a.created_at::text AS t FROM (SELECT ${select} FROM ${tableSql} WHERE created_at >= $1 AND created_at < $2 %AFTER% ORDER BY ${order} LIMIT ${pageSize}) a ORDER BY ${keyed === 'id' ? 'a.id' : 'a.created_at, a.resource_id'}`;
      res.how = `SQL on ${conn.display} as ${role}, one read-only repeatable-read transaction: SELECT ${select} FROM ${table} WHERE created_at >= $1 AND created_at < $2 ORDER BY ${order}, in pages of ${pageSize} rows (keyset on ${keyed === 'id' ? 'id' : 'created_at, resource_id'})`;
      res.settings = { mode: 'sql', connection: conn.display, reading_role: role, table, columns: cols, order };
      const total = (
        await client.query(`SELECT count(*)::bigint AS n FROM ${tableSql} WHERE created_at >= $1 AND created_at < $2`, [
          ctx.since,
          ctx.until,
        ])
      ).rows[0].n;
      res.settings.rows_in_period = Number(total);
      let page = 0;
      let rows = 0;
      const rowStream = async function* (): AsyncGenerator<Buffer> {
        let lastK: string | null = null;
        let lastT: string | null = null;
        for (;;) {
          page++;
          res.position = lastK === null ? 'first page' : `after ${keyed} ${lastK}`;
          const after: string =
            lastK === null
              ? ''
              : keyed === 'id'
                ? 'AND id > $3'
                : 'AND (created_at, resource_id) > ($3::timestamptz, $4)';
          const params: unknown[] = [ctx.since, ctx.until];
          if (lastK !== null) params.push(...(keyed === 'id' ? [lastK] : [lastT, lastK]));
          const r: pg.QueryResult = await client.query(query.replace('%AFTER%', after), params);
          res.touched = true;
          if (r.rows.length === 0) return;
          rows += r.rows.length;
          progress.update(`${rows}/${total} rows, page ${page}`);
          yield Buffer.from(r.rows.map((x: { line: string }) => x.line).join('\n') + '\n');
          const last: { k: unknown; t: string } = r.rows[r.rows.length - 1];
          lastK = String(last.k);
          lastT = last.t;
          if (r.rows.length < pageSize) return;
        }
      };
      const input = await openStream(`${c.name}:${table}`, rowStream());
      for await (const o of normalizeOne(
        adapter!,
        input,
        { format: 'bytebase', options: { instance: c.name, variant: 'sql' }, since: ctx.since, until: ctx.until },
        summary,
      )) {
        res.count(o);
        yield o;
        if (ctx.signal?.aborted) {
          res.fail('the pull was interrupted');
          return;
        }
      }
      await client.query('COMMIT');
      res.settings.rows_read = rows;
      res.position = null;
      progress.update(`done: ${rows} rows`, true);
      res.done();
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code === '42501')
        res.fail(
          `the role may not read ${table}; as its owner run: GRANT SELECT ON ${tableSql} TO <role> (the source needs nothing else)`,
        );
      else
        res.fail(
          conn.scrubber.scrub(
            `Bytebase metadata database pull failed${connected ? '' : ` connecting to ${conn.display}`}: ${err.message}`,
          ),
        );
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async function* run(): AsyncGenerator<Outcome> {
    if (!adapter) {
      res.fail('the bytebase adapter is not registered');
      return;
    }
    if (c.url && c.metadata_db) {
      res.fail('give either url (the API) or metadata_db (SQL), not both');
      return;
    }
    if (c.url) yield* viaApi();
    else if (c.metadata_db) yield* viaSql();
    else res.fail('give url (with token_env) to read the API, or metadata_db to read the metadata database');
  }

  return { outcomes: run(), result: () => res.result() };
};
