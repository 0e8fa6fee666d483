// One PostgreSQL server log message, whatever log format it came from (stderr with a
// log_line_prefix, csvlog, jsonlog, a psql transcript, a wrapper around a stderr line). The
// adapter maps this, not the formats, to events.
// Fields: https://www.postgresql.org/docs/current/runtime-config-logging.html
import {
  daysInMonth,
  isLeapSecond,
  parseTimestampWithZone,
  parseZonedLocal,
  parseOffset,
  timestampProblem,
  ZONE_ABBREVIATIONS,
} from '../../event/time.js';

export interface LogLine {
  /** UTC ISO time, null when the line has none (or its zone is unknown). */
  timestamp: string | null;
  /** The zone assumed to read a time stamp whose zone PostgreSQL wrote but this tool does not know. */
  zoneAssumed: string | null;
  user: string | null;
  database: string | null;
  application: string | null;
  host: string | null;
  port: number | null;
  pid: string | null;
  sessionId: string | null;
  vxid: string | null;
  backendType: string | null;
  severity: string;
  sqlstate: string | null;
  message: string;
  /** Whether this log format can carry the user at all (false: a prefix without %u, a transcript). */
  userKnowable: boolean;
  /** Why the time stamp as written does not exist (February 30, hour 25): the record is rejected. */
  invalidTime?: string;
  /** The time stamp had second 60 (a leap second): kept as the last millisecond of that minute. */
  leapSecond?: boolean;
}

/** PostgreSQL's placeholder for values not known yet (before authentication). */
export function pgValue(v: string | null | undefined): string | null {
  if (v === undefined || v === null || v === '' || v === '[unknown]') return null;
  return v;
}

/** '[local]' (a Unix socket) is 'local'; '10.0.0.1(5432)' (%r) is split into host and port. */
export function splitRemote(v: string | null | undefined): { host: string | null; port: number | null } {
  const s = pgValue(v);
  if (!s) return { host: null, port: null };
  if (s === '[local]') return { host: 'local', port: null };
  const paren = /^(.*)\((\d+)\)$/.exec(s);
  if (paren) return { host: paren[1]!, port: Number(paren[2]) };
  return { host: s, port: null };
}

