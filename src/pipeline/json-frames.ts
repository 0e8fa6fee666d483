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
import { eachRecord } from './batch.js';

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

export function frameJson(chunks: AsyncIterable<Buffer>, opts: JsonFrameOptions): AsyncGenerator<JsonFrame> {
  return eachRecord(frameJsonBatches(chunks, opts));
}

/** frameJson in batches: the frames each chunk completes, as one array (never empty). */
export async function* frameJsonBatches(
  chunks: AsyncIterable<Buffer>,
  opts: JsonFrameOptions,
): AsyncGenerator<JsonFrame[]> {
  const f = new JsonFramer(opts);
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) {
    f.append(decoder.write(chunk), chunk);
    f.scan(false);
    f.bound();
    if (f.out.length > 0) yield f.out.splice(0);
    f.compact();
  }
  f.append(decoder.end(), null);
  f.scan(true);
  f.resumeAfterOpenRecords();
  const last = f.endOfInput();
  if (last) f.out.push(last);
  if (f.out.length > 0) yield f.out.splice(0);
}

/** A damaged stretch being skipped: where it began and, once past the size limit, its head and running hash. */
interface Damage {
  reason: string;
  line: number;
  byte: number;
  col: number;
  hash: Hash | null;
  head: string;
  chars: number;
}

/** A damaged stretch's hash and head, when it outgrew the size limit. */
type Spill = { hash: Hash; head: string; chars: number };

const where = (ln: number, lnEnd: number): string => (lnEnd > ln ? `lines ${ln}-${lnEnd}` : `line ${ln}`);
const spillOf = (d: Damage): Spill | null => (d.hash ? { hash: d.hash, head: d.head, chars: d.chars } : null);

/**
 * The framer's state and steps. `scan` is the byte loop (string state, depth, record boundaries);
 * what happens rarely (a record starting or closing, a wrapper, damage and resynchronization) is
 * in methods it calls, so the loop stays tight.
 */
class JsonFramer {
  /** Frames found, handed out by frameJson after each step. */
  readonly out: JsonFrame[] = [];
  private readonly file: string;
  private readonly unwrap: Set<string>;
  private readonly unwrapLengths: Set<number>;
  private readonly quick: boolean;
  private readonly maxRecord: number;
  private buf = '';
  /** Byte offset of `buf[0]`. */
  private baseByte = 0;
  // Scanner state.
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Depth at which records sit: 0 top-level values, 1 top-level array elements, 2 wrapper elements, -1 inside a wrapper's other keys. */
  private recordDepth = 0;
  private recordStart = -1;
  private recordLine = 1;
  private recordByte = 0;
  /** Column of the open record's first character: a line that opens an object at or left of it starts a new record. */
  private recordCol = 0;
  private container: JsonFrame['container'] = 'value';
  private wrapperKey: string | undefined;
  private index = 0;
  // Key tracking inside a top-level object (depth 1), to spot wrapper keys.
  private strStart = -1;
  private lastKey: string | null = null;
  private afterColon = false;
  private topObjectStart = -1;
  private line = 1;
  private pos = 0;
  /** Index in `buf` where the current line starts (may be negative after a compaction: only differences matter). */
  private lineStart = 0;
  /** How the last good record begins up to its first key (e.g. `{"eventVersion"`): an in-line resynchronization point begins the same way. */
  private sig: string | null = null;
  private damagedToEnd = false;
  /** A damaged stretch being skipped: from `dmgStart` (index in buf) to the next recovery point. */
  private dmg: Damage | null = null;
  private dmgStart = -1;
  // Byte offsets are computed incrementally from the last position asked for, so the cost stays
  // linear in the input (positions asked for only grow between compactions).
  // Every character of `buf` from `asciiFrom` on came from an all-ASCII chunk, so there one
  // character is one byte and Buffer.byteLength (a pass over each record's text, ~1 us per
  // CloudTrail record) is needed only for the part before it.
  private cacheChar = 0;
  private cacheByte = 0;
  private asciiFrom = 0;
  // Inside a string only '"', '\\' and '\n' matter: the scanner jumps to the next of them with
  // indexOf instead of looking at every character (strings are most of a JSON record's bytes; the
  // per-character loop was the top self-time function of a CloudTrail normalize profile). The next
  // backslash and newline are rare, so their positions are cached for the current `buf`.
  private nextQuote = -2;
  private nextBackslash = -2;
  private nextNewline = -2;

