// --demo: a built-in configuration that reads the sample logs shipped in fixtures/demo/ (real
// samples, see fixtures/demo/PROVENANCE.md), one source per format whose adapter is available, with
// each source's events moved into the requested period by a whole number of days. The raw records
// are not changed (their hashes still match the shipped files); each event records the shift in
// details.demo_time_shift_days, and the manifest records it per source.
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
export const DEMO_SOURCES: Array<{ name: string; format: string; path: string; log_line_prefix?: string; timezone?: string }> = [
  { name: 'demo-postgres', format: 'pgaudit', path: 'fixtures/demo/pgaudit/pg15-live__postgresql.log', log_line_prefix: '%m [%p] %q%u@%d/%a ' },
  { name: 'demo-mariadb', format: 'mariadb-audit', path: 'fixtures/demo/mariadb/mariadb10.11-live__server_audit.log', timezone: 'UTC' },
  { name: 'demo-mysql', format: 'mysql-enterprise-audit', path: 'fixtures/demo/mysql/universal-connectors__mysql-enterprise-audit_json.log', timezone: 'UTC' },
  { name: 'demo-aws', format: 'cloudtrail', path: 'fixtures/demo/cloudtrail/stratus-red-team__aws.persistence.iam-create-admin-user.json' },
  { name: 'demo-gcp', format: 'gcp-audit', path: 'fixtures/demo/gcp/google-cloudevents__LogEntryData-pubsubCreateTopic.json' },
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
    name: s.name, type: 'file', paths: [s.path], base, format: s.format,
    ...(s.log_line_prefix ? { log_line_prefix: s.log_line_prefix } : {}),
    ...(s.timezone ? { timezone: s.timezone } : {}),
  }));
  return {
    config: {
      file: null, digest: null, profile: 'soc2', roster: { entries: [] }, rosterFrom: [], sources,
      bundle: { sampleRows: DEFAULT_SAMPLE_ROWS },
    },
    unavailable,
  };
}

/** Whole days that move `latest` to the last day before `until` (0 when it is already inside). */
export function demoShiftDays(latest: number, since: number, until: number): number {
  if (latest >= since && latest < until) return 0;
  return Math.floor((until - 1 - latest) / DAY);
}

/** A demo source: reads the sample once to find its latest event, then again with events shifted. */
export function openDemoSource(cfg: FileSourceSettings, ctx: SourceRunContext, summary: RunSummary): SourceRun {
  let shift = 0;
  let inner: SourceRun | null = null;
  const since = ctx.since.getTime();
  const until = ctx.until.getTime();

  async function* outcomes(): AsyncGenerator<Outcome> {
    let latest = -Infinity;
    const probe = openFileSource(cfg, { ...ctx, progress: undefined }, emptySummary(), { applyWindow: false });
    for await (const o of probe.outcomes) {
      if (o.kind === 'event' && o.event.timestamp) latest = Math.max(latest, Date.parse(o.event.timestamp));
    }
    shift = Number.isFinite(latest) ? demoShiftDays(latest, since, until) : 0;
    inner = openFileSource(cfg, ctx, summary, { applyWindow: false });
    for await (const o of inner.outcomes) {
      if (o.kind !== 'event') { yield o; continue; }
      const ev = o.event;
      const t = ev.timestamp ? new Date(Date.parse(ev.timestamp) + shift * DAY).toISOString() : null;
      const shifted = { ...ev, timestamp: t, details: { ...ev.details, demo_time_shift_days: shift } };
      if (t !== null && (Date.parse(t) < since || Date.parse(t) >= until)) { yield { kind: 'skip', raw: o.raw, reason: OUTSIDE_WINDOW }; continue; }
      yield { kind: 'event', event: shifted, raw: o.raw };
    }
  }

  return {
    outcomes: outcomes(),
    result(): SourceResult {
      const r = inner ? inner.result() : { status: 'failed' as const, reason: 'the sample was not read', how: `files: ${cfg.paths.join(', ')}`, warnings: [] };
      return { ...r, how: `${r.how}; DEMO: event timestamps shifted by ${shift} days into the period`, settings: { ...r.settings, demo_time_shift_days: shift } };
    },
  };
}
