// The event schema is the single source of truth. Events are validated with the schema's compiled
// form, generated from it by ajv at build time (validate-event.generated.ts, scripts/gen-validator.mjs;
// a test fails when it drifts from the schema): loading ajv and compiling the schema cost about
// 150 ms of every run's start-up. The one ajv instance that the other schemas (config, manifest)
// are compiled with is made on first use (getAjv), so a run that needs none of them never loads ajv.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import type { AuditEvent } from './types.generated.js';
import { validate as validateGenerated } from './validate-event.generated.js';

/** Absolute URL of a file below the package root (works from src/ under vitest and from dist/). */
export function packageFile(relative: string): URL {
  return new URL(`../../${relative}`, import.meta.url);
}

export const EVENT_SCHEMA_PATH = packageFile('schemas/event.schema.json');
export const eventSchema: Record<string, unknown> = JSON.parse(readFileSync(EVENT_SCHEMA_PATH, 'utf8'));

let ajvInstance: Ajv2020 | null = null;
/** The one ajv instance of the process (made on first use), with the event schema added. Other schemas (config, manifest) are compiled with it. */
export function getAjv(): Ajv2020 {
  if (ajvInstance) return ajvInstance;
  const require = createRequire(import.meta.url);
  const { Ajv2020: AjvClass } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const addFormats = require('ajv-formats') as (ajv: Ajv2020) => Ajv2020;
  const a = new AjvClass({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(a);
  a.addSchema(eventSchema);
  ajvInstance = a;
  return a;
}

const validateFn = validateGenerated as unknown as ((data: unknown) => data is AuditEvent) & {
  errors?: ErrorObject[] | null;
};

/** Validates one event; returns null when valid, else a short human-readable list of problems. */
export function validateEvent(event: unknown): string[] | null {
  if (validateFn(event)) return null;
  return formatAjvErrors(validateFn.errors ?? []);
}

export function formatAjvErrors(errors: ErrorObject[]): string[] {
  return errors.map(
    (e) =>
      `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`,
  );
}
