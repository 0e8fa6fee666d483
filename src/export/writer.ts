// Writes text to a stream with backpressure: awaits 'drain' when the stream's buffer is full, so
// memory stays flat however fast the pipeline produces.
import { once } from 'node:events';
import type { Writable } from 'node:stream';

export class TextWriter {
  private buf: string[] = [];
  private size = 0;
  constructor(
    private readonly stream: Writable,
    private readonly batchBytes = 64 * 1024,
  ) {}

  async write(text: string): Promise<void> {
    this.buf.push(text);
    this.size += text.length;
    if (this.size >= this.batchBytes) await this.flush();
  }

  /**
   * Queues text without awaiting: true when a batch is full and the caller must `await flush()`.
   * The per-record form of write() for hot loops (no promise per record).
   */
  add(text: string): boolean {
    this.buf.push(text);
    this.size += text.length;
    return this.size >= this.batchBytes;
  }

  /** Whether the queued text fills a batch (the caller then awaits flush()). */
  full(): boolean {
    return this.size >= this.batchBytes;
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const data = this.buf.join('');
    this.buf = [];
    this.size = 0;
    if (!this.stream.write(data)) await once(this.stream, 'drain');
  }

  /**
   * Writes bytes that are already encoded (after any queued text), e.g. a worker's output file
   * copied as it is: decoding it to text only to encode it again cost the main thread of
   * `normalize --jobs` a third of its CPU time.
   */
  async writeBytes(chunk: Uint8Array): Promise<void> {
    await this.flush();
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  /** Flushes and ends the stream (not for stdout/stderr), resolving when it is closed. */
  async end(): Promise<void> {
    await this.flush();
    if ((this.stream as { isTTY?: boolean }).isTTY || this.stream === process.stdout || this.stream === process.stderr)
      return;
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
  }
}
