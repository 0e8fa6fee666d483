// The cloudwatch-logs live source through the real @aws-sdk/client-cloudwatch-logs and
// @aws-sdk/client-rds against a local server speaking AWS JSON 1.1 (FilterLogEvents) and the RDS
// query API (DescribeDBInstances, DescribeDBParameters). The messages are a REAL PostgreSQL 15 +
// pgaudit's own log entries (started with RDS's log_line_prefix %t:%r:%u@%d:[%p]: and verbose
// errors) and a REAL MariaDB server_audit file, produced here by admin actions, served as the
// /aws/rds/instance/<id>/postgresql and /audit log groups, in pages, with a throttled page.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { startPostgres, postgresAvailability, type PgServer } from '../helpers/servers/postgres.js';
import { startMariaDB, mariadbAvailability, type MariaServer } from '../helpers/servers/mariadb.js';
import { shouldRun } from '../helpers/servers/availability.js';
import { startCloudWatch, type CwEvent, type CwServer } from '../helpers/servers/cloudwatch.js';
import { drain } from '../helpers/live-run.js';
import { openCloudWatchLogs, auditGaps } from '../../src/live/cloudwatch-logs/index.js';
import type { AuditEvent } from '../../src/event/types.generated.js';

const run = shouldRun(postgresAvailability()) && shouldRun(mariadbAvailability());

function pgEntries(p: PgServer): CwEvent[] {
  const dir = join(p.dir, 'data', 'log');
  const text = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('');
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(line) || out.length === 0) out.push(line);
    else out[out.length - 1] += `\n${line}`;
  }
  return out.map((message) => ({
    logStreamName: 'pg-rds.0',
    timestamp: Date.parse(`${message.slice(0, 10)}T${message.slice(11, 19)}Z`),
    message,
  }));
}

describe('audit settings', () => {
  test('auditGaps names what a parameter group cannot capture', () => {
    expect(
      auditGaps('postgres', { 'pgaudit.log': 'all', log_connections: '1', shared_preload_libraries: 'pgaudit' }),
    ).toEqual([]);
    expect(
      auditGaps('postgres', {
        'pgaudit.log': 'ddl',
        log_connections: '0',
        shared_preload_libraries: 'pg_stat_statements',
      }),
    ).toEqual([
      'pgaudit is not in shared_preload_libraries: no AUDIT records at all',
      "pgaudit.log lacks 'role': no GRANT/REVOKE/role changes",
      "pgaudit.log lacks 'write': no data changes",
      "pgaudit.log lacks 'misc_set': no SET / ALTER SYSTEM",
      'log_connections is off: no authentication events',
    ]);
    expect(auditGaps('mariadb', { server_audit_logging: 'ON', server_audit_events: 'CONNECT,QUERY_DDL' })).toEqual([
      'server_audit_events lacks QUERY and QUERY_DCL: no GRANT, REVOKE, CREATE USER',
      'server_audit_events lacks QUERY: no SET GLOBAL, ALTER USER ... IDENTIFIED BY, SET PASSWORD',
    ]);
    expect(auditGaps('mariadb', { server_audit_logging: 'ON', server_audit_events: 'CONNECT,QUERY,TABLE' })).toEqual(
      [],
    );
  });
});

