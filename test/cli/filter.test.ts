// `filter`: selection logic (globs, windows) and the command end to end through the binary,
// including "a week of admin activity by this user on this resource" in one command and CSV that
// is safe to open in a spreadsheet.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { globToRegExp } from '../../src/filter/glob.js';
import { lastWeek, weekFrom } from '../../src/filter/window.js';
import { buildSelector } from '../../src/filter/select.js';
import { CSV_COLUMNS } from '../../src/export/csv.js';
import { runCli } from '../helpers/cli.js';
import { ev } from '../checks/make-event.js';

describe('selection', () => {
  test('globs: * and ? only, case-insensitive, everything else literal', () => {
    expect(globToRegExp('public.*').test('PUBLIC.accounts')).toBe(true);
    expect(globToRegExp('public.*').test('publicXaccounts')).toBe(false);
    expect(globToRegExp('a?c').test('abc')).toBe(true);
    expect(globToRegExp('a?c').test('abbc')).toBe(false);
    expect(globToRegExp('arn:aws:s3:::pay(roll)+').test('arn:aws:s3:::pay(roll)+')).toBe(true);
  });

  test('windows: last 7 full days in a zone; 7 days from a date', () => {
    const now = new Date('2024-05-08T10:00:00Z');
    expect(lastWeek(now)).toEqual({ since: new Date('2024-05-01T00:00:00Z'), until: new Date('2024-05-08T00:00:00Z') });
    // 01:30 on 8 May in Berlin is still 7 May 23:30 UTC: the week ends at Berlin's midnight
    expect(lastWeek(new Date('2024-05-07T23:30:00Z'), 'Europe/Berlin')).toEqual({
      since: new Date('2024-04-30T22:00:00Z'),
      until: new Date('2024-05-07T22:00:00Z'),
    });
    expect(weekFrom(new Date('2024-03-28T00:00:00Z'))).toEqual({
      since: new Date('2024-03-28T00:00:00Z'),
      until: new Date('2024-04-04T00:00:00Z'),
    });
  });

  test('criteria combine with AND, values of one criterion with OR; users match session users too', () => {
    const sel = buildSelector({ users: ['alice', 'bob'], privileged: true });
    expect(sel(ev({ privileged: { value: true, reasons: ['admin_action'] } }))).toBe(true);
    expect(
      sel(ev({ user: { name: 'app', session_user: 'bob' }, privileged: { value: true, reasons: ['superuser'] } })),
    ).toBe(true);
    expect(sel(ev())).toBe(false);
    const w = buildSelector({ window: { since: new Date('2024-05-01T12:00:00Z'), until: null } });
    expect(w(ev())).toBe(true);
    expect(w(ev({ timestamp: null }))).toBe(false);
    expect(buildSelector({ outcomes: ['failure'] })(ev())).toBe(false);
  });
});

/** RFC 4180 reader for the test: quoted fields, doubled quotes, line breaks inside quotes. */
function parse(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

function writeEvents(lines: ReturnType<typeof ev>[]): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ae-filter-'));
  const file = join(dir, 'events.jsonl');
  writeFileSync(file, lines.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return { dir, file };
}

test('a week of admin activity by this user on this resource, in one command', async () => {
  const admin = { value: true, reasons: ['admin_action'] };
  const { file } = writeEvents([
    ev({
      timestamp: '2024-05-06T09:00:00.000Z',
      action: { name: 'grant' },
      category: 'permission_change',
      resource: { name: 'payroll.salaries' },
      privileged: admin,
    }),
    ev({ timestamp: '2024-05-06T09:05:00.000Z', action: { name: 'select' }, resource: { name: 'payroll.salaries' } }), // not admin
    ev({
      timestamp: '2024-05-07T09:00:00.000Z',
      user: { name: 'bob' },
      action: { name: 'grant' },
      resource: { name: 'payroll.salaries' },
      privileged: admin,
    }), // other user
    ev({
      timestamp: '2024-05-08T09:00:00.000Z',
      action: { name: 'alter_table' },
      resource: { name: 'crm.leads' },
      privileged: admin,
    }), // other resource
    ev({
      timestamp: '2024-05-20T09:00:00.000Z',
      action: { name: 'drop_table' },
      resource: { name: 'payroll.bonus' },
      privileged: admin,
    }), // outside the week
    ev({
      timestamp: '2024-05-12T23:59:59.999Z',
      action: { name: 'truncate' },
      resource: { name: 'payroll.bonus' },
      privileged: admin,
    }),
  ]);
  const r = await runCli([
    'filter',
    file,
    '--week',
    '2024-05-06',
    '--privileged',
    '--user',
    'ALICE',
    '--resource',
    'payroll.*',
  ]);
  expect(r.code).toBe(0);
  const out = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(out.map((e) => e.action.name)).toEqual(['grant', 'truncate']);
  expect(r.stderr).toContain('2 events matched');
});

test('--admins marks roster principals privileged before --privileged selects', async () => {
  const { dir, file } = writeEvents([ev({ user: { name: 'carol' } }), ev({ user: { name: 'dave' } })]);
  writeFileSync(join(dir, 'admins.json'), '{"principals":["carol"]}');
  const r = await runCli(['filter', file, '--privileged', '--admins', join(dir, 'admins.json')]);
  const out = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(out).toHaveLength(1);
  expect(out[0].privileged).toEqual({ value: true, reasons: ['roster:listed in ' + join(dir, 'admins.json')] });
});

test('CSV output is formula-safe and the header names every column', async () => {
  const { file } = writeEvents([
    ev({
      user: { name: "=cmd|' /C calc'!A0" },
      resource: { name: '+SUM(A1:A9)' },
      action: { name: '-drop', statement: '@import\n"x"' },
    }),
  ]);
  const r = await runCli(['filter', file, '--output', 'csv']);
  expect(r.code).toBe(0);
  const rows = parse(r.stdout) as string[][];
  expect(rows[0]).toEqual(CSV_COLUMNS.map(([n]) => n));
  const row = Object.fromEntries(rows[0]!.map((k, i) => [k, rows[1]![i]]));
  expect(row.user).toBe("'=cmd|' /C calc'!A0");
  expect(row.resource).toBe("'+SUM(A1:A9)");
  expect(row.action).toBe("'-drop");
  expect(row.statement).toBe('\'@import\n"x"');
  for (const cell of rows[1]!) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
});

test('raw input with --format, category and outcome', async () => {
  const r = await runCli([
    'filter',
    '--format',
    'mariadb-audit',
    'fixtures/mariadb-audit/universal-connectors__mariadb-server_audit.log',
    '--category',
    'authentication',
  ]);
  expect(r.code).toBe(0);
  const out = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(out.length).toBeGreaterThan(0);
  expect(out.every((e) => e.category === 'authentication')).toBe(true);
  const bad = await runCli([
    'filter',
    '--outcome',
    'maybe',
    'fixtures/mariadb-audit/universal-connectors__mariadb-server_audit.log',
  ]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("unknown outcome 'maybe'");
});
