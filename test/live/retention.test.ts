// Retention read from the sources themselves: PostgreSQL's log_filename / log_truncate_on_rotation /
// log_rotation_age and MariaDB server_audit's size-based rotation, from real throwaway servers;
// then a bundle that states each source's retention and a check that reports the short ones.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { postgresAvailability, startPostgres, type PgServer } from '../helpers/servers/postgres.js';
import { mariadbAvailability, startMariaDB, type MariaServer } from '../helpers/servers/mariadb.js';
import { shouldRun } from '../helpers/servers/availability.js';
import { drain } from '../helpers/live-run.js';
import { openPostgres } from '../../src/live/postgres/index.js';
import { openMysql } from '../../src/live/mysql/index.js';
import { filenameCycle, postgresRetention } from '../../src/retention/postgres.js';
import { enterpriseRetention, mariadbRetention } from '../../src/retention/mariadb.js';
import { CompletenessChecker } from '../../src/checks/index.js';
import { retention } from '../../src/retention/types.js';
import { collect, keygen, readAll, tempDir } from '../bundle/helpers.js';
import { writeFileSync } from 'node:fs';

describe('retention rules (pure)', () => {
  test('log_filename cycles', () => {
    expect(filenameCycle('postgresql-%a.log')).toMatchObject({ minutes: 7 * 1440 });
    expect(filenameCycle('postgresql-%H.log')).toMatchObject({ minutes: 1440 });
    expect(filenameCycle('postgresql-%d.log')).toMatchObject({ minutes: 28 * 1440 });
    expect(filenameCycle('postgresql-%j.log')).toMatchObject({ minutes: 365 * 1440 });
    expect(filenameCycle('postgresql-%Y-%m-%d_%H%M%S.log').minutes).toBeNull();
    expect(filenameCycle('postgresql.log').minutes).toBeNull();
  });
  const s = { logging_collector: 'on', log_truncate_on_rotation: 'on', log_rotation_age: '1440' };
  test('a weekday name with truncation keeps 7 days; an hourly name rotated daily keeps 1 day', () => {
    expect(postgresRetention({ ...s, log_filename: 'postgresql-%a.log' }, 'x', null).days).toBe(7);
    expect(postgresRetention({ ...s, log_filename: 'postgresql-%H.log' }, 'x', null).days).toBe(1);
    expect(
      postgresRetention({ ...s, log_filename: 'postgresql-%a.log', log_rotation_age: '2880' }, 'x', null).days,
    ).toBe(14);
    expect(postgresRetention({ ...s, log_filename: 'postgresql-%j.log' }, 'x', null).days).toBe(365);
  });
  test('whatever PostgreSQL does not overwrite is unknown, with why, never a number', () => {
    for (const x of [
      { ...s, log_filename: 'postgresql-%Y-%m-%d.log' },
      { ...s, log_filename: 'postgresql-%a.log', log_truncate_on_rotation: 'off' },
      { ...s, log_filename: 'postgresql-%a.log', log_rotation_age: '0' },
      { ...s, log_filename: 'postgresql-%a.log', logging_collector: 'off' },
    ]) {
      const r = postgresRetention(x, 'x', null);
      expect(r.days).toBeNull();
      expect(r.basis.length).toBeGreaterThan(30);
    }
  });
  test('MariaDB: size-based rotation estimated from the write rate; syslog and no rotation are unknown', () => {
    const now = new Date('2026-11-29T00:00:00Z');
    const files = [
      { path: '/a/server_audit.log', size: 500_000, modified: now },
      { path: '/a/server_audit.log.1', size: 1_000_000, modified: new Date('2026-11-28T00:00:00Z') },
      { path: '/a/server_audit.log.2', size: 1_000_000, modified: new Date('2026-11-27T00:00:00Z') },
    ];
    const r = mariadbRetention(
      { server_audit_file_rotations: '9', server_audit_file_rotate_size: '1000000', server_audit_output_type: 'file' },
      files,
      'x',
      now,
    );
    // 1.5 MB written in the 2 days since .2 was closed: 750 kB a day; 10 MB last about 13.3 days.
    expect(r.days).toBeCloseTo(13.33, 1);
    expect(r.estimated).toBe(true);
    expect(mariadbRetention({ server_audit_output_type: 'syslog' }, [], 'x').days).toBeNull();
    expect(
      mariadbRetention({ server_audit_file_rotations: '0', server_audit_output_type: 'file' }, files, 'x').basis,
    ).toMatch(/never rotated/);
    expect(enterpriseRetention({ audit_log_prune_seconds: String(400 * 86400) }, 'x').days).toBe(400);
    expect(enterpriseRetention({ audit_log_format: 'JSON' }, 'x').days).toBeNull();
  });
  test('retention.short: short and unknown are warnings with the reason; long enough is info; the threshold is configurable', () => {
    const mk = (name: string, days: number | null) => ({
      name,
      kind: 'postgresql' as const,
      format: 'pgaudit',
      retention: retention(days, `basis of ${name}`, 'x', {}),
    });
    const c = new CompletenessChecker({ sources: [mk('week', 7), mk('year', 400), mk('nobody-knows', null)] });
    const f = c.finish().findings.filter((x) => x.rule === 'retention.short');
    expect(f.map((x) => [x.source, x.severity])).toEqual([
      ['week', 'warning'],
      ['year', 'info'],
      ['nobody-knows', 'warning'],
    ]);
    expect(f[0]!.message).toBe('keeps its records 7 days, less than the required 365 days: basis of week');
    expect(f[2]!.message).toBe('retention unknown: basis of nobody-knows (required: 365 days)');
    const lax = new CompletenessChecker({ sources: [mk('week', 7)], retentionMinDays: 7 });
    expect(lax.finish().findings.find((x) => x.rule === 'retention.short')!.severity).toBe('info');
    // Sources without a retention entry (check over files) get no finding at all.
    expect(
      new CompletenessChecker({ sources: [{ name: 'f', kind: 'postgresql', format: 'pgaudit' }] })
        .finish()
        .findings.some((x) => x.rule === 'retention.short'),
    ).toBe(false);
  });
});

