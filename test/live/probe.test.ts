// The logging probe against the real servers the suite starts: a PostgreSQL + pgaudit logging
// everything, one whose pgaudit.log lacks 'role' (the permission-change probe must come back not
// found, naming the setting), one with log_connections = off, and a MariaDB with server_audit.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { postgresAvailability, startPostgres, type PgServer } from '../helpers/servers/postgres.js';
import { mariadbAvailability, startMariaDB, type MariaServer } from '../helpers/servers/mariadb.js';
import { shouldRun } from '../helpers/servers/availability.js';
import { privilegeAdvice } from '../../src/live/postgres/index.js';
import { probeSource, probeTargets, ProbeError } from '../../src/probe/run.js';
import type { SourceProbeReport } from '../../src/probe/types.js';

const READER_PW = 'Pr0be-reader-pw';
process.env.AE_PROBE_READER_PW = READER_PW;
process.env.AE_PROBE_PW = 'Pr0be-login-pw';

const byCat = (r: SourceProbeReport) => Object.fromEntries(r.results.map((x) => [`${x.category}:${x.name}`, x]));

async function pgWithProber(conf: string[] = []): Promise<PgServer> {
  const s = await startPostgres({ conf });
  await s.sql('CREATE EXTENSION pgaudit');
  await s.sql(`CREATE ROLE auditreader LOGIN PASSWORD '${READER_PW}'`);
  await s.sql(privilegeAdvice('auditreader'));
  await s.sql(`CREATE ROLE ae_prober LOGIN CREATEROLE PASSWORD '${process.env.AE_PROBE_PW}'`);
  return s;
}
const pgSource = (s: PgServer, wait = 8) => ({
  name: 'pg-probe',
  type: 'postgres',
  host: '127.0.0.1',
  port: s.port,
  user: 'auditreader',
  database: 'postgres',
  password_env: 'AE_PROBE_READER_PW',
  probe: { user: 'ae_prober', password_env: 'AE_PROBE_PW', wait },
});

test('the probe is opt-in: no probe section, no probe; an unsupported type is named', () => {
  expect(() => probeTargets([{ name: 'a', type: 'postgres' }])).toThrow(ProbeError);
  expect(() => probeTargets([{ name: 'a', type: 'postgres' }])).toThrow(/opt-in/);
  expect(() => probeTargets([{ name: 'w', type: 'cloudwatch-logs', probe: { user: 'x' } }])).toThrow(
    /cannot act on w \(type cloudwatch-logs\)/,
  );
});

