// A bundle file written as it streams, already compressed for the zip: text is batched, each batch
// is hashed (SHA-256 for the manifest, CRC-32 for the zip) and fed to a raw DEFLATE stream whose
// output goes to a temporary file. The zip writer then copies the compressed bytes as they are, so
// the uncompressed files (≈ 4× the zip) never touch the disk and are never read back, and the
// compression runs in libuv's thread pool while the main thread normalizes. The raw DEFLATE stream
// is the one yazl (our previous zip writer) produces for the same bytes at the same level: zlib's
// output does not depend on how the input is split into writes.
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { TransformOptions } from 'node:stream';
import { createDeflateRaw, type DeflateRaw, type ZlibOptions } from 'node:zlib';
import { crc32 } from './crc32.js';

/**
 * DEFLATE level of every bundle entry. Measured on the 100,000-record CloudTrail bench input (400 MB
 * of entries): level 6 (zlib's and yazl's default) took ~2.1 s of CPU and gave a 57.5 MB zip; level
 * 3 takes ~1.2 s for 66.3 MB (+15%); levels 1-2 are no faster than 3 and larger. Levels 1-3 are
 * zlib's "fast" strategy, 4-9 its lazy matching. The level is fixed, so bundles stay reproducible.
 */
export const ZIP_LEVEL = 3;
/** Bytes gathered before a batch is hashed and compressed. */
const BATCH_BYTES = 256 * 1024;
/** Uncompressed bytes that may wait for the compressor before a write waits for it. */
const QUEUE_BYTES = 1024 * 1024;

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
  // Each added text is encoded at once into the current batch buffer: encoding a freshly built
  // string is cheaper than concatenating thousands of them and encoding the 256 KB result (the
  // serializers build their lines piece by piece, and flattening the whole batch at once was ~1 s
  // per 100k events in a collect profile). Full batches wait in `ready` until flush().
  private buf: Buffer;
  private off = 0;
  private ready: Buffer[] = [];
  private readonly deflate: DeflateRaw;
  private readonly out: WriteStream;
  private readonly done: Promise<void>;
  private failure: Error | null = null;

  /**
   * @param onBatch sees each encoded batch (whole added texts) before it is hashed and compressed;
   *   it must leave the bytes as it found them.
   */
  constructor(
    readonly path: string,
    level = ZIP_LEVEL,
    private readonly batchBytes = BATCH_BYTES,
    private readonly onBatch?: (bytes: Buffer) => void,
  ) {
    this.buf = Buffer.allocUnsafe(batchBytes);
    // A batch is 256 KB and compresses in the thread pool; with the stream's default 16 KB
    // high-water mark every write would wait for its own compression (no overlap with the main
    // thread's work). 1 MB lets a few batches queue: compression runs while events are built.
    const options: ZlibOptions & TransformOptions = { level, writableHighWaterMark: QUEUE_BYTES };
    this.deflate = createDeflateRaw(options);
    this.out = createWriteStream(path, { mode: 0o600 });
    this.done = pipeline(this.deflate, this.out);
    this.done.catch((e: Error) => {
      this.failure = e;
    });
  }

  /** Adds text; true when a batch is full and the caller should `await flush()`. */
  add(text: string): boolean {
    this.lines++;
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (this.off + text.length * 3 > this.buf.length) this.rotate(text.length * 3);
    this.off += this.buf.write(text, this.off, 'utf8');
    return this.ready.length > 0;
  }

  /** Sets the current batch aside (a batch is never written into again) and starts a new one. */
  private rotate(room: number): void {
    if (this.off > 0) this.ready.push(this.buf.subarray(0, this.off));
    this.buf = Buffer.allocUnsafe(Math.max(this.batchBytes, room));
    this.off = 0;
  }

  /** Adds text and writes out the batches that are full (the rest waits for more text or close()). */
  async write(text: string): Promise<void> {
    if (this.add(text)) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    const batches = this.ready;
    this.ready = [];
    for (const b of batches) {
      this.onBatch?.(b);
      this.hash.update(b);
      this.crc = crc32(b, this.crc);
      this.bytes += b.length;
      if (!this.deflate.write(b)) await once(this.deflate, 'drain');
    }
  }

  get size(): number {
    return this.bytes + this.off + this.ready.reduce((a, b) => a + b.length, 0);
  }
  get writes(): number {
    return this.lines;
  }

  /** Flushes, ends the stream and returns what the manifest and the zip need. */
  async close(): Promise<DeflatedEntry> {
    if (this.off > 0) this.rotate(0);
    await this.flush();
    this.deflate.end();
    await this.done;
    return {
      file: this.path,
      sha256: this.hash.digest('hex'),
      crc32: this.crc,
      size: this.bytes,
      compressedSize: this.out.bytesWritten,
    };
  }

  /** Stops writing (on a failure elsewhere); the caller removes the file. */
  destroy(): void {
    this.deflate.destroy();
    this.out.destroy();
  }
}
