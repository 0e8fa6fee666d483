// `audit-evidence collect`: reads the configured sources for a period and writes a signed evidence
// bundle (see docs/readme/bundle.md). Exit 0 when every source is complete (or empty), 1 when a
// source is partial or failed (unless --allow-partial), 2 when the command could not run. The
// completeness result does not change the exit code: it is recorded in the bundle, and
// `audit-evidence check` is the gate for CI.
import { resolve } from 'node:path';
import { Command } from 'commander';
import { loadConfig, ConfigError, type CollectConfig } from '../config/load.js';
import { demoConfig } from '../collect/demo.js';
import { runCollect, CollectError } from '../collect/collect.js';
import { TempFiles } from '../collect/temp-files.js';
import { lastWeek, defaultBundleName, describePeriod, runClock, ClockError, type Period } from '../collect/window.js';
import { ephemeralKey, loadPrivateKey, KeyError, type SigningKey } from '../bundle/keys.js';
import { EPHEMERAL_WARNING } from '../bundle/manifest.js';
import { checkZone, parseTimeOption } from './options.js';
import { UserError, EXIT_FINDINGS, EXIT_OK } from './errors.js';

interface CollectCliOptions {
  week?: boolean; since?: string; until?: string; config?: string; out?: string; key?: string; previous?: string;
  demo?: boolean; timezone?: string; allowPartial?: boolean; quiet?: boolean;
}

export function collectCommand(): Command {
  return new Command('collect')
    .description('Collect a period of audit logs from the configured sources into a signed, verifiable evidence bundle (zip).')
    .option('--week', 'the last seven full days, ending at midnight today in --timezone')
    .option('--since <time>', 'start of the period (inclusive; RFC 3339 or YYYY-MM-DD in --timezone)')
    .option('--until <time>', 'end of the period (exclusive)')
    .option('-c, --config <file>', 'configuration file (YAML or JSON; write a starter one with audit-evidence init)')
    .option('-o, --out <file.zip>', 'where to write the bundle (default: evidence-<start>_<end>.zip)')
    .option('-k, --key <file>', 'Ed25519 private key (PEM, mode 0600) that signs the bundle (make one with audit-evidence keygen)')
    .option('--previous <bundle.zip>', "the previous period's bundle, to chain this one to it")
    .option('--demo', 'build a DEMO bundle from the sample logs shipped with audit-evidence (no config, no network)')
    .option('--timezone <zone>', 'zone of the period (IANA name or offset; default UTC or the config\'s timezone)')
    .option('--allow-partial', 'exit 0 even when a source could only be read in part or not at all')
    .option('-q, --quiet', 'print only warnings, errors and the result')
    .addHelpText('after', `
Examples:
  $ audit-evidence collect --week --demo
  $ audit-evidence keygen --out keys/evidence
  $ audit-evidence collect --week --config audit-evidence.yaml --key keys/evidence.key --previous evidence-2024-04-24_2024-05-01.zip
  $ audit-evidence collect --since 2024-05-01 --until 2024-06-01 --config audit-evidence.yaml --out may.zip

The bundle is written under a temporary name and renamed into place only when complete.
SOURCE_DATE_EPOCH, when set, is the clock (the period for --week, generated_at, zip times), so
the same inputs, key and clock give a byte-identical bundle.
Exit codes: 0 every source complete (or empty), 1 a source partial or failed (0 with
--allow-partial), 2 the command could not run. Completeness findings do not change the exit code:
they are in the bundle; use audit-evidence check as a CI gate.`)
    .action(async (opts: CollectCliOptions) => {
      process.exitCode = await runCollectCli(opts);
    });
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
  if (result.incomplete.length && !opts.allowPartial) {
    err(`${result.incomplete.length} source${result.incomplete.length === 1 ? ' is' : 's are'} partial or failed (${result.incomplete.map((s) => s.name).join(', ')}): exit 1 (use --allow-partial to accept)`);
    return EXIT_FINDINGS;
  }
  return EXIT_OK;
}
