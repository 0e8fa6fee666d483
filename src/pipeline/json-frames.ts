// Streaming JSON framer: finds each JSON record in a byte stream without parsing it, and yields
// its exact text with its line, byte offset and index. Handles, in one pass and in bounded memory:
//   - a top-level array of records (`gcloud logging read --format=json`, Stratus Red Team files);
//   - a wrapper object whose key holds the array (`{"Records":[...]}` from S3, `{"Events":[...]}`
//     from `aws cloudtrail lookup-events`, `{"entries":[...]}`), other keys ignored;
//   - JSON Lines and concatenated values (pretty-printed objects one after another);
//   - MySQL Enterprise Audit's unterminated array (`[` optional, `},` separators, trailing comma,
//     no closing `]`).
// Anything that is not framable (a stray `]`, a truncated last record, bytes that are not JSON) is
// yielded as a record with `error` set, so the caller reports it with its location and goes on.
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { sha256Hex } from '../event/hash.js';
import type { RawRecord } from './types.js';

export interface JsonFrameOptions {
  /** Input name for locations. */
  file: string;
  /** Keys of a top-level wrapper object whose array value holds the records. */
  unwrap?: string[];
  /**
   * Frame an object that closes before the next newline with the quick scan (default true). The
   * frames are the same either way; false keeps the general scanner alone (the tests' oracle).
   */
  quick?: boolean;
}

export interface JsonFrame extends RawRecord {
  /** How the record was contained: array element, wrapper array element (key name), or top-level value. */
  container: 'array' | 'wrapper' | 'value';
  wrapperKey?: string;
}

