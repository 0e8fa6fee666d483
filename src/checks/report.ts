// Renderers for a CompletenessReport: the terminal report (colour through a Paint the CLI passes in,
// so this module never decides about terminals), and JUnit XML pieces. Pure string functions.
import { PROFILES } from './profiles.js';
import { PROMINENT, RULES, findRule } from './rules/index.js';
import type { CompletenessReport, Finding, Severity } from './types.js';

export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

export const PLAIN: Paint = { red: (s) => s, yellow: (s) => s, green: (s) => s, bold: (s) => s, dim: (s) => s };

const MAX_PROMINENT_EXAMPLES = 10;
const INTEGRITY_RULE = 'integrity.cloudtrail-digest';

function sev(p: Paint, s: Severity): string {
  return s === 'error' ? p.red('error') : s === 'warning' ? p.yellow('warning') : p.dim('info');
}

/** One per-row finding as a terminal line: "error field.missing file:12: user is missing (...)". */
export function findingLine(f: Finding, p: Paint = PLAIN): string {
  return `${sev(p, f.severity)} ${p.dim(f.rule)} ${f.message}`;
}

/** Whether findings of a rule fail the gate of this report. */
export function ruleGates(report: CompletenessReport, rule: string): boolean {
  if (report.failOn.includes(rule)) return true;
  if (findRule(rule)?.incomplete)
    return report.rows > 0 && report.completeRows * 100 < report.minComplete * report.rows;
  return false;
}

/** The rules whose findings fail this report's gate, with their counts (rule id -> findings). */
export function failingRules(r: CompletenessReport): Record<string, number> {
  const out: Record<string, number> = {};
  for (const rule of RULES) {
    // Info findings (a PASS statement, a limit of the check) never fail the gate.
    const n = r.findingCounts[rule.id] ?? 0;
    const gating = r.gatingCounts ? (r.gatingCounts[rule.id] ?? 0) : n;
    if (gating > 0 && ruleGates(r, rule.id)) out[rule.id] = gating;
  }
  return out;
}

/**
 * One line for a completeness result, in the report's words: "pass, 8 of 8 rows complete (100%)" or
 * "FAIL (audit.disabled 1), 8 of 8 rows complete (100%): 1 audit.disabled finding".
 */
export function completenessLine(c: {
  pass: boolean;
  rows: number;
  complete_rows: number;
  percent_complete: number;
  failed_because: string[];
  failing_rules?: Record<string, number>;
}): string {
  const head = `${c.complete_rows} of ${c.rows} rows complete (${c.percent_complete}%)`;
  if (c.pass) return `pass, ${head}`;
  const rules = Object.entries(c.failing_rules ?? {});
  return `FAIL${rules.length ? ` (${rules.map(([id, n]) => `${id} ${n}`).join(', ')})` : ''}, ${head}: ${c.failed_because.join('; ') || 'no reason recorded'}`;
}

export function renderText(r: CompletenessReport, p: Paint = PLAIN): string {
  const out: string[] = [];
  const profile = PROFILES[r.profile];
  out.push(p.bold(`audit-evidence check: profile ${r.profile} (${profile.basis})`));
  out.push(`fields every row needs: ${profile.fields.map((f) => `${f.name} (${f.reads})`).join(', ')}`);
  out.push(
    `window: ${r.window.since || r.window.until ? `${r.window.since ?? 'the beginning'} to ${r.window.until ?? 'now'} (end excluded)` : 'none given'}`,
  );

  attentionSection(r, p, out);
  completenessSection(r, p, out);
  sourcesSection(r, p, out);
  integritySection(r, p, out);
  rulesSection(r, p, out);
  out.push('');
  if (r.pass) out.push(p.green(p.bold('RESULT: PASS')));
  else {
    out.push(p.red(p.bold('RESULT: FAIL')));
    for (const why of r.failedBecause) out.push(`  - ${why}`);
  }
  return `${out.join('\n')}\n`;
}

