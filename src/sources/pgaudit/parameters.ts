// pgaudit PARAMETER values in the kept raw text. The event's details.parameter is redacted by
// redactParameters (src/redact/sql.ts); the raw record holds the same values in the log's own
// encoding (pgaudit's CSV field, inside a csvlog field or a jsonlog string), so the last occurrence
// of that encoding in the record (PARAMETER follows STATEMENT) is replaced too.
import type { RawRecord } from '../../pipeline/types.js';
import { REDACTED } from '../../redact/policy.js';
import { redactParameters } from '../../redact/sql.js';
import { encodeAuditField, type AuditRecord } from './audit-payload.js';

export function redactParameterText(raw: RawRecord, a: AuditRecord): RawRecord {
  const p = a.parameter;
  if (p === null) return raw;
  const kept = redactParameters(a.statement, p);
  if (kept === p) return raw;
  const enc = encodeAuditField(p);
  for (const form of [enc, enc.replace(/"/g, '""'), JSON.stringify(enc).slice(1, -1)]) {
    const at = raw.text.lastIndexOf(form);
    if (at < 0) continue;
    // In place: a lane (src/pipeline/lanes.ts) finds its outer record by this object's identity.
    raw.text = raw.text.slice(0, at) + REDACTED + raw.text.slice(at + form.length);
    raw.redactions = (raw.redactions ?? 0) + 1;
    return raw;
  }
  return raw;
}
