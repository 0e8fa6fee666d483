// Runs the logging probe on every configured live source that has a `probe` section (opt-in): the
// source-specific actions (postgres.ts, mysql.ts), then the source's own pull, repeated until each
// action's event is found or the wait runs out. What is looked for is what collect would read:
// the same opener, the same adapter, the same mapping.
import { randomBytes } from 'node:crypto';
import type { AuditEvent } from '../event/types.generated.js';
import type { SourceConfig } from '../collect/source.js';
import { emptySummary } from '../pipeline/run.js';
import { liveOpeners } from '../live/registry.js';
import type { PostgresSourceConfig } from '../live/postgres/connection.js';
import type { MysqlSourceConfig } from '../live/mysql/connection.js';
import { probePostgres, type PlanRun } from './postgres.js';
import { probeMysql } from './mysql.js';
import type { PlannedProbe, ProbeConfig, ProbeResult, SourceProbeReport } from './types.js';

export class ProbeError extends Error {
  constructor(message: string) { super(message); this.name = 'ProbeError'; }
}

/** Source types the probe can act on. */
export const PROBE_TYPES = ['postgres', 'mysql'] as const;

export interface ProbeOptions {
  progress?: (msg: string) => void;
  signal?: AbortSignal;
  /** Overrides each source's `probe.wait` (seconds). */
  wait?: number;
  /** Milliseconds between reads of the log while waiting (default 1000). */
  pollMs?: number;
}

/** The sources a probe would run on; throws a ProbeError when there are none (the probe is opt-in). */
export function probeTargets(sources: SourceConfig[]): SourceConfig[] {
  const withProbe = sources.filter((s) => s['probe'] !== undefined);
  const unsupported = withProbe.filter((s) => !(PROBE_TYPES as readonly string[]).includes(s.type));
  if (unsupported.length) throw new ProbeError(`the probe cannot act on ${unsupported.map((s) => `${s.name} (type ${s.type})`).join(', ')}: it supports ${PROBE_TYPES.join(' and ')} sources (Bytebase, GCP and AWS probes are not implemented)`);
  if (withProbe.length === 0) {
    throw new ProbeError('no source has a probe section: the probe is opt-in and acts only as a login you name, e.g. under a postgres or mysql source:\n  probe:\n    user: ae_prober          # a dedicated login with CREATEROLE (PostgreSQL) or CREATE USER (MySQL)\n    password_env: AE_PROBE_PASSWORD');
  }
  return withProbe;
}

function eventFacts(e: AuditEvent): ProbeResult['event'] {
  return { id: e.id, record_id: e.source.record_id, timestamp: e.timestamp, user: e.user.name, action: e.action.name, resource: e.resource.name, outcome: e.outcome };
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((r) => { const t = setTimeout(r, ms); signal?.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true }); });