describe.runIf(shouldRun(postgresAvailability()))('probe on PostgreSQL + pgaudit', () => {
  let full: PgServer;
  let noRole: PgServer;
  let noConn: PgServer;
  beforeAll(async () => {
    [full, noRole, noConn] = await Promise.all([
      pgWithProber(),
      pgWithProber(["pgaudit.log = 'ddl,write,misc_set,read'"]),
      pgWithProber(['log_connections = off']),
    ]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([full?.stop(), noRole?.stop(), noConn?.stop()]);
  });

  test("every category PostgreSQL can log is found, with the event's four fields and the delay; everything is dropped", async () => {
    const r = await probeSource(pgSource(full), { pollMs: 300 });
    console.log(
      JSON.stringify(r.results.map((x) => [x.category, x.name, x.status, x.delay_ms, x.event?.action, x.reason])),
    );
    const c = byCat(r);
    for (const k of [
      'authentication:login',
      'authentication:failed login',
      'permission_change:create role, grant, revoke',
      'policy_change:row-level security policy',
      'change_execution:temporary table',
      'data_exposure:copy to client',
    ]) {
      expect(c[k]?.status, `${k}: ${c[k]?.reason}`).toBe('found');
      expect(c[k]!.event!.id).toMatch(/^[0-9a-f]{64}$/);
      expect(c[k]!.event!.timestamp).toBeTruthy();
      expect(c[k]!.event!.user).toBeTruthy();
      expect(c[k]!.event!.action).toBeTruthy();
      expect(c[k]!.delay_ms).toBeGreaterThanOrEqual(0);
    }
    expect(c['access_request:access request']!.status).toBe('not_probed');
    expect(c['permission_change:create role, grant, revoke']!.action).toBe(`CREATE ROLE ae_probe_${r.nonce} NOLOGIN`);
    expect(r.cleanup.dropped).toContain(`role ae_probe_${r.nonce}`);
    expect(
      (await full.sql(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname LIKE 'ae\\_probe\\_%'`)).rows[0].n,
    ).toBe(0);
    expect(JSON.stringify(r)).not.toContain(process.env.AE_PROBE_PW);
  });

  test('a leftover ae_probe_* role of a crashed run is removed by the next run, nothing else is touched', async () => {
    await full.sql('CREATE ROLE ae_probe_0badc0de NOLOGIN');
    await full.sql('CREATE ROLE ae_probe_keep_me NOLOGIN'); // not a probe name: left alone
    const r = await probeSource(pgSource(full, 5), { pollMs: 300 });
    expect(r.cleanup.leftovers_removed).toEqual(['role ae_probe_0badc0de']);
    const left = (
      await full.sql(`SELECT rolname FROM pg_roles WHERE rolname LIKE 'ae\\_probe\\_%' ORDER BY 1`)
    ).rows.map((x) => x.rolname);
    expect(left).toEqual(['ae_probe_keep_me']);
  });

  test("pgaudit.log without 'role': the permission-change probe is not found, naming the setting", async () => {
    const r = await probeSource(pgSource(noRole, 4), { pollMs: 500 });
    const c = byCat(r);
    expect(c['permission_change:create role, grant, revoke']!.status).toBe('not_found');
    expect(c['permission_change:create role, grant, revoke']!.reason).toMatch(/^not found after \d+ s/);
    expect(c['permission_change:create role, grant, revoke']!.likely_setting).toMatch(/pgaudit\.log lacks 'role'/);
    expect(c['change_execution:temporary table']!.status).toBe('found');
    expect(c['authentication:login']!.status).toBe('found');
  });

  test('log_connections = off: the login probes are not found, naming log_connections', async () => {
    const r = await probeSource(pgSource(noConn, 4), { pollMs: 500 });
    const c = byCat(r);
    expect(c['authentication:login']!.status).toBe('not_found');
    expect(c['authentication:login']!.likely_setting).toMatch(/log_connections = off/);
    expect(c['permission_change:create role, grant, revoke']!.status).toBe('found');
  });
});

describe.runIf(shouldRun(mariadbAvailability()))('probe on MariaDB + server_audit', () => {
  let s: MariaServer;
  beforeAll(async () => {
    s = await startMariaDB();
    await s.sql([
      `CREATE USER auditreader@'127.0.0.1' IDENTIFIED BY '${READER_PW}'`,
      `GRANT PROCESS ON *.* TO auditreader@'127.0.0.1'`,
      `GRANT SELECT ON mysql.* TO auditreader@'127.0.0.1'`,
      `CREATE USER ae_prober@'127.0.0.1' IDENTIFIED BY '${process.env.AE_PROBE_PW}'`,
      `GRANT CREATE USER, SELECT ON *.* TO ae_prober@'127.0.0.1' WITH GRANT OPTION`,
    ]);
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
  });

  test('login, failed login, create user and a statement are found; the rest is named as not probed', async () => {
    const src = {
      name: 'maria-probe',
      type: 'mysql',
      host: '127.0.0.1',
      port: s.port,
      user: 'auditreader',
      password_env: 'AE_PROBE_READER_PW',
      probe: { user: 'ae_prober', password_env: 'AE_PROBE_PW', wait: 8 },
    };
    const r = await probeSource(src, { pollMs: 300 });
    console.log(
      JSON.stringify(r.results.map((x) => [x.category, x.name, x.status, x.delay_ms, x.event?.action, x.reason])),
    );
    const c = byCat(r);
    for (const k of [
      'authentication:login',
      'authentication:failed login',
      'permission_change:create user, grant usage, drop user',
      'change_execution:statement',
    ]) {
      expect(c[k]?.status, `${k}: ${c[k]?.reason}`).toBe('found');
    }
    expect(c['policy_change:policy change']!.status).toBe('not_probed');
    expect(c['data_exposure:data exposure']!.status).toBe('not_probed');
    expect(r.cleanup.dropped).toContain(`user 'ae_probe_${r.nonce}'@'localhost'`);
    expect(r.cleanup.errors).toEqual([]);
  });
});
