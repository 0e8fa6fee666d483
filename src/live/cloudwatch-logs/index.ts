// Live source `cloudwatch-logs`: RDS and Aurora audit logs where they live, in CloudWatch Logs.
// Log groups are named, or derived from RDS instance / cluster ids with @aws-sdk/client-rds
// (DescribeDBInstances / DescribeDBClusters: engine, version, parameter group, the log exports
// that are on), whose parameter group's audit settings (pgaudit.log, log_connections,
// server_audit_events, ...) are recorded as provenance with the categories they cannot capture.
// Each group is read with FilterLogEvents over the period, every page (nextToken), paced, with
// ThrottlingException and other transient errors retried with backoff and counted. The events go
// as JSON lines {logGroup, logStreamName, eventId, timestamp, message} (the raw record keeps the
// CloudWatch location) into the cloudwatch-logs adapter, which sends each message to pgaudit
// (RDS's prefix) or mariadb-audit (server_audit, Aurora advanced auditing) by its log group.
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  RDSClient,
  DescribeDBInstancesCommand,
  DescribeDBClustersCommand,
  DescribeDBParametersCommand,
  DescribeDBClusterParametersCommand,
} from '@aws-sdk/client-rds';
import type { LiveSourceOpener, SourceConfig, SourceRunContext } from '../../collect/source.js';
import type { Outcome } from '../../pipeline/types.js';
import { openStream } from '../../pipeline/input.js';
import { normalizeOne, type RunSummary } from '../../pipeline/run.js';
import { catalog } from '../../sources/registry.js';
import { adapter as cloudwatchLogs } from '../../sources/cloudwatch-logs/index.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { DEFAULT_RETRY, Pacer, withRetry, type RetryPolicy, awsTransient, RetryCount } from '../pace.js';
import { awsClientSettings, credentialsSetting } from '../aws.js';

export interface CloudWatchLogsSourceConfig {
  name: string;
  type: 'cloudwatch-logs';
  region: string;
  log_groups?: string[];
  db_instances?: string[];
  db_clusters?: string[];
  profile?: string;
  endpoint?: string;
  rds_endpoint?: string;
  /** FilterLogEvents requests per second (default 5). */
  requests_per_second?: number;
  /** Events per page (default 10000, the API's maximum). */
  page_size?: number;
  retry?: Partial<RetryPolicy>;
}

const transient = (e: unknown): string | null => awsTransient(e);

/** Audit settings worth recording, by engine family, and what each missing value cannot capture. */
const PG_KEYS = [
  'pgaudit.log',
  'pgaudit.role',
  'pgaudit.log_parameter',
  'log_connections',
  'log_disconnections',
  'log_statement',
  'shared_preload_libraries',
  'log_error_verbosity',
];
const MY_KEYS = [
  'server_audit_logging',
  'server_audit_events',
  'server_audit_excl_users',
  'server_audit_incl_users',
  'server_audit_logs_upload',
];

export function auditGaps(engine: string, p: Record<string, string | null>): string[] {
  const gaps: string[] = [];
  if (/postgres/.test(engine)) {
    const libs = (p.shared_preload_libraries ?? '').toLowerCase();
    if (!libs.includes('pgaudit')) gaps.push('pgaudit is not in shared_preload_libraries: no AUDIT records at all');
    const log = (p['pgaudit.log'] ?? '')
      .toLowerCase()
      .split(',')
      .map((s) => s.trim());
    const has = (c: string) => log.includes('all') || log.includes(c);
    if (!has('role')) gaps.push("pgaudit.log lacks 'role': no GRANT/REVOKE/role changes");
    if (!has('ddl')) gaps.push("pgaudit.log lacks 'ddl': no schema changes");
    if (!has('write')) gaps.push("pgaudit.log lacks 'write': no data changes");
    if (!has('misc_set') && !has('misc')) gaps.push("pgaudit.log lacks 'misc_set': no SET / ALTER SYSTEM");
    if ((p.log_connections ?? '0') !== '1' && (p.log_connections ?? '').toLowerCase() !== 'on')
      gaps.push('log_connections is off: no authentication events');
  } else {
    if ((p.server_audit_logging ?? '').toLowerCase() !== 'on' && p.server_audit_logging !== '1')
      gaps.push('server_audit_logging is off: no audit records at all');
    const ev = (p.server_audit_events ?? '')
      .toUpperCase()
      .split(',')
      .map((x) => x.trim());
    if (!ev.includes('CONNECT')) gaps.push('server_audit_events lacks CONNECT: no authentication events');
    if (!ev.includes('QUERY') && !ev.includes('QUERY_DCL'))
      gaps.push('server_audit_events lacks QUERY and QUERY_DCL: no GRANT, REVOKE, CREATE USER');
    if (!ev.includes('QUERY'))
      gaps.push('server_audit_events lacks QUERY: no SET GLOBAL, ALTER USER ... IDENTIFIED BY, SET PASSWORD');
  }
  return gaps;
}

