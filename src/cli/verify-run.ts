// The work behind `audit-evidence verify`, loaded only when verify runs (the bundle reader and the
// manifest schema are not needed by any other command).
import { verifyBundle, formatFailure } from '../bundle/verify.js';
import { loadPublicKey, KeyError } from '../bundle/keys.js';
import { BundleReadError } from '../bundle/zip-reader.js';
import { UserError, EXIT_FINDINGS, EXIT_OK } from './errors.js';

export interface VerifyCliOptions { pubkey?: string; previous?: string; quiet?: boolean }

export async function runVerify(bundle: string, opts: VerifyCliOptions): Promise<number> {
  let publicKey = null;
  try {
    if (opts.pubkey) publicKey = loadPublicKey(opts.pubkey);
    const r = await verifyBundle(bundle, { publicKey, previous: opts.previous ?? null });
    if (!opts.quiet) for (const w of r.warnings) process.stderr.write(`audit-evidence: warning: ${w}\n`);
    for (const f of r.failures) process.stderr.write(`audit-evidence: INVALID: ${formatFailure(f)}\n`);
    const what = `${r.facts.events} events, ${r.facts.files} files${r.facts.period ? `, period ${r.facts.period.start} to ${r.facts.period.end}` : ''}${r.facts.keyid ? `, signed by key ${r.facts.keyid} (${r.facts.signer})` : ''}${r.facts.previous ? `, chained to ${opts.previous}` : ''}`;
    const integrity = () => {
      for (const { source, report: d } of r.facts.integrity ?? []) {
        process.stdout.write(`  source ${source}: CloudTrail digests re-checked offline: ${d.pass ? 'PASS' : 'FAIL'}: ${d.files_covered} log files covered by a valid digest, ${d.files_without_digest.length} with no valid digest, ${d.files_changed.length} changed, ${d.files_missing.length} missing; ${d.digests_valid} of ${d.digests} digests valid, ${d.digest_gaps.length} gaps\n`);
      }
    };
    if (r.valid) {
      process.stdout.write(`${bundle}: VALID${r.facts.demo ? ' DEMO bundle (not evidence)' : ''}: ${what}\n`);
      integrity();
      return EXIT_OK;
    }
    process.stdout.write(`${bundle}: INVALID: ${r.failures.length} problem${r.failures.length === 1 ? '' : 's'} (${what})\n`);
    integrity();
    return EXIT_FINDINGS;
  } catch (e) {
    if (e instanceof KeyError || e instanceof BundleReadError) throw new UserError(e.message);
    throw e;
  }
}
