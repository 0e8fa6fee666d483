#!/usr/bin/env node
// Writes the JSON Schema (draft-07) of each OCSF event class that the OCSF export uses, from a
// COMPILED OCSF schema (the output of OCSF's own `ocsf-schema-compiler` run over a release of the
// `ocsf/ocsf-schema` repository). The translation follows the rules of the OCSF server's JSON
// Schema export (GET /schema/classes/<name>, no profile filter): one `$defs` entry per object the
// class reaches, `additionalProperties: false`, `required` from requirement "required", integer_t
// and string_t enums as `enum` (or `const` for one value), `just_one`/`at_least_one` constraints as
// oneOf/anyOf, data types mapped to their JSON base type. See schemas/ocsf/PROVENANCE.md for the
// exact inputs and commands; the output files are committed, so tests never need the inputs.
//
// Usage: node scripts/gen-ocsf-schemas.mjs COMPILED_SCHEMA.json OUT_DIR
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export const OCSF_CLASSES = [
  'authentication',
  'account_change',
  'user_access',
  'entity_management',
  'api_activity',
  'datastore_activity',
];

const BASE_URI = 'https://schema.ocsf.io/schema/classes';

function baseType(types, type) {
  const seen = new Set();
  let t = type;
  while (types[t]?.type && !seen.has(t)) {
    seen.add(t);
    t = types[t].type;
  }
  return t;
}

function jsonType(types, type) {
  // The server tests the type itself and its declared base type (one level), in this order.
  const one = (base) => type === base || types[type]?.type === base;
  if (one('string_t')) return 'string';
  if (one('integer_t') || one('long_t')) return 'integer';
  if (one('float_t')) return 'number';
  if (one('boolean_t')) return 'boolean';
  // Deeper chains (none in 1.8.0) fall back to the final base type.
  const b = baseType(types, type);
  return (
    { string_t: 'string', integer_t: 'integer', long_t: 'integer', float_t: 'number', boolean_t: 'boolean' }[b] ?? type
  );
}

function enumSchema(schema, attr, type, encode) {
  if (attr.enum) {
    const values = Object.keys(attr.enum)
      .map(encode)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (values.length === 1) schema.const = values[0];
    else schema.enum = values;
  }
  schema.type = type;
  return schema;
}

function encodeAttribute(types, attr) {
  const schema = attr.caption === undefined ? {} : { title: attr.caption };
  switch (attr.type) {
    case 'integer_t':
      return enumSchema(schema, attr, 'integer', (k) => Number.parseInt(k, 10));
    case 'string_t':
      return enumSchema(schema, attr, 'string', (k) => k);
    case 'object_t':
      schema.$ref = `#/$defs/${attr.object_type.replaceAll('/', '_')}`;
      return schema;
    case 'json_t':
      return schema;
    default:
      schema.type = jsonType(types, attr.type);
      return schema;
  }
}

function encodeArray(schema) {
  if (schema.type === undefined) {
    const { $ref, ...rest } = schema;
    return { ...rest, type: 'array', items: { $ref } };
  }
  const { enum: values, type, ...rest } = schema;
  return { ...rest, type: 'array', items: values === undefined ? { type } : { type, enum: values } };
}

/** The server's profile filter: an attribute of a profile is kept only when its profile is asked for. */
function filterProfiles(item, profiles) {
  const attributes = Object.fromEntries(
    Object.entries(item.attributes ?? {}).filter(
      ([, a]) => !a.profiles || a.profiles.some((p) => profiles.includes(p)),
    ),
  );
  return { ...item, attributes };
}

