// The bundle's manifest: an in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md)
// whose subjects are every other file of the bundle with its sha256, and whose predicate describes
// the evidence: the period, each source and how it was read, counts that reconcile, the Merkle root
// over the events, the completeness result and the link to the previous bundle.
import { readFileSync } from 'node:fs';
import { packageFile } from '../event/schema.js';
import type { Retention } from '../retention/types.js';

import type { SourceProbeReport } from '../probe/types.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://audit-evidence.dev/evidence-bundle/v1';
export const COLLECTOR_NAME = 'audit-evidence';
export const COLLECTOR_VERSION: string = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).version;

/** Files of every bundle, in zip order (raw/<source>/records.jsonl follow, one per source). */
export const MANIFEST_FILE = 'manifest.intoto.json';
export const ENVELOPE_FILE = 'manifest.dsse.json';
export const SUMS_FILE = 'SHA256SUMS';
export const VERIFY_FILE = 'VERIFY.md';
export const PUBLIC_KEY_FILE = 'public-key.pem';
export const EVENTS_FILE = 'events.jsonl';
export const CSV_FILE = 'events.csv';
export const OCSF_FILE = 'events.ocsf.jsonl';
export const REJECTS_FILE = 'rejects.jsonl';
export const COMPLETENESS_FILE = 'report/completeness.json';
export const SUMMARY_FILE = 'report/summary.html';
export const SCHEMA_FILE = 'schema/event.schema.json';
export const rawFileName = (source: string): string => `raw/${source}/records.jsonl`;

export const EPHEMERAL_WARNING =
  'This bundle was signed with an ephemeral key generated for this run and then discarded: the signature proves the files were not changed after signing, but NOT who signed them. Sign with a key made by `audit-evidence keygen` whose public key the auditor receives separately.';

export interface Subject {
  name: string;
  digest: { sha256: string };
}

/**
 * complete: read to the end, events in the period. empty: read to the end, nothing in the period and
 * nothing rejected. unreadable: records were read but more were rejected than became events
 * (rejects > events, so also any source whose every record in the period was rejected). partial: an
 * error after something was read. failed: an error before anything was read.
 */
export type SourceStatus = 'complete' | 'partial' | 'failed' | 'empty' | 'unreadable';

/** Statuses that make a bundle's evidence complete; every other status is not (collect exits 1). */
export const OK_STATUSES: ReadonlySet<string> = new Set(['complete', 'empty']);

export interface SourceEntry {
  name: string;
  type: string;
  kind: string | null;
  format: string | null;
  how: string;
  status: SourceStatus;
  status_reason: string | null;
  last_position: string | null;
  records_read: number;
  events: number;
  rejects: number;
  /** Records skipped on purpose, by reason (includes 'outside the time window'). */
  skipped: Record<string, number>;
  outside_period: number;
  /** Records kept in raw/ (everything read except records outside the period). */
  raw_records: number;
  raw_file: string;
  first_event: string | null;
  last_event: string | null;
  untimed_events: number;
  counts_reconcile: boolean;
  settings: Record<string, unknown>;
  roster: Array<{ principal: string; reason: string; origin: string; instance: string | null }>;
  warnings: string[];
  demo_time_shift_days: number | null;
  /** How long the source keeps its records (written by this version for every source). */
  retention?: Retention;
}

export interface EvidencePredicate {
  bundle_format: 1;
  demo: boolean;
  period: { start: string; end: string; timezone: string; how: 'week' | 'since-until' };
  generated_at: string;
  collector: { name: string; version: string };
  signer: { keyid: string; ephemeral: boolean; warning: string | null };
  config: {
    file: string | null;
    sha256: string | null;
    profile: string;
    shared_identities: string[] | null;
    roster_from: string[];
  };
  sources: SourceEntry[];
  totals: {
    records_read: number;
    events: number;
    rejects: number;
    skipped: number;
    outside_period: number;
    counts_reconcile: boolean;
  };
  events: {
    file: string;
    count: number;
    merkle_root: string;
    tree: 'RFC 6962: leaf = SHA-256(0x00 || line), node = SHA-256(0x01 || left || right), one leaf per line of events.jsonl without its line break';
    by_category: Record<string, number>;
    privileged: number;
  };
  completeness: {
    report: string;
    profile: string;
    fields: string[];
    pass: boolean;
    rows: number;
    complete_rows: number;
    percent_complete: number;
    missing: Record<string, number>;
    failed_because: string[];
    finding_counts: Record<string, number>;
    /** The rules whose findings failed the check, with their counts (absent in bundles of earlier versions). */
    failing_rules?: Record<string, number>;
  };
  previous_bundle: PreviousBundle | null;
  /** Only in bundles with events.ocsf.jsonl (config bundle.ocsf: true). */
  ocsf?: {
    file: typeof OCSF_FILE;
    version: string;
    records: number;
    events_not_exported: number;
    not_exported: Record<string, number>;
  };
  /** Redaction policy version and counts (src/redact/policy.ts). Absent in bundles made before it was recorded. */
  redaction?: {
    policy_version: string;
    extra_names: string[];
    extra_patterns: string[];
    parameters: 'matching' | 'all';
    records_redacted: number;
    values_redacted: number;
    by_source: Record<string, { records: number; values: number }>;
  };
  /** The logging probe's results (collect --probe); absent without it. */
  probes?: SourceProbeReport[];
}

export interface PreviousBundle {
  manifest_sha256: string;
  period: { start: string; end: string } | null;
  file: string;
  /** The previous bundle's signer key id (absent in bundles of earlier versions). */
  keyid?: string;
  /** A gap between the previous period's end and this one's start, accepted with collect --allow-gap. */
  gap?: { start: string; end: string } | null;
  /** The previous bundle was signed by another key, accepted with collect --previous-pubkey (a key rotation). */
  key_change?: { previous_keyid: string; previous_public_key: string } | null;
}

export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof PREDICATE_TYPE;
  predicate: EvidencePredicate;
}

/** The manifest's bytes: two-space JSON with a final line break (key order is fixed by construction). */
export function statementBytes(st: Statement): Buffer {
  return Buffer.from(`${JSON.stringify(st, null, 2)}\n`, 'utf8');
}

/** SHA256SUMS in the format `sha256sum -c` reads: '<hex>  <name>' (two spaces: text mode). */
export function sumsText(files: Subject[]): string {
  return files.map((f) => `${f.digest.sha256}  ${f.name}\n`).join('');
}
