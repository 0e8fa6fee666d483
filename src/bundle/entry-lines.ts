// Lines of one zip entry, read once: each inflated chunk is hashed (SHA-256, for the manifest's
// digest) and split into lines on the way, so that verify checks a file's digest and its contents
// in a single pass instead of inflating it once per check. Lines are numbered from 1; a trailing
// '\r' is dropped and a last line without '\n' is still a line, as in src/pipeline/lines.ts. A
// chunk's complete lines are decoded with one toString (UTF-8 never uses the byte 0x0A inside a
// character, so this equals decoding line by line). Memory is bounded by a chunk plus the longest line,
// and a line may not exceed MAX_LINE_BYTES: a crafted entry of one endless line (a few MB of DEFLATE
// inflate to GBs) would otherwise be gathered until memory runs out.
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { EntryReadError } from './zip-reader.js';

/** The longest line read (bytes). Far above any event or raw record collect writes; below V8's string limit. */
export const MAX_LINE_BYTES = 256 * 1024 * 1024;

export interface EntryLine {
  text: string;
  line: number;
}

export class EntryLines {
  /** Number of the last line returned. */
  line = 0;
  /** Lines read so far that ended in '\r\n' (the '\r' is dropped from the text). */
  crLines = 0;
  /** True when the last line read had no '\n' after it. */
  unterminated = false;
  private it: AsyncIterator<Buffer> | null = null;
  private pending: string[] = [];
  private at = 0;
  /** The start of an unfinished line, as chunks (joined once its end arrives: no quadratic copying). */
  private rest: Buffer[] = [];
  private restBytes = 0;
  private ended = false;
  private readonly hash: Hash | null;
  private sha: string | null = null;

  constructor(
    private readonly open: () => Promise<Readable>,
    readonly name: string,
    hashIt = false,
  ) {
    this.hash = hashIt ? createHash('sha256') : null;
  }

  private async chunk(): Promise<Buffer | null> {
    if (this.ended) return null;
    let r: IteratorResult<Buffer>;
    try {
      if (!this.it) this.it = (await this.open())[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      r = await this.it.next();
    } catch (e) {
      this.ended = true;
      throw e instanceof EntryReadError ? e : new EntryReadError(this.name, (e as Error).message);
    }
    if (r.done) {
      this.ended = true;
      return null;
    }
    this.hash?.update(r.value);
    return r.value;
  }

  async next(): Promise<EntryLine | null> {
    while (this.at >= this.pending.length) {
      this.pending = [];
      this.at = 0;
      const c = await this.chunk();
      if (c === null) {
        const rest = Buffer.concat(this.rest);
        this.rest = [];
        this.restBytes = 0;
        if (rest.length === 0) return null;
        this.unterminated = true;
        const end = rest[rest.length - 1] === 13 ? rest.length - 1 : rest.length;
        if (end < rest.length) this.crLines++;
        this.pending.push(rest.toString('utf8', 0, end));
        break;
      }
      const nl = c.lastIndexOf(10);
      if (nl === -1) {
        this.restBytes += c.length;
        if (this.restBytes > MAX_LINE_BYTES)
          throw new EntryReadError(this.name, `line ${this.line + 1} is longer than ${MAX_LINE_BYTES} bytes`);
        this.rest.push(c);
        continue;
      }
      if (this.restBytes + c.indexOf(10) > MAX_LINE_BYTES)
        throw new EntryReadError(this.name, `line ${this.line + 1} is longer than ${MAX_LINE_BYTES} bytes`);
      const buf = this.rest.length > 0 ? Buffer.concat([...this.rest, c]) : c;
      const cut = buf.length - (c.length - nl);
      this.rest = nl + 1 < c.length ? [c.subarray(nl + 1)] : [];
      this.restBytes = c.length - nl - 1;
      const lines = buf.toString('utf8', 0, cut).split('\n');
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i];
        if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) {
          lines[i] = l.slice(0, -1);
          this.crLines++;
        }
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
    while ((await this.chunk()) !== null);
    this.sha = this.hash.digest('hex');
    return this.sha;
  }
}
