// --demo: a built-in configuration that reads the sample logs shipped in fixtures/demo/ (real
// samples, see fixtures/demo/PROVENANCE.md), one source per format whose adapter is available, with
// each source's events moved into the requested period by whole numbers of days and spread over the
// week (DEMO_WEEK), one day left silent so the report shows what a logging gap looks like. The raw
// records are not changed (their hashes still match the shipped files); each event records its shift
// in details.demo_time_shift_days, and the manifest records the shifts per source.
import { DEFAULT_RETENTION_MIN_DAYS } from '../retention/types.js';
import { fileURLToPath } from 'node:url';
import { findAdapter } from '../sources/registry.js';
import { OUTSIDE_WINDOW, emptySummary, type RunSummary } from '../pipeline/run.js';
import type { Outcome } from '../pipeline/types.js';
import type { CollectConfig } from '../config/load.js';
import { DEFAULT_SAMPLE_ROWS } from '../config/load.js';
import { packageFile } from '../event/schema.js';
import { openFileSource, type FileSourceSettings } from './file-source.js';
import type { SourceResult, SourceRun, SourceRunContext } from './source.js';

const DAY = 86400000;

/** The demo sources: name, format, sample file under fixtures/demo/, format options. */
export const DEMO_SOURCES: Array<{
  name: string;
  format: string;
  path: string;
  log_line_prefix?: string;
  timezone?: string;
}> = [
  {
    name: 'demo-postgres',
    format: 'pgaudit',
    path: 'fixtures/demo/pgaudit/pg15-live__postgresql.log',
    log_line_prefix: '%m [%p] %q%u@%d/%a ',
  },
  {
    name: 'demo-mariadb',
    format: 'mariadb-audit',
    path: 'fixtures/demo/mariadb/mariadb10.11-live__server_audit.log',
    timezone: 'UTC',
  },
  {
    name: 'demo-mysql',
    format: 'mysql-enterprise-audit',
    path: 'fixtures/demo/mysql/universal-connectors__mysql-enterprise-audit_json.log',
    timezone: 'UTC',
  },
  {
    name: 'demo-aws',
    format: 'cloudtrail',
    path: 'fixtures/demo/cloudtrail/stratus-red-team__aws.persistence.iam-create-admin-user.json',
  },
  {
    name: 'demo-gcp',
    format: 'gcp-audit',
    path: 'fixtures/demo/gcp/google-cloudevents__LogEntryData-pubsubCreateTopic.json',
  },
];

/** True when the adapter is implemented (the registry's placeholders say '(not available yet)'). */
export function adapterAvailable(id: string): boolean {
  const a = findAdapter(id);
  return !!a && !a.description.endsWith('(not available yet)');
}

export function demoConfig(): { config: CollectConfig; unavailable: string[] } {
  const base = fileURLToPath(packageFile(''));
  const unavailable = DEMO_SOURCES.filter((s) => !adapterAvailable(s.format)).map((s) => s.format);
  const sources: FileSourceSettings[] = DEMO_SOURCES.filter((s) => adapterAvailable(s.format)).map((s) => ({
    name: s.name,
    type: 'file',
    paths: [s.path],
    base,
    format: s.format,
    ...(s.log_line_prefix ? { log_line_prefix: s.log_line_prefix } : {}),
    ...(s.timezone ? { timezone: s.timezone } : {}),
  }));
  return {
    config: {
      file: null,
      digest: null,
      profile: 'soc2',
      roster: { entries: [] },
      rosterFrom: [],
      sources,
      retentionMinDays: DEFAULT_RETENTION_MIN_DAYS,
      bundle: { sampleRows: DEFAULT_SAMPLE_ROWS },
    },
    unavailable,
  };
}

/**
 * The demo week: the day (0 = first day of the last seven days of the period) each part of a demo
 * source lands on, in the source's own order. A source is cut into as many parts as it has days, at
 * its largest pauses (so a session stays together), and each part is moved by whole days, keeping
 * its time of day and its spacing. Day 3 gets nothing from any source: the deliberately silent day
 * the report's chart marks.
 */
export const DEMO_WEEK: Record<string, number[]> = {
  'demo-postgres': [0, 2, 5],
  'demo-mariadb': [1, 4, 6],
  'demo-mysql': [2, 5],
  'demo-aws': [1],
  'demo-gcp': [6],
};
export const DEMO_SILENT_DAY = 3;

