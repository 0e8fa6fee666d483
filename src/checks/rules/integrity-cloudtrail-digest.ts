// integrity.cloudtrail-digest: a CloudTrail log file that is not the one AWS delivered. CloudTrail
// signs an hourly digest listing the SHA-256 of every log file it delivered; a log file whose hash
// differs (changed after delivery), a listed file that is gone (deleted), a digest that is invalid
// (bad signature, unknown key, broken chain) or missing (a gap), and a log file no valid digest
// lists are each a finding, named. The checker is given the digest report(s): collect and verify
// from the bundle's integrity/ data, `check` from CloudTrail-Digest/ files found in its inputs.
import type { Rule } from '../rule.js';
import { sourceFinding } from '../rule.js';
import type { DigestSummary, Finding } from '../types.js';

export type { DigestSummary, IntegrityInput } from '../types.js';

/** One line: the counts of a digest report, worded so that an unchecked signature never reads as valid. */
export function digestCounts(d: DigestSummary): string {
  const unsigned = d.digests_signature_unchecked ?? 0;
  const parts = [
    `${d.files_covered} log files covered by a valid digest`,
    ...(unsigned ? [`${d.files_matched_unsigned ?? 0} matching a digest whose signature could not be checked`] : []),
    `${d.files_without_digest.count} with no valid digest`,
    `${d.files_changed.count} changed`,
    `${d.files_missing.count} missing`,
  ];
  const digests = [
    `${d.digests_valid} of ${d.digests} digests valid`,
    ...(unsigned ? [`${unsigned} with the signature not checked`] : []),
    `${d.invalid_digests.count} invalid`,
    `${d.digest_gaps.count} gaps`,
  ];
  return `${parts.join(', ')}; ${digests.join(', ')}`;
}

/** PASS, FAIL, or, when signatures could not be checked, a PASS that says so. */
export function digestVerdict(d: DigestSummary): string {
  if (!d.pass) return 'FAIL';
  return d.digests_signature_unchecked
    ? 'PASS for the log file hashes and the chain of hashes (signatures NOT checked)'
    : 'PASS';
}

export const integrityCloudTrailDigest: Rule = {
  id: 'integrity.cloudtrail-digest',
  severity: 'error',
  title: 'CloudTrail log file not as delivered (digest validation)',
  description:
    "A CloudTrail log file whose SHA-256 differs from the hash in CloudTrail's signed digest (changed after delivery), a file a digest lists that is missing, an invalid digest (signature, unknown key, broken chain), a missing digest (gap), or a log file no valid digest covers.",
  start(ctx) {
    return {
      finish() {
        const out: Finding[] = [];
        for (const { source, cloudtrail_digests: d } of ctx.options.integrity ?? []) {
          const f = (message: string, severity: Finding['severity'] = 'error', field: string | null = null) =>
            out.push(sourceFinding(integrityCloudTrailDigest, source, message, severity, null, field));
          const named = (list: { count: number; first: string[] }, what: string, field: string) => {
            for (const x of list.first) f(`${source}: ${what}: ${x}`, 'error', field);
            if (list.count > list.first.length)
              f(
                `${source}: ${what}: … and ${list.count - list.first.length} more${d.report ? ` (all in ${d.report})` : ''}`,
                'error',
                field,
              );
          };
          named(
            d.files_changed,
            "log file CHANGED after delivery (its SHA-256 differs from the digest's hashValue)",
            'changed',
          );
          named(d.files_missing, 'log file MISSING (listed in a digest, not found)', 'missing');
          named(d.invalid_digests, 'INVALID digest', 'invalid_digest');
          named(d.digest_gaps, 'digest GAP', 'gap');
          named(d.files_without_digest, 'log file with NO valid digest', 'no_digest');
          // A new chain is accepted (CloudTrail starts one when logging starts again) but said.
          for (const x of d.chain_starts?.first ?? []) f(`${source}: digest chain start: ${x}`, 'info', 'chain_start');
          const unsigned = d.digests_signature_unchecked ?? 0;
          if (unsigned > 0) {
            f(
              `${source}: the signatures of ${unsigned} of ${d.digests} digest files could not be checked offline (aws s3 sync does not copy the x-amz-meta-signature metadata, and no signature was available): the log files were checked against the digests' hashes and the digests against each other's hashes, but that the digests are the ones AWS signed is NOT shown; collect with a cloudtrail-s3 source (or aws cloudtrail validate-logs) checks the signatures`,
              'info',
              'signature_unchecked',
            );
          }
          const after = d.files_after_newest_digest ?? 0;
          if (after > 0)
            f(
              `${source}: ${after} log files were delivered after the newest digest of their account and region (CloudTrail writes a digest about an hour after the files it lists): they are not covered yet; sync again later to check them`,
              'info',
              'after_newest_digest',
            );
          f(
            `${source}: CloudTrail digest validation ${digestVerdict(d)}: ${digestCounts(d)}`,
            d.pass ? 'info' : 'error',
            'summary',
          );
        }
        return out;
      },
    };
  },
};
