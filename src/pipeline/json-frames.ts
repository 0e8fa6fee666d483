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
import { createHash, type Hash } from 'node:crypto';
import { sha256Hex } from '../event/hash.js';
import type { RawRecord } from './types.js';
import { DEFAULT_MAX_RECORD_BYTES, KEPT_HEAD } from './lines.js';

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
  /** A record (or a damaged stretch) longer than this many characters is rejected (default 8 MiB). */
  maxRecordBytes?: number;
  /** Start as if these were the line, byte offset, record index and record signature reached (json-lines.ts hands over mid-input). */
  resume?: { line: number; byteOffset: number; index: number; sig: string | null };
}

export { DEFAULT_MAX_RECORD_BYTES, KEPT_HEAD };

// The framer validates each record it frames (JSON.parse, once) and hands the parsed value to the
// adapter on the record itself (two symbol-keyed properties: never serialized, copied by a spread),
// so resynchronizing costs no second parse. Checked against the text: a record whose text was
// changed afterwards (redaction) is parsed again. (A WeakMap keyed by the record did the same but
// cost ~5% of a CloudTrail run in garbage collection of its ephemeron table.)
const PARSED_TEXT = Symbol('parsed.text');
const PARSED_VALUE = Symbol('parsed.value');
type Parsed = { [PARSED_TEXT]?: string; [PARSED_VALUE]?: unknown };

/** Hands a frame's parsed value to parseFramed (for json-lines.ts, which parses as this framer does). */
export function attachParsed(f: JsonFrame, text: string, value: unknown): void {
  (f as Parsed)[PARSED_TEXT] = text;
  (f as Parsed)[PARSED_VALUE] = value;
}

