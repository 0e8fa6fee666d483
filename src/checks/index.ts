// The completeness checker: streams normalized events through the rules, keeps only counts, a
// bounded set of per-source facts and at most N example findings per rule, and decides at the end
// whether the log passes the auditor's test. Memory does not grow with the number of rows.
import type { AuditEvent, Location } from '../event/types.generated.js';
import type { Category } from '../event/build.js';
import type { LocationInput } from '../pipeline/types.js';
import { applyRoster } from '../privilege/roster.js';
import { profileFor, type Profile } from './profiles.js';
import type { RuleContext, RuleRun, SourceStats } from './rule.js';
import { DEFAULT_FAIL_ON, RULES, findRule } from './rules/index.js';
import { CATEGORIES } from './rules/category-empty.js';
import { DEFAULT_SHARED_IDENTITIES } from './rules/identity-shared.js';
import { rejectFinding } from './rules/input-rejected.js';
import type { CheckOptions, CompletenessReport, Finding, SourceSummary } from './types.js';

export type {
  ProfileId,
  CheckOptions,
  SourceInfo,
  Finding,
  CompletenessReport,
  Severity,
  SourceSummary,
} from './types.js';
export { DEFAULT_SHARED_IDENTITIES } from './rules/identity-shared.js';
export { RULES, DEFAULT_FAIL_ON, PROMINENT, findRule } from './rules/index.js';
export { PROFILES, PROFILE_IDS, profileFor } from './profiles.js';
export type { Rule, RuleMeta, SourceStats } from './rule.js';

export const DEFAULT_EXAMPLES_PER_RULE = 50;
const MAX_FILES_PER_SOURCE = 20;

/** A bad option (unknown rule id, impossible threshold). */
export class CheckOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckOptionError';
  }
}

/**
 * Expands a --fail-on list: 'default' stands for DEFAULT_FAIL_ON, 'none' for nothing; every other
 * entry must be a rule id.
 */
export function resolveFailOn(list: string[] | undefined): string[] {
  if (list === undefined) return [...DEFAULT_FAIL_ON];
  const out = new Set<string>();
  for (const raw of list) {
    const id = raw.trim();
    if (id === '' || id === 'none') continue;
    if (id === 'default') {
      for (const d of DEFAULT_FAIL_ON) out.add(d);
      continue;
    }
    if (!findRule(id))
      throw new CheckOptionError(
        `unknown rule '${id}' in --fail-on: use ${RULES.map((r) => r.id).join(', ')}, default or none`,
      );
    out.add(id);
  }
  return [...out];
}

export class CompletenessChecker {
  private readonly opts: CheckOptions;
  private readonly profile: Profile;
  private readonly runs: Array<{ id: string; incomplete: boolean; run: RuleRun }>;
  private readonly failOn: string[];
  private readonly examplesPerRule: number;
  private readonly minComplete: number;
  private readonly stats = new Map<string, SourceStats>();
  private readonly examples = new Map<string, Finding[]>();
  private readonly counts: Record<string, number> = {};
  /** Findings that can fail the gate (severity error or warning; info never fails). */
  private readonly gating: Record<string, number> = {};
  private readonly missing: Record<string, number> = {};
  private rows = 0;
  private completeRows = 0;
  private privilegedRows = 0;
  private rejected = 0;
  private finished: CompletenessReport | null = null;

  constructor(opts: CheckOptions = {}) {
    this.opts = opts;
    this.profile = profileFor(opts.profile);
    this.failOn = resolveFailOn(opts.failOn);
    this.examplesPerRule = opts.examplesPerRule ?? DEFAULT_EXAMPLES_PER_RULE;
    this.minComplete = opts.minComplete ?? 100;
    if (!(this.minComplete >= 0 && this.minComplete <= 100))
      throw new CheckOptionError(`--min-complete must be a percentage from 0 to 100, not ${opts.minComplete}`);
    for (const c of opts.requireCategories ?? []) {
      if (!(CATEGORIES as string[]).includes(c))
        throw new CheckOptionError(`unknown category '${c}' in --require-categories: use ${CATEGORIES.join(', ')}`);
    }
    const ctx: RuleContext = {
      profile: this.profile,
      since: opts.since ?? null,
      until: opts.until ?? null,
      shared: new Set(
        (opts.sharedIdentities ?? DEFAULT_SHARED_IDENTITIES).map((s) => s.trim().toLowerCase()).filter(Boolean),
      ),
      options: opts,
      // The clock for "in the future": given, else the window end (so a report recomputes to the
      // same result later, as bundle verification does), else now.
      now: opts.now ?? opts.until ?? new Date(),
    };
    this.runs = RULES.map((r) => ({ id: r.id, incomplete: !!r.incomplete, run: r.start(ctx) }));
    for (const info of opts.sources ?? [])
      this.statsFor(info.name, { kind: info.kind, format: info.format, instance: info.instance ?? null, info });
  }