  constructor(opts: JsonFrameOptions) {
    this.file = opts.file;
    this.unwrap = new Set(opts.unwrap ?? []);
    this.unwrapLengths = new Set([...this.unwrap].map((k) => k.length));
    this.quick = opts.quick !== false;
    this.maxRecord = Math.max(64, opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES);
    if (opts.resume) {
      this.baseByte = opts.resume.byteOffset;
      this.index = opts.resume.index;
      this.line = opts.resume.line;
      this.sig = opts.resume.sig;
    }
  }

  private byteAt(p: number): number {
    if (p < this.cacheChar) {
      this.cacheChar = 0;
      this.cacheByte = 0;
    }
    if (this.cacheChar >= this.asciiFrom) this.cacheByte += p - this.cacheChar;
    else if (p <= this.asciiFrom) this.cacheByte += Buffer.byteLength(this.buf.slice(this.cacheChar, p));
    else this.cacheByte += Buffer.byteLength(this.buf.slice(this.cacheChar, this.asciiFrom)) + (p - this.asciiFrom);
    this.cacheChar = p;
    return this.baseByte + this.cacheByte;
  }

  /** Appends decoded text; a chunk is ASCII when all its bytes are and the decoder held nothing back. */
  append(text: string, chunk: Buffer | null): void {
    const ascii = chunk !== null && text.length === chunk.length && isAscii(chunk);
    this.buf += text;
    if (!ascii && text.length > 0) this.asciiFrom = this.buf.length;
  }

  private frame(text: string, ln: number, byteOffset: number, lineEnd: number, error?: string): JsonFrame {
    const f: JsonFrame = {
      text,
      location: { file: this.file, line: ln, line_end: lineEnd, byte_offset: byteOffset, index: this.index++ },
      sha256: sha256Hex(text),
      container: this.container,
    };
    if (this.wrapperKey !== undefined && this.container === 'wrapper') f.wrapperKey = this.wrapperKey;
    if (error) f.error = error;
    return f;
  }

  private strayCloser(code: number, p: number): void {
    const c = String.fromCharCode(code);
    const line = this.line;
    this.out.push(
      this.frame(
        c,
        line,
        this.byteAt(p),
        line,
        `unexpected '${c}' at line ${line}, byte ${this.byteAt(p)}: the file is not valid JSON here (a hand-concatenated or truncated file?); records before and after it are read`,
      ),
    );
  }

