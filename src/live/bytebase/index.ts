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
import type { LiveSourceOpener, SourceConfig, SourceRunContext } from '../../collect/source.js';
import type { FormatAdapter, Outcome } from '../../pipeline/types.js';
import { openStream } from '../../pipeline/input.js';
import { normalizeOne, type RunSummary } from '../../pipeline/run.js';
import { catalog, findAdapter } from '../../sources/registry.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { DEFAULT_RETRY, RetryCount, withRetry, type RetryPolicy } from '../pace.js';
import { Scrubber, urlWithoutPassword } from '../secrets.js';
import { pgConnection, type PgConnection, type PostgresSourceConfig } from '../postgres/connection.js';
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
  const pull = new BytebasePull(cfg as unknown as BytebaseSourceConfig, ctx, summary);
  return { outcomes: pull.run(), result: () => pull.res.result() };
};

/** How the API is searched: the base URL, the token, the filter, the parents searched. */
interface ApiPlan {
  base: string;
  token: string;
  scrubber: Scrubber;
  pageSize: number;
  filter: string;
  parents: (string | null)[];
}

/** How the audit_log table is read: keyset pages in a fixed order. */
interface SqlPlan {
  table: string;
  tableSql: string;
  pageSize: number;
  /** The key column: id, or resource_id (then ordered by created_at, resource_id). */
  keyed: 'id' | 'resource_id';
  /** The page query, `%AFTER%` standing for the keyset condition. */
  query: string;
  total: unknown;
}

/** One pull, through the API or the metadata database. */
class BytebasePull {
  readonly res = new LiveResult();
  private readonly progress: ProgressLine;
  private readonly adapter: FormatAdapter | undefined = findAdapter('bytebase');
  private readonly retries: RetryCount;
  private pages = 0;
  private entries = 0;

  constructor(
    private readonly c: BytebaseSourceConfig,
    private readonly ctx: SourceRunContext,
    private readonly summary: RunSummary,
  ) {
    this.progress = new ProgressLine(c.name, ctx.progress);
    this.retries = new RetryCount(this.progress);
  }

  async *run(): AsyncGenerator<Outcome> {
    const { c, res } = this;
    if (!this.adapter) {
      res.fail('the bytebase adapter is not registered');
      return;
    }
    if (c.url && c.metadata_db) {
      res.fail('give either url (the API) or metadata_db (SQL), not both');
      return;
    }
    if (c.url) yield* this.viaApi(this.adapter);
    else if (c.metadata_db) yield* this.viaSql(this.adapter);
    else res.fail('give url (with token_env) to read the API, or metadata_db to read the metadata database');
  }

  // ---- The API. ----

  private async *viaApi(adapter: FormatAdapter): AsyncGenerator<Outcome> {
    const { res } = this;
    const plan = this.planApi();
    if (!plan) return;
    for (const parent of plan.parents) if (!(yield* this.searchParent(adapter, plan, parent))) return;
    res.settings.pages = this.pages;
    res.settings.entries = this.entries;
    this.retries.report(res);
    this.progress.update(`done: ${this.entries} entries, ${this.pages} pages`, true);
    res.position = null;
    res.done();
  }

  /** The token, filter and parents, said in the result; null (the failure said) without a token. */
  private planApi(): ApiPlan | null {
    const { c, ctx, res } = this;
    const base = c.url!.replace(/\/+$/, '');
    const token = c.token_env ? process.env[c.token_env] : undefined;
    if (!c.token_env) {
      res.fail("token_env is not set: name the environment variable that holds the service account's access token");
      return null;
    }
    if (!token) {
      res.fail(`environment variable ${c.token_env} (token_env) is not set`);
      return null;
    }
    const pageSize = Math.min(5000, Math.max(1, c.page_size ?? 1000));
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
    return { base, token, scrubber: new Scrubber([token]), pageSize, filter, parents };
  }

