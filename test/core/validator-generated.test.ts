// Events are validated with ajv's standalone code generated from schemas/event.schema.json at
// build time (start-up: no ajv load, no schema compile). The schema stays the single source of
// truth: the committed code must be exactly what the schema generates, and it must judge events as
// ajv compiling the schema at run time does (valid golden events, and mutated ones).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import fc from 'fast-check';
// @ts-expect-error plain ESM script without types
import { generate } from '../../scripts/gen-validator.mjs';
import { eventSchema, getAjv, validateEvent, formatAjvErrors } from '../../src/event/schema.js';

test('the event validator is generated from the schema and has not drifted (npm run gen:types)', async () => {
  expect(readFileSync('src/event/validate-event.generated.ts', 'utf8')).toBe(await generate());
});

test('the generated validator judges events as ajv compiling the schema does', () => {
  const compiled = getAjv().getSchema(eventSchema.$id as string)!;
  const events: unknown[] = [];
  for (const dir of ['fixtures/cloudtrail', 'fixtures/pgaudit', 'fixtures/gcp-audit']) {
    for (const f of readdirSync(dir)
      .filter((x) => x.endsWith('.expected.jsonl'))
      .slice(0, 6)) {
      for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) if (l) events.push(JSON.parse(l));
    }
  }
  expect(events.length).toBeGreaterThan(20);
  const same = (e: unknown) => {
    const ok = compiled(e);
    const mine = validateEvent(e);
    expect(mine === null).toBe(ok);
    if (!ok) expect(mine).toEqual(formatAjvErrors(compiled.errors ?? []));
  };
  for (const e of events) same(e);
  // Mutations: a field set to a value of another type, removed, or added.
  const values = [
    null,
    1,
    1.5,
    -1,
    '',
    'x',
    '2024-01-01T00:00:00.000Z',
    '2024-13-01T00:00:00.000Z',
    true,
    [],
    {},
    ['a'],
    'a'.repeat(64),
  ];
  fc.assert(
    fc.property(
      fc.nat(events.length - 1),
      fc.nat(200),
      fc.nat(values.length - 1),
      fc.integer({ min: 0, max: 2 }),
      (ei, pi, vi, op) => {
        const e = structuredClone(events[ei]) as Record<string, unknown>;
        const paths: Array<[Record<string, unknown>, string]> = [];
        const walk = (o: Record<string, unknown>) => {
          for (const k of Object.keys(o)) {
            paths.push([o, k]);
            const v = o[k];
            if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>);
          }
        };
        walk(e);
        const [o, k] = paths[pi % paths.length]!;
        if (op === 0) o[k] = values[vi];
        else if (op === 1) delete o[k];
        else o[`${k}_extra`] = values[vi];
        same(e);
      },
    ),
    { numRuns: 300 },
  );
});
