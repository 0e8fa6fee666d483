import type { AuditEvent } from '../event/types.generated.js';

/** One event as a JSON Lines row. Key order is the builder's (schema order), so output is stable. */
export function eventToJsonLine(e: AuditEvent): string {
  return `${JSON.stringify(e)}\n`;
}
