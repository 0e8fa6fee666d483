// The collect library: sources -> normalization pipeline -> roster and completeness checks ->
// a signed evidence bundle. Everything streams: events, CSV, rejects and raw records go to
// temporary files as they arrive, hashed on the way, and the Merkle tree is built incrementally;
// only counts, a bounded sample of administrator rows and the checker's bounded findings stay in
// memory. The zip is written to a temporary name next to the target and renamed into place only
// when it is complete.
import { makePolicy, policyAdditions, POLICY_VERSION, setPolicy } from '../redact/policy.js';
import { redactSecrets } from '../redact/text.js';
import { existsSync } from 'node:fs';
import { link, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalLine } from '../bundle/canonical-line.js';
import { csvRow } from '../bundle/csv-row.js';
import { EVENT_SCHEMA_PATH } from '../event/schema.js';
import { sha256Hex } from '../event/hash.js';
import { fullLocation } from '../event/build.js';
import type { AuditEvent } from '../event/types.generated.js';
import { applyRoster } from '../privilege/roster.js';
import { emptySummary, OUTSIDE_WINDOW, type RunSummary } from '../pipeline/run.js';
import { findAdapter } from '../sources/registry.js';
import { csvHeader } from '../export/csv.js';
import { EventFormatter } from '../export/format.js';
import { OCSF_VERSION } from '../export/ocsf.js';
import { retention, type Retention } from '../retention/types.js';
import { CompletenessChecker, type SourceInfo, type ProfileId } from '../checks/index.js';
import type { IntegrityInput } from '../checks/rules/integrity-cloudtrail-digest.js';
import type { CollectConfig } from '../config/load.js';
import { MerkleBuilder } from '../bundle/merkle.js';
import { DeflatedFile, type DeflatedEntry } from '../bundle/deflated-file.js';
import { signEnvelope, envelopeText } from '../bundle/dsse.js';
import { keyId, publicKeyPem, type SigningKey } from '../bundle/keys.js';
import type { KeyObject } from 'node:crypto';
import { writeZip, type ZipItem } from '../bundle/zip-writer.js';
import { openBundle, BundleReadError, EntryReadError } from '../bundle/zip-reader.js';
import { verifyBundle, formatFailure } from '../bundle/verify/index.js';
import { failingRules } from '../checks/report.js';
import { summaryHtml, type SampleRow } from '../bundle/html.js';
import { checklist, ChecklistStats, type ChecklistLine } from '../checks/checklist.js';
import { verifyDoc } from '../bundle/verify-doc.js';
import {
  COLLECTOR_NAME,
  COLLECTOR_VERSION,
  COMPLETENESS_FILE,
  CSV_FILE,
  OCSF_FILE,
  ENVELOPE_FILE,
  EPHEMERAL_WARNING,
  EVENTS_FILE,
  MANIFEST_FILE,
  PREDICATE_TYPE,
  PUBLIC_KEY_FILE,
  REJECTS_FILE,
  SCHEMA_FILE,
  STATEMENT_TYPE,
  SUMMARY_FILE,
  SUMS_FILE,
  VERIFY_FILE,
  rawFileName,
  statementBytes,
  sumsText,
  OK_STATUSES,
  type EvidencePredicate,
  type SourceEntry,
  type SourceStatus,
  type Statement,
  type Subject,
} from '../bundle/manifest.js';
import { openFileSource, type FileSourceSettings } from './file-source.js';
import { openDemoSource } from './demo.js';
import { liveSourceTypes, type SourceConfig, type SourceRun, type SourceRunContext } from './source.js';
import { TempFiles } from './temp-files.js';
import { collectHint } from './hints.js';
import type { SourceProbeReport } from '../probe/types.js';
import { dayLabeller, periodDays, type Period } from './window.js';

export class CollectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CollectError';
  }
}

export interface CollectOptions {
  config: CollectConfig;
  period: Period;
  /** The run's clock: generated_at and every zip entry's mtime. */
  now: Date;
  /** Final path of the bundle. */
  out: string;
  key: SigningKey;
  previous?: string | null;
  /** The public key that signed the previous bundle, when it is not `key` (a key rotation). */
  previousPublicKey?: KeyObject | null;
  /** Accept a gap after the previous bundle (recorded in the manifest). */
  allowGap?: boolean;
  /** Replace an existing bundle at `out` (otherwise collect refuses). */
  force?: boolean;
  demo?: boolean;
  signal?: AbortSignal;
  progress?: (msg: string) => void;
  /** Where temporary paths are registered (the CLI removes them on an interrupt). */
  temps?: TempFiles;
  /** Run the logging probe on the sources that have a probe section before reading them. */
  probe?: boolean;
}

