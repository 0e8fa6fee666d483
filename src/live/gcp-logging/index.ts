// Live source `gcp-logging`: Cloud Audit Logs pulled with @google-cloud/logging (entries.list over
// gRPC) for projects, folders or organizations, the period always in the filter, every page
// followed, transient and quota errors retried with backoff. Each LogEntry's protoPayload is
// decoded from its Any to the REST JSON form and the entry goes to the gcp-audit adapter, the same
// mapping that reads exported log files.
// API: https://cloud.google.com/logging/docs/reference/v2/rpc/google.logging.v2#google.logging.v2.LoggingServiceV2.ListLogEntries
// Filter syntax: https://cloud.google.com/logging/docs/view/logging-query-language
import { Logging } from '@google-cloud/logging';
import { gcpRetention, readGcpRouting } from '../../retention/gcp.js';
import { FoldersClient, OrganizationsClient, ProjectsClient } from '@google-cloud/resource-manager';
import { readGcpAdmins } from '../../roster/gcp-iam.js';
import { withRoster } from '../roster.js';
import * as grpc from '@grpc/grpc-js';
import type { LiveSourceOpener, SourceConfig, SourceRunContext } from '../../collect/source.js';
import type { FormatAdapter, Outcome } from '../../pipeline/types.js';
import { openStream } from '../../pipeline/input.js';
import { normalizeOne, type RunSummary } from '../../pipeline/run.js';
import { catalog, findAdapter } from '../../sources/registry.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { withRetry, DEFAULT_RETRY, RetryCount, type RetryPolicy } from '../pace.js';
import { entryToRestJson } from './decode.js';

export const LOG_KINDS = ['activity', 'data_access', 'system_event', 'policy'] as const;
export type GcpLogKind = (typeof LOG_KINDS)[number];

export interface GcpLoggingSourceConfig {
  name: string;
  type: 'gcp-logging';
  /** projects/ID, folders/ID, organizations/ID (or billingAccounts/ID). */
  resources: string[];
  /** Which Cloud Audit Logs to read; default all four. */
  log_kinds?: GcpLogKind[];
  /** An extra Logging query ANDed with the log and period filter. */
  filter?: string;
  /**
   * Also read Cloud SQL for PostgreSQL's server log (cloudsql.googleapis.com/postgres.log):
   * connections, failed logins and pgaudit AUDIT lines, read by the pgaudit adapter.
   */
  cloudsql_postgres_log?: boolean;
  page_size?: number;
  /** A service account key file; default: Application Default Credentials. */
  key_file?: string;
  /** For tests and private endpoints: host, port and plain-text transport. */
  api_endpoint?: string;
  port?: number;
  insecure?: boolean;
  retry?: Partial<RetryPolicy>;
  /** Read the IAM policies of the resources (admin roster, marks events privileged); default true. */
  iam_roster?: boolean;
  /** Resource Manager host for tests and private endpoints (uses `port` and `insecure` too). */
  resource_manager_endpoint?: string;
  /** Permissions of custom roles, when IAM's roles.get cannot be read. */
  custom_roles?: Record<string, string[]>;
  /** IAM API base URL (roles.get) override: tests and private endpoints; no credentials are sent to it. */
  iam_endpoint?: string;
}

const RESOURCE = /^(projects|folders|organizations|billingAccounts)\/[^/\s]+$/;

/** The entries.list filter: the chosen audit logs AND the period (always), AND the user's extra filter. */
export function buildFilter(
  kinds: readonly GcpLogKind[],
  since: Date,
  until: Date,
  extra?: string,
  cloudSqlPostgres = false,
): string {
  const ids = kinds.map((k) => `log_id("cloudaudit.googleapis.com/${k}")`);
  if (cloudSqlPostgres) ids.push('log_id("cloudsql.googleapis.com/postgres.log")');
  const logs = ids.join(' OR ');
  const parts = [`(${logs})`, `timestamp >= "${since.toISOString()}"`, `timestamp < "${until.toISOString()}"`];
  if (extra && extra.trim()) parts.push(`(${extra.trim()})`);
  return parts.join(' AND ');
}

const TRANSIENT = new Map<number, string>([
  [grpc.status.UNAVAILABLE, 'UNAVAILABLE'],
  [grpc.status.RESOURCE_EXHAUSTED, 'RESOURCE_EXHAUSTED (quota)'],
  [grpc.status.DEADLINE_EXCEEDED, 'DEADLINE_EXCEEDED'],
  [grpc.status.INTERNAL, 'INTERNAL'],
]);

