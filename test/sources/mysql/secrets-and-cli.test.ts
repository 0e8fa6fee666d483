// Secrets never reach output (events, rejects, notes), and the binary reads the MySQL formats as
// a user runs it: detection per file, counts that reconcile, rejects with their line.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { normalizeFiles } from '../../helpers/golden.js';
import { runCli } from '../../helpers/cli.js';

const SECRETS = /Hunter\d-secret|Tr0ub4dor-xml|S3cr3t-json|Percona-(old|csv)-pw/;
const DIRS = ['fixtures/mariadb-audit', 'fixtures/mysql-enterprise-audit', 'fixtures/percona-audit'];
const inputs = DIRS.flatMap((d) =>
  readdirSync(d)
    .filter((f) => !/\.(md|json)$|\.expected|\.options/.test(f) || /^audit(-more-classes)?\.json$/.test(f))
    .map((f) => join(d, f)),
);

test('no password from any MySQL fixture appears in events, rejects or notes', async () => {
  for (const file of inputs) {
    const n = await normalizeFiles([file]);
    const out = JSON.stringify([n.events, n.rejects, n.skips, n.summary]);
    expect(out, file).not.toMatch(SECRETS);
    expect(n.summary.reconciled, file).toBe(true);
  }
});

test('the CLI detects each format, reports rejects with their line, and leaks no secret', async () => {
  const r = await runCli([
    'normalize',
    'fixtures/mariadb-audit/secrets.log',
    'fixtures/mariadb-audit/truncated-last-line.log',
    'fixtures/mysql-enterprise-audit/audit-new-style.xml',
    'fixtures/percona-audit/audit.csv',
  ]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('secrets.log: read as mariadb-audit (detected)');
  expect(r.stderr).toContain('audit-new-style.xml: read as mysql-enterprise-audit (detected)');
  expect(r.stderr).toContain('audit.csv: read as percona-audit (detected)');
  expect(r.stderr).toMatch(/truncated-last-line\.log:3: the quoted object/);
  expect(r.stderr).toMatch(/counts reconcile/);
  expect(r.stdout + r.stderr).not.toMatch(SECRETS);
  const events = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(events.length).toBe(6 + 2 + 8 + 7);
});

test('the CLI applies --timezone to server_audit local times', async () => {
  const r = await runCli([
    'normalize',
    '--timezone',
    'America/New_York',
    'fixtures/mariadb-audit/universal-connectors__mariadb-server_audit.log',
  ]);
  expect(r.code).toBe(0);
  const first = JSON.parse(r.stdout.split('\n')[0]!);
  expect(first.timestamp).toBe('2022-01-21T16:12:26.000Z'); // 11:12:26 EST
  expect(first.timestamp_zone_assumed).toBe('America/New_York');
  expect(r.stderr).not.toContain('assumed UTC');
});