/** Characters `.` does not match in a regular expression without the s flag. */
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
function allDigits(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** csvlog connection_from: 'host:port' (the last colon, so IPv6 hosts survive) or '[local]'. */
export function splitConnectionFrom(v: string | null | undefined): { host: string | null; port: number | null } {
  const s = pgValue(v);
  if (!s) return { host: null, port: null };
  if (s === '[local]') return { host: 'local', port: null };
  // /^(.*):(\d+)$/ without the regex: the port is the digits after the last colon.
  const c = s.lastIndexOf(':');
  if (c >= 0 && c < s.length - 1 && allDigits(s, c + 1) && !LINE_TERMINATOR.test(s.slice(0, c)))
    return { host: s.slice(0, c), port: Number(s.slice(c + 1)) };
  return { host: s, port: null };
}

export function hostValue(v: string | null | undefined): string | null {
  const s = pgValue(v);
  return s === '[local]' ? 'local' : s;
}

/**
 * Parses a PostgreSQL time stamp ('2024-05-01 12:00:00.123 UTC', %t without milliseconds, or %n
 * epoch seconds). The zone PostgreSQL wrote is used; when it is one this tool cannot read and a
 * --timezone is given, the wall time is read in that zone and the event says so. Whole seconds are
 * cached, so a log with many lines per second parses each second once.
 */
const digits = (s: string, from: number, n: number): number => {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
};

/** '00'..'59' and '000'..'999': the seconds and milliseconds of an ISO time without number formatting. */
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

export class TimeReader {
  private cacheKey = '';
  private cacheMs = NaN;
  /** Fixed offsets (minutes) of the zones met so far; null for zones whose offset varies (IANA names). */
  private zones = new Map<string, number | null>();
  constructor(private readonly fallbackZone: string | null) {}

  private lastZone = '';
  private lastOffset: number | null = null;

  private fixedOffset(zone: string): number | null {
    let off = this.zones.get(zone);
    if (off === undefined) {
      off = ZONE_ABBREVIATIONS[zone.toUpperCase()] ?? parseOffset(zone);
      this.zones.set(zone, off);
    }
    return off;
  }

  /** 'YYYY-MM-DD HH:MM:SS[.fff] ZONE' with a fixed-offset zone, read without a regex; NaN otherwise. */
  private fast(text: string): number {
    if (text.length < 21 || text.charCodeAt(4) !== 45 || text.charCodeAt(10) !== 32) return NaN;
    let i = 19;
    let ms = 0;
    if (text.charCodeAt(19) === 46) {
      ms = digits(text, 20, 3);
      i = 23;
      while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    }
    if (text.charCodeAt(i) !== 32) return NaN;
    // Most logs write one zone: the last one's offset is reused without a slice and a lookup.
    const zoneLength = text.length - i - 1;
    let off: number | null;
    if (zoneLength > 0 && zoneLength === this.lastZone.length && text.endsWith(this.lastZone)) off = this.lastOffset;
    else {
      const zone = text.slice(i + 1);
      off = this.fixedOffset(zone);
      this.lastZone = zone;
      this.lastOffset = off;
    }
    if (off === null) return NaN;
    const y = digits(text, 0, 4);
    const mo = digits(text, 5, 2);
    const d = digits(text, 8, 2);
    const h = digits(text, 11, 2);
    const mi = digits(text, 14, 2);
    const sec = digits(text, 17, 2);
    // Only days that exist (no roll-over of February 30); a leap second goes the slow way.
    if (
      !(
        mo >= 1 &&
        mo <= 12 &&
        d >= 1 &&
        (d <= 28 || d <= daysInMonth(y, mo)) &&
        h <= 23 &&
        mi <= 59 &&
        sec <= 59 &&
        ms >= 0
      )
    )
      return NaN;
    const t = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
    return t - off * 60000;
  }

  // UTC ISO text of the last minute met ('2024-05-01T10:00:'), for the fast path: the records of
  // one minute cost a string concatenation instead of a Date round trip (toISOString was ~3%).
  private isoMinute = NaN;
  private isoPrefix = '';

  private isoOf(t: number): string {
    if (!Number.isInteger(t)) return new Date(t).toISOString(); // (an offset in fractions of a minute)
    const minute = Math.floor(t / 60000) * 60000;
    if (minute !== this.isoMinute) {
      const iso = new Date(t).toISOString();
      if (iso.length !== 24) return iso; // years outside 0000-9999 (+/-YYYYYY): not cached
      this.isoMinute = minute;
      this.isoPrefix = iso.slice(0, 17);
      return iso;
    }
    const ms = t - minute; // 0 .. 59999
    const sec = Math.floor(ms / 1000);
    return `${this.isoPrefix}${TWO_DIGITS[sec]}.${THREE_DIGITS[ms - sec * 1000]}Z`;
  }

  read(text: string | null | undefined): {
    iso: string | null;
    assumed: string | null;
    invalid?: string;
    leap?: boolean;
  } {
    if (!text) return { iso: null, assumed: null };
    const f = this.fast(text);
    if (Number.isFinite(f)) return { iso: this.isoOf(f), assumed: null };
    const r = this.slow(text);
    if (r.iso !== null && isLeapSecond(text)) r.leap = true;
    return r;
  }

  private slow(text: string): { iso: string | null; assumed: string | null; invalid?: string; leap?: boolean } {
    const invalid = timestampProblem(text);
    if (invalid !== null) return { iso: null, assumed: null, invalid };
    if (/^\d+\.\d+$/.test(text)) return { iso: safeIso(Math.round(Number(text) * 1000)), assumed: null };
    // 'YYYY-MM-DD HH:MM:SS[.fff] ZONE' in a named zone: cache on the whole-second part and the zone.
    const dot = text.length > 19 && text[19] === '.' ? 19 : -1;
    let ms = 0;
    let key = text;
    if (dot > 0) {
      const sp = text.indexOf(' ', dot);
      const frac = sp < 0 ? text.slice(dot + 1) : text.slice(dot + 1, sp);
      ms = Number(frac.slice(0, 3).padEnd(3, '0'));
      if (!Number.isFinite(ms))
        return { iso: null, assumed: null, invalid: `the fraction of a second '${frac.slice(0, 12)}' is not a number` };
      key = text.slice(0, 19) + (sp < 0 ? '' : text.slice(sp));
    }
    if (key === this.cacheKey && !Number.isNaN(this.cacheMs)) return { iso: safeIso(this.cacheMs + ms), assumed: null };
    const d = parseTimestampWithZone(key);
    if (d && Number.isFinite(d.getTime())) {
      this.cacheKey = key;
      this.cacheMs = d.getTime();
      if (isLeapSecond(text)) {
        this.cacheKey = '';
        return { iso: safeIso(this.cacheMs), assumed: null };
      } // 59.999
      return { iso: safeIso(this.cacheMs + ms), assumed: null };
    }
    const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(text);
    if (m && this.fallbackZone) {
      const leap = m[6] === '60';
      const t = parseZonedLocal(
        Number(m[1]),
        Number(m[2]),
        Number(m[3]),
        Number(m[4]),
        Number(m[5]),
        leap ? 59 : Number(m[6]),
        leap ? 999 : ms,
        this.fallbackZone,
      );
      if (Number.isFinite(t.getTime())) return { iso: t.toISOString(), assumed: this.fallbackZone };
    }
    return { iso: null, assumed: null };
  }
}

function safeIso(t: number): string | null {
  return Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : null;
}
