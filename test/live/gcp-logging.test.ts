// The gcp-logging live source through the real @google-cloud/logging client against a local gRPC
// server speaking ListLogEntries: paging, the period in the filter, protoPayload decoding,
// transient-error retry, and a failure from page 3 (partial, with the reason and the page reached).
import { afterEach, describe, expect, test } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { auditEntries, startGcpLogging, type GcpServer } from '../helpers/servers/gcp-logging.js';
import { drain } from '../helpers/live-run.js';
import { buildFilter, openGcpLogging } from '../../src/live/gcp-logging/index.js';

const since = new Date('2024-05-01T00:00:00Z');
const until = new Date('2024-05-08T00:00:00Z');

let server: GcpServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});
const cfg = (s: GcpServer, extra: Record<string, unknown> = {}) => ({
  name: 'gcp-test',
  type: 'gcp-logging',
  resources: ['projects/acme-prod', 'folders/123456'],
  api_endpoint: '127.0.0.1',
  port: s.port,
  insecure: true,
  page_size: 3,
  retry: { baseDelayMs: 20, maxDelayMs: 50 },
  ...extra,
});

describe('gcp-logging live source', () => {
  test('the period is always in the filter', () => {
    expect(buildFilter(['activity', 'policy'], since, until)).toBe(
      '(log_id("cloudaudit.googleapis.com/activity") OR log_id("cloudaudit.googleapis.com/policy")) AND timestamp >= "2024-05-01T00:00:00.000Z" AND timestamp < "2024-05-08T00:00:00.000Z"',
    );
  });

  test('follows every page, decodes protoPayload, retries a transient error', async () => {
    server = await startGcpLogging({
      pages: [auditEntries(3, 0), auditEntries(3, 3), auditEntries(2, 6)],
      transientOnPages: [2],
    });
    const d = await drain(openGcpLogging, cfg(server), { since, until });
    console.log(`gcp-logging live pull: ${d.events.length} events in ${d.ms} ms`);
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    expect(d.events).toHaveLength(8);
    expect(server.requests.map((r) => r.page_token)).toEqual(['', 'page-2', 'page-2', 'page-3']);
    for (const r of server.requests) {
      expect(r.filter).toContain('timestamp >= "2024-05-01T00:00:00.000Z" AND timestamp < "2024-05-08T00:00:00.000Z"');
      expect(r.resource_names).toEqual(['projects/acme-prod', 'folders/123456']);
    }
    expect(d.result.warnings.join('\n')).toMatch(/retried with backoff: 1 × UNAVAILABLE/);
    expect(d.result.settings).toMatchObject({ pages: 3, entries: 8, retries: { UNAVAILABLE: 1 } });
    const iam = d.events.find((e) => e.source.record_id === 'ins-0');
    expect(iam?.action.name).toBe('set_iam_policy');
    expect(iam?.user.name).toBe('alice@acme.example');
    expect(iam?.category).toBe('permission_change');
    expect(JSON.stringify(iam?.resource)).toContain('projects/acme-prod');
    const denied = d.events.find((e) => e.source.record_id === 'ins-1');
    expect(denied?.outcome).toBe('failure');
    expect(denied?.user.name).toBe('bob@acme.example');
    expect(JSON.stringify(denied?.resource)).toContain('vm-1');
    for (const e of d.events) {
      expect(e.timestamp).toBeTruthy();
      expect(e.source.instance).toBe('gcp-test');
    }
  });

  test('errors from page 3 on: partial, with the reason and the page reached', async () => {
    server = await startGcpLogging({
      pages: [auditEntries(3, 0), auditEntries(3, 3), auditEntries(3, 6), auditEntries(3, 9)],
      failFromPage: 3,
      errorCode: grpc.status.PERMISSION_DENIED,
    });
    const d = await drain(openGcpLogging, cfg(server), { since, until });
    expect(d.result.status).toBe('partial');
    expect(d.events).toHaveLength(6);
    expect(d.result.reason).toMatch(/page 3 after 6 entries \(PERMISSION_DENIED\)/);
    expect(d.result.lastPosition).toBe('page 3 (page token page-3)');
  });

  test('quota errors that do not clear: retried, then partial', async () => {
    server = await startGcpLogging({
      pages: [auditEntries(3, 0), auditEntries(3, 3)],
      failFromPage: 2,
      errorCode: grpc.status.RESOURCE_EXHAUSTED,
    });
    const d = await drain(openGcpLogging, cfg(server, { retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 } }), {
      since,
      until,
    });
    expect(d.result.status).toBe('partial');
    expect(server.requests.length).toBe(4);
    expect(d.result.warnings.join('\n')).toMatch(/2 × RESOURCE_EXHAUSTED/);
  });

  test('nothing in the period: empty; unreachable at once: failed', async () => {
    server = await startGcpLogging({ pages: [[]] });
    const d = await drain(openGcpLogging, cfg(server), { since, until });
    expect(d.result.status).toBe('empty');
    server.script.failFromPage = 1;
    const f = await drain(openGcpLogging, cfg(server), { since, until });
    expect(f.result.status).toBe('failed');
  });
});
