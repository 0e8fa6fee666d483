// The pgaudit adapter through the real pipeline: session correlation, authentication lines,
// SET ROLE, secrets, framing edge cases and detection.
import { describe, expect, test } from 'vitest';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { openStream } from '../../../src/pipeline/input.js';
import { emptySummary, normalizeInputs } from '../../../src/pipeline/run.js';
import type { Outcome } from '../../../src/pipeline/types.js';
import { adapter } from '../../../src/sources/pgaudit/index.js';
import { detectFormat } from '../../../src/pipeline/detect.js';
import { catalog } from '../../../src/sources/registry.js';
import { MAX_SESSIONS } from '../../../src/sources/pgaudit/server-log.js';

async function run(text: string | Buffer, options: Record<string, unknown> = {}, name = 'test.log') {
  const input = await openStream(name, Readable.from([Buffer.isBuffer(text) ? text : Buffer.from(text)]));
  const summary = emptySummary();
  const out: Outcome[] = [];
  for await (const o of normalizeInputs([input], { format: 'pgaudit', adapters: catalog, options }, summary))
    out.push(o);
  const events = out.flatMap((o) => (o.kind === 'event' ? [o.event] : []));
  return { out, events, summary, s: summary.inputs[0]! };
}

const P = (pid: number, who = 'bob@db') => `2024-05-01 09:00:00.000 UTC [${pid}] ${who} `;

describe('session correlation', () => {
  test('an ERROR of the same session right after an audited statement marks it failed; other sessions are untouched', async () => {
    const log = [
      `${P(1)}LOG:  AUDIT: SESSION,1,1,WRITE,DELETE,TABLE,public.t,DELETE FROM public.t,<none>`,
      `${P(2)}LOG:  AUDIT: SESSION,1,1,WRITE,INSERT,TABLE,public.t,INSERT INTO public.t VALUES (1),<none>`,
      `${P(1)}ERROR:  permission denied for table t`,
      `${P(1)}STATEMENT:  DELETE FROM public.t`,
      `${P(2)}LOG:  AUDIT: SESSION,2,1,WRITE,INSERT,TABLE,public.t,INSERT INTO public.t VALUES (2),<none>`,
      '',
    ].join('\n');
    const { events, s } = await run(log);
    const by = Object.fromEntries(events.map((e) => [`${e.sequence!.stream}/${e.sequence!.number}`, e]));
    expect(by['pid:1/1']!.outcome).toBe('failure');
    expect(by['pid:1/1']!.outcome_reason).toBe('permission denied for table t');
    expect(by['pid:2/1']!.outcome).toBe('success');
    expect(by['pid:2/2']!.outcome).toBe('unknown'); // end of input: nothing said after it
    expect(s.reconciled).toBe(true);
    expect(s.skipped).toEqual({
      "error report of an audited statement (sets that statement's outcome to failure)": 1,
      'detail line of a server message (DETAIL, HINT, CONTEXT, STATEMENT)': 1,
    });
  });

  test('a substatement of the same statement leaves the earlier part unknown', async () => {
    const log = [
      `${P(1)}LOG:  AUDIT: SESSION,5,1,FUNCTION,DO,,,DO $$ ... $$,<none>`,
      `${P(1)}LOG:  AUDIT: SESSION,5,2,DDL,CREATE TABLE,TABLE,public.x,CREATE TABLE x (),<none>`,
      `${P(1)}ERROR:  boom`,
    ].join('\n');
    const { events } = await run(log);
    expect(events.map((e) => e.outcome)).toEqual(['unknown', 'failure']);
  });

  test('pending events stay bounded: at most one per session, and a cap on sessions', async () => {
    expect(MAX_SESSIONS).toBeGreaterThan(1000);
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(`${P(i)}LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,SELECT 1,<none>`);
    const { events, s } = await run(lines.join('\n'));
    expect(events).toHaveLength(3000);
    expect(s.reconciled).toBe(true);
  });

  test('SET ROLE: later events keep the login user and carry the role; RESET ROLE ends it', async () => {
    const log = [
      `${P(1, 'dba@db')}LOG:  AUDIT: SESSION,1,1,MISC,SET,,,SET ROLE "App Owner",<none>`,
      `${P(1, 'dba@db')}LOG:  AUDIT: SESSION,2,1,DDL,DROP TABLE,TABLE,public.t,DROP TABLE t,<none>`,
      `${P(1, 'dba@db')}LOG:  AUDIT: SESSION,3,1,MISC,RESET,,,RESET ROLE,<none>`,
      `${P(1, 'dba@db')}LOG:  AUDIT: SESSION,4,1,DDL,DROP TABLE,TABLE,public.u,DROP TABLE u,<none>`,
    ].join('\n');
    const { events } = await run(log);
    expect(events.map((e) => [e.user.name, e.user.role, e.user.session_user])).toEqual([
      ['dba', null, null],
      ['dba', 'App Owner', 'dba'],
      ['dba', 'App Owner', 'dba'],
      ['dba', null, null],
    ]);
    expect(events[0]!.resource).toMatchObject({ type: 'role', name: 'App Owner', implicit: true });
  });
});

