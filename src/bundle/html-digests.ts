// The "CloudTrail digest validation" section of report/summary.html: per cloudtrail-s3 source, the
// digest report the manifest records (settings.cloudtrail_digests): log files covered by a valid
// digest, files with no valid digest, files changed or missing, invalid digests and gaps, each
// failing item named (the first LIST_CAP of each kind; the full lists are in the integrity/ report
// file), with a red banner when the validation failed. Self-contained: a function of the manifest's
// sources, so the page's layout can change around it.
import type { SourceEntry } from './manifest.js';
import type { DigestSummary } from '../checks/rules/integrity-cloudtrail-digest.js';
import { digestVerdict } from '../checks/rules/integrity-cloudtrail-digest.js';
import { escapeHtml } from './escape.js';

const num = (n: number): string => n.toLocaleString('en-US');

/** The digest summaries of the sources that have one. */
export function digestSummaries(sources: SourceEntry[]): Array<{ source: string; d: DigestSummary }> {
  return sources
    .filter((s) => s.settings?.cloudtrail_digests)
    .map((s) => ({ source: s.name, d: s.settings.cloudtrail_digests as DigestSummary }));
}

/** The one-line problem for the page's verdict banner, or null when the trail passed. */
export function digestProblem(source: string, d: DigestSummary): string | null {
  if (d.pass) return null;
  const parts = [
    [d.files_changed.count, 'log files changed after delivery'],
    [d.files_missing.count, 'missing'],
    [d.invalid_digests.count, 'invalid digests'],
    [d.digest_gaps.count, 'gaps'],
    [d.files_without_digest.count, 'log files with no valid digest'],
  ]
    .filter(([n]) => (n as number) > 0)
    .map(([n, w]) => `${num(n as number)} ${w}`);
  return `<b class="badge bad">FAIL</b> CloudTrail digest validation of source <b>${escapeHtml(source)}</b>: ${escapeHtml(parts.join(', '))} (<a href="#digests-h">named below</a>)`;
}

function named(list: { count: number; first: string[] }, what: string, report: string | undefined): string {
  if (list.count === 0) return '';
  const more =
    list.count > list.first.length
      ? `<li>… and ${num(list.count - list.first.length)} more (all in <code>${escapeHtml(report ?? 'the integrity report')}</code>)</li>`
      : '';
  return `<p>${escapeHtml(what)} (${num(list.count)}):</p><ul class="digest-items">${list.first.map((x) => `<li class="wrap"><code>${escapeHtml(x)}</code></li>`).join('')}${more}</ul>`;
}

export function digestSection(sources: SourceEntry[]): string {
  const all = digestSummaries(sources);
  if (all.length === 0) return '';
  const out: string[] = [
    '<section aria-labelledby="digests-h">',
    '<h2 id="digests-h" class="keep">CloudTrail digest validation: are the log files the ones AWS delivered?</h2>',
    "<p>CloudTrail signs an hourly digest file that lists the SHA-256 of every log file it delivered and chains to the previous digest. Each digest's signature, the chain and every log file of the period were checked when the bundle was collected; the digests, their signatures and the public keys are in <code>integrity/</code>, and <code>audit-evidence verify</code> re-runs the whole check offline.</p>",
  ];
  for (const { source, d } of all) {
    const verdict = digestVerdict(d);
    if (d.pass)
      out.push(
        `<div class="banner ok"><p class="head"><b class="badge ok">PASS</b> Source ${escapeHtml(source)}: ${escapeHtml(verdict === 'PASS' ? `every log file read is covered by a valid digest (${num(d.files_covered)}), and the ${num(d.digests)} digests are valid and chained with no gap.` : verdict)}</p></div>`,
      );
    else
      out.push(
        `<div class="banner bad" role="alert"><p class="head"><b class="badge bad">FAIL</b> Source ${escapeHtml(source)}: CloudTrail digest validation failed. The log files named below are not shown to be the ones AWS delivered.</p></div>`,
      );
    const unsigned = d.digests_signature_unchecked ?? 0;
    const row = (label: string, v: string, bad: boolean) =>
      `<tr${bad ? ' class="digest-bad"' : ''}><th scope="row">${escapeHtml(label)}</th><td class="num">${v}${bad ? ' <b class="badge bad">FAIL</b>' : ''}</td></tr>`;
    out.push(
      `<table class="digests" aria-label="CloudTrail digest report of source ${escapeHtml(source)}"><tbody>`,
      row('Log files covered by a valid digest', num(d.files_covered), false),
      ...(unsigned
        ? [
            row(
              'Log files matching a digest whose signature was not checked',
              num(d.files_matched_unsigned ?? 0),
              false,
            ),
          ]
        : []),
      row('Log files with no valid digest', num(d.files_without_digest.count), d.files_without_digest.count > 0),
      row('Log files changed after delivery', num(d.files_changed.count), d.files_changed.count > 0),
      row('Log files missing (listed in a valid digest)', num(d.files_missing.count), d.files_missing.count > 0),
      row('Digests valid', `${num(d.digests_valid)} of ${num(d.digests)}`, false),
      row('Invalid digests', num(d.invalid_digests.count), d.invalid_digests.count > 0),
      row('Digest gaps (hours with no digest)', num(d.digest_gaps.count), d.digest_gaps.count > 0),
      '</tbody></table>',
    );
    out.push(
      named(d.files_changed, 'Changed after delivery (SHA-256 differs from the digest)', d.report),
      named(d.files_missing, 'Missing (a valid digest lists them; they are not in the bucket)', d.report),
      named(d.invalid_digests, 'Invalid digests', d.report),
      named(d.digest_gaps, 'Gaps in the digest chain', d.report),
      named(d.files_without_digest, 'Log files no valid digest covers', d.report),
      ...(d.chain_starts
        ? [
            named(
              d.chain_starts,
              'Digests that start a new chain (accepted: the first digest after logging started, or after it was stopped and started again)',
              d.report,
            ),
          ]
        : []),
    );
    if (d.report) out.push(`<p>Full report: <code>${escapeHtml(d.report)}</code>.</p>`);
  }
  out.push('</section>');
  return out.filter((x) => x !== '').join('\n');
}
