// End to end: `audit-evidence collect --week --config cfg.yaml` (the built binary) with one source
// of each live kind: a real PostgreSQL+pgaudit and a real MariaDB+server_audit started here, Cloud
// Logging and CloudTrail served locally. The bundle must hold the actions performed here with all
// four fields, and the manifest each source's settings, roster and status. Then an API that fails
// from page 3 must give a partial status and a non-zero exit, never a bundle claiming completeness.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { startPostgres, postgresAvailability, type PgServer } from '../helpers/servers/postgres.js';
import { startMariaDB, mariadbAvailability, type MariaServer } from '../helpers/servers/mariadb.js';
import { auditEntries, startGcpLogging, type GcpServer } from '../helpers/servers/gcp-logging.js';
import { ctRecords, startCloudTrail, type CtServer } from '../helpers/servers/cloudtrail.js';
import { shouldRun } from '../helpers/servers/availability.js';
import { runCli } from '../helpers/cli.js';
import { privilegeAdvice } from '../../src/live/postgres/index.js';
import { openBundle } from '../../src/bundle/zip-reader.js';
import type { AuditEvent } from '../../src/event/types.generated.js';

const run = shouldRun(postgresAvailability()) && shouldRun(mariadbAvailability());
const PG_PW = 'E2e-pg-reader-pw';
const MY_PW = 'E2e-my-reader-pw';

interface Bundle {
  sources: Array<
    Record<string, unknown> & { name: string; status: string; settings: Record<string, unknown>; roster: unknown[] }
  >;
  events: AuditEvent[];
}

async function readBundle(zip: string): Promise<Bundle> {
  const b = await openBundle(zip);
  try {
    const st = JSON.parse((await b.read('manifest.intoto.json')).toString());
    const events = (await b.read('events.jsonl'))
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent);
    return { sources: st.predicate.sources, events };
  } finally {
    b.close();
  }
}