function grpcCode(e: unknown): number | null {
  const c = (e as { code?: unknown }).code;
  return typeof c === 'number' ? c : null;
}

export const openGcpLogging: LiveSourceOpener = (cfg: SourceConfig, ctx, summary) => {
  const pull = new GcpLoggingPull(cfg as unknown as GcpLoggingSourceConfig, ctx, summary);
  return { outcomes: pull.run(), result: () => pull.res.result() };
};

/** A listLogEntries answer: the entries, the request, the response with the next page's token. */
type ListAnswer = [unknown[], unknown, { nextPageToken?: string | null }];

/** The Resource Manager clients the IAM roster reads policies with. */
interface ResourceManagerClients {
  projects: ProjectsClient;
  folders: FoldersClient;
  organizations: OrganizationsClient;
}

/** One pull: settings, the Logging client, roster and retention, then every page of entries.list. */
class GcpLoggingPull {
  readonly res = new LiveResult();
  private readonly progress: ProgressLine;
  private readonly policy: RetryPolicy;
  private readonly retries: RetryCount;
  private page = 0;
  private entries = 0;

  constructor(
    private readonly c: GcpLoggingSourceConfig,
    private readonly ctx: SourceRunContext,
    private readonly summary: RunSummary,
  ) {
    this.progress = new ProgressLine(c.name, ctx.progress);
    this.policy = { ...DEFAULT_RETRY, ...c.retry };
    this.retries = new RetryCount(this.progress);
  }

  async *run(): AsyncGenerator<Outcome> {
    const { c, ctx, res } = this;
    const resources = c.resources ?? [];
    const bad = resources.filter((r) => !RESOURCE.test(r));
    if (resources.length === 0 || bad.length) {
      res.fail(
        `resources must be projects/ID, folders/ID or organizations/ID${bad.length ? `: not ${bad.join(', ')}` : ''}`,
      );
      return;
    }
    const kinds = c.log_kinds && c.log_kinds.length ? c.log_kinds : [...LOG_KINDS];
    const filter = buildFilter(kinds, ctx.since, ctx.until, c.filter, c.cloudsql_postgres_log === true);
    const pageSize = c.page_size ?? 1000;
    this.describe(resources, kinds, filter, pageSize);
    const adapter = findAdapter('gcp-audit');
    if (!adapter) {
      res.fail('the gcp-audit adapter is not registered');
      return;
    }
    const logging = this.loggingClient(resources);
    if (!logging) return;
    // Who administers these resources (IAM policies), before the first event; never fails the pull.
    if (c.iam_roster === false) res.settings.iam_roster = { read: false, why: 'iam_roster: false in the config' };
    else if (c.api_endpoint && !c.resource_manager_endpoint)
      res.settings.iam_roster = {
        read: false,
        why: 'api_endpoint is overridden and resource_manager_endpoint is not set',
      };
    else await this.readIamRoster();
    // Where these audit logs are kept and for how long (buckets and sinks); never fails the pull.
    res.retention = gcpRetention(
      kinds,
      await readGcpRouting(logging, resources),
      `Cloud Logging ListBuckets and ListSinks on ${resources.join(', ')}`,
    );
    const request = { resourceNames: resources, filter, orderBy: 'timestamp asc', pageSize };
    yield* this.pull(adapter, logging, request);
  }

  /** How the pull reads, and its settings, for the result. */
  private describe(resources: string[], kinds: GcpLogKind[], filter: string, pageSize: number): void {
    const { c, res } = this;
    res.how = `Cloud Logging entries.list on ${resources.join(', ')} with filter ${filter}, ordered by timestamp, ${pageSize} entries per page, every page followed`;
    res.settings = {
      resources,
      log_kinds: kinds,
      cloudsql_postgres_log: c.cloudsql_postgres_log === true,
      filter,
      page_size: pageSize,
      credentials: c.key_file ? 'service account key file' : 'Application Default Credentials',
      ...(c.api_endpoint ? { api_endpoint: `${c.api_endpoint}${c.port ? ':' + c.port : ''}` } : {}),
    };
    if (!kinds.includes('data_access'))
      res.warn('data_access logs are not selected: reads of data and configuration are not collected');
    else
      res.warn(
        'Data Access audit logs are off by default in Google Cloud: an empty data_access log may mean they are not enabled for a service, not that nothing was read',
      );
  }

