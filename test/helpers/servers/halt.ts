// Stops a throwaway server process once: the server's own shutdown signal first (PostgreSQL:
// SIGINT, fast shutdown; MariaDB: SIGTERM), SIGKILL after 10 s. Every call returns the same promise.
import type { ChildProcess } from 'node:child_process';

export function haltOnce(c: ChildProcess, signal: NodeJS.Signals): () => Promise<void> {
  let halted: Promise<void> | null = null;
  return () => {
    halted ??= new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) {
        resolve();
        return;
      }
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.kill(signal);
    });
    return halted;
  };
}
