// Managed PostgreSQL logs from a REAL PostgreSQL 15 + pgaudit, in the shapes the clouds deliver them:
//   - RDS: started with RDS's log_line_prefix '%t:%r:%u@%d:[%p]:' and log_error_verbosity =
//     verbose (SQLSTATEs after the severity, LOCATION: lines); its log entries are published as a
//     CloudWatch Logs subscription payload (/aws/rds/instance/<id>/postgresql) and read with the
//     cloudwatch-logs format.
//   - Cloud SQL: started with Cloud SQL's prefix '%m [%p]: [%l-1] db=%d,user=%u '; each log entry
//     becomes a Cloud Logging LogEntry (logName .../cloudsql.googleapis.com%2Fpostgres.log, the
//     time in `timestamp`, the rest in textPayload), read with the gcp-audit format, and served
//     through the local Cloud Logging gRPC server to the gcp-logging live source (real client).
// The admin actions performed here must come back with user, action, time and resource.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { startPostgres, postgresAvailability, type PgServer } from '../helpers/servers/postgres.js';
import { shouldRun } from '../helpers/servers/availability.js';
import { normalizeFiles } from '../helpers/golden.js';
import type { AuditEvent } from '../../src/event/types.generated.js';
import { startGcpLogging } from '../helpers/servers/gcp-logging.js';
import { drain } from '../helpers/live-run.js';
import { openGcpLogging } from '../../src/live/gcp-logging/index.js';

const run = shouldRun(postgresAvailability());

/** The server's stderr log entries: a line starting with a time stamp begins one; others continue it. */
function logEntries(p: PgServer): string[] {
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
  return out;
}

async function adminActions(p: PgServer): Promise<void> {
  await p.sql('CREATE ROLE managed_bob LOGIN');
  await p.sql('GRANT pg_read_all_data TO managed_bob');
  await p.sql("ALTER SYSTEM SET log_min_duration_statement = '3s'");
  await p.sql('CREATE TABLE managed_t (id int)');
  const bad = new pg.Client({
    host: '127.0.0.1',
    port: p.port,
    user: 'alice',
    password: 'wrong',
    database: 'postgres',
  });
  await bad.connect().catch(() => undefined);
  await bad.end().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 400)); // the logging collector writes asynchronously
}

function fourFields(e: AuditEvent | undefined): AuditEvent {
  expect(e).toBeDefined();
  expect(e!.user.name).toBeTruthy();
  expect(e!.action.name).toBeTruthy();
  expect(e!.timestamp).toBeTruthy();
  expect(e!.resource.name ?? e!.resource.type).toBeTruthy();
  return e!;
}

