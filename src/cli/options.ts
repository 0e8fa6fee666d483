// Option parsing shared by commands: times, windows, zones.
import { isValidZone, parseZonedLocal } from '../event/time.js';
import { UserError } from './errors.js';

/**
 * Parses a time given on the command line: RFC 3339 (with zone), or a date / date-time without
 * zone, taken in `zone` (default UTC). '2024-05-01' is midnight at the start of that day.
 */
export function parseTimeOption(text: string, option: string, zone = 'UTC'): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) throw new UserError(`${option} takes a date or time such as 2024-05-01 or 2024-05-01T12:00:00Z, not '${text}'`);
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), ms] as const;
  const d = m[8] ? parseZonedLocal(...parts, m[8]) : parseZonedLocal(...parts, zone);
  if (!Number.isFinite(d.getTime()) || Number(m[2]) > 12 || Number(m[3]) > 31) throw new UserError(`${option}: '${text}' is not a valid date`);
  return d;
}

export function checkZone(zone: string | undefined): string | undefined {
  if (zone === undefined) return undefined;
  if (!isValidZone(zone)) throw new UserError(`--timezone: '${zone}' is not a time zone this system knows (use an IANA name such as Europe/Berlin, or an offset such as +02:00)`);
  return zone;
}
