// The mysql live source against a real, throwaway MariaDB with server_audit (configuration, health,
// roster over SQL; records from the paired audit file), and MySQL Enterprise's audit_log_read()
// JSON handling against its documented shapes (MySQL Enterprise is commercial: no server here).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { mariadbAvailability, startMariaDB, type MariaServer } from '../helpers/servers/mariadb.js';
import { shouldRun } from '../helpers/servers/availability.js';
import { drain } from '../helpers/live-run.js';
import { openMysql } from '../../src/live/mysql/index.js';
import { OWN_SESSION } from '../../src/live/own-session.js';
import { FOLDED } from '../../src/sources/mariadb-audit/index.js';
import { mariadbWarnings } from '../../src/live/mysql/settings.js';
import { parseReadResult, readAuditLog } from '../../src/live/mysql/audit-log-read.js';
import { splitGrantee } from '../../src/live/mysql/roster.js';

const READER_PW = 'Maria-r3ader-pw';
const run = shouldRun(mariadbAvailability());

describe('pure parts', () => {
  test('server_audit_events QUERY_DDL,QUERY_DCL: says what goes unrecorded', () => {
    const w = mariadbWarnings(
      { server_audit_logging: 'ON', server_audit_events: 'QUERY_DDL,QUERY_DCL' },
      { Server_audit_writes_failed: '3' },
    ).join('\n');
    expect(w).toMatch(/SET GLOBAL .*ALTER USER ... IDENTIFIED BY and SET PASSWORD go unrecorded/);
    expect(w).toMatch(/lacks CONNECT: no authentication/);
    expect(w).toMatch(/Server_audit_writes_failed is 3/);
    expect(
      mariadbWarnings({ server_audit_logging: 'ON', server_audit_events: '' }, { Server_audit_writes_failed: '0' }),
    ).toEqual([]);
  });
  test('grantee parsing', () => {
    expect(splitGrantee("'admin'@'127.0.0.1'")).toEqual(['admin', '127.0.0.1']);
    expect(splitGrantee("'o''brien'@'%'")).toEqual(["o'brien", '%']);
  });
  test('audit_log_read() results: arrays, end markers, bookmarks', () => {
    expect(parseReadResult(null).end).toBe(true);
    expect(parseReadResult('null').end).toBe(true);
    expect(parseReadResult('[]').end).toBe(true);
    const r = parseReadResult(
      '[{"timestamp":"2024-05-01 10:00:00","id":0,"class":"connection"},{"timestamp":"2024-05-01 10:00:01","id":1,"class":"general"},null]',
    );
    expect(r.items).toHaveLength(2);
    expect(r.end).toBe(true);
    expect(r.bookmark).toEqual({ timestamp: '2024-05-01 10:00:01', id: 1 });
    expect(() => parseReadResult('{"x":1}')).toThrow(/not an array/);
    expect(() => parseReadResult('[{')).toThrow(/not JSON/);
  });
  test('audit_log_read() batches follow bookmarks, drop the repeated event, stop at the period end', async () => {
    const ev = (s: number, id: number) => ({
      timestamp: `2024-05-01 10:00:${String(s).padStart(2, '0')}`,
      id,
      class: 'general',
      event: 'status',
    });
    const all = [ev(1, 0), ev(2, 0), ev(3, 0), ev(4, 0), ev(5, 0), ev(59, 0)];
    const args: string[] = [];
    // The documented server behaviour: a start or a bookmark position, then max_array_length events
    // from there (the bookmarked event included).
    const call = async (arg: string) => {
      args.push(arg);
      const a = JSON.parse(arg);
      const from = a.start
        ? all.findIndex((e) => e.timestamp >= a.start.timestamp)
        : all.findIndex((e) => e.timestamp === a.timestamp && e.id === a.id);
      const slice = all.slice(from, from + a.max_array_length);
      return JSON.stringify(from + a.max_array_length >= all.length ? [...slice, null] : slice);
    };
    const positions: string[] = [];
    const out: string[] = [];
    for await (const b of readAuditLog(
      call,
      new Date('2024-05-01T10:00:02Z'),
      new Date('2024-05-01T10:00:30Z'),
      2,
      (bm, n) => positions.push(`${n}:${JSON.stringify(bm)}`),
    ))
      out.push(b.toString());
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).timestamp);
    expect(lines).toEqual(['2024-05-01 10:00:02', '2024-05-01 10:00:03', '2024-05-01 10:00:04', '2024-05-01 10:00:05']);
    expect(JSON.parse(args[0])).toEqual({ start: { timestamp: '2024-05-01 10:00:02' }, max_array_length: 2 });
    expect(JSON.parse(args[1])).toEqual({ timestamp: '2024-05-01 10:00:03', id: 0, max_array_length: 2 });
    expect(positions.length).toBeGreaterThanOrEqual(3);
  });
});

