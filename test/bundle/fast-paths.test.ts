// The bundle's fast paths are equal to the definitions they replace, for any input: the canonical
// event line (canonicalJson), the CSV row (csv-stringify via eventToCsvRow), CRC-32, the one-shot
// Merkle hashes, the single-pass line reader (splitLines + a separate SHA-256), and the zip writer
// (yazl, which wrote our bundles before, given the same entries and settings).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 as zlibCrc } from 'node:zlib';
import yazl from 'yazl';
import { canonicalJson } from '../../src/event/canonical.js';
import { buildEvent, type EventInput } from '../../src/event/build.js';
import { eventToCsvRow } from '../../src/export/csv.js';
import { splitLines } from '../../src/pipeline/lines.js';
import { canonicalLine } from '../../src/bundle/canonical-line.js';
import { csvRow } from '../../src/bundle/csv-row.js';
import { crc32, crc32Portable } from '../../src/bundle/crc32.js';
import { leafHash, nodeHash, MerkleBuilder } from '../../src/bundle/merkle.js';
import { EntryLines } from '../../src/bundle/entry-lines.js';
import { DeflatedFile, ZIP_LEVEL } from '../../src/bundle/deflated-file.js';
import { writeZip, dosDateTime, type ZipItem } from '../../src/bundle/zip-writer.js';
import { openBundle } from '../../src/bundle/zip-reader.js';
import { tempDir } from './helpers.js';

// Strings that exercise escaping: quotes, commas, line breaks, formula starts, control and non-ASCII characters.
const tricky = fc.oneof(
  fc.string(),
  fc.string({
    unit: fc.constantFrom(
      '"',
      ',',
      '\n',
      '\r',
      '=',
      '+',
      '-',
      '@',
      '\t',
      '\\',
      'a',
      ' ',
      'é',
      '😀',
      '\u2028',
      '\u0000',
    ),
  }),
  fc.string({ unit: 'binary' }),
);
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });

const eventArb = fc
  .record({
    timestamp: maybe(
      fc
        .date({ min: new Date('1990-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
    ),
    user: fc.record({
      name: maybe(tricky),
      role: maybe(tricky),
      session_user: maybe(tricky),
      type: fc.constantFrom('human', 'service', 'unknown') as fc.Arbitrary<'human'>,
    }),
    action: fc.record({
      name: maybe(tricky),
      source_name: maybe(tricky),
      service: maybe(tricky),
      statement: maybe(tricky),
    }),
    resource: fc.record({
      type: maybe(tricky),
      name: maybe(tricky),
      implicit: fc.boolean(),
      scope: fc.record({ database: maybe(tricky), region: maybe(tricky) }),
    }),
    category: fc.constantFrom('data_read', 'data_write', 'ddl', 'login', 'permission_change', 'other') as fc.Arbitrary<
      EventInput['category']
    >,
    outcome: fc.constantFrom('success', 'failure', 'unknown') as fc.Arbitrary<'success'>,
    outcome_reason: maybe(tricky),
    origin: fc.record({
      address: maybe(tricky),
      application: maybe(tricky),
      port: maybe(fc.integer({ min: 0, max: 65535 })),
    }),
    privileged: fc.record({
      value: fc.boolean(),
      reasons: fc.array(fc.constantFrom('admin_action', 'root_identity', 'superuser'), { maxLength: 3 }),
    }) as fc.Arbitrary<EventInput['privileged']>,
    details: fc.option(fc.dictionary(tricky, fc.jsonValue()), { nil: undefined }),
  })
  .chain((input) =>
    fc
      .record({
        file: tricky,
        line: maybe(fc.nat()),
        instance: maybe(tricky),
        sha: fc.stringMatching(/^[0-9a-f]{64}$/),
      })
      .map((s) =>
        buildEvent(input as EventInput, {
          kind: 'aws',
          format: 'cloudtrail',
          instance: s.instance,
          location: { file: s.file, line: s.line ?? undefined },
          raw_sha256: s.sha,
        }),
      ),
  );

describe('canonical event line', () => {
  it('equals canonicalJson for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalLine(v)).toBe(canonicalJson(v));
      }),
      { numRuns: 1000 },
    );
  });

  it('equals canonicalJson with undefined members, integer-like keys, sparse arrays and the same keys in other orders', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(undefined, null, true, 0, -0, 1.5, NaN, Infinity, 'x'),
        fc.string(),
        tie('obj'),
        tie('arr'),
      ),
      obj: fc.dictionary(fc.constantFrom('a', 'b', 'B', '10', '9', '_', 'é', 'a b', '"'), tie('v'), { maxKeys: 6 }),
      arr: fc.array(tie('v'), { maxLength: 4 }),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalLine(v)).toBe(canonicalJson(v));
      }),
      { numRuns: 1000 },
    );
    const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
    expect(canonicalLine(sparse)).toBe(canonicalJson(sparse));
    expect(canonicalLine({ b: 1, a: { y: 2, x: 1 } })).toBe(canonicalLine({ a: { x: 1, y: 2 }, b: 1 }));
  });

  it('equals canonicalJson for events built by buildEvent', () => {
    fc.assert(
      fc.property(eventArb, (e) => {
        expect(canonicalLine(e)).toBe(canonicalJson(e));
      }),
      { numRuns: 500 },
    );
  });
});

