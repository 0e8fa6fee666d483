// Progress for long reads in normalize and check: one overwriting line on stderr with the records
// and bytes read so far and the rate, shown only once a run has taken more than STARTUP_MS, only on
// a terminal, never in CI or when stderr is not a TTY (src/live/progress.ts decides; the
// AUDIT_EVIDENCE_PROGRESS=always|never override applies). The line is cleared before the summary.
import { progressEnabled, terminalProgress } from '../live/progress.js';

const STARTUP_MS = 1500;
const EVERY_MS = 250;

export class ReadProgress {
  private readonly sink: ((msg: string) => void) | undefined;
  private readonly started = Date.now();
  private last = 0;
  private shown = false;
  private records = 0;
  private bytes = 0;
  private pending = 0;

  constructor(
    private readonly label: string,
    stream: NodeJS.WriteStream = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
    private readonly startupMs = env.AUDIT_EVIDENCE_PROGRESS === 'always' ? 0 : STARTUP_MS,
  ) {
    this.sink = progressEnabled(stream, env) ? terminalProgress(stream, env) : undefined;
    this.stream = stream;
  }
  private readonly stream: NodeJS.WriteStream;

  /** Counts one record of `bytes` bytes (an estimate is fine: the UTF-16 length of its text; 0 when unknown). */
  record(bytes: number): void {
    if (!this.sink) return;
    this.records++;
    this.bytes += bytes;
    // Looking at the clock is cheap but not free: once every 256 records.
    if (++this.pending < 256) return;
    this.pending = 0;
    this.maybeShow();
  }

  private maybeShow(): void {
    const now = Date.now();
    const elapsed = now - this.started;
    if (elapsed < this.startupMs || now - this.last < EVERY_MS) return;
    this.last = now;
    this.shown = true;
    const secs = Math.max(elapsed / 1000, 0.001);
    const rate = `${Math.round(this.records / secs).toLocaleString('en')} records/s`;
    this.sink!(
      this.bytes > 0
        ? `${this.label}: ${this.records.toLocaleString('en')} records, ${mb(this.bytes)} read, ${rate} (${mb(this.bytes / secs)}/s)`
        : `${this.label}: ${this.records.toLocaleString('en')} records read, ${rate}`,
    );
  }

  /** Clears the line so the summary starts on a clean line. */
  done(): void {
    if (this.shown) this.stream.write('\r\x1b[2K');
  }
}

function mb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}
