// Streaming splitter and record parser for the XML audit formats of MySQL Enterprise Audit and
// Percona audit_log, without an XML library (the files are never closed while the server runs,
// so they are not well-formed documents, and a record is all we need at a time):
//   - old style: <AUDIT_RECORD NAME="Query" ... /> (values in attributes);
//   - new style: <AUDIT_RECORD><NAME>Query</NAME>...</AUDIT_RECORD> (values in elements, empty
//     ones as <OS_LOGIN/>, connection attributes nested as
//     <CONNECTION_ATTRIBUTES><ATTRIBUTE><NAME>k</NAME><VALUE>v</VALUE></ATTRIBUTE>...).
// https://dev.mysql.com/doc/refman/8.0/en/audit-log-file-formats.html
// https://docs.percona.com/percona-server/8.0/audit-log-plugin.html
// Values are escaped as the five XML entities plus numeric references (&#10; for new lines).
import { createHash, type Hash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { rawRecord } from '../../pipeline/record.js';
import { DEFAULT_MAX_RECORD_BYTES, KEPT_HEAD } from '../../pipeline/lines.js';
import type { RawRecord } from '../../pipeline/types.js';

const OPEN = '<AUDIT_RECORD';

function countLines(s: string, from: number, to: number): number {
  let k = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) k++;
  return k;
}
const CLOSE = '</AUDIT_RECORD>';

/** Text allowed between records: white space, the XML declaration and the <AUDIT> root tags. */
function isFiller(text: string): boolean {
  const t = text
    .replace(/<\?xml[^>]*\?>/g, '')
    .replace(/<\/?AUDIT>/g, '')
    .trim();
  return t === '';
}

/**
 * Finds the end of the record that starts at `start` (which holds "<AUDIT_RECORD"): the index just
 * after its closing "/>" (old style) or "</AUDIT_RECORD>" (new style), or -1 if not in `buf` yet.
 */
export function recordEnd(buf: string, start: number): number {
  const after = start + OPEN.length;
  if (after >= buf.length) return -1;
  const c = buf[after];
  if (c === '>') {
    const e = buf.indexOf(CLOSE, after);
    return e < 0 ? -1 : e + CLOSE.length;
  }
  // Old style: attributes; '/>' inside a quoted value does not end the record.
  let inQuote = false;
  for (let i = after; i < buf.length; i++) {
    const ch = buf.charCodeAt(i);
    if (ch === 0x22) inQuote = !inQuote;
    else if (!inQuote && ch === 0x2f && buf.charCodeAt(i + 1) === 0x3e) return i + 2;
    else if (!inQuote && ch === 0x3e) return i + 1; // <AUDIT_RECORD ...> without '/' (malformed, but closed)
  }
  return -1;
}

/**
 * Splits a stream into one raw record per <AUDIT_RECORD>, with line, end line and byte offset.
 * Text between records that is not XML filler, and a record cut off at the end of the input,
 * become records with `error` set.
 */
export async function* splitXmlRecords(
  chunks: AsyncIterable<Buffer>,
  file: string,
  maxChars = DEFAULT_MAX_RECORD_BYTES,
): AsyncGenerator<RawRecord> {
  const decoder = new StringDecoder('utf8');
  const s = new XmlSplitter(file, maxChars);
  for await (const chunk of chunks) {
    s.buf += decoder.write(chunk);
    yield* s.drain(false);
  }
  s.buf += decoder.end();
  yield* s.drain(true);
}

/** The splitter's state: the text not yet split, where it starts, and an over-long record being skipped. */
class XmlSplitter {
  buf = '';
  /** Line of buf[0]. */
  private line = 1;
  /** Byte offset of buf[0]. */
  private byte = 0;
  private index = 0;
  /** An over-long record being skipped up to the next <AUDIT_RECORD: its head, hash and where it began. */
  private skip: { hash: Hash; head: string; chars: number; line: number; byte: number; index: number } | null = null;

  constructor(
    private readonly file: string,
    private readonly maxChars: number,
  ) {}

