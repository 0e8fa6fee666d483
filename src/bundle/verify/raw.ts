// The raw records: every event's raw record in its source's raw file, in the same order; each raw
// record's text hashing to its sha256 (unless redacted); no raw event record without its event.
import { sha256Hex } from '../../event/hash.js';
import type { AuditEvent } from '../../event/types.generated.js';
import { EVENTS_FILE, type EvidencePredicate, rawFileName } from '../manifest.js';
import type { OpenBundle } from '../zip-reader.js';
import type { Tally } from './counts.js';
import { type Fail, type Line, type LineReader, reader, type Streamed } from './types.js';

interface RawLine {
  sha256: string;
  disposition: string;
  text: string;
  redacted?: unknown;
}

/** Walks each source's raw file alongside the events (one reader per file, opened at first use). */
export class RawCheck {
  private readonly readers = new Map<string, LineReader>();
  /** Raw records that became rejects, by source and sha256 (each line of rejects.jsonl must name one). */
  readonly rejects = new Map<string, number>();

  constructor(
    private readonly b: OpenBundle,
    private readonly subjects: Map<string, string>,
    private readonly streamed: Streamed,
    private readonly tally: Tally,
    private readonly fail: Fail,
    private readonly stop: { now: boolean },
  ) {}

  private readerFor(source: string): LineReader | null {
    const name = rawFileName(source);
    if (!this.b.entries.has(name)) return null;
    let r = this.readers.get(name);
    if (!r) {
      r = reader(this.b, name, this.subjects, this.streamed);
      this.readers.set(name, r);
    }
    return r;
  }

  private parse(r: LineReader, l: Line, source: string): RawLine | null {
    const fail = this.fail;
    let x: RawLine;
    try {
      x = JSON.parse(l.text);
    } catch {
      fail(r.name, 'is not JSON', l.line);
      return null;
    }
    if (typeof x?.text !== 'string' || typeof x.sha256 !== 'string' || typeof x.disposition !== 'string') {
      fail(r.name, 'is not a raw record (sha256, location, disposition, text)', l.line);
      return null;
    }
    // A record whose secrets were redacted keeps the hash of its original bytes: its text cannot hash to it.
    if (x.redacted !== undefined) {
      if (!Number.isInteger(x.redacted) || (x.redacted as number) < 1)
        fail(r.name, '"redacted" must be the number of secret values replaced (a positive integer)', l.line);
    } else if (sha256Hex(x.text) !== x.sha256)
      fail(r.name, `the record's text does not hash to its sha256 ${x.sha256} (the raw record was changed)`, l.line);
    this.tally.addRaw(source, x.disposition);
    if (x.disposition === 'reject') {
      const key = `${source}\n${x.sha256}`;
      this.rejects.set(key, (this.rejects.get(key) ?? 0) + 1);
    }
    return x;
  }

  /** The next raw event record of the event's source is the event's (records of other dispositions are passed). */
  async event(e: AuditEvent, eventLine: number, source: string): Promise<void> {
    const r = this.readerFor(source);
    if (!r) return; // the missing raw file is reported as a missing subject
    let found = false;
    for (let rl = await r.next(); rl && !this.stop.now; rl = await r.next()) {
      const x = this.parse(r, rl, source);
      if (!x) continue;
      if (x.disposition !== 'event') continue;
      if (x.sha256 === e.source.raw_sha256) {
        found = true;
        break;
      }
      this.fail(
        r.name,
        `holds the raw record of an event (sha256 ${x.sha256}) that is not in ${EVENTS_FILE} at this place (an event line was deleted or moved?)`,
        rl.line,
      );
    }
    if (!found)
      this.fail(
        EVENTS_FILE,
        `its raw record (source.raw_sha256 ${e.source.raw_sha256}) is not in ${r.name} (the raw record was removed or changed)`,
        eventLine,
      );
  }

  /** Raw records after the last event of each source, and raw files of sources without events. */
  async finish(p: EvidencePredicate): Promise<void> {
    for (const s of p.sources) {
      const r = this.readerFor(s.name);
      if (!r) continue;
      for (let rl = await r.next(); rl && !this.stop.now; rl = await r.next()) {
        const x = this.parse(r, rl, s.name);
        if (x && x.disposition === 'event')
          this.fail(
            r.name,
            `holds the raw record of an event (sha256 ${x.sha256}) that is not in ${EVENTS_FILE} (an event line was deleted?)`,
            rl.line,
          );
      }
    }
  }
}
