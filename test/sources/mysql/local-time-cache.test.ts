// LocalTimeConverter reuses the last minute's UTC text for the records of that minute. It must
// answer exactly as the plain conversion it short-cuts (kept below as the oracle) in any zone:
// half-hour and 45-minute offsets, DST gaps and folds, historic local mean times, leap seconds
// (:60), milliseconds and dates that do not exist. (Offsets with seconds, which the shortcut
// refuses, do not occur: the ICU zone data Node reads gives offsets in whole minutes.)
import { expect, it } from 'vitest';
import fc from 'fast-check';
import { parseZonedLocal } from '../../../src/event/time.js';
import { LocalTimeConverter } from '../../../src/sources/mysql-common/local-time.js';

function oracle(zone: string) {
  const utc = zone === 'UTC' || zone === 'Etc/UTC' || zone === 'Z' || zone === '+00:00';
  return (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): string | null => {
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
    const wallMinute = Date.UTC(y, mo - 1, d, h, mi, 0, 0);
    const check = new Date(wallMinute);
    if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null;
    const offset = utc ? 0 : parseZonedLocal(y, mo, d, h, mi, 0, 0, zone).getTime() - wallMinute;
    const t = wallMinute + (s === 60 ? 59999 : s * 1000 + ms) + offset; // a leap second: the minute's last millisecond
    return Number.isFinite(t) ? new Date(t).toISOString() : null;
  };
}

const zones = [
  'UTC',
  'Europe/Berlin',
  'Europe/Amsterdam',
  'Africa/Monrovia',
  'Asia/Kathmandu',
  'America/St_Johns',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  '+05:45',
  '-03:00',
];

it('the per-minute shortcut gives the plain conversion, call after call', () => {
  // Few distinct minutes, so consecutive calls often share one (the shortcut's case).
  const call = fc.tuple(
    fc.constantFrom(1900, 1930, 1937, 2024, 2024, 2024, 9999, 0),
    fc.constantFrom(1, 2, 3, 10, 13, 0),
    fc.constantFrom(1, 27, 29, 30, 31, 32),
    fc.constantFrom(0, 1, 2, 3, 23, 24),
    fc.constantFrom(0, 30, 59, 60),
    fc.constantFrom(0, 5, 9, 10, 59, 60, 61, 1.5, -1),
    fc.constantFrom(0, 0, 0, 123),
  );
  fc.assert(
    fc.property(fc.constantFrom(...zones), fc.array(call, { minLength: 1, maxLength: 40 }), (zone, calls) => {
      const conv = new LocalTimeConverter(zone);
      const want = oracle(zone);
      for (const [y, mo, d, h, mi, s, ms] of calls)
        expect(conv.toIso(y, mo, d, h, mi, s, ms)).toBe(want(y, mo, d, h, mi, s, ms));
    }),
    { numRuns: 400 },
  );
});

it('every second of a DST change and of a day, in order', () => {
  for (const zone of ['Europe/Berlin', 'Europe/Amsterdam', 'Australia/Lord_Howe']) {
    const conv = new LocalTimeConverter(zone);
    const want = oracle(zone);
    for (const [y, mo, d] of [
      [2024, 3, 31],
      [2024, 10, 27],
      [1935, 6, 1],
      [2024, 4, 7],
    ] as const) {
      for (let h = 0; h < 4; h++)
        for (let mi = 0; mi < 60; mi += 7)
          for (let s = 0; s < 60; s += 3) {
            expect(conv.toIso(y, mo, d, h, mi, s)).toBe(want(y, mo, d, h, mi, s));
          }
    }
  }
});
