// The run's temporary files: events.jsonl (its Merkle leaves hashed from each encoded batch),
// events.csv, rejects.jsonl, events.ocsf.jsonl when asked, and one raw file per source. Each is
// written compressed as it streams (DeflatedFile); the lines of one outcome are added to the
// batches and a batch that fills is flushed (with backpressure) before the next. A stage of runCollect.
import { canonicalLine } from '../bundle/canonical-line.js';
import { csvRow } from '../bundle/csv-row.js';
import { type DeflatedEntry, DeflatedFile } from '../bundle/deflated-file.js';
import { MerkleBuilder } from '../bundle/merkle.js';
import type { AuditEvent } from '../event/types.generated.js';
import { csvHeader } from '../export/csv.js';
import { EventFormatter } from '../export/format.js';
import { join } from 'node:path';

/** The closed files, ready for the zip. */
export interface ClosedOutputs {
  events: DeflatedEntry;
  csv: DeflatedEntry;
  rejects: DeflatedEntry;
  ocsf: DeflatedEntry | null;
}

export class Outputs {
  /** events.ocsf.jsonl's formatter: it also counts the events OCSF cannot take. */
  readonly ocsfFormatter = new EventFormatter('ocsf');
  ocsfRecords = 0;
  /** Lines written to events.jsonl so far (the line number of the last event). */
  eventLines = 0;

  private constructor(
    /** The Merkle tree of events.jsonl, built as its batches are written. */
    readonly merkle: MerkleBuilder,
    private readonly work: string,
    /** Every temporary file, destroyed when the run ends (the workspace's list). */
    private readonly all: DeflatedFile[],
    readonly events: DeflatedFile,
    readonly csv: DeflatedFile,
    readonly rejects: DeflatedFile,
    readonly ocsf: DeflatedFile | null,
  ) {}

  /** Creates the files in the work folder (events.ocsf.jsonl only with config bundle.ocsf). */
  static async open(work: string, ocsf: boolean, all: DeflatedFile[]): Promise<Outputs> {
    const merkle = new MerkleBuilder();
    const events = new DeflatedFile(join(work, 'events.jsonl.deflate'), undefined, undefined, (bytes) =>
      merkle.addLines(bytes),
    );
    const csv = new DeflatedFile(join(work, 'events.csv.deflate'));
    const rejects = new DeflatedFile(join(work, 'rejects.jsonl.deflate'));
    all.push(events, csv, rejects);
    await csv.write(csvHeader());
    const ocsfFile = ocsf ? new DeflatedFile(join(work, 'events.ocsf.jsonl.deflate')) : null;
    if (ocsfFile) all.push(ocsfFile);
    return new Outputs(merkle, work, all, events, csv, rejects, ocsfFile);
  }

  /** A raw file for the i-th source. */
  rawFile(i: number): DeflatedFile {
    const raw = new DeflatedFile(join(this.work, `raw-${i}.jsonl.deflate`));
    this.all.push(raw);
    return raw;
  }

  /** Writes an event to events.jsonl, events.csv and events.ocsf.jsonl. */
  async addEvent(ev: AuditEvent): Promise<void> {
    const line = canonicalLine(ev);
    if (this.events.add(`${line}\n`)) await this.events.flush();
    this.eventLines++;
    if (this.csv.add(csvRow(ev))) await this.csv.flush();
    if (this.ocsf) {
      // From the canonical line, so the records' key order is the one verify recomputes.
      const text = this.ocsfFormatter.format(JSON.parse(line) as AuditEvent);
      if (text) {
        this.ocsfRecords += text.split('\n').length - 1;
        if (this.ocsf.add(text)) await this.ocsf.flush();
      }
    }
  }

  async close(): Promise<ClosedOutputs> {
    const events = await this.events.close();
    const csv = await this.csv.close();
    const rejects = await this.rejects.close();
    const ocsf = this.ocsf ? await this.ocsf.close() : null;
    return { events, csv, rejects, ocsf };
  }
}
