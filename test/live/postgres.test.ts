// The postgres live source against a real, throwaway PostgreSQL 15 with pgaudit: real admin
// actions, pulled back over SQL as the least-privileged reading role, and checked field by field.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pg from 'pg';
import { join } from 'node:path';
import { postgresAvailability, startPostgres, type PgServer } from '../helpers/servers/postgres.js';
import { shouldRun } from '../helpers/servers/availability.js';
import { drain } from '../helpers/live-run.js';
import { openPostgres, privilegeAdvice } from '../../src/live/postgres/index.js';
import { OWN_SESSION } from '../../src/live/own-session.js';
import { pgauditClasses, settingWarnings } from '../../src/live/postgres/settings.js';
import { filesForWindow, nameTime, type LogFile } from '../../src/live/postgres/log-files.js';

const READER_PW = 'R3ader-s3cret-pw';
const run = shouldRun(postgresAvailability());

describe('pure parts', () => {
  test('pgaudit.log classes', () => {
    expect([...pgauditClasses('all,-misc')].sort()).toEqual(['ddl', 'function', 'read', 'role', 'write']);
    expect([...pgauditClasses('ddl, ROLE')].sort()).toEqual(['ddl', 'role']);
    expect(pgauditClasses('none').size).toBe(0);
  });
  test('warnings name the categories a configuration cannot capture', () => {
    const w = settingWarnings(
      { log_connections: 'off', log_disconnections: 'on', 'pgaudit.log': 'ddl', log_line_prefix: '%m ' },
      'stderr',
    );
    expect(w.join('\n')).toMatch(/log_connections is off: no authentication/);
    expect(w.join('\n')).toMatch(/lacks role: GRANT, REVOKE/);
    expect(w.join('\n')).toMatch(/lacks %u/);
    expect(w.join('\n')).not.toMatch(/lacks ddl/);
  });
  test('files chosen for the window by modification time', () => {
    const f = (name: string, iso: string): LogFile => ({
      name,
      size: 1,
      modification: new Date(iso),
      format: 'jsonlog',
    });
    const files = [
      f('a.json', '2024-05-01T00:00:00Z'),
      f('b.json', '2024-05-08T00:00:00Z'),
      f('c.json', '2024-05-15T00:00:00Z'),
      f('d.json', '2024-05-22T00:00:00Z'),
    ];
    const got = filesForWindow(
      files,
      'jsonlog',
      new Date('2024-05-09T00:00:00Z'),
      new Date('2024-05-16T00:00:00Z'),
    ).map((x) => x.name);
    expect(got).toEqual(['c.json', 'd.json']);
  });
  test('the time a file was opened, from its name and log_filename', () => {
    expect(nameTime('postgresql-2024-05-09_101500.json', 'postgresql-%Y-%m-%d_%H%M%S.log', 'UTC')?.toISOString()).toBe(
      '2024-05-09T10:15:00.000Z',
    );
    expect(
      nameTime('postgresql-2024-05-09_101500.csv', 'postgresql-%Y-%m-%d_%H%M%S.log', 'Europe/Berlin')?.toISOString(),
    ).toBe('2024-05-09T08:15:00.000Z');
    expect(nameTime('postgresql-Thu.log', 'postgresql-%a.log', 'UTC')).toBeNull();
    const f = (name: string, iso: string): LogFile => ({
      name,
      size: 1,
      modification: new Date(iso),
      format: 'jsonlog',
    });
    // The first file was opened on 2024-05-02: a window in April no longer picks it.
    const files = [f('postgresql-2024-05-02_000000.json', '2024-05-08T00:00:00Z')];
    expect(
      filesForWindow(
        files,
        'jsonlog',
        new Date('2024-04-01Z'),
        new Date('2024-04-08Z'),
        'postgresql-%Y-%m-%d_%H%M%S.log',
        'UTC',
      ),
    ).toEqual([]);
    expect(filesForWindow(files, 'jsonlog', new Date('2024-04-01Z'), new Date('2024-04-08Z'))).toHaveLength(1);
  });
  test('privilege advice is the exact least-privilege grant', () => {
    expect(privilegeAdvice('audit_reader')).toBe(
      'GRANT pg_monitor TO audit_reader; GRANT EXECUTE ON FUNCTION pg_read_binary_file(text,bigint,bigint,boolean), pg_stat_file(text,boolean), pg_current_logfile(text) TO audit_reader;',
    );
  });
});

