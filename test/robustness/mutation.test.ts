// The mutation suite (issue 10): every real fixture of every format, with one defect at a time.
// `npm test` runs a fixed seed and a bounded number of mutants per fixture; a larger run with a
// random seed: AE_MUTATION_RUNS=200 [AE_MUTATION_SEED=n] npx vitest run test/robustness/mutation.test.ts
// AE_MUTATION_REPORT=1 prints, per format, mutants run, records lost and what the damaged records became.
import { describe, expect, test, afterAll } from 'vitest';
import { readdirSync } from 'node:fs';
import { fixtureInputs, fixtureOptions } from '../helpers/golden.js';
import { KINDS, check, loadOriginal, mutate, prng } from '../helpers/mutation.js';

const FORMATS = readdirSync('fixtures', { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'demo')
  .map((d) => d.name)
  .sort();
const RUNS = Number(process.env.AE_MUTATION_RUNS ?? 0) || 0;
const SEED = Number(process.env.AE_MUTATION_SEED ?? (RUNS ? Date.now() % 1e9 : 20261207));
/** Mutants per fixture: one of each kind, then random kinds (bounded so `npm test` stays short). */
const PER_FIXTURE = RUNS || KINDS.length + 3;
const BIG = 60_000;

interface Tally {
  fixtures: number;
  mutants: number;
  checked: number;
  lost: number;
  touched: number;
  touchedSurvived: number;
  rejects: number;
  skips: number;
  changedEvents: number;
  byKind: Record<string, number>;
}
const tallies: Record<string, Tally> = {};

describe(`mutation suite (seed ${SEED}, ${PER_FIXTURE} mutants per fixture)`, () => {
  for (const format of FORMATS) {
    test(`${format}: no untouched record is lost, counts reconcile, nothing throws`, async () => {
      const t: Tally = (tallies[format] = {
        fixtures: 0,
        mutants: 0,
        checked: 0,
        lost: 0,
        touched: 0,
        touchedSurvived: 0,
        rejects: 0,
        skips: 0,
        changedEvents: 0,
        byKind: {},
      });
      const failures: string[] = [];
      for (const file of fixtureInputs(format)) {
        const { format: f, options } = fixtureOptions(file);
        const orig = await loadOriginal(file, options, f);
        if (orig.events.length === 0) continue; // nothing to lose (digest files)
        t.fixtures++;
        const rnd = prng(SEED ^ hash(file));
        const n = orig.bytes.length > BIG && !RUNS ? Math.ceil(PER_FIXTURE / 3) : PER_FIXTURE;
        for (let i = 0; i < n; i++) {
          const kind = i < KINDS.length && n >= KINDS.length ? KINDS[i]! : KINDS[Math.floor(rnd() * KINDS.length)]!;
          const m = mutate(orig.bytes, kind, rnd);
          const chunk = [7, 64, 4096, 65536][Math.floor(rnd() * 4)]!;
          const v = await check(orig, m, chunk);
          t.mutants++;
          t.checked += v.checked;
          t.lost += v.lost;
          t.touched += v.touched;
          t.touchedSurvived += v.touchedSurvived;
          t.rejects += v.rejects;
          t.skips += v.skips;
          t.changedEvents += v.changedEvents;
          t.byKind[m.kind] = (t.byKind[m.kind] ?? 0) + 1;
          if (!v.ok && failures.length < 10)
            failures.push(`${file} [${m.what}, chunk ${chunk}]: ${v.problems.join('; ')}`);
        }
      }
      expect(failures).toEqual([]);
      expect(t.lost).toBe(0);
    }, 600_000);
  }
  afterAll(() => {
    if (!process.env.AE_MUTATION_REPORT) return;
    const rows = Object.entries(tallies).map(
      ([f, t]) =>
        `${f}\tfixtures ${t.fixtures}\tmutants ${t.mutants}\tuntouched records checked ${t.checked}\tlost ${t.lost}\ttouched records ${t.touched} (still the same event: ${t.touchedSurvived})\tmutant rejects ${t.rejects}\tskips ${t.skips}\tchanged-but-valid events ${t.changedEvents}`,
    );
    process.stdout.write(`\nmutation report (seed ${SEED})\n${rows.join('\n')}\n`);
  });
});

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