describe('authentication lines', () => {
  test('login, failed login and logout, with the address from "connection received"', async () => {
    const log = [
      `${P(7, '[unknown]@[unknown]')}LOG:  connection received: host=10.9.8.7 port=5000`,
      `${P(7, 'eve@db')}FATAL:  password authentication failed for user "eve"`,
      `${P(8, '[unknown]@[unknown]')}LOG:  connection received: host=[local]`,
      `${P(8, 'postgres@db')}LOG:  connection authorized: user=postgres database=db application_name=psql`,
      `${P(8, 'postgres@db')}LOG:  disconnection: session time: 0:00:01.000 user=postgres database=db host=[local]`,
    ].join('\n');
    const { events, s } = await run(log);
    expect(
      events.map((e) => [e.action.name, e.user.name, e.user.type, e.outcome, e.origin.address, e.origin.port]),
    ).toEqual([
      ['login_failed', 'eve', 'unknown', 'failure', '10.9.8.7', 5000],
      ['login', 'postgres', 'root', 'success', 'local', null],
      ['logout', 'postgres', 'root', 'success', 'local', null],
    ]);
    expect(events.every((e) => e.category === 'authentication')).toBe(true);
    expect(events[1]!.privileged.reasons).toEqual(['superuser']);
    expect(s.notes.some((n) => n.includes('bootstrap superuser'))).toBe(true);
  });
});

describe('secrets', () => {
  test('a password in a statement never reaches any outcome (events, rejects, skips)', async () => {
    const log = [
      `${P(1)}LOG:  statement: ALTER ROLE x PASSWORD 'Sup3rSecret!'`,
      `${P(1)}LOG:  AUDIT: SESSION,1,1,ROLE,ALTER ROLE,,,"ALTER ROLE x ENCRYPTED PASSWORD 'Sup3rSecret!'",<none>`,
      `${P(1)}LOG:  AUDIT: SESSION,2,1,ROLE,CREATE ROLE,,,"CREATE ROLE y PASSWORD 'Sup3rSecret!`,
    ].join('\n');
    const { out } = await run(log);
    expect(JSON.stringify(out)).not.toContain('Sup3rSecret');
    expect(out.map((o) => o.kind).sort()).toEqual(['event', 'reject', 'skip']);
  });
});

describe('framing', () => {
  test('multi-line statements are joined (tabs PostgreSQL adds removed) and a truncated record does not swallow the next', async () => {
    const log = [
      `${P(1)}LOG:  AUDIT: SESSION,1,1,DDL,CREATE TABLE,TABLE,public.t,"CREATE TABLE t (`,
      '\t  a int',
      '\t)",<none>',
      `${P(1)}LOG:  AUDIT: SESSION,2,1,READ,SELECT,,,"select * from t`,
      `${P(1)}LOG:  AUDIT: SESSION,3,1,READ,SELECT,,,select 2,<none>`,
    ].join('\n');
    const { out, events } = await run(log);
    expect(events[0]!.action.statement).toBe('CREATE TABLE t (\n  a int\n)');
    expect(events[0]!.source.location).toMatchObject({ line: 1, line_end: 3 });
    const rej = out.find((o) => o.kind === 'reject')!;
    expect(rej.raw.location).toMatchObject({ line: 4, line_end: 4 });
    expect(events.map((e) => e.sequence!.number)).toEqual([1, 3]);
  });

  test('a line before the first prefixed line is rejected with its location', async () => {
    const { out } = await run(`\tstray continuation\n${P(1)}LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>\n`);
    expect(out[0]).toMatchObject({ kind: 'reject', raw: { location: { line: 1 } } });
  });

  test('gzip input and a given prefix', async () => {
    const text =
      '2024-05-01 10:00:00 UTC|alice|shop|LOG:  AUDIT: SESSION,1,1,WRITE,UPDATE,TABLE,public.t,UPDATE t SET a = 1,<none>\n';
    const { events } = await run(gzipSync(Buffer.from(text)), { logLinePrefix: '%t|%u|%d|' }, 'x.log.gz');
    expect(events[0]).toMatchObject({
      timestamp: '2024-05-01T10:00:00.000Z',
      user: { name: 'alice' },
      resource: { scope: { database: 'shop' } },
    });
  });

  test('an unknown zone abbreviation uses --timezone and says so', async () => {
    const text = '2024-05-01 10:00:00.000 XYZT [1] LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>\n';
    const { events } = await run(text, { logLinePrefix: '%m [%p] ', timezone: 'Europe/Paris' });
    expect(events[0]).toMatchObject({ timestamp: '2024-05-01T08:00:00.000Z', timestamp_zone_assumed: 'Europe/Paris' });
  });
});

describe('detection', () => {
  test('each shape is recognized, and Cloud SQL LogEntries score at least 0.9', () => {
    const cloudsql = '{"protoPayload":{"methodName":"cloudsql.instances.query","request":{"auditClass":"WRITE"}}}';
    expect(adapter.sniff(cloudsql, 'a.log')).toBeGreaterThanOrEqual(0.9);
    expect(detectFormat({ name: 'a.log', head: Buffer.from(cloudsql) }, catalog).adapter.id).toBe('pgaudit');
    expect(adapter.sniff('NOTICE:  AUDIT: SESSION,1,1,MISC,SET,,,SET x = 1,<none>\n', 'x.out')).toBeGreaterThanOrEqual(
      0.9,
    );
    expect(
      adapter.sniff('2023-02-03 20:29:44.139 GMT [143] LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,x,<none>\n', 'p.log'),
    ).toBeGreaterThanOrEqual(0.9);
    expect(adapter.sniff('{"eventVersion":"1.08","eventSource":"iam.amazonaws.com"}\n', 'c.json')).toBeLessThan(0.5);
    expect(
      adapter.sniff("20240501 10:00:00,host,user,10.0.0.1,1,2,QUERY,db,'select 1',0\n", 'server_audit.log'),
    ).toBeLessThan(0.5);
  });
});
