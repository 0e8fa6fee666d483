// GCP retention through the real @google-cloud/logging config client (ConfigServiceV2 ListBuckets
// and ListSinks) against the local gRPC server: _Required 400 days, _Default 30 days, a user bucket
// with 3650 days, sinks to BigQuery and Cloud Storage named with their retention not read, and a
// denied parent reported as unknown with the permission to grant.
import { afterEach, describe, expect, test } from 'vitest';
import { auditEntries, startGcpLogging, type GcpServer } from '../helpers/servers/gcp-logging.js';
import { defaultRouting, type LoggingConfigScript } from '../helpers/servers/gcp-logging-config.js';
import { drain } from '../helpers/live-run.js';
import { openGcpLogging } from '../../src/live/gcp-logging/index.js';

const since = new Date('2024-05-01T00:00:00Z');
const until = new Date('2024-05-08T00:00:00Z');
let server: GcpServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});
const cfg = (s: GcpServer, extra: Record<string, unknown> = {}) => ({
  name: 'gcp',
  type: 'gcp-logging',
  resources: ['projects/acme-prod'],
  api_endpoint: '127.0.0.1',
  port: s.port,
  insecure: true,
  page_size: 50,
  ...extra,
});

describe('GCP audit log retention from buckets and sinks', () => {
  test('as Google sets it up: activity 400 days in _Required, data_access 30 days in _Default: the source keeps 30 days', async () => {
    const config: LoggingConfigScript = { ...defaultRouting('acme-prod', 30), requests: [] };
    server = await startGcpLogging({ pages: [auditEntries(2)], config });
    const d = await drain(openGcpLogging, cfg(server), { since, until });
    expect(d.result.status).toBe('complete');
    const r = d.result.retention!;
    expect(r.days).toBe(30);
    expect(r.basis).toMatch(/^data_access logs are kept longest 30 days/);
    expect(r.basis).toContain('activity: _Required bucket 400 days');
    expect(r.basis).toContain('sink _Default to bucket _Default: 30 days');
    expect(r.read_from).toBe('Cloud Logging ListBuckets and ListSinks on projects/acme-prod');
    expect(config.requests).toEqual([
      { method: 'ListBuckets', parent: 'projects/acme-prod/locations/-' },
      { method: 'ListSinks', parent: 'projects/acme-prod' },
    ]);
    // Only Admin Activity collected: 400 days.
    const act = await drain(openGcpLogging, cfg(server, { log_kinds: ['activity'] }), { since, until });
    expect(act.result.retention).toMatchObject({ days: 400 });
  });

  test('a sink of the audit logs to a 10-year user bucket keeps them 3650 days; BigQuery and Cloud Storage sinks are named, their retention not read', async () => {
    const base = defaultRouting('acme-prod', 30);
    const config: LoggingConfigScript = {
      buckets: [
        ...base.buckets,
        { name: 'projects/acme-prod/locations/europe-west1/buckets/audit-archive', retention_days: 3650, locked: true },
      ],
      sinks: [
        ...base.sinks,
        {
          parent: 'projects/acme-prod',
          name: 'audit-archive',
          destination: 'logging.googleapis.com/projects/acme-prod/locations/europe-west1/buckets/audit-archive',
          filter: 'logName:"cloudaudit.googleapis.com"',
        },
        {
          parent: 'projects/acme-prod',
          name: 'to-bq',
          destination: 'bigquery.googleapis.com/projects/acme-prod/datasets/audit',
          filter: 'LOG_ID("cloudaudit.googleapis.com/data_access")',
        },
        {
          parent: 'projects/acme-prod',
          name: 'to-gcs',
          destination: 'storage.googleapis.com/acme-audit-logs',
          filter: '',
        },
        { parent: 'projects/acme-prod', name: 'off', destination: 'storage.googleapis.com/old', disabled: true },
      ],
    };
    server = await startGcpLogging({ pages: [auditEntries(1)], config });
    const r = (await drain(openGcpLogging, cfg(server), { since, until })).result.retention!;
    expect(r.days).toBe(3650);
    expect(r.basis).toContain('sink audit-archive to bucket audit-archive: 3650 days (locked)');
    expect(r.basis).toContain(
      'sink to-bq to BigQuery projects/acme-prod/datasets/audit: retention set there, not read',
    );
    expect(r.basis).toContain('sink to-gcs to Cloud Storage acme-audit-logs: retention set there, not read');
    expect(r.basis).not.toContain('old');
  });

  test('denied or unimplemented configuration reads are unknown with why, never a number', async () => {
    server = await startGcpLogging({
      pages: [auditEntries(1)],
      config: { ...defaultRouting('acme-prod'), denied: ['projects/acme-prod'] },
    });
    const r = (await drain(openGcpLogging, cfg(server), { since, until })).result.retention!;
    expect(r.days).toBeNull();
    expect(r.basis).toMatch(/could not be read \(ListBuckets on projects\/acme-prod: 7 PERMISSION_DENIED/);
    expect(r.basis).toMatch(/roles\/logging.viewer/);
    await server.stop();
    server = await startGcpLogging({ pages: [auditEntries(1)] });
    const r2 = (await drain(openGcpLogging, cfg(server), { since, until })).result;
    expect(r2.status).toBe('complete');
    expect(r2.retention!.days).toBeNull();
  });
});