describe.runIf(run)('managed PostgreSQL logs from a real server', () => {
  let rds: PgServer;
  let cloudsql: PgServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ae-managed-'));
    [rds, cloudsql] = await Promise.all([
      startPostgres({
        conf: ["log_line_prefix = '%t:%r:%u@%d:[%p]:'", 'log_error_verbosity = verbose', "log_destination = 'stderr'"],
      }),
      startPostgres({ conf: ["log_line_prefix = '%m [%p]: [%l-1] db=%d,user=%u '", "log_destination = 'stderr'"] }),
    ]);
    await Promise.all([adminActions(rds), adminActions(cloudsql)]);
  });
  afterAll(async () => {
    await Promise.all([rds?.stop(), cloudsql?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("RDS: the server's own log entries as a CloudWatch Logs subscription payload", async () => {
    const entries = logEntries(rds);
    expect(entries.some((e) => /LOCATION: {2}/.test(e))).toBe(true);
    const payload = {
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/aws/rds/instance/pg-managed/postgresql',
      logStream: 'pg-managed.0',
      subscriptionFilters: ['audit-evidence-test'],
      logEvents: entries.map((message, i) => ({
        id: String(10_000_000 + i),
        timestamp: Date.parse(message.slice(0, 19).replace(' ', 'T') + 'Z'),
        message,
      })),
    };
    const f = join(dir, 'rds.json');
    writeFileSync(f, JSON.stringify(payload));
    const n = await normalizeFiles([f]);
    expect(n.summary.inputs[0]!.format).toBe('cloudwatch-logs');
    expect(n.summary.reconciled).toBe(true);
    expect(n.rejects).toEqual([]);
    const grant = fourFields(
      n.events.find((e) => e.category === 'permission_change' && JSON.stringify(e).includes('pg_read_all_data')),
    );
    console.log(
      `CloudWatch-sourced pgaudit event (real PostgreSQL 15, RDS prefix):\n${JSON.stringify({ timestamp: grant.timestamp, user: grant.user.name, action: grant.action.name, resource: grant.resource, category: grant.category, source: grant.source }, null, 2)}`,
    );
    expect(grant.source.instance).toBe('pg-managed');
    expect(grant.source.format).toBe('pgaudit');
    expect(grant.source.location.file).toBe(f);
    expect(fourFields(n.events.find((e) => /alter_system/.test(e.action.name ?? ''))).category).toBe('policy_change');
    expect(
      n.events.some((e) => e.category === 'authentication' && e.outcome === 'failure' && e.user.name === 'alice'),
    ).toBe(true);
    expect(n.events.some((e) => e.category === 'authentication' && e.outcome === 'success')).toBe(true);
    // The verbose SQLSTATE is not read as part of the audit record.
    expect(JSON.stringify(n.events)).not.toMatch(/"00000: AUDIT/);
  });

  test("Cloud SQL: the server's own log entries as postgres.log LogEntries with textPayload", async () => {
    const entries = logEntries(cloudsql);
    const lines = entries.map((text, i) => {
      const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) UTC (.*)$/s.exec(text)!;
      return JSON.stringify({
        textPayload: m[3],
        insertId: `s=${i}`,
        resource: {
          type: 'cloudsql_database',
          labels: { database_id: 'acme-prod:pg-main', project_id: 'acme-prod', region: 'europe-west1' },
        },
        timestamp: `${m[1]}T${m[2]}Z`,
        severity: 'INFO',
        logName: 'projects/acme-prod/logs/cloudsql.googleapis.com%2Fpostgres.log',
        receiveTimestamp: `${m[1]}T${m[2]}Z`,
      });
    });
    const f = join(dir, 'cloudsql.jsonl');
    writeFileSync(f, `${lines.join('\n')}\n`);
    const n = await normalizeFiles([f]);
    expect(n.summary.inputs[0]!.format).toBe('gcp-audit');
    expect(n.summary.reconciled).toBe(true);
    expect(n.rejects).toEqual([]);
    expect(n.summary.inputs[0]!.skipped['not an audit log entry (textPayload)']).toBeUndefined();
    const grant = fourFields(
      n.events.find((e) => e.category === 'permission_change' && JSON.stringify(e).includes('pg_read_all_data')),
    );
    expect(grant.source.instance).toBe('pg-main');
    expect(grant.source.format).toBe('pgaudit');
    const failed = n.events.find((e) => e.category === 'authentication' && e.outcome === 'failure');
    expect(failed?.user.name).toBe('alice');
    expect(failed?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(n.events.some((e) => e.category === 'authentication' && e.outcome === 'success')).toBe(true);
  });

  test('Cloud SQL through the gcp-logging live source: postgres.log entries pulled with the real client', async () => {
    const entries = logEntries(cloudsql).map((text, i) => {
      const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) UTC (.*)$/s.exec(text)!;
      return {
        logName: 'projects/acme-prod/logs/cloudsql.googleapis.com%2Fpostgres.log',
        insertId: `s=${i}`,
        timestamp: new Date(`${m[1]}T${m[2]}Z`),
        resource: {
          type: 'cloudsql_database',
          labels: { database_id: 'acme-prod:pg-main', project_id: 'acme-prod', region: 'europe-west1' },
        },
        severity: 'INFO',
        textPayload: m[3]!,
      };
    });
    const gcp = await startGcpLogging({ pages: [entries.slice(0, 5), entries.slice(5)] });
    try {
      const d = await drain(
        openGcpLogging,
        {
          name: 'cloudsql-main',
          type: 'gcp-logging',
          resources: ['projects/acme-prod'],
          api_endpoint: '127.0.0.1',
          port: gcp.port,
          insecure: true,
          cloudsql_postgres_log: true,
          log_kinds: ['activity'],
        },
        { since: new Date(Date.now() - 3600_000), until: new Date(Date.now() + 3600_000) },
      );
      expect(d.result.status, d.result.reason ?? '').toBe('complete');
      expect(gcp.requests[0]!.filter).toContain('log_id("cloudsql.googleapis.com/postgres.log")');
      expect(d.result.settings).toMatchObject({ cloudsql_postgres_log: true });
      const grant = fourFields(
        d.events.find((e) => e.category === 'permission_change' && JSON.stringify(e).includes('pg_read_all_data')),
      );
      expect(grant.source.instance).toBe('cloudsql-main');
      expect(
        d.events.some((e) => e.category === 'authentication' && e.outcome === 'failure' && e.user.name === 'alice'),
      ).toBe(true);
      expect(
        d.outcomes.filter((o) => o.kind === 'skip' && o.reason === 'not an audit log entry (textPayload)'),
      ).toHaveLength(0);
    } finally {
      await gcp.stop();
    }
  });
});
