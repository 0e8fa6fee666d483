// Lines of one zip entry, read once: each inflated chunk is hashed (SHA-256, for the manifest's
// digest) and split into lines on the way, so that verify checks a file's digest and its contents
// in a single pass instead of inflating it once per check. Lines are numbered from 1; a trailing
// '\r' is dropped and a last line without '\n' is still a line, as in src/pipeline/lines.ts. A
// chunk's complete lines are decoded with one toString (UTF-8 never uses the byte 0x0A inside a
// character, so this equals decoding line by line). Memory is bounded by a chunk plus the longest line.
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface EntryLine { text: string; line: number }

export class EntryLines {
  /** Number of the last line returned. */
  line = 0;
  private it: AsyncIterator<Buffer> | null = null;
  private pending: string[] = [];
  private at = 0;
  private rest: Buffer | null = null;
  private ended = false;
  private readonly hash: Hash | null;
  private sha: string | null = null;

  constructor(private readonly open: () => Promise<Readable>, readonly name: string, hashIt = false) {
    this.hash = hashIt ? createHash('sha256') : null;
  }

  private async chunk(): Promise<Buffer | null> {
    if (this.ended) return null;
    if (!this.it) this.it = (await this.open())[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const r = await this.it.next();
    if (r.done) { this.ended = true; return null; }
    this.hash?.update(r.value);
    return r.value;
  }

  async next(): Promise<EntryLine | null> {
    while (this.at >= this.pending.length) {
      this.pending = [];
      this.at = 0;
      const c = await this.chunk();
      if (c === null) {
        const rest = this.rest;
        this.rest = null;
        if (!rest || rest.length === 0) return null;
        const end = rest[rest.length - 1] === 13 ? rest.length - 1 : rest.length;
        this.pending.push(rest.toString('utf8', 0, end));
        break;
      }
      const buf = this.rest ? Buffer.concat([this.rest, c]) : c;
      const nl = buf.lastIndexOf(10);
      if (nl === -1) { this.rest = buf; continue; }
      this.rest = nl + 1 < buf.length ? buf.subarray(nl + 1) : null;
      const lines = buf.toString('utf8', 0, nl).split('\n');
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i];
        if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
      }
      this.pending = lines;
    }
    this.line++;
    return { text: this.pending[this.at++], line: this.line };
  }

  /** Reads what is left (without splitting it) and returns the entry's SHA-256, hex. */
  async digest(): Promise<string> {
    if (this.sha !== null) return this.sha;
    if (!this.hash) throw new Error(`${this.name} is not hashed`);
    while (await this.chunk() !== null);
    this.sha = this.hash.digest('hex');
    return this.sha;
  }
}