/** Whole days that move `latest` to the last day before `until` (0 when it is already inside). */
export function demoShiftDays(latest: number, since: number, until: number): number {
  if (latest >= since && latest < until) return 0;
  return Math.floor((until - 1 - latest) / DAY);
}

/**
 * Where to cut a source's timestamps into `parts` runs: the instants that start a new part (the
 * event after each of the parts-1 largest pauses; ties go to the earlier pause). Sorted ascending.
 */
export function demoCuts(times: number[], parts: number): number[] {
  const t = [...times].sort((a, b) => a - b);
  const gaps = t
    .slice(1)
    .map((v, i) => ({ at: v, gap: v - t[i] }))
    .filter((g) => g.gap > 0);
  gaps.sort((a, b) => b.gap - a.gap || a.at - b.at);
  return gaps
    .slice(0, Math.max(0, parts - 1))
    .map((g) => g.at)
    .sort((a, b) => a - b);
}

/** The part a timestamp belongs to, given the cuts. */
export function demoPart(t: number, cuts: number[]): number {
  let i = 0;
  while (i < cuts.length && t >= cuts[i]) i++;
  return i;
}

/**
 * Whole-day shifts for each part: part j's first event lands on its day of the demo week (the last
 * seven days of the period; a shorter period squeezes the week's days into its own).
 */
export function demoShifts(partStarts: number[], days: number[], since: number, until: number): number[] {
  const periodDays = Math.max(1, Math.round((until - since) / DAY));
  const weekStart = periodDays >= 7 ? until - 7 * DAY : since;
  return partStarts.map((first, j) => {
    const day = periodDays >= 7 ? days[j] : Math.floor((days[j] * periodDays) / 7);
    return Math.ceil((weekStart + day * DAY - first) / DAY);
  });
}

/**
 * A demo source: reads the sample once to find its events' times, then again with each part of the
 * source moved to its day of the demo week (sources not in DEMO_WEEK: all moved to the last day).
 */
export function openDemoSource(cfg: FileSourceSettings, ctx: SourceRunContext, summary: RunSummary): SourceRun {
  let shifts: number[] = [0];
  let inner: SourceRun | null = null;
  const since = ctx.since.getTime();
  const until = ctx.until.getTime();

  async function* outcomes(): AsyncGenerator<Outcome> {
    const times: number[] = [];
    const probe = openFileSource(cfg, { ...ctx, progress: undefined }, emptySummary(), { applyWindow: false });
    for await (const o of probe.outcomes) {
      if (o.kind === 'event' && o.event.timestamp) times.push(Date.parse(o.event.timestamp));
    }
    const days = DEMO_WEEK[cfg.name];
    let cuts: number[] = [];
    if (times.length === 0) shifts = [0];
    else if (!days) shifts = [demoShiftDays(Math.max(...times), since, until)];
    else {
      cuts = demoCuts(times, days.length);
      const starts = [Math.min(...times), ...cuts];
      shifts = demoShifts(starts, days, since, until);
    }
    inner = openFileSource(cfg, ctx, summary, { applyWindow: false });
    for await (const o of inner.outcomes) {
      if (o.kind !== 'event') {
        yield o;
        continue;
      }
      const ev = o.event;
      const at = ev.timestamp ? Date.parse(ev.timestamp) : null;
      const shift = at === null ? shifts[0] : shifts[demoPart(at, cuts)];
      const t = at === null ? null : new Date(at + shift * DAY).toISOString();
      const shifted = { ...ev, timestamp: t, details: { ...ev.details, demo_time_shift_days: shift } };
      if (t !== null && (Date.parse(t) < since || Date.parse(t) >= until)) {
        yield { kind: 'skip', raw: o.raw, reason: OUTSIDE_WINDOW };
        continue;
      }
      yield { kind: 'event', event: shifted, raw: o.raw };
    }
  }

  return {
    outcomes: outcomes(),
    result(): SourceResult {
      const r = inner
        ? inner.result()
        : {
            status: 'failed' as const,
            reason: 'the sample was not read',
            how: `files: ${cfg.paths.join(', ')}`,
            warnings: [],
          };
      const list = [...new Set(shifts)];
      const words =
        list.length === 1
          ? `${list[0]} days`
          : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]} days (the sample cut at its longest pauses and spread over the week)`;
      return {
        ...r,
        how: `${r.how}; DEMO: event timestamps shifted by ${words}; the raw records keep their original dates`,
        settings: { ...r.settings, demo_time_shift_days: Math.min(...list), demo_time_shifts_days: list },
      };
    },
  };
}