describe.runIf(run)('collect with four live sources', () => {
  let pgs: PgServer;
  let my: MariaServer;
  let gcp: GcpServer;
  let ct: CtServer;
  let dir: string;
  const today = new Date().toISOString().slice(0, 10);
  // The clock: tomorrow, so that --week (seven full days ending at midnight) includes today's actions.
  const epoch = String(Math.floor(Date.now() / 1000) + 86400);
  const env = () => ({
    SOURCE_DATE_EPOCH: epoch,
    AE_PG_PW: PG_PW,
    AE_MY_PW: MY_PW,
    AWS_ACCESS_KEY_ID: 'AKIDTESTONLY',
    AWS_SECRET_ACCESS_KEY: 'e2e-not-a-real-secret',
    AWS_PROFILE: '',
    CI: 'true',
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ae-e2e-'));
    [pgs, my, gcp, ct] = await Promise.all([
      startPostgres(),
      startMariaDB(),
      startGcpLogging({ pages: [auditEntries(2, 0, today), auditEntries(2, 2, today)] }),
      startCloudTrail({ pages: [ctRecords(3, 0, today), ctRecords(1, 3, today)] }),
    ]);
    await pgs.sql(`CREATE ROLE auditreader LOGIN PASSWORD '${PG_PW}'`);
    await pgs.sql(privilegeAdvice('auditreader'));
    await pgs.sql('CREATE ROLE e2e_bob LOGIN');
    await pgs.sql('GRANT pg_write_all_data TO e2e_bob');
    await pgs.sql("ALTER SYSTEM SET log_min_duration_statement = '2s'");
    const bad = new pg.Client({
      host: '127.0.0.1',
      port: pgs.port,
      user: 'alice',
      password: 'nope',
      database: 'postgres',
    });
    await bad.connect().catch(() => undefined);
    await bad.end().catch(() => undefined);
    await my.sql([
      `CREATE USER auditreader@'127.0.0.1' IDENTIFIED BY '${MY_PW}'`,
      `GRANT PROCESS ON *.* TO auditreader@'127.0.0.1'`,
      `GRANT SELECT ON mysql.* TO auditreader@'127.0.0.1'`,
    ]);
    const admin = await mysql.createConnection(my.admin());
    await admin.query("CREATE USER e2e_carol@'%' IDENTIFIED BY 'carol-pw-123'");
    await admin.query("GRANT RELOAD ON *.* TO e2e_carol@'%'");
    await admin.query('SET GLOBAL max_connections = 77');
    await admin.end();
    await new Promise((r) => setTimeout(r, 300));
  });
  afterAll(async () => {
    await Promise.all([pgs?.stop(), my?.stop(), gcp?.stop(), ct?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const config = (ctEndpoint: string) =>
    [
      'sources:',
      `  - name: pg-e2e`,
      `    type: postgres`,
      `    host: 127.0.0.1`,
      `    port: ${pgs.port}`,
      `    user: auditreader`,
      `    database: postgres`,
      `    password_env: AE_PG_PW`,
      `  - name: maria-e2e`,
      `    type: mysql`,
      `    host: 127.0.0.1`,
      `    port: ${my.port}`,
      `    user: auditreader`,
      `    password_env: AE_MY_PW`,
      `  - name: gcp-e2e`,
      `    type: gcp-logging`,
      `    resources: [projects/acme-prod]`,
      `    api_endpoint: 127.0.0.1`,
      `    port: ${gcp.port}`,
      `    insecure: true`,
      `    page_size: 2`,
      `  - name: ct-e2e`,
      `    type: cloudtrail`,
      `    regions: [us-east-1]`,
      `    endpoint: ${ctEndpoint}`,
      `    max_results: 3`,
      '',
    ].join('\n');

  test('the bundle holds the actions with all four fields; the manifest holds settings, roster and status', async () => {
    const cfg = join(dir, 'cfg.yaml');
    writeFileSync(cfg, config(ct.endpoint));
    const zip = join(dir, 'ok.zip');
    const t0 = Date.now();
    const r = await runCli(['collect', '--week', '--config', cfg, '--out', zip], { env: env() });
    console.log(`collect with four live sources: exit ${r.code} in ${Date.now() - t0} ms`);
    expect(r.code, r.stderr).toBe(0);
    const b = await readBundle(zip);
    const by = Object.fromEntries(b.sources.map((s) => [s.name, s]));
    for (const n of ['pg-e2e', 'maria-e2e', 'gcp-e2e', 'ct-e2e']) {
      expect(by[n]?.status, `${n}: ${by[n]?.status_reason}`).toBe('complete');
      expect(Object.keys(by[n].settings).length).toBeGreaterThan(0);
    }
    expect(by['pg-e2e'].settings).toMatchObject({
      'pgaudit.log': expect.stringContaining('role'),
      log_connections: 'on',
    });
    expect(by['maria-e2e'].settings).toMatchObject({ flavor: 'mariadb' });
    expect(by['pg-e2e'].roster).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ principal: 'e2e_bob', reason: 'member of pg_write_all_data' }),
      ]),
    );
    expect(by['maria-e2e'].roster).toEqual(
      expect.arrayContaining([expect.objectContaining({ principal: 'e2e_carol' })]),
    );
    const has = (instance: string, pred: (e: AuditEvent) => boolean) => {
      const e = b.events.find((x) => x.source.instance === instance && pred(x));
      expect(e, `${instance}: expected event`).toBeDefined();
      expect(e!.user.name).toBeTruthy();
      expect(e!.action.name).toBeTruthy();
      expect(e!.timestamp).toBeTruthy();
      expect(e!.resource.name ?? e!.resource.type).toBeTruthy();
      return e!;
    };
    expect(
      has('pg-e2e', (e) => /grant/.test(String(e.action.name)) && JSON.stringify(e).includes('pg_write_all_data'))
        .category,
    ).toBe('permission_change');
    expect(has('pg-e2e', (e) => /alter_system/.test(String(e.action.name))).category).toBe('policy_change');
    expect(
      b.events.some(
        (e) =>
          e.source.instance === 'pg-e2e' &&
          e.category === 'authentication' &&
          e.outcome === 'failure' &&
          e.user.name === 'alice',
      ),
    ).toBe(true);
    expect(
      has(
        'maria-e2e',
        (e) => /create_user/.test(String(e.action.name)) && JSON.stringify(e.resource).includes('e2e_carol'),
      ).category,
    ).toBe('permission_change');
    expect(has('maria-e2e', (e) => JSON.stringify(e).includes('max_connections')).category).toBe('policy_change');
    expect(has('gcp-e2e', (e) => e.action.name === 'set_iam_policy').user.name).toBe('alice@acme.example');
    expect(has('ct-e2e', (e) => e.source.record_id === 'evt-1').category).toBe('policy_change');
    expect(b.events.filter((e) => e.source.instance === 'gcp-e2e')).toHaveLength(4);
    expect(b.events.filter((e) => e.source.instance === 'ct-e2e')).toHaveLength(4);
    expect(r.stdout + r.stderr).not.toContain(PG_PW);
    expect(r.stdout + r.stderr).not.toContain(MY_PW);
  });

  test('an API failing from page 3: partial, last position, non-zero exit; never a complete bundle', async () => {
    const failing = await startCloudTrail({
      pages: [ctRecords(3, 0, today), ctRecords(3, 3, today), ctRecords(3, 6, today)],
      failFromPage: 3,
      errorType: 'InvalidNextTokenException',
    });
    try {
      const cfg = join(dir, 'cfg-partial.yaml');
      writeFileSync(cfg, config(failing.endpoint));
      const zip = join(dir, 'partial.zip');
      const r = await runCli(['collect', '--week', '--config', cfg, '--out', zip], { env: env() });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/ct-e2e/);
      // The bundle is still written (what was read is evidence), and says the source is partial.
      expect(existsSync(zip)).toBe(true);
      const b = await readBundle(zip);
      const ctSrc = b.sources.find((s) => s.name === 'ct-e2e')!;
      expect(ctSrc.status).toBe('partial');
      expect(ctSrc.status_reason).toMatch(/page 3/);
      expect(ctSrc.last_position).toMatch(/page 3/);
      expect(b.events.filter((e) => e.source.instance === 'ct-e2e')).toHaveLength(6);
      expect(b.sources.filter((s) => s.name !== 'ct-e2e').every((s) => s.status === 'complete')).toBe(true);
    } finally {
      await failing.stop();
    }
  });
});
