// Pacing and retry for API pulls. Cloud audit APIs have hard request-rate limits (CloudTrail
// LookupEvents: 2 requests per second per account and region) and transient failures (throttling,
// UNAVAILABLE): a pull paces itself below the limit and retries transient errors with capped,
// jittered exponential backoff, reporting each retry so the bundle says the pull was bumpy.
import type { LiveResult, ProgressLine } from './progress.js';

/** Spaces calls at least `1000 / perSecond` ms apart. */
export class Pacer {
  private next = 0;
  constructor(
    readonly perSecond: number,
    private readonly sleepFn: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
  ) {}

  async wait(signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.perSecond;
    if (at > now) await this.sleepFn(at - now, signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(): Error {
  const e = new Error('the pull was interrupted');
  e.name = 'AbortError';
  return e;
}

export interface RetryPolicy {
  /** Attempts in all, including the first. */
  attempts: number;
  /** First delay in ms; doubles on each retry, capped at maxDelayMs, with up to 25% jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 16_000 };

/** Delay before retry number `n` (1-based). */
export function backoffDelay(n: number, p: RetryPolicy, random: () => number = Math.random): number {
  const d = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (n - 1));
  return Math.round(d * (1 - 0.25 * random()));
}

/**
 * Runs `fn`, retrying while `transient(error)` says the error is worth retrying. `onRetry` hears of
 * each retry (to count and report it). The last error is rethrown when the attempts run out.
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  transient: (e: unknown) => string | null,
  onRetry: (what: string, attempt: number, delayMs: number) => void,
  policy: RetryPolicy = DEFAULT_RETRY,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const what = transient(e);
      if (what === null || attempt >= policy.attempts || signal?.aborted) throw e;
      const delay = backoffDelay(attempt, policy);
      onRetry(what, attempt, delay);
      await sleep(delay, signal);
    }
  }
}

/** AWS error names that mean "try again later" (throttling, a service hiccup, a timeout), across the SDK clients the live sources use. */
const AWS_TRANSIENT = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
  'InternalServerError',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/**
 * Why an AWS SDK error is worth retrying (its name, `HTTP 429`/`HTTP 5xx`, or a socket code), or null
 * when it is final (access denied, a bad request). `extraCodes` adds socket codes one source also
 * retries (S3 reads retry ECONNREFUSED mid-listing; the API sources fail fast on a wrong endpoint).
 */
export function awsTransient(e: unknown, extraCodes: readonly string[] = []): string | null {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number }; code?: string };
  if (err.name && AWS_TRANSIENT.has(err.name)) return err.name;
  const status = err.$metadata?.httpStatusCode;
  if (status !== undefined && (status === 429 || status >= 500)) return `HTTP ${status}`;
  if (err.code && (err.code === 'ECONNRESET' || err.code === 'ETIMEDOUT' || extraCodes.includes(err.code)))
    return err.code;
  return null;
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
