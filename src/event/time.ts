// Time helpers. Events carry UTC RFC 3339 with milliseconds. Sources that write local time without
// a zone are converted with an explicit zone (the --timezone option), and the event records it.

export function toUtcIso(d: Date): string | null {
  const t = d.getTime();
  if (!Number.isFinite(t)) return null;
  return d.toISOString();
}

const dtfCache = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = dtfCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    dtfCache.set(zone, f);
  }
  return f;
}

/** True when `zone` is an IANA zone name or a fixed offset (+02:00, -0530, UTC) this runtime knows. */
export function isValidZone(zone: string): boolean {
  if (parseOffset(zone) !== null) return true;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** Parses a fixed UTC offset: Z, UTC, GMT, +02, +0200, +02:00, -05:30. Returns minutes east of UTC. */
export function parseOffset(s: string): number | null {
  if (/^(Z|UTC|GMT|UT)$/i.test(s)) return 0;
  const m = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(s);
  if (!m) return null;
  const mins = Number(m[2]) * 60 + Number(m[3] ?? 0);
  if (mins > 18 * 60) return null;
  return m[1] === '-' ? -mins : mins;
}

function zoneOffsetMinutes(zone: string, utcMs: number): number {
  const parts = formatter(zone).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60000);
}

/**
 * Converts a wall-clock time in `zone` (IANA name or fixed offset) to a Date. For times that occur
 * twice (DST fall-back) the earlier is chosen; for times that do not exist the later offset applies.
 */
export function parseZonedLocal(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  zone: string,
): Date {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const fixed = parseOffset(zone);
  if (fixed !== null) return new Date(wall - fixed * 60000);
  let guess = wall - zoneOffsetMinutes(zone, wall) * 60000;
  const off2 = zoneOffsetMinutes(zone, guess);
  guess = wall - off2 * 60000;
  // Fall-back overlap: the same wall time also exists with the offset in force an hour or so
  // earlier; when it does, that earlier instant is the one documented above.
  const offBefore = zoneOffsetMinutes(zone, guess - 3 * 3600000);
  if (offBefore !== off2) {
    const earlier = wall - offBefore * 60000;
    if (earlier < guess && zoneOffsetMinutes(zone, earlier) === offBefore) return new Date(earlier);
  }
  return new Date(guess);
}

/**
 * Time-zone abbreviations PostgreSQL writes with %m/%t and csvlog (from its default
 * timezone_abbreviations set), mapped to their offsets in minutes. Ambiguous ones (IST, CST as
 * China time) follow PostgreSQL's Default set.
 */
export const ZONE_ABBREVIATIONS: Record<string, number> = {
  UTC: 0,
  GMT: 0,
  Z: 0,
  UT: 0,
  WET: 0,
  WEST: 60,
  BST: 60,
  CET: 60,
  CEST: 120,
  MET: 60,
  MEST: 120,
  EET: 120,
  EEST: 180,
  MSK: 180,
  IST: 120,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
  AKST: -540,
  AKDT: -480,
  HST: -600,
  NZST: 720,
  NZDT: 780,
  AEST: 600,
  AEDT: 660,
  ACST: 570,
  ACDT: 630,
  AWST: 480,
  JST: 540,
  KST: 540,
  HKT: 480,
  SGT: 480,
  BRT: -180,
  ART: -180,
};

/**
 * Parses `YYYY-MM-DD HH:MM:SS[.fff] ZONE` where ZONE is an abbreviation, an offset or an IANA name.
 * Returns null when the text is not such a time or the zone is unknown.
 */
export function parseTimestampWithZone(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(\S+)?$/.exec(text.trim());
  if (!m) return null;
  let ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const zone = m[8] ?? 'UTC';
  let sec = Number(m[6]);
  if (impossibleTime(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), sec) !== null) return null;
  if (sec === 60) {
    sec = 59;
    ms = 999;
  } // a leap second: the last millisecond of its minute
  const args = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), sec, ms] as const;
  const abbr = ZONE_ABBREVIATIONS[zone.toUpperCase()];
  if (abbr !== undefined) return parseZonedLocal(...args, abbr === 0 ? 'UTC' : offsetText(abbr));
  if (!isValidZone(zone)) return null;
  return parseZonedLocal(...args, zone);
}

function offsetText(mins: number): string {
  const a = Math.abs(mins);
  return `${mins < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

export function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

/**
 * Why a civil date and time does not exist (a reject reason), or null when it does. Second 60 (a
 * leap second, as sources write it) exists: readers keep it as the last millisecond of its minute.
 */
export function impossibleTime(y: number, mo: number, d: number, h: number, mi: number, s: number): string | null {
  if (![y, mo, d, h, mi, s].every(Number.isInteger)) return 'not a date and time';
  if (mo < 1 || mo > 12) return `month ${mo} does not exist`;
  if (d < 1 || d > daysInMonth(y, mo)) return `${MONTHS[mo - 1]} ${d}, ${y} does not exist`;
  if (h > 23) return `hour ${h} does not exist`;
  if (mi > 59) return `minute ${mi} does not exist`;
  if (s > 60) return `second ${s} does not exist`;
  return null;
}

const ISO_PARTS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/;

/**
 * For a text that starts like an ISO 8601 date and time: why that date or time does not exist
 * (null when it exists or the text is not in that shape). Lets readers reject impossible dates,
 * naming the field, instead of letting Date roll them over (February 30 to March 2).
 */
export function timestampProblem(text: string): string | null {
  const m = ISO_PARTS.exec(text.trim());
  if (!m) return null;
  return impossibleTime(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** True when the text's seconds are 60 (a leap second as the source wrote it). */
export function isLeapSecond(text: string): boolean {
  const m = ISO_PARTS.exec(text.trim());
  return m !== null && m[6] === '60';
}
