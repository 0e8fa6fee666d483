// The bytebase live source two ways: the real audit_log table of Bytebase's demo metadata database
// loaded into the throwaway PostgreSQL and read over SQL as a SELECT-only role; and the search API of
// a local server speaking Bytebase's v1 REST API (pages, filter, token, an error page, a retry).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postgresAvailability, startPostgres, type PgServer } from '../helpers/servers/postgres.js';
import { shouldRun } from '../helpers/servers/availability.js';
import { startBytebaseApi, type BytebaseApi } from '../helpers/servers/bytebase-api.js';
import { drain } from '../helpers/live-run.js';
import { normalizeFiles } from '../helpers/golden.js';
import { openBytebase } from '../../src/live/bytebase/index.js';
import type { AuditEvent } from '../../src/event/types.generated.js';
// @ts-expect-error plain ESM script without types
import { rows, toApi } from '../../scripts/bytebase-api-fixture.mjs';

const FX = 'fixtures/bytebase';
const SINCE = new Date('2025-05-01T00:00:00Z');
const UNTIL = new Date('2026-04-01T00:00:00Z');
const READER_PW = 'Bb-r3ader-pw';
const TOKEN = 'bb-service-account-token-123';

/** The parts of an event that do not depend on how it was read. */
const core = (e: AuditEvent) => ({
  ...e,
  id: null,
  origin: null,
  source: { ...e.source, location: null, raw_sha256: null, variant: null, instance: null },
  resource: { ...e.resource, scope: { ...e.resource.scope, instance: null } },
  details: { ...e.details, log_name: undefined, parent: undefined },
});

let golden: AuditEvent[];
beforeAll(async () => {
  golden = (await normalizeFiles([`${FX}/audit_log.rows.jsonl`], 'bytebase')).events;
});

describe.runIf(shouldRun(postgresAvailability()))(
  'bytebase over SQL: the demo metadata database in a real PostgreSQL',
  () => {
    let s: PgServer;
    beforeAll(async () => {
      s = await startPostgres();
      await s.sql('CREATE DATABASE bytebase');
      await s.sql(readFileSync(`${FX}/bytebase__demo_dump_2026-05.audit_log.sql`, 'utf8'), 'bytebase');
      await s.sql(`CREATE ROLE auditreader LOGIN PASSWORD '${READER_PW}'`);
      await s.sql('GRANT SELECT ON public.audit_log TO auditreader', 'bytebase');
      // The layout of servers after 3.x: text resource_id and workspace, no bigint id.
      await s.sql(
        `CREATE TABLE audit_log_v3 (resource_id text PRIMARY KEY, workspace text NOT NULL, created_at timestamptz NOT NULL, payload jsonb NOT NULL);
      INSERT INTO audit_log_v3 SELECT 'r-' || lpad(id::text, 5, '0'), 'ws1', created_at, payload FROM audit_log;
      GRANT SELECT ON audit_log_v3 TO auditreader`,
        'bytebase',
      );
      await s.sql('CREATE ROLE nopriv LOGIN');
    });
    afterAll(async () => {
      await s?.stop();
    });
    process.env.AE_TEST_BB_PASSWORD = READER_PW;
    const cfg = (db: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
      name: 'bb-meta',
      type: 'bytebase',
      page_size: 10,
      metadata_db: {
        host: '127.0.0.1',
        port: s.port,
        user: 'auditreader',
        database: 'bytebase',
        password_env: 'AE_TEST_BB_PASSWORD',
        ...db,
      },
      ...extra,
    });

    test('all 93 rows, in id order, page by page, as the golden events', async () => {
      const d = await drain(openBytebase, cfg(), { since: SINCE, until: UNTIL });
      expect(d.result.status, d.result.reason ?? '').toBe('complete');
      expect(d.events).toHaveLength(93);
      expect(d.summary.reconciled).toBe(true);
      expect(d.events.map((e) => e.source.record_id)).toEqual(golden.map((e) => e.source.record_id));
      // The rows come out of PostgreSQL's row_to_json exactly as the fixture was made: same bytes.
      expect(d.events.map((e) => e.source.raw_sha256)).toEqual(golden.map((e) => e.source.raw_sha256));
      expect(d.events.map(core)).toEqual(golden.map(core));
      expect(d.events.every((e) => e.source.instance === 'bb-meta' && e.source.variant === 'sql')).toBe(true);
      expect(d.result.settings).toMatchObject({
        mode: 'sql',
        reading_role: 'auditreader',
        table: 'audit_log',
        rows_in_period: 93,
        rows_read: 93,
        order: 'id',
      });
      expect(d.result.how).toMatch(
        /read-only repeatable-read transaction: SELECT id, created_at, payload FROM audit_log WHERE created_at >= \$1 AND created_at < \$2 ORDER BY id, in pages of 10 rows/,
      );
      expect(JSON.stringify(d.result)).not.toContain(READER_PW);
    });

    test('the period is honoured: created_at >= since and < until', async () => {
      const d = await drain(openBytebase, cfg(), {
        since: new Date('2025-05-26T07:40:00.031Z'),
        until: new Date('2025-05-26T08:00:00Z'),
      });
      expect(d.result.status).toBe('complete');
      const ids = d.events.map((e) => Number(e.source.record_id));
      expect(ids[0]).toBe(117);
      expect(ids.every((i) => i >= 117 && i <= 139)).toBe(true);
      expect(
        d.events.every((e) => e.timestamp! >= '2025-05-26T07:40:00.031Z' && e.timestamp! < '2025-05-26T08:00:00.000Z'),
      ).toBe(true);
    });

    test('the newer layout (resource_id, workspace) is read in (created_at, resource_id) order', async () => {
      const d = await drain(openBytebase, cfg({ table: 'audit_log_v3' }), { since: SINCE, until: UNTIL });
      expect(d.result.status, d.result.reason ?? '').toBe('complete');
      expect(d.events).toHaveLength(93);
      expect(d.result.settings).toMatchObject({ order: 'created_at, resource_id' });
      expect(d.events[0]!.source.record_id).toBe('r-00101');
      const times = d.events.map((e) => e.timestamp!);
      expect([...times].sort()).toEqual(times);
    });

    test('a role without SELECT fails with the one grant it needs; a missing table says so', async () => {
      const d = await drain(openBytebase, cfg({ user: 'nopriv', password_env: undefined }), {
        since: SINCE,
        until: UNTIL,
      });
      expect(d.result.status).toBe('failed');
      expect(d.result.reason).toMatch(/GRANT SELECT ON audit_log TO <role>/);
      const m = await drain(openBytebase, cfg({ database: 'postgres' }), { since: SINCE, until: UNTIL });
      expect(m.result.status).toBe('failed');
      expect(m.result.reason).toMatch(/table audit_log was not found .*metadata database/);
    });
  },
);

