// The event schema is the single source of truth; this module loads it once from schemas/ and
// exposes one shared ajv instance that every part of the tool validates with.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { AuditEvent } from './types.generated.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** Absolute URL of a file below the package root (works from src/ under vitest and from dist/). */
export function packageFile(relative: string): URL {
  return new URL(`../../${relative}`, import.meta.url);
}

export const EVENT_SCHEMA_PATH = packageFile('schemas/event.schema.json');
export const eventSchema: Record<string, unknown> = JSON.parse(readFileSync(EVENT_SCHEMA_PATH, 'utf8'));

/** The one ajv instance of the process. Other schemas (config, manifest) are added to it. */
export const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);

const validateFn: ValidateFunction<AuditEvent> = ajv.compile<AuditEvent>(eventSchema);

/** Validates one event; returns null when valid, else a short human-readable list of problems. */
export function validateEvent(event: unknown): string[] | null {
  if (validateFn(event)) return null;
  return formatAjvErrors(validateFn.errors ?? []);
}

export function formatAjvErrors(errors: ErrorObject[]): string[] {
  return errors.map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'allowedValues' in e.params ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : ''}`);
}