export interface CollectResult {
  out: string;
  size: number;
  statement: Statement;
  manifestSha256: string;
  /** Sources that are not complete or empty (partial, failed, unreadable). */
  incomplete: SourceEntry[];
  warnings: string[];
  /** The auditor's checklist as the page shows it. */
  checklist: ChecklistLine[];
}

const LIVE_KIND: Record<string, SourceInfo['kind']> = {
  postgres: 'postgresql',
  mysql: 'mysql',
  'gcp-logging': 'gcp',
  cloudtrail: 'aws',
  'cloudtrail-s3': 'aws',
  'cloudwatch-logs': 'aws',
  bytebase: 'bytebase',
};
const LIVE_FORMAT: Record<string, string> = {
  postgres: 'pgaudit',
  mysql: 'mysql',
  'gcp-logging': 'gcp-audit',
  cloudtrail: 'cloudtrail',
  'cloudtrail-s3': 'cloudtrail',
  'cloudwatch-logs': 'cloudwatch-logs',
  bytebase: 'bytebase',
};

/** Loads the live source types (src/live/ registers them) when the configuration uses one. */
async function loadLiveSources(config: CollectConfig): Promise<void> {
  if (!config.sources.some((s) => s.type !== 'file') || liveSourceTypes.size > 0) return;
  const url = new URL('../live/index.js', import.meta.url).href;
  try {
    await import(url);
  } catch (e) {
    // Only a build without src/live/ is tolerated; a live module that fails to load is an error.
    if (
      (e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' ||
      !String((e as Error).message).includes(fileURLToPath(url))
    )
      throw e;
  }
}

export interface PreviousCheck {
  /** The key this bundle is signed with (the previous bundle must be signed by it, unless previousPublicKey is given). */
  key: SigningKey;
  /** The public key that signed the previous bundle, when the signing key was changed (a rotation). */
  previousPublicKey?: KeyObject | null;
  /** Accept a gap between the previous period's end and this period's start (recorded in the manifest). */
  allowGap?: boolean;
  period: Period;
}

/**
 * Verifies the previous bundle in full (signature with the expected key, every file, events, counts)
 * and checks that this period follows it: no gap (unless allowed), no overlap, the same signer (unless
 * the old key is given). Each refusal is one sentence (a CollectError: collect exits 2).
 */
export async function previousLink(
  path: string,
  o: PreviousCheck,
): Promise<NonNullable<EvidencePredicate['previous_bundle']>> {
  const file = basename(path);
  let b;
  try {
    b = await openBundle(path);
  } catch (e) {
    throw new CollectError(`--previous: ${(e as Error).message}`);
  }
  let bytes: Buffer;
  let st: Statement;
  try {
    if (!b.entries.has(MANIFEST_FILE))
      throw new CollectError(`--previous: ${path} is not an evidence bundle (it has no ${MANIFEST_FILE})`);
    bytes = await b.read(MANIFEST_FILE);
    try {
      st = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new CollectError(`--previous: ${MANIFEST_FILE} in ${path} is not JSON`);
    }
    if (st._type !== STATEMENT_TYPE || st.predicateType !== PREDICATE_TYPE)
      throw new CollectError(`--previous: ${path} is not an audit-evidence bundle (unexpected manifest type)`);
  } catch (e) {
    if (e instanceof BundleReadError || e instanceof EntryReadError) throw new CollectError(`--previous: ${e.message}`);
    throw e;
  } finally {
    b.close();
  }
  const thisKey = keyId(o.key.publicKey);
  const prevKeyId = typeof st.predicate?.signer?.keyid === 'string' ? st.predicate.signer.keyid : null;
  const given = o.previousPublicKey ? keyId(o.previousPublicKey) : null;
  if (given === null && prevKeyId !== thisKey) {
    throw new CollectError(
      `--previous ${file} is signed by key ${prevKeyId ?? '(none named)'}, not by this run's key ${thisKey}${o.key.ephemeral ? ' (an ephemeral key: give --key)' : ''}: if the signing key was changed, give the previous key's public key with --previous-pubkey FILE`,
    );
  }
  const r = await verifyBundle(path, { publicKey: o.previousPublicKey ?? o.key.publicKey });
  if (!r.valid) {
    const more =
      r.failures.length > 1
        ? ` (and ${r.failures.length - 1} more problem${r.failures.length === 2 ? '' : 's'}: run audit-evidence verify ${path})`
        : '';
    throw new CollectError(
      `--previous ${file} is INVALID, so this bundle cannot be chained to it: ${formatFailure(r.failures[0]!)}${more}`,
    );
  }
  const p = st.predicate;
  const prevEnd = p.period.end;
  const start = o.period.start.toISOString();
  let gap: { start: string; end: string } | null = null;
  if (Date.parse(prevEnd) > o.period.start.getTime()) {
    throw new CollectError(
      `the period overlaps --previous ${file}: it ends at ${prevEnd}, this period starts at ${start} (start this period at ${prevEnd})`,
    );
  }
  if (Date.parse(prevEnd) < o.period.start.getTime()) {
    if (!o.allowGap)
      throw new CollectError(
        `the chain would have a gap: --previous ${file} ends at ${prevEnd}, this period starts at ${start} (start at ${prevEnd}, or accept the known gap with --allow-gap, which records it in the manifest)`,
      );
    gap = { start: prevEnd, end: start };
  }
  const keyChange =
    given !== null && given !== thisKey
      ? { previous_keyid: given, previous_public_key: publicKeyPem(o.previousPublicKey!) }
      : null;
  return {
    manifest_sha256: sha256Hex(bytes),
    period: { start: p.period.start, end: p.period.end },
    file,
    keyid: prevKeyId ?? given ?? thisKey,
    gap,
    key_change: keyChange,
  };
}

function sourceInfo(cfg: SourceConfig): SourceInfo | null {
  if (cfg.type === 'file') {
    const a = findAdapter(String(cfg.format ?? 'auto'));
    return a ? { name: cfg.name, kind: a.kind, format: a.id, instance: cfg.name } : null;
  }
  const kind = LIVE_KIND[cfg.type];
  return kind ? { name: cfg.name, kind, format: LIVE_FORMAT[cfg.type], instance: cfg.name } : null;
}

function bump(m: Record<string, number>, k: string, n = 1): void {
  m[k] = (m[k] ?? 0) + n;
}

/** The retention a source reported, or why there is none: every source gets a line. */
function sourceRetention(cfg: SourceConfig, got: Retention | null, status: string, now: Date): Retention {
  if (got) return got;
  if (cfg.type === 'file') {
    return retention(
      null,
      'read from files: how long their writer keeps them cannot be told from the files (read the source live)',
      `config paths of source ${cfg.name}`,
      { paths: cfg.paths ?? null },
      { now },
    );
  }
  if (status === 'failed')
    return retention(
      null,
      'the source could not be read, so neither could its retention settings',
      `source ${cfg.name}`,
      {},
      { now },
    );
  return retention(
    null,
    `this version does not read retention settings for ${cfg.type} sources`,
    `source ${cfg.name}`,
    {},
    { now },
  );
}

export async function runCollect(o: CollectOptions): Promise<CollectResult> {
  const temps = o.temps ?? new TempFiles();
  const say0 = o.progress ?? (() => {});
  const say = (m: string): void => say0(redactSecrets(m));
  const { config, period } = o;
  const policy = makePolicy(config.redact);
  setPolicy(policy);
  const redactedBy: Record<string, { records: number; values: number }> = {};
  const outDir = dirname(o.out);
  if (!o.force && existsSync(o.out))
    throw new CollectError(
      `${o.out} already exists; collect never replaces a bundle silently (choose another --out, or use --force to replace it)`,
    );
  // One run per target: a second collect to the same --out stops here instead of racing the first.
  const lock = await takeLock(o.out, temps, say);
  let partial = '';
  let work = '';
  const outputs: DeflatedFile[] = [];
  try {
    // Leftovers of runs that were killed (kill -9, a crash) are removed before this run adds its own.
    await removeStale(outDir, tmpdir(), say);
    partial = join(outDir, `${PARTIAL_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
    // Reserve the temporary file first: an unwritable target fails now, not after a long pull.
    try {
      await (await open(partial, 'wx', 0o600)).close();
    } catch (e) {
      throw new CollectError(`cannot write the bundle in ${outDir}: ${errnoText(e)}`);
    }
    temps.add(partial);
    work = temps.add(await mkdtemp(join(tmpdir(), `${WORK_PREFIX}${process.pid}-`)));
    const previous = o.previous
      ? await previousLink(o.previous, {
          key: o.key,
          previousPublicKey: o.previousPublicKey,
          allowGap: o.allowGap,
          period,
        })
      : null;
    await loadLiveSources(config);
    let probes: SourceProbeReport[] | undefined;
    if (o.probe) {
      // Loaded only when probing: probe/run.js loads every live source (the AWS and Google client
      // libraries: ~1.5 s of CPU at start-up that a file-only collect does not need).
      const { runProbes, ProbeError } = await import('../probe/run.js');
      try {
        probes = await runProbes(config.sources, { progress: say, signal: o.signal });
      } catch (e) {
        if (e instanceof ProbeError) throw new CollectError(e.message);
        throw e;
      }
    }
    // Each output is written compressed as it streams (DeflatedFile); the lines of one outcome are
    // added to the batches and a batch that fills is flushed (with backpressure) before the next.
    // The Merkle leaves are hashed from each encoded batch of events.jsonl (whole lines).
    const merkle = new MerkleBuilder();
    const events = new DeflatedFile(join(work, 'events.jsonl.deflate'), undefined, undefined, (bytes) =>
      merkle.addLines(bytes),
    );
    const csv = new DeflatedFile(join(work, 'events.csv.deflate'));
    const rejects = new DeflatedFile(join(work, 'rejects.jsonl.deflate'));
    outputs.push(events, csv, rejects);
    await csv.write(csvHeader());
    // events.ocsf.jsonl (config bundle.ocsf): the same events as OCSF records, each validated.
    const ocsf = config.bundle.ocsf ? new DeflatedFile(join(work, 'events.ocsf.jsonl.deflate')) : null;
    const ocsfFormatter = new EventFormatter('ocsf');
    let ocsfRecords = 0;
    if (ocsf) outputs.push(ocsf);
    const dayOf = dayLabeller(period.timezone);
    let eventLines = 0;
    const checkSources = config.sources.map(sourceInfo).filter((s): s is SourceInfo => s !== null);
    // CloudTrail digest reports (rule integrity.cloudtrail-digest), filled in as each source ends.
    const integrity: IntegrityInput[] = [];
    const checker = new CompletenessChecker({
      integrity,
      profile: config.profile as ProfileId,
      since: period.start,
      until: period.end,
      sharedIdentities: config.sharedIdentities,
      roster: config.roster,
      sources: checkSources,
      probes,
      retentionMinDays: config.retentionMinDays,
    });
    const byCategory: Record<string, number> = {};
    const categoriesBySource: Record<string, Record<string, number>> = {};
    // The page's pictures: events per calendar day and per hour of the period, per source (bounded
    // by the period's length, not the input's size; hours only for periods up to a year).
    const days = periodDays(period.start, period.end, period.timezone);
    const daysBySource: Record<string, Record<string, number>> = {};
    const periodHours = Math.ceil((period.end.getTime() - period.start.getTime()) / 3600000);
    const hoursBySource: Record<string, number[]> | null = periodHours <= 366 * 24 ? {} : null;
    const sample: SampleRow[] = [];
    const privilegedByCategory: Record<string, number> = {};
    let privileged = 0;
    const checklistStats = new ChecklistStats();
    const entries: SourceEntry[] = [];
    const rawFiles: Array<{ name: string; deflated: DeflatedEntry; sha256: string }> = [];
    const extraFiles: Array<ZipItem & { sha256: string }> = [];
    const warnings: string[] = [];
    const ctx: SourceRunContext = {
      since: period.start,
      until: period.end,
      timezone: period.timezone,
      progress: say,
      signal: o.signal,
      workDir: work,
    };

    for (const [i, cfg] of config.sources.entries()) {
      if (o.signal?.aborted) throw new CollectError('interrupted');
      say(`${cfg.name}: collecting (${cfg.type})`);
      const summary: RunSummary = emptySummary();
      const raw = new DeflatedFile(join(work, `raw-${i}.jsonl.deflate`));
      outputs.push(raw);
      const rawName = rawFileName(cfg.name);
      const c = {
        read: 0,
        events: 0,
        rejects: 0,
        skipped: {} as Record<string, number>,
        outside: 0,
        untimed: 0,
        first: null as string | null,
        last: null as string | null,
        mismatched: 0,
      };
      const cats: Record<string, number> = {};
      categoriesBySource[cfg.name] = cats;
      const perDay: Record<string, number> = {};
      daysBySource[cfg.name] = perDay;
      const perHour = hoursBySource ? (hoursBySource[cfg.name] = new Array<number>(periodHours).fill(0)) : null;
      let run: SourceRun | null = null;
      let error: string | null = null;
      let firstReject: string | null = null;
      try {
        if (cfg.type === 'file')
          run = o.demo
            ? openDemoSource(cfg as FileSourceSettings, ctx, summary)
            : openFileSource(cfg as FileSourceSettings, ctx, summary);
        else {
          const opener = liveSourceTypes.get(cfg.type);
          if (!opener)
            throw new Error(`the live source type '${cfg.type}' is not available in this version of audit-evidence`);
          run = opener(cfg, ctx, summary);
        }
        for await (const out of run.outcomes) {
          if (o.signal?.aborted) throw new CollectError('interrupted');
          c.read++;
          if (out.raw.redactions) {
            const r = (redactedBy[cfg.name] ??= { records: 0, values: 0 });
            r.records++;
            r.values += out.raw.redactions;
          }
          // `redacted`: the number of secret values replaced in `text`; `sha256` stays the hash of the record's original bytes.
          const rawLine = (disposition: string) =>
            raw.add(
              `${JSON.stringify(out.raw.redactions ? { sha256: out.raw.sha256, location: fullLocation(out.raw.location), disposition, text: out.raw.text, redacted: out.raw.redactions } : { sha256: out.raw.sha256, location: fullLocation(out.raw.location), disposition, text: out.raw.text })}\n`,
            );
          if (out.kind === 'event') {
            let ev: AuditEvent = applyRoster(out.event, config.roster);
            if (ev.source.instance === null) ev = { ...ev, source: { ...ev.source, instance: cfg.name } };
            if (ev.source.raw_sha256 !== out.raw.sha256) c.mismatched++;
            const line = canonicalLine(ev);
            if (events.add(`${line}\n`)) await events.flush();
            eventLines++;
            if (csv.add(csvRow(ev))) await csv.flush();
            if (ocsf) {
              // From the canonical line, so the records' key order is the one verify recomputes.
              const text = ocsfFormatter.format(JSON.parse(line) as AuditEvent);
              if (text) {
                ocsfRecords += text.split('\n').length - 1;
                if (ocsf.add(text)) await ocsf.flush();
              }
            }
            if (rawLine('event')) await raw.flush();
            checker.add(ev);
            checklistStats.add(ev);
            c.events++;
            bump(byCategory, ev.category);
            bump(cats, ev.category);
            if (ev.timestamp === null) c.untimed++;
            else {
              if (c.first === null || ev.timestamp < c.first) c.first = ev.timestamp;
              if (c.last === null || ev.timestamp > c.last) c.last = ev.timestamp;
              const day = dayOf(ev.timestamp);
              bump(perDay, day);
              if (perHour) {
                const h = Math.floor((Date.parse(ev.timestamp) - period.start.getTime()) / 3600000);
                if (h >= 0 && h < perHour.length) perHour[h]++;
              }
            }
            if (ev.privileged.value) {
              privileged++;
              bump(privilegedByCategory, ev.category);
              // The first N administrator events of each category (N = bundle.sample_rows).
              if ((privilegedByCategory[ev.category] ?? 0) <= config.bundle.sampleRows) {
                sample.push({
                  line: eventLines,
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
          } else if (out.kind === 'reject') {
            c.rejects++;
            const why = collectHint(out.reason, cfg.name);
            if (firstReject === null)
              firstReject = `${out.raw.location.file}${out.raw.location.line ? ` line ${out.raw.location.line}` : ''}: ${why}`;
            await rejects.write(
              `${JSON.stringify(out.raw.redactions ? { source: cfg.name, location: fullLocation(out.raw.location), reason: why, raw_sha256: out.raw.sha256, raw: out.raw.text, raw_redacted: out.raw.redactions } : { source: cfg.name, location: fullLocation(out.raw.location), reason: why, raw_sha256: out.raw.sha256, raw: out.raw.text })}\n`,
            );
            if (rawLine('reject')) await raw.flush();
          } else {
            bump(c.skipped, out.reason);
            if (out.reason === OUTSIDE_WINDOW) c.outside++;
            else if (rawLine(`skip: ${out.reason}`)) await raw.flush();
          }
        }
      } catch (e) {
        if (o.signal?.aborted || (e instanceof CollectError && e.message === 'interrupted'))
          throw new CollectError('interrupted');
        error = redactSecrets((e as Error).message);
      }
      const rawDone = await raw.close();
      rawFiles.push({ name: rawName, deflated: rawDone, sha256: rawDone.sha256 });
      const res = run ? run.result() : null;
      for (const f of res?.files ?? []) {
        // A source may add files only under its own folders.
        if (!f.name.startsWith(`raw/${cfg.name}/`) && !f.name.startsWith(`integrity/${cfg.name}/`))
          throw new Error(`source ${cfg.name} tried to add ${f.name} to the bundle`);
        if (f.name === rawName) throw new Error(`source ${cfg.name} tried to replace ${rawName}`);
        // Either bytes, or a file the source wrote compressed into the work folder as it went.
        extraFiles.push(
          'deflated' in f
            ? { name: f.name, deflated: f.deflated, sha256: f.deflated.sha256 }
            : { name: f.name, data: f.data, sha256: sha256Hex(f.data) },
        );
      }
      let status: SourceStatus = res?.status ?? 'failed';
      let reason = res?.reason ?? null;
      if (error !== null) {
        status = c.read > 0 ? 'partial' : 'failed';
        reason = reason ? `${error}; ${reason}` : error;
      } else if ((status === 'complete' || status === 'empty') && c.rejects > c.events) {
        // The rule for 'unreadable': more records of the period were rejected than became events.
        // A wrong format, a damaged file or a wrong log_line_prefix ends here, never as a quiet 'empty'.
        status = 'unreadable';
        reason = `${c.rejects} of ${c.read - c.outside} records in the period rejected, ${c.events} events (unreadable: rejects > events)${firstReject ? `; first rejected: ${firstReject}` : ''}`;
      } else if (status === 'complete' && c.events === 0) {
        status = 'empty';
        reason = 'no events in the period';
      }
      if (reason !== null) reason = collectHint(reason, cfg.name);
      const sourceWarnings = (res?.warnings ?? []).map((w) => collectHint(w, cfg.name));
      if (c.mismatched)
        sourceWarnings.push(
          `${c.mismatched} events name a raw_sha256 that differs from the raw record they came from (an adapter bug): verify will report them`,
        );
      const formats = [...new Set(summary.inputs.map((s) => s.format))];
      const kinds = [
        ...new Set(formats.map((f) => findAdapter(f)?.kind).filter((k): k is NonNullable<typeof k> => !!k)),
      ];
      const skippedTotal = Object.values(c.skipped).reduce((a, b) => a + b, 0);
      const { demo_time_shift_days: shift, ...settings } = (res?.settings ?? {}) as Record<string, unknown>;
      entries.push({
        name: cfg.name,
        type: cfg.type,
        kind: kinds.length ? kinds.join(',') : (LIVE_KIND[cfg.type] ?? null),
        format: formats.length
          ? formats.join(',')
          : cfg.type === 'file' && cfg.format !== 'auto'
            ? String(cfg.format)
            : null,
        how: res?.how ?? `${cfg.type} source`,
        status,
        status_reason: reason,
        last_position: res?.lastPosition ?? null,
        records_read: c.read,
        events: c.events,
        rejects: c.rejects,
        skipped: c.skipped,
        outside_period: c.outside,
        raw_records: c.read - c.outside,
        raw_file: rawName,
        first_event: c.first,
        last_event: c.last,
        untimed_events: c.untimed,
        counts_reconcile: summary.reconciled && c.read === c.events + c.rejects + skippedTotal,
        settings,
        roster: (res?.roster ?? []).map((r) => ({
          principal: r.principal,
          reason: r.reason,
          origin: r.origin,
          instance: r.instance ?? null,
        })),
        warnings: sourceWarnings,
        demo_time_shift_days: typeof shift === 'number' ? shift : null,
      });
      const kept = sourceRetention(cfg, res?.retention ?? null, status, o.now);
      entries[entries.length - 1]!.retention = kept;
      if (settings.cloudtrail_digests)
        integrity.push({
          source: cfg.name,
          cloudtrail_digests: settings.cloudtrail_digests as IntegrityInput['cloudtrail_digests'],
        });
      const info = checkSources.find((s) => s.name === cfg.name);
      if (info) info.retention = kept;
      for (const w of sourceWarnings) warnings.push(`${cfg.name}: ${w}`);
      say(
        `${cfg.name}: ${status}${reason ? ` (${reason})` : ''}: read ${c.read}, ${c.events} events, ${c.rejects} rejected, ${skippedTotal} skipped (${c.outside} outside the period)`,
      );
    }

    const eventsDigest = await events.close();
    const csvDigest = await csv.close();
    const rejectsDigest = await rejects.close();
    const ocsfDigest = ocsf ? await ocsf.close() : null;
    const report = checker.finish();
    const completenessBytes = Buffer.from(
      `${JSON.stringify(
        {
          // The checker's options as run, so that verify can run the same check again.
          options: {
            profile: config.profile,
            since: period.start.toISOString(),
            until: period.end.toISOString(),
            shared_identities: config.sharedIdentities ?? null,
            sources: checkSources,
            roster: config.roster.entries,
            retention_minimum_days: config.retentionMinDays,
            ...(probes ? { probes } : {}),
          },
          report,
        },
        null,
        2,
      )}\n`,
    );
    const schemaBytes = await readFile(EVENT_SCHEMA_PATH);
    const pubPem = Buffer.from(publicKeyPem(o.key.publicKey));
    const keyid = keyId(o.key.publicKey);

    const sum = (k: keyof Pick<SourceEntry, 'records_read' | 'events' | 'rejects' | 'outside_period'>) =>
      entries.reduce((a, s) => a + s[k], 0);
    const predicate: EvidencePredicate = {
      bundle_format: 1,
      demo: !!o.demo,
      period: {
        start: period.start.toISOString(),
        end: period.end.toISOString(),
        timezone: period.timezone,
        how: period.how,
      },
      generated_at: o.now.toISOString(),
      collector: { name: COLLECTOR_NAME, version: COLLECTOR_VERSION },
      signer: { keyid, ephemeral: o.key.ephemeral, warning: o.key.ephemeral ? EPHEMERAL_WARNING : null },
      config: {
        file: config.file ? basename(config.file) : o.demo ? 'built-in demo configuration' : null,
        sha256: config.digest,
        profile: config.profile,
        shared_identities: config.sharedIdentities ?? null,
        roster_from: config.rosterFrom,
      },
      sources: entries,
      totals: {
        records_read: sum('records_read'),
        events: sum('events'),
        rejects: sum('rejects'),
        skipped: entries.reduce((a, s) => a + Object.values(s.skipped).reduce((x, y) => x + y, 0), 0),
        outside_period: sum('outside_period'),
        counts_reconcile: entries.every((s) => s.counts_reconcile),
      },
      events: {
        file: EVENTS_FILE,
        count: merkle.count,
        merkle_root: merkle.root(),
        tree: 'RFC 6962: leaf = SHA-256(0x00 || line), node = SHA-256(0x01 || left || right), one leaf per line of events.jsonl without its line break',
        by_category: byCategory,
        privileged,
      },
      completeness: {
        report: COMPLETENESS_FILE,
        profile: report.profile,
        fields: report.fields,
        pass: report.pass,
        rows: report.rows,
        complete_rows: report.completeRows,
        percent_complete: report.percentComplete,
        missing: report.missing,
        failed_because: report.failedBecause,
        finding_counts: report.findingCounts,
        failing_rules: failingRules(report),
      },
      previous_bundle: previous,
      ...(ocsfDigest
        ? {
            ocsf: {
              file: OCSF_FILE,
              version: OCSF_VERSION,
              records: ocsfRecords,
              events_not_exported: ocsfFormatter.notExportedTotal,
              not_exported: Object.fromEntries(ocsfFormatter.notExported),
            },
          }
        : {}),
      redaction: {
        policy_version: POLICY_VERSION,
        ...policyAdditions(policy),
        records_redacted: Object.values(redactedBy).reduce((a, r) => a + r.records, 0),
        values_redacted: Object.values(redactedBy).reduce((a, r) => a + r.values, 0),
        by_source: redactedBy,
      },
      ...(probes ? { probes } : {}),
    };
    for (const line of ocsfFormatter.notExportedLines()) warnings.push(`${OCSF_FILE}: ${line}`);
    const checklistLines = checklist({ stats: checklistStats, predicate, retentionMinDays: config.retentionMinDays });
    const html = Buffer.from(
      summaryHtml({
        predicate,
        categoriesBySource,
        days,
        daysBySource,
        hoursBySource,
        sample,
        privilegedByCategory,
        sampleLimit: config.bundle.sampleRows,
        findings: report.findings,
        retentionMinDays: config.retentionMinDays,
        checklist: checklistLines,
      }),
    );
    const verifyMd = Buffer.from(verifyDoc({ keyid, ephemeral: o.key.ephemeral, demo: !!o.demo }));

    const files: Array<ZipItem & { sha256: string }> = [
      { name: VERIFY_FILE, data: verifyMd, sha256: sha256Hex(verifyMd) },
      { name: PUBLIC_KEY_FILE, data: pubPem, sha256: sha256Hex(pubPem) },
      { name: EVENTS_FILE, deflated: eventsDigest, sha256: eventsDigest.sha256 },
      { name: CSV_FILE, deflated: csvDigest, sha256: csvDigest.sha256 },
      ...(ocsfDigest ? [{ name: OCSF_FILE, deflated: ocsfDigest, sha256: ocsfDigest.sha256 }] : []),
      { name: REJECTS_FILE, deflated: rejectsDigest, sha256: rejectsDigest.sha256 },
      { name: COMPLETENESS_FILE, data: completenessBytes, sha256: sha256Hex(completenessBytes) },
      { name: SUMMARY_FILE, data: html, sha256: sha256Hex(html) },
      { name: SCHEMA_FILE, data: schemaBytes, sha256: sha256Hex(schemaBytes) },
    ];
    files.push(...rawFiles, ...extraFiles);
    const sums = Buffer.from(sumsText(files.map((f) => ({ name: f.name, digest: { sha256: f.sha256 } }))));
    const subjects: Subject[] = [
      { name: SUMS_FILE, digest: { sha256: sha256Hex(sums) } },
      ...files.map((f) => ({ name: f.name, digest: { sha256: f.sha256 } })),
    ];
    const statement: Statement = { _type: STATEMENT_TYPE, subject: subjects, predicateType: PREDICATE_TYPE, predicate };
    const manifest = statementBytes(statement);
    const envelope = Buffer.from(envelopeText(signEnvelope(manifest, o.key.privateKey, o.key.publicKey)));

    if (o.signal?.aborted) throw new CollectError('interrupted');
    say(`writing ${o.out}`);
    await writeZip(
      partial,
      [
        { name: MANIFEST_FILE, data: manifest },
        { name: ENVELOPE_FILE, data: envelope },
        { name: SUMS_FILE, data: sums },
        ...files.map(({ name, deflated, data }) => ({ name, deflated, data })),
      ],
      o.now,
    );
    if (o.signal?.aborted) throw new CollectError('interrupted');
    await placeBundle(partial, o.out, !!o.force);
    temps.keep(partial);
    const size = (await stat(o.out)).size;
    return {
      out: o.out,
      size,
      statement,
      manifestSha256: sha256Hex(manifest),
      incomplete: entries.filter((s) => !OK_STATUSES.has(s.status)),
      warnings,
      checklist: checklistLines,
    };
  } finally {
    for (const f of outputs) f.destroy();
    if (work) {
      await rm(work, { recursive: true, force: true });
      temps.keep(work);
    }
    if (partial) {
      await rm(partial, { force: true });
      temps.keep(partial);
    }
    await rm(lock, { force: true });
    temps.keep(lock);
  }
}

/** Names of a run's temporary zip (next to the target) and work folder (in the temp dir): never a bundle's name. */
export const PARTIAL_PREFIX = '.audit-evidence-partial-';
export const WORK_PREFIX = 'audit-evidence-work-';

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'EACCES'
    ? 'permission denied'
    : err.code === 'ENOENT'
      ? 'no such folder'
      : err.code === 'EROFS'
        ? 'read-only file system'
        : (err.code ?? err.message);
}

/** Whether a process of this machine is running (a pid that no longer exists: false). */
function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file of a target: next to it, hidden. */
export function lockPath(out: string): string {
  return join(dirname(out), `.${basename(out)}.lock`);
}

async function takeLock(out: string, temps: TempFiles, say: (m: string) => void): Promise<string> {
  const path = lockPath(out);
  const body = `${JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString(), out })}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, body, { flag: 'wx', mode: 0o644 });
      temps.add(path);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new CollectError(`cannot write the bundle in ${dirname(out)}: ${errnoText(e)}`);
    }
    let held: { pid?: number; host?: string; started?: string } = {};
    try {
      held = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      /* unreadable or half-written: judged by its age below */
    }
    const sameHost = held.host === undefined || held.host === hostname();
    if (typeof held.pid === 'number' && sameHost && !alive(held.pid)) {
      say(`removing the stale lock ${path} of a collect run (pid ${held.pid}) that no longer runs`);
      await rm(path, { force: true });
      continue;
    }
    if (typeof held.pid !== 'number') {
      // A lock without a pid is one being written right now, or the debris of a crash long ago.
      const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 60_000) {
        await rm(path, { force: true });
        continue;
      }
    }
    throw new CollectError(
      `another collect${typeof held.pid === 'number' ? ` (pid ${held.pid}${sameHost ? '' : ` on ${held.host}`}${held.started ? `, started ${held.started}` : ''})` : ''} is writing ${out}: wait for it to end (its lock file is ${path}${sameHost ? '' : '; remove it if that run is gone'})`,
    );
  }
  throw new CollectError(`another collect is writing ${out} (its lock file is ${path})`);
}