export async function probeSource(src: SourceConfig, opts: ProbeOptions = {}): Promise<SourceProbeReport> {
  const probe = src['probe'] as ProbeConfig;
  if (!probe || typeof probe.user !== 'string' || !probe.user) throw new ProbeError(`${src.name}: probe.user names the login the probe acts as`);
  if (probe.user.startsWith('ae_probe_')) throw new ProbeError(`${src.name}: probe.user must not be named ae_probe_*: the probe drops such accounts as leftovers`);
  const say = (m: string) => opts.progress?.(`${src.name}: probe: ${m}`);
  const nonce = randomBytes(4).toString('hex');
  const startedAt = new Date();
  const wait = opts.wait ?? probe.wait ?? 30;
  let plan: PlanRun;
  say(`acting as ${probe.user} (nonce ${nonce})`);
  try {
    plan = src.type === 'postgres'
      ? await probePostgres(src as unknown as PostgresSourceConfig, probe, nonce)
      : await probeMysql(src as unknown as MysqlSourceConfig, probe, nonce);
  } catch (e) {
    throw new ProbeError(`${src.name}: ${(e as Error).message}`);
  }
  const pending = new Set<PlannedProbe>(plan.planned.filter((p) => !p.error && !p.notProbed && p.performed_at));
  const found = new Map<PlannedProbe, { e: AuditEvent; seenAt: number }>();
  const open = liveOpeners[src.type];
  if (!open) throw new ProbeError(`${src.name}: no live source of type ${src.type}`);
  let reads = 0;
  let lastReadProblem: string | null = null;
  const deadline = Date.now() + wait * 1000;
  while (pending.size > 0) {
    reads++;
    const run = open(src, { since: new Date(startedAt.getTime() - 60_000), until: new Date(Date.now() + 60_000), signal: opts.signal }, emptySummary());
    for await (const o of run.outcomes) {
      if (o.kind !== 'event') continue;
      for (const p of pending) {
        if (p.matches(o.event)) { found.set(p, { e: o.event, seenAt: Date.now() }); pending.delete(p); }
      }
    }
    const r = run.result();
    lastReadProblem = r.status === 'failed' || r.status === 'partial' ? r.reason ?? r.status : null;
    if (pending.size === 0 || Date.now() >= deadline || opts.signal?.aborted) break;
    say(`${found.size} of ${found.size + pending.size} actions found in the log, waiting (up to ${Math.max(0, Math.round((deadline - Date.now()) / 1000))} s more)`);
    await sleep(opts.pollMs ?? 1000, opts.signal);
  }
  const waited = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const results: ProbeResult[] = plan.planned.map((p) => {
    const base = { category: p.category, name: p.name, action: p.action, performed_at: p.performed_at?.toISOString() ?? null };
    if (p.notProbed) return { ...base, status: 'not_probed', event: null, delay_ms: null, waited_s: null, reason: p.notProbed, likely_setting: null };
    if (p.error) return { ...base, status: 'failed', event: null, delay_ms: null, waited_s: null, reason: `the action failed: ${p.error}`, likely_setting: null };
    const f = found.get(p);
    if (f) return { ...base, status: 'found', event: eventFacts(f.e), delay_ms: Math.max(0, f.seenAt - p.performed_at!.getTime()), waited_s: null, reason: null, likely_setting: null };
    return {
      ...base, status: 'not_found', event: null, delay_ms: null, waited_s: waited,
      reason: `not found after ${waited} s${lastReadProblem ? ` (the last read of the log: ${lastReadProblem})` : ''}`, likely_setting: p.likely_setting,
    };
  });
  say(`${results.filter((r) => r.status === 'found').length} found, ${results.filter((r) => r.status === 'not_found').length} not found after ${reads} read(s) of the log`);
  return {
    source: src.name, type: src.type, nonce, role: probe.user, started_at: startedAt.toISOString(), finished_at: new Date().toISOString(),
    results, cleanup: { dropped: plan.dropped, leftovers_removed: plan.leftovers, errors: plan.errors }, reads,
  };
}

/** Probes every source that has a probe section, one after another. */
export async function runProbes(sources: SourceConfig[], opts: ProbeOptions = {}): Promise<SourceProbeReport[]> {
  const out: SourceProbeReport[] = [];
  for (const s of probeTargets(sources)) out.push(await probeSource(s, opts));
  return out;
}

/** One line per probe result, for the terminal. */
export function probeLines(reports: SourceProbeReport[]): string[] {
  const lines: string[] = [];
  for (const r of reports) {
    for (const x of r.results) {
      const head = `${r.source} ${x.category.padEnd(17)} ${x.name}:`;
      if (x.status === 'found') lines.push(`${head} FOUND after ${((x.delay_ms ?? 0) / 1000).toFixed(1)} s: event ${x.event!.id.slice(0, 12)} (user ${x.event!.user ?? '-'}, action ${x.event!.action ?? '-'}, resource ${x.event!.resource ?? '-'}, ${x.event!.timestamp ?? 'no time'})`);
      else if (x.status === 'not_found') lines.push(`${head} NOT FOUND ${x.reason}; likely: ${x.likely_setting}`);
      else if (x.status === 'failed') lines.push(`${head} FAILED ${x.reason}`);
      else lines.push(`${head} not probed: ${x.reason}`);
    }
    if (r.cleanup.leftovers_removed.length) lines.push(`${r.source} removed leftovers of an earlier probe: ${r.cleanup.leftovers_removed.join(', ')}`);
    for (const e of r.cleanup.errors) lines.push(`${r.source} note: ${e}`);
  }
  return lines;
}
