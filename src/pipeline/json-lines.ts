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
import { attachParsed, frameJson, type JsonFrame, type JsonFrameOptions } from './json-frames.js';

/** How the last good record begins up to its first key: the scanning framer's resynchronization hint. */
const SIG = /^\{[ \t]*"[A-Za-z0-9_@$.-]{1,40}"/;

/** frameJson, with JSON Lines lines framed without the scanner while the input stays plain JSON Lines. */
export async function* frameJsonLines(
  chunks: AsyncIterable<Buffer>,
  opts: JsonFrameOptions,
): AsyncGenerator<JsonFrame> {
  if (opts.quick === false) {
    yield* frameJson(chunks, opts);
    return;
  }
  const maxRecord = Math.max(64, opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
  const keys = (opts.unwrap ?? []).map((k) => Buffer.from(JSON.stringify(k)));
  const it = chunks[Symbol.asyncIterator]();
  let line = 1;
  /** Byte offset of the line being looked at. */
  let byte = 0;
  let index = 0;
  let sig: string | null = null;
  /** Bytes of a line not yet ended (from the previous chunks). */
  let pending: Buffer | null = null;
  let rest: Buffer | null = null; // where the scanning framer takes over
  const out: JsonFrame[] = [];

  /** Frames buf[s, e) (a line without its newline) into `out`; false when the line is not for the fast path. */
  const take = (buf: Buffer, s: number, e: number, ascii: boolean): boolean => {
    if (e > s && buf[e - 1] === 0x0d) e--;
    if (e === s) return true; // a blank line
    if (buf[s] !== 0x7b || buf[e - 1] !== 0x7d || e - s > maxRecord) return false;
    const bytes = buf.subarray(s, e);
    if (!ascii && !isUtf8(bytes)) return false;
    for (const k of keys) if (bytes.indexOf(k) >= 0) return false;
    const text = bytes.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return false;
    }
    // The scanner's quick scan ends the record at the first '}' that closes the first '{': for a
    // line that parses as an object, that is the last '}' unless something follows a complete
    // object on the line ('{"a":1} {"b":2}' does not parse, so it never gets here).
    const f: JsonFrame = {
      text,
      location: { file: opts.file, line, line_end: line, byte_offset: byte, index: index++ },
      sha256: sha256Hex(bytes),
      container: 'value',
    };
    attachParsed(f, text, value);
    if (sig === null || !text.startsWith(sig)) {
      const m = SIG.exec(text);
      if (m) sig = m[0];
    }
    out.push(f);
    return true;
  };
  /** Frames every whole line of `buf`: returns where the unended line starts, or -(s + 1) to hand over at s. */
  const lines = (buf: Buffer, ascii: boolean): number => {
    let s = 0;
    let nl: number;
    while ((nl = buf.indexOf(0x0a, s)) !== -1) {
      if (!take(buf, s, nl, ascii)) return -(s + 1);
      byte += nl + 1 - s;
      line++;
      s = nl + 1;
    }
    return s;
  };

  let first = true;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    let buf: Buffer = r.value;
    if (buf.length === 0) continue;
    if (pending !== null) {
      buf = Buffer.concat([pending, buf]);
      pending = null;
    }
    if (first) {
      first = false;
      if (buf[0] !== 0x7b) {
        rest = buf; // not JSON Lines from the first byte (an array, a wrapper, a BOM, blank lines, ...)
        break;
      }
    }
    const at = lines(buf, isAscii(buf));
    for (const f of out) yield f;
    out.length = 0;
    if (at < 0) {
      rest = buf.subarray(-at - 1);
      break;
    }
    if (at < buf.length) {
      if (buf.length - at > maxRecord) {
        rest = buf.subarray(at); // a line over the limit: the scanner bounds it
        break;
      }
      pending = buf.subarray(at);
    }
  }
  if (rest === null) {
    // The end of the input: the last line without a newline.
    if (pending !== null) {
      if (take(pending, 0, pending.length, isAscii(pending))) {
        for (const f of out) yield f;
        return;
      }
      rest = pending;
    } else return;
  }
  const from = rest;
  async function* remaining(): AsyncGenerator<Buffer> {
    yield from;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  yield* frameJson(remaining(), { ...opts, resume: { line, byteOffset: byte, index, sig } });
}