/** ATTENTION: what an auditor asks about first (audit-logging changes, root and superuser activity). */
function attentionSection(r: CompletenessReport, p: Paint, out: string[]): void {
  const prominent = PROMINENT.filter((id) => (r.findingCounts[id] ?? 0) > 0);
  out.push('', p.bold('ATTENTION'));
  if (prominent.length === 0) out.push(`  ${p.green('no audit-logging changes and no root / superuser activity')}`);
  for (const id of prominent) {
    const rule = findRule(id)!;
    const n = r.findingCounts[id] ?? 0;
    out.push(`  ${rule.severity === 'error' ? p.red('!!') : p.yellow('!')} ${p.bold(rule.title)}: ${n}`);
    const ex = r.findings.filter((f) => f.rule === id);
    for (const f of ex.slice(0, MAX_PROMINENT_EXAMPLES)) out.push(`     ${f.message}`);
    if (n > Math.min(ex.length, MAX_PROMINENT_EXAMPLES))
      out.push(p.dim(`     ... and ${n - Math.min(ex.length, MAX_PROMINENT_EXAMPLES)} more (all in --json output)`));
  }
}

/** COMPLETENESS: rows checked, complete rows, missing fields, unreadable records. */
function completenessSection(r: CompletenessReport, p: Paint, out: string[]): void {
  out.push('', p.bold('COMPLETENESS'));
  out.push(
    `  rows checked: ${r.rows}${r.privilegedOnly ? ' (administrator activity only)' : ''}; privileged: ${r.privileged}`,
  );
  const pct = `${r.percentComplete}%`;
  const okPct = r.rows === 0 || r.completeRows * 100 >= r.minComplete * r.rows;
  out.push(
    `  complete rows: ${r.completeRows} of ${r.rows} (${okPct ? p.green(pct) : p.red(pct)}; required ${r.minComplete}%)`,
  );
  const missing = Object.entries(r.missing);
  out.push(`  missing fields: ${missing.length ? missing.map(([k, v]) => `${k} ${v}`).join(', ') : 'none'}`);
  if (r.rejected) out.push(`  ${p.red(`records that could not be read: ${r.rejected}`)}`);
}

/** SOURCES: each source's events by category and its source-level findings. */
function sourcesSection(r: CompletenessReport, p: Paint, out: string[]): void {
  out.push('', p.bold('SOURCES'));
  if (Object.keys(r.sources).length === 0) out.push('  none');
  for (const [key, s] of Object.entries(r.sources)) {
    const files = s.files.length
      ? ` from ${s.files.slice(0, 3).join(', ')}${s.files.length > 3 ? ` and ${s.files.length - 3} more` : ''}`
      : '';
    out.push(`  ${p.bold(key)}${files}: ${s.events} events`);
    const cats = r.categories[key] ?? {};
    out.push(
      `    categories: ${Object.entries(cats)
        .map(([c, n]) => (n ? `${c} ${n}` : p.dim(`${c} 0`)))
        .join(', ')}`,
    );
    for (const f of r.findings.filter((x) => x.source === key && !x.location && x.rule !== INTEGRITY_RULE)) {
      out.push(
        `    ${f.severity === 'info' ? p.dim('-') : f.severity === 'error' ? p.red('-') : p.yellow('-')} ${f.message}`,
      );
    }
  }
}

/** INTEGRITY: CloudTrail digest validation, each changed, missing or undigested file and each bad digest named. */
function integritySection(r: CompletenessReport, p: Paint, out: string[]): void {
  const integrity = r.findings.filter((f) => f.rule === INTEGRITY_RULE);
  if (integrity.length) {
    out.push('', p.bold('INTEGRITY (CloudTrail digests)'));
    for (const f of integrity) out.push(`  ${f.severity === 'info' ? p.dim('-') : p.red('-')} ${f.message}`);
    const n = r.findingCounts[INTEGRITY_RULE] ?? 0;
    if (n > integrity.length) out.push(p.dim(`  ... and ${n - integrity.length} more (all in --json output)`));
  }
}

