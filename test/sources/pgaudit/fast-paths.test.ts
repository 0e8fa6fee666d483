// The pgaudit adapter's fast paths must not change a byte: the per-minute ISO text of TimeReader
// equals a fresh Date conversion (what it short-cuts), and splitConnectionFrom's scanner equals the
// regular expression it replaced (kept here as the oracle).
import { expect, it } from 'vitest';
import fc from 'fast-check';
import { splitConnectionFrom, TimeReader } from '../../../src/sources/pgaudit/log-line.js';

function oldSplitConnectionFrom(v: string | null | undefined): { host: string | null; port: number | null } {
  const s = v === undefined || v === null || v === '' || v === '[unknown]' ? null : v;
  if (!s) return { host: null, port: null };
  if (s === '[local]') return { host: 'local', port: null };
  const m = /^(.*):(\d+)$/.exec(s);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  return { host: s, port: null };
}

it('splitConnectionFrom equals /^(.*):(\\d+)$/', () => {
  const part = fc.constantFrom(
    '10.0.0.1',
    '::1',
    'fe80::1%eth0',
    'db.example',
    '[local]',
    '[unknown]',
    '',
    ':',
    '5432',
    '0',
    '99999999999999999999',
    '\n',
    '\r',
    '\u2028',
    'a b',
    '١٢',
  );
  const text = fc.oneof(
    fc.array(part, { maxLength: 4 }).map((a) => a.join(':')),
    fc.array(part, { maxLength: 3 }).map((a) => a.join('')),
    fc.string({ maxLength: 12 }),
  );
  fc.assert(
    fc.property(text, (s) => {
      expect(splitConnectionFrom(s)).toEqual(oldSplitConnectionFrom(s));
    }),
    { numRuns: 3000 },
  );
  expect(splitConnectionFrom(null)).toEqual(oldSplitConnectionFrom(null));
});

it('TimeReader: the same text a fresh reader (a Date round trip) gives, record after record', () => {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = fc
    .tuple(
      fc.constantFrom(1969, 1970, 2024, 2024, 9999, 0),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 28 }),
      fc.constantFrom(0, 1, 23),
      fc.constantFrom(0, 1, 59),
      fc.integer({ min: 0, max: 59 }),
      fc.constantFrom('', '.000', '.5', '.05', '.123', '.999', '.123456', '.9999'),
      fc.constantFrom('UTC', 'GMT', 'CEST', '+02', '-0330', '+05:45', 'Z'),
    )
    .map(
      ([y, mo, d, h, mi, s, frac, zone]) =>
        `${pad(y, 4)}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}${frac} ${zone}`,
    );
  fc.assert(
    fc.property(fc.array(stamp, { minLength: 1, maxLength: 30 }), (texts) => {
      const shared = new TimeReader(null);
      for (const t of texts) expect(shared.read(t)).toEqual(new TimeReader(null).read(t));
    }),
    { numRuns: 500 },
  );
  // A whole minute, millisecond by millisecond steps of 7.
  const shared = new TimeReader(null);
  for (let ms = 0; ms < 60000; ms += 7) {
    const t = `2024-05-01 10:00:${pad(Math.floor(ms / 1000))}.${pad(ms % 1000, 3)} UTC`;
    expect(shared.read(t)).toEqual(new TimeReader(null).read(t));
  }
});
