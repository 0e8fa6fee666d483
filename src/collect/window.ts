// The evidence period: --week (the last seven full days, ending at today's midnight in the chosen
// zone) or an explicit --since/--until, and the clock every run reads (SOURCE_DATE_EPOCH honoured,
// as reproducible builds do, so that the same inputs, key and clock give the same bytes).
import { parseZonedLocal } from '../event/time.js';

export interface Period {
  /** Inclusive start. */
  start: Date;
  /** Exclusive end. */
  end: Date;
  timezone: string;
  how: 'week' | 'since-until';
}

export class ClockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClockError';
  }
}

/** The run's clock: SOURCE_DATE_EPOCH (seconds since 1970, UTC) when set, else the system time. */
export function runClock(env: NodeJS.ProcessEnv = process.env, now: () => Date = () => new Date()): Date {
  const s = env.SOURCE_DATE_EPOCH;
  if (s === undefined || s === '') return now();
  if (!/^\d{1,12}$/.test(s.trim()))
    throw new ClockError(`SOURCE_DATE_EPOCH must be a whole number of seconds since 1970-01-01 UTC, not '${s}'`);
  return new Date(Number(s.trim()) * 1000);
}

/** Calendar date (year, month, day) of an instant in a zone. */
export function dateInZone(t: Date, zone: string): { y: number; m: number; d: number } {
  const off = parseOffsetish(zone);
  if (off !== null) {
    const u = new Date(t.getTime() + off * 60000);
    return { y: u.getUTCFullYear(), m: u.getUTCMonth() + 1, d: u.getUTCDate() };
  }
  const parts = dayFormat(zone).formatToParts(t);
  const get = (k: string) => Number(parts.find((p) => p.type === k)!.value);
  return { y: get('year'), m: get('month'), d: get('day') };
}

// Building an Intl.DateTimeFormat costs tens of microseconds, and collect asks for the date of
// every event: one formatter per zone is kept (there is one zone per run).
const formats = new Map<string, Intl.DateTimeFormat>();
function dayFormat(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    if (formats.size < 16) formats.set(zone, f);
  }
  return f;
}

/** The 'YYYY-MM-DD' label of an ISO timestamp's calendar date in `zone` (the HTML page's per-day counts). */
export function dayLabeller(zone: string): (iso: string) => string {
  let lastIso = '';
  let lastLabel = '';
  return (iso) => {
    if (iso === lastIso) return lastLabel;
    const d = dateInZone(new Date(iso), zone);
    lastIso = iso;
    lastLabel = `${d.y}-${String(d.m).padStart(2, '0')}-${String(d.d).padStart(2, '0')}`;
    return lastLabel;
  };
}

function parseOffsetish(zone: string): number | null {
  if (zone === 'UTC' || zone === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : null;
}

/** Midnight starting the calendar day `days` after (y, m, d) in `zone` (DST-safe: built from the date). */
export function midnight(y: number, m: number, d: number, days: number, zone: string): Date {
  const c = new Date(Date.UTC(y, m - 1, d + days));
  return parseZonedLocal(c.getUTCFullYear(), c.getUTCMonth() + 1, c.getUTCDate(), 0, 0, 0, 0, zone);
}

/** The last seven full days: [today's midnight - 7 days, today's midnight) in `zone`. */
export function lastWeek(now: Date, zone: string): Period {
  const { y, m, d } = dateInZone(now, zone);
  return { start: midnight(y, m, d, -7, zone), end: midnight(y, m, d, 0, zone), timezone: zone, how: 'week' };
}

/** A label for the period in file names: dates when both ends are midnights in the zone, else times. */
export function periodLabel(p: Period): string {
  const label = (t: Date): string => {
    const { y, m, d } = dateInZone(t, p.timezone);
    const date = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    return midnight(y, m, d, 0, p.timezone).getTime() === t.getTime()
      ? date
      : t
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d{3}/, '');
  };
  return `${label(p.start)}_${label(p.end)}`;
}

/** Default bundle name: evidence-<start>_<end>.zip (DEMO-evidence-... in demo mode). */
export function defaultBundleName(p: Period, demo: boolean): string {
  return `${demo ? 'DEMO-' : ''}evidence-${periodLabel(p)}.zip`;
}

/** The period in words for the terminal: '2024-05-01T00:00:00.000Z to 2024-05-08T00:00:00.000Z (7 days, Europe/Berlin)'. */
export function describePeriod(p: Period): string {
  const days = (p.end.getTime() - p.start.getTime()) / 86400000;
  const span = Number.isInteger(days) ? `${days} day${days === 1 ? '' : 's'}` : `${(days * 24).toFixed(1)} hours`;
  return `${p.start.toISOString()} (inclusive) to ${p.end.toISOString()} (exclusive), ${span}, zone ${p.timezone}`;
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();
/** Calendar date and wall-clock time of an instant in a zone (IANA name, UTC or ±HH:MM). */
export function localTime(
  t: Date,
  zone: string,
): { y: number; m: number; d: number; hh: number; mm: number; ss: number } {
  const off = parseOffsetish(zone);
  if (off !== null) {
    const u = new Date(t.getTime() + off * 60000);
    return {
      y: u.getUTCFullYear(),
      m: u.getUTCMonth() + 1,
      d: u.getUTCDate(),
      hh: u.getUTCHours(),
      mm: u.getUTCMinutes(),
      ss: u.getUTCSeconds(),
    };
  }
  let f = clockFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    if (clockFormats.size < 16) clockFormats.set(zone, f);
  }
  const parts = f.formatToParts(t);
  const get = (k: string) => Number(parts.find((p) => p.type === k)!.value);
  return { y: get('year'), m: get('month'), d: get('day'), hh: get('hour'), mm: get('minute'), ss: get('second') };
}

/** The calendar days ('YYYY-MM-DD' in the period's zone) the period touches, in order (at most `max`). */
export function periodDays(start: Date, end: Date, zone: string, max = 3700): string[] {
  const { y, m, d } = dateInZone(start, zone);
  const out: string[] = [];
  for (let k = 0; out.length < max; k++) {
    const c = new Date(Date.UTC(y, m - 1, d + k));
    if (k > 0 && midnight(c.getUTCFullYear(), c.getUTCMonth() + 1, c.getUTCDate(), 0, zone) >= end) break;
    out.push(c.toISOString().slice(0, 10));
  }
  return out;
}
