// The library API. The CLI is a thin layer over these; tests call them directly.
export * from './event/index.js';
export * from './pipeline/types.js';
export {
  normalizeInputs,
  normalizeOne,
  emptySummary,
  formatSummaryLine,
  UsageError,
  OUTSIDE_WINDOW,
} from './pipeline/run.js';
export type { RunOptions, RunSummary, InputSummary } from './pipeline/run.js';
export { expandInputs, openInput, openStream, InputError } from './pipeline/input.js';
export { detectFormat, DetectionError } from './pipeline/detect.js';
export { splitLines } from './pipeline/lines.js';
export { frameJson, parseJsonObject } from './pipeline/json-frames.js';
export { adapters, catalog, findAdapter, formatIds } from './sources/registry.js';
export { redactSecrets, redactSql, REDACTED } from './sql/redact.js';
export { redactJsonRecord, redactJsonValue, redactString } from './redact/json.js';
export {
  RULES as REDACTION_RULES,
  POLICY_VERSION as REDACTION_POLICY_VERSION,
  isSecretName,
  makePolicy as makeRedactionPolicy,
} from './redact/policy.js';
export { eventToJsonLine } from './export/jsonl.js';
export { csvHeader, eventToCsvRow, formulaSafe, CSV_COLUMNS } from './export/csv.js';
