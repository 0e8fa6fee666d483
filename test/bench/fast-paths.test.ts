// The performance changes made for the benchmark must not change a byte: the event id written
// directly equals the canonical-JSON one, and frameJson's jump-to-next-quote string scan frames
// JSON Lines and arrays exactly as the JSON text says, for strings full of escapes and newlines.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildEvent, eventId, fullLocation } from '../../src/event/build.js';
import { frameJson } from '../../src/pipeline/json-frames.js';

async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function frames(text: string, size: number) {
  const out = [];
  for await (const f of frameJson(chunked(text, size), { file: 'f', unwrap: ['Records'] })) out.push(f);
  return out;
}

describe('event id fast path', () => {
  it('equals eventId over canonical JSON for any location', () => {
    const nat = fc.option(fc.nat(), { nil: null });
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        nat,
        nat,
        nat,
        nat,
        nat,
        fc.stringMatching(/^[0-9a-f]{64}$/),
        (format, file, line, lineEnd, byteOffset, index, page, sha) => {
          const location = { file, line, line_end: lineEnd, byte_offset: byteOffset, index, page };
          const e = buildEvent(
            { timestamp: null, category: 'other' as never },
            { kind: 'aws', format, location, raw_sha256: sha },
          );
          expect(e.id).toBe(eventId(format, fullLocation(location), sha));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('frameJson string scan', () => {
  const value = fc.jsonValue({ maxDepth: 3 });
  const record = fc.dictionary(fc.string(), value, { maxKeys: 6 });
  it('frames JSON Lines of arbitrary objects line by line, whatever the chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 64 }),
        async (recs, size) => {
          const lines = recs.map((r) => JSON.stringify(r));
          const got = await frames(`${lines.join('\n')}\n`, size);
          expect(got.map((f) => f.text)).toEqual(lines);
          expect(got.map((f) => f.location.line)).toEqual(lines.map((_, i) => i + 1));
          expect(got.every((f) => !f.error)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('frames wrapper arrays of pretty-printed records with the right lines and byte offsets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 50 }),
        async (recs, size) => {
          const text = JSON.stringify({ Records: recs }, null, 2);
          const got = await frames(text, size);
          expect(got.map((f) => JSON.parse(f.text))).toEqual(JSON.parse(JSON.stringify(recs))); // (-0 reads back as 0)
          const bytes = Buffer.from(text);
          for (const f of got) {
            expect(
              bytes.subarray(f.location.byte_offset!, f.location.byte_offset! + Buffer.byteLength(f.text)).toString(),
            ).toBe(f.text);
            expect(bytes.subarray(0, f.location.byte_offset!).toString().split('\n').length).toBe(f.location.line);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps counting lines through raw newlines and escapes inside strings', async () => {
    const text = '{"a":"x\\"\\\\\n\ny"}\n{"b":"\\\\"}\n';
    const got = await frames(text, 3);
    expect(got.map((f) => [f.location.line, f.location.line_end])).toEqual([
      [1, 3],
      [4, 4],
    ]);
  });
});

describe('frameJson quick object scan', () => {
  // Oracle: the general scanner alone (quick: false). Inputs mix valid records with everything
  // the quick scan must hand back: wrappers on one line, escaped quotes and backslash runs, raw
  // newlines in strings, unbalanced brackets, stray closers, scalars, truncated ends, multibyte text.
  async function both(text: string, size: number, unwrap: string[]) {
    const run = async (quick: boolean) => {
      const out = [];
      for await (const f of frameJson(chunked(text, size), { file: 'f', unwrap, quick })) out.push(f);
      return out;
    };
    return [await run(true), await run(false)];
  }
  const value = fc.jsonValue({ maxDepth: 3 });
  const obj = fc
    .dictionary(fc.oneof(fc.string(), fc.constantFrom('Records', 'Events', 'a\\"b')), value, { maxKeys: 5 })
    .map((o) => JSON.stringify(o));
  const fragment = fc.oneof(
    obj,
    obj,
    obj.map((o) => `${o}\n`),
    obj.map((o) => `{"Records":[${o},${o}]}`),
    obj.map((o) => `{"x":"Records","Records":[${o}]}`),
    obj.map((o) => `{"Records" : "v" [${o}]}`),
    obj.map((o) => JSON.stringify({ Records: [JSON.parse(o)] }, null, 1)),
    fc.constantFrom(
      '\n',
      '\r\n',
      ' ',
      ',',
      '[',
      ']',
      '{',
      '}',
      '"',
      '\\',
      '\\"',
      '\\\\"',
      '"\\\\',
      'null',
      'tru',
      'x y',
      '{"a":"b\nc"}',
      '{"a":[}]',
      '{"a":{"b":"\\\\"}}',
      '{"é":"ü€𝄞"}',
      '{"s":"\\u0022"}',
      '},',
      '{"Records":[',
      '{"k":"Records"}',
    ),
  );
  it('frames exactly as the general scanner, for any input and chunk size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fragment, { maxLength: 10 }),
        fc.integer({ min: 1, max: 80 }),
        fc.constantFrom([], ['Records'], ['Records', 'Events']),
        async (parts, size, unwrap) => {
          const [fast, general] = await both(parts.join(''), size, unwrap);
          expect(fast).toEqual(general);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('frameJson byte offsets with ASCII chunks counted by length', () => {
  it('gives every frame the byte offset of its text in the input, for mixed ASCII and multibyte chunks', async () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.constantFrom('é', '€', '𝄞', 'aé€𝄞b'));
    const rec = fc.dictionary(text, fc.oneof(text, fc.integer()), { maxKeys: 4 }).map((o) => JSON.stringify(o));
    const layout = fc.constantFrom('lines', 'array', 'wrapper', 'pretty');
    await fc.assert(
      fc.asyncProperty(
        fc.array(rec, { minLength: 1, maxLength: 8 }),
        layout,
        fc.integer({ min: 1, max: 40 }),
        async (recs, how, size) => {
          const input =
            how === 'lines'
              ? `${recs.join('\n')}\n`
              : how === 'array'
                ? `[${recs.join(',')}]`
                : how === 'wrapper'
                  ? `{"Records":[${recs.join(',')}]}`
                  : JSON.stringify({ Records: recs.map((r) => JSON.parse(r)) }, null, 2);
          const got = await frames(input, size);
          expect(got.length).toBe(recs.length);
          const bytes = Buffer.from(input);
          for (const f of got) {
            expect(f.error).toBeUndefined();
            expect(
              bytes.subarray(f.location.byte_offset!, f.location.byte_offset! + Buffer.byteLength(f.text)).toString(),
            ).toBe(f.text);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
