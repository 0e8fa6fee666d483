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
import { probeBytebase } from './bytebase.js';
import { probeAws, type AwsProbeSource } from './aws.js';
import { probeGcp } from './gcp.js';
import type { GcpLoggingSourceConfig } from '../live/gcp-logging/index.js';
import type { BytebaseSourceConfig } from '../live/bytebase/index.js';
import type { PlannedProbe, ProbeConfig, ProbeResult, SourceProbeReport } from './types.js';

export class ProbeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProbeError';
  }
}

/** Source types the probe can act on. */
export const PROBE_TYPES = ['postgres', 'mysql', 'bytebase', 'cloudtrail', 'cloudtrail-s3', 'gcp-logging'] as const;

/** Per source type: what the probe section must name, how long to wait and how often to read. */
interface Driver {
  /** The probe section's field naming who or what the probe acts as / on. */
  names: 'user' | 'iam_role' | 'bucket';
  /** How the report names it. */
  label(p: ProbeConfig): string;
  waitS: number;
  pollMs: number;
  act(src: SourceConfig, p: ProbeConfig, nonce: string): Promise<PlanRun>;
  /** The source as the probe reads it back (e.g. without the IAM roster on every read). */
  reader?(src: SourceConfig): SourceConfig;
}
const DRIVERS: Record<string, Driver> = {
  postgres: {
    names: 'user',
    label: (p) => p.user!,
    waitS: 30,
    pollMs: 1000,
    act: (s, p, n) => probePostgres(s as unknown as PostgresSourceConfig, p as ProbeConfig & { user: string }, n),
  },
  mysql: {
    names: 'user',
    label: (p) => p.user!,
    waitS: 30,
    pollMs: 1000,
    act: (s, p, n) => probeMysql(s as unknown as MysqlSourceConfig, p as ProbeConfig & { user: string }, n),
  },
  bytebase: {
    names: 'user',
    label: (p) => p.user!,
    waitS: 30,
    pollMs: 1000,
    act: (s, p, n) => probeBytebase(s as unknown as BytebaseSourceConfig, p, n),
  },
  cloudtrail: {
    names: 'iam_role',
    label: (p) => `IAM role ${p.iam_role}`,
    waitS: 900,
    pollMs: 30_000,
    act: (s, p, n) => probeAws(s as unknown as AwsProbeSource, p, n),
    reader: (s) => ({ ...s, iam_roster: false }),
  },
  'gcp-logging': {
    names: 'bucket',
    label: (p) => `bucket ${p.bucket}`,
    waitS: 300,
    pollMs: 10_000,
    act: (s, p, n) => probeGcp(s as unknown as GcpLoggingSourceConfig, p, n),
    reader: (s) => ({ ...s, iam_roster: false }),
  },
  'cloudtrail-s3': {
    names: 'iam_role',
    label: (p) => `IAM role ${p.iam_role}`,
    waitS: 900,
    pollMs: 30_000,
    act: (s, p, n) => probeAws(s as unknown as AwsProbeSource, p, n),
  },
};
const EXAMPLE = `e.g. under a postgres or mysql source:
  probe:
    user: ae_prober          # a dedicated login with CREATEROLE (PostgreSQL) or CREATE USER (MySQL)
    password_env: AE_PROBE_PASSWORD
under a bytebase source:
  probe:
    user: ae-prober@service.bytebase.com   # the probe account (custom roles, review configs, audit log export)
    password_env: AE_BB_PROBE_KEY
under a cloudtrail or cloudtrail-s3 source:
  probe:
    iam_role: ae-probe-target              # a dedicated IAM role the probe tags and untags
under a gcp-logging source:
  probe:
    bucket: acme-ae-probe                  # a dedicated Cloud Storage bucket the probe labels and unlabels`;

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
  if (unsupported.length)
    throw new ProbeError(
      `the probe cannot act on ${unsupported.map((s) => `${s.name} (type ${s.type})`).join(', ')}: it supports ${PROBE_TYPES.join(', ')} sources`,
    );
  if (withProbe.length === 0) {
    throw new ProbeError(
      `no source has a probe section: the probe is opt-in and acts only as a login, or on a resource, you name, ${EXAMPLE}`,
    );
  }
  return withProbe;
}

