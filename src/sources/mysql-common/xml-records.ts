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
  const MAX_RECORD_CHARS = maxChars;
  const decoder = new StringDecoder('utf8');
  /** An over-long record being skipped up to the next <AUDIT_RECORD: its head, hash and where it began. */
  let skip: { hash: Hash; head: string; chars: number; line: number; byte: number; index: number } | null = null;
  let buf = '';
  let line = 1; // line of buf[0]
  let byte = 0; // byte offset of buf[0]
  let index = 0;
  const consume = (n: number): void => {
    const gone = buf.slice(0, n);
    for (let i = gone.indexOf('\n'); i >= 0; i = gone.indexOf('\n', i + 1)) line++;
    byte += Buffer.byteLength(gone);
    buf = buf.slice(n);
  };
  const make = (start: number, end: number, error?: string): RawRecord => {
    const text = buf.slice(start, end);
    const pre = buf.slice(0, start);
    let l = line;
    for (let i = pre.indexOf('\n'); i >= 0; i = pre.indexOf('\n', i + 1)) l++;
    let lineEnd = l;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineEnd++;
    return rawRecord(
      text,
      { file, line: l, line_end: lineEnd, byte_offset: byte + Buffer.byteLength(pre), index: index++ },
      error,
    );
  };
  const skipped = (): RawRecord => {
    const k = skip!;
    skip = null;
    return {
      text: k.head,
      sha256: k.hash.digest('hex'),
      location: { file, line: k.line, line_end: line, byte_offset: k.byte, index: k.index },
      error: `<AUDIT_RECORD> longer than the limit of ${MAX_RECORD_CHARS} characters (--max-record-bytes) without closing: ${k.chars} characters up to the next record; the first ${KEPT_HEAD} are kept, the hash covers all of them`,
    };
  };
  const skipTo = (n: number): void => {
    const t = buf.slice(0, n);
    skip!.hash.update(t);
    skip!.chars += t.length;
    if (skip!.head.length < KEPT_HEAD) skip!.head += t.slice(0, KEPT_HEAD - skip!.head.length);
    consume(n);
  };
  function* drain(final: boolean): Generator<RawRecord> {
    if (skip !== null) {
      // Skipping an over-long record: hashed as it streams, up to the next record start.
      const next = buf.indexOf(OPEN, 1);
      if (next < 0) {
        skipTo(final ? buf.length : Math.max(0, buf.length - OPEN.length));
        if (final) yield skipped();
        return;
      }
      skipTo(next);
      yield skipped();
    }
    for (;;) {
      const start = buf.indexOf(OPEN);
      if (start < 0) {
        // No record start yet: wait for more input (the text may be a record's first bytes),
        // unless this is the end or a large run of text that cannot be filler.
        if (!final && buf.length < 1 << 20) return;
        if (buf.length > 0 && !isFiller(buf))
          yield make(
            0,
            buf.length,
            'text that is not an <AUDIT_RECORD> (not an audit log in XML format, or a damaged file)',
          );
        consume(buf.length);
        return;
      }
      if (start > 0) {
        if (!isFiller(buf.slice(0, start)))
          yield make(0, start, 'text between audit records that is not an <AUDIT_RECORD>');
        consume(start);
      }
      let end = recordEnd(buf, 0);
      // A record never contains the start of another one (values escape '<'): a record that does
      // not close before the next <AUDIT_RECORD (a damaged closing tag, an unbalanced quote) is
      // damaged, and costs itself only.
      const next = buf.indexOf(OPEN, 1);
      if (next >= 0 && (end < 0 || end > next)) {
        let cut = next;
        while (cut > 0 && /\s/.test(buf[cut - 1]!)) cut--;
        const nextLine = line + countLines(buf, 0, next);
        yield make(
          0,
          cut,
          `damaged <AUDIT_RECORD>: it does not close before the next record starts at line ${nextLine}`,
        );
        consume(cut);
        continue;
      }
      if (end < 0 && !final && buf.length > MAX_RECORD_CHARS) end = -2;
      if (end === -2) {
        skip = { hash: createHash('sha256'), head: '', chars: 0, line, byte, index: index++ };
        skipTo(buf.length);
        return;
      }
      if (end < 0) {
        if (final && buf.length > 0) {
          yield make(0, buf.length, 'truncated <AUDIT_RECORD>: the input ends before the record closes');
          consume(buf.length);
        }
        return;
      }
      yield make(0, end);
      consume(end);
    }
  }
  for await (const chunk of chunks) {
    buf += decoder.write(chunk);
    yield* drain(false);
  }
  buf += decoder.end();
  yield* drain(true);
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
