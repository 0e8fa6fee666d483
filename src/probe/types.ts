// Types of the logging probe: a harmless administrator action per category, tagged with a random
// nonce, performed on a live source on purpose, then looked for in that source's own log. The
// result is what an auditor asks for beyond "logging is enabled": proof that an admin action of
// each kind reaches the log with its four fields, and how long it took.
import type { Category } from '../event/build.js';
import type { AuditEvent } from '../event/types.generated.js';

/** The `probe` section of a live source's configuration (opt-in: no section, no probe). */
export interface ProbeConfig {
  /** The dedicated login the probe acts as (PostgreSQL, MySQL: it creates and drops roles named
   *  ae_probe_*; Bytebase: the probe account's email). */
  user?: string;
  /** Environment variable with that login's password. */
  password_env?: string;
  /** Seconds to wait for each action to appear in the log (default 30; AWS 900, GCP 300). */
  wait?: number;
  /** Seconds between reads of the log while waiting (default 1; AWS 30, GCP 10). */
  poll?: number;
  /** Bytebase: API base URL for the probe's calls (default: the source's url). */
  url?: string;
  /** Bytebase: token the probe calls with when it does not sign in (default: the source's token_env). */
  token_env?: string;
  /** AWS: name of the dedicated IAM role the probe tags and gives a deny-all inline policy. */
  iam_role?: string;
  /** AWS: IAM endpoint (tests, private endpoints; default: the source's iam_endpoint, else AWS). */
  iam_endpoint?: string;
  /** GCP: name of the dedicated Cloud Storage bucket the probe labels. */
  bucket?: string;
  /** GCP: Cloud Storage JSON API endpoint (tests, private endpoints). */
  storage_endpoint?: string;
}

export type ProbeStatus = 'found' | 'not_found' | 'not_probed' | 'failed';

/** What the found event says: its id and the four fields. */
export interface ProbeEvent {
  id: string;
  record_id: string | null;
  timestamp: string | null;
  user: string | null;
  action: string | null;
  resource: string | null;
  outcome: string;
}

export interface ProbeResult {
  category: Category;
  /** Which probe of the category (e.g. 'login', 'failed login'). */
  name: string;
  /** The statement or call performed, with the nonce (never a secret). */
  action: string | null;
  performed_at: string | null;
  status: ProbeStatus;
  event: ProbeEvent | null;
  /** Milliseconds from the action to the moment the probe saw it in the log. */
  delay_ms: number | null;
  /** Seconds waited before giving up (not_found). */
  waited_s: number | null;
  /** Why not found / not probed / failed, in one sentence. */
  reason: string | null;
  /** The setting that most likely keeps the action out of the log (not_found). */
  likely_setting: string | null;
}

export interface SourceProbeReport {
  source: string;
  type: string;
  nonce: string;
  /** The login the probe acted as. */
  role: string;
  started_at: string;
  finished_at: string;
  results: ProbeResult[];
  /** Objects the probe created and dropped, and leftovers of an earlier run it removed. */
  cleanup: { dropped: string[]; leftovers_removed: string[]; errors: string[] };
  /** How many times the log was read while waiting. */
  reads: number;
}

/** One planned action: what to do, and how to recognize its event. */
export interface PlannedProbe {
  category: Category;
  name: string;
  action: string | null;
  performed_at: Date | null;
  /** Set when the action could not be performed (the probe result is `failed`). */
  error?: string | null;
  /** Set when the source cannot express the category harmlessly (`not_probed`). */
  notProbed?: string | null;
  /** Whether this event (and its raw record's text, as the log wrote it) is the action's. */
  matches(e: AuditEvent, raw: string): boolean;
  likely_setting: string;
}

export const PROBE_PREFIX = 'ae_probe_';
