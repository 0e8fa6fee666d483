// The collect library: sources -> normalization pipeline -> roster and completeness checks ->
// a signed evidence bundle. Everything streams: events, CSV, rejects and raw records go to
// temporary files as they arrive, hashed on the way, and the Merkle tree is built incrementally;
// only counts, a bounded sample of administrator rows and the checker's bounded findings stay in
// memory. The zip is written to a temporary name next to the target and renamed into place only
// when it is complete.
//
// runCollect is the list of stages; each is a function of its own module that a test can call:
// workspace.ts (lock, temporary zip, work folder, rename into place), previous.ts (the chain),
// sources.ts (open sources, probe), stream.ts (stream a source through the pipeline into
// outputs.ts's temporary files and tally.ts's counts), source-entry.ts (a source's manifest entry),
// manifest.ts (completeness.json, predicate, files, statement, signature, zip).
import { readFile, stat } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import { summaryHtml } from '../bundle/html.js';
import { keyId, publicKeyPem, type SigningKey } from '../bundle/keys.js';
import {
  type EvidencePredicate,
  OCSF_FILE,
  OK_STATUSES,
  rawFileName,
  type SourceEntry,
  type Statement,
} from '../bundle/manifest.js';
import { verifyDoc } from '../bundle/verify-doc.js';
import { type ChecklistLine, checklist } from '../checks/checklist.js';
import { CompletenessChecker, type ProfileId, type SourceInfo } from '../checks/index.js';
import type { CollectConfig } from '../config/load.js';
import { EVENT_SCHEMA_PATH } from '../event/schema.js';
import { sha256Hex } from '../event/hash.js';
import { makePolicy, type Policy, setPolicy } from '../redact/policy.js';
import { redactSecrets } from '../redact/text.js';
import type { SourceProbeReport } from '../probe/types.js';
import { CollectError } from './errors.js';
import {
  buildPredicate,
  buildStatement,
  bundleFiles,
  completenessFile,
  signManifest,
  writeBundleZip,
} from './manifest.js';
import { Outputs } from './outputs.js';
import { previousLink } from './previous.js';
import { type Collected, finishSource } from './source-entry.js';
import { loadLiveSources, probeSources, sourceInfo } from './sources.js';
import { type CollectRun, type RedactedBy, streamSource } from './stream.js';
import { RunTally } from './tally.js';
import { TempFiles } from './temp-files.js';
import { closeWorkspace, openWorkspace, placeBundle, prepareWorkspace } from './workspace.js';
import type { Period } from './window.js';

export { CollectError } from './errors.js';
export { type PreviousCheck, previousLink } from './previous.js';
export { lockPath, PARTIAL_PREFIX, WORK_PREFIX } from './workspace.js';

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

export async function runCollect(o: CollectOptions): Promise<CollectResult> {
  const temps = o.temps ?? new TempFiles();
  const say0 = o.progress ?? (() => {});
  const say = (m: string): void => say0(redactSecrets(m));
  const { config, period } = o;
  const policy = makePolicy(config.redact);
  setPolicy(policy);
  const ws = await openWorkspace(o.out, !!o.force, temps, say);
  try {
    await prepareWorkspace(ws, o.out, temps, say);
    const previous = o.previous
      ? await previousLink(o.previous, {
          key: o.key,
          previousPublicKey: o.previousPublicKey,
          allowGap: o.allowGap,
          period,
        })
      : null;
    await loadLiveSources(config);
    const probes = o.probe ? await probeSources(config, say, o.signal) : undefined;
    const outputs = await Outputs.open(ws.work, !!config.bundle.ocsf, ws.outputs);
    const acc = newCollected(config);
    const run = newRun(o, ws.work, outputs, acc, probes, say);
    for (const [i, cfg] of config.sources.entries())
      finishSource(acc, cfg, await streamSource(run, cfg, i), rawFileName(cfg.name), o.now, say);

    const { statement, manifest, envelope, sums, files, checklistLines } = await buildBundle(
      o,
      run,
      acc,
      previous,
      probes,
      policy,
    );

    if (o.signal?.aborted) throw new CollectError('interrupted');
    say(`writing ${o.out}`);
    await writeBundleZip(ws.partial, { manifest, envelope, sums, files }, o.now);
    if (o.signal?.aborted) throw new CollectError('interrupted');
    await placeBundle(ws.partial, o.out, !!o.force);
    temps.keep(ws.partial);
    const size = (await stat(o.out)).size;
    return {
      out: o.out,
      size,
      statement,
      manifestSha256: sha256Hex(manifest),
      incomplete: acc.entries.filter((s) => !OK_STATUSES.has(s.status)),
      warnings: acc.warnings,
      checklist: checklistLines,
    };
  } finally {
    await closeWorkspace(ws, temps);
  }
}