/** FINDINGS BY RULE: every rule with its count and whether it gates. */
function rulesSection(r: CompletenessReport, p: Paint, out: string[]): void {
  out.push('', p.bold('FINDINGS BY RULE'));
  const w = Math.max(...RULES.map((x) => x.id.length));
  for (const rule of RULES) {
    const n = r.findingCounts[rule.id] ?? 0;
    const gating = r.gatingCounts ? (r.gatingCounts[rule.id] ?? 0) : n;
    const gate = ruleGates(r, rule.id) ? (gating > 0 ? p.red('fails the gate') : 'gates') : p.dim('reported');
    out.push(
      `  ${rule.id.padEnd(w)}  ${sev(p, rule.severity).padEnd(rule.severity.length)}${' '.repeat(8 - rule.severity.length)}${String(n).padStart(7)}  ${gate}`,
    );
  }
}

// ---- JUnit XML -------------------------------------------------------------------------------

/** Escapes text for XML content and attributes; drops characters XML 1.0 cannot carry. */
export function xmlEscape(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(
        /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
        '\uFFFD',
      )
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

/** Test case name for a finding: its location (or source) and field. */
function caseName(f: Finding): string {
  const where =
    f.message.includes(': ') && f.location ? f.message.slice(0, f.message.indexOf(': ')) : (f.source ?? 'run');
  return f.field ? `${where} ${f.field}` : where;
}

/** One finding as a <testcase>: a <failure> when its rule gates and it is not info, else passing with the message as output. */
export function junitCase(f: Finding, gates: boolean): string {
  const name = xmlEscape(caseName(f));
  const cls = xmlEscape(f.rule);
  if (gates && f.severity !== 'info') {
    return `    <testcase classname="${cls}" name="${name}"><failure message="${xmlEscape(f.message)}" type="${xmlEscape(f.severity)}">${xmlEscape(f.message)}</failure></testcase>\n`;
  }
  return `    <testcase classname="${cls}" name="${name}"><system-out>${xmlEscape(`${f.severity}: ${f.message}`)}</system-out></testcase>\n`;
}

export function junitPassCase(rule: string, text: string): string {
  return `    <testcase classname="${xmlEscape(rule)}" name="${xmlEscape(text)}"/>\n`;
}

export function junitSuiteOpen(name: string, tests: number, failures: number): string {
  return `  <testsuite name="${xmlEscape(name)}" tests="${tests}" failures="${failures}" errors="0" skipped="0">\n`;
}

export const JUNIT_SUITE_CLOSE = '  </testsuite>\n';

export function junitHeader(tests: number, failures: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="audit-evidence check" tests="${tests}" failures="${failures}" errors="0">\n`;
}

export const JUNIT_FOOTER = '</testsuites>\n';

/** The gate itself as a suite: --min-complete, --require-categories and the overall result. */
export function junitGateSuite(r: CompletenessReport): string {
  const cases: string[] = [];
  const pctOk = !r.failedBecause.some((w) => w.includes('rows are incomplete'));
  const pctName = `min-complete ${r.minComplete}%: ${r.percentComplete}% of ${r.rows} rows complete`;
  cases.push(
    pctOk
      ? junitPassCase('gate', pctName)
      : `    <testcase classname="gate" name="${xmlEscape(pctName)}"><failure message="${xmlEscape(r.failedBecause.find((w) => w.includes('rows are incomplete'))!)}" type="error"/></testcase>\n`,
  );
  for (const why of r.failedBecause.filter((w) => w.includes('--require-categories') || w.startsWith('no events'))) {
    cases.push(
      `    <testcase classname="gate" name="${xmlEscape(why)}"><failure message="${xmlEscape(why)}" type="error"/></testcase>\n`,
    );
  }
  const failures = cases.filter((c) => c.includes('<failure')).length;
  return junitSuiteOpen('gate', cases.length, failures) + cases.join('') + JUNIT_SUITE_CLOSE;
}
