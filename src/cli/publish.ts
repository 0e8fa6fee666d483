// `audit-evidence publish BUNDLE --to s3://bucket/prefix|gs://bucket/prefix`: puts a bundle on
// write-once storage and reads it back. Exit 0 published and kept until period end + retention
// days; 1 published but NOT protected as asked (only with --allow-mutable); 2 not published.
import { Command, Option } from 'commander';
import { UserError, EXIT_FINDINGS, EXIT_OK } from './errors.js';
import type { PublishResult } from '../publish/index.js';
import type { PublishSettings } from '../config/load.js';

export interface PublishCliOptions {
  to?: string;
  retentionDays?: string;
  mode?: 'compliance' | 'governance';
  allowMutable?: boolean;
  lockRetention?: boolean;
  pubkey?: string;
  endpoint?: string;
  region?: string;
  profile?: string;
  config?: string;
  json?: boolean;
  quiet?: boolean;
}

export function publishCommand(): Command {
  return new Command('publish')
    .description(
      'Upload a bundle to write-once storage (S3 with Object Lock, or GCS with a bucket retention policy), read it back and check its sha256 and retention.',
    )
    .argument('<bundle>', 'the evidence bundle (.zip); it is verified first, and an INVALID bundle is not published')
    .option(
      '--to <url>',
      's3://BUCKET/PREFIX or gs://BUCKET/PREFIX (the file name is added; a key ending in .zip is used as it is)',
    )
    .option(
      '--retention-days <n>',
      "keep the bundle until its period end plus N days (default: the config's publish.retention_days or retention.minimum_days, else 365)",
    )
    .addOption(
      new Option(
        '--mode <mode>',
        'S3 Object Lock mode: compliance (nobody, root included, can delete it before then; default) or governance',
      ).choices(['compliance', 'governance']),
    )
    .option(
      '--lock-retention',
      "GCS: lock the bucket's retention policy first (IRREVERSIBLE: it can never be removed or shortened)",
    )
    .option(
      '--allow-mutable',
      'publish even to a bucket without Object Lock / a long-enough retention policy (exit 1: the bundle is not protected)',
    )
    .option('--pubkey <file>', "also publish the signer's public key next to the bundle, protected alike")
    .option('--endpoint <url>', 'S3-compatible or GCS JSON API endpoint (private endpoints, tests)')
    .option('--region <region>', 'AWS region (default AWS_REGION, else us-east-1)')
    .option('--profile <name>', 'AWS shared-config profile')
    .option('-c, --config <file>', "read defaults from the configuration's publish section")
    .option('--json', 'print the result as one JSON document')
    .option('-q, --quiet', 'print only warnings, errors and the result')
    .addHelpText(
      'after',
      `
Examples:
  $ audit-evidence publish evidence-2024-05-01_2024-05-08.zip --to s3://acme-audit-evidence/soc2/ --pubkey keys/evidence.pub.pem
  $ audit-evidence publish evidence-2024-05-01_2024-05-08.zip --to gs://acme-audit-evidence/soc2 --retention-days 400 --lock-retention
  $ audit-evidence verify 's3://acme-audit-evidence/soc2/evidence-2024-05-01_2024-05-08.zip?versionId=...' --pubkey keys/evidence.pub.pem

S3: the bucket must have Object Lock enabled (so it is versioned); the bundle is stored as a new
version with its own retention (--mode, retain-until = period end + --retention-days), never over an
existing key (If-None-Match: *). Writing to the key later adds a version and cannot remove the
locked one: the URL printed names the version (?versionId=), give that one to the auditor.
GCS: the bucket must have a retention policy at least as long as the time left until period end +
--retention-days; an unlocked policy is reported (a bucket owner could remove it); --lock-retention
locks it. The object is never uploaded over an existing one (ifGenerationMatch=0).
Both: the object is read back, its sha256 compared with the local file's and its retention with the
date asked for. Publishing the same file again reports it as already published.
Exit codes: 0 published and kept at least until the date asked for; 1 published but NOT protected
as asked (--allow-mutable); 2 not published (refused, failed, invalid bundle).`,
    )
    .action(async (bundle: string, opts: PublishCliOptions) => {
      process.exitCode = await runPublishCli(bundle, opts);
    });
}