function eventFacts(e: AuditEvent): ProbeResult['event'] {
  return {
    id: e.id,
    record_id: e.source.record_id,
    timestamp: e.timestamp,
    user: e.user.name,
    action: e.action.name,
    resource: e.resource.name,
    outcome: e.outcome,
  };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        r();
      },
      { once: true },
    );
  });

export async function probeSource(src: SourceConfig, opts: ProbeOptions = {}): Promise<SourceProbeReport> {
  const { probe, driver } = probeSettings(src);
  const say = (m: string) => opts.progress?.(`${src.name}: probe: ${m}`);
  const nonce = randomBytes(4).toString('hex');
  const startedAt = new Date();
  let plan: PlanRun;
  say(`acting as ${driver.label(probe)} (nonce ${nonce})`);
  try {
    plan = await driver.act(src, probe, nonce);
  } catch (e) {
    throw new ProbeError(`${src.name}: ${(e as Error).message}`);
  }
  const seen = await readUntilFound(src, probe, driver, plan, startedAt, opts, say);
  const waited = Math.round((Date.now() - startedAt.getTime()) / 1000);
  const results = plan.planned.map((p) => probeResult(p, seen, waited));
  say(
    `${results.filter((r) => r.status === 'found').length} found, ${results.filter((r) => r.status === 'not_found').length} not found after ${seen.reads} read(s) of the log`,
  );
  return {
    source: src.name,
    type: src.type,
    nonce,
    role: driver.label(probe),
    started_at: startedAt.toISOString(),
    finished_at: new Date().toISOString(),
    results,
    cleanup: { dropped: plan.dropped, leftovers_removed: plan.leftovers, errors: plan.errors },
    reads: seen.reads,
  };
}

/** The source's probe section and the driver for its type, checked (the probe acts only on what it is named). */
function probeSettings(src: SourceConfig): { probe: ProbeConfig; driver: Driver } {
  const probe = src['probe'] as ProbeConfig;
  const driver = DRIVERS[src.type];
  if (!driver) throw new ProbeError(`${src.name}: the probe cannot act on a ${src.type} source`);
  const named = probe?.[driver.names];
  if (!probe || typeof named !== 'string' || !named) {
    throw new ProbeError(
      `${src.name}: probe.${driver.names} names the ${driver.names === 'user' ? 'login the probe acts as' : driver.names === 'iam_role' ? 'dedicated IAM role the probe acts on (it never touches another)' : 'dedicated bucket the probe labels (it never touches another)'}`,
    );
  }
  if (driver.names === 'user' && named.startsWith('ae_probe_'))
    throw new ProbeError(
      `${src.name}: probe.user must not be named ae_probe_*: the probe drops such accounts as leftovers`,
    );
  return { probe, driver };
}

/** What reading the log found: the event of each action found, and how the reads went. */
interface Seen {
  found: Map<PlannedProbe, { e: AuditEvent; seenAt: number }>;
  reads: number;
  lastReadProblem: string | null;
}

