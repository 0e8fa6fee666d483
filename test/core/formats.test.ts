// The generated event validator checks the schema's patterns and its date-time format with
// src/event/formats.ts instead of ajv's RegExps and ajv-formats' function (cheaper per event). They
// must accept exactly the same strings: compared here over edge cases and random inputs (fixed seed;
// AE_PROPERTY_SEED=random for a random one).
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { dateTimeFormat, hex64Pattern, millisZPattern } from '../../src/event/formats.js';

const ajvDateTime = (fullFormats['date-time'] as { validate: (s: string) => boolean }).validate;
const HEX64 = new RegExp('^[0-9a-f]{64}$', 'u');
const MILLIS_Z = new RegExp('^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$', 'u');
const seed = process.env.AE_PROPERTY_SEED === 'random' ? undefined : 20261208;

/** Checks one string as the validator does (pattern, then format) and the format alone. */
function same(s: string): void {
  expect(millisZPattern.test(s), s).toBe(MILLIS_Z.test(s));
  expect(dateTimeFormat.validate(s), s).toBe(ajvDateTime(s));
  expect(dateTimeFormat.validate(`${s}`), s).toBe(ajvDateTime(s));
  expect(hex64Pattern.test(s), s).toBe(HEX64.test(s));
}

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
const timestampParts = fc.record({
  year: fc.oneof(
    fc.constantFrom('0000', '1900', '2000', '2004', '2023', '2024', '2100', '2400', '9999', '999', '10000'),
    fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
  ),
  month: fc.oneof(two(13), fc.constantFrom('1', '001', '02')),
  day: fc.oneof(two(32), fc.constantFrom('28', '29', '30', '31', '1')),
  sep: fc.constantFrom('T', 't', ' ', '\t', '  ', '', 'X'),
  hour: fc.oneof(two(26), fc.constantFrom('23', '24', '25', '0')),
  minute: fc.oneof(two(61), fc.constantFrom('59', '60')),
  second: fc.oneof(two(61), fc.constantFrom('59', '60', '61')),
  fraction: fc.constantFrom('', '.', '.0', '.00', '.000', '.999', '.0000', '.123456789', ',000'),
  zone: fc.oneof(
    fc.constantFrom('Z', 'z', '', '+00:00', '-00:00', '+01:00', '-01:00', '+0100', '+01', '+23:59', '+24:00', 'ZZ'),
    fc
      .tuple(fc.constantFrom('+', '-'), two(25), two(61), fc.constantFrom(':', ''))
      .map(([sign, h, m, c]) => `${sign}${h}${c}${m}`),
  ),
});
const timestamp = timestampParts.map(
  (p) => `${p.year}-${p.month}-${p.day}${p.sep}${p.hour}:${p.minute}:${p.second}${p.fraction}${p.zone}`,
);

/** A string with one character replaced, inserted or removed. */
function mutated(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const ch = fc.oneof(
    fc.constantFrom('0', '9', 'a', 'f', 'g', 'A', 'F', 'T', 'Z', '-', ':', '.', ' ', '\n', '٣', '０', '\u{1F600}'),
    fc.string({ minLength: 1, maxLength: 1 }),
  );
  return fc.tuple(base, fc.nat(), ch, fc.constantFrom('replace', 'insert', 'delete')).map(([s, n, c, op]) => {
    const i = s.length === 0 ? 0 : n % s.length;
    if (op === 'replace') return s.slice(0, i) + c + s.slice(i + 1);
    if (op === 'insert') return s.slice(0, i) + c + s.slice(i);
    return s.slice(0, i) + s.slice(i + 1);
  });
}

const hex = fc
  .tuple(
    fc.integer({ min: 60, max: 68 }),
    fc.constantFrom('0123456789abcdef', '0123456789abcdefABCDEF', '0123456789abcdefg'),
  )
  .chain(([n, alphabet]) =>
    fc.array(fc.constantFrom(...alphabet), { minLength: n, maxLength: n }).map((a) => a.join('')),
  );

test('edge cases: same acceptance as ajv and ajv-formats', () => {
  const cases = [
    '2024-05-01T00:00:00.000Z',
    '2024-02-29T12:00:00.000Z',
    '2023-02-29T12:00:00.000Z',
    '1900-02-29T12:00:00.000Z',
    '2000-02-29T12:00:00.000Z',
    '2024-02-30T12:00:00.000Z',
    '2024-04-31T00:00:00.000Z',
    '2024-12-31T23:59:59.999Z',
    '2024-13-01T00:00:00.000Z',
    '2024-00-01T00:00:00.000Z',
    '2024-01-00T00:00:00.000Z',
    '2024-01-01T24:00:00.000Z',
    '2024-01-01T25:00:00.000Z',
    '2024-01-01T23:60:00.000Z',
    '2016-12-31T23:59:60.000Z',
    '2016-12-31T23:59:60.999Z',
    '2016-12-31T22:59:60.000Z',
    '2016-12-31T23:58:60.000Z',
    '2016-12-31T23:59:61.000Z',
    '2016-12-31T23:59:60+00:00',
    '2016-12-31T22:59:60-01:00',
    '2016-12-31T00:59:60+01:00',
    '2024-05-01t00:00:00.000z',
    '2024-05-01T00:00:00.000z',
    '2024-05-01 00:00:00.000Z',
    '2024-05-01T00:00:00Z',
    '2024-05-01T00:00:00.0000Z',
    '2024-05-01T00:00:00.000+02:00',
    '2024-05-01T00:00:00.000',
    '2024-05-01T00:00:00.000ZZ',
    '2024-05-01T00:00:00.000Z\n',
    '+02024-05-01T00:00:00.000Z',
    '٢٠٢٤-05-01T00:00:00.000Z',
    '2024-05-01T00:00:00.000Z'.replace('T', 'X'),
    '',
    'a'.repeat(64),
    '0'.repeat(64),
    'f'.repeat(63),
    'F'.repeat(64),
    `${'0'.repeat(63)}\n`,
  ];
  for (const s of cases) same(s);
});

test('random timestamps (valid and invalid): same acceptance as ajv-formats date-time and the pattern', () => {
  fc.assert(
    fc.property(fc.oneof(timestamp, mutated(timestamp), fc.string({ maxLength: 30 })), (s) => same(s)),
    { numRuns: 20000, seed },
  );
});

test('toISOString timestamps across the years: same acceptance', () => {
  fc.assert(
    fc.property(fc.date({ min: new Date(Date.UTC(0, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)) }), (d) => {
      if (!Number.isNaN(d.getTime())) same(d.toISOString());
    }),
    { numRuns: 5000, seed },
  );
});

test('random hex strings: same acceptance as ^[0-9a-f]{64}$', () => {
  fc.assert(
    fc.property(fc.oneof(hex, mutated(hex)), (s) => same(s)),
    { numRuns: 20000, seed },
  );
});