function encodeItem(types, item, objects, profiles = []) {
  const properties = {};
  const required = [];
  const justOne = [];
  const atLeastOne = [];
  const justOneList = [].concat(item.constraints?.just_one ?? []);
  const atLeastOneList = [].concat(item.constraints?.at_least_one ?? []);
  for (const name of Object.keys(item.attributes ?? {}).sort()) {
    const attr = item.attributes[name];
    if (justOneList.includes(name)) justOne.push(name);
    else if (atLeastOneList.includes(name)) atLeastOne.push(name);
    else if (attr.requirement === 'required') required.push(name);
    let schema = encodeAttribute(types, attr);
    if (attr.is_array) schema = encodeArray(schema);
    properties[name] = schema;
  }
  const out =
    item.uid !== undefined
      ? {
          $schema: 'http://json-schema.org/draft-07/schema#',
          $id: `${BASE_URI}/${item.name}?profiles=${profiles.join(',')}`,
        }
      : {};
  if (item.caption !== undefined) out.title = item.caption;
  out.type = 'object';
  out.properties = properties;
  out.additionalProperties = Object.keys(properties).length === 0;
  if (required.length) out.required = required.sort();
  if (justOne.length)
    out.oneOf = justOne.map((n) => ({ required: [n], not: { required: justOne.filter((o) => o !== n) } }));
  if (atLeastOne.length) out.anyOf = atLeastOne.map((n) => ({ required: [n] }));
  if (objects) {
    out.$defs = {};
    for (const [name, object] of [...objects].sort(([a], [b]) => (a < b ? -1 : 1)))
      out.$defs[name.replaceAll('/', '_')] = encodeItem(types, object, null);
  }
  return out;
}

/** Every object a class reaches through object_t attributes, transitively. */
function referencedObjects(cls, allObjects) {
  const found = new Map();
  const visit = (attributes) => {
    for (const attr of Object.values(attributes ?? {})) {
      if (attr.type !== 'object_t' || found.has(attr.object_type)) continue;
      const object = allObjects[attr.object_type];
      if (!object) throw new Error(`object ${attr.object_type} is not in the compiled schema`);
      found.set(attr.object_type, object);
      visit(object.attributes);
    }
  };
  visit(cls.attributes);
  return found;
}

/** The class's JSON Schema as the server exports it for `?profiles=<profiles>`. */
export function classJsonSchema(compiled, name, profiles) {
  const cls = compiled.classes[name];
  if (!cls) throw new Error(`class ${name} is not in the compiled schema`);
  const objects = new Map(
    [...referencedObjects(cls, compiled.objects)].map(([k, o]) => [k, filterProfiles(o, profiles)]),
  );
  return encodeItem(compiled.dictionary.types.attributes, filterProfiles(cls, profiles), objects, profiles);
}

// The profile sets the export declares in metadata.profiles: none (database events) or cloud.
export const PROFILE_SETS = { '': [], cloud: ['cloud'] };

if (import.meta.url === `file://${process.argv[1]}`) {
  const [compiledPath, outDir] = process.argv.slice(2);
  if (!compiledPath || !outDir) {
    console.error('usage: gen-ocsf-schemas.mjs COMPILED_SCHEMA.json OUT_DIR');
    process.exit(2);
  }
  const compiled = JSON.parse(await readFile(compiledPath, 'utf8'));
  await mkdir(outDir, { recursive: true });
  for (const name of OCSF_CLASSES) {
    for (const [suffix, profiles] of Object.entries(PROFILE_SETS)) {
      const schema = classJsonSchema(compiled, name, profiles);
      const file = `${name}${suffix ? `.${suffix}` : ''}.schema.json`;
      await writeFile(join(outDir, file), `${JSON.stringify(schema)}\n`);
      console.log(
        `${file} (${compiled.classes[name].uid}): ${Object.keys(schema.$defs).length} objects, required ${schema.required.join(' ')}`,
      );
    }
  }
  await writeFile(
    join(outDir, 'version.json'),
    `${JSON.stringify({ ocsf_version: compiled.version, compile_version: compiled.compile_version ?? null, classes: Object.fromEntries(OCSF_CLASSES.map((n) => [n, compiled.classes[n].uid])), profile_sets: PROFILE_SETS }, null, 2)}\n`,
  );
}
