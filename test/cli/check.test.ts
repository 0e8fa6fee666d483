// `check` end to end through the built binary: exit codes 0/1/2, per-row findings with locations,
// JSON and JUnit output, raw and normalized input, NO_COLOR / FORCE_COLOR, --privileged + --admins.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { parseXml } from '../checks/xml.js';
import { ev } from '../checks/make-event.js';

const COMPLETE = 'fixtures/mariadb-audit/mariadb10.11-live__server_audit.log';
const INCOMPLETE = 'fixtures/mariadb-audit/universal-connectors__mariadb-server_audit.log';
const PG = 'fixtures/pgaudit/immudb-log-audit__pgaudit.log';
const tmp = () => mkdtempSync(join(tmpdir(), 'ae-check-'));
const ESC = '\u001b[';

describe('exit codes', () => {
  test('0 on a complete real log', async () => {
    const r = await runCli(['check', '--no-rows', COMPLETE]);
    expect(r.stdout).toContain('RESULT: PASS');
    expect(r.code).toBe(0);
  });

  test('1 on an incomplete real log, every incomplete row reported with its field and location', async () => {
    const r = await runCli(['check', INCOMPLETE]);
    expect(r.code).toBe(1);
    const missing = r.stdout.split('\n').filter((l) => l.startsWith('error field.missing '));
    expect(missing).toHaveLength(3);
    for (const l of missing)
      expect(l).toMatch(
        new RegExp(
          `^error field\\.missing ${INCOMPLETE.replace(/\./g, '\\.')}:\\d+: resource is missing \\(resource\\.name is null\\)$`,
        ),
      );
    expect(r.stdout).toContain('3 of 28 rows are incomplete'); // 36 records, 8 TABLE records folded into their QUERY events
    expect(r.stdout).toContain('RESULT: FAIL');
  });

  test('2 on usage and input errors, with one sentence and no stack', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['check', '--fail-on', 'no.such', COMPLETE], /unknown rule 'no.such'/],
      [['check', '--min-complete', '101', COMPLETE], /--min-complete takes a percentage/],
      [['check', '--week', '--since', '2024-01-01', COMPLETE], /--week cannot be combined/],
      [['check', 'does-not-exist.log'], /no such file/],
      [['check', '--admins', 'nope.txt', COMPLETE], /cannot read the --admins file/],
      [['check', '--require-categories', 'logins', COMPLETE], /unknown category 'logins'/],
      [['check', '--profile', 'gdpr', COMPLETE], /gdpr/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  test('a CI job can gate raw logs by exit code alone (named format, prefix, glob)', async () => {
    const r = await runCli([
      'check',
      '--format',
      'pgaudit',
      '--log-line-prefix',
      '%m [%p] ',
      'fixtures/pgaudit/immudb-log-audit__pgaudit*.log',
      '--no-rows',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('lack user: stderr logs carry the user only through log_line_prefix: add %u');
    const ok = await runCli([
      'check',
      '--format',
      'pgaudit',
      '--log-line-prefix',
      '%m [%p] %q%u@%d/%a ',
      'fixtures/pgaudit/pg15-live__postgresql.log',
      '--no-rows',
    ]);
    expect(ok.code).toBe(0);
  });
});

test('normalized JSON Lines made by the pipeline check the same as the raw log, also from stdin', async () => {
  const n = await runCli(['normalize', INCOMPLETE]);
  expect(n.code).toBe(0);
  const raw = JSON.parse((await runCli(['check', '--json', INCOMPLETE])).stdout);
  const fromStdin = await runCli(['check', '--json', '-'], { input: n.stdout });
  expect(fromStdin.code).toBe(1);
  const j = JSON.parse(fromStdin.stdout);
  expect(j.report.missing).toEqual(raw.report.missing);
  expect(j.report.findingCounts).toEqual(raw.report.findingCounts);
  expect(j.rowFindings.map((f: { message: string }) => f.message)).toEqual(
    raw.rowFindings.map((f: { message: string }) => f.message),
  );
});

test('an invalid normalized line is an input error naming file:line', async () => {
  const dir = tmp();
  const file = join(dir, 'events.jsonl');
  const good = JSON.stringify(ev());
  const bad = JSON.stringify({ ...ev(), user: { name: 'x' } });
  writeFileSync(file, `${good}\n${bad}\n`);
  const r = await runCli(['check', file]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`${file}:2: not a normalized event`);
  writeFileSync(file, `${good}\n{"schema_version":\n`);
  expect((await runCli(['check', file])).stderr).toContain(`${file}:2: not a JSON value`);
});

test('--json: per-row findings and the report; --junit writes parseable JUnit XML', async () => {
  const dir = tmp();
  const junit = join(dir, 'check.xml');
  const r = await runCli(['check', '--json', '--junit', junit, PG]);
  expect(r.code).toBe(1);
  const j = JSON.parse(r.stdout);
  expect(j.rowFindings.filter((f: { rule: string }) => f.rule === 'field.missing')).toHaveLength(1004);
  expect(j.report).toMatchObject({ profile: 'soc2', rows: 1004, completeRows: 0, rejected: 1, pass: false });
  expect(j.inputs[0]).toMatchObject({ format: 'pgaudit', read: 1005, events: 1004, rejects: 1, reconciled: true });
  const xml = parseXml(readFileSync(junit, 'utf8'));
  const fm = xml.children.find((s) => s.attrs.name === 'field.missing')!;
  expect(Number(fm.attrs.tests)).toBe(1005); // 1004 rows + the per-source summary
  expect(Number(fm.attrs.failures)).toBe(1005);
  const rej = xml.children.find((s) => s.attrs.name === 'input.rejected')!;
  expect(rej.children[0]!.children[0]!.attrs.message).toContain(':2: record rejected:');
});

test('colours: none with NO_COLOR or off a TTY; FORCE_COLOR forces them', async () => {
  expect((await runCli(['check', '--no-rows', INCOMPLETE])).stdout).not.toContain(ESC);
  expect(
    (await runCli(['check', '--no-rows', INCOMPLETE], { env: { NO_COLOR: '', FORCE_COLOR: undefined } })).stdout,
  ).not.toContain(ESC);
  expect(
    (await runCli(['check', '--no-rows', INCOMPLETE], { env: { NO_COLOR: '', FORCE_COLOR: '1' } })).stdout,
  ).toContain(ESC);
  expect(
    (await runCli(['check', '--json', INCOMPLETE], { env: { NO_COLOR: '', FORCE_COLOR: '1' } })).stdout,
  ).not.toContain(ESC);
});

test('window: --since/--until rows outside are findings; --week from a date', async () => {
  const r = await runCli(['check', '--json', '--since', '2022-01-21T11:13:00Z', INCOMPLETE]);
  const j = JSON.parse(r.stdout);
  expect(j.report.findingCounts['time.outside-window']).toBeGreaterThan(0);
  expect(j.report.window).toEqual({ since: '2022-01-21T11:13:00.000Z', until: null });
  const w = JSON.parse(
    (await runCli(['check', '--json', '--week', '2022-01-17', '--timezone', 'Asia/Kolkata', INCOMPLETE])).stdout,
  );
  expect(w.report.window).toEqual({ since: '2022-01-16T18:30:00.000Z', until: '2022-01-23T18:30:00.000Z' });
});

test('--privileged with --admins narrows the report to administrator activity', async () => {
  const dir = tmp();
  const admins = join(dir, 'admins.txt');
  writeFileSync(admins, '# our DBAs\nalice,dba\n');
  const file = join(dir, 'e.jsonl');
  writeFileSync(
    file,
    [ev({ user: { name: 'alice' } }), ev({ user: { name: 'carol' }, resource: { name: null } })]
      .map((e) => JSON.stringify(e))
      .join('\n'),
  );
  const all = await runCli(['check', '--no-rows', file]);
  expect(all.code).toBe(1);
  const adm = await runCli(['check', '--json', '--privileged', '--admins', admins, file]);
  expect(adm.code).toBe(0);
  expect(JSON.parse(adm.stdout).report).toMatchObject({ rows: 1, privileged: 1, privilegedOnly: true });
});

test('--shared-identities: default keyword and @file', async () => {
  const dir = tmp();
  const list = join(dir, 'shared.txt');
  writeFileSync(list, 'alice # the old team account\n');
  const file = join(dir, 'e.jsonl');
  writeFileSync(file, `${JSON.stringify(ev())}\n`);
  const r = JSON.parse(
    (
      await runCli([
        'check',
        '--json',
        '--shared-identities',
        `default,@${list}`,
        '--fail-on',
        'default,identity.shared',
        file,
      ])
    ).stdout,
  );
  expect(r.report.findingCounts['identity.shared']).toBe(1);
  expect(r.report.pass).toBe(false);
});
