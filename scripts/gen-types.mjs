#!/usr/bin/env node
// Generates src/event/types.generated.ts from schemas/event.schema.json, so the schema stays the
// single source of truth. test/event/schema-types.test.ts fails when the committed file drifts.
// Usage: node scripts/gen-types.mjs [--check]
import { readFile, writeFile } from 'node:fs/promises';
import { compile } from 'json-schema-to-typescript';

const root = new URL('..', import.meta.url);
export async function generate() {
  const schema = JSON.parse(await readFile(new URL('schemas/event.schema.json', root), 'utf8'));
  return compile(schema, 'AuditEvent', {
    bannerComment:
      '/* Generated from schemas/event.schema.json by scripts/gen-types.mjs. Do not edit by hand: edit the schema and run `npm run gen:types`. */',
    additionalProperties: false,
    unreachableDefinitions: false,
    style: { singleQuote: true },
    format: false,
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ts = await generate();
  const out = new URL('src/event/types.generated.ts', root);
  if (process.argv.includes('--check')) {
    const current = await readFile(out, 'utf8').catch(() => '');
    if (current !== ts) {
      console.error('src/event/types.generated.ts is out of date: run npm run gen:types');
      process.exit(1);
    }
  } else {
    await writeFile(out, ts);
  }
}