export const openCloudWatchLogs: LiveSourceOpener = (cfg: SourceConfig, ctx, summary) => {
  const pull = new CloudWatchLogsPull(cfg as unknown as CloudWatchLogsSourceConfig, ctx, summary);
  return { outcomes: pull.run(), result: () => pull.res.result() };
};

/** What DescribeDBInstances / DescribeDBClusters say of one database, as the pull uses it. */
interface DbFacts {
  engine: string;
  engineVersion: string | null;
  exports: string[];
  parameterGroup: string | null;
}

/** One pull: the RDS databases' log groups and audit settings, then each log group, every page. */
class CloudWatchLogsPull {
  readonly res = new LiveResult();
  private readonly progress: ProgressLine;
  private readonly rate: number;
  private readonly pageSize: number;
  private readonly policy: RetryPolicy;
  private readonly retries: RetryCount;
  private readonly pacer: Pacer;
  private readonly groups: Set<string>;
  private readonly databases: Array<Record<string, unknown>> = [];
  private readonly perGroup: Record<string, { pages: number; events: number }> = {};
  /** The clients, made when the pull starts (destroyed when it ends). */
  private rds: RDSClient | null = null;
  private logs: CloudWatchLogsClient | null = null;
  private events = 0;
  private pages = 0;

  constructor(
    private readonly c: CloudWatchLogsSourceConfig,
    private readonly ctx: SourceRunContext,
    private readonly summary: RunSummary,
  ) {
    this.progress = new ProgressLine(c.name, ctx.progress);
    this.rate = c.requests_per_second ?? 5;
    this.pageSize = Math.min(10_000, c.page_size ?? 10_000);
    this.policy = { ...DEFAULT_RETRY, ...c.retry };
    this.retries = new RetryCount(this.progress, ` (paced to ${this.rate} requests/s)`);
    this.pacer = new Pacer(this.rate);
    this.groups = new Set(c.log_groups ?? []);
  }

  async *run(): AsyncGenerator<Outcome> {
    const { c, res } = this;
    res.settings = {
      region: c.region,
      credentials: credentialsSetting(c.profile),
      requests_per_second: this.rate,
      page_size: this.pageSize,
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    };
    this.rds =
      c.db_instances?.length || c.db_clusters?.length
        ? new RDSClient(awsClientSettings(c.region, c.profile, c.rds_endpoint ?? c.endpoint, { maxAttempts: 1 }))
        : null;
    this.logs = new CloudWatchLogsClient(awsClientSettings(c.region, c.profile, c.endpoint, { maxAttempts: 1 }));
    try {
      // 1. RDS: the groups of each instance and cluster, and its audit settings.
      for (const id of c.db_instances ?? []) if (!(await this.describeDatabase(id, false))) return;
      for (const id of c.db_clusters ?? []) if (!(await this.describeDatabase(id, true))) return;
      if (this.databases.length) res.settings.databases = this.databases;
      const list = [...this.groups];
      res.settings.log_groups = list;
      if (list.length === 0) {
        res.fail(
          'no log group to read: name log_groups, or db_instances / db_clusters that export postgresql or audit logs',
        );
        return;
      }
      res.how = `CloudWatch Logs FilterLogEvents in ${c.region} on ${list.join(', ')} from ${this.ctx.since.toISOString()} to ${this.ctx.until.toISOString()}, ${this.pageSize} events per page, every page (nextToken), paced to ${this.rate} requests/s; each message read by its log group (pgaudit with RDS's prefix, server_audit / Aurora advanced auditing)`;
      // 2. Each group, every page.
      for (const group of list) if (!(yield* this.pullGroup(group))) return;
      res.settings.per_group = this.perGroup;
      res.position = null;
      res.done();
    } catch (e) {
      const err = e as Error & { name?: string };
      res.fail(
        `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}${res.position ? ` (at ${res.position})` : ''}`,
      );
    } finally {
      res.settings.pages = this.pages;
      res.settings.events = this.events;
      this.retries.report(res);
      this.progress.update(`done: ${this.events} events, ${this.pages} pages`, true);
      this.logs?.destroy();
      this.rds?.destroy();
    }
  }

