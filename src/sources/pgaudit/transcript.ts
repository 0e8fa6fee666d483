// A psql transcript with pgaudit.log_client = on (pgaudit's own regression output,
// expected/pgaudit.out): audit records reach the client as "NOTICE:  AUDIT: ..." (or WARNING/LOG/
// INFO, per pgaudit.log_level), between echoed SQL, query results and "ERROR:  ..." lines. There
// is no time, user, database or session on these lines. An audit record spans lines while its
// CSV quote is open. https://github.com/pgaudit/pgaudit#settings (pgaudit.log_client)
import { DEFAULT_MAX_RECORD_BYTES, splitLineBatches, type Line, quoteCount } from '../../pipeline/lines.js';
import { oversizeRecord, rawFromLines } from '../../pipeline/record.js';
import type { RawRecord } from '../../pipeline/types.js';
import type { LogLine } from './log-line.js';

export const TRANSCRIPT_AUDIT = /^(NOTICE|WARNING|LOG|INFO|DEBUG[1-5]?):  AUDIT: /;
const CLIENT_MESSAGE = /^(NOTICE|WARNING|LOG|INFO|DEBUG[1-5]?|ERROR|FATAL|PANIC):  /;

/**
 * Frames a transcript: an audit line and the lines that continue its open quote are one record;
 * every other line is a record of its own. A quote still open when the next client message
 * starts ends the record there (truncated), so it cannot swallow what follows.
 */
export async function* frameTranscript(
  chunks: AsyncIterable<Buffer>,
  file: string,
  maxBytes = DEFAULT_MAX_RECORD_BYTES,
): AsyncGenerator<RawRecord> {
  let cur: Line[] = [];
  let bytes = 0;
  for await (const batch of splitLineBatches(chunks, { maxLineBytes: maxBytes }))
    for (const line of batch) {
      if (line.oversize) {
        // Over the limit (--max-record-bytes): rejected with its head and hash; a record it continued ends here.
        if (cur.length > 0) yield rawFromLines(file, cur);
        cur = [];
        bytes = 0;
        yield oversizeRecord(file, line);
        continue;
      }
      if (cur.length > 0) {
        if (!CLIENT_MESSAGE.test(line.text) && bytes + line.byteLength <= maxBytes) {
          cur.push(line);
          bytes += line.byteLength;
          if (quoteCount(line.text) % 2 === 1) {
            yield rawFromLines(file, cur);
            cur = [];
          }
          continue;
        }
        yield rawFromLines(file, cur);
        cur = [];
      }
      if (TRANSCRIPT_AUDIT.test(line.text) && quoteCount(line.text) % 2 === 1) {
        cur = [line];
        bytes = line.byteLength;
        continue;
      }
      yield rawFromLines(file, [line]);
    }
  if (cur.length > 0) yield rawFromLines(file, cur);
}

/** A client message line of the transcript as a LogLine (no time, user or session), or null for other text. */
export function parseTranscriptRecord(text: string): LogLine | null {
  const m = CLIENT_MESSAGE.exec(text);
  if (!m) return null;
  return {
    timestamp: null,
    zoneAssumed: null,
    user: null,
    database: null,
    application: null,
    host: null,
    port: null,
    pid: null,
    sessionId: null,
    vxid: null,
    backendType: null,
    severity: m[1]!,
    sqlstate: null,
    message: text.slice(m[0].length),
    userKnowable: false,
  };
}