  /** Checks one event; returns its per-row findings (the caller may print them as they come). */
  add(event: AuditEvent): Finding[] {
    const e = this.opts.roster ? applyRoster(event, this.opts.roster) : event;
    const key = this.sourceKey(e);
    const s = this.statsFor(key, {
      kind: e.source.kind,
      format: e.source.format,
      instance: e.source.instance,
      info: null,
    });
    s.events++;
    s.categories[e.category] = (s.categories[e.category] ?? 0) + 1;
    if (s.files.length < MAX_FILES_PER_SOURCE && !s.files.includes(e.source.location.file))
      s.files.push(e.source.location.file);
    if (e.source.variant && s.variants.length < 8 && !s.variants.includes(e.source.variant))
      s.variants.push(e.source.variant);
    if (e.privileged.value) this.privilegedRows++;
    if (this.opts.privilegedOnly && !e.privileged.value) return [];

    this.rows++;
    s.rows++;
    const out: Finding[] = [];
    let complete = true;
    for (const { incomplete, run } of this.runs) {
      if (!run.row) continue;
      const fs = run.row(e, key);
      if (fs.length === 0) continue;
      if (incomplete) complete = false;
      for (const f of fs) {
        this.record(f);
        if (f.rule === 'field.missing' && f.field) {
          this.missing[f.field] = (this.missing[f.field] ?? 0) + 1;
          s.missing[f.field] = (s.missing[f.field] ?? 0) + 1;
        }
        out.push(f);
      }
    }
    if (complete) this.completeRows++;
    return out;
  }

  /** Records a raw record that could not be read as an event (rule input.rejected). */
  reject(location: LocationInput | Location, reason: string, source: string | null = null): Finding {
    this.rejected++;
    const f = rejectFinding(location, reason, source);
    this.record(f);
    return f;
  }

  finish(): CompletenessReport {
    if (this.finished) return this.finished;
    const summary: Finding[] = [];
    for (const { run } of this.runs) {
      for (const f of run.finish?.(this.stats) ?? []) {
        this.count(f);
        summary.push(f);
      }
    }
    const failedBecause: string[] = [];
    const exact = this.rows === 0 ? 100 : (this.completeRows * 100) / this.rows;
    const percent = Math.floor(exact * 100) / 100;
    if (this.rows === 0 && !this.opts.privilegedOnly)
      failedBecause.push('no events were read, so nothing shows the log is captured');
    if (exact < this.minComplete) {
      failedBecause.push(
        `${this.rows - this.completeRows} of ${this.rows} rows are incomplete: ${percent}% complete, below the required ${this.minComplete}%`,
      );
    }
    for (const cat of this.opts.requireCategories ?? []) {
      if (this.stats.size === 0) failedBecause.push(`no source has ${cat} events (required by --require-categories)`);
      for (const s of this.stats.values()) {
        if ((s.categories[cat] ?? 0) === 0)
          failedBecause.push(`source ${s.key} has no ${cat} events (required by --require-categories)`);
      }
    }
    for (const id of this.failOn) {
      const n = this.gating[id] ?? 0;
      if (n > 0) failedBecause.push(`${n} ${id} finding${n === 1 ? '' : 's'} (a rule that fails the check)`);
    }
    const categories: Record<string, Record<string, number>> = {};
    const sources: Record<string, SourceSummary> = {};
    for (const s of this.stats.values()) {
      categories[s.key] = Object.fromEntries(
        [...CATEGORIES, 'other'].map((c) => [c, s.categories[c as Category] ?? 0]),
      );
      sources[s.key] = {
        kind: s.kind,
        format: s.format,
        instance: s.instance,
        files: [...s.files],
        events: s.events,
        rows: s.rows,
        missing: { ...s.missing },
      };
    }
    const examples = RULES.flatMap((r) => this.examples.get(r.id) ?? []);
    this.finished = {
      profile: this.profile.id,
      fields: this.profile.fields.map((f) => f.name),
      rows: this.rows,
      completeRows: this.completeRows,
      percentComplete: percent,
      missing: { ...this.missing },
      categories,
      findings: [...summary, ...examples],
      findingCounts: Object.fromEntries(RULES.map((r) => [r.id, this.counts[r.id] ?? 0])),
      gatingCounts: Object.fromEntries(RULES.map((r) => [r.id, this.gating[r.id] ?? 0])),
      pass: failedBecause.length === 0,
      failedBecause,
      privileged: this.privilegedRows,
      window: { since: this.opts.since?.toISOString() ?? null, until: this.opts.until?.toISOString() ?? null },
      rejected: this.rejected,
      sources,
      failOn: [...this.failOn],
      minComplete: this.minComplete,
      privilegedOnly: !!this.opts.privilegedOnly,
    };
    return this.finished;
  }

  /** Whether findings of `rule` fail the gate in this run (known for sure only after finish). */
  gates(rule: string): boolean {
    if (this.failOn.includes(rule)) return true;
    const r = findRule(rule);
    if (r?.incomplete) return this.rows > 0 && (this.completeRows * 100) / this.rows < this.minComplete;
    return rule === 'category.empty' && (this.opts.requireCategories?.length ?? 0) > 0;
  }

  private record(f: Finding): void {
    this.count(f);
    const list = this.examples.get(f.rule) ?? [];
    if (list.length < this.examplesPerRule) {
      list.push(f);
      this.examples.set(f.rule, list);
    }
  }

  private count(f: Finding): void {
    this.counts[f.rule] = (this.counts[f.rule] ?? 0) + 1;
    if (f.severity !== 'info') this.gating[f.rule] = (this.gating[f.rule] ?? 0) + 1;
  }

  /** A source is its configured name when the caller described it, else format[@instance]. */
  private sourceKey(e: AuditEvent): string {
    const info = this.opts.sources?.find(
      (s) => s.format === e.source.format && (s.instance ?? null) === e.source.instance,
    );
    if (info) return info.name;
    return e.source.instance ? `${e.source.format}@${e.source.instance}` : e.source.format;
  }

  private statsFor(key: string, what: Pick<SourceStats, 'kind' | 'format' | 'instance' | 'info'>): SourceStats {
    let s = this.stats.get(key);
    if (!s) {
      s = { key, ...what, files: [], events: 0, rows: 0, categories: {}, missing: {}, variants: [] };
      this.stats.set(key, s);
    }
    return s;
  }
}
