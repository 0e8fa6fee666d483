import type { Outcome } from '../pipeline/types.js';

/** A rejected record as a JSON Lines row: where it was, why, and its (redacted) raw text. */
export function rejectToJsonLine(o: Extract<Outcome, { kind: 'reject' }>): string {
  // raw_redacted: secrets were replaced in `raw`; raw_sha256 is the hash of the original bytes.
  return `${JSON.stringify(o.raw.redactions ? { location: o.raw.location, reason: o.reason, raw_sha256: o.raw.sha256, raw: o.raw.text, raw_redacted: o.raw.redactions } : { location: o.raw.location, reason: o.reason, raw_sha256: o.raw.sha256, raw: o.raw.text })}\n`;
}
