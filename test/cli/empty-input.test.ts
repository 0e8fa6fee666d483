// An empty input (an empty rotated log, empty stdin) is zero records, not an error: a directory
// with one empty file must still normalize, and the gate must still fail on "nothing read".
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

test('a directory holding an empty log and a real one normalizes both, and says which was empty', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-empty-'));
  writeFileSync(join(dir, 'postgresql-1.log'), '');
  copyFileSync('fixtures/pgaudit/pg15-live__postgresql.log', join(dir, 'postgresql-2.log'));
  const r = await runCli(['normalize', dir]);
  expect(r.code).toBe(0);
  expect(r.stdout.trim().split('\n')).toHaveLength(42);
  expect(r.stderr).toContain('postgresql-1.log: the input is empty: no records');
  expect(r.stderr).toMatch(/read 96 records from 2 inputs: 42 events, 0 rejected, 54 skipped .*; counts reconcile/);
});

test('empty standard input: exit 0, zero records; check on it fails the gate (nothing shows logging works)', async () => {
  const n = await runCli(['normalize', '-'], { input: '' });
  expect(n.code).toBe(0);
  expect(n.stderr).toContain('read 0 records from 1 input: 0 events, 0 rejected, 0 skipped; counts reconcile');
  const c = await runCli(['check', '-'], { input: '' });
  expect(c.code).toBe(1);
  expect(c.stdout + c.stderr).toContain('no events were read');
});
