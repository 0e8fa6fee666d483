// The work behind `audit-evidence collect`, loaded only when collect runs: it pulls in the bundle
// writer, the config schema and the live sources, which every other command would otherwise pay
// for at start-up.
import { resolve } from 'node:path';
import { loadConfig, ConfigError, type CollectConfig } from '../config/load.js';
import { demoConfig } from '../collect/demo.js';
import { runCollect, CollectError, type CollectOptions, type CollectResult } from '../collect/collect.js';
import type { PublishResult } from '../publish/index.js';
import { TempFiles } from '../collect/temp-files.js';
import { lastWeek, defaultBundleName, describePeriod, runClock, ClockError, type Period } from '../collect/window.js';
import { ephemeralKey, loadPrivateKey, loadPublicKey, KeyError, type SigningKey } from '../bundle/keys.js';
import { OK_STATUSES } from '../bundle/manifest.js';
import { completenessLine } from '../checks/report.js';
import { EPHEMERAL_WARNING } from '../bundle/manifest.js';
import { checkZone, parseTimeOption } from './options.js';
import { UserError, EXIT_FINDINGS, EXIT_OK } from './errors.js';
import { publishOptions, publishReport } from './publish.js';
import { checklistSummary } from '../checks/checklist.js';
import { parseStorageUrl } from '../publish/target.js';

export interface CollectCliOptions {
  week?: boolean;
  since?: string;
  until?: string;
  config?: string;
  out?: string;
  key?: string;
  previous?: string;
  demo?: boolean;
  timezone?: string;
  allowPartial?: boolean;
  quiet?: boolean;
  force?: boolean;
  previousPubkey?: string;
  allowGap?: boolean;
  json?: boolean;
  probe?: boolean;
  publish?: string | boolean;
  retentionDays?: string;
  lockRetention?: boolean;
  allowMutable?: boolean;
  publishEndpoint?: string;
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConfigError || e instanceof KeyError || e instanceof ClockError) throw new UserError(e.message);
    throw e;
  }
}

export async function runCollectCli(opts: CollectCliOptions): Promise<number> {
  const err = (m: string) => process.stderr.write(`audit-evidence: ${m}\n`);
  const say = (m: string) => {
    if (!opts.quiet) err(m);
  };
  checkUsage(opts);
  const config = collectConfig(opts, say);
  const zone = checkZone(opts.timezone) ?? config.timezone ?? 'UTC';
  const now = wrap(() => runClock());
  const period = choosePeriod(opts, zone, now);
  if (opts.previousPubkey && !opts.previous)
    throw new UserError('--previous-pubkey is the key of the --previous bundle: give --previous too');
  if (opts.allowGap && !opts.previous)
    throw new UserError('--allow-gap accepts a gap after the --previous bundle: give --previous too');
  const out = resolve(opts.out ?? config.bundle.out ?? defaultBundleName(period, !!opts.demo));
  const key = signingKey(opts, config, err);
  // Publishing options are checked before collecting, so a typo does not cost a whole collection.
  const publishOpts = publishSetup(opts, config);
  const previousPublicKey = opts.previousPubkey
    ? wrap(() => loadPublicKey(opts.previousPubkey!, '--previous-pubkey'))
    : null;

  if (opts.demo)
    err(
      'DEMO: building a demonstration bundle from sample logs with shifted timestamps; it is NOT evidence of any real system.',
    );
  err(`period: ${describePeriod(period)}`);
  const result = await collectUntilInterrupted({
    config,
    period,
    now,
    out,
    key,
    previous: opts.previous ? resolve(opts.previous) : null,
    previousPublicKey,
    allowGap: !!opts.allowGap,
    force: !!opts.force,
    demo: !!opts.demo,
    progress: say,
    probe: !!opts.probe,
  });
  const p = result.statement.predicate;
  await reportCollected(result, key, err, say);
  const integrityFailed = reportDigests(p, err);
  const bad = result.incomplete;
  let code = (bad.length && !opts.allowPartial) || integrityFailed.length ? EXIT_FINDINGS : EXIT_OK;
  let published: PublishResult | null = null;
  if (publishOpts) {
    const r = await publishCollected(result.out, publishOpts, period, err, say);
    published = r.result;
    if (r.code !== EXIT_OK) code = EXIT_FINDINGS;
  }
  if (opts.json) printJson(result, code, integrityFailed.length === 0, published);
  else
    process.stdout.write(
      `${p.demo ? 'DEMO bundle' : 'bundle'} written: ${result.out} (${result.size} bytes): ${p.events.count} events from ${p.sources.length} sources, ${p.totals.rejects} rejected, ${p.totals.outside_period} outside the period; manifest sha256 ${result.manifestSha256}\n`,
    );
  if (integrityFailed.length) {
    err(
      `${integrityFailed.length} CloudTrail trail${integrityFailed.length === 1 ? '' : 's'} failed digest validation (${integrityFailed.map((s) => s.name).join(', ')}): exit 1; the bundle records which files (verify re-checks it offline)`,
    );
  }
  if (bad.length && !opts.allowPartial) {
    err(
      `${bad.length} source${bad.length === 1 ? ' is' : 's are'} not complete (${bad.map((s) => `${s.name} ${s.status}`).join(', ')}): exit 1 (use --allow-partial to accept)`,
    );
  }
  return code;
}

