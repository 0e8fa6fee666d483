// What the AWS live sources (cloudtrail, cloudtrail-s3, cloudwatch-logs) set up the same way: each
// SDK client's settings (region, a named profile or else the standard credential chain, an endpoint
// override, retries left to us so that each is paced, counted and reported), and the count of
// transient errors retried, reported in the source's result.
import type { LiveResult, ProgressLine } from './progress.js';

/** The settings of an AWS SDK client, as the live sources pass them. */
export interface AwsClientSettings {
  region: string;
  maxAttempts?: number;
  profile?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
}

/**
 * One client's settings: `profile` when named (else the SDK's standard chain), `endpoint` when
 * overridden (`pathStyle`: path-style addressing for S3-compatible stores), `maxAttempts` when
 * given (1 where the retries are ours).
 */
export function awsClientSettings(
  region: string,
  profile: string | undefined,
  endpoint: string | undefined,
  o: { maxAttempts?: number; pathStyle?: boolean } = {},
): AwsClientSettings {
  return {
    region,
    ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
    ...(profile ? { profile } : {}),
    ...(endpoint ? { endpoint, ...(o.pathStyle ? { forcePathStyle: true } : {}) } : {}),
  };
}

/** How the credentials are found, for the result's settings. */
export function credentialsSetting(profile: string | undefined): string {
  return profile ? `profile ${profile}` : 'standard AWS credential chain';
}

/** Transient errors retried, by kind: counted, shown on the progress line, and reported at the end. */
export class RetryCount {
  readonly counts: Record<string, number> = {};
  /** `note` follows each progress message (e.g. the pacing). */
  constructor(
    private readonly progress: ProgressLine,
    private readonly note = '',
  ) {}

  /** A withRetry callback for requests about `where`. */
  on(where: string): (what: string, attempt: number, delay: number) => void {
    return (what, attempt, delay) => {
      this.add(what);
      this.progress.update(`${where}: ${what}, retry ${attempt} in ${delay} ms${this.note}`, true);
    };
  }

  add(what: string): void {
    this.counts[what] = (this.counts[what] ?? 0) + 1;
  }

  /** Into the result: settings.retries and a warning that the pull was bumpy (nothing when none). */
  report(res: LiveResult): void {
    if (Object.keys(this.counts).length === 0) return;
    res.settings.retries = this.counts;
    res.warn(
      `transient errors were retried with backoff: ${Object.entries(this.counts)
        .map(([k, v]) => `${v} × ${k}`)
        .join(', ')}`,
    );
  }
}
