import { expect, test } from 'vitest';
import fc from 'fast-check';
import { splitLines } from '../../src/pipeline/lines.js';

async function lines(text: string, chunk: number) {
  const buf = Buffer.from(text);
  async function* chunks() {
    for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk);
  }
  const out = [];
  for await (const l of splitLines(chunks())) out.push(l);
  return out;
}

test('lines keep numbers, byte offsets, CRLF and a last line without newline', async () => {
  const l = await lines('a\r\nbé\n\nlast', 2);
  expect(l.map((x) => [x.text, x.line, x.byteOffset, x.terminated])).toEqual([
    ['a', 1, 0, true],
    ['bé', 2, 3, true],
    ['', 3, 7, true],
    ['last', 4, 8, false],
  ]);
});

test('property: splitting at any chunk size gives the same lines as String.split', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 9 }), async (s, chunk) => {
      const got = (await lines(s, chunk)).map((x) => x.text);
      const want = s.split('\n').map((x) => x.replace(/\r$/, ''));
      if (s.endsWith('\n') || s === '') want.pop();
      expect(got).toEqual(want);
    }),
    { numRuns: 300 },
  );
});
