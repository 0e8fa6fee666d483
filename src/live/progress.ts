// Progress and result bookkeeping shared by the live sources: a throttled progress line, and the
// rules that turn "what was read" and "what went wrong" into a SourceResult status. Keeping those
// rules in one place is what makes 'empty' and 'failed' mean the same thing for every source.
import type { SourceResult, SourceRunContext, SourceStatus } from '../collect/source.js';
import type { RosterEntry } from '../privilege/roster.js';
import type { Outcome } from '../pipeline/types.js';
import { OUTSIDE_WINDOW } from '../pipeline/run.js';
import type { Retention } from '../retention/types.js';

/**
 * Whether live sources report progress: on a terminal, never in CI or when stderr is not a TTY (a
 * log full of progress lines helps nobody). AUDIT_EVIDENCE_PROGRESS=always|never overrides.
 */
export function progressEnabled(
  stream: { isTTY?: boolean } = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  const o = env.AUDIT_EVIDENCE_PROGRESS;
  if (o === 'always') return true;
  if (o === 'never') return false;
  return !!stream.isTTY && env.CI !== 'true' && env.CI !== '1';
}

/** A progress line for one live source: throttled, and silent unless progress is enabled and the context takes it. */
export class ProgressLine {
  private last = 0;
  private readonly sink: ((msg: string) => void) | undefined;
  constructor(
    private readonly name: string,
    sink: ((msg: string) => void) | undefined,
    private readonly everyMs = 250,
  ) {
    this.sink = progressEnabled() ? sink : undefined;
  }

  /** Reports `msg`; skipped when the previous line was less than `everyMs` ago, unless `force`. */
  update(msg: string, force = false): void {
    if (!this.sink) return;
    const now = Date.now();
    if (!force && now - this.last < this.everyMs) return;
    this.last = now;
    this.sink(`${this.name}: ${msg}`);
  }
}

/**
 * A progress sink that writes one overwriting line to stderr, only on a terminal and never in CI
 * (a log file full of carriage returns helps nobody). Returns undefined when progress is off.
 */
export function terminalProgress(
  stream: NodeJS.WriteStream = process.stderr,
  env: NodeJS.ProcessEnv = process.env,
): ((msg: string) => void) | undefined {
  if (!progressEnabled(stream, env)) return undefined;
  return (msg: string) => {
    const width = Math.max(20, (stream.columns ?? 100) - 1);
    stream.write(`\r\x1b[2K${msg.length > width ? msg.slice(0, width - 1) + '…' : msg}`);
  };
}

/**
 * Accumulates what a live source learns while it runs and decides its status at the end:
 * failed = an error before anything was read; partial = an error after something was read;
 * empty = read to the end and nothing was there; complete = read to the end.
 */
export class LiveResult {
  how = '';
  settings: Record<string, unknown> = {};
  roster: RosterEntry[] = [];
  /** How long the source keeps its records (read from its settings), when the source can tell. */
  retention: Retention | null = null;
  warnings: string[] = [];
  /** Raw records (or API entries) read so far. */
  records = 0;
  /** Of those, the ones that were not skipped as outside the period (events, rejects, other skips). */
  inPeriod = 0;
  /** Where reading is now (file and byte offset, page number and token, ...). */
  position: string | null = null;
  private error: string | null = null;
  private finished = false;
  /** Set when something was read that counts as progress even without records (a page, a file). */
  touched = false;

  warn(msg: string): void {
    if (!this.warnings.includes(msg)) this.warnings.push(msg);
  }
  fail(reason: string): void {
    if (this.error === null) this.error = reason;
  }
  done(): void {
    this.finished = true;
  }
  get failedReason(): string | null {
    return this.error;
  }

  /** Counts one outcome of the source. */
  count(o: Outcome): void {
    this.records++;
    if (!(o.kind === 'skip' && o.reason === OUTSIDE_WINDOW)) this.inPeriod++;
  }

  status(): SourceStatus {
    if (this.error !== null) return this.records > 0 || this.touched ? 'partial' : 'failed';
    if (!this.finished) return 'partial';
    return this.inPeriod === 0 ? 'empty' : 'complete';
  }

  result(): SourceResult {
    const status = this.status();
    let reason: string | null = null;
    if (this.error !== null) reason = this.error;
    else if (!this.finished) reason = 'the pull was stopped before it reached the end';
    else if (status === 'empty') reason = 'the source was read to the end and held no records in the period';
    return {
      status,
      reason,
      lastPosition: status === 'partial' || status === 'failed' ? this.position : null,
      how: this.how,
      settings: this.settings,
      roster: this.roster,
      retention: this.retention,
      warnings: this.warnings,
    };
  }
}

export type { SourceRunContext };
