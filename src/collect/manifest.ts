// Building the manifest: completeness.json (the check's options and report), the signed
// predicate, the bundle's files with their digests, SHA256SUMS and the in-toto statement; then
// the DSSE signature and the zip. Stages of runCollect, each a function of its inputs.
import { basename } from 'node:path';
import type { DeflatedEntry } from '../bundle/deflated-file.js';
import { envelopeText, signEnvelope } from '../bundle/dsse.js';
import type { SigningKey } from '../bundle/keys.js';
import {
  COLLECTOR_NAME,
  COLLECTOR_VERSION,
  COMPLETENESS_FILE,
  CSV_FILE,
  ENVELOPE_FILE,
  EPHEMERAL_WARNING,
  EVENTS_FILE,
  type EvidencePredicate,
  MANIFEST_FILE,
  OCSF_FILE,
  PREDICATE_TYPE,
  PUBLIC_KEY_FILE,
  REJECTS_FILE,
  SCHEMA_FILE,
  STATEMENT_TYPE,
  type SourceEntry,
  type Statement,
  type Subject,
  SUMMARY_FILE,
  SUMS_FILE,
  statementBytes,
  sumsText,
  VERIFY_FILE,
} from '../bundle/manifest.js';
import { writeZip } from '../bundle/zip-writer.js';
import type { SourceInfo } from '../checks/index.js';
import type { CompletenessReport } from '../checks/types.js';
import { failingRules } from '../checks/report.js';
import type { CollectConfig } from '../config/load.js';
import { sha256Hex } from '../event/hash.js';
import { OCSF_VERSION } from '../export/ocsf.js';
import type { EventFormatter } from '../export/format.js';
import type { SourceProbeReport } from '../probe/types.js';
import { POLICY_VERSION, type Policy, policyAdditions } from '../redact/policy.js';
import type { BundleFile } from './source-entry.js';
import type { RedactedBy } from './stream.js';
import type { Period } from './window.js';

/** completeness.json: the checker's options as run, so that verify can run the same check again, and its report. */
export function completenessFile(
  config: CollectConfig,
  period: Period,
  checkSources: SourceInfo[],
  probes: SourceProbeReport[] | undefined,
  report: CompletenessReport,
): Buffer {
  return Buffer.from(
    `${JSON.stringify(
      {
        options: {
          profile: config.profile,
          since: period.start.toISOString(),
          until: period.end.toISOString(),
          shared_identities: config.sharedIdentities ?? null,
          sources: checkSources,
          roster: config.roster.entries,
          retention_minimum_days: config.retentionMinDays,
          ...(probes ? { probes } : {}),
        },
        report,
      },
      null,
      2,
    )}\n`,
  );
}

/** Everything the predicate says, as the run found it. */
export interface PredicateInputs {
  config: CollectConfig;
  period: Period;
  now: Date;
  demo: boolean;
  keyid: string;
  ephemeral: boolean;
  entries: SourceEntry[];
  events: { count: number; merkleRoot: string; byCategory: Record<string, number>; privileged: number };
  report: CompletenessReport;
  previous: EvidencePredicate['previous_bundle'];
  /** The OCSF formatter and record count, when events.ocsf.jsonl was written. */
  ocsf: { formatter: EventFormatter; records: number } | null;
  policy: Policy;
  redactedBy: RedactedBy;
  probes: SourceProbeReport[] | undefined;
}

