// report/summary.html: the page an auditor opens first. One self-contained file (inline CSS and
// inline SVG drawn at build time, no scripts, no external references) so it opens from the unzipped
// folder with no network and is covered by the bundle's signature. Every value from the logs is
// HTML-escaped.
//
// The first screen is the verdict: the period, one status line per source, the completeness result,
// whether the counts reconcile, the signer and the chain. Red, amber and green are used for these
// verdict words only, and each colour comes with its word (COMPLETE, FAILED, PASS, ...), so the page
// reads the same in black and white. Then the sources, the pictures (events per day, categories per
// source), the findings grouped by rule and a sample of administrator activity grouped by category.
import type { EvidencePredicate, SourceEntry } from './manifest.js';
import type { Finding } from '../checks/index.js';
import { retentionSection } from './html-retention.js';
import { digestProblem, digestSection, digestSummaries } from './html-digests.js';
import { DEFAULT_RETENTION_MIN_DAYS } from '../retention/types.js';
import { findRule, RULES } from '../checks/rules/index.js';
import { localTime } from '../collect/window.js';
import { cssString, escapeHtml } from './escape.js';
import { dayChartSvg, silentHours, type DayChartRow } from './svg.js';

import { checklistSection } from './html-checklist.js';
import type { ChecklistLine } from '../checks/checklist.js';
export { escapeHtml };

export interface SampleRow {
  /** Line of events.jsonl (1-based). */
  line: number;
  timestamp: string | null;
  user: string | null;
  userType?: string | null;
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
  /** Every calendar day of the period ('YYYY-MM-DD' in the period's zone), zero days included. */
  days: string[];
  /** source → day → events. */
  daysBySource: Record<string, Record<string, number>>;
  /** source → events per hour since the period's start (null: period too long to look at hours). */
  hoursBySource: Record<string, number[]> | null;
  /** The first `sampleLimit` administrator events of each category. */
  sample: SampleRow[];
  /** Administrator events per category (all of them, not only the sample). */
  privilegedByCategory: Record<string, number>;
  /** At most this many rows per category. */
  sampleLimit: number;
  findings: Finding[];
  /** Days each source must keep its records (config retention.minimum_days). */
  retentionMinDays?: number;
  /** The auditor's checklist, eight lines (src/checks/checklist.ts). */
  checklist?: ChecklistLine[];
}

/** The six admin-activity categories, always listed, then 'other'. */
export const CATEGORIES = [
  'authentication',
  'permission_change',
  'policy_change',
  'access_request',
  'data_exposure',
  'change_execution',
  'other',
];
/** Order of the administrator sample: permission and policy changes first. */
export const SAMPLE_ORDER = [
  'permission_change',
  'policy_change',
  'authentication',
  'access_request',
  'data_exposure',
  'change_execution',
  'other',
];
const CATEGORY_WORDS: Record<string, string> = {
  authentication: 'Authentication',
  permission_change: 'Permission changes',
  policy_change: 'Policy changes',
  access_request: 'Access requests',
  data_exposure: 'Data exposure',
  change_execution: 'Change execution',
  other: 'Other',
};
const catWord = (c: string): string => CATEGORY_WORDS[c] ?? c;

/** Source statuses that are not a problem; any other status (failed, partial, unreadable, or one this version does not know) is. */
export const OK_STATUSES: ReadonlySet<string> = new Set(['complete', 'empty']);
const BREAK_GLASS_REASONS = ['root_identity', 'superuser', 'break_glass'];

type Tone = 'ok' | 'warn' | 'bad';
const badge = (tone: Tone, word: string): string => `<b class="badge ${tone}">${escapeHtml(word)}</b>`;

