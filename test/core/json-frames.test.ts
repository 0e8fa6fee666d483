import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { frameJson } from '../../src/pipeline/json-frames.js';

async function frames(text: string, unwrap: string[] = ['Records'], chunk = 7) {
  const buf = Buffer.from(text);
  async function* chunks() {
    for (let i = 0; i < buf.length; i += chunk) yield buf.subarray(i, i + chunk);
  }
  const out = [];
  for await (const f of frameJson(chunks(), { file: 'x', unwrap })) out.push(f);
  return out;
}

describe('frameJson', () => {
  test('top-level array, with exact text, lines and byte offsets', async () => {
    const t = '[\n  {"a": "é"},\n  {"b": [1, {"c": "]"}]}\n]\n';
    const f = await frames(t);
    expect(f.map((x) => x.text)).toEqual(['{"a": "é"}', '{"b": [1, {"c": "]"}]}']);
    expect(f.map((x) => x.location.line)).toEqual([2, 3]);
    expect(f[1]!.location.byte_offset).toBe(Buffer.byteLength('[\n  {"a": "é"},\n  '));
    expect(f.every((x) => !x.error)).toBe(true);
  });
  test('S3 wrapper {"Records":[...]} yields its elements; other keys ignored', async () => {
    const f = await frames('{"x": {"Records": 1}, "Records": [{"e":1},{"e":2}], "y": [3]}');
    expect(f.map((x) => x.text)).toEqual(['{"e":1}', '{"e":2}']);
    expect(f[0]!.container).toBe('wrapper');
  });
  test('an object without the wrapper key is one record', async () => {
    const f = await frames('{"eventName": "x", "Records2": [1]}');
    expect(f.map((x) => x.text)).toEqual(['{"eventName": "x", "Records2": [1]}']);
  });
  test('JSON Lines and concatenated pretty objects', async () => {
    const f = await frames('{"a":1}\n{"a":2}\n{\n "a": 3\n}\n');
    expect(f.map((x) => JSON.parse(x.text).a)).toEqual([1, 2, 3]);
    expect(f.map((x) => x.location.line)).toEqual([1, 2, 3]);
    expect(f[2]!.location.line_end).toBe(5);
  });
  test('MySQL Enterprise style: no brackets, "}," separators, trailing comma, unterminated array', async () => {
    expect((await frames('{"a":1},\n{"a":2},\n')).map((x) => x.text)).toEqual(['{"a":1}', '{"a":2}']);
    expect((await frames('[\n{"a":1},\n{"a":2},\n')).map((x) => x.text)).toEqual(['{"a":1}', '{"a":2}']);
  });
  test('a stray closer is an error record with its location; the rest is still read', async () => {
    const f = await frames('[{"a":1}]\n,{"a":2}\n]\n');
    expect(f.map((x) => [x.text, !!x.error])).toEqual([
      ['{"a":1}', false],
      ['{"a":2}', false],
      [']', true],
    ]);
    expect(f[2]!.error).toMatch(/line 3, byte 19/);
  });
  test('a string standing alone is its own record, not glued to the next one', async () => {
    const f = await frames('"just a string"\n{"a":1}\n');
    expect(f.map((x) => x.text)).toEqual(['"just a string"', '{"a":1}']);
  });
  test('a truncated last record is an error record', async () => {
    const f = await frames('{"a":1}\n{"a": "unterminated');
    expect(f).toHaveLength(2);
    expect(f[1]!.error).toMatch(/truncated record at end of input \(line 2/);
  });
  test('garbage between records is framed and flagged', async () => {
    const f = await frames('{"a":1}\nnot json\n{"a":2}\n');
    expect(f.map((x) => !!x.error)).toEqual([false, true, false]);
  });
  test('property: any array of objects round-trips at any chunk size, in any layout', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { maxLength: 8 }),
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom('array', 'wrapper', 'lines', 'pretty'),
        async (objs, chunk, layout) => {
          const text =
            layout === 'array'
              ? JSON.stringify(objs, null, 1)
              : layout === 'wrapper'
                ? JSON.stringify({ Records: objs })
                : layout === 'lines'
                  ? objs.map((o) => JSON.stringify(o)).join('\n')
                  : objs.map((o) => JSON.stringify(o, null, 2)).join('\n');
          const f = await frames(text, ['Records'], chunk);
          expect(f.filter((x) => x.error)).toEqual([]);
          expect(JSON.stringify(f.map((x) => JSON.parse(x.text)))).toEqual(JSON.stringify(objs));
          for (const x of f)
            expect(
              Buffer.from(text)
                .subarray(x.location.byte_offset!, x.location.byte_offset! + Buffer.byteLength(x.text))
                .toString(),
            ).toBe(x.text);
        },
      ),
      { numRuns: 300 },
    );
  });
});
