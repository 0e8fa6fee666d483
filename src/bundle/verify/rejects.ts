// rejects.jsonl: one line per rejected record, each with the raw text it names, each naming a raw
// record its source's raw file holds as a reject.
import { sha256Hex } from '../../event/hash.js';
import { rawFileName, REJECTS_FILE } from '../manifest.js';
import type { OpenBundle } from '../zip-reader.js';
import { type Fail, reader, type Streamed } from './types.js';

/** Checks rejects.jsonl against the raw rejects; returns the rejects counted per source. */
export async function checkRejects(
  b: OpenBundle,
  subjects: Map<string, string>,
  streamed: Streamed,
  rawRejects: Map<string, number>,
  fail: Fail,
  stop: { now: boolean },
): Promise<Record<string, number>> {
  const rejects: Record<string, number> = {};
  if (!b.entries.has(REJECTS_FILE)) return rejects;
  const r = reader(b, REJECTS_FILE, subjects, streamed);
  for (let l = await r.next(); l && !stop.now; l = await r.next()) {
    let x: { source?: string; raw_sha256?: string; raw?: string; reason?: string; raw_redacted?: unknown };
    try {
      x = JSON.parse(l.text);
    } catch {
      fail(REJECTS_FILE, 'is not JSON', l.line);
      continue;
    }
    const redacted = x.raw_redacted !== undefined && Number.isInteger(x.raw_redacted) && (x.raw_redacted as number) > 0;
    if (
      typeof x.raw !== 'string' ||
      typeof x.raw_sha256 !== 'string' ||
      (!redacted && sha256Hex(x.raw) !== x.raw_sha256)
    )
      fail(REJECTS_FILE, "the rejected record's text does not hash to its raw_sha256", l.line);
    else if (x.source !== undefined && b.entries.has(rawFileName(x.source))) {
      const key = `${x.source}\n${x.raw_sha256}`;
      const left = rawRejects.get(key) ?? 0;
      if (left === 0)
        fail(
          REJECTS_FILE,
          `names a rejected raw record (sha256 ${x.raw_sha256}) that ${rawFileName(x.source)} does not hold as a reject`,
          l.line,
        );
      else rawRejects.set(key, left - 1);
    }
    rejects[x.source ?? ''] = (rejects[x.source ?? ''] ?? 0) + 1;
  }
  return rejects;
}