describe.runIf(shouldRun(postgresAvailability()))('PostgreSQL retention from a real server', () => {
  let weekly: PgServer;
  let dated: PgServer;
  beforeAll(async () => {
    [weekly, dated] = await Promise.all([
      startPostgres({
        conf: ["log_filename = 'postgresql-%a.log'", 'log_truncate_on_rotation = on', 'log_rotation_age = 1d'],
      }),
      startPostgres({ conf: ["log_filename = 'postgresql-%Y-%m-%d_%H%M%S.log'", 'log_truncate_on_rotation = on'] }),
    ]);
    for (const s of [weekly, dated]) await s.sql('CREATE EXTENSION pgaudit');
  });
  afterAll(async () => {
    await weekly?.stop();
    await dated?.stop();
  });
  const cfg = (s: PgServer) => ({
    name: 'pg',
    type: 'postgres',
    host: '127.0.0.1',
    port: s.port,
    user: 'postgres',
    database: 'postgres',
  });

  test('a weekday log_filename with truncation keeps 7 days, read from pg_settings', async () => {
    const d = await drain(openPostgres, cfg(weekly));
    expect(d.result.status, d.result.reason ?? '').toMatch(/complete|empty/);
    const r = d.result.retention!;
    expect(r).toMatchObject({
      days: 7,
      estimated: false,
      facts: { log_filename: 'postgresql-%a.log', log_truncate_on_rotation: 'on', log_rotation_age_minutes: 1440 },
    });
    expect(r.read_from).toMatch(/^pg_settings and pg_ls_logdir\(\) on /);
    expect(r.basis).toMatch(/names repeat every week/);
    expect((r.facts.oldest_log_file as { name: string }).name).toMatch(/^postgresql-[A-Z][a-z]{2}\.(log|csv|json)$/);
  });

  test('a dated log_filename is unknown: PostgreSQL overwrites nothing and cannot tell what removes the files', async () => {
    const d = await drain(openPostgres, cfg(dated));
    expect(d.result.retention).toMatchObject({ days: null });
    expect(d.result.retention!.basis).toMatch(/carry the year/);
  });

  test("collect records each source's retention in the manifest and reports the short one (retention.short)", async () => {
    const dir = tempDir('ae-retention-');
    const { key } = await keygen(dir);
    const config = join(dir, 'c.yaml');
    writeFileSync(
      config,
      `version: 1
retention:
  minimum_days: 30
sources:
  - { name: weekly, type: postgres, host: 127.0.0.1, port: ${weekly.port}, user: postgres, database: postgres }
  - { name: dated, type: postgres, host: 127.0.0.1, port: ${dated.port}, user: postgres, database: postgres }
  - { name: files, type: file, paths: [${join(process.cwd(), 'fixtures/pgaudit/cloudnative-pg__pgaudit.csv')}], format: pgaudit }
`,
    );
    const out = join(dir, 'b.zip');
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const r = await collect(
      [
        '--config',
        config,
        '--since',
        new Date(now.getTime() - 86400_000).toISOString(),
        '--until',
        now.toISOString(),
        '--key',
        key,
        '--out',
        out,
      ],
      { SOURCE_DATE_EPOCH: String(now.getTime() / 1000) },
    );
    expect(r.code, r.stderr).toBe(0);
    const files = await readAll(out);
    const p = JSON.parse(files.get('manifest.intoto.json')!.toString()).predicate;
    const byName = Object.fromEntries(
      p.sources.map((s: { name: string; retention: unknown }) => [s.name, s.retention]),
    );
    expect(byName.weekly).toMatchObject({ days: 7 });
    expect(byName.dated).toMatchObject({ days: null });
    expect(byName.files).toMatchObject({ days: null, basis: expect.stringMatching(/read from files/) });
    const report = JSON.parse(files.get('report/completeness.json')!.toString()).report;
    const found = report.findings
      .filter((f: { rule: string }) => f.rule === 'retention.short')
      .map((f: { source: string; message: string }) => `${f.source}: ${f.message}`);
    expect(found).toEqual([
      expect.stringMatching(/^weekly: keeps its records 7 days, less than the required 30 days/),
      expect.stringMatching(/^dated: retention unknown: log_filename/),
      expect.stringMatching(/^files: retention unknown: read from files/),
    ]);
    const html = files.get('report/summary.html')!.toString();
    expect(html).toContain('<h2 id="retention-h" class="keep">Administrators and retention at the sources</h2>');
    expect(html).toContain('required: 30 days');
    expect(html).toMatch(
      /<tr><td>weekly<\/td><td>\d+ \(live:weekly\)<\/td><td>7 days<\/td><td><b class="badge bad">SHORTER<\/b><\/td>/,
    );
    expect(html).toMatch(
      /<tr><td>dated<\/td><td>\d+ \(live:dated\)<\/td><td>unknown<\/td><td><b class="badge bad">UNKNOWN<\/b><\/td>/,
    );
    expect(html).toMatch(/<tr><td>files<\/td><td>none found<\/td>/);
    const v = await (await import('../helpers/cli.js')).runCli(['verify', out, '--pubkey', join(dir, 'k.pub.pem')]);
    expect(v.code, v.stderr).toBe(0);
    // The auditor's checklist, on the page and in check --json: the live sources' rosters (count
    // and where read), their retention against the 30 days required, the file source's gaps.
    const c = await (await import('../helpers/cli.js')).runCli(['check', out, '--json']);
    const lines = JSON.parse(c.stdout).checklist[0].lines as Array<{ id: string; status: string; evidence: string[] }>;
    console.log(
      `checklist of a bundle from two live PostgreSQL servers and a file source:\n${lines.map((l) => `${l.status.toUpperCase()}: ${l.id}\n  ${l.evidence.join('\n  ')}`).join('\n')}`,
    );
    expect(lines.map((l) => [l.id, l.status])).toEqual(
      [...html.matchAll(/<tr data-check="([^"]+)" data-status="([^"]+)">/g)].map((m) => [m[1], m[2]]),
    );
    const by = Object.fromEntries(lines.map((l) => [l.id, l]));
    expect(by['admin-roles-enumerable'].status).toBe('not met');
    expect(by['admin-roles-enumerable'].evidence).toEqual([
      expect.stringMatching(/^no admin roster for files /),
      expect.stringMatching(/^weekly: \d+ \(live:weekly\)$/),
      expect.stringMatching(/^dated: \d+ \(live:dated\)$/),
    ]);
    expect(by['retention-tamper-evident'].status).toBe('not met');
    expect(by['retention-tamper-evident'].evidence).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^weekly: keeps 7 days, less than 30 days/),
        expect.stringMatching(/^dated: retention unknown/),
      ]),
    );
  });
});

