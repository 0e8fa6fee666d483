// PostgreSQL's own log retention. PostgreSQL deletes nothing; it overwrites a log file only when
// log_truncate_on_rotation is on and a time-based rotation (log_rotation_age) opens a file whose
// name (log_filename, strftime escapes) differs from the current one but already exists. So a
// log_filename whose names repeat (postgresql-%a.log: one per weekday) keeps one cycle of names:
// seven days for %a. A name with the year never repeats, and then PostgreSQL keeps everything:
// how long the files live depends on what removes them (logrotate, a cron job, the disk), which the
// server cannot tell; that is "unknown", never fine.
// https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-LOG-TRUNCATE-ON-ROTATION
import { retention, formatDays, type Retention } from './types.js';

const DAY = 1440; // minutes

/** The repeat cycle of a log_filename pattern, in minutes: how long until a name comes back. */
export function filenameCycle(pattern: string): { minutes: number | null; granularity: number; why: string } {
  const escapes = new Set([...pattern.matchAll(/%(.)/g)].map((m) => m[1]!));
  escapes.delete('%');
  if ([...escapes].some((c) => 'YyGgCs'.includes(c)))
    return {
      minutes: null,
      granularity: 0,
      why: 'names carry the year (or epoch seconds), so no name is ever used again',
    };
  const has = (cs: string) => [...cs].some((c) => escapes.has(c));
  // Smallest unit in the name (how often a new name can start) and the largest (the cycle).
  const granularity = has('S') ? 1 / 60 : has('M') ? 1 : has('HkIl') ? 60 : has('aAuwdejmbBhUWV') ? DAY : 0;
  if (has('jUWV') || has('mbBh'))
    return { minutes: 365 * DAY, granularity, why: 'names repeat every year (day or month of the year, no year)' };
  if (has('de'))
    return {
      minutes: 28 * DAY,
      granularity,
      why: 'names repeat every month (day of the month, no month): 28 to 31 days',
    };
  if (has('aAuw')) return { minutes: 7 * DAY, granularity, why: 'names repeat every week (day of the week)' };
  if (has('Hk')) return { minutes: DAY, granularity, why: 'names repeat every day (hour of the day, no date)' };
  if (has('Il'))
    return { minutes: has('p') ? DAY : DAY / 2, granularity, why: 'names repeat every day (12-hour clock, no date)' };
  if (has('M')) return { minutes: 60, granularity, why: 'names repeat every hour (minute, no hour)' };
  if (has('S')) return { minutes: 1, granularity, why: 'names repeat every minute' };
  return { minutes: null, granularity: 0, why: 'the name is fixed, so rotation reopens the same file and appends' };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** log_rotation_age as pg_settings gives it (minutes, '0' = off). */
function minutesOf(v: string | null | undefined): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export interface PgRetentionInput {
  logging_collector?: string | null;
  log_destination?: string | null;
  log_filename?: string | null;
  log_truncate_on_rotation?: string | null;
  log_rotation_age?: string | null;
  log_rotation_size?: string | null;
}

export function postgresRetention(
  s: PgRetentionInput,
  readFrom: string,
  oldestFile: { name: string; modification: Date } | null,
  now = new Date(),
): Retention {
  const facts: Record<string, unknown> = {
    logging_collector: s.logging_collector ?? null,
    log_filename: s.log_filename ?? null,
    log_truncate_on_rotation: s.log_truncate_on_rotation ?? null,
    log_rotation_age_minutes: minutesOf(s.log_rotation_age),
    log_rotation_size_kb: minutesOf(s.log_rotation_size),
    oldest_log_file: oldestFile ? { name: oldestFile.name, last_written: oldestFile.modification.toISOString() } : null,
  };
  const on = (v: string | null | undefined) => v === 'on' || v === 'true';
  const unknown = (why: string) => retention(null, why, readFrom, facts, { now });
  if (s.logging_collector !== undefined && s.logging_collector !== null && !on(s.logging_collector)) {
    return unknown(
      'logging_collector is off: the server writes its log to standard error, and whatever captures that (systemd journal, a container runtime) decides how long it is kept',
    );
  }
  if (!s.log_filename) return unknown('log_filename could not be read');
  if (!on(s.log_truncate_on_rotation)) {
    return unknown(
      `log_truncate_on_rotation is off: PostgreSQL never overwrites its log files (log_filename '${s.log_filename}'), so how long they are kept depends on what removes them (logrotate, a cron job, disk space), which the server cannot tell`,
    );
  }
  const age = minutesOf(s.log_rotation_age);
  const cycle = filenameCycle(s.log_filename);
  if (cycle.minutes === null) {
    return unknown(
      `log_filename '${s.log_filename}': ${cycle.why}; PostgreSQL overwrites nothing, so how long the files are kept depends on what removes them, which the server cannot tell`,
    );
  }
  if (!age) {
    return unknown(
      `log_rotation_age is 0 (no time-based rotation): log_truncate_on_rotation never applies, files are only appended to; what removes them is outside the server`,
    );
  }
  // A name comes back after one cycle when the rotation interval is no longer than the name's
  // smallest unit; with a longer interval, after lcm(cycle, interval).
  const minutes = age <= cycle.granularity ? cycle.minutes : (cycle.minutes * age) / gcd(cycle.minutes, age);
  const days = minutes / DAY;
  return retention(
    days,
    `log_truncate_on_rotation is on and log_filename '${s.log_filename}': ${cycle.why}; with log_rotation_age ${age} min each file is overwritten after about ${formatDays(days)}`,
    readFrom,
    facts,
    { now },
  );
}
