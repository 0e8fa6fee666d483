// retention.short: a source that keeps its records for less than the required time (default 365
// days, config retention.minimum_days), or whose retention cannot be told. An auditor's checklist
// asks for "retention at least 12 months": a source that overwrites its log after a week, or whose
// retention nobody can state, does not meet it. collect reads each source's retention (see
// src/retention/) and gives it to the checker; unknown is reported, never taken as enough.
import type { Rule } from '../rule.js';
import { sourceFinding } from '../rule.js';
import { DEFAULT_RETENTION_MIN_DAYS, formatDays } from '../../retention/types.js';
import type { Finding } from '../types.js';

export const retentionShort: Rule = {
  id: 'retention.short',
  severity: 'warning',
  title: 'Retention shorter than required, or unknown',
  description:
    'A source keeps its records for less than the required days (default 365, config retention.minimum_days), or its retention cannot be read: records older than that are gone from the source.',
  start(ctx) {
    const min = ctx.options.retentionMinDays ?? DEFAULT_RETENTION_MIN_DAYS;
    return {
      finish() {
        const out: Finding[] = [];
        for (const s of ctx.options.sources ?? []) {
          const r = s.retention;
          if (r === undefined) continue; // not read (check over files): nothing to say
          if (r === null || r.days === null) {
            out.push(
              sourceFinding(
                retentionShort,
                s.name,
                `retention unknown: ${r?.basis ?? 'the source did not say how long it keeps its records'} (required: ${min} days)`,
              ),
            );
          } else if (r.days < min) {
            out.push(
              sourceFinding(
                retentionShort,
                s.name,
                `keeps its records ${r.estimated ? 'about ' : ''}${formatDays(r.days)}, less than the required ${min} days: ${r.basis}`,
              ),
            );
          } else {
            out.push(
              sourceFinding(
                retentionShort,
                s.name,
                `keeps its records ${r.estimated ? 'about ' : ''}${formatDays(r.days)} (required: ${min} days): ${r.basis}`,
                'info',
              ),
            );
          }
        }
        return out;
      },
    };
  },
};
