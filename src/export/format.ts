// One interface over the event output formats (JSON Lines, CSV, OCSF JSON Lines), so normalize,
// filter, the parallel workers and collect write any of them the same way.
import type { AuditEvent } from '../event/types.generated.js';
import { eventToJsonLine } from './jsonl.js';
import { csvHeader, eventToCsvRow } from './csv.js';
import { eventToOcsfLines } from './ocsf.js';

export const OUTPUT_KINDS = ['jsonl', 'csv', 'ocsf'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

export class EventFormatter {
  /** Events that could not be written in this format, by reason (only OCSF has such events). */
  readonly notExported = new Map<string, number>();
  /** The first few event ids not exported, for the message that names them. */
  readonly notExportedIds: string[] = [];
  constructor(readonly kind: OutputKind) {}

  header(): string {
    return this.kind === 'csv' ? csvHeader() : '';
  }

  /** The text for one event ('' when it cannot be written in this format: see notExported). */
  format(e: AuditEvent): string {
    if (this.kind === 'csv') return eventToCsvRow(e);
    if (this.kind === 'jsonl') return eventToJsonLine(e);
    const r = eventToOcsfLines(e);
    if (r.notExported !== null) this.addNotExported(r.notExported, 1, [e.id]);
    return r.lines;
  }

  addNotExported(reason: string, count: number, ids: string[] = []): void {
    this.notExported.set(reason, (this.notExported.get(reason) ?? 0) + count);
    for (const id of ids) if (this.notExportedIds.length < 3) this.notExportedIds.push(id);
  }

  get notExportedTotal(): number {
    let n = 0;
    for (const v of this.notExported.values()) n += v;
    return n;
  }

  /** One sentence per reason, e.g. "3 events not written as OCSF: no timestamp (OCSF requires time)". */
  notExportedLines(): string[] {
    return [...this.notExported].map(([reason, n]) => `${n} event${n === 1 ? '' : 's'} not written as OCSF: ${reason}`);
  }
}
