// keygen from a user's point of view: a fresh folder is created private; errors are one sentence.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

test('keygen creates a missing key folder with mode 0700 and the private key with 0600', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-keygen-'));
  const r = await runCli(['keygen', '--out', join(dir, 'keys', 'evidence')]);
  expect(r.code).toBe(0);
  expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
  expect(statSync(join(dir, 'keys', 'evidence.key')).mode & 0o777).toBe(0o600);
  expect(statSync(join(dir, 'keys', 'evidence.pub.pem')).isFile()).toBe(true);
});

test('keygen where a file stands in for the folder: exit 2, one sentence', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-keygen-'));
  writeFileSync(join(dir, 'afile'), '');
  const r = await runCli(['keygen', '--out', join(dir, 'afile', 'k')]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(
    /^audit-evidence: error: cannot create the folder .*afile: a file, not a folder, has that name\n$/,
  );
});