/** The signed predicate. */
export function buildPredicate(x: PredicateInputs): EvidencePredicate {
  const { config, period, entries, report } = x;
  const sum = (k: keyof Pick<SourceEntry, 'records_read' | 'events' | 'rejects' | 'outside_period'>) =>
    entries.reduce((a, s) => a + s[k], 0);
  return {
    bundle_format: 1,
    demo: x.demo,
    period: {
      start: period.start.toISOString(),
      end: period.end.toISOString(),
      timezone: period.timezone,
      how: period.how,
    },
    generated_at: x.now.toISOString(),
    collector: { name: COLLECTOR_NAME, version: COLLECTOR_VERSION },
    signer: { keyid: x.keyid, ephemeral: x.ephemeral, warning: x.ephemeral ? EPHEMERAL_WARNING : null },
    config: {
      file: config.file ? basename(config.file) : x.demo ? 'built-in demo configuration' : null,
      sha256: config.digest,
      profile: config.profile,
      shared_identities: config.sharedIdentities ?? null,
      roster_from: config.rosterFrom,
    },
    sources: entries,
    totals: {
      records_read: sum('records_read'),
      events: sum('events'),
      rejects: sum('rejects'),
      skipped: entries.reduce((a, s) => a + Object.values(s.skipped).reduce((m, n) => m + n, 0), 0),
      outside_period: sum('outside_period'),
      counts_reconcile: entries.every((s) => s.counts_reconcile),
    },
    events: {
      file: EVENTS_FILE,
      count: x.events.count,
      merkle_root: x.events.merkleRoot,
      tree: 'RFC 6962: leaf = SHA-256(0x00 || line), node = SHA-256(0x01 || left || right), one leaf per line of events.jsonl without its line break',
      by_category: x.events.byCategory,
      privileged: x.events.privileged,
    },
    completeness: {
      report: COMPLETENESS_FILE,
      profile: report.profile,
      fields: report.fields,
      pass: report.pass,
      rows: report.rows,
      complete_rows: report.completeRows,
      percent_complete: report.percentComplete,
      missing: report.missing,
      failed_because: report.failedBecause,
      finding_counts: report.findingCounts,
      failing_rules: failingRules(report),
    },
    previous_bundle: x.previous,
    ...(x.ocsf
      ? {
          ocsf: {
            file: OCSF_FILE,
            version: OCSF_VERSION,
            records: x.ocsf.records,
            events_not_exported: x.ocsf.formatter.notExportedTotal,
            not_exported: Object.fromEntries(x.ocsf.formatter.notExported),
          },
        }
      : {}),
    redaction: {
      policy_version: POLICY_VERSION,
      ...policyAdditions(x.policy),
      records_redacted: Object.values(x.redactedBy).reduce((a, r) => a + r.records, 0),
      values_redacted: Object.values(x.redactedBy).reduce((a, r) => a + r.values, 0),
      by_source: x.redactedBy,
    },
    ...(x.probes ? { probes: x.probes } : {}),
  };
}

/** The bundle's files (besides the manifest, the envelope and SHA256SUMS), in the order the zip holds them. */
export interface BundleParts {
  verifyMd: Buffer;
  publicKeyPem: Buffer;
  events: DeflatedEntry;
  csv: DeflatedEntry;
  ocsf: DeflatedEntry | null;
  rejects: DeflatedEntry;
  completeness: Buffer;
  summaryHtml: Buffer;
  schema: Buffer;
  /** raw/<source>.jsonl of each source, then the files sources added. */
  sourceFiles: BundleFile[];
}

export function bundleFiles(x: BundleParts): BundleFile[] {
  const data = (name: string, d: Buffer): BundleFile => ({ name, data: d, sha256: sha256Hex(d) });
  const deflated = (name: string, d: DeflatedEntry): BundleFile => ({ name, deflated: d, sha256: d.sha256 });
  return [
    data(VERIFY_FILE, x.verifyMd),
    data(PUBLIC_KEY_FILE, x.publicKeyPem),
    deflated(EVENTS_FILE, x.events),
    deflated(CSV_FILE, x.csv),
    ...(x.ocsf ? [deflated(OCSF_FILE, x.ocsf)] : []),
    deflated(REJECTS_FILE, x.rejects),
    data(COMPLETENESS_FILE, x.completeness),
    data(SUMMARY_FILE, x.summaryHtml),
    data(SCHEMA_FILE, x.schema),
    ...x.sourceFiles,
  ];
}

/** SHA256SUMS, and the statement whose subjects are it and every file. */
export function buildStatement(
  files: BundleFile[],
  predicate: EvidencePredicate,
): { sums: Buffer; statement: Statement; manifest: Buffer } {
  const sums = Buffer.from(sumsText(files.map((f) => ({ name: f.name, digest: { sha256: f.sha256 } }))));
  const subjects: Subject[] = [
    { name: SUMS_FILE, digest: { sha256: sha256Hex(sums) } },
    ...files.map((f) => ({ name: f.name, digest: { sha256: f.sha256 } })),
  ];
  const statement: Statement = { _type: STATEMENT_TYPE, subject: subjects, predicateType: PREDICATE_TYPE, predicate };
  return { sums, statement, manifest: statementBytes(statement) };
}

/** The DSSE envelope over the manifest's bytes. */
export function signManifest(manifest: Buffer, key: SigningKey): Buffer {
  return Buffer.from(envelopeText(signEnvelope(manifest, key.privateKey, key.publicKey)));
}

/** Writes the zip: the manifest, the envelope and SHA256SUMS first, then the files. */
export async function writeBundleZip(
  path: string,
  parts: { manifest: Buffer; envelope: Buffer; sums: Buffer; files: BundleFile[] },
  now: Date,
): Promise<void> {
  await writeZip(
    path,
    [
      { name: MANIFEST_FILE, data: parts.manifest },
      { name: ENVELOPE_FILE, data: parts.envelope },
      { name: SUMS_FILE, data: parts.sums },
      ...parts.files.map(({ name, deflated, data }) => ({ name, deflated, data })),
    ],
    now,
  );
}