/** Removes temporary zips and work folders of collect runs that no longer run (killed, crashed). */
async function removeStale(outDir: string, tmp: string, say: (m: string) => void): Promise<void> {
  const sweep = async (dir: string, match: (name: string) => number | null) => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const pid = match(n);
      if (pid === null || alive(pid)) continue;
      await rm(join(dir, n), { recursive: true, force: true }).then(
        () => say(`removed ${join(dir, n)}, left by a collect run (pid ${pid}) that was stopped`),
        () => undefined,
      );
    }
  };
  const num = (m: RegExpExecArray | null) => (m ? Number(m[1]) : null);
  await sweep(
    outDir,
    (n) => num(/^\.audit-evidence-partial-(\d+)-[0-9a-f]+$/.exec(n)) ?? num(/^\..+\.(\d+)\.partial$/.exec(n)),
  );
  await sweep(tmp, (n) => num(/^audit-evidence-work-(\d+)-\w+$/.exec(n)));
}

/** Moves the finished zip into place; without force an existing file (one that appeared meanwhile) is never replaced. */
async function placeBundle(partial: string, out: string, force: boolean): Promise<void> {
  if (force) {
    await rename(partial, out);
    return;
  }
  try {
    await link(partial, out);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new CollectError(
        `${out} appeared while this run was collecting; not replacing it (use --force to replace it)`,
      );
    // File systems without hard links: check, then rename (a small window, but never a silent overwrite of what was there at the check).
    if (existsSync(out))
      throw new CollectError(
        `${out} appeared while this run was collecting; not replacing it (use --force to replace it)`,
      );
    await rename(partial, out);
    return;
  }
  await rm(partial, { force: true });
}
