// report/summary.html: the human view of a bundle. One self-contained page (inline CSS, no
// scripts, no external references) so it opens from the unzipped folder with no network. Every
// value from the logs is HTML-escaped.
import type { EvidencePredicate } from './manifest.js';
import type { Finding } from '../checks/index.js';

export interface SampleRow {
  line: number;
  timestamp: string | null;
  user: string | null;
  action: string | null;
  resource: string | null;
  category: string;
  outcome: string;
  source: string | null;
  reasons: string[];
}

export interface SummaryData {
  predicate: EvidencePredicate;
  /** source → category → count */
  categoriesBySource: Record<string, Record<string, number>>;
  /** YYYY-MM-DD (in the period's zone) → count; 'no timestamp' for untimed events. */
  byDay: Record<string, number>;
  sample: SampleRow[];
  sampleLimit: number;
  findings: Finding[];
}

export function escapeHtml(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CATEGORIES = ['authentication', 'permission_change', 'policy_change', 'access_request', 'data_exposure', 'change_execution', 'other'];

const cell = (v: unknown, missingLabel = 'missing'): string =>
  v === null || v === undefined || v === '' ? `<td class="missing">${missingLabel}</td>` : `<td>${escapeHtml(v)}</td>`;

const CSS = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#1b1b1b}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}td.missing{color:#a00;font-style:italic}
.banner{padding:1em;margin:1em 0;border:3px solid;font-weight:bold;font-size:1.1em}
.demo{background:#fff3cd;border-color:#c90;color:#7a4d00}.warn{background:#fde2e1;border-color:#b00;color:#700}
.ok{color:#060;font-weight:bold}.bad{color:#b00;font-weight:bold}code{font-size:.95em;word-break:break-all}
.status-complete{color:#060}.status-partial,.status-failed{color:#b00;font-weight:bold}.status-empty{color:#a60}`;

export function summaryHtml(d: SummaryData): string {
  const p = d.predicate;
  const out: string[] = [];
  const title = `${p.demo ? 'DEMO — ' : ''}Audit evidence ${p.period.start} to ${p.period.end}`;
  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">', `<title>${escapeHtml(title)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  if (p.demo) out.push('<div class="banner demo">DEMO BUNDLE — built from sample logs shipped with audit-evidence, with timestamps shifted into this period. This is NOT audit evidence of any real system.</div>');
  if (p.signer.ephemeral) out.push(`<div class="banner warn">UNVERIFIABLE SIGNER — ${escapeHtml(p.signer.warning)}</div>`);
  out.push(`<h1>${escapeHtml(title)}</h1>`);
  out.push('<table>',
    `<tr><th>Period</th><td>${escapeHtml(p.period.start)} (inclusive) to ${escapeHtml(p.period.end)} (exclusive), zone ${escapeHtml(p.period.timezone)}</td></tr>`,
    `<tr><th>Generated</th><td>${escapeHtml(p.generated_at)} by ${escapeHtml(p.collector.name)} ${escapeHtml(p.collector.version)}</td></tr>`,
    `<tr><th>Signing key id</th><td><code>${escapeHtml(p.signer.keyid)}</code>${p.signer.ephemeral ? ' (ephemeral)' : ''}</td></tr>`,
    `<tr><th>Events</th><td>${p.events.count} (${p.events.privileged} administrator / privileged); Merkle root <code>${escapeHtml(p.events.merkle_root)}</code></td></tr>`,
    `<tr><th>Records read</th><td>${p.totals.records_read}: ${p.totals.events} events, ${p.totals.rejects} rejected, ${p.totals.skipped} skipped (${p.totals.outside_period} outside the period); ${p.totals.counts_reconcile ? '<span class="ok">counts reconcile</span>' : '<span class="bad">COUNTS DO NOT RECONCILE</span>'}</td></tr>`,
    `<tr><th>Completeness (${escapeHtml(p.completeness.profile)})</th><td>${p.completeness.pass ? '<span class="ok">PASS</span>' : '<span class="bad">FAIL</span>'}: ${p.completeness.complete_rows} of ${p.completeness.rows} rows complete (${escapeHtml(p.completeness.percent_complete)}%)${p.completeness.failed_because.length ? `; ${escapeHtml(p.completeness.failed_because.join('; '))}` : ''}</td></tr>`,
    `<tr><th>Previous bundle</th><td>${p.previous_bundle ? `<code>${escapeHtml(p.previous_bundle.manifest_sha256)}</code> (${escapeHtml(p.previous_bundle.file)}${p.previous_bundle.period ? `, ${escapeHtml(p.previous_bundle.period.start)} to ${escapeHtml(p.previous_bundle.period.end)}` : ''})` : 'none (first bundle of its chain)'}</td></tr>`,
    '</table>');

  out.push('<h2>Sources</h2>', '<table>', '<tr><th>Source</th><th>Kind / format</th><th>Status</th><th>Read</th><th>Events</th><th>Rejected</th><th>Skipped</th><th>First event</th><th>Last event</th><th>How it was read</th></tr>');
  for (const s of p.sources) {
    const skipped = Object.entries(s.skipped).map(([k, v]) => `${v} ${k}`).join(', ') || '0';
    out.push(`<tr><td>${escapeHtml(s.name)}</td><td>${escapeHtml(s.kind ?? '-')} / ${escapeHtml(s.format ?? '-')}</td>`
      + `<td class="status-${escapeHtml(s.status)}">${escapeHtml(s.status)}${s.status_reason ? `: ${escapeHtml(s.status_reason)}` : ''}</td>`
      + `<td class="num">${s.records_read}</td><td class="num">${s.events}</td><td class="num">${s.rejects}</td><td>${escapeHtml(skipped)}</td>`
      + `${cell(s.first_event, 'none')}${cell(s.last_event, 'none')}<td>${escapeHtml(s.how)}${s.demo_time_shift_days !== null ? `; timestamps shifted by ${s.demo_time_shift_days} days (demo)` : ''}</td></tr>`);
  }
  out.push('</table>');

  const sources = Object.keys(d.categoriesBySource).sort();
  out.push('<h2>Events per category</h2>', `<table><tr><th>Category</th>${sources.map((s) => `<th>${escapeHtml(s)}</th>`).join('')}<th>All sources</th></tr>`);
  for (const c of CATEGORIES) {
    const n = p.events.by_category[c] ?? 0;
    out.push(`<tr><td>${c}</td>${sources.map((s) => `<td class="num">${d.categoriesBySource[s][c] ?? 0}</td>`).join('')}<td class="num">${n}</td></tr>`);
  }
  out.push('</table>');

  out.push('<h2>Events per day</h2>', `<table><tr><th>Day (${escapeHtml(p.period.timezone)})</th><th>Events</th></tr>`);
  for (const [day, n] of Object.entries(d.byDay).sort()) out.push(`<tr><td>${escapeHtml(day)}</td><td class="num">${n}</td></tr>`);
  out.push('</table>');

  out.push('<h2>Administrator activity (sample)</h2>',
    `<p>${d.sample.length === 0 ? 'No privileged events in the period.' : `The first ${d.sample.length} of ${p.events.privileged} privileged events, in the order of events.jsonl (the line number points at the row there).`}</p>`);
  if (d.sample.length) {
    out.push('<table><tr><th>Line</th><th>Timestamp (UTC)</th><th>User</th><th>Action</th><th>Resource</th><th>Category</th><th>Outcome</th><th>Source</th><th>Why privileged</th></tr>');
    for (const r of d.sample) {
      out.push(`<tr><td class="num">${r.line}</td>${cell(r.timestamp)}${cell(r.user)}${cell(r.action)}${cell(r.resource)}<td>${escapeHtml(r.category)}</td><td>${escapeHtml(r.outcome)}</td>${cell(r.source, '-')}<td>${escapeHtml(r.reasons.join(', '))}</td></tr>`);
    }
    out.push('</table>');
  }

  out.push('<h2>Findings</h2>');
  if (d.findings.length === 0) out.push('<p>No findings.</p>');
  else {
    out.push('<table><tr><th>Severity</th><th>Rule</th><th>Message</th><th>Source</th><th>Where</th></tr>');
    for (const f of d.findings) {
      const where = f.location ? `${f.location.file}${f.location.line != null ? `:${f.location.line}` : ''}` : '';
      out.push(`<tr><td>${escapeHtml(f.severity)}</td><td>${escapeHtml(f.rule)}</td><td>${escapeHtml(f.message)}</td><td>${escapeHtml(f.source ?? '')}</td><td>${escapeHtml(where)}</td></tr>`);
    }
    out.push('</table>');
    const counts = Object.entries(p.completeness.finding_counts);
    if (counts.length) out.push(`<p>Findings per rule (all rows, the table above keeps the first examples of each): ${escapeHtml(counts.map(([k, v]) => `${k} ${v}`).join(', '))}.</p>`);
  }
  out.push('<h2>How to verify this bundle</h2>', '<p>See VERIFY.md in the same bundle: <code>sha256sum -c SHA256SUMS</code> checks every file, and the DSSE signature over manifest.intoto.json can be checked with openssl. Or run <code>audit-evidence verify BUNDLE.zip --pubkey KEY.pub.pem</code>.</p>');
  out.push('</body>', '</html>', '');
  return out.join('\n');
}