describe.runIf(shouldRun(mariadbAvailability()))('MariaDB retention from a real server', () => {
  let s: MariaServer;
  beforeAll(async () => {
    s = await startMariaDB();
  });
  afterAll(async () => {
    await s?.stop();
  });
  const cfg = () => ({
    name: 'maria',
    type: 'mysql',
    host: '127.0.0.1',
    port: s.port,
    user: 'admin',
    password_env: 'AE_TEST_RET_MY_PW',
  });

  test('size-based rotation: unknown before the first rotation, an estimate in days after it, unknown with rotations 0', async () => {
    process.env.AE_TEST_RET_MY_PW = (s.admin() as { password: string }).password;
    const before = await drain(openMysql, cfg());
    expect(before.result.retention).toMatchObject({
      days: null,
      facts: { server_audit_file_rotations: 9, server_audit_file_rotate_size: 1000000 },
    });
    expect(before.result.retention!.basis).toMatch(/has not rotated yet/);
    const admin = await mysql.createConnection(s.admin());
    await admin.query('SET GLOBAL server_audit_file_rotate_now = ON');
    await new Promise((r) => setTimeout(r, 1100));
    for (let i = 0; i < 20; i++) await admin.query('SELECT 1');
    const after = await drain(openMysql, cfg());
    const r = after.result.retention!;
    expect(r.estimated).toBe(true);
    expect(r.days).toBeGreaterThan(0);
    expect(r.basis).toMatch(/size-based rotation keeps 10 files of 1000000 bytes/);
    expect((r.facts.files as Array<{ path: string }>).map((f) => f.path)).toContain(`${s.auditFile}.1`);
    await admin.query('SET GLOBAL server_audit_file_rotations = 0');
    await admin.end();
    const never = await drain(openMysql, cfg());
    expect(never.result.retention).toMatchObject({
      days: null,
      basis: expect.stringMatching(/server_audit_file_rotations is 0/),
    });
    expect(readFileSync(s.auditFile).length).toBeGreaterThan(0);
  });
});
