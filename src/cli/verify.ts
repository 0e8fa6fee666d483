// `audit-evidence verify`: checks a bundle offline (signature, digests, events, raw records,
// counts, completeness, chain). Exit 0 valid, 1 invalid, 2 could not run.
import { Command } from 'commander';
import type { VerifyCliOptions } from './verify-run.js';

export function verifyCommand(): Command {
  return new Command('verify')
    .description(
      'Verify an evidence bundle: signature, every file digest, events and Merkle root, raw records, counts, completeness, chain.',
    )
    .argument(
      '<bundle>',
      'the evidence bundle: a .zip file, or s3://BUCKET/KEY[?versionId=V] or gs://BUCKET/OBJECT[#GENERATION] (downloaded, verified, and its Object Lock / retention reported)',
    )
    .option(
      '--pubkey <file>',
      "the signer's public key (PEM) as you received it; without it the bundle's own key is used (self-asserted)",
    )
    .option(
      '--previous <bundle.zip>',
      'the previous bundle of the chain, to check the link and that no period is missing',
    )
    .option(
      '--require-complete',
      'exit 1 unless the bundle is VALID and its evidence complete: every source complete or empty and the completeness check passed (for CI, and for a single yes)',
    )
    .option(
      '--json',
      'print the whole result (verdict, signature, integrity, sources, completeness, chain, failures) as one JSON document',
    )
    .option('-q, --quiet', 'print only failures and the verdict line')
    .option(
      '--require-retention',
      'with an s3:// or gs:// bundle: exit 1 unless the stored object is under an active Object Lock / retention policy',
    )
    .option(
      '--endpoint <url>',
      'S3-compatible or GCS JSON API endpoint for s3:// and gs:// bundles (private endpoints, tests)',
    )
    .option('--region <region>', 'AWS region for s3:// bundles (default AWS_REGION, else us-east-1)')
    .option('--profile <name>', 'AWS shared-config profile for s3:// bundles')
    .addHelpText(
      'after',
      `
Examples:
  $ audit-evidence verify evidence-2024-05-01_2024-05-08.zip --pubkey evidence.pub.pem
  $ audit-evidence verify this-week.zip --pubkey evidence.pub.pem --previous last-week.zip
  $ audit-evidence verify this-week.zip --pubkey evidence.pub.pem --require-complete --json > verdict.json
  $ audit-evidence verify 's3://acme-evidence/soc2/evidence-2024-05-01_2024-05-08.zip?versionId=3HL4kqtJ' --pubkey evidence.pub.pem --require-retention

The first line is the verdict: VALID or INVALID (authentic and unchanged, or not), then COMPLETE
or INCOMPLETE with the reasons (a source partial, failed or unreadable; the completeness check
failed, with its rule ids). The lines after it give the signature, the integrity, each source's
status and counts, the completeness result and the chain. --previous verifies the previous bundle
in full too. Every failure names the file and, where it can, the line. Re-zipping the same files keeps a
bundle valid: the signature covers the contents, not the zip container. Without this tool, follow
VERIFY.md inside the bundle (sha256sum, openssl).
Exit codes: 0 valid (and, with --require-complete, complete), 1 invalid (or incomplete with
--require-complete, or not under active retention with --require-retention), 2 could not run (unreadable zip or key, object not readable).`,
    )
    .action(async (bundle: string, opts: VerifyCliOptions) => {
      const { runVerify } = await import('./verify-run.js');
      process.exitCode = await runVerify(bundle, opts);
    });
}
