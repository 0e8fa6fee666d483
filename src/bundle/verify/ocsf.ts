// events.ocsf.jsonl: written by this version, it must be exactly the OCSF records of the events
// (recomputed here); written by another version, every line must be a valid OCSF record. Its
// record count and events_not_exported must be the manifest's.
import type { AuditEvent } from '../../event/types.generated.js';
import { eventToOcsfLines, type OcsfRecord, validateOcsf } from '../../export/ocsf.js';
import { COLLECTOR_VERSION, EVENTS_FILE, type EvidencePredicate, MANIFEST_FILE, OCSF_FILE } from '../manifest.js';
import type { OpenBundle } from '../zip-reader.js';
import { type Fail, type LineReader, reader, type Streamed } from './types.js';

/** Compares events.ocsf.jsonl with the events as they stream past. */
export class OcsfCheck {
  private readonly ocsf: LineReader | null;
  private readonly sameVersion: boolean;
  private ok = true;
  private records = 0;
  private notExported = 0;

  constructor(
    b: OpenBundle,
    private readonly p: EvidencePredicate,
    subjects: Map<string, string>,
    streamed: Streamed,
    private readonly fail: Fail,
  ) {
    this.ocsf = b.entries.has(OCSF_FILE) ? reader(b, OCSF_FILE, subjects, streamed) : null;
    if (this.ocsf && !p.ocsf) fail(OCSF_FILE, 'is in the bundle but the manifest has no ocsf section');
    if (!this.ocsf && p.ocsf) fail(MANIFEST_FILE, `its ocsf section names ${OCSF_FILE}, which is not in the bundle`);
    this.sameVersion = p.collector.version === COLLECTOR_VERSION;
  }

  /** The next records are the event's (when this version wrote the bundle). */
  async event(e: AuditEvent, eventLine: number): Promise<void> {
    if (this.ok && this.sameVersion) this.ok = await this.compare(e, eventLine);
  }

  private async compare(e: AuditEvent, eventLine: number): Promise<boolean> {
    const ocsf = this.ocsf;
    if (!ocsf) return true;
    const want = eventToOcsfLines(e);
    if (want.notExported !== null) this.notExported++;
    for (const w of want.lines.split('\n').slice(0, -1)) {
      const got = await ocsf.next();
      if (got) this.records++;
      if (!got || got.text !== w) {
        this.fail(
          OCSF_FILE,
          `${got ? 'differs from' : 'ends before'} the OCSF record of ${EVENTS_FILE} line ${eventLine}`,
          got?.line ?? ocsf.line + 1,
        );
        return false;
      }
    }
    return true;
  }

  private checkLine(text: string, line: number): void {
    let rec: OcsfRecord;
    try {
      rec = JSON.parse(text);
    } catch {
      this.fail(OCSF_FILE, 'is not JSON', line);
      return;
    }
    let problems: string[] | null;
    try {
      problems = validateOcsf(rec);
    } catch (e) {
      problems = [(e as Error).message];
    }
    if (problems) this.fail(OCSF_FILE, `is not a valid OCSF record (${problems.slice(0, 3).join('; ')})`, line);
  }

  /** No records after the last event's (or, from another version, every record valid); the counts. */
  async finish(stop: { now: boolean }): Promise<void> {
    const { ocsf, p, fail } = this;
    if (ocsf && this.ok && this.sameVersion) {
      const extra = await ocsf.next();
      if (extra) fail(OCSF_FILE, `has records that are not OCSF records of ${EVENTS_FILE}`, extra.line);
    } else if (ocsf && !this.sameVersion) {
      for (let l = await ocsf.next(); l && !stop.now; l = await ocsf.next()) {
        this.records++;
        this.checkLine(l.text, l.line);
      }
    }
    if (ocsf && p.ocsf && this.ok) {
      if (this.records !== p.ocsf.records)
        fail(OCSF_FILE, `has ${this.records} records; the manifest says ${p.ocsf.records}`);
      if (this.sameVersion && this.notExported !== p.ocsf.events_not_exported)
        fail(
          MANIFEST_FILE,
          `ocsf.events_not_exported is ${p.ocsf.events_not_exported}; the events hold ${this.notExported} that OCSF cannot take`,
        );
    }
  }
}
