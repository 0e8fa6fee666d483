// time.invalid: a timestamp that is present but cannot be trusted: not RFC 3339 UTC, not a real
// date, before 1990 (an epoch-zero or unset clock) or more than a day in the future (a wrong
// clock or a wrong --timezone). A row with such a time is incomplete.
import type { Rule } from '../rule.js';
import { q, rowFinding } from '../rule.js';

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const EARLIEST = Date.UTC(1990, 0, 1);
const DAY_MS = 86_400_000;

export function timestampProblem(ts: string, now: Date): string | null {
  if (!RFC3339_UTC.test(ts)) return 'is not an RFC 3339 UTC time';
  const t = Date.parse(ts);
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 19) !== ts.slice(0, 19)) return 'is not a real date';
  if (t < EARLIEST) return 'is before 1990, which suggests an unset clock or a zero epoch';
  if (t > now.getTime() + DAY_MS)
    return 'is more than a day in the future, which suggests a wrong clock or a wrong --timezone';
  return null;
}

export const timeInvalid: Rule = {
  id: 'time.invalid',
  severity: 'error',
  title: 'Timestamp invalid',
  description:
    'A timestamp is present but is not a real RFC 3339 UTC time, or is implausible (before 1990, or in the future).',
  incomplete: true,
  start(ctx) {
    return {
      row(e, source) {
        if (e.timestamp === null) return [];
        const p = timestampProblem(e.timestamp, ctx.now);
        return p ? [rowFinding(timeInvalid, e, source, `timestamp ${q(e.timestamp)} ${p}`, 'timestamp')] : [];
      },
    };
  },
};
