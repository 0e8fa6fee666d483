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

test('a first byte 0xEF followed by a newline in the next chunk is a line of its own, not a held BOM start', async () => {
  // Found by test/bundle/fast-paths.test.ts (seed 1580487468): [0xEF] then [0x0A] came out as one
  // unterminated line '\ufffd\n' because the splitter kept waiting for the rest of a BOM.
  async function* chunks() {
    yield Buffer.from([0xef]);
    yield Buffer.from([0x0a]);
  }
  const got = [];
  for await (const l of splitLines(chunks())) got.push({ text: l.text, line: l.line, terminated: l.terminated });
  expect(got).toEqual([{ text: '\ufffd', line: 1, terminated: true }]);
  async function* bom() {
    yield Buffer.from([0xef]);
    yield Buffer.from([0xbb]);
    yield Buffer.from([0xbf, 0x61, 0x0a]);
  }
  const b = [];
  for await (const l of splitLines(bom())) b.push({ text: l.text, byteOffset: l.byteOffset });
  expect(b).toEqual([{ text: 'a', byteOffset: 3 }]);
});