describe('CSV row', () => {
  it('equals eventToCsvRow (csv-stringify) for any event', () => {
    fc.assert(
      fc.property(eventArb, (e) => {
        expect(csvRow(e)).toBe(eventToCsvRow(e));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hashes', () => {
  it('CRC-32: the native and portable versions agree, incrementally too', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        const whole = crc32Portable(Buffer.concat([a, b]), 0);
        expect(crc32Portable(b, crc32Portable(a, 0))).toBe(whole);
        expect(crc32(b, crc32(a))).toBe(whole);
        if (zlibCrc) expect(zlibCrc(Buffer.concat([a, b]))).toBe(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('Merkle leaves hashed from encoded batches of lines equal one leaf per line, and leave the bytes unchanged', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'binary' }).map((x) => x.replace(/\n/g, ' ')),
          { maxLength: 30 },
        ),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1 }),
        (lines, cuts) => {
          const one = new MerkleBuilder();
          for (const l of lines) one.add(l);
          const batched = new MerkleBuilder();
          for (let i = 0, k = 0; i < lines.length; k++) {
            const n = cuts[k % cuts.length];
            const buf = Buffer.from(
              lines
                .slice(i, i + n)
                .map((l) => `${l}\n`)
                .join(''),
            );
            const copy = Buffer.from(buf);
            batched.addLines(buf);
            expect(buf.equals(copy)).toBe(true);
            i += n;
          }
          expect(batched.count).toBe(lines.length);
          expect(batched.root()).toBe(one.root());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the one-shot Merkle leaf and node hashes equal SHA-256(0x00 || text) and SHA-256(0x01 || left || right)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (t, l, r) => {
          expect(leafHash(t).toString('hex')).toBe(
            createHash('sha256')
              .update(Buffer.from([0]))
              .update(t)
              .digest('hex'),
          );
          expect(leafHash(Buffer.from(t)).toString('hex')).toBe(
            createHash('sha256')
              .update(Buffer.from([0]))
              .update(Buffer.from(t))
              .digest('hex'),
          );
          expect(nodeHash(l, r).toString('hex')).toBe(
            createHash('sha256')
              .update(Buffer.from([1]))
              .update(l)
              .update(r)
              .digest('hex'),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('single-pass line reader', () => {
  const bytes = fc.array(
    fc.oneof(fc.constantFrom(10, 13, 0xc3, 0xa9, 0xe2, 0x82, 0xf0, 0x41), fc.integer({ min: 0, max: 255 })),
    { maxLength: 400 },
  );
  it('gives the lines of splitLines and the SHA-256 of the bytes, however they are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        bytes,
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
        fc.nat({ max: 30 }),
        async (arr, sizes, stopAfter) => {
          const all = Buffer.from(arr);
          const chunks: Buffer[] = [];
          for (let i = 0, k = 0; i < all.length; k++) {
            const n = sizes[k % sizes.length];
            chunks.push(all.subarray(i, i + n));
            i += n;
          }
          const want: Array<{ text: string; line: number }> = [];
          for await (const l of splitLines(Readable.from(chunks))) want.push({ text: l.text, line: l.line });
          const r = new EntryLines(async () => Readable.from(chunks), 'x', true);
          const got: Array<{ text: string; line: number }> = [];
          for (let l = await r.next(); l; l = await r.next()) got.push(l);
          expect(got).toEqual(want);
          expect(await r.digest()).toBe(createHash('sha256').update(all).digest('hex'));
          // Stopping early and asking for the digest still hashes every byte.
          const r2 = new EntryLines(async () => Readable.from(chunks), 'x', true);
          for (let i = 0; i < stopAfter && (await r2.next()); i++);
          expect(await r2.digest()).toBe(createHash('sha256').update(all).digest('hex'));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('zip writer', () => {
  async function yazlZip(
    path: string,
    items: Array<{ name: string; data: Buffer; streamed: boolean }>,
    clock: Date,
  ): Promise<void> {
    // yazl encodes the DOS time in local time: shift the clock so that its local fields are the UTC ones.
    const t = Math.max(clock.getTime(), Date.UTC(1980, 0, 1));
    let mtime = new Date(t);
    for (let i = 0; i < 3; i++) mtime = new Date(t + mtime.getTimezoneOffset() * 60000);
    const zip = new yazl.ZipFile();
    const options = { mtime, mode: 0o100644, compress: true, compressionLevel: ZIP_LEVEL, forceDosTimestamp: true };
    for (const it of items) {
      if (it.streamed) zip.addReadStream(Readable.from([it.data]), it.name, options);
      else zip.addBuffer(it.data, it.name, options);
    }
    zip.end();
    await pipeline(zip.outputStream, createWriteStream(path));
  }

  it('writes the bytes yazl wrote for the same entries, and yauzl reads them back', async () => {
    const dir = tempDir();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(
            fc.record({
              name: fc
                .stringMatching(/^[a-z][a-z0-9/._-]{0,20}[a-z0-9]$/)
                .filter((s) => !s.includes('//') && !s.split('/').includes('..')),
              text: fc.string({ maxLength: 3000 }),
              streamed: fc.boolean(),
            }),
            { minLength: 1, maxLength: 5 },
          )
          .map((xs) => xs.filter((x, i) => xs.findIndex((y) => y.name === x.name) === i)),
        fc.date({ min: new Date('1970-01-01'), max: new Date('2099-01-01'), noInvalidDate: true }),
        async (entries, clock) => {
          n++;
          const items: ZipItem[] = [];
          for (const [i, e] of entries.entries()) {
            if (!e.streamed) {
              items.push({ name: e.name, data: Buffer.from(e.text) });
              continue;
            }
            const f = new DeflatedFile(join(dir, `${n}-${i}.deflate`), undefined, 100);
            // Written in uneven pieces: the DEFLATE stream does not depend on how the input is split.
            for (let k = 0; k < e.text.length; k += 700) await f.write(e.text.slice(k, k + 700));
            items.push({ name: e.name, deflated: await f.close() });
          }
          const ours = join(dir, `${n}-ours.zip`);
          const theirs = join(dir, `${n}-yazl.zip`);
          await writeZip(ours, items, clock);
          await yazlZip(
            theirs,
            entries.map((e) => ({ name: e.name, data: Buffer.from(e.text), streamed: e.streamed })),
            clock,
          );
          expect(readFileSync(ours).equals(readFileSync(theirs))).toBe(true);
          const b = await openBundle(ours);
          try {
            for (const e of entries) expect((await b.read(e.name)).toString()).toBe(e.text);
          } finally {
            b.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the reader inflates entries itself and still fails one whose size differs from the central directory', async () => {
    const dir = tempDir();
    const data = Buffer.from('line one\nline two\n'.repeat(2000));
    for (const [delta, msg] of [
      [1, /not enough bytes/],
      [-1, /too many bytes/],
      [0, null],
    ] as const) {
      const path = join(dir, `size${delta}.zip`);
      await writeZip(path, [{ name: 'a.txt', data }], new Date(0));
      const zip = readFileSync(path);
      const cd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      zip.writeUInt32LE(data.length + delta, cd + 24);
      writeFileSync(path, zip);
      const b = await openBundle(path);
      try {
        if (msg) await expect(b.read('a.txt')).rejects.toThrow(msg);
        else expect((await b.read('a.txt')).equals(data)).toBe(true);
      } finally {
        b.close();
      }
    }
  });

  it('encodes the DOS date and time from the clock in UTC, clamped to 1980', () => {
    expect(dosDateTime(new Date('2024-05-01T13:45:31Z'))).toEqual({
      date: (44 << 9) | (5 << 5) | 1,
      time: (13 << 11) | (45 << 5) | 15,
    });
    expect(dosDateTime(new Date(0))).toEqual(dosDateTime(new Date('1980-01-01T00:00:00Z')));
  });
});