  /** The Cloud Logging client; null (the failure said) when it cannot be made. */
  private loggingClient(resources: string[]): Logging | null {
    const { c } = this;
    try {
      return new Logging({
        projectId: resources.find((r) => r.startsWith('projects/'))?.slice('projects/'.length) ?? 'audit-evidence',
        ...(c.key_file ? { keyFilename: c.key_file } : {}),
        ...(c.api_endpoint ? { apiEndpoint: c.api_endpoint } : {}),
        ...(c.port ? { port: c.port } : {}),
        ...(c.insecure ? { sslCreds: grpc.credentials.createInsecure() } : {}),
        // Without a universe domain the client first probes the metadata server (seconds, or a hang).
        universeDomain: 'googleapis.com',
      });
    } catch (e) {
      this.res.fail(`cannot create the Cloud Logging client: ${(e as Error).message}`);
      return null;
    }
  }

  /** Every page through the gcp-audit adapter; the counts, retries and verdict at the end. */
  private async *pull(adapter: FormatAdapter, logging: Logging, request: object): AsyncGenerator<Outcome> {
    const { c, ctx, res } = this;
    try {
      const input = await openStream(`${c.name}:entries.list`, this.pages(logging, request));
      for await (const o of normalizeOne(
        adapter,
        input,
        { adapters: catalog, format: 'gcp-audit', options: { instance: c.name }, since: ctx.since, until: ctx.until },
        this.summary,
      )) {
        res.count(o);
        yield withRoster(o, res.roster);
        if (ctx.signal?.aborted) {
          res.fail('the pull was interrupted');
          return;
        }
      }
      if (res.failedReason === null) {
        res.position = null;
        res.done();
      }
    } catch (e) {
      this.failPage(e);
    } finally {
      res.settings.pages = this.page;
      res.settings.entries = this.entries;
      this.retries.report(res);
      this.progress.update(`done: ${this.entries} entries in ${this.page} page(s)`, true);
      await logging.loggingService.close().catch(() => undefined);
    }
  }

  /** Pages as JSON Lines, one LogEntry per line, into the gcp-audit adapter. */
  private async *pages(logging: Logging, request: object): AsyncGenerator<Buffer> {
    const { res } = this;
    let token = '';
    for (;;) {
      this.page++;
      const page = this.page;
      res.position = `page ${page}${token ? ` (page token ${token})` : ''}`;
      let got: ListAnswer;
      try {
        got = await this.listPage(logging, { ...request, pageToken: token }, page);
      } catch (e) {
        // Ending the stream here (instead of throwing) keeps the pages already read: the framer
        // may still hold them, and they are evidence. The failure makes the result partial.
        this.failPage(e);
        return;
      }
      const [list, , response] = got;
      res.touched = true;
      const lines: string[] = [];
      for (const raw of list ?? []) {
        this.entries++;
        lines.push(JSON.stringify(entryToRestJson(raw as Record<string, unknown>)));
      }
      this.progress.update(`${this.entries} entries, ${page} page(s)`);
      if (lines.length) yield Buffer.from(lines.join('\n') + '\n');
      token = response?.nextPageToken ?? '';
      if (!token) return;
    }
  }

  /** One entries.list page; transient gRPC errors retried (gax's own retries are off so that each one is counted and reported here). */
  private listPage(logging: Logging, request: object, page: number): Promise<ListAnswer> {
    return withRetry(
      () =>
        logging.loggingService.listLogEntries(request, {
          autoPaginate: false,
          retry: null as never,
          timeout: 60_000,
        }) as Promise<ListAnswer>,
      (e) => {
        const code = grpcCode(e);
        return code !== null && TRANSIENT.has(code) ? TRANSIENT.get(code)! : null;
      },
      this.retries.on(`page ${page}`),
      this.policy,
      this.ctx.signal,
    );
  }

  private failPage(e: unknown): void {
    const code = grpcCode(e);
    const name = code !== null ? Object.entries(grpc.status).find(([, v]) => v === code)?.[0] : null;
    this.res.fail(
      `Cloud Logging entries.list failed on page ${this.page} after ${this.entries} entries${name ? ` (${name})` : ''}: ${(e as Error).message ?? String(e)}`,
    );
  }

