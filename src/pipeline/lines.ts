// Splits a byte stream into lines, keeping each line's 1-based number and byte offset. A final
// line without a newline is still yielded (terminated=false). A leading UTF-8 byte order mark is
// skipped (byte offsets still count it).
//
// Memory is bounded: with `maxLineBytes`, a line longer than that is never held whole. As soon as
// the limit is passed the splitter keeps the line's first KEPT_HEAD characters, hashes the rest as
// it streams past (sha256 of the whole line's text, as the JSON framers do), and yields the line
// with `oversize` set when its newline comes; reading goes on at the next line. Time is linear in
// the size of the input: pending pieces of a line are joined once, when its newline is found.
import { createHash, type Hash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';

export interface Line {
  /** The line's text (without its terminator); for an over-long line only its first KEPT_HEAD characters. */
  text: string;
  line: number;
  byteOffset: number;
  /** Bytes of the line including its terminator (for offsets of what follows). */
  byteLength: number;
  terminated: boolean;
  /** Set when the line was longer than the limit: `text` is its head, `sha256` covers all its text. */
  oversize?: { sha256: string; chars: number; limit: number };
}

/** Characters of an over-long record kept in its reject (the hash covers all of it). */
export const KEPT_HEAD = 4096;
/** Default limit of one record (--max-record-bytes). */
export const DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024;

/** The record size limit an adapter applies, from its options (--max-record-bytes). */
export function recordLimit(options: { maxRecordBytes?: number } | undefined): number {
  const n = options?.maxRecordBytes;
  return typeof n === 'number' && n > 0 ? Math.max(64, n) : DEFAULT_MAX_RECORD_BYTES;
}

export interface SplitOptions {
  /** A line longer than this many bytes is not held whole (see above). Default: no limit. */
  maxLineBytes?: number;
}

/**
 * The splitter as a synchronous state machine: push() takes a chunk and returns the lines it
 * completed, end() the last one. splitLines() wraps it as an async iterable; framers that work on
 * batches call it directly (no await per line).
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private partsLen = 0;
  private lineNo = 0;
  private offset = 0;
  private first = true;
  private bomPending: Buffer | null = null;
  private readonly max: number;
  // Over-long line in progress.
  private big: {
    hash: Hash;
    decoder: StringDecoder;
    head: string;
    chars: number;
    bytes: number;
    heldCR: boolean;
  } | null = null;

  constructor(opts: SplitOptions = {}) {
    this.max = opts.maxLineBytes != null && opts.maxLineBytes > 0 ? opts.maxLineBytes : Infinity;
  }

  push(chunk: Buffer, out: Line[] = []): Line[] {
    let buf = chunk;
    let start = 0;
    if (this.first) {
      // A UTF-8 byte order mark (added by an editor) is never part of the first record.
      if (this.bomPending) {
        buf = Buffer.concat([this.bomPending, buf]);
        this.bomPending = null;
      }
      // Only the start of a BOM (EF, EF BB) waits for the next chunk: EF then a newline is a line.
      if (buf.length < 3 && buf.length > 0 && buf[0] === 0xef && (buf.length === 1 || buf[1] === 0xbb)) {
        this.bomPending = buf;
        return out;
      }
      if (buf.length === 0) return out;
      this.first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        start = 3;
        this.offset = 3;
      }
    }
    let nl: number;
    while ((nl = buf.indexOf(10, start)) !== -1) {
      if (this.big !== null) {
        this.bigFeed(buf, start, nl);
        out.push(this.bigEnd(1, true));
      } else if (this.partsLen > 0) {
        this.parts.push(buf.subarray(start, nl));
        const whole = Buffer.concat(this.parts, this.partsLen + nl - start);
        this.parts = [];
        this.partsLen = 0;
        if (whole.length > this.max) {
          this.bigStart(whole, 0, whole.length);
          out.push(this.bigEnd(1, true));
        } else out.push(this.make(whole, 0, whole.length, whole.length + 1, true));
      } else if (nl - start > this.max) {
        this.bigStart(buf, start, nl);
        out.push(this.bigEnd(1, true));
      } else {
        out.push(this.make(buf, start, nl, nl + 1 - start, true));
      }
      start = nl + 1;
    }
    if (start < buf.length) {
      if (this.big !== null) this.bigFeed(buf, start, buf.length);
      else {
        this.parts.push(start === 0 ? buf : buf.subarray(start));
        this.partsLen += buf.length - start;
        if (this.partsLen > this.max) {
          const whole = Buffer.concat(this.parts, this.partsLen);
          this.parts = [];
          this.partsLen = 0;
          this.bigStart(whole, 0, whole.length);
        }
      }
    }
    return out;
  }

  end(out: Line[] = []): Line[] {
    if (this.bomPending) {
      const b = this.bomPending;
      this.bomPending = null;
      this.first = false;
      this.parts.push(b);
      this.partsLen += b.length;
    }
    if (this.big !== null) {
      out.push(this.bigEnd(0, false));
      return out;
    }
    if (this.partsLen > 0) {
      const rest = Buffer.concat(this.parts, this.partsLen);
      this.parts = [];
      this.partsLen = 0;
      out.push(this.make(rest, 0, rest.length, rest.length, false));
    }
    return out;
  }

  /** A line from buf[start, end) (end excludes the newline); `len` is its byte length with its terminator. */
  private make(buf: Buffer, start: number, end: number, len: number, terminated: boolean): Line {
    const e = end > start && buf[end - 1] === 13 ? end - 1 : end;
    this.lineNo++;
    const l: Line = {
      text: buf.toString('utf8', start, e),
      line: this.lineNo,
      byteOffset: this.offset,
      byteLength: len,
      terminated,
    };
    this.offset += len;
    return l;
  }

  private bigStart(buf: Buffer, start: number, end: number): void {
    this.big = {
      hash: createHash('sha256'),
      decoder: new StringDecoder('utf8'),
      head: '',
      chars: 0,
      bytes: 0,
      heldCR: false,
    };
    this.bigFeed(buf, start, end);
  }

  /** Hashes bytes [start, end) of the long line (a CR at the very end is held back: it may be the CR of CRLF). */
  private bigFeed(buf: Buffer, start: number, end: number): void {
    const b = this.big!;
    b.bytes += end - start;
    if (end <= start) return;
    let text = b.decoder.write(buf.subarray(start, end));
    if (b.heldCR) {
      text = `\r${text}`;
      b.heldCR = false;
    }
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 13) {
      b.heldCR = true;
      text = text.slice(0, -1);
    }
    if (b.head.length < KEPT_HEAD) b.head += text.slice(0, KEPT_HEAD - b.head.length);
    b.chars += text.length;
    b.hash.update(text);
  }

  /** Ends the long line; `extra` bytes (its newline) follow the bytes fed. */
  private bigEnd(extra: number, terminated: boolean): Line {
    const b = this.big!;
    this.big = null;
    let tail = b.decoder.end();
    if (b.heldCR && !terminated) tail = `\r${tail}`; // a CR that turned out not to end the line
    if (tail) {
      b.hash.update(tail);
      b.chars += tail.length;
      if (b.head.length < KEPT_HEAD) b.head += tail.slice(0, KEPT_HEAD - b.head.length);
    }
    this.lineNo++;
    const len = b.bytes + extra;
    const l: Line = {
      text: b.head,
      line: this.lineNo,
      byteOffset: this.offset,
      byteLength: len,
      terminated,
      oversize: { sha256: b.hash.digest('hex'), chars: b.chars, limit: this.max },
    };
    this.offset += len;
    return l;
  }
}

