// What the run counts as events stream past: each source's figures for the manifest, and the
// page's pictures (events by category, per calendar day and per hour of the period, per source;
// the first administrator events of each category; the checklist's statistics). Bounded by the
// period's length and the number of sources, never the input's size. A stage of runCollect.
import type { SampleRow } from '../bundle/html.js';
import { ChecklistStats } from '../checks/checklist.js';
import type { AuditEvent } from '../event/types.generated.js';
import { dayLabeller, type Period, periodDays } from './window.js';

/** One source's counts, for its manifest entry. */
export interface SourceCounts {
  read: number;
  events: number;
  rejects: number;
  skipped: Record<string, number>;
  outside: number;
  untimed: number;
  first: string | null;
  last: string | null;
  /** Events whose raw_sha256 is not the hash of the raw record they came from (an adapter bug). */
  mismatched: number;
}

/** A source's counts and its share of the page's pictures. */
export interface SourceTally {
  c: SourceCounts;
  cats: Record<string, number>;
  perDay: Record<string, number>;
  perHour: number[] | null;
}

export function bump(m: Record<string, number>, k: string, n = 1): void {
  m[k] = (m[k] ?? 0) + n;
}

export class RunTally {
  readonly byCategory: Record<string, number> = {};
  readonly categoriesBySource: Record<string, Record<string, number>> = {};
  readonly days: string[];
  readonly daysBySource: Record<string, Record<string, number>> = {};
  /** Hours only for periods up to a year. */
  readonly hoursBySource: Record<string, number[]> | null;
  readonly sample: SampleRow[] = [];
  readonly privilegedByCategory: Record<string, number> = {};
  privileged = 0;
  readonly checklistStats = new ChecklistStats();
  private readonly dayOf: (iso: string) => string;
  private readonly periodHours: number;

  constructor(
    private readonly period: Period,
    /** The first N administrator events of each category are sampled (N = bundle.sample_rows). */
    private readonly sampleRows: number,
  ) {
    this.dayOf = dayLabeller(period.timezone);
    this.days = periodDays(period.start, period.end, period.timezone);
    this.periodHours = Math.ceil((period.end.getTime() - period.start.getTime()) / 3600000);
    this.hoursBySource = this.periodHours <= 366 * 24 ? {} : null;
  }

  /** Starts a source's tally. */
  source(name: string): SourceTally {
    const cats: Record<string, number> = {};
    this.categoriesBySource[name] = cats;
    const perDay: Record<string, number> = {};
    this.daysBySource[name] = perDay;
    const perHour = this.hoursBySource
      ? (this.hoursBySource[name] = new Array<number>(this.periodHours).fill(0))
      : null;
    const c: SourceCounts = {
      read: 0,
      events: 0,
      rejects: 0,
      skipped: {},
      outside: 0,
      untimed: 0,
      first: null,
      last: null,
      mismatched: 0,
    };
    return { c, cats, perDay, perHour };
  }

  /** Counts an event of the source; `line` is its line in events.jsonl. */
  event(ev: AuditEvent, s: SourceTally, line: number): void {
    const { c, cats, perDay, perHour } = s;
    this.checklistStats.add(ev);
    c.events++;
    bump(this.byCategory, ev.category);
    bump(cats, ev.category);
    if (ev.timestamp === null) c.untimed++;
    else {
      if (c.first === null || ev.timestamp < c.first) c.first = ev.timestamp;
      if (c.last === null || ev.timestamp > c.last) c.last = ev.timestamp;
      const day = this.dayOf(ev.timestamp);
      bump(perDay, day);
      if (perHour) {
        const h = Math.floor((Date.parse(ev.timestamp) - this.period.start.getTime()) / 3600000);
        if (h >= 0 && h < perHour.length) perHour[h]++;
      }
    }
    if (ev.privileged.value) this.privilegedEvent(ev, line);
  }

  private privilegedEvent(ev: AuditEvent, line: number): void {
    this.privileged++;
    bump(this.privilegedByCategory, ev.category);
    // The first N administrator events of each category (N = bundle.sample_rows).
    if ((this.privilegedByCategory[ev.category] ?? 0) <= this.sampleRows) {
      this.sample.push({
        line,
        timestamp: ev.timestamp,
        user: ev.user.name,
        userType: ev.user.type,
        action: ev.action.name,
        resource: ev.resource.name,
        category: ev.category,
        outcome: ev.outcome,
        source: ev.source.instance,
        reasons: ev.privileged.reasons,
      });
    }
  }
}
