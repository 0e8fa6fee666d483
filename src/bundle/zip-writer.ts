// Deterministic zip writing: entries in the order given, every entry with the same mtime (from the
// run's clock), the same permissions (0644 regular file), DEFLATE, no extended timestamp extra
// field, ZIP64 records only where sizes or offsets need them. The DOS date is the clock's UTC
// date and time, so the zip is the same in every TZ.
//
// The layout is byte for byte the one yazl 3 wrote for us before (a buffer entry: sizes and CRC in
// the local header; a streamed entry: general purpose bit 3, zero sizes in the local header and a
// data descriptor after the data; central directory with the UTF-8 flag and version made by
// 0x033f); given the same DEFLATE level its output is identical to yazl's (a property test
// compares them). What changed is where the work happens: large entries arrive already compressed
// (DeflatedFile) with their CRC, and are copied, not read back, CRC'd in JavaScript and compressed
// again. Bundles are byte-identical for the same inputs, key, clock and version of this tool. APPNOTE.TXT: https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { deflateRaw } from 'node:zlib';
import { crc32 } from './crc32.js';
import { ZIP_LEVEL, type DeflatedEntry } from './deflated-file.js';

const deflateRawAsync = promisify(deflateRaw);

export interface ZipItem {
  /** Path inside the zip ('report/summary.html'). */
  name: string;
  /** The content itself, or a file already compressed by DeflatedFile. */
  data?: Buffer;
  deflated?: DeflatedEntry;
}

/** DOS time has no zone and starts in 1980; clamps earlier clocks (SOURCE_DATE_EPOCH=0) to 1980-01-01. */
export function dosDateTime(clock: Date): { date: number; time: number } {
  let t = new Date(Math.max(clock.getTime(), Date.UTC(1980, 0, 1)));
  if (t.getTime() > Date.UTC(2107, 11, 31, 23, 59, 58)) t = new Date(Date.UTC(2107, 11, 31, 23, 59, 58));
  return {
    date: (t.getUTCDate() & 0x1f) | (((t.getUTCMonth() + 1) & 0xf) << 5) | (((t.getUTCFullYear() - 1980) & 0x7f) << 9),
    time: Math.floor(t.getUTCSeconds() / 2) | ((t.getUTCMinutes() & 0x3f) << 5) | ((t.getUTCHours() & 0x1f) << 11),
  };
}

const VERSION_NEEDED = 20;
const VERSION_NEEDED_ZIP64 = 45;
const VERSION_MADE_BY = (3 << 8) | 63; // Unix, APPNOTE 6.3
const UTF8_NAMES = 1 << 11;
const DATA_DESCRIPTOR = 1 << 3;
const DEFLATE = 8;
const MODE = 0o100644;
const MAX32 = 0xfffffffe;

function u64(b: Buffer, n: number, at: number): void {
  b.writeUInt32LE(n % 0x100000000, at);
  b.writeUInt32LE(Math.floor(n / 0x100000000), at + 4);
}

interface Written {
  name: Buffer;
  crc: number;
  size: number;
  compressed: number;
  offset: number;
  streamed: boolean;
}

class Output {
  offset = 0;
  constructor(private readonly s: WriteStream) {}
  async write(b: Buffer): Promise<void> {
    this.offset += b.length;
    if (!this.s.write(b)) await once(this.s, 'drain');
  }
}

export async function writeZip(path: string, items: ZipItem[], clock: Date, level = ZIP_LEVEL): Promise<void> {
  const when = dosDateTime(clock);
  const stream = createWriteStream(path, { mode: 0o644 });
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => {});
  const work = async (): Promise<void> => {
    const out = new Output(stream);
    const written: Written[] = [];
    for (const it of items) written.push(await writeEntry(out, it, when, level));
    const cdStart = out.offset;
    for (const w of written) await out.write(centralHeader(w, when));
    await writeEnd(out, written.length, cdStart);
    // Resolved when the file is closed (all bytes written), so the caller may rename it at once.
    const closed = once(stream, 'close');
    stream.end();
    await closed;
  };
  try {
    await Promise.race([work(), failed]);
  } finally {
    if (!stream.closed) stream.destroy();
  }
}

type DosTime = ReturnType<typeof dosDateTime>;

/** One entry: its local header, then its data (compressed now, or copied from a DeflatedFile and followed by a data descriptor). */
async function writeEntry(out: Output, it: ZipItem, { date, time }: DosTime, level: number): Promise<Written> {
  const name = Buffer.from(it.name, 'utf8');
  const offset = out.offset;
  const streamed = it.deflated !== undefined;
  let crc = 0;
  let size = 0;
  let body: Buffer | null = null;
  let compressed = 0;
  if (it.deflated) {
    ({ crc32: crc, size, compressedSize: compressed } = it.deflated);
  } else {
    const data = it.data ?? Buffer.alloc(0);
    crc = crc32(data);
    size = data.length;
    body = await deflateRawAsync(data, { level });
    compressed = body.length;
  }
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(VERSION_NEEDED, 4);
  h.writeUInt16LE(UTF8_NAMES | (streamed ? DATA_DESCRIPTOR : 0), 6);
  h.writeUInt16LE(DEFLATE, 8);
  h.writeUInt16LE(time, 10);
  h.writeUInt16LE(date, 12);
  if (!streamed) {
    h.writeUInt32LE(crc, 14);
    h.writeUInt32LE(compressed, 18);
    h.writeUInt32LE(size, 22);
  }
  h.writeUInt16LE(name.length, 26);
  await out.write(Buffer.concat([h, name]));
  if (body) await out.write(body);
  else await copyDeflated(out, it, { crc, size, compressed, offset });
  return { name, crc, size, compressed, offset, streamed };
}

