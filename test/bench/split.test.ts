// One large JSON Lines file split into blocks across workers (src/pipeline/split.ts) must give what
// one thread gives, byte for byte: events (their ids hash the record's line, byte offset and index),
// rejects with their locations, notes, counts and the summary. Runs the built binary (build first:
// npx tsc -p tsconfig.json) on real CloudTrail fixtures concatenated into a big file, with small
// blocks (AUDIT_EVIDENCE_BLOCK_BYTES) so that a few hundred KB make many blocks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const FIX = 'fixtures/cloudtrail';
let dir: string;
/** Real records, one JSON text per line (JSON Lines fixtures as they are; arrays' elements as compact JSON). */
let lines: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ae-split-test-'));
  lines = [];
  for (const f of readdirSync(FIX).sort()) {
    if (f.includes('.expected') || !/\.jsonl?$/.test(f) || f.startsWith('truncated')) continue;
    const text = readFileSync(join(FIX, f), 'utf8');
    if (f.endsWith('.jsonl')) {
      lines.push(...text.split('\n').filter((l) => l.trim() !== ''));
      continue;
    }
    if (!f.endsWith('.json')) continue;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      continue;
    }
    const recs = Array.isArray(v) ? v : ((v as { Records?: unknown[] }).Records ?? [v]);
    for (const r of recs)
      if (r && typeof r === 'object' && (r as { eventVersion?: unknown }).eventVersion) lines.push(JSON.stringify(r));
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A file of `copies` passes over the real records (so each record's id differs by its location). */
function bigFile(name: string, copies: number, damage: (i: number) => string | null = () => null): string {
  const out: string[] = [];
  let i = 0;
  for (let c = 0; c < copies; c++)
    for (const l of lines) {
      const d = damage(i++);
      if (d !== null) out.push(d);
      out.push(l);
    }
  const p = join(dir, name);
  writeFileSync(p, `${out.join('\n')}\n`);
  return p;
}

async function normalize(file: string, jobs: string, env: Record<string, string> = {}, extra: string[] = []) {
  const tag = `${jobs}-${Object.values(env).join('-')}-${extra.join('')}`;
  const out = join(dir, `out-${tag}`);
  const rej = join(dir, `rej-${tag}`);
  const r = await runCli(['normalize', file, '--out', out, '--rejects', rej, '--jobs', jobs, ...extra], { env });
  return { code: r.code, stderr: r.stderr.split(rej).join('REJECTS'), out: readFileSync(out), rej: readFileSync(rej) };
}

const SPLIT = (block: number) => ({ AUDIT_EVIDENCE_SPLIT_MIN_BYTES: '1', AUDIT_EVIDENCE_BLOCK_BYTES: String(block) });

function expectSame(a: Awaited<ReturnType<typeof normalize>>, b: Awaited<ReturnType<typeof normalize>>): void {
  expect(b.code).toBe(a.code);
  expect(b.out.equals(a.out)).toBe(true);
  expect(b.rej.equals(a.rej)).toBe(true);
  expect(b.stderr).toBe(a.stderr);
}

describe('one large JSON Lines file on every core (blocks)', () => {
  it('has real records to work with', () => {
    expect(lines.length).toBeGreaterThan(60);
  });

  it('writes the same bytes, rejects and summary with the file split into blocks as with one thread', async () => {
    const f = bigFile('clean.jsonl', 12);
    const one = await normalize(f, '1');
    expect(one.code).toBe(0);
    expect(one.stderr).toMatch(/counts reconcile/);
    const events = one.out.toString().split('\n').length - 1;
    expect(events).toBeGreaterThan(700);
    // Many blocks of ~16 KB, with the default (auto) and with 2 workers.
    expectSame(one, await normalize(f, 'auto', SPLIT(16 * 1024)));
    expectSame(one, await normalize(f, '2', SPLIT(5000)));
    // Locations of a late record are those of the whole file.
    const last = JSON.parse(one.out.toString().trimEnd().split('\n').pop()!);
    expect(last.source.location.line).toBe(lines.length * 12);
    expect(last.source.location.index).toBe(lines.length * 12 - 1);
  });

  it('writes the same CSV split as with one thread', async () => {
    const f = bigFile('csv.jsonl', 6);
    expectSame(
      await normalize(f, '1', {}, ['--output-format', 'csv']),
      await normalize(f, '2', SPLIT(8000), ['--output-format', 'csv']),
    );
  });

  it('gives the sequential result on damaged input (blank lines, a line that is not JSON, a truncated record, two records on a line, an array)', async () => {
    const kinds = [
      '',
      'not json at all',
      '{"eventVersion":"1.08","eventTime":"2024-01-0',
      `${lines[3]} ${lines[4]}`,
      `[${lines[5]}]`,
      '   {"indented": true}',
    ];
    const f = bigFile('damaged.jsonl', 8, (i) => (i % 97 === 13 ? kinds[((i / 97) | 0) % kinds.length]! : null));
    const one = await normalize(f, '1');
    expect(one.rej.length).toBeGreaterThan(0);
    expectSame(one, await normalize(f, '2', SPLIT(6000)));
  });

  it('says "the format is probably not" for the whole file as one thread does', async () => {
    const p = join(dir, 'not-cloudtrail.jsonl');
    writeFileSync(
      p,
      `${Array.from({ length: 400 }, (_, i) => JSON.stringify({ hello: i, world: 'x'.repeat(i % 50) })).join('\n')}\n`,
    );
    const one = await normalize(p, '1', {}, ['--format', 'cloudtrail']);
    expect(one.stderr).toMatch(/records were rejected: the format is probably not cloudtrail/);
    expectSame(one, await normalize(p, '2', SPLIT(2000), ['--format', 'cloudtrail']));
  });

  it('property: any block size, any damage placement, gives the sequential bytes', async () => {
    const base = bigFile('prop-base.jsonl', 3);
    const baseLines = readFileSync(base, 'utf8').split('\n');
    const junk = ['', 'garbage', '{"eventVersion":"1.0', '}', `${lines[0]}${lines[1]}`, '{"a":1}'];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 600, max: 40_000 }),
        fc.array(fc.tuple(fc.nat(baseLines.length - 1), fc.nat(junk.length - 1)), { maxLength: 4 }),
        fc.boolean(),
        async (block, damage, crlf) => {
          const ls = [...baseLines];
          for (const [at, k] of damage) ls.splice(at, 0, junk[k]!);
          const p = join(dir, 'prop.jsonl');
          writeFileSync(p, ls.join(crlf ? '\r\n' : '\n'));
          const one = await normalize(p, '1');
          const split = await normalize(p, '2', SPLIT(block));
          expectSame(one, split);
        },
      ),
      { numRuns: 8 },
    );
  }, 240_000);

  it('keeps a small file on this thread (no worker start-up) with --jobs auto', async () => {
    const f = bigFile('small.jsonl', 1);
    const r = await runCli(['normalize', f, '--out', '/dev/null'], { env: { NODE_DEBUG: 'worker' } });
    const forced = await runCli(['normalize', f, '--out', '/dev/null'], {
      env: { NODE_DEBUG: 'worker', ...SPLIT(4000) },
    });
    expect(forced.stderr).toMatch(/WORKER \d+: .*create new worker/); // the check can see a worker
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/WORKER \d+: .*create new worker/);
  });
});