  /**
   * The byte loop. Strings, depth and newlines are followed here; a record boundary, a closing
   * record, a wrapper and damage go to the methods below. Returns when `buf` is used up or more
   * input is needed (`final`: there is no more).
   */
  scan(final: boolean): void {
    const buf = this.buf;
    const n = buf.length;
    this.nextQuote = -2;
    this.nextBackslash = -2;
    this.nextNewline = -2;
    for (; this.pos < n; this.pos++) {
      if (this.dmg !== null) {
        if (this.skipDamaged(final) === 'wait') {
          if (final) this.damagedAtEnd();
          return;
        }
        continue;
      }
      const c = buf.charCodeAt(this.pos);
      if (this.inString) {
        if (c === 0x0a) {
          // A raw newline never occurs inside a JSON string: the record is damaged here.
          if (!this.newlineInString(final)) return;
        } else if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) {
          this.inString = false;
          if (this.recordStart >= 0 && this.depth === this.recordDepth) this.stringRecord();
          else if (this.depth === 1 && this.recordDepth === 0 && this.topObjectStart >= 0 && !this.afterColon)
            this.lastKey = buf.slice(this.strStart + 1, this.pos);
        } else {
          const p = this.pos;
          const q = (this.nextQuote =
            this.nextQuote === -1 || this.nextQuote >= p ? this.nextQuote : buf.indexOf('"', p));
          const b = (this.nextBackslash =
            this.nextBackslash === -1 || this.nextBackslash >= p ? this.nextBackslash : buf.indexOf('\\', p));
          const nl = (this.nextNewline =
            this.nextNewline === -1 || this.nextNewline >= p ? this.nextNewline : buf.indexOf('\n', p));
          let next = q === -1 ? n : q;
          if (b !== -1 && b < next) next = b;
          if (nl !== -1 && nl < next) next = nl;
          this.pos = next - 1; // the loop's pos++ lands on the next character that matters (or the end)
        }
        continue;
      }
      if (c === 0x0a) {
        if (this.recordStart >= 0 && this.recordStart < this.pos) {
          const r = this.openRecordNewline(this.pos, final);
          if (r === 'wait') return;
          if (r === 'resumed') continue;
        }
        this.line++;
        this.lineStart = this.pos + 1;
        continue;
      }
      if (c === 0x20 || c === 0x0d || c === 0x09 || c === 0xfeff) continue;
      if (this.recordStart < 0 && this.depth === this.recordDepth && this.betweenRecords(c)) continue;
      switch (c) {
        case 0x22:
          this.inString = true;
          this.strStart = this.pos;
          break;
        case 0x3a:
          if (this.depth === 1 && this.topObjectStart >= 0) this.afterColon = true;
          break;
        case 0x2c:
          if (this.depth === 1 && this.topObjectStart >= 0) {
            this.afterColon = false;
            this.lastKey = null;
          }
          break;
        case 0x7b:
        case 0x5b:
          if (c === 0x5b && this.depth === 1 && this.recordDepth === 0 && this.wrapperOpens()) break;
          this.depth++;
          break;
        case 0x7d:
        case 0x5d:
          this.closer(c);
          break;
        default:
          // A scalar at record depth is a record on its own (e.g. `null`, or garbage text).
          if (this.recordStart === this.pos && this.depth === this.recordDepth && !this.scalarRecord(final)) return;
      }
    }
  }

  // ---- Record boundaries. Once per record, not per byte. ----

  /**
   * A character other than blank or newline at record depth with no record open: a separator, a
   * container's start or end, a whole object framed by the quick scan (true: the loop goes on after
   * it), or the start of a record (false: the loop goes on to read the character inside it).
   */
  private betweenRecords(c: number): boolean {
    const pos = this.pos;
    if (c === 0x2c) return true; // ',' separators (and MySQL's trailing commas)
    if (c === 0x5d || c === 0x7d) {
      this.containerCloses(c);
      return true;
    }
    if (c === 0x5b) {
      if (this.recordDepth === 0) {
        // '[' top array
        this.depth = 1;
        this.recordDepth = 1;
        this.container = 'array';
        return true;
      }
      if (this.recordDepth >= 1) {
        this.strayArray();
        return true;
      }
    }
    if (c === 0x7b && this.quick) {
      const end = this.quickObject(pos, this.recordDepth === 0 && this.unwrap.size > 0);
      if (end >= 0) {
        if (this.recordDepth === 0) this.container = 'value';
        this.recordCol = pos - this.lineStart;
        if (!this.closeRecord(pos, end, this.line, this.byteAt(pos))) this.pos = end; // the loop's pos++ goes on after the record
        return true;
      }
    }
    if (this.recordDepth === 0 && c === 0x7b && this.unwrap.size > 0) {
      // A top-level object: a record, unless it turns out to be a wrapper.
      this.topObjectStart = pos;
      this.lastKey = null;
      this.afterColon = false;
    }
    this.recordStart = pos;
    this.recordLine = this.line;
    this.recordByte = this.byteAt(pos);
    this.recordCol = pos - this.lineStart;
    if (this.recordDepth === 0) this.container = 'value';
    return false;
  }

  /** ']' or '}' where a record would start: the end of the records' array, else a stray closer. */
  private containerCloses(c: number): void {
    if (this.recordDepth === 2 && c === 0x5d) {
      // wrapper array closed
      this.depth = 1;
      this.recordDepth = -1;
    } else if (this.recordDepth === 1 && c === 0x5d) {
      this.depth = 0;
      this.recordDepth = 0;
      this.container = 'value';
    } else this.strayCloser(c, this.pos);
  }

  /**
   * An array where an element starts: a stray (duplicated) '[' line; the elements after it are
   * read as elements of the array they are in.
   */
  private strayArray(): void {
    const at = this.byteAt(this.pos);
    this.out.push(
      this.frame(
        '[',
        this.line,
        at,
        this.line,
        `unexpected '[' at line ${this.line}, byte ${at}: an array inside the array of records (a duplicated line?); the records around it are read`,
      ),
    );
  }

  /** A '[' at depth 1 of a top-level object: true when it is a wrapper key's array (its elements are the records). */
  private wrapperOpens(): boolean {
    if (this.topObjectStart < 0 || !this.afterColon || this.lastKey === null || !this.unwrap.has(this.lastKey))
      return false;
    this.wrapperKey = this.lastKey;
    this.container = 'wrapper';
    this.recordStart = -1;
    this.recordDepth = 2;
    this.depth = 2;
    this.topObjectStart = -1;
    return true;
  }

  /** '}' or ']' inside a record or a wrapper: one level up; the record closes when it reaches record depth. */
  private closer(c: number): void {
    if (this.depth === 0) {
      this.strayCloser(c, this.pos);
      return;
    }
    this.depth--;
    if (this.depth === 1 && this.topObjectStart >= 0) this.afterColon = false;
    if (this.recordDepth === -1 && this.depth === 0) {
      this.recordDepth = 0;
      this.container = 'value';
      return;
    }
    if (this.recordStart >= 0 && this.depth === this.recordDepth) {
      const start = this.recordStart;
      this.recordStart = -1;
      if (this.recordDepth === 0) this.topObjectStart = -1;
      this.closeRecord(start, this.pos, this.recordLine, this.recordByte);
    }
  }

  /** A string standing alone at record depth is a record of its own (the adapter rejects it). */
  private stringRecord(): void {
    this.out.push(
      this.frame(this.buf.slice(this.recordStart, this.pos + 1), this.recordLine, this.recordByte, this.line),
    );
    this.recordStart = -1;
  }

  /**
   * A scalar starting a record: framed up to the next separator so the adapter can reject it with
   * its location. False when more input is needed to finish it (the scan resumes here).
   */
  private scalarRecord(final: boolean): boolean {
    const buf = this.buf;
    const n = buf.length;
    const pos = this.pos;
    let end = n;
    for (const ch of [',', '\n', ']', '}']) {
      const k = buf.indexOf(ch, pos);
      if (k >= 0 && k < end) end = k;
    }
    if (end === n && !final) {
      if (n - pos <= this.maxRecord) return false;
      this.recordDamaged(`text that is not JSON, longer than ${this.maxRecord} characters`, pos, final, false);
      this.pos--;
      return true;
    }
    const text = buf.slice(pos, end).trimEnd();
    let err: string | undefined;
    try {
      JSON.parse(text);
    } catch {
      err = `not JSON at line ${this.line}, byte ${this.recordByte}: ${preview(text)}`;
    }
    this.out.push(this.frame(text, this.recordLine, this.recordByte, this.line, err));
    this.recordStart = -1;
    this.pos = end - 1;
    return true;
  }

  // The quick scan: an object that starts at `p` (a '{' where a record starts) and closes before
  // the next raw newline, as in JSON Lines and in single-line `{"Records":[...]}` files. It only
  // counts brackets and jumps from quote to quote (an escaped quote has an odd run of backslashes
  // before it), with none of the general scanner's per-character state. Returns the index of the
  // closing bracket, or -1 to let the general scanner take the record from the same state: the
  // object does not close before a newline or the end of `buf`, or (at top level, when wrapper keys
  // are given) a depth-1 string equal to a wrapper key comes before a '[' at depth 1, where the
  // general scanner might find a wrapper. Brackets are counted exactly as the general scanner does.
  private quickObject(p: number, checkWrapper: boolean): number {
    const buf = this.buf;
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
        if (checkWrapper && d === 1 && this.unwrapLengths.has(q - i - 1) && this.unwrap.has(buf.slice(i + 1, q)))
          sawKey = true;
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

  /** A frame closed at `end`: validate it (the parse is reused by the adapter); on failure look for a good record inside it. */
  private closeRecord(start: number, end: number, ln: number, byte: number): boolean {
    const text = this.buf.slice(start, end + 1);
    let value: unknown;
    let ok = true;
    try {
      value = JSON.parse(text);
    } catch {
      ok = false;
    }
    if (ok) {
      const f = this.frame(text, ln, byte, this.line);
      attachParsed(f, text, value);
      if (this.sig === null || !text.startsWith(this.sig)) {
        const m = /^\{[ \t]*"[A-Za-z0-9_@$.-]{1,40}"/.exec(text);
        if (m) this.sig = m[0];
      }
      this.out.push(f);
      return false;
    }
    const c = this.inlineCandidate(start + 1, end + 1);
    if (c >= 0) {
      const resume = ln + this.countNewlines(start, c);
      this.damaged(start, c, ln, byte, 'damaged record: not valid JSON', resume, null);
      this.pos = end;
      this.line = resume + this.countNewlines(c, end);
      this.resetTo(c);
      return true;
    }
    this.out.push(this.frame(text, ln, byte, this.line)); // the adapter rejects it with the parser's message
    return false;
  }

  // ---- Damage and resynchronization. Only damaged input reaches these methods. ----

  private countNewlines(from: number, to: number): number {
    let k = 0;
    for (let i = this.buf.indexOf('\n', from); i >= 0 && i < to; i = this.buf.indexOf('\n', i + 1)) k++;
    return k;
  }

  /** Forgets the string state and the cached positions of the next quote, backslash and newline. */
  private clearStringState(): void {
    this.inString = false;
    this.escaped = false;
    this.nextQuote = -2;
    this.nextBackslash = -2;
    this.nextNewline = -2;
  }

  /** Restarts the scanner at `c` (a '{' where a record starts), in the state "between records". */
  private resetTo(c: number): void {
    const pos = this.pos;
    this.line += this.countNewlines(pos < c ? pos : c, pos < c ? c : pos) * (pos < c ? 1 : -1);
    const nlb = this.buf.lastIndexOf('\n', c - 1);
    if (nlb >= 0) this.lineStart = nlb + 1;
    this.depth = this.recordDepth;
    this.clearStringState();
    this.recordStart = -1;
    if (this.recordDepth === 0) this.topObjectStart = -1;
    this.afterColon = false;
    this.lastKey = null;
    this.strStart = -1;
    this.pos = c - 1; // the loop's pos++ lands on c
  }

  /**
   * A '{' after the damaged record's start, on the same line, where a good record starts: after a
   * ',' or '[' (or a '}' between top-level values), starting with the key good records start with
   * when one is known, closing before the line ends and parsing. Tried a bounded number of times.
   */
  private inlineCandidate(from: number, to: number): number {
    const buf = this.buf;
    const probe = this.sig ?? '{';
    let tries = 0;
    for (let c = buf.indexOf(probe, from); c >= 0 && c < to && tries < 64; c = buf.indexOf(probe, c + 1)) {
      let b = c - 1;
      while (b >= 0 && (buf.charCodeAt(b) === 0x20 || buf.charCodeAt(b) === 0x09)) b--;
      const prev = b >= 0 ? buf.charCodeAt(b) : -1;
      if (!(prev === 0x2c || prev === 0x5b || (this.recordDepth === 0 && prev === 0x7d))) continue;
      tries++;
      const end = this.quickObject(c, false);
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
  private lineBoundary(p: number, col: number, final: boolean): number {
    const buf = this.buf;
    let q = p;
    while (q < buf.length) {
      const c = buf.charCodeAt(q);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0xfeff) break;
      q++;
    }
    if (q >= buf.length) return final ? -1 : -2;
    return buf.charCodeAt(q) === 0x7b && q - p <= col ? q : -1;
  }

  /** Adds the damaged stretch [start, end) as one error record saying how far the damage reached. */
  private damaged(
    start: number,
    end: number,
    ln: number,
    byte: number,
    reason: string,
    resumeLine: number | null,
    spill: Spill | null,
    spillEndLine = this.line,
  ): void {
    let text: string;
    let sha: string;
    const lnEnd = ln + Math.max(0, spill ? 0 : this.countNewlines(start, end));
    if (spill) {
      spill.hash.update(this.buf.slice(start, end));
      text = spill.head;
      sha = spill.hash.digest('hex');
    } else {
      text = this.buf.slice(start, end).replace(/\s+$/, '');
      sha = sha256Hex(text);
    }
    const endLine = spill ? spillEndLine : lnEnd;
    if (resumeLine === null) this.damagedToEnd = true;
    const reach =
      resumeLine !== null
        ? `; the damage reaches ${where(ln, endLine)}, reading resumed at line ${resumeLine}`
        : `; the damage reaches ${where(ln, endLine)}, the end of the input`;
    const size = spill
      ? ` (${spill.chars + (end - start)} characters: the first ${KEPT_HEAD} are kept, the hash covers all of them)`
      : '';
    const f = this.frame(text, ln, byte, endLine, `${reason}${reach}${size}`);
    f.sha256 = sha;
    this.out.push(f);
  }

  /** The open record cannot be framed: reject it up to the next recovery point, or skip ahead to one. */
  private recordDamaged(reason: string, at: number, final: boolean, inline = true): 'resumed' | 'wait' | 'skipping' {
    // 1. A good record later on the same line (single-line arrays and wrappers).
    const nl = this.buf.indexOf('\n', at);
    const lineEnd = nl < 0 ? this.buf.length : nl;
    const c = inline ? this.inlineCandidate(this.recordStart + 1, lineEnd) : -1;
    if (c >= 0) {
      const ln = this.recordLine + this.countNewlines(this.recordStart, c);
      this.damaged(this.recordStart, c, this.recordLine, this.recordByte, reason, ln, null);
      this.resetTo(c);
      return 'resumed';
    }
    if (inline && nl < 0 && !final) return 'wait';
    // 2. Skip to the next line that opens a record at the record's column.
    this.dmg = {
      reason,
      line: this.recordLine,
      byte: this.recordByte,
      col: this.recordCol,
      hash: null,
      head: '',
      chars: 0,
    };
    this.dmgStart = this.recordStart;
    this.recordStart = -1;
    if (this.recordDepth === 0) this.topObjectStart = -1;
    this.depth = this.recordDepth;
    this.clearStringState();
    this.pos = at; // the damaged-mode loop looks for newlines from `at` on (callers in the scan loop step back one)
    return 'skipping';
  }

  /** A raw newline inside a string: false when more input is needed (the scan returns). */
  private newlineInString(final: boolean): boolean {
    if (this.recordStart < 0) {
      this.inString = false;
      this.escaped = false;
      this.line++;
      this.lineStart = this.pos + 1;
      return true;
    }
    const r = this.recordDamaged(
      `damaged record: a string is not closed before the end of line ${this.line}`,
      this.pos,
      final,
    );
    if (r === 'wait') return false;
    if (r === 'skipping') this.pos--;
    return true;
  }

  /** Damaged mode: only newlines matter, until a line opens a record at the damaged record's column. */
  private skipDamaged(final: boolean): 'resumed' | 'wait' {
    const d = this.dmg!;
    for (;;) {
      const nl = this.buf.indexOf('\n', this.pos);
      if (nl < 0) {
        this.pos = this.buf.length;
        return 'wait';
      }
      const b = this.lineBoundary(nl + 1, d.col, final);
      if (b === -2) {
        this.pos = nl;
        return 'wait';
      }
      this.line++;
      this.lineStart = nl + 1;
      this.pos = nl + 1;
      if (b >= 0) {
        this.damaged(this.dmgStart, nl, d.line, d.byte, d.reason, this.line, spillOf(d), this.line - 1);
        this.dmg = null;
        this.dmgStart = -1;
        this.resetTo(b);
        return 'resumed';
      }
    }
  }

  /** The input ends while a damaged stretch is being skipped: it reaches the end. */
  private damagedAtEnd(): void {
    const d = this.dmg!;
    const n = this.buf.length;
    const tail = this.buf.slice(this.dmgStart, n).trimEnd();
    if (d.hash === null && d.reason.includes('a string is not closed') && !tail.includes('\n')) {
      // A half-written last line: said as such.
      d.reason = `truncated record at end of input (line ${d.line}, byte ${d.byte}): a string is never closed`;
      this.damagedToEnd = true;
      this.out.push(this.frame(tail, d.line, d.byte, this.line, d.reason));
    } else this.damaged(this.dmgStart, n, d.line, d.byte, d.reason, null, spillOf(d));
    this.dmg = null;
    this.dmgStart = -1;
    this.pos = n;
  }

  /** A newline at `p` outside strings while a record is open: a line opening an object at the record's column means the record never closed. */
  private openRecordNewline(p: number, final: boolean): 'ok' | 'wait' | 'resumed' {
    const b = this.lineBoundary(p + 1, this.recordCol, final);
    if (b === -2) return 'wait';
    if (b === -1) return 'ok';
    const ln = this.line + 1;
    this.damaged(
      this.recordStart,
      p,
      this.recordLine,
      this.recordByte,
      `record never closes (a missing '}' or ']', or a stray '{')`,
      ln,
      null,
    );
    this.pos = p;
    this.resetTo(b);
    return 'resumed';
  }

  // ---- Between chunks and at the end. ----

  /** An open record (or damaged stretch) past the size limit is skipped ahead, keeping its head and hash. */
  bound(): void {
    if (this.dmg === null && this.recordStart >= 0 && this.buf.length - this.recordStart > this.maxRecord) {
      this.recordDamaged(
        `record longer than the limit of ${this.maxRecord} characters (--max-record-bytes)`,
        this.pos,
        false,
        false,
      );
    }
    const d = this.dmg;
    if (d !== null && d.hash === null && this.pos - this.dmgStart > this.maxRecord) {
      d.hash = createHash('sha256');
      d.head = this.buf.slice(this.dmgStart, this.dmgStart + KEPT_HEAD);
    }
    if (d !== null && d.hash !== null && this.pos > this.dmgStart) {
      d.hash.update(this.buf.slice(this.dmgStart, this.pos));
      d.chars += this.pos - this.dmgStart;
      this.dmgStart = this.pos;
    }
  }

  /** Drops what no open record needs, keeping positions consistent. */
  compact(): void {
    const keep =
      this.dmg !== null
        ? this.dmgStart
        : this.recordStart >= 0
          ? this.recordStart
          : this.topObjectStart >= 0
            ? this.topObjectStart
            : this.pos;
    if (keep <= 0) return;
    this.baseByte = this.byteAt(keep);
    this.cacheChar = 0;
    this.cacheByte = 0;
    this.asciiFrom = Math.max(0, this.asciiFrom - keep);
    this.buf = this.buf.slice(keep);
    this.pos -= keep;
    this.lineStart -= keep;
    if (this.recordStart >= 0) this.recordStart -= keep;
    if (this.topObjectStart >= 0) this.topObjectStart -= keep;
    if (this.strStart >= 0) this.strStart -= keep;
    if (this.dmgStart >= 0) this.dmgStart -= keep;
  }

  /**
   * A record still open at the end: a good record later on its line means it was damaged (the
   * scan resumes there); otherwise it is the truncated last record (endOfInput).
   */
  resumeAfterOpenRecords(): void {
    for (let guard = 0; this.recordStart >= 0 && this.dmg === null && guard < 1_000_000; guard++) {
      const c = this.inlineCandidate(this.recordStart + 1, this.buf.length);
      if (c < 0) break;
      const ln = this.recordLine + this.countNewlines(this.recordStart, c);
      this.damaged(this.recordStart, c, this.recordLine, this.recordByte, 'damaged record: it never closes', ln, null);
      this.pos = this.buf.length;
      this.resetTo(c);
      this.pos++;
      this.scan(true);
    }
  }

  /** The last frame, when the input ends inside a record or a wrapper. */
  endOfInput(): JsonFrame | null {
    if (this.recordStart >= 0) {
      return this.frame(
        this.buf.slice(this.recordStart),
        this.recordLine,
        this.recordByte,
        this.line,
        `truncated record at end of input (line ${this.recordLine}, byte ${this.recordByte}): ${this.inString ? 'a string' : 'an object or array'} is never closed`,
      );
    }
    if ((this.recordDepth === 2 || this.recordDepth === -1) && !this.damagedToEnd) {
      // A wrapper object never closed: the records were read, but say the file is cut short.
      return this.frame(
        '',
        this.line,
        this.byteAt(this.buf.length),
        this.line,
        `the wrapper object is never closed: the file ends early (line ${this.line}); the records before the end were read`,
      );
    }
    return null;
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
