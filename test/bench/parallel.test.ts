// `normalize --jobs N` must give the same bytes as the sequential run: events, rejects, the summary
// and the errors, in input order. Runs the built binary (build first: npx tsc -p tsconfig.json) on
// files made by the benchmark's seeded generators, in several formats, in one directory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
// @ts-expect-error plain ESM script without types
import { writeFile, writeCloudTrailGzip, PGAUDIT_PREFIX } from '../../scripts/bench/gen.mjs';

let dir: string;
let inputs: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ae-parallel-test-'));
  inputs = join(dir, 'in');
  mkdirSync(inputs);
  await writeCloudTrailGzip(inputs, 900, 300, 5); // three gzip {"Records":[...]} files
  await writeFile(join(inputs, 'm-cloudtrail.jsonl'), 'cloudtrail-jsonl', 400, 6);
  // A line that is not JSON, so rejects are written and shown too.
  appendFileSync(join(inputs, 'm-cloudtrail.jsonl'), '{"eventVersion": "1.09", "truncated\n');
  // Formats whose adapters may still be in progress: kept only when this build reads them.
  const maybe: Array<[string, string]> = [
    ['n-server_audit.log', 'mariadb'],
    ['o-postgresql.csv', 'pgaudit-csv'],
    ['p-postgresql.log', 'pgaudit-stderr'],
  ];
  for (const [name, format] of maybe) {
    const p = join(inputs, name);
    await writeFile(p, format, 500, 7);
    const r = await runCli([
      'normalize',
      p,
      '--log-line-prefix',
      PGAUDIT_PREFIX,
      '--timezone',
      'UTC',
      '--out',
      '/dev/null',
    ]);
    if (r.code !== 0) rmSync(p);
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function run(jobs: string, extra: string[] = []) {
  const out = join(dir, `out-${jobs}.${extra.includes('csv') ? 'csv' : 'jsonl'}`);
  const rej = join(dir, `rej-${jobs}.jsonl`);
  const r = await runCli([
    'normalize',
    inputs,
    '--log-line-prefix',
    PGAUDIT_PREFIX,
    '--timezone',
    'UTC',
    '--out',
    out,
    '--rejects',
    rej,
    '--jobs',
    jobs,
    ...extra,
  ]);
  return { ...r, out: readFileSync(out), rej: readFileSync(rej) };
}

describe('normalize --jobs', () => {
  it('writes the same events, rejects and summary with 2 workers as with 1', async () => {
    const one = await run('1');
    expect(one.code).toBe(0);
    expect(one.out.toString().split('\n').length).toBeGreaterThan(1300);
    expect(one.rej.length).toBeGreaterThan(0);
    expect(one.stderr).toMatch(/counts reconcile/);
    const two = await run('2');
    expect(two.code).toBe(0);
    expect(two.out.equals(one.out)).toBe(true);
    expect(two.rej.equals(one.rej)).toBe(true);
    expect(two.stderr).toBe(one.stderr);
    const auto = await run('auto');
    expect(auto.out.equals(one.out)).toBe(true);
  });

  it('writes the same CSV with 2 workers as with 1', async () => {
    const one = await run('1', ['--output', 'csv']);
    const two = await run('2', ['--output', 'csv']);
    expect(one.code).toBe(0);
    expect(two.out.equals(one.out)).toBe(true);
    expect(two.stderr).toBe(one.stderr);
  });

  it('names the same damaged input with the same error as the sequential run, and reads the others', async () => {
    const bad = join(inputs, 'c-corrupt.json.gz');
    writeFileSync(bad, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    try {
      const one = await run('1');
      const two = await run('2');
      // Issue 10: a damaged input is isolated: named as stopped early (exit 1), the others read.
      expect(one.code).toBe(1);
      expect(two.code).toBe(1);
      expect(two.out.equals(one.out)).toBe(true);
      const errorLine = (s: string) => s.split('\n').find((l) => l.includes('error:'));
      expect(errorLine(one.stderr)).toMatch(/c-corrupt\.json\.gz/);
      expect(errorLine(two.stderr)).toBe(errorLine(one.stderr));
    } finally {
      rmSync(bad);
    }
  });

  it('refuses a --jobs value that is not a number or auto', async () => {
    const r = await runCli(['normalize', inputs, '--jobs', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--jobs must be a whole number/);
  });
});
