// The JSON Lines fast path of the JSON framer. A raw newline cannot occur inside a JSON string, so
// in a JSON Lines file every line is one record: this framer finds lines with indexOf(0x0a) on the
// bytes, and frames a line itself when it is exactly one object (a '{' in column 1, a '}' at its
// end before an optional CR, valid UTF-8, JSON.parse accepts it, no wrapper key in it, within the
// size limit), hashing its bytes straight from the buffer. Blank lines are skipped. At the first
// line that is anything else (a pretty-printed or damaged record, an array, a BOM, a wrapper) it
// hands that line and all that follows to the scanning framer (json-frames.ts), resumed at the same
// line, byte offset and record index, so from there on it is the scanning framer that frames.
//
// The frames are the ones the scanning framer makes, byte for byte: for such a line it takes the
// same quick scan from '{' to the closing '}', keeps the same text and location, and validates it
// with the same single JSON.parse, whose value it hands to the adapter the same way (parseFramed).
// The scanner's per-character pass and its decoding of the whole stream are what this saves.
import { isAscii, isUtf8 } from 'node:buffer';
import { sha256Hex } from '../event/hash.js';
import { DEFAULT_MAX_RECORD_BYTES } from './lines.js';
import { attachParsed, frameJsonBatches, type JsonFrame, type JsonFrameOptions } from './json-frames.js';
import { eachRecord } from './batch.js';

/** How the last good record begins up to its first key: the scanning framer's resynchronization hint. */
const SIG = /^\{[ \t]*"[A-Za-z0-9_@$.-]{1,40}"/;

/** The fast path's state: where it is in the input, and the frames of the lines it took. */
class LineFramer {
  line = 1;
  /** Byte offset of the line being looked at. */
  byte = 0;
  index = 0;
  sig: string | null = null;
  out: JsonFrame[] = [];
  private readonly maxRecord: number;
  private readonly keys: Buffer[];
  /** Where each key next occurs in the current buffer (Infinity: nowhere; -1: not looked for yet). */
  private readonly keyAt: number[];

  constructor(private readonly opts: JsonFrameOptions) {
    this.maxRecord = Math.max(64, opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
    this.keys = (opts.unwrap ?? []).map((k) => Buffer.from(JSON.stringify(k)));
    this.keyAt = this.keys.map(() => -1);
  }

  /** A new buffer: the key positions are looked for again. */
  reset(): void {
    this.keyAt.fill(-1);
  }

  /** Whether buf[s, e) holds one of the keys (one search per key and buffer, not per line). */
  private holdsKey(buf: Buffer, s: number, e: number): boolean {
    for (let k = 0; k < this.keys.length; k++) {
      let p = this.keyAt[k]!;
      if (p < s) {
        const q = buf.indexOf(this.keys[k]!, s);
        p = this.keyAt[k] = q === -1 ? Infinity : q;
      }
      if (p < e) return true; // a key has no CR or LF: one that starts in the line lies in it
    }
    return false;
  }

  /** Frames every whole line of `buf`: returns where the unended line starts, or -(s + 1) to hand over at s. */
  lines(buf: Buffer, ascii: boolean): number {
    this.reset();
    let s = 0;
    let nl: number;
    while ((nl = buf.indexOf(0x0a, s)) !== -1) {
      if (!this.take(buf, s, nl, ascii)) return -(s + 1);
      this.byte += nl + 1 - s;
      this.line++;
      s = nl + 1;
    }
    return s;
  }

  /** Whether a line not yet ended may still be taken (past the limit, the scanner bounds it). */
  fits(bytes: number): boolean {
    return bytes <= this.maxRecord;
  }

  /** Frames buf[s, e) (a line without its newline) into `out`; false when the line is not for the fast path. */
  take(buf: Buffer, s: number, e: number, ascii: boolean): boolean {
    if (e > s && buf[e - 1] === 0x0d) e--;
    if (e === s) return true; // a blank line
    if (buf[s] !== 0x7b || buf[e - 1] !== 0x7d || e - s > this.maxRecord) return false;
    const bytes = buf.subarray(s, e);
    if (!ascii && !isUtf8(bytes)) return false;
    if (this.keys.length > 0 && this.holdsKey(buf, s, e)) return false;
    const text = bytes.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return false;
    }
    // The scanner's quick scan ends the record at the first '}' that closes the first '{': for a
    // line that parses as an object, that is its last '}' ('{"a":1} {"b":2}' does not parse).
    const f: JsonFrame = {
      text,
      location: {
        file: this.opts.file,
        line: this.line,
        line_end: this.line,
        byte_offset: this.byte,
        index: this.index++,
      },
      sha256: sha256Hex(bytes),
      container: 'value',
    };
    attachParsed(f, text, value);
    if (this.sig === null || !text.startsWith(this.sig)) {
      const m = SIG.exec(text);
      if (m) this.sig = m[0];
    }
    this.out.push(f);
    return true;
  }
}

/** frameJson, with JSON Lines lines framed without the scanner while the input stays plain JSON Lines. */
export function frameJsonLines(chunks: AsyncIterable<Buffer>, opts: JsonFrameOptions): AsyncGenerator<JsonFrame> {
  return eachRecord(frameJsonLineBatches(chunks, opts));
}

/** frameJsonLines in batches: the frames each chunk completes, as one array (never empty). */
export async function* frameJsonLineBatches(
  chunks: AsyncIterable<Buffer>,
  opts: JsonFrameOptions,
): AsyncGenerator<JsonFrame[]> {
  if (opts.quick === false) {
    yield* frameJsonBatches(chunks, opts);
    return;
  }
  const fr = new LineFramer(opts);
  const it = chunks[Symbol.asyncIterator]();
  /** Bytes of a line not yet ended (from the previous chunks). */
  let pending: Buffer | null = null;
  let rest: Buffer | null = null; // where the scanning framer takes over
  for (let first = true; rest === null; ) {
    const r = await it.next();
    if (r.done) break;
    let buf: Buffer = r.value;
    if (buf.length === 0) continue;
    if (pending !== null) buf = Buffer.concat([pending, buf]);
    pending = null;
    if (first && buf[0] !== 0x7b) {
      rest = buf; // not JSON Lines from the first byte (an array, a wrapper, a BOM, blank lines, ...)
      break;
    }
    first = false;
    const at = fr.lines(buf, isAscii(buf));
    if (fr.out.length > 0) {
      yield fr.out;
      fr.out = [];
    }
    if (at < 0) rest = buf.subarray(-at - 1);
    else if (at < buf.length) {
      if (fr.fits(buf.length - at)) pending = buf.subarray(at);
      else rest = buf.subarray(at); // a line over the limit: the scanner bounds it
    }
  }
  if (rest === null) {
    // The end of the input: the last line without a newline.
    if (pending === null) return;
    fr.reset();
    if (fr.take(pending, 0, pending.length, isAscii(pending))) {
      if (fr.out.length > 0) yield fr.out;
      return;
    }
    rest = pending;
  }
  yield* frameJsonBatches(handOver(rest, it), {
    ...opts,
    resume: { line: fr.line, byteOffset: fr.byte, index: fr.index, sig: fr.sig },
  });
}

/** The bytes from where the fast path stopped, then the rest of the input. */
async function* handOver(from: Buffer, it: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield from;
  for (;;) {
    const r = await it.next();
    if (r.done) return;
    yield r.value;
  }
}
