// End-to-end: the built `audit-evidence normalize` binary, run as a user runs it (npm test builds
// first). Uses the pgaudit fixtures.
import { describe, expect, test, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const F = 'fixtures/pgaudit';
const LIVE = `${F}/pg15-live__postgresql.log`;
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ae-normalize-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const summaryLine = (stderr: string) => stderr.trim().split('\n').at(-1)!;
function counts(stderr: string) {
  const m = /read (\d+) records from \d+ inputs?: (\d+) events, (\d+) rejected, (\d+) skipped/.exec(
    summaryLine(stderr),
  );
  expect(m, stderr).not.toBeNull();
  return { read: Number(m![1]), events: Number(m![2]), rejects: Number(m![3]), skipped: Number(m![4]) };
}

describe('audit-evidence normalize', () => {
  test('a stderr log to JSON Lines: one valid event per line, and a summary that reconciles', async () => {
    const r = await runCli(['normalize', '--format', 'pgaudit', LIVE]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const c = counts(r.stderr);
    expect(c).toEqual({ read: 96, events: 42, rejects: 0, skipped: 54 });
    expect(c.read).toBe(c.events + c.rejects + c.skipped);
    expect(lines).toHaveLength(42);
    const first = JSON.parse(lines[1]!);
    expect(first).toMatchObject({
      user: { name: 'postgres' },
      action: { name: 'create_role' },
      category: 'permission_change',
      timestamp: '2026-11-22T22:17:35.492Z',
    });
    expect(summaryLine(r.stderr)).toMatch(/counts reconcile$/);
  });

  test('--output csv writes a header and one row per event', async () => {
    const out = join(dir, 'events.csv');
    const r = await runCli([
      'normalize',
      '--format',
      'pgaudit',
      '--output',
      'csv',
      '--out',
      out,
      `${F}/pg15-live__postgresql.csv`,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const text = readFileSync(out, 'utf8');
    // Records end at newlines outside quotes (a multi-line statement stays inside its quoted cell).
    let records = 0;
    let quoted = false;
    for (const ch of text) {
      if (ch === '"') quoted = !quoted;
      else if (ch === '\n' && !quoted) records++;
    }
    expect(records).toBe(43);
    expect(text.split('\n')[0]).toMatch(/timestamp/);
    expect(text).toContain('alter_system');
  });

  test('standard input (-) with auto detection', async () => {
    const r = await runCli(['normalize', '-'], { input: readFileSync(`${F}/immudb-log-audit__pgaudit.log`) });
    expect(r.code).toBe(0);
    expect(counts(r.stderr)).toEqual({ read: 1005, events: 1004, rejects: 1, skipped: 0 });
    expect(r.stderr).toMatch(/-: read as pgaudit \(detected\)/);
    expect(r.stderr).toMatch(/rejected -:2: pgaudit record: field 8 opens a quote that never closes/);
  });

  test('--since/--until keep a window; the rest are counted as skipped', async () => {
    const r = await runCli([
      'normalize',
      '--format',
      'pgaudit',
      '--since',
      '2026-11-22T22:17:50Z',
      '--until',
      '2026-11-22T22:18:10Z',
      LIVE,
    ]);
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.length).toBeGreaterThan(0);
    for (const e of events)
      expect(e.timestamp >= '2026-11-22T22:17:50.000Z' && e.timestamp < '2026-11-22T22:18:10.000Z').toBe(true);
    const c = counts(r.stderr);
    expect(c.read).toBe(96);
    expect(c.events + c.rejects + c.skipped).toBe(96);
    expect(summaryLine(r.stderr)).toMatch(/outside the time window/);
  });

  test('--rejects FILE holds every rejected record with its location and reason, and no secret', async () => {
    const rej = join(dir, 'rejects.jsonl');
    const r = await runCli([
      'normalize',
      '--rejects',
      rej,
      `${F}/invented__stderr-session.log`,
      `${F}/invented__pg17.csv`,
    ]);
    expect(r.code).toBe(0);
    const rows = readFileSync(rej, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(3);
    expect(JSON.stringify(rows)).toMatch(/invented__pg17\.csv/);
    expect(readFileSync(rej, 'utf8') + r.stdout + r.stderr).not.toContain('Sup3rSecret');
  });

  test('a missing file: exit 2, one sentence, no stack trace', async () => {
    const r = await runCli(['normalize', join(dir, 'nope.log')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('a malformed file: exit 0 with counted rejects on stderr', async () => {
    const bad = join(dir, 'bad.log');
    writeFileSync(
      bad,
      [
        '2024-05-01 10:00:00.000 UTC [1] LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<none>',
        '2024-05-01 10:00:01.000 UTC [1] LOG:  AUDIT: SESSION,x,1,READ',
        '2024-05-01 10:00:02.000 UTC [1] LOG:  AUDIT: SESSION,3,1,READ,SELECT,,,"select 3',
        '',
      ].join('\n'),
    );
    const r = await runCli(['normalize', '--format', 'pgaudit', bad]);
    expect(r.code).toBe(0);
    expect(counts(r.stderr)).toEqual({ read: 3, events: 1, rejects: 2, skipped: 0 });
    expect(r.stderr).toMatch(/rejected .*bad\.log:2: /);
    expect(r.stderr).toMatch(/rejected .*bad\.log:3: /);
  });

  test('every pgaudit corpus fixture is detected as pgaudit and reconciles', async () => {
    const files = readdirSync(F).filter(
      (f) => !/\.(expected\.jsonl|expected-summary\.json|options\.json|md|sql)$/.test(f) && !f.startsWith('invented__'),
    );
    const r = await runCli(['normalize', ...files.map((f) => `${F}/${f}`)]);
    expect(r.code).toBe(0);
    for (const f of files) expect(r.stderr).toContain(`${F}/${f}: read as pgaudit (detected)`);
    expect(summaryLine(r.stderr)).toMatch(/counts reconcile$/);
  });

  test('--help shows examples', async () => {
    const r = await runCli(['normalize', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:/);
    expect(r.stdout).toMatch(/--log-line-prefix/);
  });
});
