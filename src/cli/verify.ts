// `audit-evidence verify`: checks a bundle offline (signature, digests, events, raw records,
// counts, completeness, chain). Exit 0 valid, 1 invalid, 2 could not run.
import { Command } from 'commander';
import { verifyBundle, formatFailure } from '../bundle/verify.js';
import { loadPublicKey, KeyError } from '../bundle/keys.js';
import { BundleReadError } from '../bundle/zip-reader.js';
import { UserError, EXIT_FINDINGS, EXIT_OK } from './errors.js';

interface VerifyCliOptions { pubkey?: string; previous?: string; quiet?: boolean }

export function verifyCommand(): Command {
  return new Command('verify')
    .description('Verify an evidence bundle: signature, every file digest, events and Merkle root, raw records, counts, completeness, chain.')
    .argument('<bundle>', 'the evidence bundle (.zip)')
    .option('--pubkey <file>', "the signer's public key (PEM) as you received it; without it the bundle's own key is used (self-asserted)")
    .option('--previous <bundle.zip>', 'the previous bundle of the chain, to check the link and that no period is missing')
    .option('-q, --quiet', 'print only failures and the verdict')
    .addHelpText('after', `
Examples:
  $ audit-evidence verify evidence-2024-05-01_2024-05-08.zip --pubkey evidence.pub.pem
  $ audit-evidence verify this-week.zip --pubkey evidence.pub.pem --previous last-week.zip

Every failure names the file and, where it can, the line. Re-zipping the same files keeps a
bundle valid: the signature covers the contents, not the zip container. Without this tool, follow
VERIFY.md inside the bundle (sha256sum, openssl).
Exit codes: 0 valid, 1 invalid, 2 could not run (unreadable zip or key).`)
    .action(async (bundle: string, opts: VerifyCliOptions) => {
      process.exitCode = await runVerify(bundle, opts);
    });
}

export async function runVerify(bundle: string, opts: VerifyCliOptions): Promise<number> {
  let publicKey = null;
  try {
    if (opts.pubkey) publicKey = loadPublicKey(opts.pubkey);
    const r = await verifyBundle(bundle, { publicKey, previous: opts.previous ?? null });
    if (!opts.quiet) for (const w of r.warnings) process.stderr.write(`audit-evidence: warning: ${w}\n`);
    for (const f of r.failures) process.stderr.write(`audit-evidence: INVALID: ${formatFailure(f)}\n`);
    const what = `${r.facts.events} events, ${r.facts.files} files${r.facts.period ? `, period ${r.facts.period.start} to ${r.facts.period.end}` : ''}${r.facts.keyid ? `, signed by key ${r.facts.keyid} (${r.facts.signer})` : ''}${r.facts.previous ? `, chained to ${opts.previous}` : ''}`;
    if (r.valid) {
      process.stdout.write(`${bundle}: VALID${r.facts.demo ? ' DEMO bundle (not evidence)' : ''}: ${what}\n`);
      return EXIT_OK;
    }
    process.stdout.write(`${bundle}: INVALID: ${r.failures.length} problem${r.failures.length === 1 ? '' : 's'} (${what})\n`);
    return EXIT_FINDINGS;
  } catch (e) {
    if (e instanceof KeyError || e instanceof BundleReadError) throw new UserError(e.message);
    throw e;
  }
}
