#!/usr/bin/env node
// Generates src/event/validate-event.generated.ts: ajv's standalone code for
// schemas/event.schema.json (the schema stays the single source of truth; this is its compiled
// form). Loading it costs a few milliseconds where loading ajv and compiling the schema cost about
// 150 ms of every run's start-up. test/event/validator-generated.test.ts fails when the committed
// file drifts from the schema. Usage: node scripts/gen-validator.mjs [--check]
import { readFile, writeFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import standaloneModule from 'ajv/dist/standalone/index.js';

const addFormats = addFormatsModule.default ?? addFormatsModule;
const standaloneCode = standaloneModule.default ?? standaloneModule;
const root = new URL('..', import.meta.url);
const OUT = 'src/event/validate-event.generated.ts';

export async function generate() {
  const schema = JSON.parse(await readFile(new URL('schemas/event.schema.json', root), 'utf8'));
  // The same options as src/event/schema.ts's ajv instance, plus code generation for a module.
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, code: { source: true, esm: true } });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  let code = standaloneCode(ajv, validate);
  // ajv's runtime helpers and ajv-formats' format functions are imported from the packages, as ESM.
  const imports = { 'ajv-formats/dist/formats': "import * as ajvFormats from 'ajv-formats/dist/formats.js';" };
  const used = new Set();
  code = code
    .replace(/require\("([^"]+)"\)/g, (_, m) => {
      if (!(m in imports))
        throw new Error(`standalone code requires ${m}: add it to the import map in scripts/gen-validator.mjs`);
      used.add(m);
      return 'ajvFormats';
    })
    .replace(/^"use strict";/, '');
  const head = [...used].map((m) => imports[m]).join('\n');
  return `// @ts-nocheck\n/* Generated from schemas/event.schema.json by scripts/gen-validator.mjs (ajv standalone). Do not edit by hand: edit the schema and run \`npm run gen:types\`. */\n${head}\n${code}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ts = await generate();
  const out = new URL(OUT, root);
  if (process.argv.includes('--check')) {
    const current = await readFile(out, 'utf8').catch(() => '');
    if (current !== ts) {
      console.error(`${OUT} is out of date: run npm run gen:types`);
      process.exit(1);
    }
  } else {
    await writeFile(out, ts);
  }
}