  /** The resources' IAM policies (Resource Manager getIamPolicy): the admin roster, with what could not be read. */
  private async readIamRoster(): Promise<void> {
    const { c, res } = this;
    const clients = this.resourceManagerClients();
    const at = new Date().toISOString();
    const policyOf = (resource: string) => async (r: string) => {
      const client = r.startsWith('folders/')
        ? clients.folders
        : r.startsWith('organizations/')
          ? clients.organizations
          : clients.projects;
      const [p] = await (
        client as unknown as { getIamPolicy(req: object, o: object): Promise<[{ bindings?: [] }]> }
      ).getIamPolicy({ resource: r, options: { requestedPolicyVersion: 3 } }, { retry: null, timeout: 30_000 });
      void resource;
      return p;
    };
    try {
      const resources = (c.resources ?? []).filter((r) => !r.startsWith('billingAccounts/'));
      const r = await readGcpAdmins(
        resources,
        policyOf,
        `live:${c.name} Resource Manager getIamPolicy, read ${at}`,
        c.name,
        (role) => this.customRolePermissions(role),
      );
      res.roster = r.entries;
      res.settings.iam_roster = {
        read_from: 'Resource Manager getIamPolicy (policy version 3)',
        read_at: at,
        ...r.facts,
      };
      this.rosterWarnings(r.facts);
    } finally {
      await Promise.all(Object.values(clients).map((x) => x.close().catch(() => undefined)));
    }
  }

  private resourceManagerClients(): ResourceManagerClients {
    const { c } = this;
    const opts = {
      ...(c.key_file ? { keyFilename: c.key_file } : {}),
      ...(c.resource_manager_endpoint ? { apiEndpoint: c.resource_manager_endpoint } : {}),
      ...(c.resource_manager_endpoint && c.port ? { port: c.port } : {}),
      ...(c.insecure ? { sslCreds: grpc.credentials.createInsecure() } : {}),
      universeDomain: 'googleapis.com',
    };
    return {
      projects: new ProjectsClient(opts),
      folders: new FoldersClient(opts),
      organizations: new OrganizationsClient(opts),
    };
  }

  /** Warnings for the policies that could not be read and the custom roles that could not be judged. */
  private rosterWarnings(facts: Awaited<ReturnType<typeof readGcpAdmins>>['facts']): void {
    const failed = facts.read.filter((x) => x.error);
    if (failed.length)
      this.res.warn(
        `IAM policies not read for ${failed.map((x) => `${x.resource} (${x.error})`).join(', ')}: the admin roster misses their administrators; grant resourcemanager.projects/folders/organizations.getIamPolicy`,
      );
    if (facts.custom_roles_not_judged.length) {
      const byRole = new Map(facts.custom_roles_not_judged.map((x) => [x.role, x.why]));
      this.res.warn(
        `custom roles not judged for the admin roster (their permissions could not be had): ${[...byRole].map(([role, why]) => `${role} (${why})`).join('; ')}`,
      );
    }
  }

  /** A custom role's permissions: from the config's custom_roles, else IAM roles.get (REST). */
  private async customRolePermissions(
    role: string,
  ): Promise<{ permissions: string[] | null; from: string; why?: string }> {
    const { c } = this;
    const given = c.custom_roles?.[role];
    if (given) return { permissions: given, from: 'config custom_roles' };
    if (c.api_endpoint && !c.iam_endpoint)
      return {
        permissions: null,
        from: 'nowhere',
        why: 'not in custom_roles, and IAM is not read: api_endpoint is overridden and iam_endpoint is not set',
      };
    const base = (c.iam_endpoint ?? 'https://iam.googleapis.com').replace(/\/+$/, '');
    const url = `${base}/v1/${role}`;
    try {
      let body: { includedPermissions?: string[] };
      if (c.iam_endpoint) {
        const r = await fetch(url, { signal: AbortSignal.timeout(30_000) });
        if (!r.ok)
          return {
            permissions: null,
            from: `IAM roles.get ${url}`,
            why: `IAM roles.get answered HTTP ${r.status}${r.status === 403 ? ' (grant iam.roles.get, or list the role in custom_roles)' : ''}`,
          };
        body = (await r.json()) as { includedPermissions?: string[] };
      } else {
        const { GoogleAuth } = await import('google-auth-library');
        const auth = new GoogleAuth({
          scopes: ['https://www.googleapis.com/auth/cloud-platform'],
          ...(c.key_file ? { keyFile: c.key_file } : {}),
        });
        const client = await auth.getClient();
        const r = await client.request<{ includedPermissions?: string[] }>({ url, timeout: 30_000 });
        body = r.data;
      }
      return { permissions: body.includedPermissions ?? [], from: `IAM roles.get ${url}` };
    } catch (e) {
      const status =
        (e as { status?: number; response?: { status?: number } }).response?.status ??
        (e as { status?: number }).status;
      return {
        permissions: null,
        from: `IAM roles.get ${url}`,
        why: `IAM roles.get failed: ${status ? `HTTP ${status}` : (e as Error).message}${status === 403 ? ' (grant iam.roles.get, or list the role in custom_roles)' : ''}`,
      };
    }
  }
}
