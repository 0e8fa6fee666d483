// The work behind `audit-evidence collect`, loaded only when collect runs: it pulls in the bundle
// writer, the config schema and the live sources, which every other command would otherwise pay
// for at start-up.
import { resolve } from 'node:path';
import { loadConfig, ConfigError, type CollectConfig } from '../config/load.js';
import { demoConfig } from '../collect/demo.js';
import { runCollect, CollectError } from '../collect/collect.js';
import { TempFiles } from '../collect/temp-files.js';
import { lastWeek, defaultBundleName, describePeriod, runClock, ClockError, type Period } from '../collect/window.js';
import { ephemeralKey, loadPrivateKey, KeyError, type SigningKey } from '../bundle/keys.js';
import { EPHEMERAL_WARNING } from '../bundle/manifest.js';
import { checkZone, parseTimeOption } from './options.js';
import { UserError, EXIT_FINDINGS, EXIT_OK } from './errors.js';

export interface CollectCliOptions {
  week?: boolean; since?: string; until?: string; config?: string; out?: string; key?: string; previous?: string;
  demo?: boolean; timezone?: string; allowPartial?: boolean; quiet?: boolean;
}

function wrap<T>(f: () => T): T {
  try { return f(); } catch (e) {
    if (e instanceof ConfigError || e instanceof KeyError || e instanceof ClockError) throw new UserError(e.message);
    throw e;
  }
}

export async function runCollectCli(opts: CollectCliOptions): Promise<number> {
  const err = (m: string) => process.stderr.write(`audit-evidence: ${m}\n`);
  const say = (m: string) => { if (!opts.quiet) err(m); };
  if (opts.demo && opts.config) throw new UserError('--demo uses the built-in sample configuration; leave out --config');
  if (!opts.demo && !opts.config) throw new UserError('collect needs --config FILE (write a starter one with audit-evidence init), or --demo for a demonstration');
  if (opts.week && (opts.since || opts.until)) throw new UserError('use either --week or --since/--until, not both');
  if (!opts.week && !(opts.since && opts.until)) throw new UserError('collect needs a period: --week, or both --since and --until');

  let config: CollectConfig;
  if (opts.demo) {
    const d = demoConfig();
    config = d.config;
    if (d.unavailable.length) say(`demo: leaving out the sample logs of formats not available in this version (${d.unavailable.join(', ')})`);
    if (config.sources.length === 0) throw new UserError('--demo: none of the demo formats is available in this version');
  } else config = wrap(() => loadConfig(opts.config!));

  const zone = checkZone(opts.timezone) ?? config.timezone ?? 'UTC';
  const now = wrap(() => runClock());
  let period: Period;
  if (opts.week) period = lastWeek(now, zone);
  else {
    const start = parseTimeOption(opts.since!, '--since', zone);
    const end = parseTimeOption(opts.until!, '--until', zone);
    if (start >= end) throw new UserError('--since must be before --until');
    period = { start, end, timezone: zone, how: 'since-until' };
  }
  const out = resolve(opts.out ?? config.bundle.out ?? defaultBundleName(period, !!opts.demo));

  const keyPath = opts.key ? resolve(opts.key) : config.bundle.key;
  let key: SigningKey;
  if (keyPath) key = wrap(() => loadPrivateKey(keyPath));
  else {
    key = ephemeralKey();
    err('WARNING: no signing key (--key): signing with an EPHEMERAL key that is thrown away after this run.');
    err(`WARNING: ${EPHEMERAL_WARNING}`);
  }

  if (opts.demo) err('DEMO: building a demonstration bundle from sample logs with shifted timestamps; it is NOT evidence of any real system.');
  err(`period: ${describePeriod(period)}`);

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
  let result;
  try {
    result = await runCollect({ config, period, now, out, key, previous: opts.previous ? resolve(opts.previous) : null, demo: !!opts.demo, signal: ac.signal, progress: say, temps });
  } catch (e) {
    if (e instanceof CollectError) throw new UserError(e.message);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    temps.removeAllSync();
  }
  const p = result.statement.predicate;
  for (const w of result.warnings) err(`warning: ${w}`);
  for (const s of p.sources) {
    if (s.status !== 'complete') err(`${s.status === 'empty' ? 'note' : 'WARNING'}: source ${s.name} is ${s.status.toUpperCase()}: ${s.status_reason ?? 'no reason given'}`);
  }
  err(`completeness (${p.completeness.profile}): ${p.completeness.pass ? 'pass' : 'FAIL'}, ${p.completeness.complete_rows} of ${p.completeness.rows} rows complete (${p.completeness.percent_complete}%)${p.completeness.pass ? '' : ' (recorded in the bundle; collect does not fail on it: use audit-evidence check as the gate)'}`);
  if (key.ephemeral) err('WARNING: the signer of this bundle is UNVERIFIABLE (ephemeral key); use --key with a key from audit-evidence keygen for real evidence.');
  process.stdout.write(`${p.demo ? 'DEMO bundle' : 'bundle'} written: ${result.out} (${result.size} bytes): ${p.events.count} events from ${p.sources.length} sources, ${p.totals.rejects} rejected, ${p.totals.outside_period} outside the period; manifest sha256 ${result.manifestSha256}\n`);
  // CloudTrail digest validation (cloudtrail-s3 sources): a trail whose files were changed, deleted or
  // are not covered by a valid, chained digest is a finding: exit 1, like a partial source.
  const integrityFailed = p.sources.filter((s) => (s.settings?.cloudtrail_digests as { pass?: boolean } | undefined)?.pass === false);
  for (const s of p.sources) {
    const d = s.settings?.cloudtrail_digests as { pass: boolean; files_covered: number; digests: number; digests_valid: number; files_without_digest: { count: number }; files_changed: { count: number }; files_missing: { count: number }; digest_gaps: { count: number } } | undefined;
    if (d) err(`${d.pass ? 'note' : 'WARNING'}: source ${s.name}: CloudTrail digest validation ${d.pass ? 'PASS' : 'FAILED'}: ${d.files_covered} log files covered by a valid digest, ${d.files_without_digest.count} with no valid digest, ${d.files_changed.count} changed, ${d.files_missing.count} missing; ${d.digests_valid} of ${d.digests} digests valid, ${d.digest_gaps.count} gaps`);
  }
  if (integrityFailed.length) {
    err(`${integrityFailed.length} CloudTrail trail${integrityFailed.length === 1 ? '' : 's'} failed digest validation (${integrityFailed.map((s) => s.name).join(', ')}): exit 1; the bundle records which files (verify re-checks it offline)`);
    return EXIT_FINDINGS;
  }
  if (result.incomplete.length && !opts.allowPartial) {
    err(`${result.incomplete.length} source${result.incomplete.length === 1 ? ' is' : 's are'} partial or failed (${result.incomplete.map((s) => s.name).join(', ')}): exit 1 (use --allow-partial to accept)`);
    return EXIT_FINDINGS;
  }
  return EXIT_OK;
}