/** The option combinations collect refuses before reading anything. */
function checkUsage(opts: CollectCliOptions): void {
  if (opts.demo && opts.config)
    throw new UserError('--demo uses the built-in sample configuration; leave out --config');
  if (!opts.demo && !opts.config)
    throw new UserError(
      'collect needs --config FILE (write a starter one with audit-evidence init), or --demo for a demonstration',
    );
  if (opts.week && (opts.since || opts.until)) throw new UserError('use either --week or --since/--until, not both');
  if (!opts.week && !(opts.since && opts.until))
    throw new UserError('collect needs a period: --week, or both --since and --until');
}

/** The configuration: the built-in demo one (without formats this build lacks), or --config's. */
function collectConfig(opts: CollectCliOptions, say: (m: string) => void): CollectConfig {
  if (!opts.demo) return wrap(() => loadConfig(opts.config!));
  const d = demoConfig();
  if (d.unavailable.length)
    say(`demo: leaving out the sample logs of formats not available in this version (${d.unavailable.join(', ')})`);
  if (d.config.sources.length === 0)
    throw new UserError('--demo: none of the demo formats is available in this version');
  return d.config;
}

/** The period from --week or --since/--until; one that has not ended yet is refused. */
function choosePeriod(opts: CollectCliOptions, zone: string, now: Date): Period {
  let period: Period;
  if (opts.week) period = lastWeek(now, zone);
  else {
    const start = parseTimeOption(opts.since!, '--since', zone);
    const end = parseTimeOption(opts.until!, '--until', zone);
    if (start >= end) throw new UserError('--since must be before --until');
    period = { start, end, timezone: zone, how: 'since-until' };
  }
  // A period that has not ended cannot be evidence of all of it: the rest of it has not happened yet.
  if (period.end.getTime() > now.getTime()) {
    throw new UserError(
      `the period ends at ${period.end.toISOString()}, after now (${now.toISOString()}): a bundle cannot cover time that has not passed; collect it once the period has ended`,
    );
  }
  return period;
}

/** The signing key (--key or bundle.key), or an ephemeral one with a warning. */
function signingKey(opts: CollectCliOptions, config: CollectConfig, err: (m: string) => void): SigningKey {
  const keyPath = opts.key ? resolve(opts.key) : config.bundle.key;
  if (keyPath) return wrap(() => loadPrivateKey(keyPath));
  err('WARNING: no signing key (--key): signing with an EPHEMERAL key that is thrown away after this run.');
  err(`WARNING: ${EPHEMERAL_WARNING}`);
  return ephemeralKey();
}

