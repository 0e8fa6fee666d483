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
import type { LiveSourceOpener, SourceConfig } from '../../collect/source.js';
import type { Outcome } from '../../pipeline/types.js';
import { openStream } from '../../pipeline/input.js';
import { normalizeOne } from '../../pipeline/run.js';
import { adapter as cloudwatchLogs } from '../../sources/cloudwatch-logs/index.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { DEFAULT_RETRY, Pacer, withRetry, type RetryPolicy, awsTransient } from '../pace.js';

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
  const c = cfg as unknown as CloudWatchLogsSourceConfig;
  const res = new LiveResult();
  const progress = new ProgressLine(c.name, ctx.progress);
  const rate = c.requests_per_second ?? 5;
  const pageSize = Math.min(10_000, c.page_size ?? 10_000);
  const policy = { ...DEFAULT_RETRY, ...c.retry };
  const retries: Record<string, number> = {};
  const onRetry = (where: string) => (what: string, attempt: number, delay: number) => {
    retries[what] = (retries[what] ?? 0) + 1;
    progress.update(`${where}: ${what}, retry ${attempt} in ${delay} ms (paced to ${rate} requests/s)`, true);
  };
  const creds = { ...(c.profile ? { profile: c.profile } : {}) };

  async function* run(): AsyncGenerator<Outcome> {
    const groups = new Set(c.log_groups ?? []);
    const databases: Array<Record<string, unknown>> = [];
    res.settings = {
      region: c.region,
      credentials: c.profile ? `profile ${c.profile}` : 'standard AWS credential chain',
      requests_per_second: rate,
      page_size: pageSize,
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    };
    const rds =
      c.db_instances?.length || c.db_clusters?.length
        ? new RDSClient({
            region: c.region,
            maxAttempts: 1,
            ...creds,
            ...((c.rds_endpoint ?? c.endpoint) ? { endpoint: c.rds_endpoint ?? c.endpoint } : {}),
          })
        : null;
    const logs = new CloudWatchLogsClient({
      region: c.region,
      maxAttempts: 1,
      ...creds,
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    });
    const pacer = new Pacer(rate);
    let events = 0;
    let pages = 0;
    try {
      // 1. RDS: the groups of each instance and cluster, and its audit settings.
      for (const id of c.db_instances ?? []) {
        res.position = `rds:DescribeDBInstances ${id}`;
        const out = await withRetry(
          () => rds!.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
          transient,
          onRetry(`DescribeDBInstances ${id}`),
          policy,
          ctx.signal,
        );
        const db = out.DBInstances?.[0];
        if (!db) {
          res.fail(`RDS instance ${id} not found`);
          return;
        }
        const engine = db.Engine ?? 'unknown';
        const exports = db.EnabledCloudwatchLogsExports ?? [];
        const pgName = db.DBParameterGroups?.[0]?.DBParameterGroupName ?? null;
        const params = pgName ? await parameters(rds!, pgName, /postgres/.test(engine) ? PG_KEYS : MY_KEYS, false) : {};
        const wanted = exports.filter((x) => x === 'postgresql' || x === 'audit');
        for (const x of wanted) groups.add(`/aws/rds/instance/${id}/${x}`);
        const gaps = auditGaps(engine, params);
        if (wanted.length === 0)
          gaps.unshift(
            `no audit log is exported to CloudWatch Logs (exports: ${exports.join(', ') || 'none'}): enable the ${/postgres/.test(engine) ? 'postgresql' : 'audit'} log export`,
          );
        for (const g of gaps) res.warn(`RDS instance ${id}: ${g}`);
        databases.push({
          instance: id,
          engine,
          engine_version: db.EngineVersion ?? null,
          parameter_group: pgName,
          log_exports: exports,
          audit_settings: params,
          cannot_capture: gaps,
        });
      }
      for (const id of c.db_clusters ?? []) {
        res.position = `rds:DescribeDBClusters ${id}`;
        const out = await withRetry(
          () => rds!.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id })),
          transient,
          onRetry(`DescribeDBClusters ${id}`),
          policy,
          ctx.signal,
        );
        const db = out.DBClusters?.[0];
        if (!db) {
          res.fail(`RDS cluster ${id} not found`);
          return;
        }
        const engine = db.Engine ?? 'unknown';
        const exports = db.EnabledCloudwatchLogsExports ?? [];
        const pgName = db.DBClusterParameterGroup ?? null;
        const params = pgName ? await parameters(rds!, pgName, /postgres/.test(engine) ? PG_KEYS : MY_KEYS, true) : {};
        const wanted = exports.filter((x) => x === 'postgresql' || x === 'audit');
        for (const x of wanted) groups.add(`/aws/rds/cluster/${id}/${x}`);
        const gaps = auditGaps(engine, params);
        if (wanted.length === 0)
          gaps.unshift(`no audit log is exported to CloudWatch Logs (exports: ${exports.join(', ') || 'none'})`);
        for (const g of gaps) res.warn(`RDS cluster ${id}: ${g}`);
        databases.push({
          cluster: id,
          engine,
          engine_version: db.EngineVersion ?? null,
          parameter_group: pgName,
          log_exports: exports,
          audit_settings: params,
          cannot_capture: gaps,
        });
      }
      if (databases.length) res.settings.databases = databases;
      const list = [...groups];
      res.settings.log_groups = list;
      if (list.length === 0) {
        res.fail(
          'no log group to read: name log_groups, or db_instances / db_clusters that export postgresql or audit logs',
        );
        return;
      }
      res.how = `CloudWatch Logs FilterLogEvents in ${c.region} on ${list.join(', ')} from ${ctx.since.toISOString()} to ${ctx.until.toISOString()}, ${pageSize} events per page, every page (nextToken), paced to ${rate} requests/s; each message read by its log group (pgaudit with RDS's prefix, server_audit / Aurora advanced auditing)`;
      const perGroup: Record<string, { pages: number; events: number }> = {};

      // 2. Each group, every page.
      for (const group of list) {
        perGroup[group] = { pages: 0, events: 0 };
        let token: string | undefined;
        let page = 0;
        let failed = false;
        const stream = async function* (): AsyncGenerator<Buffer> {
          for (;;) {
            page++;
            res.position = `log group ${group}, page ${page}${token ? ` (nextToken ${token.length > 40 ? `${token.slice(0, 40)}…` : token})` : ''}`;
            let out: FilterLogEventsCommandOutput;
            try {
              out = await withRetry(
                async () => {
                  await pacer.wait(ctx.signal);
                  return logs.send(
                    new FilterLogEventsCommand({
                      logGroupName: group,
                      startTime: ctx.since.getTime(),
                      endTime: ctx.until.getTime() - 1,
                      limit: pageSize,
                      nextToken: token,
                    }),
                    { abortSignal: ctx.signal as never },
                  );
                },
                transient,
                onRetry(`${group} page ${page}`),
                policy,
                ctx.signal,
              );
            } catch (e) {
              const err = e as Error & { name?: string };
              res.fail(
                `CloudWatch Logs FilterLogEvents failed on ${group} at page ${page} after ${perGroup[group]!.events} events${err.name && err.name !== 'Error' ? ` (${err.name})` : ''}: ${err.message}`,
              );
              failed = true;
              return;
            }
            res.touched = true;
            pages++;
            perGroup[group]!.pages++;
            const evs = out.events ?? [];
            events += evs.length;
            perGroup[group]!.events += evs.length;
            progress.update(`${group}: ${perGroup[group]!.events} events, ${perGroup[group]!.pages} pages`);
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
        };
        const input = await openStream(`${c.name}:${group}`, stream());
        for await (const o of normalizeOne(
          cloudwatchLogs,
          input,
          {
            format: 'cloudwatch-logs',
            options: { instance: c.name, logGroup: group },
            since: ctx.since,
            until: ctx.until,
          },
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
      res.settings.per_group = perGroup;
      res.position = null;
      res.done();
    } catch (e) {
      const err = e as Error & { name?: string };
      res.fail(
        `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}${res.position ? ` (at ${res.position})` : ''}`,
      );
    } finally {
      res.settings.pages = pages;
      res.settings.events = events;
      if (Object.keys(retries).length) {
        res.settings.retries = retries;
        res.warn(
          `transient errors were retried with backoff: ${Object.entries(retries)
            .map(([k, v]) => `${v} × ${k}`)
            .join(', ')}`,
        );
      }
      progress.update(`done: ${events} events, ${pages} pages`, true);
      logs.destroy();
      rds?.destroy();
    }
  }

  async function parameters(
    rds: RDSClient,
    group: string,
    keys: string[],
    cluster: boolean,
  ): Promise<Record<string, string | null>> {
    const out: Record<string, string | null> = Object.fromEntries(keys.map((k) => [k, null]));
    let marker: string | undefined;
    do {
      res.position = `rds:${cluster ? 'DescribeDBClusterParameters' : 'DescribeDBParameters'} ${group}`;
      const page = cluster
        ? await withRetry(
            () =>
              rds.send(new DescribeDBClusterParametersCommand({ DBClusterParameterGroupName: group, Marker: marker })),
            transient,
            onRetry(`parameters ${group}`),
            policy,
            ctx.signal,
          )
        : await withRetry(
            () => rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: group, Marker: marker })),
            transient,
            onRetry(`parameters ${group}`),
            policy,
            ctx.signal,
          );
      for (const p of page.Parameters ?? [])
        if (p.ParameterName && keys.includes(p.ParameterName)) out[p.ParameterName] = p.ParameterValue ?? null;
      marker = page.Marker || undefined;
    } while (marker);
    return out;
  }

  return { outcomes: run(), result: () => res.result() };
};