/** Reads the source's log again and again until every action performed is found, or the wait is over. */
async function readUntilFound(
  src: SourceConfig,
  probe: ProbeConfig,
  driver: Driver,
  plan: PlanRun,
  startedAt: Date,
  opts: ProbeOptions,
  say: (m: string) => void,
): Promise<Seen> {
  const wait = opts.wait ?? probe.wait ?? driver.waitS;
  const pollMs = opts.pollMs ?? (probe.poll !== undefined ? probe.poll * 1000 : driver.pollMs);
  const pending = new Set<PlannedProbe>(plan.planned.filter((p) => !p.error && !p.notProbed && p.performed_at));
  const seen: Seen = { found: new Map(), reads: 0, lastReadProblem: null };
  const open = liveOpeners[src.type];
  const readSrc = driver.reader ? driver.reader(src) : src;
  if (!open) throw new ProbeError(`${src.name}: no live source of type ${src.type}`);
  const deadline = Date.now() + wait * 1000;
  while (pending.size > 0) {
    seen.reads++;
    const run = open(
      readSrc,
      { since: new Date(startedAt.getTime() - 60_000), until: new Date(Date.now() + 60_000), signal: opts.signal },
      emptySummary(),
    );
    for await (const o of run.outcomes) {
      if (o.kind !== 'event') continue;
      for (const p of pending) {
        if (p.matches(o.event, o.raw.text)) {
          seen.found.set(p, { e: o.event, seenAt: Date.now() });
          pending.delete(p);
        }
      }
    }
    const r = run.result();
    seen.lastReadProblem = r.status === 'failed' || r.status === 'partial' ? (r.reason ?? r.status) : null;
    if (pending.size === 0 || Date.now() >= deadline || opts.signal?.aborted) break;
    const found = seen.found.size;
    say(
      `${found} of ${found + pending.size} actions found in the log after ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s, waiting (up to ${Math.max(0, Math.round((deadline - Date.now()) / 1000))} s more, reading every ${pollMs >= 1000 ? Math.round(pollMs / 1000) : (pollMs / 1000).toFixed(1)} s)`,
    );
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())), opts.signal);
  }
  return seen;
}

/** One action's result: not probed, failed, found (with its delay), or not found (with the setting likely to blame). */
function probeResult(p: PlannedProbe, seen: Seen, waited: number): ProbeResult {
  const base = {
    category: p.category,
    name: p.name,
    action: p.action,
    performed_at: p.performed_at?.toISOString() ?? null,
  };
  if (p.notProbed)
    return {
      ...base,
      status: 'not_probed',
      event: null,
      delay_ms: null,
      waited_s: null,
      reason: p.notProbed,
      likely_setting: null,
    };
  if (p.error)
    return {
      ...base,
      status: 'failed',
      event: null,
      delay_ms: null,
      waited_s: null,
      reason: `the action failed: ${p.error}`,
      likely_setting: null,
    };
  const f = seen.found.get(p);
  if (f)
    return {
      ...base,
      status: 'found',
      event: eventFacts(f.e),
      delay_ms: Math.max(0, f.seenAt - p.performed_at!.getTime()),
      waited_s: null,
      reason: null,
      likely_setting: null,
    };
  return {
    ...base,
    status: 'not_found',
    event: null,
    delay_ms: null,
    waited_s: waited,
    reason: `not found after ${waited} s${seen.lastReadProblem ? ` (the last read of the log: ${seen.lastReadProblem})` : ''}`,
    likely_setting: p.likely_setting,
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
      if (x.status === 'found')
        lines.push(
          `${head} FOUND after ${((x.delay_ms ?? 0) / 1000).toFixed(1)} s: event ${x.event!.id.slice(0, 12)} (user ${x.event!.user ?? '-'}, action ${x.event!.action ?? '-'}, resource ${x.event!.resource ?? '-'}, ${x.event!.timestamp ?? 'no time'})`,
        );
      else if (x.status === 'not_found') lines.push(`${head} NOT FOUND ${x.reason}; likely: ${x.likely_setting}`);
      else if (x.status === 'failed') lines.push(`${head} FAILED ${x.reason}`);
      else lines.push(`${head} not probed: ${x.reason}`);
    }
    if (r.cleanup.leftovers_removed.length)
      lines.push(`${r.source} removed leftovers of an earlier probe: ${r.cleanup.leftovers_removed.join(', ')}`);
    for (const e of r.cleanup.errors) lines.push(`${r.source} note: ${e}`);
  }
  return lines;
}
