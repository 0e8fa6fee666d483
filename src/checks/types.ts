// Types of the completeness checker: its options, findings and report. Kept apart from the checker
// so that rules, renderers and the evidence bundle can share them without import cycles.
import type { AuditEvent, Location } from '../event/types.generated.js';
import type { Category, SourceKind } from '../event/build.js';
import type { Roster } from '../privilege/roster.js';
import type { Retention } from '../retention/types.js';
import type { SourceProbeReport } from '../probe/types.js';

export type ProfileId = 'soc2' | 'pci' | 'iso27001' | 'hipaa';
export type Severity = 'error' | 'warning' | 'info';

export interface SourceInfo {
  name: string;
  kind: SourceKind;
  format: string;
  instance?: string | null;
  settings?: Record<string, unknown>;
  /** How long the source keeps its records (collect fills it in after reading the source). */
  retention?: Retention | null;
}

export interface CheckOptions {
  /** Field profile (default soc2). */
  profile?: ProfileId;
  /** Inclusive start / exclusive end of the window events must fall in. */
  since?: Date | null;
  until?: Date | null;
  /** Shared account names (case-insensitive); default DEFAULT_SHARED_IDENTITIES. */
  sharedIdentities?: string[];
  /** Admin roster; events by a listed principal are marked privileged. */
  roster?: Roster;
  /** Categories every source must have at least one event of (else the gate fails). */
  requireCategories?: Category[];
  /** Percent of rows that must be complete (default 100). */
  minComplete?: number;
  /** Rule ids whose findings fail the gate. */
  failOn?: string[];
  /** What each source is, for configuration advice. */
  sources?: SourceInfo[];
  /** Only privileged (administrator) events are checked and counted. */
  privilegedOnly?: boolean;
  /** How many example findings per rule the report keeps (default 50). */
  examplesPerRule?: number;
  /** Days a source must keep its records (rule retention.short; default 365). */
  retentionMinDays?: number;
  /** Results of the logging probe (collect --probe): found actions are proof, missing ones fail. */
  probes?: SourceProbeReport[];
  /** CloudTrail digest reports (rule integrity.cloudtrail-digest): from a bundle's sources, or a local trail copy. */
  integrity?: IntegrityInput[];
  /** The clock used to judge future timestamps (default: `until` when given, so reports recompute identically; else now). */
  now?: Date;
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  location?: Location | null;
  eventId?: string | null;
  source?: string | null;
  field?: string | null;
}

export interface CompletenessReport {
  profile: ProfileId;
  fields: string[];
  rows: number;
  completeRows: number;
  percentComplete: number;
  missing: Record<string, number>;
  /** per source → category → count */
  categories: Record<string, Record<string, number>>;
  /** summary findings + the first N per-row findings per rule */
  findings: Finding[];
  findingCounts: Record<string, number>;
  /** Per rule, the findings that can fail the gate (severity error or warning; info never fails). */
  gatingCounts?: Record<string, number>;
  pass: boolean;
  failedBecause: string[];
  privileged: number;
  window: { since: string | null; until: string | null };
  /** Raw records that could not be read as events (see rule input.rejected). */
  rejected: number;
  /** Per source: what it is and its counts. */
  sources: Record<string, SourceSummary>;
  /** Rule ids that fail the gate when they have findings (after --fail-on). */
  failOn: string[];
  /** Percent of complete rows required. */
  minComplete: number;
  /** True when only privileged (administrator) rows were checked. */
  privilegedOnly: boolean;
}

export interface SourceSummary {
  kind: SourceKind | null;
  format: string | null;
  instance: string | null;
  /** Input files the source was read from (at most the first 20). */
  files: string[];
  events: number;
  rows: number;
  missing: Record<string, number>;
}

export type { AuditEvent };

/** The digest report as the manifest carries it (src/integrity/summary.ts summarize()). */
export interface DigestSummary {
  pass: boolean;
  digests: number;
  digests_valid: number;
  /** Digests whose signature could not be checked (a local copy: `aws s3 sync` drops the signature metadata). */
  digests_signature_unchecked?: number;
  /** Log files whose SHA-256 matches a digest whose signature could not be checked. */
  files_matched_unsigned?: number;
  /** Log files of a local copy delivered after the newest digest of their account and region. */
  files_after_newest_digest?: number;
  invalid_digests: { count: number; first: string[] };
  digest_gaps: { count: number; first: string[] };
  files_covered: number;
  files_without_digest: { count: number; first: string[] };
  files_changed: { count: number; first: string[] };
  files_missing: { count: number; first: string[] };
  /** Digests that start a new chain (the trail's first, or logging stopped and started again). */
  chain_starts?: { count: number; first: string[] };
  report?: string;
}

export interface IntegrityInput {
  /** The source (collect) or the trail directory (check) the report is about. */
  source: string;
  cloudtrail_digests: DigestSummary;
}
