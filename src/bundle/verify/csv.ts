// events.csv: its header, then exactly the CSV row of each event of events.jsonl, in order, and no more.
import type { AuditEvent } from '../../event/types.generated.js';
import { csvHeader } from '../../export/csv.js';
import { csvRow } from '../csv-row.js';
import { CSV_FILE, EVENTS_FILE } from '../manifest.js';
import type { OpenBundle } from '../zip-reader.js';
import { type Fail, type LineReader, reader, type Streamed } from './types.js';

/** Compares events.csv with the events as they stream past; stops at the first row that differs. */
export class CsvCheck {
  private ok = true;

  private constructor(
    private readonly csv: LineReader | null,
    private readonly fail: Fail,
  ) {}

  /** Opens events.csv (when the bundle has one) and checks its header. */
  static async open(b: OpenBundle, subjects: Map<string, string>, streamed: Streamed, fail: Fail): Promise<CsvCheck> {
    const c = new CsvCheck(b.entries.has(CSV_FILE) ? reader(b, CSV_FILE, subjects, streamed) : null, fail);
    c.ok = await c.compare(csvHeader(), null);
    return c;
  }

  /** The next rows are the event's. */
  async event(e: AuditEvent, eventLine: number): Promise<void> {
    if (this.ok) this.ok = await this.compare(csvRow(e), eventLine);
  }

  private async compare(text: string, eventLine: number | null): Promise<boolean> {
    const csv = this.csv;
    if (!csv) return true;
    for (const want of text.split('\n').slice(0, -1)) {
      const got = await csv.next();
      const w = want.endsWith('\r') ? want.slice(0, -1) : want;
      if (!got || got.text !== w) {
        this.fail(
          CSV_FILE,
          `${got ? 'differs from' : 'ends before'} the row of ${eventLine === null ? 'the header' : `${EVENTS_FILE} line ${eventLine}`}`,
          got?.line ?? csv.line + 1,
        );
        return false;
      }
    }
    return true;
  }

  /** No rows after the last event's. */
  async finish(): Promise<void> {
    if (!this.ok || !this.csv) return;
    const extra = await this.csv.next();
    if (extra) this.fail(CSV_FILE, `has rows that are not in ${EVENTS_FILE}`, extra.line);
  }
}