describe.runIf(run)('cloudwatch-logs live source', () => {
  let pgs: PgServer;
  let my: MariaServer;
  let cw: CwServer;
  const since = new Date(Date.now() - 3600_000);
  const until = new Date(Date.now() + 3600_000);
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTONLY';
    process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-not-real';
    delete process.env.AWS_PROFILE;
    [pgs, my] = await Promise.all([
      startPostgres({
        conf: ["log_line_prefix = '%t:%r:%u@%d:[%p]:'", 'log_error_verbosity = verbose', "log_destination = 'stderr'"],
      }),
      startMariaDB(),
    ]);
    await pgs.sql('CREATE ROLE cw_bob LOGIN');
    await pgs.sql('GRANT pg_read_all_data TO cw_bob');
    await pgs.sql("ALTER SYSTEM SET log_min_duration_statement = '4s'");
    const bad = new pg.Client({
      host: '127.0.0.1',
      port: pgs.port,
      user: 'alice',
      password: 'wrong',
      database: 'postgres',
    });
    await bad.connect().catch(() => undefined);
    await bad.end().catch(() => undefined);
    const admin = await mysql.createConnection(my.admin());
    await admin.query("CREATE USER cw_carol@'%' IDENTIFIED BY 'carol-pw-123'");
    await admin.query("GRANT RELOAD ON *.* TO cw_carol@'%'");
    await admin.end();
    await new Promise((r) => setTimeout(r, 500));
    const audit = readFileSync(my.auditFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((message, i) => ({ logStreamName: 'maria-rds.audit.log.0', timestamp: Date.now() - 60_000 + i, message }));
    cw = await startCloudWatch({
      groups: { '/aws/rds/instance/pg-rds/postgresql': pgEntries(pgs), '/aws/rds/instance/maria-rds/audit': audit },
      throttleOnPages: [2],
      instances: [
        {
          id: 'pg-rds',
          engine: 'postgres',
          engineVersion: '15.5',
          parameterGroup: 'pg15-audit',
          exports: ['postgresql', 'upgrade'],
        },
        {
          id: 'maria-rds',
          engine: 'mariadb',
          engineVersion: '10.11.6',
          parameterGroup: 'maria-audit',
          exports: ['audit', 'error'],
        },
      ],
      parameters: {
        'pg15-audit': {
          'pgaudit.log': 'ddl,role',
          log_connections: '1',
          shared_preload_libraries: 'pg_stat_statements,pgaudit',
          log_error_verbosity: 'verbose',
          work_mem: '4096',
        },
        'maria-audit': { server_audit_logging: 'ON', server_audit_events: 'CONNECT,QUERY,TABLE' },
      },
    });
  });
  afterAll(async () => {
    await Promise.all([pgs?.stop(), my?.stop(), cw?.stop()]);
  });

  test('groups derived from the RDS instances, every page, throttling retried, events with all four fields', async () => {
    const d = await drain(
      openCloudWatchLogs,
      {
        name: 'rds',
        type: 'cloudwatch-logs',
        region: 'eu-west-1',
        db_instances: ['pg-rds', 'maria-rds'],
        endpoint: cw.endpoint,
        page_size: 5,
        requests_per_second: 50,
        retry: { baseDelayMs: 10, maxDelayMs: 20 },
      },
      { since, until },
    );
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    const s = d.result.settings as {
      log_groups: string[];
      databases: Array<{ audit_settings: Record<string, string>; cannot_capture: string[] }>;
    };
    expect(s.log_groups).toEqual(['/aws/rds/instance/pg-rds/postgresql', '/aws/rds/instance/maria-rds/audit']);
    expect(s.databases[0]).toMatchObject({
      instance: 'pg-rds',
      engine: 'postgres',
      parameter_group: 'pg15-audit',
      log_exports: ['postgresql', 'upgrade'],
      audit_settings: { 'pgaudit.log': 'ddl,role', log_connections: '1' },
    });
    expect(s.databases[0].audit_settings.work_mem).toBeUndefined();
    expect(s.databases[0].cannot_capture).toEqual([
      "pgaudit.log lacks 'write': no data changes",
      "pgaudit.log lacks 'misc_set': no SET / ALTER SYSTEM",
    ]);
    expect(s.databases[1]).toMatchObject({
      instance: 'maria-rds',
      engine: 'mariadb',
      audit_settings: { server_audit_events: 'CONNECT,QUERY,TABLE' },
      cannot_capture: [],
    });
    expect(d.result.warnings.join('\n')).toMatch(/RDS instance pg-rds: pgaudit.log lacks 'write'/);
    expect(d.result.warnings.join('\n')).toMatch(/2 × ThrottlingException/);
    const filters = cw.requests.filter((r) => r.api === 'Logs_20140328.FilterLogEvents');
    expect(filters.length).toBeGreaterThan(4);
    expect(filters[0]!.body).toMatchObject({
      logGroupName: '/aws/rds/instance/pg-rds/postgresql',
      startTime: since.getTime(),
      endTime: until.getTime() - 1,
      limit: 5,
    });
    expect(cw.requests.map((r) => r.api)).toEqual(
      expect.arrayContaining(['rds:DescribeDBInstances', 'rds:DescribeDBParameters']),
    );
    const has = (pred: (e: AuditEvent) => boolean): AuditEvent => {
      const e = d.events.find(pred);
      expect(e).toBeDefined();
      expect(e!.user.name).toBeTruthy();
      expect(e!.action.name).toBeTruthy();
      expect(e!.timestamp).toBeTruthy();
      expect(e!.resource.name ?? e!.resource.type).toBeTruthy();
      return e!;
    };
    const grant = has(
      (e) =>
        e.source.format === 'pgaudit' &&
        e.category === 'permission_change' &&
        JSON.stringify(e).includes('pg_read_all_data'),
    );
    console.log(
      `CloudWatch-sourced pgaudit event (real PostgreSQL 15 + pgaudit, RDS prefix, through FilterLogEvents):\n${JSON.stringify(grant, null, 2)}`,
    );
    expect(grant.source.instance).toBe('rds');
    // The database is named by the log group, in the record's location (source.instance is the configured source).
    expect(grant.source.location.file).toBe('rds:/aws/rds/instance/pg-rds/postgresql');
    expect(JSON.parse(d.outcomes.find((o) => o.kind === 'event' && o.event === grant)!.raw.text)).toMatchObject({
      logGroup: '/aws/rds/instance/pg-rds/postgresql',
      logStreamName: 'pg-rds.0',
    });
    expect(has((e) => e.source.format === 'pgaudit' && /alter_system/.test(e.action.name ?? '')).category).toBe(
      'policy_change',
    );
    expect(
      d.events.some(
        (e) =>
          e.source.format === 'pgaudit' &&
          e.category === 'authentication' &&
          e.outcome === 'failure' &&
          e.user.name === 'alice',
      ),
    ).toBe(true);
    expect(
      has(
        (e) =>
          e.source.format === 'mariadb-audit' &&
          /create_user/.test(e.action.name ?? '') &&
          JSON.stringify(e.resource).includes('cw_carol'),
      ).category,
    ).toBe('permission_change');
    expect(JSON.stringify(d.outcomes.map((o) => o.raw.text))).not.toContain('carol-pw-123');
  });

  test('a log group that does not exist: partial, naming the group and page', async () => {
    const d = await drain(
      openCloudWatchLogs,
      {
        name: 'rds',
        type: 'cloudwatch-logs',
        region: 'eu-west-1',
        log_groups: ['/aws/rds/instance/pg-rds/postgresql', '/aws/rds/instance/gone/postgresql'],
        endpoint: cw.endpoint,
        requests_per_second: 50,
        retry: { baseDelayMs: 10, maxDelayMs: 20 },
      },
      { since, until },
    );
    expect(d.result.status).toBe('partial');
    expect(d.result.reason).toMatch(
      /FilterLogEvents failed on \/aws\/rds\/instance\/gone\/postgresql at page 1 after 0 events \(ResourceNotFoundException\)/,
    );
    expect(d.events.length).toBeGreaterThan(0);
  });
});