/** The check's report, the manifest and the files of the bundle, signed: everything the zip holds. */
async function buildBundle(
  o: CollectOptions,
  run: CollectRun,
  acc: Collected,
  previous: EvidencePredicate['previous_bundle'],
  probes: SourceProbeReport[] | undefined,
  policy: Policy,
) {
  const { config, period } = o;
  const outputs = run.outputs;
  const closed = await outputs.close();
  const report = run.checker.finish();
  const completeness = completenessFile(config, period, acc.checkSources, probes, report);
  const schema = await readFile(EVENT_SCHEMA_PATH);
  const pubPem = Buffer.from(publicKeyPem(o.key.publicKey));
  const keyid = keyId(o.key.publicKey);
  const predicate = buildPredicate({
    config,
    period,
    now: o.now,
    demo: !!o.demo,
    keyid,
    ephemeral: o.key.ephemeral,
    entries: acc.entries,
    events: {
      count: outputs.merkle.count,
      merkleRoot: outputs.merkle.root(),
      byCategory: run.tally.byCategory,
      privileged: run.tally.privileged,
    },
    report,
    previous,
    ocsf: closed.ocsf ? { formatter: outputs.ocsfFormatter, records: outputs.ocsfRecords } : null,
    policy,
    redactedBy: run.redactedBy,
    probes,
  });
  for (const line of outputs.ocsfFormatter.notExportedLines()) acc.warnings.push(`${OCSF_FILE}: ${line}`);
  const checklistLines = checklist({
    stats: run.tally.checklistStats,
    predicate,
    retentionMinDays: config.retentionMinDays,
  });
  const html = summaryPage(run, predicate, report.findings, config, checklistLines);
  const verifyMd = Buffer.from(verifyDoc({ keyid, ephemeral: o.key.ephemeral, demo: !!o.demo }));
  const files = bundleFiles({
    verifyMd,
    publicKeyPem: pubPem,
    ...closed,
    completeness,
    summaryHtml: html,
    schema,
    sourceFiles: [...acc.rawFiles, ...acc.extraFiles],
  });
  const { sums, statement, manifest } = buildStatement(files, predicate);
  const envelope = signManifest(manifest, o.key);
  return { statement, manifest, envelope, sums, files, checklistLines };
}

/** The run's accumulator, with what the completeness check knows of each source. */
function newCollected(config: CollectConfig): Collected {
  return {
    entries: [],
    rawFiles: [],
    extraFiles: [],
    warnings: [],
    integrity: [],
    checkSources: config.sources.map(sourceInfo).filter((s): s is SourceInfo => s !== null),
  };
}

/** What every source writes into: the temporary files, the completeness check, the tallies. */
function newRun(
  o: CollectOptions,
  work: string,
  outputs: Outputs,
  acc: Collected,
  probes: SourceProbeReport[] | undefined,
  say: (m: string) => void,
): CollectRun {
  const { config, period } = o;
  const checker = new CompletenessChecker({
    integrity: acc.integrity,
    profile: config.profile as ProfileId,
    since: period.start,
    until: period.end,
    sharedIdentities: config.sharedIdentities,
    roster: config.roster,
    sources: acc.checkSources,
    probes,
    retentionMinDays: config.retentionMinDays,
  });
  const redactedBy: RedactedBy = {};
  return {
    ctx: {
      since: period.start,
      until: period.end,
      timezone: period.timezone,
      progress: say,
      signal: o.signal,
      workDir: work,
    },
    outputs,
    tally: new RunTally(period, config.bundle.sampleRows),
    checker,
    redactedBy,
    roster: config.roster,
    demo: !!o.demo,
    signal: o.signal,
    say,
  };
}

/** report/summary.html. */
function summaryPage(
  run: CollectRun,
  predicate: EvidencePredicate,
  findings: Parameters<typeof summaryHtml>[0]['findings'],
  config: CollectConfig,
  checklistLines: ChecklistLine[],
): Buffer {
  const t = run.tally;
  return Buffer.from(
    summaryHtml({
      predicate,
      categoriesBySource: t.categoriesBySource,
      days: t.days,
      daysBySource: t.daysBySource,
      hoursBySource: t.hoursBySource,
      sample: t.sample,
      privilegedByCategory: t.privilegedByCategory,
      sampleLimit: config.bundle.sampleRows,
      findings,
      retentionMinDays: config.retentionMinDays,
      checklist: checklistLines,
    }),
  );
}