type PublishOptions = ReturnType<typeof publishOptions>;

/** The publishing options (--publish or publish.to), checked now; null when not publishing. */
function publishSetup(opts: CollectCliOptions, config: CollectConfig): PublishOptions | null {
  const publishTo =
    typeof opts.publish === 'string'
      ? opts.publish
      : opts.publish === true || config.publish?.to
        ? config.publish?.to
        : undefined;
  if (opts.publish === true && !config.publish?.to)
    throw new UserError('--publish needs a URL (s3://BUCKET/PREFIX or gs://BUCKET/PREFIX) or publish.to in the config');
  if (!publishTo && (opts.retentionDays || opts.lockRetention || opts.allowMutable || opts.publishEndpoint))
    throw new UserError('--retention-days, --lock-retention, --allow-mutable and --publish-endpoint go with --publish');
  const publishOpts = publishTo
    ? publishOptions(
        {
          to: publishTo,
          retentionDays: opts.retentionDays,
          lockRetention: opts.lockRetention,
          allowMutable: opts.allowMutable,
          endpoint: opts.publishEndpoint,
        },
        config.publish,
        config.retentionMinDays,
      )
    : null;
  if (publishTo) {
    try {
      parseStorageUrl(publishTo);
    } catch (e) {
      throw new UserError(`--publish: ${(e as Error).message}`);
    }
  }
  return publishOpts;
}

