// The counts: what the single pass tallied from events.jsonl and the raw files, against the
// predicate's per-source figures, its totals, events.by_category and events.privileged.
import { canonicalJson } from '../../event/canonical.js';
import type { AuditEvent } from '../../event/types.generated.js';
import { EVENTS_FILE, type EvidencePredicate, MANIFEST_FILE, REJECTS_FILE } from '../manifest.js';
import type { OpenBundle } from '../zip-reader.js';
import type { Fail } from './types.js';

interface SourceTally {
  events: number;
  raw: Record<string, number>;
  rawLines: number;
  first: string | null;
  last: string | null;
  untimed: number;
}

/** The figures recounted as the events and raw records stream past. */
export class Tally {
  readonly perSource = new Map<string, SourceTally>();
  /** The predicate's figures a reader sees first (and summary.html shows), recounted from the events. */
  readonly byCategory: Record<string, number> = {};
  privileged = 0;

  constructor(p: EvidencePredicate) {
    for (const s of p.sources)
      this.perSource.set(s.name, { events: 0, raw: {}, rawLines: 0, first: null, last: null, untimed: 0 });
  }

  /** An event of a source the manifest lists. */
  addEvent(e: AuditEvent, source: string): void {
    const ps = this.perSource.get(source)!;
    ps.events++;
    this.byCategory[e.category] = (this.byCategory[e.category] ?? 0) + 1;
    if (e.privileged.value) this.privileged++;
    if (e.timestamp === null) ps.untimed++;
    else {
      if (ps.first === null || e.timestamp < ps.first) ps.first = e.timestamp;
      if (ps.last === null || e.timestamp > ps.last) ps.last = e.timestamp;
    }
  }

  /** A raw record of a source (skips of every kind are counted together). */
  addRaw(source: string, disposition: string): void {
    const c = this.perSource.get(source);
    if (!c) return;
    c.rawLines++;
    const k = disposition.startsWith('skip') ? 'skip' : disposition;
    c.raw[k] = (c.raw[k] ?? 0) + 1;
  }
}

/** The predicate's counts against the tally and the rejects counted per source. */
export function checkCounts(
  b: OpenBundle,
  p: EvidencePredicate,
  tally: Tally,
  rejects: Record<string, number>,
  fail: Fail,
): void {
  for (const s of p.sources) {
    const c = tally.perSource.get(s.name)!;
    const skippedTotal = Object.values(s.skipped).reduce((a, n) => a + n, 0);
    if (s.records_read !== s.events + s.rejects + skippedTotal)
      fail(
        MANIFEST_FILE,
        `source ${s.name}: records_read ${s.records_read} is not events + rejects + skipped (${s.events} + ${s.rejects} + ${skippedTotal})`,
      );
    if (c.events !== s.events)
      fail(EVENTS_FILE, `holds ${c.events} events of source ${s.name}; the manifest says ${s.events}`);
    if ((rejects[s.name] ?? 0) !== s.rejects)
      fail(REJECTS_FILE, `holds ${rejects[s.name] ?? 0} rejects of source ${s.name}; the manifest says ${s.rejects}`);
    if (b.entries.has(s.raw_file)) {
      if (c.rawLines !== s.raw_records)
        fail(s.raw_file, `holds ${c.rawLines} raw records; the manifest says ${s.raw_records}`);
      if ((c.raw.event ?? 0) !== s.events || (c.raw.reject ?? 0) !== s.rejects)
        fail(
          s.raw_file,
          `holds ${c.raw.event ?? 0} event and ${c.raw.reject ?? 0} rejected records; the manifest says ${s.events} and ${s.rejects}`,
        );
    }
    if (s.raw_records !== s.records_read - s.outside_period)
      fail(MANIFEST_FILE, `source ${s.name}: raw_records ${s.raw_records} is not records_read - outside_period`);
  }
  const totalEvents = p.sources.reduce((a, s) => a + s.events, 0);
  if (totalEvents !== p.events.count)
    fail(MANIFEST_FILE, `the sources' events add up to ${totalEvents}, not events.count ${p.events.count}`);
  for (const s of p.sources) {
    const c = tally.perSource.get(s.name)!;
    if (c.first !== s.first_event || c.last !== s.last_event || c.untimed !== s.untimed_events)
      fail(
        MANIFEST_FILE,
        `source ${s.name}: first_event ${s.first_event}, last_event ${s.last_event}, untimed_events ${s.untimed_events} do not recompute from ${EVENTS_FILE} (${c.first}, ${c.last}, ${c.untimed})`,
      );
  }
  checkTotals(p, fail);
  if (canonicalJson(tally.byCategory) !== canonicalJson(p.events.by_category))
    fail(
      MANIFEST_FILE,
      `events.by_category ${JSON.stringify(p.events.by_category)} does not recompute from ${EVENTS_FILE} (${JSON.stringify(tally.byCategory)})`,
    );
  if (tally.privileged !== p.events.privileged)
    fail(
      MANIFEST_FILE,
      `events.privileged is ${p.events.privileged}; ${EVENTS_FILE} holds ${tally.privileged} privileged events`,
    );
}

/** predicate.totals is the sum of the sources. */
function checkTotals(p: EvidencePredicate, fail: Fail): void {
  const sum = (f: (s: EvidencePredicate['sources'][number]) => number) => p.sources.reduce((a, s) => a + f(s), 0);
  const t = p.totals;
  const want = {
    records_read: sum((s) => s.records_read),
    events: sum((s) => s.events),
    rejects: sum((s) => s.rejects),
    skipped: sum((s) => Object.values(s.skipped).reduce((a, n) => a + n, 0)),
    outside_period: sum((s) => s.outside_period),
    counts_reconcile: p.sources.every((s) => s.counts_reconcile),
  };
  for (const [k, v] of Object.entries(want))
    if (t[k as keyof typeof t] !== v)
      fail(
        MANIFEST_FILE,
        `totals.${k} is ${JSON.stringify(t[k as keyof typeof t])}; the sources add up to ${JSON.stringify(v)}`,
      );
}
