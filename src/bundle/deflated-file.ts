// A bundle file written as it streams, already compressed for the zip: text is batched, each batch
// is hashed (SHA-256 for the manifest, CRC-32 for the zip) and fed to a raw DEFLATE stream whose
// output goes to a temporary file. The zip writer then copies the compressed bytes as they are, so
// the uncompressed files (≈ 4× the zip) never touch the disk and are never read back, and the
// compression runs in libuv's thread pool while the main thread normalizes. The raw DEFLATE stream
// is the one yazl (our previous zip writer) produced for the same bytes at the same level: zlib's
// output does not depend on how the input is split into writes.
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { createDeflateRaw, type DeflateRaw } from 'node:zlib';
import { crc32 } from './crc32.js';

/** DEFLATE level of every bundle entry (zlib's and yazl's default). */
export const ZIP_LEVEL = 6;
/** Characters gathered before a batch is encoded, hashed and compressed. */
const BATCH_CHARS = 256 * 1024;

export interface DeflatedEntry {
  /** The temporary file holding the raw DEFLATE stream. */
  file: string;
  sha256: string;
  crc32: number;
  /** Uncompressed bytes. */
  size: number;
  compressedSize: number;
}

export class DeflatedFile {
  private readonly hash = createHash('sha256');
  private crc = 0;
  private bytes = 0;
  private lines = 0;
  private buf = '';
  private readonly deflate: DeflateRaw;
  private readonly out: WriteStream;
  private readonly done: Promise<void>;
  private failure: Error | null = null;

  constructor(readonly path: string, level = ZIP_LEVEL, private readonly batchChars = BATCH_CHARS) {
    this.deflate = createDeflateRaw({ level });
    this.out = createWriteStream(path, { mode: 0o600 });
    this.done = pipeline(this.deflate, this.out);
    this.done.catch((e: Error) => { this.failure = e; });
  }

  /** Adds text; true when a batch is full and the caller should `await flush()`. */
  add(text: string): boolean {
    this.buf += text;
    this.lines++;
    return this.buf.length >= this.batchChars;
  }

  /** Adds text and flushes a full batch. */
  async write(text: string): Promise<void> {
    if (this.add(text)) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.buf.length === 0) return;
    const b = Buffer.from(this.buf, 'utf8');
    this.buf = '';
    this.hash.update(b);
    this.crc = crc32(b, this.crc);
    this.bytes += b.length;
    if (!this.deflate.write(b)) await once(this.deflate, 'drain');
  }

  get size(): number { return this.bytes + Buffer.byteLength(this.buf); }
  get writes(): number { return this.lines; }

  /** Flushes, ends the stream and returns what the manifest and the zip need. */
  async close(): Promise<DeflatedEntry> {
    await this.flush();
    this.deflate.end();
    await this.done;
    return { file: this.path, sha256: this.hash.digest('hex'), crc32: this.crc, size: this.bytes, compressedSize: this.out.bytesWritten };
  }

  /** Stops writing (on a failure elsewhere); the caller removes the file. */
  destroy(): void {
    this.deflate.destroy();
    this.out.destroy();
  }
}