  /** Yields every record `buf` holds; `final` at the end of the input. */
  *drain(final: boolean): Generator<RawRecord> {
    if (this.skip !== null) {
      // Skipping an over-long record: hashed as it streams, up to the next record start.
      const next = this.buf.indexOf(OPEN, 1);
      if (next < 0) {
        this.skipTo(final ? this.buf.length : Math.max(0, this.buf.length - OPEN.length));
        if (final) yield this.skipped();
        return;
      }
      this.skipTo(next);
      yield this.skipped();
    }
    for (;;) {
      const start = this.buf.indexOf(OPEN);
      if (start < 0) {
        yield* this.noRecordStart(final);
        return;
      }
      if (start > 0) {
        if (!isFiller(this.buf.slice(0, start)))
          yield this.make(0, start, 'text between audit records that is not an <AUDIT_RECORD>');
        this.consume(start);
      }
      const r = this.record(final);
      if (r === null) return;
      yield r;
    }
  }

  /**
   * The record at the start of `buf`, consumed; null when it needs more input (or `buf` is empty at
   * the end, or an over-long record starts being skipped).
   */
  private record(final: boolean): RawRecord | null {
    const buf = this.buf;
    let end = recordEnd(buf, 0);
    // A record never contains the start of another one (values escape '<'): a record that does
    // not close before the next <AUDIT_RECORD (a damaged closing tag, an unbalanced quote) is
    // damaged, and costs itself only.
    const next = buf.indexOf(OPEN, 1);
    if (next >= 0 && (end < 0 || end > next)) {
      let cut = next;
      while (cut > 0 && /\s/.test(buf[cut - 1]!)) cut--;
      const nextLine = this.line + countLines(buf, 0, next);
      const r = this.make(
        0,
        cut,
        `damaged <AUDIT_RECORD>: it does not close before the next record starts at line ${nextLine}`,
      );
      this.consume(cut);
      return r;
    }
    if (end < 0 && !final && buf.length > this.maxChars) end = -2;
    if (end === -2) {
      this.skip = {
        hash: createHash('sha256'),
        head: '',
        chars: 0,
        line: this.line,
        byte: this.byte,
        index: this.index++,
      };
      this.skipTo(buf.length);
      return null;
    }
    if (end < 0) {
      if (!final || buf.length === 0) return null;
      const r = this.make(0, buf.length, 'truncated <AUDIT_RECORD>: the input ends before the record closes');
      this.consume(buf.length);
      return r;
    }
    const r = this.make(0, end);
    this.consume(end);
    return r;
  }

  /**
   * No record start yet: wait for more input (the text may be a record's first bytes), unless this
   * is the end or a large run of text that cannot be filler.
   */
  private *noRecordStart(final: boolean): Generator<RawRecord> {
    if (!final && this.buf.length < 1 << 20) return;
    if (this.buf.length > 0 && !isFiller(this.buf))
      yield this.make(
        0,
        this.buf.length,
        'text that is not an <AUDIT_RECORD> (not an audit log in XML format, or a damaged file)',
      );
    this.consume(this.buf.length);
  }

  private consume(n: number): void {
    const gone = this.buf.slice(0, n);
    for (let i = gone.indexOf('\n'); i >= 0; i = gone.indexOf('\n', i + 1)) this.line++;
    this.byte += Buffer.byteLength(gone);
    this.buf = this.buf.slice(n);
  }

  private make(start: number, end: number, error?: string): RawRecord {
    const text = this.buf.slice(start, end);
    const pre = this.buf.slice(0, start);
    let l = this.line;
    for (let i = pre.indexOf('\n'); i >= 0; i = pre.indexOf('\n', i + 1)) l++;
    let lineEnd = l;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineEnd++;
    return rawRecord(
      text,
      {
        file: this.file,
        line: l,
        line_end: lineEnd,
        byte_offset: this.byte + Buffer.byteLength(pre),
        index: this.index++,
      },
      error,
    );
  }