/** Runs collect; SIGINT or SIGTERM removes its temporary files and ends the process with no bundle. */
async function collectUntilInterrupted(o: Omit<CollectOptions, 'signal' | 'temps'>): Promise<CollectResult> {
  const temps = new TempFiles();
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    ac.abort();
    temps.removeAllSync();
    process.stderr.write(`audit-evidence: interrupted (${sig}); no bundle was written\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await runCollect({ ...o, signal: ac.signal, temps });
  } catch (e) {
    if (e instanceof CollectError) throw new UserError(e.message);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    temps.removeAllSync();
  }
}

/** What the run found, on standard error: probes, warnings, sources not complete, completeness, chain, checklist. */
async function reportCollected(
  result: CollectResult,
  key: SigningKey,
  err: (m: string) => void,
  say: (m: string) => void,
): Promise<void> {
  const p = result.statement.predicate;
  if (p.probes) {
    // Loaded only when probes ran: probe/run.js loads every live source's client library.
    const { probeLines } = await import('../probe/run.js');
    for (const l of probeLines(p.probes)) err(`probe: ${l}`);
  }
  for (const w of result.warnings) err(`warning: ${w}`);
  for (const s of p.sources) {
    if (s.status !== 'complete')
      err(
        `${s.status === 'empty' ? 'note' : 'WARNING'}: source ${s.name} is ${s.status.toUpperCase()}: ${s.status_reason ?? 'no reason given'}`,
      );
  }
  const c = p.completeness;
  err(
    `completeness (${c.profile}): ${completenessLine(c)}${c.pass ? '' : " (recorded in the bundle; collect's exit code does not depend on it: gate on it with audit-evidence verify --require-complete or audit-evidence check)"}`,
  );
  if (p.previous_bundle?.gap)
    err(
      `WARNING: the chain has a known gap from ${p.previous_bundle.gap.start} to ${p.previous_bundle.gap.end} (accepted with --allow-gap, recorded in the manifest)`,
    );
  if (p.previous_bundle?.key_change)
    err(
      `note: the signing key changed: ${p.previous_bundle.file} was signed by key ${p.previous_bundle.key_change.previous_keyid}, this bundle by ${p.signer.keyid} (recorded in the manifest)`,
    );
  say(checklistSummary(result.checklist));
  if (key.ephemeral)
    err(
      'WARNING: the signer of this bundle is UNVERIFIABLE (ephemeral key); use --key with a key from audit-evidence keygen for real evidence.',
    );
}

type Predicate = CollectResult['statement']['predicate'];

/**
 * CloudTrail digest validation (cloudtrail-s3 sources), one line per source; returns the sources
 * whose trail failed it. A trail whose files were changed, deleted or are not covered by a valid,
 * chained digest is a finding: exit 1, like a partial source.
 */
function reportDigests(p: Predicate, err: (m: string) => void): Predicate['sources'] {
  const integrityFailed = p.sources.filter(
    (s) => (s.settings?.cloudtrail_digests as { pass?: boolean } | undefined)?.pass === false,
  );
  for (const s of p.sources) {
    const d = s.settings?.cloudtrail_digests as
      | {
          pass: boolean;
          files_covered: number;
          digests: number;
          digests_valid: number;
          files_without_digest: { count: number };
          files_changed: { count: number };
          files_missing: { count: number };
          digest_gaps: { count: number };
        }
      | undefined;
    if (d)
      err(
        `${d.pass ? 'note' : 'WARNING'}: source ${s.name}: CloudTrail digest validation ${d.pass ? 'PASS' : 'FAILED'}: ${d.files_covered} log files covered by a valid digest, ${d.files_without_digest.count} with no valid digest, ${d.files_changed.count} changed, ${d.files_missing.count} missing; ${d.digests_valid} of ${d.digests} digests valid, ${d.digest_gaps.count} gaps`,
      );
  }
  return integrityFailed;
}

/** Publishes the written bundle (--publish) and reports it; a refusal says the bundle was written but not published. */
async function publishCollected(
  out: string,
  publishOpts: PublishOptions,
  period: Period,
  err: (m: string) => void,
  say: (m: string) => void,
): Promise<{ result: PublishResult; code: number }> {
  const { publishBundle, PublishError } = await import('../publish/index.js');
  let published: PublishResult;
  try {
    published = await publishBundle(out, { ...publishOpts, to: publishOpts.to!, periodEnd: period.end, progress: say });
  } catch (e) {
    if (e instanceof PublishError)
      throw new UserError(
        `the bundle was written (${out}) but NOT published: ${e.message}; retry with audit-evidence publish ${out} --to ${publishOpts.to}`,
      );
    throw e;
  }
  for (const w of published.warnings) err(`WARNING: ${w}`);
  const rep = publishReport(published);
  for (const l of rep.lines) err(l);
  return { result: published, code: rep.code };
}

/** --json: the run's outcome on standard output. */
function printJson(result: CollectResult, code: number, digestsOk: boolean, published: PublishResult | null): void {
  const p = result.statement.predicate;
  const c = p.completeness;
  const bad = result.incomplete;
  process.stdout.write(
    `${JSON.stringify(
      {
        bundle: result.out,
        size: result.size,
        manifest_sha256: result.manifestSha256,
        demo: p.demo,
        period: p.period,
        signer: p.signer,
        complete: bad.length === 0 && c.pass && digestsOk,
        exit_code: code,
        sources: p.sources.map((s) => ({
          name: s.name,
          type: s.type,
          status: s.status,
          status_reason: s.status_reason,
          ok: OK_STATUSES.has(s.status),
          records_read: s.records_read,
          events: s.events,
          rejects: s.rejects,
          skipped: s.skipped,
          outside_period: s.outside_period,
          counts_reconcile: s.counts_reconcile,
          warnings: s.warnings,
          ...(s.settings?.cloudtrail_digests ? { cloudtrail_digests: s.settings.cloudtrail_digests } : {}),
        })),
        totals: p.totals,
        events: { count: p.events.count, by_category: p.events.by_category, privileged: p.events.privileged },
        completeness: {
          profile: c.profile,
          pass: c.pass,
          rows: c.rows,
          complete_rows: c.complete_rows,
          percent_complete: c.percent_complete,
          failed_because: c.failed_because,
          failing_rules: c.failing_rules ?? {},
        },
        previous_bundle: p.previous_bundle,
        warnings: result.warnings,
        checklist: result.checklist,
        ...(published ? { published } : {}),
      },
      null,
      2,
    )}\n`,
  );
}