/** JSON.parse of a framed record's text, reusing the framer's parse when the text is unchanged. */
export function parseFramed(raw: { text: string }): unknown {
  const p = raw as Parsed & { text: string };
  if (p[PARSED_TEXT] === raw.text) return p[PARSED_VALUE];
  return JSON.parse(raw.text);
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
  const maxRecord = Math.max(64, opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
  const decoder = new StringDecoder('utf8');
  let buf = '';
  // Position bookkeeping for `buf[0]`.
  let baseByte = opts.resume?.byteOffset ?? 0;
  // Scanner state.
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** Depth at which records sit: 0 top-level values, 1 top-level array elements, 2 wrapper elements, -1 inside a wrapper's other keys. */
  let recordDepth = 0;
  let recordStart = -1;
  let recordLine = 1;
  let recordByte = 0;
  /** Column of the open record's first character: a line that opens an object at or left of it starts a new record. */
  let recordCol = 0;
  let container: JsonFrame['container'] = 'value';
  let wrapperKey: string | undefined;
  let index = opts.resume?.index ?? 0;
  // Key tracking inside a top-level object (depth 1), to spot wrapper keys.
  let strStart = -1;
  let lastKey: string | null = null;
  let afterColon = false;
  let topObjectStart = -1;
  let line = opts.resume?.line ?? 1;
  let pos = 0;
  /** Index in `buf` where the current line starts (may be negative after a compaction: only differences matter). */
  let lineStart = 0;
  /** How the last good record begins up to its first key (e.g. `{"eventVersion"`): an in-line resynchronization point begins the same way. */
  let sig: string | null = opts.resume?.sig ?? null;
  let damagedToEnd = false;
  // A damaged stretch being skipped: from `dmgStart` (index in buf) to the next recovery point.
  let dmg: {
    reason: string;
    line: number;
    byte: number;
    col: number;
    hash: Hash | null;
    head: string;
    chars: number;
  } | null = null;
  let dmgStart = -1;

  // Byte offsets are computed incrementally from the last position asked for, so the cost stays
  // linear in the input (positions asked for only grow between compactions).
  // Every character of `buf` from `asciiFrom` on came from an all-ASCII chunk, so there one
  // character is one byte and Buffer.byteLength (a pass over each record's text, ~1 us per
  // CloudTrail record) is needed only for the part before it.
  let cacheChar = 0;
  let cacheByte = 0;
  let asciiFrom = 0;
  const byteAt = (p: number): number => {
    if (p < cacheChar) {
      cacheChar = 0;
      cacheByte = 0;
    }
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
    out.push(
      frame(
        c,
        line,
        byteAt(p),
        line,
        `unexpected '${c}' at line ${line}, byte ${byteAt(p)}: the file is not valid JSON here (a hand-concatenated or truncated file?); records before and after it are read`,
      ),
    );
  }

  // Inside a string only '"', '\\' and '\n' matter: the scanner jumps to the next of them with
  // indexOf instead of looking at every character (strings are most of a JSON record's bytes; the
  // per-character loop was the top self-time function of a CloudTrail normalize profile). The next
  // backslash and newline are rare, so their positions are cached for the current `buf`.
  let nextQuote = -2;
  let nextBackslash = -2;
  let nextNewline = -2;
  const after = (cached: number, ch: string, p: number): number =>
    cached === -1 || cached >= p ? cached : buf.indexOf(ch, p);

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

  // ---- Damage and resynchronization. Only damaged input reaches these functions. ----

  const countNewlines = (from: number, to: number): number => {
    let k = 0;
    for (let i = buf.indexOf('\n', from); i >= 0 && i < to; i = buf.indexOf('\n', i + 1)) k++;
    return k;
  };
  const where = (ln: number, lnEnd: number): string => (lnEnd > ln ? `lines ${ln}-${lnEnd}` : `line ${ln}`);

  /** Restarts the scanner at `c` (a '{' where a record starts), in the state "between records". */
  function resetTo(c: number): void {
    line += countNewlines(pos < c ? pos : c, pos < c ? c : pos) * (pos < c ? 1 : -1);
    const nlb = buf.lastIndexOf('\n', c - 1);
    if (nlb >= 0) lineStart = nlb + 1;
    depth = recordDepth;
    inString = false;
    escaped = false;
    recordStart = -1;
    if (recordDepth === 0) topObjectStart = -1;
    afterColon = false;
    lastKey = null;
    strStart = -1;
    nextQuote = -2;
    nextBackslash = -2;
    nextNewline = -2;
    pos = c - 1; // the loop's pos++ lands on c
  }

  /**
   * A '{' after the damaged record's start, on the same line, where a good record starts: after a
   * ',' or '[' (or a '}' between top-level values), starting with the key good records start with
   * when one is known, closing before the line ends and parsing. Tried a bounded number of times.
   */
  function inlineCandidate(from: number, to: number): number {
    const probe = sig ?? '{';
    let tries = 0;
    for (let c = buf.indexOf(probe, from); c >= 0 && c < to && tries < 64; c = buf.indexOf(probe, c + 1)) {
      let b = c - 1;
      while (b >= 0 && (buf.charCodeAt(b) === 0x20 || buf.charCodeAt(b) === 0x09)) b--;
      const prev = b >= 0 ? buf.charCodeAt(b) : -1;
      if (!(prev === 0x2c || prev === 0x5b || (recordDepth === 0 && prev === 0x7d))) continue;
      tries++;
      const end = quickObject(c, false);
      if (end < 0) continue;
      try {
        const v: unknown = JSON.parse(buf.slice(c, end + 1));
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) return c;
      } catch {
        /* not a record start */
      }
    }
    return -1;
  }

  /**
   * The first non-blank character of the line starting at `p` when it opens an object at column
   * `col` or left of it (a recovery point): its index; -1 when it does not; -2 when `buf` ends first.
   */
  function lineBoundary(p: number, col: number, final: boolean): number {
    let q = p;
    while (q < buf.length) {
      const c = buf.charCodeAt(q);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0xfeff) break;
      q++;
    }
    if (q >= buf.length) return final ? -1 : -2;
    return buf.charCodeAt(q) === 0x7b && q - p <= col ? q : -1;
  }

  /** Yields the damaged stretch [start, end) as one error record saying how far the damage reached. */
  function damaged(
    start: number,
    end: number,
    ln: number,
    byte: number,
    reason: string,
    resumeLine: number | null,
    spill: { hash: Hash; head: string; chars: number } | null,
    spillEndLine = line,
  ): void {
    let text: string;
    let sha: string;
    const lnEnd = ln + Math.max(0, spill ? 0 : countNewlines(start, end));
    if (spill) {
      spill.hash.update(buf.slice(start, end));
      text = spill.head;
      sha = spill.hash.digest('hex');
    } else {
      text = buf.slice(start, end).replace(/\s+$/, '');
      sha = sha256Hex(text);
    }
    const endLine = spill ? spillEndLine : lnEnd;
    if (resumeLine === null) damagedToEnd = true;
    const reach =
      resumeLine !== null
        ? `; the damage reaches ${where(ln, endLine)}, reading resumed at line ${resumeLine}`
        : `; the damage reaches ${where(ln, endLine)}, the end of the input`;
    const size = spill
      ? ` (${spill.chars + (end - start)} characters: the first ${KEPT_HEAD} are kept, the hash covers all of them)`
      : '';
    const f = frame(text, ln, byte, endLine, `${reason}${reach}${size}`);
    f.sha256 = sha;
    out.push(f);
  }

  /** The open record cannot be framed: reject it up to the next recovery point, or skip ahead to one. */
  function recordDamaged(reason: string, at: number, final: boolean, inline = true): 'resumed' | 'wait' | 'skipping' {
    // 1. A good record later on the same line (single-line arrays and wrappers).
    const nl = buf.indexOf('\n', at);
    const lineEnd = nl < 0 ? buf.length : nl;
    const c = inline ? inlineCandidate(recordStart + 1, lineEnd) : -1;
    if (c >= 0) {
      const ln = recordLine + countNewlines(recordStart, c);
      damaged(recordStart, c, recordLine, recordByte, reason, ln, null);
      resetTo(c);
      return 'resumed';
    }
    if (inline && nl < 0 && !final) return 'wait';
    // 2. Skip to the next line that opens a record at the record's column.
    dmg = { reason, line: recordLine, byte: recordByte, col: recordCol, hash: null, head: '', chars: 0 };
    dmgStart = recordStart;
    recordStart = -1;
    if (recordDepth === 0) topObjectStart = -1;
    depth = recordDepth;
    inString = false;
    escaped = false;
    nextQuote = -2;
    nextBackslash = -2;
    nextNewline = -2;
    pos = at; // the damaged-mode loop looks for newlines from `at` on (callers in the scan loop step back one)
    return 'skipping';
  }

  /** Damaged mode: only newlines matter, until a line opens a record at the damaged record's column. */
  function skipDamaged(final: boolean): 'resumed' | 'wait' {
    const d = dmg!;
    for (;;) {
      const nl = buf.indexOf('\n', pos);
      if (nl < 0) {
        pos = buf.length;
        return 'wait';
      }
      const b = lineBoundary(nl + 1, d.col, final);
      if (b === -2) {
        pos = nl;
        return 'wait';
      }
      line++;
      lineStart = nl + 1;
      pos = nl + 1;
      if (b >= 0) {
        damaged(dmgStart, nl, d.line, d.byte, d.reason, line, spillOf(d), line - 1);
        dmg = null;
        dmgStart = -1;
        resetTo(b);
        return 'resumed';
      }
    }
  }

  const spillOf = (d: NonNullable<typeof dmg>): { hash: Hash; head: string; chars: number } | null =>
    d.hash ? { hash: d.hash, head: d.head, chars: d.chars } : null;

  /** A newline at `p` outside strings while a record is open: a line opening an object at the record's column means the record never closed. */
  function openRecordNewline(p: number, final: boolean): 'ok' | 'wait' | 'resumed' {
    const b = lineBoundary(p + 1, recordCol, final);
    if (b === -2) return 'wait';
    if (b === -1) return 'ok';
    const ln = line + 1;
    damaged(
      recordStart,
      p,
      recordLine,
      recordByte,
      `record never closes (a missing '}' or ']', or a stray '{')`,
      ln,
      null,
    );
    pos = p;
    resetTo(b);
    return 'resumed';
  }

  /** A frame closed at `end`: validate it (the parse is reused by the adapter); on failure look for a good record inside it. */
  function closeRecord(start: number, end: number, ln: number, byte: number): boolean {
    const text = buf.slice(start, end + 1);
    let value: unknown;
    let ok = true;
    try {
      value = JSON.parse(text);
    } catch {
      ok = false;
    }
    if (ok) {
      const f = frame(text, ln, byte, line);
      (f as Parsed)[PARSED_TEXT] = text;
      (f as Parsed)[PARSED_VALUE] = value;
      if (sig === null || !text.startsWith(sig)) {
        const m = /^\{[ \t]*"[A-Za-z0-9_@$.-]{1,40}"/.exec(text);
        if (m) sig = m[0];
      }
      out.push(f);
      return false;
    }
    const c = inlineCandidate(start + 1, end + 1);
    if (c >= 0) {
      const resume = ln + countNewlines(start, c);
      damaged(start, c, ln, byte, 'damaged record: not valid JSON', resume, null);
      pos = end;
      line = resume + countNewlines(c, end);
      resetTo(c);
      return true;
    }
    out.push(frame(text, ln, byte, line)); // the adapter rejects it with the parser's message
    return false;
  }

  function scan(final: boolean): void {
    const n = buf.length;
    nextQuote = -2;
    nextBackslash = -2;
    nextNewline = -2;
    for (; pos < n; pos++) {
      if (dmg !== null) {
        const r = skipDamaged(final);
        if (r === 'wait') {
          if (final) {
            const tail = buf.slice(dmgStart, n).trimEnd();
            if (dmg.hash === null && dmg.reason.includes('a string is not closed') && !tail.includes('\n')) {
              // A half-written last line: said as such.
              dmg.reason = `truncated record at end of input (line ${dmg.line}, byte ${dmg.byte}): a string is never closed`;
              damagedToEnd = true;
              const f = frame(tail, dmg.line, dmg.byte, line, dmg.reason);
              out.push(f);
            } else damaged(dmgStart, n, dmg.line, dmg.byte, dmg.reason, null, spillOf(dmg));
            dmg = null;
            dmgStart = -1;
            pos = n;
          }
          return;
        }
        continue;
      }
      const c = buf.charCodeAt(pos);
      if (inString) {
        if (c === 0x0a) {
          // A raw newline never occurs inside a JSON string: the record is damaged here.
          if (recordStart < 0) {
            inString = false;
            escaped = false;
            line++;
            lineStart = pos + 1;
            continue;
          }
          const r = recordDamaged(`damaged record: a string is not closed before the end of line ${line}`, pos, final);
          if (r === 'wait') return;
          if (r === 'skipping') pos--;
          continue;
        }
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) {
          inString = false;
          if (recordStart >= 0 && depth === recordDepth) {
            // A string standing alone at record depth is a record of its own (the adapter rejects it).
            out.push(frame(buf.slice(recordStart, pos + 1), recordLine, recordByte, line));
            recordStart = -1;
            continue;
          }
          if (depth === 1 && recordDepth === 0 && topObjectStart >= 0 && !afterColon)
            lastKey = buf.slice(strStart + 1, pos);
        } else {
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
      if (c === 0x0a) {
        if (recordStart >= 0 && recordStart < pos) {
          const r = openRecordNewline(pos, final);
          if (r === 'wait') return;
          if (r === 'resumed') continue;
        }
        line++;
        lineStart = pos + 1;
        continue;
      }
      if (c === 0x20 || c === 0x0d || c === 0x09 || c === 0xfeff) continue;
      // Between records at record depth: separators, container ends, or a record start.
      if (recordStart < 0 && depth === recordDepth) {
        if (c === 0x2c) continue; // ',' separators (and MySQL's trailing commas)
        if (c === 0x5d || c === 0x7d) {
          // ']' or '}'
          if (recordDepth === 0) {
            strayCloser(String.fromCharCode(c), pos);
            continue;
          }
          if (recordDepth === 2 && c === 0x5d) {
            depth = 1;
            recordDepth = -1;
            continue;
          } // wrapper array closed
          if (recordDepth === 1 && c === 0x5d) {
            depth = 0;
            recordDepth = 0;
            container = 'value';
            continue;
          }
          strayCloser(String.fromCharCode(c), pos);
          continue;
        }
        if (recordDepth === 0 && c === 0x5b) {
          depth = 1;
          recordDepth = 1;
          container = 'array';
          continue;
        } // '[' top array
        if (c === 0x5b && recordDepth >= 1) {
          // An array where an element starts: a stray (duplicated) '[' line; the elements after it
          // are read as elements of the array they are in.
          out.push(
            frame(
              '[',
              line,
              byteAt(pos),
              line,
              `unexpected '[' at line ${line}, byte ${byteAt(pos)}: an array inside the array of records (a duplicated line?); the records around it are read`,
            ),
          );
          continue;
        }
        if (c === 0x7b && quick) {
          const end = quickObject(pos, recordDepth === 0 && unwrap.size > 0);
          if (end >= 0) {
            if (recordDepth === 0) container = 'value';
            recordCol = pos - lineStart;
            if (!closeRecord(pos, end, line, byteAt(pos))) pos = end; // the loop's pos++ goes on after the record
            continue;
          }
        }
        if (recordDepth === 0 && c === 0x7b && unwrap.size > 0) {
          // A top-level object: a record, unless it turns out to be a wrapper.
          topObjectStart = pos;
          lastKey = null;
          afterColon = false;
        }
        recordStart = pos;
        recordLine = line;
        recordByte = byteAt(pos);
        recordCol = pos - lineStart;
        if (recordDepth === 0) container = 'value';
      }
      switch (c) {
        case 0x22:
          inString = true;
          strStart = pos;
          break;
        case 0x3a:
          if (depth === 1 && topObjectStart >= 0) afterColon = true;
          break;
        case 0x2c:
          if (depth === 1 && topObjectStart >= 0) {
            afterColon = false;
            lastKey = null;
          }
          break;
        case 0x7b:
        case 0x5b:
          if (
            c === 0x5b &&
            depth === 1 &&
            recordDepth === 0 &&
            topObjectStart >= 0 &&
            afterColon &&
            lastKey !== null &&
            unwrap.has(lastKey)
          ) {
            // The top-level object is a wrapper: its array's elements are the records.
            wrapperKey = lastKey;
            container = 'wrapper';
            recordStart = -1;
            recordDepth = 2;
            depth = 2;
            topObjectStart = -1;
            break;
          }
          depth++;
          break;
        case 0x7d:
        case 0x5d:
          if (depth === 0) {
            strayCloser(String.fromCharCode(c), pos);
            break;
          }
          depth--;
          if (depth === 1 && topObjectStart >= 0) afterColon = false;
          if (recordDepth === -1 && depth === 0) {
            recordDepth = 0;
            container = 'value';
            break;
          }
          if (recordStart >= 0 && depth === recordDepth) {
            const start = recordStart;
            recordStart = -1;
            if (recordDepth === 0) topObjectStart = -1;
            closeRecord(start, pos, recordLine, recordByte);
          }
          break;
        default:
          // A scalar at record depth is a record on its own (e.g. `null`, or garbage text): frame it
          // up to the next separator so the adapter can reject it with its location.
          if (recordStart === pos && depth === recordDepth) {
            let end = n;
            for (const ch of [',', '\n', ']', '}']) {
              const k = buf.indexOf(ch, pos);
              if (k >= 0 && k < end) end = k;
            }
            if (end === n && !final) {
              if (n - pos > maxRecord) {
                recordDamaged(`text that is not JSON, longer than ${maxRecord} characters`, pos, final, false);
                pos--;
                continue;
              }
              return; // need more input to finish the scalar; resume here
            }
            const text = buf.slice(pos, end).trimEnd();
            let err: string | undefined;
            try {
              JSON.parse(text);
            } catch {
              err = `not JSON at line ${line}, byte ${recordByte}: ${preview(text)}`;
            }
            out.push(frame(text, recordLine, recordByte, line, err));
            recordStart = -1;
            pos = end - 1;
          }
      }
    }
  }

  /** An open record (or damaged stretch) past the size limit is skipped ahead, keeping its head and hash. */
  function bound(): void {
    if (dmg === null && recordStart >= 0 && buf.length - recordStart > maxRecord) {
      recordDamaged(`record longer than the limit of ${maxRecord} characters (--max-record-bytes)`, pos, false, false);
    }
    if (dmg !== null && dmg.hash === null && pos - dmgStart > maxRecord) {
      dmg.hash = createHash('sha256');
      dmg.head = buf.slice(dmgStart, dmgStart + KEPT_HEAD);
    }
    if (dmg !== null && dmg.hash !== null && pos > dmgStart) {
      dmg.hash.update(buf.slice(dmgStart, pos));
      dmg.chars += pos - dmgStart;
      dmgStart = pos;
    }
  }

  function compact(): void {
    // Drop what no open record needs, keeping positions consistent.
    const keep = dmg !== null ? dmgStart : recordStart >= 0 ? recordStart : topObjectStart >= 0 ? topObjectStart : pos;
    if (keep <= 0) return;
    baseByte = byteAt(keep);
    cacheChar = 0;
    cacheByte = 0;
    asciiFrom = Math.max(0, asciiFrom - keep);
    buf = buf.slice(keep);
    pos -= keep;
    lineStart -= keep;
    if (recordStart >= 0) recordStart -= keep;
    if (topObjectStart >= 0) topObjectStart -= keep;
    if (strStart >= 0) strStart -= keep;
    if (dmgStart >= 0) dmgStart -= keep;
  }

  for await (const chunk of chunks) {
    append(decoder.write(chunk), chunk);
    scan(false);
    for (const f of out) yield f;
    out.length = 0;
    bound();
    for (const f of out) yield f;
    out.length = 0;
    compact();
  }
  append(decoder.end(), null);
  scan(true);
  // A record still open at the end: a good record later on its line means it was damaged (the
  // scan resumes there); otherwise it is the truncated last record.
  for (let guard = 0; recordStart >= 0 && dmg === null && guard < 1_000_000; guard++) {
    const c = inlineCandidate(recordStart + 1, buf.length);
    if (c < 0) break;
    const ln = recordLine + countNewlines(recordStart, c);
    damaged(recordStart, c, recordLine, recordByte, 'damaged record: it never closes', ln, null);
    pos = buf.length;
    resetTo(c);
    pos++;
    scan(true);
  }
  for (const f of out) yield f;
  out.length = 0;
  if (recordStart >= 0) {
    const text = buf.slice(recordStart);
    yield frame(
      text,
      recordLine,
      recordByte,
      line,
      `truncated record at end of input (line ${recordLine}, byte ${recordByte}): ${inString ? 'a string' : 'an object or array'} is never closed`,
    );
  } else if ((recordDepth === 2 || recordDepth === -1) && !damagedToEnd) {
    // A wrapper object never closed: the records were read, but say the file is cut short.
    yield frame(
      '',
      line,
      byteAt(buf.length),
      line,
      `the wrapper object is never closed: the file ends early (line ${line}); the records before the end were read`,
    );
  }
}

function preview(s: string): string {
  const t = s.replace(/\s+/g, ' ');
  return t.length > 60 ? `${t.slice(0, 60)}…` : t;
}

/** Parses a framed record as a JSON object, or returns a reason it is not one. */
export function parseJsonObject(
  text: string | { text: string },
): { value: Record<string, unknown> } | { error: string } {
  let v: unknown;
  try {
    v = typeof text === 'string' ? JSON.parse(text) : parseFramed(text);
  } catch (e) {
    return { error: `invalid JSON: ${(e as Error).message}` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'not a JSON object' };
  return { value: v as Record<string, unknown> };
}