describe('bytebase over the search API (a local server speaking the v1 REST API)', () => {
  let api: BytebaseApi;
  beforeAll(async () => {
    api = await startBytebaseApi(rows.map(toApi), TOKEN);
  });
  afterAll(async () => {
    await api?.stop();
  });
  process.env.AE_TEST_BB_TOKEN = TOKEN;
  const cfg = (extra: Record<string, unknown> = {}) => ({
    name: 'bb-api',
    type: 'bytebase',
    url: api.url,
    token_env: 'AE_TEST_BB_TOKEN',
    page_size: 25,
    ...extra,
  });

  test('every page with the period filter, the token, create_time order: the golden events', async () => {
    api.requests.length = 0;
    const d = await drain(openBytebase, cfg(), { since: SINCE, until: UNTIL });
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    expect(d.events).toHaveLength(93);
    expect(d.events.map(core)).toEqual(golden.map(core));
    expect(api.requests).toHaveLength(4); // 25 + 25 + 25 + 18
    expect(api.requests[0]).toMatchObject({
      path: '/v1/auditLogs:search',
      auth: `Bearer ${TOKEN}`,
      body: {
        filter: 'create_time >= "2025-05-01T00:00:00Z" && create_time <= "2026-04-01T00:00:00Z"',
        orderBy: 'create_time asc',
        pageSize: 25,
      },
    });
    expect(api.requests[1]!.body.pageToken).toBeTruthy();
    expect(d.result.settings).toMatchObject({ mode: 'api', pages: 4, entries: 93 });
    expect(d.result.warnings.join('\n')).toMatch(/does not return requestMetadata/);
    expect(JSON.stringify(d.result)).not.toContain(TOKEN);
  });

  test('projects: only /v1/projects/<id>/auditLogs:search, only their entries', async () => {
    api.requests.length = 0;
    const d = await drain(openBytebase, cfg({ projects: ['hr'] }), { since: SINCE, until: UNTIL });
    expect(d.result.status).toBe('complete');
    expect(
      api.requests.every((r) => r.path === '/v1/projects/hr/auditLogs:search' && r.body.parent === 'projects/hr'),
    ).toBe(true);
    expect(d.events.length).toBeGreaterThan(0);
    expect(d.events.every((e) => e.details.log_name && String(e.details.log_name).startsWith('projects/hr/'))).toBe(
      true,
    );
  });

  test('a 503 is retried; a 403 on page 3 leaves a partial source naming the page and the error', async () => {
    api.requests.length = 0;
    api.failures.clear();
    api.failures.set(2, 503);
    const ok = await drain(openBytebase, cfg({ retry: { baseDelayMs: 10, maxDelayMs: 20 } }), {
      since: SINCE,
      until: UNTIL,
    });
    expect(ok.result.status).toBe('complete');
    expect(ok.events).toHaveLength(93);
    expect(ok.result.warnings.join('\n')).toMatch(/1 × HTTP 503/);
    api.requests.length = 0;
    api.failures.clear();
    api.failures.set(3, 403);
    const d = await drain(openBytebase, cfg(), { since: SINCE, until: UNTIL });
    expect(d.result.status).toBe('partial');
    expect(d.result.reason).toMatch(
      /page 3, after 50 entries: HTTP 403 code 7: permission denied: bb\.auditLogs\.search/,
    );
    expect(d.result.lastPosition).toMatch(/workspace, page 3/);
    expect(d.events).toHaveLength(50);
    api.failures.clear();
  });

  test('a wrong token fails without printing it; a missing variable is named', async () => {
    process.env.AE_TEST_BB_WRONG = 'not-the-token-456';
    const d = await drain(openBytebase, cfg({ token_env: 'AE_TEST_BB_WRONG' }), { since: SINCE, until: UNTIL });
    expect(d.result.status).toBe('failed');
    expect(d.result.reason).toMatch(/HTTP 401 code 16: failed to authenticate/);
    expect(JSON.stringify(d.result)).not.toContain('not-the-token-456');
    const m = await drain(openBytebase, cfg({ token_env: 'AE_TEST_BB_UNSET' }), { since: SINCE, until: UNTIL });
    expect(m.result.reason).toBe('environment variable AE_TEST_BB_UNSET (token_env) is not set');
  });
});