function statusBadge(status: string): string {
  if (status === 'complete') return badge('ok', 'COMPLETE');
  if (status === 'empty') return badge('warn', 'EMPTY');
  return badge('bad', String(status || 'unknown').toUpperCase());
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** An instant as a date (and time when it is not midnight) in the period's zone. */
function zoned(iso: string, zone: string): { date: string; time: string; midnight: boolean; weekday: string } {
  const t = new Date(iso);
  const l = localTime(t, zone);
  const date = `${l.y}-${pad(l.m)}-${pad(l.d)}`;
  const weekday = new Date(`${date}T00:00:00Z`).toLocaleDateString('en-GB', { weekday: 'long', timeZone: 'UTC' });
  return {
    date,
    time: `${pad(l.hh)}:${pad(l.mm)}${l.ss ? `:${pad(l.ss)}` : ''}`,
    midnight: l.hh === 0 && l.mm === 0 && l.ss === 0,
    weekday,
  };
}

/** The period in words: dates when both ends are midnights in the zone, else dates and times. */
export function periodWords(p: EvidencePredicate['period']): { short: string; long: string } {
  const s = zoned(p.start, p.timezone);
  const e = zoned(p.end, p.timezone);
  const ms = Date.parse(p.end) - Date.parse(p.start);
  const days = ms / 86400000;
  const span = Number.isInteger(days) ? `${days} day${days === 1 ? '' : 's'}` : `${(ms / 3600000).toFixed(1)} hours`;
  if (s.midnight && e.midnight) {
    const last = zoned(new Date(Date.parse(p.end) - 1).toISOString(), p.timezone);
    const short = s.date === last.date ? `${s.date} (${p.timezone})` : `${s.date} to ${last.date} (${p.timezone})`;
    return {
      short,
      long: `${s.weekday} ${s.date} to ${last.weekday} ${last.date}: ${span}, zone ${p.timezone} (from ${s.date} 00:00 inclusive to ${e.date} 00:00 exclusive)`,
    };
  }
  return {
    short: `${s.date} ${s.time} to ${e.date} ${e.time} (${p.timezone})`,
    long: `${s.weekday} ${s.date} ${s.time} (inclusive) to ${e.weekday} ${e.date} ${e.time} (exclusive): ${span}, zone ${p.timezone}`,
  };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const num = (n: number): string => n.toLocaleString('en-US');

/** The problems the red banner lists: sources not complete/empty, a failed completeness check, counts that do not reconcile. */
export function verdictProblems(p: EvidencePredicate): string[] {
  const out: string[] = [];
  for (const s of p.sources) {
    if (!OK_STATUSES.has(s.status)) {
      out.push(
        `${statusBadge(s.status)} source <b>${escapeHtml(s.name)}</b>${s.status_reason ? `: <span class="wrap">${escapeHtml(s.status_reason)}</span>` : ''}`,
      );
    }
  }
  if (!p.completeness.pass) {
    const rules = failingRules(p);
    out.push(
      `${badge('bad', 'FAIL')} completeness (${escapeHtml(p.completeness.profile)})` +
        `${p.completeness.failed_because.length ? `: ${escapeHtml(p.completeness.failed_because.join('; '))}` : ''}` +
        `${rules.length ? `; rules with errors: ${rules.map(([id, n]) => `<code>${escapeHtml(id)}</code> ${num(n)}`).join(', ')}` : ''}`,
    );
  }
  for (const { source, d } of digestSummaries(p.sources)) {
    const x = digestProblem(source, d);
    if (x) out.push(x);
  }
  if (!p.totals.counts_reconcile)
    out.push(
      `${badge('bad', 'MISMATCH')} the counts do not reconcile: records read ≠ events + rejected + skipped for ${
        p.sources
          .filter((s) => !s.counts_reconcile)
          .map((s) => `<b>${escapeHtml(s.name)}</b>`)
          .join(', ') || 'the totals'
      }`,
    );
  return out;
}

/** Error-severity rules with findings (the ids a failed completeness check is about), largest first. */
function failingRules(p: EvidencePredicate): Array<[string, number]> {
  return Object.entries(p.completeness.finding_counts ?? {})
    .filter(([id, n]) => n > 0 && (findRule(id)?.severity ?? 'error') === 'error')
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

const CSS = `
:root{--ink:#1a1a1a;--muted:#555;--line:#d0d0d0;--bar:#2f5f8f;--ok:#1d6b35;--ok-bg:#e3f2e7;--warn:#7a4d00;--warn-bg:#fff1d0;--bad:#a1160f;--bad-bg:#fde4e1}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:0 auto;max-width:1180px;padding:12px 20px 40px;color:var(--ink);background:#fff;overflow-wrap:break-word;hyphens:none}
h1{font-size:1.5em;margin:.3em 0 .1em;line-height:1.25}
h2{font-size:1.2em;margin:.9em 0 .3em;padding-bottom:.15em;border-bottom:2px solid var(--ink)}
h3{font-size:1.02em;margin:1em 0 .3em}
p{margin:.35em 0}
.meta{color:var(--muted);margin:0 0 .6em}
table{border-collapse:collapse;width:100%;margin:.3em 0}
th,td{border:1px solid var(--line);padding:.15em .45em;text-align:left;vertical-align:top}
thead th,th[scope=col]{background:#f1f1f1;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.ts,.tsw{white-space:nowrap;font-variant-numeric:tabular-nums}
.tsw>span{display:inline-block}
code,.wrap{overflow-wrap:anywhere}
code{font-size:.92em}
.missing{color:var(--muted);font-style:italic}
.badge{display:inline-block;padding:0 .4em;border:1.5px solid;border-radius:3px;font-size:.86em;letter-spacing:.02em;white-space:nowrap}
.badge.ok{color:var(--ok);background:var(--ok-bg)}
.badge.warn{color:var(--warn);background:var(--warn-bg)}
.badge.bad{color:var(--bad);background:var(--bad-bg)}
.badge.mark{color:#fff;background:#222;border-color:#222}
.banner{padding:.55em .8em;margin:.6em 0;border:3px solid;border-radius:4px}
.banner ul{margin:.3em 0 0;padding-left:1.2em}
.banner.bad{background:var(--bad-bg);border-color:var(--bad)}
.banner.ok{background:var(--ok-bg);border-color:var(--ok)}
.banner .head{font-size:1.12em;font-weight:700}
table.digests th{text-align:left;font-weight:normal}
tr.digest-bad th,tr.digest-bad td{font-weight:700}
.demo{background:#2b2f36;color:#fff;padding:.45em .8em;border-radius:4px;margin:.3em 0}
.demo b{letter-spacing:.04em}
table.verdict th{width:11.5em;background:#f7f7f7;font-weight:600}
table.verdict td ul{list-style:none;margin:0;padding:0}
table.verdict td li{margin:.05em 0;break-inside:avoid}
table.verdict td ul.cols2{columns:3 19em;column-gap:1.5em}
.small{font-size:.9em;color:var(--muted)}
table.sources td ul{margin:0;padding-left:1.1em}
table.checklist td{overflow-wrap:anywhere;font-size:.93em}
table.checklist td ul{margin:0;padding-left:1.1em}
table.checklist td:nth-child(2){min-width:12em}
table.sources .src{font-weight:600}
table.sources td:first-child{min-width:14em}
details summary{cursor:pointer;color:#1f4e79}
details[open] summary{margin-bottom:.2em}
figure{margin:.4em 0}
figcaption{color:var(--muted);font-size:.9em;margin-top:.2em}
svg.chart{max-width:100%;height:auto;display:block}
svg.chart text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;fill:#1a1a1a}
svg.chart text.label{font-weight:600}
svg.chart text.flag{font-size:10.5px;font-weight:700;letter-spacing:.02em}
svg.chart text.date,svg.chart text.note,svg.chart text.zero-label{fill:#555}
svg.chart text.note{font-size:10.5px}
svg.chart .bar{fill:var(--bar)}
svg.chart .total .bar{fill:#1a1a1a}
svg.chart .zero{fill:#fff;stroke:#1a1a1a;stroke-width:1;stroke-dasharray:2 1.5}
svg.chart .base{stroke:#9a9a9a;stroke-width:1}
svg.chart .none-band rect{fill:#f2f2f2}svg.chart .none-band path{stroke:#a8a8a8;stroke-width:1.5;fill:none}
table.heat td.num{min-width:5.5em}
table.heat td.h1{background:#e8f0f8}table.heat td.h2{background:#c6d9ec}table.heat td.h3{background:#8fb3d6}table.heat td.h4{background:#2f5f8f;color:#fff}
table.heat td.none{color:var(--muted);font-style:italic}
ol.causes{margin:.3em 0;padding-left:1.6em;font-size:.9em;columns:2 34em;column-gap:2em}
ol.causes li{break-inside:avoid;margin-bottom:.15em}
table.findings td:first-child{white-space:nowrap}
tr.bg td{background:#f4f4f4}
table.admin tr.cat th{background:#e9eef4;font-weight:700;padding-top:.35em}
table.admin td{font-size:.95em}
tr.bg td:first-child{box-shadow:inset 4px 0 0 #222}
.cols{display:flex;flex-wrap:wrap;gap:.2em 2em}
@media (max-width:900px){body{padding:8px 10px 30px}table.verdict th{width:8em}.tsw{white-space:normal}}
@media print{
  body{max-width:none;padding:0;font-size:10pt}
  .demo{background:#fff;color:#000;border:2px solid #000}
  h2{break-before:page;break-after:avoid}
  section.first h2,h2.keep{break-before:auto}
  h3{break-after:avoid}
  tr,figure,li,.banner{break-inside:avoid}
  thead{display:table-header-group}
  details>summary{color:#000}
  .badge,.banner,table.heat td,tr.bg td{print-color-adjust:exact;-webkit-print-color-adjust:exact}
  a{color:inherit;text-decoration:none}
}`;

function printCss(title: string): string {
  return `@page{size:A4;margin:16mm 12mm 14mm;@top-left{content:${cssString(title)};font:8pt system-ui,sans-serif;color:#444}@bottom-right{content:"page " counter(page) " of " counter(pages);font:8pt system-ui,sans-serif;color:#444}}`;
}

const td = (v: unknown, cls = ''): string =>
  v === null || v === undefined || v === ''
    ? `<td class="missing${cls ? ` ${cls}` : ''}">missing</td>`
    : `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(v)}</td>`;

export function summaryHtml(d: SummaryData): string {
  const p = d.predicate;
  const when = periodWords(p.period);
  const title = `${p.demo ? 'DEMO: ' : ''}Audit evidence, ${when.short}`;
  const out: string[] = [];
  out.push(
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}\n${printCss(title)}</style>`,
    '</head>',
    '<body>',
  );
  out.push('<header>');
  if (p.demo) {
    out.push(
      '<p class="demo"><b>DEMO BUNDLE</b>: shipped sample logs spread over this week by shifting their timestamps (raw/ keeps the original dates). NOT evidence of any real system.</p>',
    );
  }
  out.push(
    `<h1>Audit evidence: ${escapeHtml(when.short)}</h1>`,
    `<p class="meta">Generated ${escapeHtml(p.generated_at.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z'))} by ${escapeHtml(p.collector.name)} ${escapeHtml(p.collector.version)} · profile ${escapeHtml(p.completeness.profile)} · configuration ${escapeHtml(p.config.file ?? 'none')}</p>`,
    '</header>',
  );
  out.push('<main>');
  verdict(out, d, when.long);
  sourcesTable(out, d);
  dayChart(out, d);
  heatTable(out, d);
  out.push(...checklistSection(d.checklist));
  findingsByRule(out, d);
  out.push(...probesSection(p.probes));
  out.push(digestSection(p.sources));
  adminSample(out, d);
  out.push(retentionSection(d.predicate.sources, d.retentionMinDays ?? DEFAULT_RETENTION_MIN_DAYS));
  out.push(
    '<section>',
    '<h2>How to verify this bundle</h2>',
    `<p><code>${escapeHtml(p.events.file)}</code> holds ${num(p.events.count)} events, one per line; the Merkle root over its lines (RFC 6962) is <code>${escapeHtml(p.events.merkle_root)}</code>, so a sampled row can be proven to belong to this bundle.</p>`,
    '<p>See <code>VERIFY.md</code> in the same bundle: <code>sha256sum -c SHA256SUMS</code> checks every file, and the DSSE signature over <code>manifest.intoto.json</code> can be checked with openssl. Or run <code>audit-evidence verify BUNDLE.zip --pubkey KEY.pub.pem</code> with the public key you received separately from the signer.</p>',
    '</section>',
  );
  out.push('</main>', '</body>', '</html>', '');
  return out.join('\n');
}

function verdict(out: string[], d: SummaryData, periodLong: string): void {
  const p = d.predicate;
  const problems = verdictProblems(p);
  const notOk = p.sources.filter((s) => !OK_STATUSES.has(s.status));
  out.push('<section class="first" aria-labelledby="verdict-h">', '<h2 id="verdict-h" class="keep">Verdict</h2>');
  if (problems.length) {
    out.push(
      '<div class="banner bad" role="alert">',
      `<p class="head">${badge('bad', 'INCOMPLETE')} This bundle is not a complete record of the period: ${plural(problems.length, 'problem')}.</p>`,
      '<ul>',
      ...problems.map((x) => `<li>${x}</li>`),
      '</ul>',
      '</div>',
    );
  } else {
    out.push(
      `<div class="banner ok"><p class="head">${badge('ok', 'COMPLETE')} Every source was read to the end, the completeness check passed and the counts reconcile.</p></div>`,
    );
  }
  out.push('<table class="verdict">', '<tbody>');
  out.push(`<tr><th scope="row">Period</th><td>${escapeHtml(periodLong)}</td></tr>`);
  const srcLines = p.sources.map((s) => {
    const counts = `${plural(s.events, 'event')}${s.rejects ? `, ${num(s.rejects)} rejected` : ''}`;
    const why = s.status_reason ? `: <span class="wrap">${escapeHtml(s.status_reason)}</span>` : '';
    return `<li>${statusBadge(s.status)} <b>${escapeHtml(s.name)}</b> (${counts})${why}</li>`;
  });
  out.push(
    `<tr><th scope="row">Sources (${p.sources.length})</th><td>${srcLines.length ? `<ul${srcLines.length > 3 && !p.sources.some((s) => s.status_reason) ? ' class="cols2"' : ''}>${srcLines.join('')}</ul>` : '<span class="missing">no sources</span>'}</td></tr>`,
  );
  const c = p.completeness;
  const rules = failingRules(p);
  out.push(
    `<tr><th scope="row">Completeness</th><td>${c.pass ? badge('ok', 'PASS') : badge('bad', 'FAIL')} profile ${escapeHtml(c.profile)}: ${num(c.complete_rows)} of ${num(c.rows)} rows complete (${escapeHtml(c.percent_complete)}%)` +
      `${c.failed_because.length ? `; ${escapeHtml(c.failed_because.join('; '))}` : ''}` +
      `${!c.pass && rules.length ? `; rules with errors: ${rules.map(([id, n]) => `<code>${escapeHtml(id)}</code> ${num(n)}`).join(', ')}` : ''}</td></tr>`,
  );
  const t = p.totals;
  const equation = `${num(t.records_read)} records read = ${num(t.events)} events (${num(p.events.privileged)} by administrators) + ${num(t.rejects)} rejected + ${num(t.skipped)} skipped (${num(t.outside_period)} of them outside the period)`;
  let counts: string;
  if (!t.counts_reconcile)
    counts = `${badge('bad', 'MISMATCH')} the counts do not reconcile: ${equation} does not hold for every source`;
  else if (notOk.length)
    counts = `${badge('warn', 'ONLY WHAT WAS READ')} ${equation}; but ${notOk.map((s) => `<b>${escapeHtml(s.name)}</b>`).join(', ')} ${notOk.length === 1 ? 'was' : 'were'} not read completely, so records it did not read are not counted`;
  else counts = `${badge('ok', 'RECONCILE')} ${equation}`;
  out.push(`<tr><th scope="row">Counts</th><td>${counts}</td></tr>`);
  const signer = p.signer.ephemeral
    ? `${badge('warn', 'UNVERIFIABLE SIGNER')} signed with an ephemeral key, thrown away after the run: the signature proves the files were not changed after signing, but NOT who signed them (key id <code>${escapeHtml(p.signer.keyid)}</code>).`
    : `key id <code>${escapeHtml(p.signer.keyid)}</code>: compare it with the public key you received from the signer (not the copy inside the bundle).`;
  out.push(`<tr><th scope="row">Signer</th><td>${signer}</td></tr>`);
  const prev = p.previous_bundle;
  out.push(
    `<tr><th scope="row">Chain</th><td>${
      prev
        ? `follows bundle ${escapeHtml(prev.file)}${prev.period ? ` (${escapeHtml(periodWords({ ...p.period, start: prev.period.start, end: prev.period.end }).short)})` : ''}, manifest sha256 <code>${escapeHtml(prev.manifest_sha256)}</code>; <code>audit-evidence verify --previous</code> checks the link`
        : 'first bundle of its chain (no previous bundle named)'
    }</td></tr>`,
  );
  out.push('</tbody>', '</table>', '</section>');
}

function skippedList(s: SourceEntry): string {
  const entries = Object.entries(s.skipped ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (!entries.length) return '0';
  const item = ([k, v]: [string, number]) => `<li><span class="num">${num(v)}</span> ${escapeHtml(k)}</li>`;
  const head = entries.slice(0, 2).map(item).join('');
  const rest = entries.slice(2);
  return `<ul>${head}</ul>${rest.length ? `<details><summary>${plural(rest.length, 'more reason')} (${num(rest.reduce((a, [, v]) => a + v, 0))} records)</summary><ul>${rest.map(item).join('')}</ul></details>` : ''}`;
}

function settingsList(settings: Record<string, unknown>): string {
  const e = Object.entries(settings ?? {});
  if (!e.length) return '';
  return `<p>Settings read:</p><ul>${e.map(([k, v]) => `<li><code>${escapeHtml(k)}</code>: <span class="wrap">${escapeHtml(typeof v === 'string' ? v : JSON.stringify(v))}</span></li>`).join('')}</ul>`;
}

function sourcesTable(out: string[], d: SummaryData): void {
  const p = d.predicate;
  out.push('<section aria-labelledby="sources-h">', '<h2 id="sources-h" class="keep">Sources</h2>');
  if (!p.sources.length) {
    out.push('<p>No sources.</p>', '</section>');
    return;
  }
  out.push(
    '<table class="sources">',
    '<thead><tr><th scope="col">Source and status</th><th scope="col" class="num">Read</th><th scope="col" class="num">Events</th><th scope="col" class="num">Rejects</th><th scope="col">Skipped on purpose</th><th scope="col">First / last event (UTC)</th><th scope="col">How read</th></tr></thead>',
    '<tbody>',
  );
  for (const s of p.sources) {
    const what = [s.kind, s.format].filter(Boolean).join(' / ') || s.type;
    const span = s.first_event
      ? `${tsBreakable(s.first_event)}<br>${tsBreakable(s.last_event ?? '')}`
      : '<span class="missing">none</span>';
    const details = [
      `<p class="wrap">${escapeHtml(s.how)}</p>`,
      s.status_reason ? `<p>Status reason: ${escapeHtml(s.status_reason)}</p>` : '',
      s.last_position ? `<p>Stopped at: <span class="wrap">${escapeHtml(s.last_position)}</span></p>` : '',
      s.untimed_events ? `<p>${plural(s.untimed_events, 'event')} without a timestamp.</p>` : '',
      `<p>Raw records: ${num(s.raw_records)} in <code>${escapeHtml(s.raw_file)}</code></p>`,
      s.roster?.length
        ? `<p>Administrators it listed: ${escapeHtml(s.roster.map((r) => r.principal).join(', '))}</p>`
        : '',
      s.warnings?.length
        ? `<p>Warnings:</p><ul>${s.warnings.map((w) => `<li class="wrap">${escapeHtml(w)}</li>`).join('')}</ul>`
        : '',
      settingsList(s.settings),
    ].join('');
    const shift =
      s.demo_time_shift_days !== null && s.demo_time_shift_days !== undefined
        ? `<p>DEMO: event timestamps shifted by ${escapeHtml(demoShiftWords(s))}; the raw records keep their original dates.</p>`
        : '';
    out.push(
      `<tr><td><span class="src wrap">${escapeHtml(s.name)}</span><br>${statusBadge(s.status)} <span class="small">${escapeHtml(what)}</span>` +
        `${s.status_reason ? `<br><span class="small wrap">${escapeHtml(s.status_reason)}</span>` : ''}</td>` +
        `<td class="num">${num(s.records_read)}</td><td class="num">${num(s.events)}</td><td class="num">${num(s.rejects)}</td>` +
        `<td>${skippedList(s)}</td><td>${span}</td>` +
        `<td><details><summary>details</summary>${shift}${details}</details></td></tr>`,
    );
  }
  out.push('</tbody>', '</table>', '</section>');
}

/** An ISO timestamp that may wrap only between its date and its time. */
function tsBreakable(iso: string): string {
  const i = iso.indexOf('T');
  return i < 0
    ? `<span class="ts">${escapeHtml(iso)}</span>`
    : `<span class="tsw"><span>${escapeHtml(iso.slice(0, i))}</span><span>${escapeHtml(iso.slice(i))}</span></span>`;
}

function demoShiftWords(s: SourceEntry): string {
  const list = Array.isArray(s.settings?.demo_time_shifts_days)
    ? (s.settings.demo_time_shifts_days as number[])
    : [s.demo_time_shift_days as number];
  return list.length === 1 ? `${list[0]} days` : `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]} days`;
}

/** Per source, the runs of hours without events in a source that usually has events every hour: a note per day for the chart, a line for the list. */
function silentHoursNotes(d: SummaryData): { notes: Record<string, Record<string, string>>; silentText: string[] } {
  const p = d.predicate;
  const names = p.sources.map((s) => s.name);
  const notes: Record<string, Record<string, string>> = {};
  const silentText: string[] = [];
  const start = Date.parse(p.period.start);
  for (const name of names) {
    const hours = d.hoursBySource?.[name];
    const quiet = hours ? silentHours(hours) : null;
    if (!quiet || !quiet.runs.length) continue;
    const perDay: Record<string, number> = {};
    const words: string[] = [];
    for (const [a, b] of quiet.runs) {
      for (let h = a; h <= b; h++) {
        const day = zoned(new Date(start + h * 3600000).toISOString(), p.period.timezone).date;
        perDay[day] = (perDay[day] ?? 0) + 1;
      }
      const from = zoned(new Date(start + a * 3600000).toISOString(), p.period.timezone);
      const to = zoned(new Date(start + (b + 1) * 3600000).toISOString(), p.period.timezone);
      words.push(`${from.date} ${from.time}–${to.date === from.date ? '' : `${to.date} `}${to.time} (${b - a + 1} h)`);
    }
    notes[name] = Object.fromEntries(Object.entries(perDay).map(([day, n]) => [day, `${n} h silent`]));
    const shown = words.slice(0, 8);
    silentText.push(
      `<li><b>${escapeHtml(name)}</b> has events in ${quiet.busyHours} of ${hours!.length} hours, but none in: ${escapeHtml(shown.join(', '))}${words.length > shown.length ? ` and ${words.length - shown.length} more` : ''}</li>`,
    );
  }
  return { notes, silentText };
}

function dayChart(out: string[], d: SummaryData): void {
  const p = d.predicate;
  const names = p.sources.map((s) => s.name);
  const { notes, silentText } = silentHoursNotes(d);
  const total: Record<string, number> = {};
  for (const name of names)
    for (const [day, n] of Object.entries(d.daysBySource[name] ?? {})) total[day] = (total[day] ?? 0) + n;
  const rows: DayChartRow[] = [
    { label: 'All sources', counts: total, total: true },
    ...p.sources.map((s) => ({
      label: s.name,
      counts: d.daysBySource[s.name] ?? {},
      notes: notes[s.name],
      ...(OK_STATUSES.has(s.status) ? {} : { flag: `${String(s.status || 'unknown').toUpperCase()}: not fully read` }),
    })),
  ];
  const zeroDays = d.days.filter((day) => (total[day] ?? 0) === 0);
  const untimed = p.sources.reduce((a, s) => a + (s.untimed_events ?? 0), 0);
  out.push(
    '<section aria-labelledby="days-h">',
    `<h2 id="days-h" class="keep">Events per day (${escapeHtml(p.period.timezone)})</h2>`,
  );
  out.push(
    '<figure>',
    dayChartSvg({
      id: 'perday',
      days: d.days,
      rows,
      title: `Events per day, ${d.days[0] ?? ''} to ${d.days[d.days.length - 1] ?? ''}, per source`,
      description: `${d.days.length} days; ${zeroDays.length ? `no events from any source on ${zeroDays.join(', ')}` : 'every day has events'}.`,
    }),
  );
  const cap = [
    `Every day of the period has a column; the number above each bar is the count (each row has its own scale).`,
  ];
  cap.push(
    zeroDays.length
      ? `<b>No events from any source on ${plural(zeroDays.length, 'day')}</b> (hatched, "none"): ${zeroDays.map((z) => `<span class="ts">${escapeHtml(z)}</span>`).join(', ')}: a quiet day or a logging gap, which the systems' own records can tell.`
      : 'Every day of the period has events.',
  );
  if (untimed) cap.push(`${plural(untimed, 'event')} without a timestamp ${untimed === 1 ? 'is' : 'are'} not drawn.`);
  if (p.demo) cap.push('DEMO: the silent day is deliberate.');
  out.push(`<figcaption>${cap.join(' ')}</figcaption>`, '</figure>');
  if (silentText.length)
    out.push(
      '<p>Hours with no events in a source that usually has events every hour:</p>',
      `<ul>${silentText.join('')}</ul>`,
    );
  // The same numbers as a table, for screen readers and for copying.
  out.push(
    `<details><summary>The figures as a table</summary><table><thead><tr><th scope="col">Day</th>${names.map((n) => `<th scope="col" class="num">${escapeHtml(n)}</th>`).join('')}<th scope="col" class="num">All sources</th></tr></thead><tbody>`,
  );
  for (const day of d.days) {
    out.push(
      `<tr><th scope="row" class="ts">${escapeHtml(day)}</th>${names.map((n) => `<td class="num">${d.daysBySource[n]?.[day] ?? 0}</td>`).join('')}<td class="num">${total[day] ?? 0}${(total[day] ?? 0) === 0 ? ' (none)' : ''}</td></tr>`,
    );
  }
  out.push('</tbody></table></details>', '</section>');
}

function heatTable(out: string[], d: SummaryData): void {
  const p = d.predicate;
  const names = p.sources.map((s) => s.name);
  // Likely causes of empty cells, from the check's category.empty findings (per source and category,
  // or for a whole source that produced no events).
  const causes: string[] = [];
  const causeIndex = new Map<Finding, number>();
  const causeFor = (source: string, cat: string): number | null => {
    const f =
      d.findings.find((x) => x.rule === 'category.empty' && x.source === source && x.field === cat) ??
      d.findings.find((x) => x.rule === 'category.empty' && x.source === source && !x.field);
    if (!f) return null;
    if (causeIndex.has(f)) return causeIndex.get(f)!;
    // The finding reads 'source NAME (FILE) has no CATEGORY events: CAUSE'; the note keeps the cause.
    const m = / has no [a-z ]+ events: (.*)$/s.exec(f.message);
    const why = m ? m[1] : f.message.replace(/^source \S+ \([^)]*\) /, '');
    const text = `<b>${escapeHtml(source)}</b>${f.field ? `, ${escapeHtml(catWord(cat).toLowerCase())}` : ''}: ${escapeHtml(why)}${f.severity === 'info' ? ' <i>(expected for this kind of source)</i>' : ''}`;
    causes.push(text);
    causeIndex.set(f, causes.length);
    return causes.length;
  };
  let max = 0;
  for (const n of names) for (const c of CATEGORIES) max = Math.max(max, d.categoriesBySource[n]?.[c] ?? 0);
  const shade = (v: number): string => {
    if (v <= 0 || max <= 0) return '';
    const r = Math.log(v + 1) / Math.log(max + 1);
    return r > 0.85 ? ' h4' : r > 0.6 ? ' h3' : r > 0.3 ? ' h2' : ' h1';
  };
  out.push('<section aria-labelledby="cats-h">', '<h2 id="cats-h" class="keep">Events per category and source</h2>');
  out.push(
    `<table class="heat"><thead><tr><th scope="col">Category</th>${names.map((n) => `<th scope="col" class="num">${escapeHtml(n)}</th>`).join('')}<th scope="col" class="num">All sources</th></tr></thead><tbody>`,
  );
  for (const c of CATEGORIES) {
    const all = p.events.by_category[c] ?? 0;
    const cells = names.map((n) => {
      const v = d.categoriesBySource[n]?.[c] ?? 0;
      if (v > 0) return `<td class="num${shade(v)}">${num(v)}</td>`;
      const k = c === 'other' ? null : causeFor(n, c);
      return `<td class="num none">none${k ? ` <sup>${k}</sup>` : ''}</td>`;
    });
    out.push(
      `<tr><th scope="row">${escapeHtml(catWord(c))}</th>${cells.join('')}<td class="num${all ? '' : ' none'}">${all ? num(all) : 'none'}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  out.push(
    '<p class="small">Darker cells have more events (the number is in each cell). "none" is a category with no event from that source; the numbered note gives the likely cause from the check (<code>category.empty</code>).</p>',
  );
  if (causes.length) out.push(`<ol class="causes">${causes.map((x) => `<li>${x}</li>`).join('')}</ol>`);
  out.push('</section>');
}

function whereOf(f: Finding): string {
  if (!f.location) return '';
  return `${f.location.file ?? ''}${f.location.line != null ? `:${f.location.line}` : ''}`;
}

/** A finding's message, with its source (and location, unless the message starts with it). */
function findingText(f: Finding): string {
  const where = whereOf(f);
  const extra = [f.source, where && !f.message.startsWith(where) ? where : ''].filter(Boolean).join(', ');
  return `<span class="wrap">${escapeHtml(f.message)}</span>${extra ? ` <span class="small">(${escapeHtml(extra)})</span>` : ''}`;
}

function findingsByRule(out: string[], d: SummaryData): void {
  const p = d.predicate;
  const counts = p.completeness.finding_counts ?? {};
  const byRule = new Map<string, Finding[]>();
  for (const f of d.findings) {
    const l = byRule.get(f.rule) ?? [];
    l.push(f);
    byRule.set(f.rule, l);
  }
  const ids = [...new Set([...RULES.map((r) => r.id), ...Object.keys(counts), ...byRule.keys()])].filter(
    (id) => (counts[id] ?? 0) > 0 || byRule.has(id),
  );
  out.push('<section aria-labelledby="findings-h">', '<h2 id="findings-h">Findings by rule</h2>');
  if (!ids.length) {
    out.push('<p>No findings.</p>', '</section>');
    return;
  }
  const sevOrder: Record<string, number> = { error: 0, warning: 1, info: 2 };
  ids.sort(
    (a, b) =>
      sevOrder[findRule(a)?.severity ?? 'error'] - sevOrder[findRule(b)?.severity ?? 'error'] ||
      (counts[b] ?? 0) - (counts[a] ?? 0) ||
      a.localeCompare(b),
  );
  out.push(
    '<table class="findings"><thead><tr><th scope="col">Rule</th><th scope="col">Severity</th><th scope="col" class="num">Findings</th><th scope="col">Example</th></tr></thead><tbody>',
  );
  for (const id of ids) {
    const rule = findRule(id);
    const list = byRule.get(id) ?? [];
    const n = Math.max(counts[id] ?? 0, list.length);
    const ex = list[0];
    const example = ex ? findingText(ex) : '<span class="missing">no example kept</span>';
    const more =
      list.length > 1
        ? `<details><summary>${list.length - 1} more example${list.length === 2 ? '' : 's'}${n > list.length ? ` (of ${num(n)}; completeness.json keeps the first ${list.length})` : ''}</summary><ul>${list
            .slice(1)
            .map((f) => `<li>${findingText(f)}</li>`)
            .join('')}</ul></details>`
        : '';
    out.push(
      `<tr><td><code>${escapeHtml(id)}</code>${rule ? `<br><span class="small">${escapeHtml(rule.title)}</span>` : ''}</td><td>${escapeHtml(ex?.severity ?? rule?.severity ?? '')}</td><td class="num">${num(n)}</td><td>${example}${more}</td></tr>`,
    );
  }
  out.push(
    '</tbody></table>',
    '<p class="small">Every finding is in <code>report/completeness.json</code>; the counts are over all rows.</p>',
    '</section>',
  );
}

const isBreakGlass = (r: SampleRow): boolean =>
  r.userType === 'root' || r.reasons.some((x) => BREAK_GLASS_REASONS.includes(x));

function adminSample(out: string[], d: SummaryData): void {
  const p = d.predicate;
  out.push('<section aria-labelledby="admin-h">', '<h2 id="admin-h">Administrator activity (sample)</h2>');
  if (p.events.privileged === 0) {
    out.push('<p>No administrator (privileged) events in the period.</p>', '</section>');
    return;
  }
  const cats = SAMPLE_ORDER.filter((c) => (d.privilegedByCategory[c] ?? 0) > 0);
  for (const c of Object.keys(d.privilegedByCategory)) if (!cats.includes(c)) cats.push(c);
  out.push(
    `<p>${num(p.events.privileged)} administrator events, grouped by category (permission and policy changes first); at most ${d.sampleLimit} per category, the first ones in the order of <code>events.jsonl</code>, whose line number is in the first column. Rows marked <b class="badge mark">BREAK-GLASS</b> are by an account root or a database superuser used directly.</p>`,
  );
  if (p.demo)
    out.push(
      '<p class="small">DEMO: the timestamps in these rows are shifted into this week; the raw records in raw/ keep their original dates.</p>',
    );
  // One table, a group of rows per category: the columns line up across categories and, in print,
  // the header row repeats on every page.
  out.push(
    '<table class="admin">',
    '<thead><tr><th scope="col" class="num">Line</th><th scope="col">Timestamp (UTC)</th><th scope="col">User</th><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Outcome</th><th scope="col">Source</th><th scope="col">Why privileged</th></tr></thead>',
  );
  for (const c of cats) {
    const rows = d.sample.filter((r) => r.category === c);
    const total = d.privilegedByCategory[c] ?? 0;
    out.push(
      '<tbody>',
      `<tr class="cat"><th scope="rowgroup" colspan="8">${escapeHtml(catWord(c))} <span class="small">${num(total)} event${total === 1 ? '' : 's'}${total > rows.length ? `, the first ${rows.length} shown` : ''}</span></th></tr>`,
    );
    for (const r of rows) {
      const bg = isBreakGlass(r);
      out.push(
        `<tr${bg ? ' class="bg"' : ''}><td class="num">${r.line}</td>${r.timestamp ? `<td>${tsBreakable(r.timestamp)}</td>` : '<td class="missing">missing</td>'}${td(r.user, 'wrap')}${td(r.action, 'wrap')}${td(r.resource, 'wrap')}<td>${escapeHtml(r.outcome)}</td>${r.source ? `<td class="wrap">${escapeHtml(r.source)}</td>` : '<td class="missing">-</td>'}` +
          `<td>${bg ? '<b class="badge mark">BREAK-GLASS</b> ' : ''}${escapeHtml(r.reasons.join(', '))}</td></tr>`,
      );
    }
    out.push('</tbody>');
  }
  out.push('</table>');
  out.push('</section>');
}

/**
 * The logging probe (collect --probe), one self-contained section: per source and category, the
 * action performed on purpose, when, and the event found (its id and four fields) with the delay,
 * or "not found after N s" with the likely setting. Nothing when the bundle was made without it.
 */
export function probesSection(probes: EvidencePredicate['probes']): string[] {
  if (!probes || probes.length === 0) return [];
  const out: string[] = [
    '<section aria-labelledby="probes">',
    '<h2 id="probes">Logging probe: administrator actions performed on purpose and looked for in the log</h2>',
  ];
  for (const r of probes) {
    const found = r.results.filter((x) => x.status === 'found').length;
    const missing = r.results.filter((x) => x.status === 'not_found' || x.status === 'failed').length;
    out.push(
      `<p>${escapeHtml(r.source)} (${escapeHtml(r.type)}): as <code>${escapeHtml(r.role)}</code>, nonce <code>${escapeHtml(r.nonce)}</code>, ${escapeHtml(r.started_at)} to ${escapeHtml(r.finished_at)}, ${r.reads} read(s) of the log: ` +
        `${badge(missing ? 'bad' : 'ok', `${found} proven, ${missing} not proven`)}</p>`,
    );
    out.push(
      '<table class="probes"><thead><tr><th scope="col">Category</th><th scope="col">Probe</th><th scope="col">Result</th><th scope="col">Action performed</th><th scope="col">At (UTC)</th><th scope="col">Event found: id, user, action, resource, time</th><th scope="col" class="num">Delay</th></tr></thead><tbody>',
    );
    for (const x of r.results) {
      const result =
        x.status === 'found'
          ? badge('ok', 'PROVEN')
          : x.status === 'not_found'
            ? `${badge('bad', 'NOT FOUND')} ${escapeHtml(x.reason)}; likely: ${escapeHtml(x.likely_setting)}`
            : x.status === 'failed'
              ? `${badge('bad', 'NOT PERFORMED')} ${escapeHtml(x.reason)}`
              : `not probed: ${escapeHtml(x.reason)}`;
      const ev = x.event
        ? `<code>${escapeHtml(x.event.id.slice(0, 16))}</code>…, ${escapeHtml(x.event.user ?? '-')}, ${escapeHtml(x.event.action ?? '-')}, ${escapeHtml(x.event.resource ?? '-')}, ${escapeHtml(x.event.timestamp ?? '-')}`
        : '';
      out.push(
        `<tr class="probe-${escapeHtml(x.status)}"><td>${escapeHtml(catWord(x.category))}</td><td>${escapeHtml(x.name)}</td><td>${result}</td><td>${x.action ? `<code>${escapeHtml(x.action)}</code>` : ''}</td>` +
          `<td>${escapeHtml(x.performed_at ?? '')}</td><td>${ev}</td><td class="num">${x.delay_ms === null ? '' : `${(x.delay_ms / 1000).toFixed(1)} s`}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
    const c = r.cleanup;
    out.push(
      `<p>Cleanup: dropped ${escapeHtml(c.dropped.join(', ') || 'nothing')}${c.leftovers_removed.length ? `; removed leftovers of an earlier run: ${escapeHtml(c.leftovers_removed.join(', '))}` : ''}${c.errors.length ? `; ${badge('bad', 'NOTE')} ${escapeHtml(c.errors.join('; '))}` : ''}.</p>`,
    );
  }
  out.push('</section>');
  return out;
}
