// Placeholder values: text that looks present but says nothing. The field profiles (profiles.ts)
// and the rules (rule.ts and rules/) both judge fields by it; it lives here so that neither of
// those two modules has to import the other.

/**
 * Values that look present but say nothing. An auditor treats them as missing: pgaudit writes
 * `<not logged>` / `<none>`, log prefixes print `-` or `[unknown]` for an unset %u, tools write
 * `unknown`.
 */
const PLACEHOLDERS = new Set([
  '',
  '-',
  '--',
  'unknown',
  '<unknown>',
  '[unknown]',
  '(unknown)',
  '<not logged>',
  '<none>',
  '(none)',
  '<null>',
  '(null)',
  'null',
  'n/a',
]);

export function isPlaceholder(v: string | null | undefined): boolean {
  if (v === null || v === undefined) return true;
  return PLACEHOLDERS.has(v.trim().toLowerCase());
}