  /** One parent's (a project's, or the workspace's) audit logs, every page, through the adapter. False when the pull must stop. */
  private async *searchParent(
    adapter: FormatAdapter,
    plan: ApiPlan,
    parent: string | null,
  ): AsyncGenerator<Outcome, boolean> {
    const { c, ctx, res } = this;
    const state = { failed: false };
    const input = await openStream(
      `${c.name}:${parent ?? 'workspace'}:auditLogs:search`,
      this.searchPages(plan, parent, state),
    );
    for await (const o of normalizeOne(
      adapter,
      input,
      {
        adapters: catalog,
        format: 'bytebase',
        options: { instance: c.name, variant: 'api' },
        since: ctx.since,
        until: ctx.until,
      },
      this.summary,
    )) {
      res.count(o);
      yield o;
      if (ctx.signal?.aborted) {
        res.fail('the pull was interrupted');
        return false;
      }
    }
    return !state.failed;
  }

  /** The parent's pages as {"auditLogs": [...]} lines; a failed page is said in the result and ends them. */
  private async *searchPages(plan: ApiPlan, parent: string | null, state: { failed: boolean }): AsyncGenerator<Buffer> {
    const { res } = this;
    let pageToken: string | undefined;
    for (let page = 1; ; page++) {
      res.position = `${parent ?? 'workspace'}, page ${page}${pageToken ? ` (pageToken ${pageToken.length > 40 ? pageToken.slice(0, 40) + '…' : pageToken})` : ''}`;
      let body: { auditLogs?: unknown[]; nextPageToken?: string };
      try {
        body = await this.search(plan, parent, pageToken, `${parent ?? 'workspace'} page ${page}`);
      } catch (e) {
        res.fail(
          plan.scrubber.scrub(
            `Bytebase search failed on ${parent ?? 'the workspace'}, page ${page}, after ${this.entries} entries: ${(e as Error).message}`,
          ),
        );
        state.failed = true;
        return;
      }
      res.touched = true;
      this.pages++;
      const logs = Array.isArray(body.auditLogs) ? body.auditLogs : [];
      this.entries += logs.length;
      this.progress.update(`${this.entries} entries, ${this.pages} pages so far`);
      if (logs.length) yield Buffer.from(JSON.stringify({ auditLogs: logs }) + '\n');
      pageToken = typeof body.nextPageToken === 'string' && body.nextPageToken ? body.nextPageToken : undefined;
      if (!pageToken) return;
    }
  }

