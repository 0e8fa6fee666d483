// Converts the zone-less local timestamps of MySQL-family audit files to UTC with a configured
// zone (the --timezone option). Offsets are cached per wall-clock minute, so a file of millions
// of records costs one time-zone lookup per minute of log, not one per record.
import { parseZonedLocal, isValidZone } from '../../event/time.js';

const CACHE_LIMIT = 4096;

export class LocalTimeConverter {
  readonly zone: string;
  private readonly utc: boolean;
  private readonly cache = new Map<number, number>();

  constructor(zone: string) {
    if (!isValidZone(zone))
      throw new Error(
        `unknown time zone '${zone}': use an IANA name such as Europe/Berlin or an offset such as +02:00`,
      );
    this.zone = zone;
    this.utc = zone === 'UTC' || zone === 'Etc/UTC' || zone === 'Z' || zone === '+00:00';
  }

  // The last wall-clock minute converted (y, mo, d, h, mi packed in one number) and the UTC ISO text
  // of its start up to the minute ('2024-05-01T10:00:'), null when that minute is not a real date.
  // Records of one minute then cost a string concatenation, not a Date round trip.
  private lastMinute = NaN;
  private lastPrefix: string | null = null;

  /** ISO UTC time for a wall-clock time in the zone, or null when the fields are not a real date. */
  toIso(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): string | null {
    if (ms === 0 && s >= 0 && s < 60 && Number.isInteger(s)) {
      const key = (((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi;
      if (key === this.lastMinute && this.lastPrefix !== null) return `${this.lastPrefix}${s < 10 ? '0' : ''}${s}.000Z`;
      const iso = this.convert(y, mo, d, h, mi, s, 0);
      // The prefix is reusable when the minute starts on a whole minute in UTC (offsets in whole
      // minutes; a few historic LMT offsets have seconds) and the year has four digits.
      this.lastMinute = key;
      // The key is unique for whole numbers in range (convert checked the ranges when iso is not null).
      this.lastPrefix =
        iso !== null &&
        iso.length === 24 &&
        iso.endsWith(`${s < 10 ? '0' : ''}${s}.000Z`) &&
        Number.isInteger(y) &&
        Number.isInteger(mo) &&
        Number.isInteger(d) &&
        Number.isInteger(h) &&
        Number.isInteger(mi) &&
        h >= 0 &&
        mi >= 0
          ? iso.slice(0, 17)
          : null;
      return iso;
    }
    return this.convert(y, mo, d, h, mi, s, ms);
  }

  private convert(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): string | null {
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
    const wallMinute = Date.UTC(y, mo - 1, d, h, mi, 0, 0);
    const check = new Date(wallMinute);
    if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null;
    let offset = 0;
    if (!this.utc) {
      const cached = this.cache.get(wallMinute);
      if (cached !== undefined) offset = cached;
      else {
        offset = parseZonedLocal(y, mo, d, h, mi, 0, 0, this.zone).getTime() - wallMinute;
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(wallMinute, offset);
      }
    }
    // A leap second (second 60, as the server wrote it) is the last millisecond of its minute.
    const t = wallMinute + (s === 60 ? 59999 : s * 1000 + ms) + offset;
    return Number.isFinite(t) ? new Date(t).toISOString() : null;
  }
}

/** Parses `YYYY-MM-DD hh:mm:ss` / `YYYY-MM-DDThh:mm:ss` followed by nothing, `Z` or ` UTC`, as UTC. */
export function parseUtcTimestamp(text: string): string | null {
  const s = text.trim();
  if (s.length < 19) return null;
  const rest = s.slice(19).trim();
  if (rest !== '' && rest !== 'Z' && rest !== 'UTC' && rest !== '+00:00') return null;
  if (s[4] !== '-' || s[7] !== '-' || (s[10] !== ' ' && s[10] !== 'T') || s[13] !== ':' || s[16] !== ':') return null;
  const y = Number(s.slice(0, 4)),
    mo = Number(s.slice(5, 7)),
    d = Number(s.slice(8, 10));
  const h = Number(s.slice(11, 13)),
    mi = Number(s.slice(14, 16)),
    sec = Number(s.slice(17, 19));
  if (![y, mo, d, h, mi, sec].every(Number.isInteger)) return null;
  return UTC.toIso(y, mo, d, h, mi, sec);
}

const UTC = new LocalTimeConverter('UTC');
