// The time window of a check or filter: --since / --until, or --week (the last 7 full days in the
// given zone, or the 7 days from a given date). Since is inclusive, until exclusive.
import { parseZonedLocal } from '../event/time.js';

export interface Window {
  since: Date | null;
  until: Date | null;
}

const DAY_MS = 86_400_000;

/** Calendar date (y, m, d) of `at` as seen in `zone`. */
function localDate(at: Date, zone: string): [number, number, number] {
  const u = at;
  // The zone's offset at `at`: read the UTC wall clock as if it were local time in the zone.
  const asLocal = parseZonedLocal(
    u.getUTCFullYear(),
    u.getUTCMonth() + 1,
    u.getUTCDate(),
    u.getUTCHours(),
    u.getUTCMinutes(),
    u.getUTCSeconds(),
    u.getUTCMilliseconds(),
    zone,
  );
  const shifted = new Date(at.getTime() + (at.getTime() - asLocal.getTime()));
  return [shifted.getUTCFullYear(), shifted.getUTCMonth() + 1, shifted.getUTCDate()];
}

function midnight(y: number, m: number, d: number, zone: string): Date {
  const n = new Date(Date.UTC(y, m - 1, d)); // normalizes day under/overflow
  return parseZonedLocal(n.getUTCFullYear(), n.getUTCMonth() + 1, n.getUTCDate(), 0, 0, 0, 0, zone);
}

/** The last 7 full days before today (in `zone`): [today-7 00:00, today 00:00). */
export function lastWeek(now: Date, zone = 'UTC'): Window {
  const [y, m, d] = localDate(now, zone);
  return { since: midnight(y, m, d - 7, zone), until: midnight(y, m, d, zone) };
}

/** The 7 days starting at `start` (its local midnight in `zone`). */
export function weekFrom(start: Date, zone = 'UTC'): Window {
  const [y, m, d] = localDate(start, zone);
  return { since: midnight(y, m, d, zone), until: midnight(y, m, d + 7, zone) };
}

export function inWindow(ts: string | null, w: Window): boolean {
  if (ts === null) return w.since === null && w.until === null;
  const t = Date.parse(ts);
  if (!Number.isFinite(t)) return false;
  return (w.since === null || t >= w.since.getTime()) && (w.until === null || t < w.until.getTime());
}

export { DAY_MS };
