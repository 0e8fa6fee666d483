// The streaming <AUDIT_RECORD> splitter and record parser (MySQL Enterprise and Percona XML).
import { expect, test } from 'vitest';
import fc from 'fast-check';
import {
  splitXmlRecords,
  parseXmlRecord,
  decodeXml,
  encodeXml,
} from '../../../src/sources/mysql-common/xml-records.js';
import type { RawRecord } from '../../../src/pipeline/types.js';

async function split(text: string, chunkSize: number): Promise<RawRecord[]> {
  const buf = Buffer.from(text);
  async function* chunks() {
    for (let i = 0; i < buf.length; i += chunkSize) yield buf.subarray(i, i + chunkSize);
  }
  const out: RawRecord[] = [];
  for await (const r of splitXmlRecords(chunks(), 'f.xml')) out.push(r);
  return out;
}

test('entities and numeric references decode; encodeXml is its inverse', () => {
  expect(decodeXml('a &lt;&gt; &quot;b&quot; &amp; &apos;c&apos;&#10;&#x41;&unknown;')).toBe(
    'a <> "b" & \'c\'\nA&unknown;',
  );
});

test('old-style records end at /> outside quotes; new-style at </AUDIT_RECORD>; <X/> empties', () => {
  const old = parseXmlRecord('<AUDIT_RECORD\n NAME="Query"\n SQLTEXT="select &quot;/&gt;&quot; from t"/>');
  expect(old).toEqual({ style: 'old', fields: { NAME: 'Query', SQLTEXT: 'select "/>" from t' }, attributes: null });
  const nw = parseXmlRecord(
    '<AUDIT_RECORD>\n <NAME>Connect</NAME>\n <OS_LOGIN/>\n <CONNECTION_ATTRIBUTES><ATTRIBUTE><NAME>program_name</NAME><VALUE>mysql</VALUE></ATTRIBUTE></CONNECTION_ATTRIBUTES>\n</AUDIT_RECORD>',
  );
  expect(nw).toEqual({
    style: 'new',
    fields: { NAME: 'Connect', OS_LOGIN: '' },
    attributes: { program_name: 'mysql' },
  });
  expect(parseXmlRecord('<AUDIT_RECORD NAME="x" junk/>')).toHaveProperty('error');
});

const value = fc.string({
  unit: fc.constantFrom('a', ' ', '<', '>', '&', '"', "'", '/', '\n', '\t', '=', 'é', '😀', 'Q'),
  maxLength: 30,
});

test('property: records written in either style, split at any chunk size, come back whole and in order', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          style: fc.constantFrom('old', 'new'),
          name: fc.constantFrom('Query', 'Connect', 'Quit'),
          sql: value,
        }),
        { minLength: 1, maxLength: 6 },
      ),
      fc.integer({ min: 1, max: 64 }),
      async (recs, chunkSize) => {
        const body = recs
          .map((r, i) =>
            r.style === 'old'
              ? `<AUDIT_RECORD\n  NAME="${r.name}"\n  RECORD="${i + 1}_2021-06-30T11:56:53"\n  SQLTEXT="${encodeXml(r.sql)}"\n/>`
              : `<AUDIT_RECORD>\n  <NAME>${r.name}</NAME>\n  <RECORD>${i + 1}_2021-06-30T11:56:53</RECORD>\n  <SQLTEXT>${encodeXml(r.sql)}</SQLTEXT>\n</AUDIT_RECORD>`,
          )
          .join('\n');
        const text = `<?xml version="1.0" encoding="UTF-8"?>\n<AUDIT>\n${body}\n</AUDIT>\n`;
        const out = await split(text, chunkSize);
        expect(out.map((r) => r.error)).toEqual(recs.map(() => undefined));
        out.forEach((raw, i) => {
          const p = parseXmlRecord(raw.text);
          expect(p).toMatchObject({ style: recs[i]!.style, fields: { NAME: recs[i]!.name, SQLTEXT: recs[i]!.sql } });
          // the location points at the record's first byte
          expect(Buffer.from(text).subarray(raw.location.byte_offset!).toString().startsWith('<AUDIT_RECORD')).toBe(
            true,
          );
          expect(text.split('\n')[raw.location.line! - 1]!.startsWith('<AUDIT_RECORD')).toBe(true);
        });
      },
    ),
    { numRuns: 300 },
  );
});

test('a record cut off by the end of the input is an error record', async () => {
  const out = await split('<AUDIT>\n<AUDIT_RECORD NAME="Query"/>\n<AUDIT_RECORD NAME="Qu', 7);
  expect(out.map((r) => r.error ?? null)).toEqual([null, expect.stringContaining('truncated')]);
  expect(out[1]!.location).toMatchObject({ line: 3, index: 1 });
});
