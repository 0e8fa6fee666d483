// `audit-evidence probe`: proves that administrator activity is logged, not merely that logging is
// enabled. On every configured source with a `probe` section (opt-in), as the login it names, it
// performs one harmless admin action per category the source can log, tagged with a random nonce,
// then reads the source's log the way collect does until each appears. Exit 0 when every action
// performed was found, 1 when one was not found (or could not be performed), 2 when it could not run.
import { Command } from 'commander';
import { UserError, EXIT_OK, EXIT_FINDINGS } from './errors.js';

interface ProbeCliOptions {
  config?: string;
  wait?: string;
  json?: boolean;
}

export function probeCommand(): Command {
  return new Command('probe')
    .description(
      'Perform one harmless, nonce-tagged admin action per category on each source with a probe section, and prove it reaches the log.',
    )
    .requiredOption(
      '-c, --config <file>',
      'configuration file whose sources have a probe section (postgres, mysql, bytebase, cloudtrail, cloudtrail-s3, gcp-logging)',
    )
    .option(
      '--wait <seconds>',
      'how long to wait for each action to appear in the log (default: probe.wait, else 30 for databases and Bytebase, 900 for AWS, 300 for GCP)',
    )
    .option('--json', 'print the results as JSON (the predicate.probes of a bundle)')
    .addHelpText(
      'after',
      `
Config (opt-in; the probe never acts without it, and never as another login):
  sources:
    - name: pg-prod
      type: postgres
      ...
      probe:
        user: ae_prober             # CREATE ROLE ae_prober LOGIN CREATEROLE PASSWORD '...'
        password_env: AE_PROBE_PASSWORD
        wait: 30
    - name: bytebase
      type: bytebase
      ...
      probe: { user: ae-prober@service.bytebase.com, password_env: AE_BB_PROBE_KEY }
    - name: aws
      type: cloudtrail               # or cloudtrail-s3
      ...
      probe: { iam_role: ae-probe-target, wait: 900 }   # a dedicated role: tagged, given a deny-all policy, both undone
    - name: gcp
      type: gcp-logging
      ...
      probe: { bucket: acme-ae-probe, wait: 300 }       # a dedicated bucket: labelled and unlabelled, IAM policy set to itself

It creates only objects named ae_probe_<nonce> (Bytebase: aeprobe<nonce>) and drops them, and undoes
what it adds to the resource it is given; leftovers of a run that stopped halfway are removed by the next. Exit codes: 0 every action performed was found in the log,
1 an action was not found (or could not be performed), 2 the probe could not run.`,
    )
    .action(async (opts: ProbeCliOptions) => {
      const { loadConfig, ConfigError } = await import('../config/load.js');
      const { runProbes, probeLines, ProbeError } = await import('../probe/run.js');
      let config;
      try {
        config = loadConfig(opts.config!);
      } catch (e) {
        if (e instanceof ConfigError) throw new UserError(e.message);
        throw e;
      }
      const wait = opts.wait === undefined ? undefined : Number(opts.wait);
      if (wait !== undefined && !(wait > 0))
        throw new UserError(`--wait must be a positive number of seconds, not ${opts.wait}`);
      let reports;
      try {
        reports = await runProbes(config.sources, {
          wait,
          progress: (m) => process.stderr.write(`audit-evidence: ${m}\n`),
        });
      } catch (e) {
        if (e instanceof ProbeError) throw new UserError(e.message);
        throw e;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
      else for (const l of probeLines(reports)) process.stdout.write(`${l}\n`);
      const bad = reports.flatMap((r) => r.results).filter((x) => x.status === 'not_found' || x.status === 'failed');
      process.exitCode = bad.length ? EXIT_FINDINGS : EXIT_OK;
    });
}