describe.runIf(run)('mysql live source against a real MariaDB with server_audit', () => {
  let s: MariaServer;
  let t0: Date;
  beforeAll(async () => {
    s = await startMariaDB();
    t0 = new Date(Date.now() - 2000);
    await s.sql([
      `CREATE USER auditreader@'127.0.0.1' IDENTIFIED BY '${READER_PW}'`,
      `GRANT PROCESS ON *.* TO auditreader@'127.0.0.1'`,
      `GRANT SELECT ON mysql.* TO auditreader@'127.0.0.1'`,
      'CREATE DATABASE shop',
      'CREATE TABLE shop.cards (id int, pan varchar(20))',
      "INSERT INTO shop.cards VALUES (1, '4111')",
    ]);
    const admin = await mysql.createConnection(s.admin());
    for (const q of [
      "CREATE USER carol@'%' IDENTIFIED BY 'carol-secret-pw'",
      "GRANT SELECT ON shop.* TO carol@'%'",
      "REVOKE SELECT ON shop.* FROM carol@'%'",
      "GRANT FILE ON *.* TO carol@'%'",
      'SET GLOBAL max_connections = 120',
      `SELECT * FROM shop.cards INTO OUTFILE '${join(s.dir, 'files', 'cards.csv')}'`,
      // Secrets the pull must not carry anywhere (issue 11): unique markers.
      "SET PASSWORD FOR 'carol'@'%' = PASSWORD('ZQlivemaria01x')",
      "ALTER USER carol@'%' IDENTIFIED BY 'ZQlivemaria02x'",
    ])
      await admin.query(q);
    await admin.end();
    await expect(mysql.createConnection({ ...s.admin(), password: 'wrong-pw' })).rejects.toThrow(/Access denied/);
  });
  afterAll(async () => {
    await s?.stop();
  });
  process.env.AE_TEST_MY_PASSWORD = READER_PW;
  const cfg = (extra: Record<string, unknown> = {}) => ({
    name: 'maria-test',
    type: 'mysql',
    host: '127.0.0.1',
    port: s.port,
    user: 'auditreader',
    password_env: 'AE_TEST_MY_PASSWORD',
    ...extra,
  });

  test('configuration, health and roster over SQL; records from the paired audit file', async () => {
    const d = await drain(openMysql, cfg(), { since: t0, until: new Date(Date.now() + 60_000) });
    console.log(`mariadb live pull: ${d.outcomes.length} outcomes, ${d.events.length} events in ${d.ms} ms`);
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    expect(d.result.settings).toMatchObject({ flavor: 'mariadb', audit_file: s.auditFile, timestamp_zone: 'UTC' });
    expect((d.result.settings as Record<string, Record<string, string>>).server_audit_variables).toMatchObject({
      server_audit_events: 'CONNECT,QUERY,TABLE',
      server_audit_logging: 'ON',
    });
    expect((d.result.settings as Record<string, Record<string, string>>).server_audit_status).toMatchObject({
      Server_audit_writes_failed: '0',
    });
    expect(d.result.warnings).toEqual([
      'server_audit_query_log_limit is 1024: longer statements are truncated in the audit log',
    ]);
    expect(d.result.roster).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ principal: 'admin', origin: 'live:maria-test' }),
        expect.objectContaining({ principal: 'carol', reason: expect.stringContaining('FILE') }),
      ]),
    );
    expect(d.summary.reconciled).toBe(true);
    const byAction = (re: RegExp) => d.events.filter((e) => re.test(String(e.action.name)));
    const create = byAction(/create_user/).find((e) => JSON.stringify(e.resource).includes('carol'));
    expect(create, 'CREATE USER carol').toBeDefined();
    expect(create!.user.name).toBe('admin');
    expect(create!.category).toBe('permission_change');
    expect(create!.outcome).toBe('success');
    const grant = byAction(/^grant/).find((e) => JSON.stringify(e).includes('shop'));
    expect(grant?.category).toBe('permission_change');
    const revoke = byAction(/^revoke/)[0];
    expect(revoke?.category).toBe('permission_change');
    const setGlobal = d.events.find((e) => /max_connections/.test(JSON.stringify(e)) && e.category === 'policy_change');
    expect(setGlobal, 'SET GLOBAL max_connections').toBeDefined();
    const outfile = d.events.find((e) => e.category === 'data_exposure' && /cards/.test(JSON.stringify(e.resource)));
    expect(outfile, 'SELECT ... INTO OUTFILE').toBeDefined();
    const failed = d.events.find(
      (e) => e.category === 'authentication' && e.outcome === 'failure' && e.user.name === 'admin',
    );
    expect(failed, 'failed login').toBeDefined();
    for (const e of [create!, grant!, revoke!, setGlobal!, outfile!, failed!]) {
      expect(e.user.name).toBeTruthy();
      expect(e.action.name).toBeTruthy();
      expect(e.timestamp).toBeTruthy();
      expect(e.source.instance).toBe('maria-test');
    }
    expect(JSON.stringify(d.result)).not.toContain(READER_PW);
  });

  test('a real GRANT is exactly one permission_change event, its grant-table writes folded into it (tables in details)', async () => {
    const d = await drain(openMysql, cfg(), { since: t0, until: new Date(Date.now() + 60_000) });
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    const grants = d.events.filter((e) => /GRANT FILE ON \*\.\* TO/i.test(e.action.statement ?? ''));
    expect(grants).toHaveLength(1);
    const g = grants[0]!;
    expect(g.category).toBe('permission_change');
    expect(g.outcome).toBe('success');
    const tables = (g.details as { tables?: Array<{ operation: string; table: string }> }).tables ?? [];
    expect(tables).toEqual(expect.arrayContaining([{ operation: 'WRITE', table: 'mysql.global_priv' }]));
    // None of its TABLE records is an event of its own.
    const sameStatement = d.events.filter(
      (e) => e.sequence?.stream === g.sequence?.stream && e.sequence?.number === g.sequence?.number,
    );
    expect(sameStatement).toEqual([g]);
    const folded = d.outcomes.filter((o) => o.kind === 'skip' && o.reason === FOLDED);
    expect(folded.length).toBeGreaterThanOrEqual(tables.length);
    expect(d.events.filter((e) => e.action.source_name === 'WRITE' && e.resource.name?.startsWith('mysql.'))).toEqual(
      [],
    );
    expect(d.summary.reconciled).toBe(true);
  });

  test("the collector's own session is not evidence: no event of the reading account, its records counted as skipped", async () => {
    const d = await drain(openMysql, cfg(), { since: t0, until: new Date(Date.now() + 60_000) });
    const cs = (d.result.settings as Record<string, Record<string, string>>).collector_session;
    expect(cs).toMatchObject({ skipped_as: OWN_SESSION, user: 'auditreader' });
    expect(
      d.events.filter((e) => e.user.name === 'auditreader').map((e) => `${e.action.name} ${e.action.statement ?? ''}`),
    ).toEqual([]);
    expect(d.events.filter((e) => String(e.sequence?.stream) === cs.connection_id)).toEqual([]);
    const skipped = d.outcomes.filter((o) => o.kind === 'skip' && o.reason === OWN_SESSION);
    // This run's session and the earlier runs' (the two pulls above), each at least a login and a statement.
    expect(new Set(skipped.map((o) => o.raw.text.split(',')[4])).size).toBeGreaterThanOrEqual(3);
    expect(d.events.some((e) => /GRANT FILE/.test(e.action.statement ?? ''))).toBe(true);
  });

  test('SET PASSWORD and IDENTIFIED BY on the real server: no password in any event or raw record', async () => {
    const d = await drain(openMysql, cfg(), { since: t0, until: new Date(Date.now() + 60_000) });
    const all = JSON.stringify(
      d.outcomes.map((o) => ({
        raw: o.raw.text,
        ev: o.kind === 'event' ? o.event : null,
        reason: o.kind === 'event' ? null : o.reason,
      })),
    );
    expect(all).toMatch(/SET PASSWORD/i);
    for (const m of ['ZQlivemaria01x', 'ZQlivemaria02x']) expect(all).not.toContain(m);
    expect(JSON.stringify(d.result)).not.toContain('ZQlivemaria');
  });

  test('an audit file this machine cannot read: failed, saying how to pair it', async () => {
    const d = await drain(openMysql, cfg({ audit_file: '/nonexistent/server_audit.log' }));
    expect(d.result.status).toBe('failed');
    expect(d.result.reason).toMatch(/audit_file/);
  });

  test('a wrong password fails without printing it', async () => {
    process.env.AE_TEST_MY_WRONG = 'Wr0ng-maria-pw';
    const d = await drain(openMysql, cfg({ password_env: 'AE_TEST_MY_WRONG' }));
    expect(d.result.status).toBe('failed');
    expect(d.result.reason).toMatch(/Access denied/);
    expect(JSON.stringify(d.result)).not.toContain('Wr0ng-maria-pw');
  });

  test('a period with nothing in it is empty, not failed', async () => {
    const d = await drain(openMysql, cfg(), { since: new Date('2001-01-01Z'), until: new Date('2001-01-08Z') });
    expect(d.result.status).toBe('empty');
  });
});
