// Splits a byte stream into lines, keeping each line's 1-based number and byte offset. Memory is
// bounded by the longest line. A final line without a newline is still yielded (terminated=false).
// A leading UTF-8 byte order mark is skipped (byte offsets still count it).
export interface Line {
  text: string;
  line: number;
  byteOffset: number;
  /** Bytes of the line including its terminator (for offsets of what follows). */
  byteLength: number;
  terminated: boolean;
}

export async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<Line> {
  let rest: Buffer | null = null;
  let lineNo = 0;
  let offset = 0;
  let first = true;
  for await (const chunk of chunks) {
    let buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    if (first) {
      // A UTF-8 byte order mark (added by an editor) is never part of the first record.
      if (buf.length < 3 && buf.length > 0 && buf[0] === 0xef) { rest = buf; continue; }
      first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) { start = 3; offset = 3; }
    }
    let nl: number;
    while ((nl = buf.indexOf(10, start)) !== -1) {
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      lineNo++;
      const byteLength = nl + 1 - start;
      yield { text: buf.toString('utf8', start, end), line: lineNo, byteOffset: offset, byteLength, terminated: true };
      offset += byteLength;
      start = nl + 1;
    }
    rest = start < buf.length ? buf.subarray(start) : null;
    buf = Buffer.alloc(0);
  }
  if (rest && rest.length > 0) {
    lineNo++;
    const end = rest[rest.length - 1] === 13 ? rest.length - 1 : rest.length;
    yield { text: rest.toString('utf8', 0, end), line: lineNo, byteOffset: offset, byteLength: rest.length, terminated: false };
  }
}

/** Number of double quotes in a line: CSV framers join lines while a quoted field is open (odd count). */
export function quoteCount(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}
