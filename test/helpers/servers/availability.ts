// Whether the throwaway database servers can run here, and what to do when they cannot: in CI the
// database tests must fail (a green run that skipped them would hide a missing install step); on a
// developer machine without the packages they skip with a message that says how to install them.
import { existsSync } from 'node:fs';

export const INSTALL_HINT = 'apt-get install postgresql-15-pgaudit mariadb-server';

export function inCI(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

export interface Availability {
  ok: boolean;
  why: string;
}

export function checkFiles(what: string, files: string[]): Availability {
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length === 0) return { ok: true, why: '' };
  return { ok: false, why: `${what} tests need ${missing.join(', ')}; install with: ${INSTALL_HINT}` };
}

/**
 * Decides whether a server-backed test file runs. Returns true to run; on a developer machine
 * without the packages, prints the reason and returns false (skip); in CI it throws.
 */
export function shouldRun(a: Availability): boolean {
  if (a.ok) return true;
  if (inCI()) throw new Error(`CI=true but ${a.why}`);
  console.warn(`skipping: ${a.why}`);
  return false;
}
