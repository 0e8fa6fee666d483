// The contract between `collect` and the sources it reads. File sources are built in (see
// file-source.ts); live sources (databases, cloud APIs) register an opener into `liveSourceTypes`
// from src/live/, and collect treats both the same way: a stream of outcomes, then a result that
// says how the source was read and whether what was read is complete.
import type { DeflatedEntry } from '../bundle/deflated-file.js';
import type { Outcome } from '../pipeline/types.js';
import type { RunSummary } from '../pipeline/run.js';
import type { RosterEntry } from '../privilege/roster.js';
import type { Retention } from '../retention/types.js';

export interface SourceRunContext {
  /** Inclusive start of the evidence period. */
  since: Date;
  /** Exclusive end of the evidence period. */
  until: Date;
  /** Zone the user chose for the period (IANA name or offset), for sources that need one. */
  timezone?: string;
  /** Progress messages for the terminal (one line each, no trailing newline). */
  progress?: (msg: string) => void;
  /** Aborted when the run is interrupted; a source should stop pulling and end its outcomes. */
  signal?: AbortSignal;
  /**
   * A private folder for the run's temporary files (removed when the run ends, however it ends):
   * a source writes its extra bundle files there as it goes instead of holding them in memory.
   */
  workDir?: string;
}

export type { SourceStatus } from '../bundle/manifest.js';
import type { SourceStatus } from '../bundle/manifest.js';

export interface SourceResult {
  /**
   * complete: everything in the period was read; partial: some was read but not all (truncated,
   * retention too short, a page failed); failed: nothing usable was read; empty: read fully and
   * there was nothing in the period.
   */
  status: SourceStatus;
  /** Why the status is not 'complete' (one sentence), or null. */
  reason?: string | null;
  /** Where reading stopped (cursor, page token, last file position), for partial results. */
  lastPosition?: string | null;
  /** How the source was read, in words an auditor understands: files and globs, the query, the API filter. */
  how: string;
  /** Settings that were read and bear on completeness (audit configuration, retention), never secrets. */
  settings?: Record<string, unknown>;
  /**
   * Administrators the source enumerated itself (superusers, SUPER grants, ...), recorded in the
   * manifest. collect applies the configured roster to every event as it streams; entries a source
   * finds itself are known only after its outcomes, so the source applies them to its own events
   * (applyRoster) before yielding them.
   */
  roster?: RosterEntry[];
  /** How long the source keeps its records, as read from it (unknown with why when it cannot tell). */
  retention?: Retention | null;
  /** Non-fatal warnings to print and record. */
  warnings: string[];
  /**
   * Extra files for the bundle, named raw/<source>/… or integrity/<source>/… (per-object records,
   * integrity material such as CloudTrail digests and public keys). Listed in the manifest like every file.
   */
  files?: Array<{ name: string; data: Buffer } | { name: string; deflated: DeflatedEntry }>;
}

export interface SourceRun {
  /**
   * Outcomes of the source, one per raw record, in order. Events carry `source.instance` = the
   * configured source name. Outcomes must come from `normalizeOne` (src/pipeline/run.ts) or follow
   * its rules, and add their counts to the RunSummary given to the opener.
   */
  outcomes: AsyncIterable<Outcome>;
  /** Called after `outcomes` ended or threw; describes how the source was read. */
  result(): SourceResult;
}

/** A configured source: its config entry (validated against schemas/config.schema.json). */
export type SourceConfig = Record<string, unknown> & { name: string; type: string };

export type LiveSourceOpener = (cfg: SourceConfig, ctx: SourceRunContext, summary: RunSummary) => SourceRun;

/** Live source types by config `type` (postgres, mysql, gcp-logging, cloudtrail); src/live/ registers into it. */
export const liveSourceTypes: Map<string, LiveSourceOpener> = new Map();

/** Known live types, so that config validation can name them even before their code is loaded. */
export const LIVE_TYPES = [
  'postgres',
  'mysql',
  'gcp-logging',
  'cloudtrail',
  'cloudtrail-s3',
  'cloudwatch-logs',
  'bytebase',
] as const;