/** Copies a DeflatedFile's stream into the zip, then its data descriptor (ZIP64 when a figure needs it). */
async function copyDeflated(
  out: Output,
  it: ZipItem,
  { crc, size, compressed, offset }: { crc: number; size: number; compressed: number; offset: number },
): Promise<void> {
  let copied = 0;
  for await (const c of createReadStream(it.deflated!.file, { highWaterMark: 1024 * 1024 })) {
    copied += (c as Buffer).length;
    await out.write(c as Buffer);
  }
  if (copied !== compressed) throw new Error(`${it.name}: the compressed file changed size while the zip was written`);
  const zip64 = size > MAX32 || compressed > MAX32 || offset > MAX32;
  const d = Buffer.alloc(zip64 ? 24 : 16);
  d.writeUInt32LE(0x08074b50, 0);
  d.writeUInt32LE(crc, 4);
  if (zip64) {
    u64(d, compressed, 8);
    u64(d, size, 16);
  } else {
    d.writeUInt32LE(compressed, 8);
    d.writeUInt32LE(size, 12);
  }
  await out.write(d);
}

/** An entry's central directory header (with a ZIP64 extra field when a figure needs it). */
function centralHeader(w: Written, { date, time }: DosTime): Buffer {
  const zip64 = w.size > MAX32 || w.compressed > MAX32 || w.offset > MAX32;
  const c = Buffer.alloc(46);
  c.writeUInt32LE(0x02014b50, 0);
  c.writeUInt16LE(VERSION_MADE_BY, 4);
  c.writeUInt16LE(zip64 ? VERSION_NEEDED_ZIP64 : VERSION_NEEDED, 6);
  c.writeUInt16LE(UTF8_NAMES | (w.streamed ? DATA_DESCRIPTOR : 0), 8);
  c.writeUInt16LE(DEFLATE, 10);
  c.writeUInt16LE(time, 12);
  c.writeUInt16LE(date, 14);
  c.writeUInt32LE(w.crc, 16);
  c.writeUInt32LE(zip64 ? 0xffffffff : w.compressed, 20);
  c.writeUInt32LE(zip64 ? 0xffffffff : w.size, 24);
  c.writeUInt16LE(w.name.length, 28);
  c.writeUInt16LE(zip64 ? 28 : 0, 30);
  c.writeUInt32LE((MODE << 16) >>> 0, 38);
  c.writeUInt32LE(zip64 ? 0xffffffff : w.offset, 42);
  const parts = [c, w.name];
  if (zip64) {
    const x = Buffer.alloc(28);
    x.writeUInt16LE(0x0001, 0);
    x.writeUInt16LE(24, 2);
    u64(x, w.size, 4);
    u64(x, w.compressed, 12);
    u64(x, w.offset, 20);
    parts.push(x);
  }
  return Buffer.concat(parts);
}

/** The end of central directory record (preceded by the ZIP64 record and locator when a figure needs them). */
async function writeEnd(out: Output, entries: number, cdStart: number): Promise<void> {
  const cdSize = out.offset - cdStart;
  const zip64End = entries >= 0xffff || cdSize >= 0xffffffff || cdStart >= 0xffffffff;
  if (zip64End) {
    const r = Buffer.alloc(56);
    r.writeUInt32LE(0x06064b50, 0);
    u64(r, 44, 4);
    r.writeUInt16LE(VERSION_MADE_BY, 12);
    r.writeUInt16LE(VERSION_NEEDED_ZIP64, 14);
    u64(r, entries, 24);
    u64(r, entries, 32);
    u64(r, cdSize, 40);
    u64(r, cdStart, 48);
    const l = Buffer.alloc(20);
    l.writeUInt32LE(0x07064b50, 0);
    u64(l, out.offset, 8);
    l.writeUInt32LE(1, 16);
    await out.write(Buffer.concat([r, l]));
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(zip64End && entries >= 0xffff ? 0xffff : entries, 8);
  e.writeUInt16LE(zip64End && entries >= 0xffff ? 0xffff : entries, 10);
  e.writeUInt32LE(cdSize >= 0xffffffff ? 0xffffffff : cdSize, 12);
  e.writeUInt32LE(cdStart >= 0xffffffff ? 0xffffffff : cdStart, 16);
  await out.write(e);
}
