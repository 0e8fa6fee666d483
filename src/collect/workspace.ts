// Where a run writes: the lock next to the target, the temporary zip next to it (reserved first,
// so that an unwritable target fails before a long pull), the private work folder, the leftovers
// of killed runs, and the rename of the finished zip into place. Stages of runCollect.
import { existsSync } from 'node:fs';
import { link, mkdtemp, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { DeflatedFile } from '../bundle/deflated-file.js';
import { CollectError } from './errors.js';
import type { TempFiles } from './temp-files.js';

/** What a run has put on disk, removed when it ends (however it ends). */
export interface Workspace {
  lock: string;
  /** The temporary zip next to the target ('' until reserved). */
  partial: string;
  /** The private work folder ('' until made). */
  work: string;
  /** The compressed temporary files, destroyed when the run ends. */
  outputs: DeflatedFile[];
}

/** Refuses an existing target without --force, then takes the target's lock. */
export async function openWorkspace(
  out: string,
  force: boolean,
  temps: TempFiles,
  say: (m: string) => void,
): Promise<Workspace> {
  if (!force && existsSync(out))
    throw new CollectError(
      `${out} already exists; collect never replaces a bundle silently (choose another --out, or use --force to replace it)`,
    );
  // One run per target: a second collect to the same --out stops here instead of racing the first.
  return { lock: await takeLock(out, temps, say), partial: '', work: '', outputs: [] };
}

/** Removes leftovers of killed runs, reserves the temporary zip and makes the work folder. */
export async function prepareWorkspace(
  ws: Workspace,
  out: string,
  temps: TempFiles,
  say: (m: string) => void,
): Promise<void> {
  const outDir = dirname(out);
  // Leftovers of runs that were killed (kill -9, a crash) are removed before this run adds its own.
  await removeStale(outDir, tmpdir(), say);
  ws.partial = join(outDir, `${PARTIAL_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  // Reserve the temporary file first: an unwritable target fails now, not after a long pull.
  try {
    await (await open(ws.partial, 'wx', 0o600)).close();
  } catch (e) {
    throw new CollectError(`cannot write the bundle in ${outDir}: ${errnoText(e)}`);
  }
  temps.add(ws.partial);
  ws.work = temps.add(await mkdtemp(join(tmpdir(), `${WORK_PREFIX}${process.pid}-`)));
}

/** Removes what the run left: temporary files, the work folder, the temporary zip (unless placed), the lock. */
export async function closeWorkspace(ws: Workspace, temps: TempFiles): Promise<void> {
  for (const f of ws.outputs) f.destroy();
  if (ws.work) {
    await rm(ws.work, { recursive: true, force: true });
    temps.keep(ws.work);
  }
  if (ws.partial) {
    await rm(ws.partial, { force: true });
    temps.keep(ws.partial);
  }
  await rm(ws.lock, { force: true });
  temps.keep(ws.lock);
}

/** Names of a run's temporary zip (next to the target) and work folder (in the temp dir): never a bundle's name. */
export const PARTIAL_PREFIX = '.audit-evidence-partial-';
export const WORK_PREFIX = 'audit-evidence-work-';

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'EACCES'
    ? 'permission denied'
    : err.code === 'ENOENT'
      ? 'no such folder'
      : err.code === 'EROFS'
        ? 'read-only file system'
        : (err.code ?? err.message);
}

/** Whether a process of this machine is running (a pid that no longer exists: false). */
function alive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file of a target: next to it, hidden. */
export function lockPath(out: string): string {
  return join(dirname(out), `.${basename(out)}.lock`);
}

async function takeLock(out: string, temps: TempFiles, say: (m: string) => void): Promise<string> {
  const path = lockPath(out);
  const body = `${JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString(), out })}\n`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, body, { flag: 'wx', mode: 0o644 });
      temps.add(path);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new CollectError(`cannot write the bundle in ${dirname(out)}: ${errnoText(e)}`);
    }
    let held: { pid?: number; host?: string; started?: string } = {};
    try {
      held = JSON.parse(await readFile(path, 'utf8'));
    } catch {
      /* unreadable or half-written: judged by its age below */
    }
    const sameHost = held.host === undefined || held.host === hostname();
    if (typeof held.pid === 'number' && sameHost && !alive(held.pid)) {
      say(`removing the stale lock ${path} of a collect run (pid ${held.pid}) that no longer runs`);
      await rm(path, { force: true });
      continue;
    }
    if (typeof held.pid !== 'number') {
      // A lock without a pid is one being written right now, or the debris of a crash long ago.
      const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 60_000) {
        await rm(path, { force: true });
        continue;
      }
    }
    throw new CollectError(
      `another collect${typeof held.pid === 'number' ? ` (pid ${held.pid}${sameHost ? '' : ` on ${held.host}`}${held.started ? `, started ${held.started}` : ''})` : ''} is writing ${out}: wait for it to end (its lock file is ${path}${sameHost ? '' : '; remove it if that run is gone'})`,
    );
  }
  throw new CollectError(`another collect is writing ${out} (its lock file is ${path})`);
}

/** Removes temporary zips and work folders of collect runs that no longer run (killed, crashed). */
async function removeStale(outDir: string, tmp: string, say: (m: string) => void): Promise<void> {
  const sweep = async (dir: string, match: (name: string) => number | null) => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const pid = match(n);
      if (pid === null || alive(pid)) continue;
      await rm(join(dir, n), { recursive: true, force: true }).then(
        () => say(`removed ${join(dir, n)}, left by a collect run (pid ${pid}) that was stopped`),
        () => undefined,
      );
    }
  };
  const num = (m: RegExpExecArray | null) => (m ? Number(m[1]) : null);
  await sweep(
    outDir,
    (n) => num(/^\.audit-evidence-partial-(\d+)-[0-9a-f]+$/.exec(n)) ?? num(/^\..+\.(\d+)\.partial$/.exec(n)),
  );
  await sweep(tmp, (n) => num(/^audit-evidence-work-(\d+)-\w+$/.exec(n)));
}

/** Moves the finished zip into place; without force an existing file (one that appeared meanwhile) is never replaced. */
export async function placeBundle(partial: string, out: string, force: boolean): Promise<void> {
  if (force) {
    await rename(partial, out);
    return;
  }
  try {
    await link(partial, out);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new CollectError(
        `${out} appeared while this run was collecting; not replacing it (use --force to replace it)`,
      );
    // File systems without hard links: check, then rename (a small window, but never a silent overwrite of what was there at the check).
    if (existsSync(out))
      throw new CollectError(
        `${out} appeared while this run was collecting; not replacing it (use --force to replace it)`,
      );
    await rename(partial, out);
    return;
  }
  await rm(partial, { force: true });
}
