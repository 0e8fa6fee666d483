// `audit-evidence collect`: reads the configured sources for a period and writes a signed evidence
// bundle (see the README, "Collecting evidence"). Exit 0 when every source is complete (or empty), 1 when a
// source is partial, failed or unreadable (unless --allow-partial), 2 when the command could not run. The
// completeness result does not change the exit code: it is recorded in the bundle, and
// `audit-evidence check` is the gate for CI.
import { Command } from 'commander';
import type { CollectCliOptions } from './collect-run.js';

export function collectCommand(): Command {
  return new Command('collect')
    .description(
      'Collect a period of audit logs from the configured sources into a signed, verifiable evidence bundle (zip).',
    )
    .option('--week', 'the last seven full days, ending at midnight today in --timezone')
    .option('--since <time>', 'start of the period (inclusive; RFC 3339 or YYYY-MM-DD in --timezone)')
    .option('--until <time>', 'end of the period (exclusive)')
    .option('-c, --config <file>', 'configuration file (YAML or JSON; write a starter one with audit-evidence init)')
    .option('-o, --out <file.zip>', 'where to write the bundle (default: evidence-<start>_<end>.zip)')
    .option(
      '-k, --key <file>',
      'Ed25519 private key (PEM, mode 0600) that signs the bundle (make one with audit-evidence keygen)',
    )
    .option(
      '--previous <bundle.zip>',
      "the previous period's bundle, to chain this one to it (verified in full first: signature, files, period)",
    )
    .option(
      '--previous-pubkey <file>',
      'the public key that signed --previous, when the signing key was changed since (recorded in the manifest)',
    )
    .option(
      '--allow-gap',
      'accept a known gap between --previous and this period (recorded in the manifest); otherwise a gap is refused',
    )
    .option('--demo', 'build a DEMO bundle from the sample logs shipped with audit-evidence (no config, no network)')
    .option('--timezone <zone>', "zone of the period (IANA name or offset; default UTC or the config's timezone)")
    .option('--allow-partial', 'exit 0 even when a source is partial, failed or unreadable')
    .option('--force', 'replace an existing --out file (otherwise collect refuses to overwrite a bundle)')
    .option(
      '--json',
      'print the result (bundle, sources with status and counts, completeness) as one JSON document on standard output',
    )
    .option('-q, --quiet', 'print only warnings, errors and the result')
    .option(
      '--publish [url]',
      "then publish the bundle to write-once storage: s3://BUCKET/PREFIX or gs://BUCKET/PREFIX (default: the config's publish.to, which also turns publishing on); see audit-evidence publish --help",
    )
    .option(
      '--retention-days <n>',
      'with --publish: keep the bundle until period end + N days (default publish.retention_days, retention.minimum_days, else 365)',
    )
    .option('--lock-retention', "with --publish to gs://: lock the bucket's retention policy first (irreversible)")
    .option('--allow-mutable', 'with --publish: accept a bucket without Object Lock / a long-enough retention policy')
    .option('--publish-endpoint <url>', 'with --publish: S3-compatible or GCS JSON API endpoint')
    .option(
      '--probe',
      'first run the logging probe on the sources that have a probe section (harmless admin actions looked for in the log; results in the bundle)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ audit-evidence collect --week --demo
  $ audit-evidence keygen --out keys/evidence
  $ audit-evidence collect --week --config audit-evidence.yaml --key keys/evidence.key --previous evidence-2024-04-24_2024-05-01.zip
  $ audit-evidence collect --since 2024-05-01 --until 2024-06-01 --config audit-evidence.yaml --out may.zip
  $ audit-evidence collect --week --config audit-evidence.yaml --key keys/evidence.key --publish s3://acme-audit-evidence/soc2/

The bundle is written under a temporary name (.audit-evidence-partial-PID-*) and moved into place
only when complete; an existing --out is never replaced without --force, and a lock file
(.NAME.lock next to it) stops a second run to the same target. Temporary files of a killed run
are removed by the next run. --previous is verified in full and must end where this period starts
and be signed by the same key (--previous-pubkey for a key change, --allow-gap for a known gap).
A period that ends after now is refused.
SOURCE_DATE_EPOCH, when set, is the clock (the period for --week, generated_at, zip times), so
the same inputs, key and clock give a byte-identical bundle.
Source status: complete, empty (read to the end, nothing in the period, nothing rejected),
unreadable (more records rejected than turned into events), partial, failed.
With --publish (or publish.to in the config) the bundle is then uploaded, read back and checked as
audit-evidence publish does; when that fails the bundle stays on disk and collect exits 2.
Exit codes: 0 every source complete (or empty), 1 a source partial, failed or unreadable (0 with
--allow-partial), or the bundle published but not protected as asked, 2 the command could not run. Completeness findings do not change the exit code:
they are in the bundle; gate on them with audit-evidence verify --require-complete.`,
    )
    .action(async (opts: CollectCliOptions) => {
      const { runCollectCli } = await import('./collect-run.js');
      process.exitCode = await runCollectCli(opts);
    });
}
