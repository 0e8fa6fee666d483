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
  // The schema's two patterns and its one format are checked by src/event/formats.ts: the same
  // acceptance (test/core/formats.test.ts) at less cost per event than ajv's RegExps with flag u
  // and ajv-formats' date-time. Any other pattern or format stays ajv's.
  const own = [
    ['new RegExp("^[0-9a-f]{64}$", "u")', 'eventFormats.hex64Pattern'],
    [
      'new RegExp("^\\\\d{4}-\\\\d{2}-\\\\d{2}T\\\\d{2}:\\\\d{2}:\\\\d{2}\\\\.\\\\d{3}Z$", "u")',
      'eventFormats.millisZPattern',
    ],
    ['require("ajv-formats/dist/formats").fullFormats["date-time"]', 'eventFormats.dateTimeFormat'],
  ];
  for (const [from, to] of own) {
    if (!code.includes(from)) throw new Error(`standalone code has no ${from}: update scripts/gen-validator.mjs`);
    code = code.split(from).join(to);
  }
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
  const head = ["import * as eventFormats from './formats.js';", ...[...used].map((m) => imports[m])].join('\n');
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