export async function* frameJson(chunks: AsyncIterable<Buffer>, opts: JsonFrameOptions): AsyncGenerator<JsonFrame> {
  const unwrap = new Set(opts.unwrap ?? []);
  const unwrapLengths = new Set([...unwrap].map((k) => k.length));
  const quick = opts.quick !== false;
  const decoder = new StringDecoder('utf8');
  let buf = '';
  // Position bookkeeping for `buf[0]`.
  let baseByte = 0;
  // Scanner state.
  let depth = 0;
  let inString = false;
  let escape = false;
  /** Depth at which records sit: 0 top-level values, 1 top-level array elements, 2 wrapper elements, -1 inside a wrapper's other keys. */
  let recordDepth = 0;
  let recordStart = -1;
  let recordLine = 1;
  let recordByte = 0;
  let container: JsonFrame['container'] = 'value';
  let wrapperKey: string | undefined;
  let index = 0;
  // Key tracking inside a top-level object (depth 1), to spot wrapper keys.
  let strStart = -1;
  let lastKey: string | null = null;
  let afterColon = false;
  let topObjectStart = -1;
  let line = 1;
  let pos = 0;

  // Byte offsets are computed incrementally from the last position asked for, so the cost stays
  // linear in the input (positions asked for only grow between compactions).
  // Every character of `buf` from `asciiFrom` on came from an all-ASCII chunk, so there one
  // character is one byte and Buffer.byteLength (a pass over each record's text, ~1 us per
  // CloudTrail record) is needed only for the part before it.
  let cacheChar = 0;
  let cacheByte = 0;
  let asciiFrom = 0;
  const byteAt = (p: number): number => {
    if (p < cacheChar) { cacheChar = 0; cacheByte = 0; }
    if (cacheChar >= asciiFrom) cacheByte += p - cacheChar;
    else if (p <= asciiFrom) cacheByte += Buffer.byteLength(buf.slice(cacheChar, p));
    else cacheByte += Buffer.byteLength(buf.slice(cacheChar, asciiFrom)) + (p - asciiFrom);
    cacheChar = p;
    return baseByte + cacheByte;
  };
  /** Appends decoded text; a chunk is ASCII when all its bytes are and the decoder held nothing back. */
  const append = (text: string, chunk: Buffer | null): void => {
    const ascii = chunk !== null && text.length === chunk.length && isAscii(chunk);
    buf += text;
    if (!ascii && text.length > 0) asciiFrom = buf.length;
  };

  function frame(text: string, ln: number, byteOffset: number, lineEnd: number, error?: string): JsonFrame {
    const f: JsonFrame = {
      text,
      location: { file: opts.file, line: ln, line_end: lineEnd, byte_offset: byteOffset, index: index++ },
      sha256: sha256Hex(text),
      container,
    };
    if (wrapperKey !== undefined && container === 'wrapper') f.wrapperKey = wrapperKey;
    if (error) f.error = error;
    return f;
  }

  const out: JsonFrame[] = [];
  function strayCloser(c: string, p: number): void {
    out.push(frame(c, line, byteAt(p), line, `unexpected '${c}' at line ${line}, byte ${byteAt(p)}: the file is not valid JSON here (a hand-concatenated or truncated file?); records before and after it are read`));
  }

  // Inside a string only '"', '\\' and '\n' matter: the scanner jumps to the next of them with
  // indexOf instead of looking at every character (strings are most of a JSON record's bytes; the
  // per-character loop was the top self-time function of a CloudTrail normalize profile). The next
  // backslash and newline are rare, so their positions are cached for the current `buf`.
  let nextQuote = -2;
  let nextBackslash = -2;
  let nextNewline = -2;
  const after = (cached: number, ch: string, p: number): number => (cached === -1 || cached >= p ? cached : buf.indexOf(ch, p));

  // The quick scan: an object that starts at `p` (a '{' where a record starts) and closes before
  // the next raw newline, as in JSON Lines and in single-line `{"Records":[...]}` files. It only
  // counts brackets and jumps from quote to quote (an escaped quote has an odd run of backslashes
  // before it), with none of the general scanner's per-character state. Returns the index of the
  // closing bracket, or -1 to let the general scanner take the record from the same state: the
  // object does not close before a newline or the end of `buf`, or (at top level, when wrapper keys
  // are given) a depth-1 string equal to a wrapper key comes before a '[' at depth 1, where the
  // general scanner might find a wrapper. Brackets are counted exactly as the general scanner does.
  function quickObject(p: number, checkWrapper: boolean): number {
    let limit = buf.indexOf('\n', p);
    if (limit === -1) limit = buf.length;
    let d = 0;
    let sawKey = false;
    let i = p;
    while (i < limit) {
      const c = buf.charCodeAt(i);
      if (c === 0x22) {
        let q = i;
        for (;;) {
          q = buf.indexOf('"', q + 1);
          if (q === -1 || q >= limit) return -1;
          let b = q - 1;
          while (buf.charCodeAt(b) === 0x5c) b--;
          if ((q - 1 - b) % 2 === 0) break;
        }
        if (checkWrapper && d === 1 && unwrapLengths.has(q - i - 1) && unwrap.has(buf.slice(i + 1, q))) sawKey = true;
        i = q + 1;
        continue;
      }
      if (c === 0x7b || c === 0x5b) {
        if (c === 0x5b && sawKey && d === 1) return -1;
        d++;
      } else if (c === 0x7d || c === 0x5d) {
        if (--d === 0) return i;
      }
      i++;
    }
    return -1;
  }

  function scan(final: boolean): void {
    const n = buf.length;
    nextQuote = -2; nextBackslash = -2; nextNewline = -2;
    for (; pos < n; pos++) {
      const c = buf.charCodeAt(pos);
      if (inString) {
        if (escape) { escape = false; if (c === 0x0a) line++; }
        else if (c === 0x5c) escape = true;
        else if (c === 0x22) {
          inString = false;
          if (recordStart >= 0 && depth === recordDepth) {
            // A string standing alone at record depth is a record of its own (the adapter rejects it).
            out.push(frame(buf.slice(recordStart, pos + 1), recordLine, recordByte, line));
            recordStart = -1;
            continue;
          }
          if (depth === 1 && recordDepth === 0 && topObjectStart >= 0 && !afterColon) lastKey = buf.slice(strStart + 1, pos);
        } else if (c === 0x0a) line++;
        else {
          nextQuote = after(nextQuote, '"', pos);
          nextBackslash = after(nextBackslash, '\\', pos);
          nextNewline = after(nextNewline, '\n', pos);
          let next = nextQuote === -1 ? n : nextQuote;
          if (nextBackslash !== -1 && nextBackslash < next) next = nextBackslash;
          if (nextNewline !== -1 && nextNewline < next) next = nextNewline;
          pos = next - 1; // the loop's pos++ lands on the next character that matters (or the end)
        }
        continue;
      }
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff) { if (c === 0x0a) line++; continue; }
      // Between records at record depth: separators, container ends, or a record start.
      if (recordStart < 0 && depth === recordDepth) {
        if (c === 0x2c) continue; // ',' separators (and MySQL's trailing commas)
        if (c === 0x5d || c === 0x7d) { // ']' or '}'
          if (recordDepth === 0) { strayCloser(String.fromCharCode(c), pos); continue; }
          if (recordDepth === 2 && c === 0x5d) { depth = 1; recordDepth = -1; continue; } // wrapper array closed
          if (recordDepth === 1 && c === 0x5d) { depth = 0; recordDepth = 0; container = 'value'; continue; }
          strayCloser(String.fromCharCode(c), pos); continue;
        }
        if (recordDepth === 0 && c === 0x5b) { depth = 1; recordDepth = 1; container = 'array'; continue; } // '[' top array
        if (c === 0x7b && quick) {
          const end = quickObject(pos, recordDepth === 0 && unwrap.size > 0);
          if (end >= 0) {
            if (recordDepth === 0) container = 'value';
            out.push(frame(buf.slice(pos, end + 1), line, byteAt(pos), line));
            pos = end; // the loop's pos++ goes on after the record
            continue;
          }
        }
        if (recordDepth === 0 && c === 0x7b && unwrap.size > 0) {
          // A top-level object: a record, unless it turns out to be a wrapper.
          topObjectStart = pos; lastKey = null; afterColon = false;
        }
        recordStart = pos; recordLine = line; recordByte = byteAt(pos);
        if (recordDepth === 0) container = 'value';
      }
      switch (c) {
        case 0x22: inString = true; strStart = pos; break;
        case 0x3a: if (depth === 1 && topObjectStart >= 0) afterColon = true; break;
        case 0x2c: if (depth === 1 && topObjectStart >= 0) { afterColon = false; lastKey = null; } break;
        case 0x7b: case 0x5b:
          if (c === 0x5b && depth === 1 && recordDepth === 0 && topObjectStart >= 0 && afterColon && lastKey !== null && unwrap.has(lastKey)) {
            // The top-level object is a wrapper: its array's elements are the records.
            wrapperKey = lastKey; container = 'wrapper';
            recordStart = -1; recordDepth = 2; depth = 2; topObjectStart = -1;
            break;
          }
          depth++;
          break;
        case 0x7d: case 0x5d:
          if (depth === 0) { strayCloser(String.fromCharCode(c), pos); break; }
          depth--;
          if (depth === 1 && topObjectStart >= 0) afterColon = false;
          if (recordDepth === -1 && depth === 0) { recordDepth = 0; container = 'value'; break; }
          if (recordStart >= 0 && depth === recordDepth) {
            const text = buf.slice(recordStart, pos + 1);
            out.push(frame(text, recordLine, recordByte, line));
            recordStart = -1;
            if (recordDepth === 0) topObjectStart = -1;
          }
          break;
        default:
          // A scalar at record depth is a record on its own (e.g. `null`, or garbage text): frame it
          // up to the next separator so the adapter can reject it with its location.
          if (recordStart === pos && depth === recordDepth) {
            let end = pos;
            while (end < n) {
              const d = buf.charCodeAt(end);
              if (d === 0x2c || d === 0x0a || d === 0x5d || d === 0x7d) break;
              end++;
            }
            if (end === n && !final) return; // need more input to finish the scalar; resume here
            const text = buf.slice(pos, end).trimEnd();
            let err: string | undefined;
            try { JSON.parse(text); } catch { err = `not JSON at line ${line}, byte ${recordByte}: ${preview(text)}`; }
            out.push(frame(text, recordLine, recordByte, line, err));
            recordStart = -1;
            pos = end - 1;
          }
      }
    }
  }

  function compact(): void {
    // Drop what no open record needs, keeping positions consistent.
    const keep = recordStart >= 0 ? recordStart : topObjectStart >= 0 ? topObjectStart : pos;
    if (keep <= 0) return;
    baseByte = byteAt(keep);
    cacheChar = 0; cacheByte = 0;
    asciiFrom = Math.max(0, asciiFrom - keep);
    buf = buf.slice(keep);
    pos -= keep;
    if (recordStart >= 0) recordStart -= keep;
    if (topObjectStart >= 0) topObjectStart -= keep;
    if (strStart >= 0) strStart -= keep;
  }

  for await (const chunk of chunks) {
    append(decoder.write(chunk), chunk);
    scan(false);
    for (const f of out) yield f;
    out.length = 0;
    compact();
  }
  append(decoder.end(), null);
  scan(true);
  for (const f of out) yield f;
  out.length = 0;
  if (recordStart >= 0) {
    const text = buf.slice(recordStart);
    yield frame(text, recordLine, recordByte, line, `truncated record at end of input (line ${recordLine}, byte ${recordByte}): ${inString ? 'a string' : 'an object or array'} is never closed`);
  } else if (recordDepth === 2 || recordDepth === -1) {
    // A wrapper object never closed: the records were read, but say the file is cut short.
    yield frame('', line, byteAt(buf.length), line, `the wrapper object is never closed: the file ends early (line ${line}); the records before the end were read`);
  }
}

function preview(s: string): string {
  const t = s.replace(/\s+/g, ' ');
  return t.length > 60 ? `${t.slice(0, 60)}…` : t;
}

/** Parses a framed record as a JSON object, or returns a reason it is not one. */
export function parseJsonObject(text: string): { value: Record<string, unknown> } | { error: string } {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { return { error: `invalid JSON: ${(e as Error).message}` }; }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'not a JSON object' };
  return { value: v as Record<string, unknown> };
}