  /** One auditLogs:search request; transient errors (429, 5xx, dropped connections, timeouts) retried. */
  private search(
    plan: ApiPlan,
    parent: string | null,
    pageToken: string | undefined,
    where: string,
  ): Promise<{ auditLogs?: unknown[]; nextPageToken?: string }> {
    const { c, ctx } = this;
    const endpoint = `${plan.base}/v1/${parent ? `${parent}/` : ''}auditLogs:search`;
    return withRetry(
      async () => {
        const r = await fetch(endpoint, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            authorization: `Bearer ${plan.token}`,
          },
          body: JSON.stringify({
            ...(parent ? { parent } : {}),
            filter: plan.filter,
            orderBy: 'create_time asc',
            pageSize: plan.pageSize,
            ...(pageToken ? { pageToken } : {}),
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
      this.retries.on(where),
      { ...DEFAULT_RETRY, ...c.retry },
      ctx.signal,
    );
  }

  // ---- The metadata database. ----

  private async *viaSql(adapter: FormatAdapter): AsyncGenerator<Outcome> {
    const { c, res } = this;
    const db = c.metadata_db!;
    let conn: PgConnection;
    try {
      conn = pgConnection({ name: c.name, type: 'postgres', ...db });
    } catch (e) {
      res.fail((e as Error).message);
      return;
    }
    const table = db.table ?? 'audit_log';
    const tableSql = table.split('.').map(quoteIdent).join('.');
    const client = new pg.Client(conn.config);
    client.on('error', () => {
      /* reported by the pending query */
    });
    let connected = false;
    try {
      this.progress.update(`connecting to ${conn.display}`, true);
      await client.connect();
      connected = true;
      const plan = await this.planSql(client, conn, table, tableSql);
      if (!plan) return;
      yield* this.readRows(adapter, client, plan);
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

  /**
   * Opens the read-only transaction and checks the table: its columns say how it is keyed. Null
   * (the failure said) when it is not a Bytebase audit_log table.
   */
  private async planSql(
    client: pg.Client,
    conn: PgConnection,
    table: string,
    tableSql: string,
  ): Promise<SqlPlan | null> {
    const { ctx, res } = this;
    const pageSize = Math.max(1, this.c.page_size ?? 1000);
    const role = String((await client.query('SELECT current_user AS u')).rows[0].u);
    await client.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query("SET LOCAL TIME ZONE 'UTC'");
    const cols = (
      await client.query(
        'SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped',
        [table],
      )
    ).rows.map((r) => String(r.attname));
    const keyed = this.keyOf(cols, table, conn, role);
    if (!keyed) return null;
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
    return { table, tableSql, pageSize, keyed, query, total };
  }

  /** The table's key column from its columns; null (the failure said) when it is not an audit_log table. */
  private keyOf(cols: string[], table: string, conn: PgConnection, role: string): 'id' | 'resource_id' | null {
    const { res } = this;
    if (cols.length === 0) {
      res.fail(
        `table ${table} was not found in ${conn.display} (connected as ${role}): is this Bytebase's metadata database?`,
      );
      return null;
    }
    if (!cols.includes('payload') || !cols.includes('created_at')) {
      res.fail(
        `table ${table} in ${conn.display} has no payload / created_at column: not a Bytebase audit_log table (columns: ${cols.join(', ')})`,
      );
      return null;
    }
    const keyed = cols.includes('id') ? 'id' : cols.includes('resource_id') ? 'resource_id' : null;
    if (!keyed) res.fail(`table ${table} has neither id nor resource_id: not a Bytebase audit_log table`);
    return keyed;
  }

  /** The rows of the period through the adapter, then the transaction committed and the verdict. */
  private async *readRows(adapter: FormatAdapter, client: pg.Client, plan: SqlPlan): AsyncGenerator<Outcome> {
    const { c, ctx, res } = this;
    const counts = { rows: 0 };
    const input = await openStream(`${c.name}:${plan.table}`, this.rowPages(client, plan, counts));
    for await (const o of normalizeOne(
      adapter,
      input,
      {
        adapters: catalog,
        format: 'bytebase',
        options: { instance: c.name, variant: 'sql' },
        since: ctx.since,
        until: ctx.until,
      },
      this.summary,
    )) {
      res.count(o);
      yield o;
      if (ctx.signal?.aborted) {
        res.fail('the pull was interrupted');
        return;
      }
    }
    await client.query('COMMIT');
    res.settings.rows_read = counts.rows;
    res.position = null;
    this.progress.update(`done: ${counts.rows} rows`, true);
    res.done();
  }

  /** Keyset pages of rows as JSON lines (row_to_json), each page after the last row's key. */
  private async *rowPages(client: pg.Client, plan: SqlPlan, counts: { rows: number }): AsyncGenerator<Buffer> {
    const { ctx, res } = this;
    const { keyed, pageSize } = plan;
    let lastK: string | null = null;
    let lastT: string | null = null;
    for (let page = 1; ; page++) {
      res.position = lastK === null ? 'first page' : `after ${keyed} ${lastK}`;
      const after: string =
        lastK === null ? '' : keyed === 'id' ? 'AND id > $3' : 'AND (created_at, resource_id) > ($3::timestamptz, $4)';
      const params: unknown[] = [ctx.since, ctx.until];
      if (lastK !== null) params.push(...(keyed === 'id' ? [lastK] : [lastT, lastK]));
      const r: pg.QueryResult = await client.query(plan.query.replace('%AFTER%', after), params);
      res.touched = true;
      if (r.rows.length === 0) return;
      counts.rows += r.rows.length;
      this.progress.update(`${counts.rows}/${plan.total} rows, page ${page}`);
      yield Buffer.from(r.rows.map((x: { line: string }) => x.line).join('\n') + '\n');
      const last: { k: unknown; t: string } = r.rows[r.rows.length - 1];
      lastK = String(last.k);
      lastT = last.t;
      if (r.rows.length < pageSize) return;
    }
  }
}
