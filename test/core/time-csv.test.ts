import { expect, test } from 'vitest';
import { parseTimestampWithZone, parseZonedLocal } from '../../src/event/time.js';
import { formulaSafe, csvHeader, eventToCsvRow } from '../../src/export/csv.js';
import { buildEvent } from '../../src/event/build.js';

test('zoned local times convert to UTC, across DST', () => {
  expect(parseZonedLocal(2024, 7, 1, 12, 0, 0, 0, 'Europe/Berlin').toISOString()).toBe('2024-07-01T10:00:00.000Z');
  expect(parseZonedLocal(2024, 1, 1, 12, 0, 0, 0, 'Europe/Berlin').toISOString()).toBe('2024-01-01T11:00:00.000Z');
  expect(parseZonedLocal(2024, 1, 1, 12, 0, 0, 0, '+05:30').toISOString()).toBe('2024-01-01T06:30:00.000Z');
  // fall-back overlap (02:30 happens twice on 2024-10-27 in Berlin): the earlier instant; spring gap unchanged
  expect(parseZonedLocal(2024, 10, 27, 2, 30, 0, 0, 'Europe/Berlin').toISOString()).toBe('2024-10-27T00:30:00.000Z');
  expect(parseZonedLocal(2024, 10, 27, 3, 30, 0, 0, 'Europe/Berlin').toISOString()).toBe('2024-10-27T02:30:00.000Z');
  expect(parseZonedLocal(2024, 3, 31, 2, 30, 0, 0, 'Europe/Berlin').toISOString()).toBe('2024-03-31T01:30:00.000Z');
  expect(parseZonedLocal(2024, 11, 3, 1, 30, 0, 0, 'America/New_York').toISOString()).toBe('2024-11-03T05:30:00.000Z');
  expect(parseTimestampWithZone('2023-02-03 20:29:44.139 GMT')!.toISOString()).toBe('2023-02-03T20:29:44.139Z');
  expect(parseTimestampWithZone('2023-02-03 20:29:44 CET')!.toISOString()).toBe('2023-02-03T19:29:44.000Z');
  expect(parseTimestampWithZone('2023-02-03 20:29:44.5 +02')!.toISOString()).toBe('2023-02-03T18:29:44.500Z');
  expect(parseTimestampWithZone('2023-02-03 20:29:44 Nowhere/City')).toBeNull();
});

test('CSV cells a spreadsheet would evaluate are neutralised', () => {
  for (const bad of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx']) expect(formulaSafe(bad)).toBe(`'${bad}`);
  expect(formulaSafe('plain')).toBe('plain');
  const e = buildEvent(
    {
      timestamp: null,
      category: 'other',
      user: { name: '=HYPERLINK("http://x","y")' },
      action: { statement: 'a,"b"\nc' },
    },
    { kind: 'mysql', format: 'x', location: { file: 'f' }, raw_sha256: '0'.repeat(64) },
  );
  const row = eventToCsvRow(e);
  expect(row).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
  expect(row).toContain('"a,""b""\nc"');
  expect(csvHeader().split(',')[0]).toBe('timestamp');
});