  /** An RDS instance or cluster: its audit log groups, its audit settings and what they cannot capture. False when it is not found. */
  private async describeDatabase(id: string, cluster: boolean): Promise<boolean> {
    const { res } = this;
    const kind = cluster ? 'cluster' : 'instance';
    const db = cluster ? await this.describeCluster(id) : await this.describeInstance(id);
    if (!db) {
      res.fail(`RDS ${kind} ${id} not found`);
      return false;
    }
    const { engine, exports, parameterGroup: pgName } = db;
    const params = pgName
      ? await this.parameters(this.rds!, pgName, /postgres/.test(engine) ? PG_KEYS : MY_KEYS, cluster)
      : {};
    const wanted = exports.filter((x) => x === 'postgresql' || x === 'audit');
    for (const x of wanted) this.groups.add(`/aws/rds/${kind}/${id}/${x}`);
    const gaps = auditGaps(engine, params);
    if (wanted.length === 0)
      gaps.unshift(
        cluster
          ? `no audit log is exported to CloudWatch Logs (exports: ${exports.join(', ') || 'none'})`
          : `no audit log is exported to CloudWatch Logs (exports: ${exports.join(', ') || 'none'}): enable the ${/postgres/.test(engine) ? 'postgresql' : 'audit'} log export`,
      );
    for (const g of gaps) res.warn(`RDS ${kind} ${id}: ${g}`);
    this.databases.push({
      [kind]: id,
      engine,
      engine_version: db.engineVersion,
      parameter_group: pgName,
      log_exports: exports,
      audit_settings: params,
      cannot_capture: gaps,
    });
    return true;
  }

  private async describeInstance(id: string): Promise<DbFacts | null> {
    this.res.position = `rds:DescribeDBInstances ${id}`;
    const out = await withRetry(
      () => this.rds!.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
      transient,
      this.retries.on(`DescribeDBInstances ${id}`),
      this.policy,
      this.ctx.signal,
    );
    const db = out.DBInstances?.[0];
    if (!db) return null;
    return {
      engine: db.Engine ?? 'unknown',
      engineVersion: db.EngineVersion ?? null,
      exports: db.EnabledCloudwatchLogsExports ?? [],
      parameterGroup: db.DBParameterGroups?.[0]?.DBParameterGroupName ?? null,
    };
  }

  private async describeCluster(id: string): Promise<DbFacts | null> {
    this.res.position = `rds:DescribeDBClusters ${id}`;
    const out = await withRetry(
      () => this.rds!.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
      transient,
      this.retries.on(`DescribeDBClusters ${id}`),
      this.policy,
      this.ctx.signal,
    );
    const db = out.DBClusters?.[0];
    if (!db) return null;
    return {
      engine: db.Engine ?? 'unknown',
      engineVersion: db.EngineVersion ?? null,
      exports: db.EnabledCloudwatchLogsExports ?? [],
      parameterGroup: db.DBClusterParameterGroup ?? null,
    };
  }

