// The "Retention" section of report/summary.html: per source, how long it keeps its records (or
// that nobody can tell, and why), against the required days. Self-contained: a function of the
// manifest's sources, so the page's layout can change around it.
import type { SourceEntry } from './manifest.js';
import { formatDays } from '../retention/types.js';

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function retentionSection(sources: SourceEntry[], minimumDays: number): string {
  const rows = sources.map((s) => {
    const r = s.retention;
    let verdict: string;
    let kept: string;
    if (!r || r.days === null) {
      verdict = '<b class="badge bad">UNKNOWN</b>';
      kept = 'unknown';
    } else {
      kept = `${r.estimated ? 'about ' : ''}${formatDays(r.days)}`;
      verdict = r.days >= minimumDays ? '<b class="badge ok">MEETS</b>' : '<b class="badge bad">SHORTER</b>';
    }
    const origins = [...new Set(s.roster.map((x) => x.origin.replace(/, read .*$/, '')))];
    const roster = s.roster.length ? `${s.roster.length} (${origins.join('; ')})` : 'none found';
    return `<tr><td>${esc(s.name)}</td><td>${esc(roster)}</td><td>${esc(kept)}</td><td>${verdict}</td><td>${esc(r?.basis ?? 'not read')}</td><td>${esc(r ? `${r.read_from}, ${r.read_at}` : '-')}</td></tr>`;
  });
  return [
    '<section aria-labelledby="retention-h">',
    '<h2 id="retention-h" class="keep">Administrators and retention at the sources</h2>',
    `<p>The administrators each source listed (admin roster entries and where they were read), and how long it keeps its records, read from the source itself; required: ${minimumDays} days (config retention.minimum_days). Unknown is not taken as enough.</p>`,
    '<table><thead><tr><th scope="col">Source</th><th scope="col">Admin roster (entries, from)</th><th scope="col">Kept</th><th scope="col">Against the requirement</th><th scope="col">How it was worked out</th><th scope="col">Read from, at</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table>',
    '</section>',
  ].join('\n');
}