export async function* splitLines(chunks: AsyncIterable<Buffer>, opts: SplitOptions = {}): AsyncGenerator<Line> {
  const s = new LineSplitter(opts);
  const out: Line[] = [];
  for await (const chunk of chunks) {
    s.push(chunk, out);
    for (let i = 0; i < out.length; i++) yield out[i]!;
    out.length = 0;
  }
  s.end(out);
  for (let i = 0; i < out.length; i++) yield out[i]!;
}

/** Lines in batches (one array per chunk read): for framers that loop synchronously. */
export async function* splitLineBatches(
  chunks: AsyncIterable<Buffer>,
  opts: SplitOptions = {},
): AsyncGenerator<Line[]> {
  const s = new LineSplitter(opts);
  for await (const chunk of chunks) {
    const out = s.push(chunk);
    if (out.length) yield out;
  }
  const out = s.end();
  if (out.length) yield out;
}

/** The reason of a reject for an over-long line or record. */
export function oversizeReason(o: { chars: number; limit: number }): string {
  return `record longer than the limit of ${o.limit} bytes (--max-record-bytes): ${o.chars} characters; the first ${KEPT_HEAD} are kept, the hash covers all of them`;
}

/** Number of double quotes in a line: CSV framers join lines while a quoted field is open (odd count). */
export function quoteCount(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}
