import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
// @ts-expect-error plain ESM script without types
import { generate } from '../../scripts/gen-types.mjs';
import { eventSchema } from '../../src/event/schema.js';
import { buildEvent } from '../../src/event/build.js';
import { validateEvent } from '../../src/event/schema.js';

test('TypeScript types are generated from the schema and have not drifted', async () => {
  expect(readFileSync('src/event/types.generated.ts', 'utf8')).toBe(await generate());
});

test('every property in the schema is described', () => {
  const missing: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.properties)
      for (const [k, v] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
        if (!v.description && !v.$ref) missing.push(`${path}.${k}`);
        walk(v, `${path}.${k}`);
      }
    for (const k of ['$defs', 'items']) if (n[k]) walk(k === '$defs' ? { properties: n[k] } : n[k], `${path}.${k}`);
  };
  walk(eventSchema, '');
  expect(missing).toEqual([]);
});

test('a minimal built event validates, and the id is deterministic', () => {
  const src = {
    kind: 'postgresql' as const,
    format: 'pgaudit',
    location: { file: 'a.log', line: 3 },
    raw_sha256: 'a'.repeat(64),
  };
  const e = buildEvent({ timestamp: '2024-01-01T00:00:00.000Z', category: 'other' }, src);
  expect(validateEvent(e)).toBeNull();
  expect(buildEvent({ timestamp: null, category: 'other' }, src).id).toBe(e.id);
  expect(validateEvent({ ...e, timestamp: '2024-01-01 00:00:00' })).not.toBeNull();
});