describe.runIf(run)('postgres live source against a real server', () => {
  let s: PgServer;
  let t0: Date;
  beforeAll(async () => {
    s = await startPostgres();
    t0 = new Date(Date.now() - 2000);
    await s.sql('CREATE EXTENSION pgaudit');
    await s.sql(`CREATE ROLE auditreader LOGIN PASSWORD '${READER_PW}'`);
    await s.sql(`${privilegeAdvice('auditreader')}`);
    await s.sql(`CREATE ROLE nopriv LOGIN`);
    await s.sql(`CREATE ROLE alice LOGIN PASSWORD 'alice-correct-pw'`);
    // The admin actions under test.
    await s.sql('CREATE ROLE bob LOGIN');
    await s.sql('GRANT pg_read_all_data TO bob');
    await s.sql('CREATE TABLE payroll (id int, salary int)');
    await s.sql('INSERT INTO payroll VALUES (1, 100)');
    await s.sql('GRANT SELECT ON payroll TO bob');
    await s.sql('REVOKE SELECT ON payroll FROM bob');
    await s.sql("ALTER SYSTEM SET log_min_duration_statement = '1s'");
    await s.sql(`COPY payroll TO '${join(s.dir, 'export.csv')}'`);
    // Secrets the pull must not carry anywhere (issue 11): unique markers, one in a statement
    // PostgreSQL rejects (its ERROR and STATEMENT lines carry the text as typed).
    await s.sql("ALTER ROLE bob PASSWORD 'ZQlivepg01x'");
    await s.sql("ALTER ROLE bob WITH ENCRYPTED PASSWORD /*c*/ 'ZQlivepg02x'");
    await expect(s.sql("ALTER ROLE bob PASSWORD 'ZQlivepg03x' VALID UNTIL")).rejects.toThrow();
    const bad = new pg.Client({
      host: '127.0.0.1',
      port: s.port,
      user: 'alice',
      password: 'wrong-password',
      database: 'postgres',
    });
    await expect(bad.connect()).rejects.toThrow(/password authentication failed/);
    await bad.end().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300)); // let the collector flush
  });
  afterAll(async () => {
    await s?.stop();
  });

  const cfg = (extra: Record<string, unknown> = {}) => ({
    name: 'pg-test',
    type: 'postgres',
    host: '127.0.0.1',
    port: s.port,
    user: 'auditreader',
    database: 'postgres',
    password_env: 'AE_TEST_PG_PASSWORD',
    ...extra,
  });
  process.env.AE_TEST_PG_PASSWORD = READER_PW;

  test('pulls the admin actions with user, action, resource, category and outcome', async () => {
    const d = await drain(openPostgres, cfg(), { since: t0, until: new Date(Date.now() + 60_000) });
    console.log(`postgres live pull: ${d.outcomes.length} outcomes, ${d.events.length} events in ${d.ms} ms`);
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    expect(d.result.how).toMatch(/jsonlog/);
    expect(d.result.settings).toMatchObject({
      'pgaudit.log': 'role,ddl,write,misc_set,read',
      log_connections: 'on',
      logging_collector: 'on',
      log_format_read: 'jsonlog',
    });
    expect(d.summary.reconciled).toBe(true);
    const find = (re: RegExp) => d.events.find((e) => re.test(e.action.raw ?? '') || re.test(e.action.name ?? ''));
    const createRole = d.events.find(
      (e) =>
        /create role/i.test(String(e.action.name).replace(/_/g, ' ')) && JSON.stringify(e.resource).includes('bob'),
    );
    expect(createRole, 'CREATE ROLE bob').toBeDefined();
    expect(createRole!.user.name).toBe('postgres');
    expect(createRole!.category).toBe('permission_change');
    expect(createRole!.outcome).toBe('success');
    const grant = d.events.find(
      (e) => /^grant/i.test(String(e.action.name)) && JSON.stringify(e).includes('pg_read_all_data'),
    );
    expect(grant, 'GRANT pg_read_all_data TO bob').toBeDefined();
    expect(grant!.category).toBe('permission_change');
    const revoke = d.events.find((e) => /^revoke/i.test(String(e.action.name)));
    expect(revoke?.category).toBe('permission_change');
    expect(JSON.stringify(revoke?.resource)).toMatch(/bob/);
    expect(JSON.stringify(revoke?.permission_changes)).toMatch(/payroll/);
    const alter = d.events.find((e) => /alter_system/i.test(String(e.action.name)));
    expect(alter?.category).toBe('policy_change');
    expect(JSON.stringify(alter?.resource)).toMatch(/log_min_duration_statement/);
    const copy = d.events.find((e) => /copy/i.test(String(e.action.name)) && e.category === 'data_exposure');
    expect(copy, 'COPY payroll TO').toBeDefined();
    expect(JSON.stringify(copy!.resource)).toMatch(/payroll/);
    const failed = d.events.find(
      (e) => e.category === 'authentication' && e.outcome === 'failure' && e.user.name === 'alice',
    );
    expect(failed, 'failed login of alice').toBeDefined();
    for (const e of [createRole!, grant!, revoke!, alter!, copy!, failed!]) {
      expect(e.user.name).toBeTruthy();
      expect(e.action.name).toBeTruthy();
      expect(e.timestamp).toBeTruthy();
      expect(e.source.instance).toBe('pg-test');
    }
    expect(find(/./)).toBeDefined();
    // The roster: the bootstrap superuser and bob through pg_read_all_data.
    expect(d.result.roster).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ principal: 'postgres', reason: 'superuser', origin: 'live:pg-test' }),
        expect.objectContaining({ principal: 'bob', reason: 'member of pg_read_all_data' }),
        expect.objectContaining({ principal: 'auditreader', reason: 'member of pg_monitor' }),
      ]),
    );
    // No secret anywhere in what the source produced.
    expect(JSON.stringify([d.result, d.progress])).not.toContain(READER_PW);
  });

  test("the collector's own session is not evidence: no event of the reading role, its records counted as skipped", async () => {
    // The pull before this one (an earlier run) and this pull's own session both wrote records.
    const d = await drain(openPostgres, cfg(), { since: t0, until: new Date(Date.now() + 60_000) });
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    const mine = d.events.filter((e) => e.user.name === 'auditreader' || e.user.session_user === 'auditreader');
    expect(mine.map((e) => `${e.action.name} ${e.action.statement ?? ''}`)).toEqual([]);
    const skipped = d.outcomes.filter((o) => o.kind === 'skip' && o.reason === OWN_SESSION);
    expect(skipped.length).toBeGreaterThan(0);
    // Both sessions: this run's (by session id) and the earlier run's (by application_name and role).
    const sessions = new Set(skipped.map((o) => JSON.parse(o.raw.text).session_id));
    expect(sessions.size).toBeGreaterThanOrEqual(2);
    const cs = (d.result.settings as Record<string, Record<string, string>>).collector_session;
    expect(cs).toMatchObject({ skipped_as: OWN_SESSION, application_name: 'audit-evidence', role: 'auditreader' });
    expect(cs.recognized_by).toMatch(/session id [0-9a-f]+\.[0-9a-f]+/);
    expect(sessions).toContain(cs.session_id);
    // The admin's actions are all still there.
    expect(
      d.events.some((e) => /^grant/i.test(String(e.action.name)) && JSON.stringify(e).includes('pg_read_all_data')),
    ).toBe(true);
  });

  test('ALTER ROLE ... PASSWORD on the real server: no password in any event or raw record', async () => {
    const d = await drain(openPostgres, cfg(), { since: t0, until: new Date(Date.now() + 60_000) });
    const all = JSON.stringify(
      d.outcomes.map((o) => ({
        raw: o.raw.text,
        ev: o.kind === 'event' ? o.event : null,
        reason: o.kind === 'event' ? null : o.reason,
      })),
    );
    expect(all).toMatch(/ALTER ROLE bob/);
    for (const m of ['ZQlivepg01x', 'ZQlivepg02x', 'ZQlivepg03x']) expect(all).not.toContain(m);
    expect(JSON.stringify(d.result)).not.toContain('ZQlivepg');
  });

  test('a role without the grants gets the exact advice, not a raw 42501', async () => {
    const d = await drain(openPostgres, cfg({ user: 'nopriv', password_env: undefined }));
    expect(d.result.status).toBe('failed');
    expect(d.result.reason).toContain(privilegeAdvice('nopriv'));
    expect(d.result.reason).not.toMatch(/42501/);
  });

  test('a wrong password fails without printing it', async () => {
    process.env.AE_TEST_PG_WRONG = 'Wr0ng-pw-should-not-leak';
    const d = await drain(openPostgres, cfg({ password_env: 'AE_TEST_PG_WRONG' }));
    expect(d.result.status).toBe('failed');
    expect(d.result.reason).toMatch(/password authentication failed/);
    expect(JSON.stringify(d.result)).not.toContain('Wr0ng-pw-should-not-leak');
  });

  test('a URL with a password: scrubbed from how and settings', async () => {
    const url = `postgresql://auditreader:${encodeURIComponent(READER_PW)}@127.0.0.1:${s.port}/postgres`;
    const d = await drain(
      openPostgres,
      { name: 'pg-url', type: 'postgres', url },
      { since: new Date('2001-01-01'), until: new Date('2001-01-08') },
    );
    expect(d.result.status, d.result.reason ?? '').toBe('empty');
    expect(JSON.stringify(d.result)).not.toContain(READER_PW);
    expect(d.result.how).toContain('postgresql://auditreader@127.0.0.1');
  });

  test('the server stopped mid-pull: partial, with the reason and the file position reached', async () => {
    // Make the log larger than two 1 MiB chunks: long statements that pgaudit logs in full.
    const pad = 'x'.repeat(200_000);
    for (let i = 0; i < 12; i++) await s.sql(`INSERT INTO payroll VALUES (${i}, 0) -- ${pad}`);
    await new Promise((r) => setTimeout(r, 300));
    let stopped = false;
    const d = await drain(
      openPostgres,
      cfg({ log_format: 'csvlog' }),
      { since: t0, until: new Date(Date.now() + 60_000) },
      async (o, n) => {
        if (n === 1 && !stopped) {
          stopped = true;
          await s.halt();
        }
      },
    );
    expect(d.result.status).toBe('partial');
    expect(d.result.reason).toMatch(/PostgreSQL pull failed|terminat|connection/i);
    expect(d.outcomes.length).toBeGreaterThan(0);
    expect(d.result.lastPosition).toMatch(/^file log\/postgresql-.*\.csv at byte \d+/);
    expect(Number(/at byte (\d+)/.exec(d.result.lastPosition ?? '')?.[1])).toBeGreaterThanOrEqual(1024 * 1024);
  });
});