/** The options shared with collect --publish, resolved against the config's publish section. */
export function publishOptions(
  opts: PublishCliOptions,
  cfg: PublishSettings | undefined,
  minDays: number | undefined,
): {
  to: string | undefined;
  retentionDays: number;
  mode: 'COMPLIANCE' | 'GOVERNANCE';
  allowMutable: boolean;
  lockRetention: boolean;
  publicKey?: string;
  endpoint?: string;
  region?: string;
  profile?: string;
} {
  let retentionDays = cfg?.retentionDays ?? minDays ?? 365;
  if (opts.retentionDays !== undefined) {
    retentionDays = Number(opts.retentionDays);
    if (!/^\d+$/.test(opts.retentionDays.trim()) || retentionDays < 1 || retentionDays > 36500)
      throw new UserError(`--retention-days takes a whole number of days from 1 to 36500, not '${opts.retentionDays}'`);
  }
  const mode = (opts.mode ?? cfg?.mode ?? 'compliance').toUpperCase() as 'COMPLIANCE' | 'GOVERNANCE';
  const endpoint = opts.endpoint ?? cfg?.endpoint;
  const region = opts.region ?? cfg?.region;
  const profile = opts.profile ?? cfg?.profile;
  const publicKey = opts.pubkey ?? cfg?.publicKey;
  return {
    to: opts.to ?? cfg?.to,
    retentionDays,
    mode,
    allowMutable: !!(opts.allowMutable ?? cfg?.allowMutable),
    lockRetention: !!(opts.lockRetention ?? cfg?.lockRetention),
    ...(publicKey ? { publicKey } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    ...(profile ? { profile } : {}),
  };
}

/** The lines publish and collect --publish print, and the exit code they mean. */
export function publishReport(r: PublishResult): { lines: string[]; code: number } {
  const lines: string[] = [];
  const one = (what: string, o: PublishResult['bundle']) => {
    lines.push(`${what} ${o.already_published ? 'already published' : 'published'}: ${o.url}`);
    lines.push(`  ${o.size} bytes, sha256 ${o.sha256} (read back and compared)`);
    lines.push(`  ${o.protection.summary}`);
  };
  one('bundle', r.bundle);
  if (r.public_key) one('public key', r.public_key);
  const kept = (o: PublishResult['bundle']) =>
    o.protection.active &&
    o.protection.retain_until !== null &&
    Date.parse(o.protection.retain_until) >= Date.parse(r.required_until) - 1000;
  const ok = kept(r.bundle) && (!r.public_key || kept(r.public_key));
  lines.push(
    `required: kept until ${r.required_until} (period end ${r.period_end} + ${r.retention_days} days): ${ok ? 'met' : 'NOT met'}`,
  );
  return { lines, code: ok ? EXIT_OK : EXIT_FINDINGS };
}

export async function runPublishCli(bundle: string, opts: PublishCliOptions): Promise<number> {
  const { publishBundle, PublishError } = await import('../publish/index.js');
  let cfg: { publish?: PublishSettings; retentionMinDays?: number } = {};
  if (opts.config) {
    const { loadConfig, ConfigError } = await import('../config/load.js');
    try {
      cfg = loadConfig(opts.config);
    } catch (e) {
      if (e instanceof ConfigError) throw new UserError(e.message);
      throw e;
    }
  }
  const o = publishOptions(opts, cfg.publish, cfg.publish || opts.config ? cfg.retentionMinDays : undefined);
  if (!o.to)
    throw new UserError('publish needs --to s3://BUCKET/PREFIX or gs://BUCKET/PREFIX (or publish.to in --config)');
  const say = (m: string) => {
    if (!opts.quiet) process.stderr.write(`audit-evidence: ${m}\n`);
  };
  let r: PublishResult;
  try {
    r = await publishBundle(bundle, { ...o, to: o.to, progress: say });
  } catch (e) {
    if (e instanceof PublishError) throw new UserError(`not published: ${e.message}`);
    throw e;
  }
  for (const w of r.warnings) process.stderr.write(`audit-evidence: WARNING: ${w}\n`);
  const rep = publishReport(r);
  if (opts.json) process.stdout.write(`${JSON.stringify({ ...r, exit_code: rep.code }, null, 2)}\n`);
  else for (const l of rep.lines) process.stdout.write(`${l}\n`);
  return rep.code;
}