  private skipped(): RawRecord {
    const k = this.skip!;
    this.skip = null;
    return {
      text: k.head,
      sha256: k.hash.digest('hex'),
      location: { file: this.file, line: k.line, line_end: this.line, byte_offset: k.byte, index: k.index },
      error: `<AUDIT_RECORD> longer than the limit of ${this.maxChars} characters (--max-record-bytes) without closing: ${k.chars} characters up to the next record; the first ${KEPT_HEAD} are kept, the hash covers all of them`,
    };
  }

  private skipTo(n: number): void {
    const k = this.skip!;
    const t = this.buf.slice(0, n);
    k.hash.update(t);
    k.chars += t.length;
    if (k.head.length < KEPT_HEAD) k.head += t.slice(0, KEPT_HEAD - k.head.length);
    this.consume(n);
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes the five XML entities and numeric character references; unknown entities stay as written. */
export function decodeXml(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ENTITIES[e] ?? m;
  });
}

/** Encodes text as MySQL / Percona write XML values (the inverse of decodeXml; for tests and fixtures). */
export function encodeXml(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '&') out += '&amp;';
    else if (ch === '"') out += '&quot;';
    else if (c < 32) out += `&#${c};`;
    else out += ch;
  }
  return out;
}

export interface XmlRecord {
  style: 'old' | 'new';
  /** Field values by upper-case name, decoded. */
  fields: Record<string, string>;
  /** New-style CONNECTION_ATTRIBUTES (name -> value), when present. */
  attributes: Record<string, string> | null;
}

/** Parses one <AUDIT_RECORD> (either style). Returns an error message when it is not one. */
export function parseXmlRecord(text: string): XmlRecord | { error: string } {
  const s = text.trim();
  if (!s.startsWith(OPEN)) return { error: 'not an <AUDIT_RECORD>' };
  const fields: Record<string, string> = {};
  if (s[OPEN.length] === '>') {
    let attributes: Record<string, string> | null = null;
    let i = OPEN.length + 1;
    for (;;) {
      const lt = s.indexOf('<', i);
      if (lt < 0) return { error: 'the record has no closing </AUDIT_RECORD>' };
      if (s.startsWith(CLOSE, lt)) break;
      const gt = s.indexOf('>', lt);
      if (gt < 0) return { error: 'an element of the record never closes' };
      const tag = s.slice(lt + 1, gt);
      if (tag.endsWith('/')) {
        fields[tag.slice(0, -1).trim().toUpperCase()] = '';
        i = gt + 1;
        continue;
      }
      if (!/^[A-Za-z_][\w.-]*$/.test(tag)) return { error: `unexpected markup <${tag.slice(0, 40)}> in the record` };
      const close = `</${tag}>`;
      const end = s.indexOf(close, gt + 1);
      if (end < 0) return { error: `element <${tag}> never closes` };
      const inner = s.slice(gt + 1, end);
      if (tag.toUpperCase() === 'CONNECTION_ATTRIBUTES') attributes = parseAttributes(inner);
      else fields[tag.toUpperCase()] = decodeXml(inner);
      i = end + close.length;
    }
    return { style: 'new', fields, attributes };
  }
  // Old style: NAME="value" pairs up to '/>'.
  const re = /([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"/g;
  const body = s.slice(OPEN.length);
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(body)) !== null) {
    if (body.slice(last, m.index).trim() !== '')
      return { error: `unexpected text '${body.slice(last, m.index).trim().slice(0, 40)}' between attributes` };
    fields[m[1]!.toUpperCase()] = decodeXml(m[2]!);
    last = re.lastIndex;
  }
  const rest = body.slice(last).trim();
  if (rest !== '/>' && rest !== '>')
    return { error: `unexpected text '${rest.slice(0, 40)}' at the end of the record` };
  return { style: 'old', fields, attributes: null };
}

function parseAttributes(inner: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /<ATTRIBUTE>\s*<NAME>([\s\S]*?)<\/NAME>\s*<VALUE>([\s\S]*?)<\/VALUE>\s*<\/ATTRIBUTE>/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(inner)) !== null) out[decodeXml(m[1]!)] = decodeXml(m[2]!);
  return out;
}
