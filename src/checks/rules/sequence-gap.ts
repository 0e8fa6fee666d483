// sequence.gap: sources that number their records (pgaudit's STATEMENT_ID within a session) let a
// reader prove none were dropped: numbers go up by one; repeats are sub-statements or several
// relations of one statement. A jump means records are missing. A number lower than the last one
// means a new session reused the stream key (a recycled pid), so the stream starts over.
// Only formats whose numbering is consecutive by design are checked: MariaDB's queryid and MySQL's
// record ids count every query of the server, audited or not, so their jumps prove nothing.
// Memory is bounded: at most MAX_STREAMS live streams are tracked (least recently seen dropped
// first; a dropped stream is simply not checked further, never reported falsely).
import type { Rule } from '../rule.js';
import { q, rowFinding } from '../rule.js';

export const MAX_STREAMS = 10_000;

/** Adapter ids whose `sequence` numbers go up by exactly one per record within a stream. */
export const CONSECUTIVE_FORMATS: ReadonlySet<string> = new Set(['pgaudit']);

export const sequenceGap: Rule = {
  id: 'sequence.gap',
  severity: 'error',
  title: 'Gap in record numbering',
  description:
    "The source's own record numbers (pgaudit statement ids within a session) skip values, so records were dropped.",
  start() {
    const last = new Map<string, number>();
    return {
      row(e, source) {
        const s = e.sequence;
        if (!s || !CONSECUTIVE_FORMATS.has(e.source.format)) return [];
        const key = `${source}\u0000${s.stream}`;
        const prev = last.get(key);
        last.delete(key);
        last.set(key, s.number);
        if (last.size > MAX_STREAMS) last.delete(last.keys().next().value!);
        if (prev === undefined || s.number <= prev + 1) return [];
        const missing = s.number - prev - 1;
        return [
          rowFinding(
            sequenceGap,
            e,
            source,
            `record numbers in stream ${q(s.stream)} jump from ${prev} to ${s.number}: ${missing} record${missing === 1 ? ' is' : 's are'} missing before this one`,
            null,
          ),
        ];
      },
    };
  },
};
