// A file written as it streams, with its SHA-256 and size computed on the way, so the bundle
// never holds a whole file in memory and never reads it twice to hash it.
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { TextWriter } from '../export/writer.js';

export class HashedFile {
  private readonly hash: Hash = createHash('sha256');
  private readonly writer: TextWriter;
  private bytes = 0;
  private lineCount = 0;
  constructor(readonly path: string) {
    this.writer = new TextWriter(createWriteStream(path, { mode: 0o600 }));
  }

  async write(text: string): Promise<void> {
    const b = Buffer.from(text, 'utf8');
    this.hash.update(b);
    this.bytes += b.length;
    this.lineCount++;
    await this.writer.write(text);
  }

  get size(): number { return this.bytes; }
  get writes(): number { return this.lineCount; }

  /** Closes the file and returns its digest (hex). */
  async close(): Promise<{ sha256: string; size: number }> {
    await this.writer.end();
    return { sha256: this.hash.digest('hex'), size: this.bytes };
  }
}