  /** One log group's events, every page, through the cloudwatch-logs adapter. False when the pull must stop. */
  private async *pullGroup(group: string): AsyncGenerator<Outcome, boolean> {
    const { c, ctx, res } = this;
    this.perGroup[group] = { pages: 0, events: 0 };
    const state = { failed: false };
    const input = await openStream(`${c.name}:${group}`, this.pageStream(group, state));
    for await (const o of normalizeOne(
      cloudwatchLogs,
      input,
      {
        adapters: catalog,
        format: 'cloudwatch-logs',
        options: { instance: c.name, logGroup: group },
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

  /** The group's pages as JSON lines {logGroup, logStreamName, eventId, timestamp, message}; a failed page is said in the result and ends it. */
  private async *pageStream(group: string, state: { failed: boolean }): AsyncGenerator<Buffer> {
    const { res } = this;
    const counts = this.perGroup[group]!;
    let token: string | undefined;
    for (let page = 1; ; page++) {
      res.position = `log group ${group}, page ${page}${token ? ` (nextToken ${token.length > 40 ? `${token.slice(0, 40)}…` : token})` : ''}`;
      let out: FilterLogEventsCommandOutput;
      try {
        out = await this.filter(group, token, `${group} page ${page}`);
      } catch (e) {
        const err = e as Error & { name?: string };
        res.fail(
          `CloudWatch Logs FilterLogEvents failed on ${group} at page ${page} after ${counts.events} events${err.name && err.name !== 'Error' ? ` (${err.name})` : ''}: ${err.message}`,
        );
        state.failed = true;
        return;
      }
      res.touched = true;
      this.pages++;
      counts.pages++;
      const evs = out.events ?? [];
      this.events += evs.length;
      counts.events += evs.length;
      this.progress.update(`${group}: ${counts.events} events, ${counts.pages} pages`);
      if (evs.length) {
        yield Buffer.from(
          evs
            .map(
              (e) =>
                `${JSON.stringify({ logGroup: group, logStreamName: e.logStreamName, eventId: e.eventId, timestamp: e.timestamp, ingestionTime: e.ingestionTime, message: e.message })}\n`,
            )
            .join(''),
        );
      }
      token = out.nextToken || undefined;
      if (!token) return;
    }
  }

  /** One FilterLogEvents request, paced, transient errors retried. */
  private filter(group: string, token: string | undefined, where: string): Promise<FilterLogEventsCommandOutput> {
    const { ctx } = this;
    return withRetry(
      async () => {
        await this.pacer.wait(ctx.signal);
        return this.logs!.send(
          new FilterLogEventsCommand({
            logGroupName: group,
            startTime: ctx.since.getTime(),
            endTime: ctx.until.getTime() - 1,
            limit: this.pageSize,
            nextToken: token,
          }),
          { abortSignal: ctx.signal as never },
        );
      },
      transient,
      this.retries.on(where),
      this.policy,
      ctx.signal,
    );
  }

  /** The named audit settings of a parameter group (null where not set), every page (Marker). */
  private async parameters(
    rds: RDSClient,
    group: string,
    keys: string[],
    cluster: boolean,
  ): Promise<Record<string, string | null>> {
    const { ctx } = this;
    const out: Record<string, string | null> = Object.fromEntries(keys.map((k) => [k, null]));
    let marker: string | undefined;
    do {
      this.res.position = `rds:${cluster ? 'DescribeDBClusterParameters' : 'DescribeDBParameters'} ${group}`;
      const page = cluster
        ? await withRetry(
            () =>
              rds.send(new DescribeDBClusterParametersCommand({ DBClusterParameterGroupName: group, Marker: marker })),
            transient,
            this.retries.on(`parameters ${group}`),
            this.policy,
            ctx.signal,
          )
        : await withRetry(
            () => rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: group, Marker: marker })),
            transient,
            this.retries.on(`parameters ${group}`),
            this.policy,
            ctx.signal,
          );
      for (const p of page.Parameters ?? [])
        if (p.ParameterName && keys.includes(p.ParameterName)) out[p.ParameterName] = p.ParameterValue ?? null;
      marker = page.Marker || undefined;
    } while (marker);
    return out;
  }
}
