// Advice fits the command, and the options mean the same everywhere (end to end, built binary):
// -o/--out is the output file in every command and the format follows its extension (--out
// alice.csv wrote JSON Lines), a contradicting --output-format is refused, the old --output still
// works; check and filter read an evidence bundle's events.jsonl (they said "cannot tell the
// format"); collect's hints name the configuration key, not normalize's --timezone.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { collect, keygen, ROOT, tempDir, writeConfig } from '../bundle/helpers.js';

const PG = join(ROOT, 'fixtures/pgaudit/pg15-live__postgresql.csv');
const MARIA = join(ROOT, 'fixtures/mariadb-audit/mariadb10.11-live__server_audit.log');

describe('output options and bundle inputs', () => {
  let dir: string;
  let zip: string;
  beforeAll(async () => {
    dir = tempDir('ae-options-');
    const k = await keygen(dir);
    zip = join(dir, 'b.zip');
    const c = await collect([
      '--config',
      writeConfig(dir),
      '--since',
      '2026-11-22',
      '--until',
      '2026-11-29',
      '--key',
      k.key,
      '--out',
      zip,
    ]);
    expect(c.code, c.stderr).toBe(0);
  });

  it('normalize -o x.csv writes CSV (the extension chooses the format); filter --out too', async () => {
    const out = join(dir, 'events.csv');
    const r = await runCli(['normalize', '--format', 'pgaudit', '-o', out, PG]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toMatch(/^timestamp,/);
    const f = join(dir, 'alice.csv');
    const r2 = await runCli(['filter', '--format', 'pgaudit', PG, '--category', 'permission_change', '--out', f]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(readFileSync(f, 'utf8')).not.toMatch(/^\{/);
  });

  it('a format that contradicts the file name is refused; the old --output still works', async () => {
    const r = await runCli([
      'normalize',
      '--format',
      'pgaudit',
      '--output-format',
      'jsonl',
      '--out',
      join(dir, 'x.csv'),
      PG,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: --out .*x\.csv names a csv file but --output-format is jsonl/);
    const old = await runCli(['normalize', '--format', 'pgaudit', '--output', 'csv', PG]);
    expect(old.code).toBe(0);
    expect(old.stdout.split('\n')[0]).toMatch(/^timestamp,/);
    const help = await runCli(['normalize', '--help']);
    expect(help.stdout).toMatch(/-o, --out <file>/);
    expect(help.stdout).toMatch(/--output-format <kind>/);
  });

  it('check and filter read a bundle\'s events.jsonl (they said "cannot tell the format")', async () => {
    const c = await runCli(['check', zip, '--no-rows']);
    expect(c.stderr).not.toMatch(/cannot tell the format/);
    expect(c.stderr).toMatch(
      /b\.zip:events\.jsonl: read as evidence bundle events \(not verified here: audit-evidence verify checks the bundle\)/,
    );
    expect(c.stdout).toMatch(/rows checked: \d+/);
    expect(c.code).toBe(0);
    const f = await runCli(['filter', zip, '--category', 'permission_change']);
    expect(f.code, f.stderr).toBe(0);
    const lines = f.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((e) => e.category === 'permission_change')).toBe(true);
  });

  it("collect's hints name the configuration key of the source, not normalize's --timezone", async () => {
    const k = await keygen(dir, 'k2');
    writeFileSync(
      join(dir, 'm.yaml'),
      `sources:\n  - name: maria\n    type: file\n    format: mariadb-audit\n    paths: [${MARIA}]\n`,
    );
    const r = await collect([
      '--config',
      join(dir, 'm.yaml'),
      '--since',
      '2026-11-22',
      '--until',
      '2026-11-29',
      '--key',
      k.key,
      '--out',
      join(dir, 'm.zip'),
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/give the server's zone with timezone for source maria in the configuration file/);
    expect(r.stderr).not.toMatch(/--timezone/);
  });
});
