// Reads bundles with yauzl: the central directory first (entry names and sizes only), then each
// entry as a stream on demand, so that verifying a large bundle never holds a whole file in memory.
import yauzl from 'yauzl';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

const INFLATE_CHUNK = 256 * 1024;

/** Fails the stream when the inflated size differs from the central directory's (as yauzl does). */
class ByteCount extends Transform {
  private n = 0;
  constructor(private readonly expected: number) { super(); }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.n += chunk.length;
    if (this.n > this.expected) { cb(new Error(`too many bytes in the stream. expected ${this.expected}. got at least ${this.n}`)); return; }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.n < this.expected) { cb(new Error(`not enough bytes in the stream. expected ${this.expected}. got only ${this.n}`)); return; }
    cb();
  }
}

export class BundleReadError extends Error {
  constructor(message: string) { super(message); this.name = 'BundleReadError'; }
}

export interface OpenBundle {
  /** File entries by name (directory entries, which `zip -r` adds, are left out). */
  entries: Map<string, yauzl.Entry>;
  /** Names in the order of the zip, for messages. */
  names: string[];
  /** Names that appear more than once in the zip. */
  duplicates: string[];
  stream(name: string): Promise<Readable>;
  read(name: string, limit?: number): Promise<Buffer>;
  close(): void;
}

export async function openBundle(path: string): Promise<OpenBundle> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false, decodeStrings: true }, (err, z) => (err ? reject(err) : resolve(z)));
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BundleReadError(code === 'ENOENT' ? `cannot read ${path}: no such file` : `${path} is not a readable zip file (${(e as Error).message})`);
  }
  const entries = new Map<string, yauzl.Entry>();
  const names: string[] = [];
  const duplicates: string[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = entry.fileName;
      if (!name.endsWith('/')) {
        if (entries.has(name)) duplicates.push(name);
        entries.set(name, entry);
        names.push(name);
      }
      zip.readEntry();
    });
    zip.once('end', () => resolve());
    zip.once('error', (e: Error) => reject(new BundleReadError(`${path} is not a readable zip file (${e.message})`)));
    zip.readEntry();
  });
  const stream = async (name: string): Promise<Readable> => {
    const entry = entries.get(name);
    if (!entry) throw new BundleReadError(`${name} is not in the bundle`);
    if (entry.isEncrypted()) throw new BundleReadError(`${name} is encrypted`);
    // A DEFLATE entry is read raw and inflated here with 256 KB output buffers: yauzl's inflater
    // uses zlib's 16 KB default, and the thread-pool round trip per 16 KB was ~0.1 s of CPU per
    // 100 MB inflated (verify inflates ~4× the zip's size). The size check is yauzl's own
    // (validateEntrySizes), with its messages.
    const raw = entry.compressionMethod === 8;
    return new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, raw ? { decodeFileData: false } : {}, (err, s) => {
      if (err) { reject(new BundleReadError(`cannot read ${name} in the bundle: ${err.message}`)); return; }
      if (!raw) { resolve(s); return; }
      // (Letting the inflater run further ahead with a larger readable high-water mark added ~40 MB
      // of peak RSS for no measurable gain.)
      const out = new ByteCount(entry.uncompressedSize);
      pipeline(s, createInflateRaw({ chunkSize: INFLATE_CHUNK }), out, () => {});
      resolve(out);
    }));
  };
  return {
    entries, names, duplicates, stream,
    async read(name: string, limit = 64 * 1024 * 1024): Promise<Buffer> {
      const s = await stream(name);
      const parts: Buffer[] = [];
      let n = 0;
      for await (const c of s) {
        n += (c as Buffer).length;
        if (n > limit) { s.destroy(); throw new BundleReadError(`${name} is larger than ${limit} bytes`); }
        parts.push(c as Buffer);
      }
      return Buffer.concat(parts);
    },
    close: () => zip.close(),
  };
}
