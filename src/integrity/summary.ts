// The CloudTrail digest report as the manifest carries it (source settings.cloudtrail_digests):
// counts, and the first names of each list; the full report is integrity/<source>/cloudtrail-digest-report.json.
import type { DigestReport } from './cloudtrail-digest.js';
import { reportFileName } from './files.js';

export const LIST_CAP = 20;

/** The report as the manifest carries it: counts, and the first names of each list. */
export function summarize(r: DigestReport, source: string): Record<string, unknown> {
  const cap = (a: string[]) => ({ count: a.length, first: a.slice(0, LIST_CAP) });
  return {
    pass: r.pass,
    digests: r.digests,
    digests_valid: r.digests_valid,
    ...(r.digests_signature_unchecked !== undefined
      ? {
          digests_signature_unchecked: r.digests_signature_unchecked,
          files_matched_unsigned: r.files_matched_unsigned ?? 0,
          files_after_newest_digest: r.files_after_newest_digest ?? 0,
        }
      : {}),
    invalid_digests: {
      count: r.invalid_digests.length,
      first: r.invalid_digests.slice(0, LIST_CAP).map((p) => `${p.file}: ${p.problem}`),
    },
    digest_gaps: cap(r.digest_gaps),
    files_covered: r.files_covered,
    files_without_digest: cap(r.files_without_digest),
    files_changed: cap(r.files_changed),
    files_missing: cap(r.files_missing),
    ...(r.chain_starts ? { chain_starts: cap(r.chain_starts) } : {}),
    report: reportFileName(source),
  };
}

/** Each problem named, at most LIST_CAP per kind, for warnings. */
export function problemLines(r: DigestReport): string[] {
  const capped = (a: string[], label: string) => [
    ...a.slice(0, LIST_CAP).map((x) => `${label}${x}`),
    ...(a.length > LIST_CAP ? [`${label}… and ${a.length - LIST_CAP} more`] : []),
  ];
  return [
    ...capped(r.files_changed, 'CHANGED after delivery: '),
    ...capped(r.files_missing, 'MISSING (listed in a valid digest): '),
    ...capped(
      r.invalid_digests.map((d) => `${d.file}: ${d.problem}`),
      'INVALID digest ',
    ),
    ...capped(r.digest_gaps, 'digest GAP: '),
    ...capped(r.files_without_digest, 'no valid digest covers: '),
  ];
}
