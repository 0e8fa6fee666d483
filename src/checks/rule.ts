// The shape every completeness rule has. A rule is a small object with a stable id (the id is a
// public contract: CI configurations name it in --fail-on), a default severity, and a `start`
// function that returns the rule's per-run state. Row rules look at one event at a time and keep
// at most bounded state; source rules speak once per source at the end of the run.
import type { AuditEvent, Location } from '../event/types.generated.js';
import { describeLocation } from '../pipeline/record.js';
import type { Category, SourceKind } from '../event/build.js';
import type { Profile } from './profiles.js';

export { isPlaceholder } from './placeholder.js';
import type { CheckOptions, Finding, Severity, SourceInfo } from './types.js';

export interface RuleMeta {
  id: string;
  severity: Severity;
  /** Short title for reports. */
  title: string;
  /** One sentence for the docs: what the rule catches and why an auditor cares. */
  description: string;
  /** True when a finding of this rule makes the row incomplete (counts against --min-complete). */
  incomplete?: boolean;
}

/** What the checker knows about one source at the end of a run (bounded: counts only). */
export interface SourceStats {
  key: string;
  kind: SourceKind | null;
  format: string | null;
  instance: string | null;
  info: SourceInfo | null;
  /** First input file seen for the source and how many distinct files (bounded list of names). */
  files: string[];
  /** Events read from the source (all of them, privileged or not). */
  events: number;
  /** Rows checked (equal to events unless only privileged activity is checked). */
  rows: number;
  categories: Partial<Record<Category, number>>;
  /** Missing-field counts for the rows of this source (over all rows, privileged or not). */
  missing: Record<string, number>;
  /** A variant seen (pgaudit stderr/csvlog/jsonlog, cloudtrail records/...), for advice. */
  variants: string[];
}

export interface RuleContext {
  profile: Profile;
  since: Date | null;
  until: Date | null;
  /** Lower-cased shared identity names. */
  shared: ReadonlySet<string>;
  options: CheckOptions;
  now: Date;
}

export interface RuleRun {
  /** Per-row findings for this event (`source` is the checker's source key). */
  row?(e: AuditEvent, source: string): Finding[];
  /** Findings about whole sources, once at the end. */
  finish?(sources: ReadonlyMap<string, SourceStats>): Finding[];
}

export interface Rule extends RuleMeta {
  start(ctx: RuleContext): RuleRun;
}

/** Builds a finding of `rule` about one event; the message is prefixed with the record's location. */
export function rowFinding(
  rule: RuleMeta,
  e: AuditEvent,
  source: string,
  message: string,
  field: string | null = null,
  severity: Severity = rule.severity,
): Finding {
  return {
    rule: rule.id,
    severity,
    message: `${describeLocation(e.source.location)}: ${message}`,
    location: e.source.location,
    eventId: e.id,
    source,
    field,
  };
}

export function sourceFinding(
  rule: RuleMeta,
  source: string,
  message: string,
  severity: Severity = rule.severity,
  location: Location | null = null,
  field: string | null = null,
): Finding {
  return { rule: rule.id, severity, message, location, eventId: null, source, field };
}

/** Quotes a value for a message, shortened so one sentence stays one line. */
export function q(v: string | null | undefined, max = 80): string {
  if (v === null || v === undefined) return 'null';
  const s = v.replace(/\s+/g, ' ');
  return `'${s.length > max ? `${s.slice(0, max - 1)}…` : s}'`;
}
