// Multi-core normalize: several input files at once in worker threads, output in the same order
// and bytes as the sequential run. Each worker normalizes whole files (one at a time) and writes the
// formatted rows of each file to its own temp file; the main thread copies the temp files to the
// real output strictly in input order, as soon as the next one is done, while later files are
// still being normalized. Memory stays bounded (rows go to disk, not to queues); the counts of
// each file come back as its InputSummary and are merged into the same RunSummary; the first
// failing file stops the run at the same place, with the same error, as the sequential run.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { tmpdir } from 'node:os';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from './input.js';
import { DetectionError } from './detect.js';
import { UsageError, emptySummary, normalizeInputBatches, rejectLine } from './run.js';
import type { RunOptions, RunSummary } from './run.js';
import type { AdapterCatalog } from './types.js';
import { TextWriter } from '../export/writer.js';
import { EventFormatter, type OutputKind } from '../export/format.js';
import { rejectToJsonLine } from '../export/rejects.js';
import { policyAdditions } from '../redact/policy.js';
import { stat } from 'node:fs/promises';
import { mergeSummary } from './merge.js';
import {
  normalizeBlock,
  normalizeSplit,
  splitAskedForAuto,
  splitPlan,
  type BlockTask,
  type SplitPlan,
} from './split.js';

export interface ParallelOptions {
  /** Workers wanted; the run uses min(jobs, files, cores). */
  jobs: number;
  output: OutputKind;
  /** Receives the counts of events a worker could not write in `output` (OCSF: no timestamp). */
  formatter?: EventFormatter;
  /** Whether rejected records are written (to `sinks.rejects`). */
  rejects: boolean;
  /** How many reject descriptions (`rejectLine`) to return for display. */
  showRejects: number;
}

export interface ParallelSinks {
  out: TextWriter;
  rejects: TextWriter | null;
}

/** Number of workers a run with `jobs` over `files` inputs uses. */
export function workerCount(jobs: number, files: number): number {
  return Math.max(1, Math.min(jobs, files, availableParallelism()));
}

/** Reads a --jobs value: a whole number >= 1, or 'auto' (one per core); null when invalid. */
export function parseJobs(value: string): number | null {
  if (value === 'auto') return availableParallelism();
  return /^[1-9][0-9]*$/.test(value) ? Number(value) : null;
}

/** Whether a list of inputs can be normalized in parallel (several files, none of them stdin). */
export function canRunParallel(jobs: number, files: string[]): boolean {
  return workerCount(jobs, files.length) > 1 && !files.includes('-');
}

/**
 * With --jobs auto (the default), several files go to workers only when together they are at least
 * this large: below it, starting the workers (each loads the tool and compiles the schema) costs
 * more than it saves. An explicit --jobs N uses workers whenever there are several files.
 */
export const AUTO_FILES_MIN_BYTES = 8 * 1024 * 1024;

export type ParallelPlan = { kind: 'split'; plan: SplitPlan } | { kind: 'files' } | { kind: 'sequential' };

/**
 * How a run over `files` uses the cores: one large plain JSON Lines file is split into blocks
 * (split.ts) with an explicit --jobs N; several files are read one per worker; small inputs and
 * stdin stay on this thread.
 *
 * --jobs auto (the default) does not split one file unless AUDIT_EVIDENCE_SPLIT_MIN_BYTES is set:
 * on the 2-core benchmark machine the split took 0.84-1.05x the wall time of one thread for about
 * 1.5x its CPU and 2.5x its memory (the main thread's reading, cutting and copying of blocks and
 * the workers' start-up eat what the second core gives), so a default that spends 50% more CPU for
 * no time saved is the wrong default.
 */
export async function planParallel(
  files: string[],
  format: string,
  adapters: AdapterCatalog,
  jobs: number,
  auto: boolean,
): Promise<ParallelPlan> {
  if (files.includes('-') || Math.min(jobs, availableParallelism()) < 2) return { kind: 'sequential' };
  if (files.length === 1) {
    if (auto && !splitAskedForAuto()) return { kind: 'sequential' };
    const plan = await splitPlan(files[0]!, format, adapters);
    return plan ? { kind: 'split', plan } : { kind: 'sequential' };
  }
  if (!canRunParallel(jobs, files)) return { kind: 'sequential' };
  if (auto) {
    let total = 0;
    for (const f of files) {
      try {
        total += (await stat(f)).size;
      } catch {
        /* the run names it as failed */
      }
      if (total >= AUTO_FILES_MIN_BYTES) break;
    }
    if (total < AUTO_FILES_MIN_BYTES) return { kind: 'sequential' };
  }
  return { kind: 'files' };
}

function setupOf(run: RunOptions, opts: ParallelOptions): WorkerSetup {
  return {
    auditEvidenceNormalizeWorker: true,
    // redact: plain settings (a Policy holds RegExps and a Set, which do not cross to a worker intact;
    // the worker makes its own policy from the settings). A Policy was dropped here before, so a library
    // caller's extra names and `parameters: all` did not reach the workers and their secrets were kept.
    run: {
      format: run.format,
      options: run.options,
      since: run.since ?? null,
      until: run.until ?? null,
      redact: run.redact ? ('extraNames' in run.redact ? policyAdditions(run.redact) : run.redact) : null,
    },
    catalog: run.adapters.module,
    output: opts.output,
    rejects: opts.rejects,
    showRejects: opts.showRejects,
  };
}

/** normalizeSplit with this module's workers. */
export async function normalizeOneFileParallel(
  path: string,
  plan: SplitPlan,
  run: RunOptions,
  opts: ParallelOptions,
  sinks: ParallelSinks,
  summary: RunSummary,
): Promise<string[]> {
  const setup = setupOf(run, opts);
  return normalizeSplit(
    path,
    plan,
    run,
    {
      jobs: opts.jobs,
      output: opts.output,
      formatter: opts.formatter,
      rejects: opts.rejects,
      showRejects: opts.showRejects,
      startWorker: () => new Worker(new URL(import.meta.url), { workerData: setup }),
    },
    sinks,
    summary,
  );
}

interface WorkerSetup {
  auditEvidenceNormalizeWorker: true;
  run: Pick<RunOptions, 'format' | 'options' | 'since' | 'until' | 'redact'>;
  /** URL of the module exporting the run's AdapterCatalog as `catalog` (functions do not cross to a worker). */
  catalog: string;
  output: OutputKind;
  rejects: boolean;
  showRejects: number;
}

interface FileTask {
  index: number;
  path: string;
  outPath: string;
  rejPath: string | null;
}

interface SerializedError {
  name: string;
  message: string;
  code?: string;
  path?: string;
}

interface FileDone {
  index: number;
  info: { input: string; format: string; how: 'named' | 'detected' } | null;
  summary: RunSummary;
  rejectLines: string[];
  notExported: Array<[string, number]>;
  notExportedIds: string[];
  error: SerializedError | null;
}

/**
 * Normalizes `files` on up to `opts.jobs` worker threads, writing rows to `sinks` in input order
 * and merging counts into `summary`. Returns the first `opts.showRejects` reject descriptions.
 * `run.onInput` is called for each input in order, just before its rows are written.
 */
export async function normalizeParallel(
  files: string[],
  run: RunOptions,
  opts: ParallelOptions,
  sinks: ParallelSinks,
  summary: RunSummary,
): Promise<string[]> {
  const n = workerCount(opts.jobs, files.length);
  const dir = await mkdtemp(join(tmpdir(), 'audit-evidence-jobs-'));
  const setup = setupOf(run, opts);
  const pending = pendingFiles(files.length);
  const taskOf = (i: number): FileTask => ({
    index: i,
    path: files[i]!,
    outPath: join(dir, `${i}.out`),
    rejPath: opts.rejects ? join(dir, `${i}.rej`) : null,
  });
  const startWorker = () => new Worker(new URL(import.meta.url), { workerData: setup });
  const workers = startFileWorkers(n, files, startWorker, taskOf, pending);

  const shown: string[] = [];
  try {
    for (let i = 0; i < files.length; i++) {
      const d = await pending.done[i]!;
      if (d.info) run.onInput?.(d.info);
      await writeFileDone(d, taskOf(i), opts, sinks, summary, shown);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    await rm(dir, { recursive: true, force: true });
  }
  return shown;
}

/** One promise per file, resolved when a worker has finished it. */
interface PendingFiles {
  done: Array<Promise<FileDone>>;
  settle: Array<(d: FileDone) => void>;
  fail: Array<(e: Error) => void>;
}

function pendingFiles(count: number): PendingFiles {
  const settle: Array<(d: FileDone) => void> = [];
  const fail: Array<(e: Error) => void> = [];
  const done = Array.from(
    { length: count },
    (_, i) =>
      new Promise<FileDone>((res, rej) => {
        settle[i] = res;
        fail[i] = rej;
      }),
  );
  for (const p of done) p.catch(() => undefined); // rejections are awaited in order by normalizeParallel
  return { done, settle, fail };
}

/**
 * Starts `n` workers, each given the next file's task when it finishes one (and stopped when none
 * is left); a file's promise in `pending` settles with its result, or fails with a worker's error
 * (which also fails the files not yet given out).
 */
function startFileWorkers(
  n: number,
  files: string[],
  startWorker: () => Worker,
  taskOf: (i: number) => FileTask,
  pending: PendingFiles,
): Worker[] {
  const { settle, fail } = pending;
  let nextTask = 0;
  const workers: Worker[] = [];
  const feed = (w: Worker, current: { index: number }) => {
    if (nextTask < files.length) {
      current.index = nextTask;
      w.postMessage(taskOf(nextTask++));
    } else {
      current.index = -1;
      void w.terminate();
    }
  };
  for (let k = 0; k < n; k++) {
    const w = startWorker();
    const current = { index: -1 };
    w.on('message', (d: FileDone) => {
      settle[d.index]!(d);
      feed(w, current);
    });
    w.on('error', (e) => {
      if (current.index >= 0) fail[current.index]!(e);
      for (let i = nextTask; i < files.length; i++) fail[i]!(e);
      nextTask = files.length;
    });
    w.on('exit', (code) => {
      if (current.index >= 0)
        fail[current.index]!(
          new Error(`a normalize worker stopped (exit code ${code}) while reading ${files[current.index]}`),
        );
    });
    workers.push(w);
    feed(w, current);
  }
  return workers;
}

/**
 * Copies one finished file's temp output to `sinks` (and removes it), adds its counts, reject
 * descriptions and not-exported counts; throws the file's error as the sequential run would.
 */
async function writeFileDone(
  d: FileDone,
  t: FileTask,
  opts: ParallelOptions,
  sinks: ParallelSinks,
  summary: RunSummary,
  shown: string[],
): Promise<void> {
  await copyInto(t.outPath, sinks.out);
  if (sinks.rejects && t.rejPath) await copyInto(t.rejPath, sinks.rejects);
  await rm(t.outPath, { force: true });
  if (t.rejPath) await rm(t.rejPath, { force: true });
  mergeSummary(summary, d.summary);
  for (const l of d.rejectLines) if (shown.length < opts.showRejects) shown.push(l);
  for (const [reason, count] of d.notExported) opts.formatter?.addNotExported(reason, count, d.notExportedIds);
  if (d.error) throw revive(d.error);
}

async function copyInto(path: string, sink: TextWriter): Promise<void> {
  let stream;
  try {
    // Bytes as they are (the worker wrote them as UTF-8): no decode and re-encode on this thread.
    stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
    for await (const chunk of stream) await sink.writeBytes(chunk as Buffer);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // the file failed before writing anything
    throw e;
  }
}

function serialize(e: unknown): SerializedError {
  const err = e as NodeJS.ErrnoException;
  return { name: err?.name ?? 'Error', message: err?.message ?? String(e), code: err?.code, path: err?.path };
}

/** Rebuilds a worker's error as the class the sequential run would have thrown. */
function revive(s: SerializedError): Error {
  if (s.name === 'InputError') return new InputError(s.message);
  if (s.name === 'DetectionError') return new DetectionError(s.message);
  if (s.name === 'UsageError') return new UsageError(s.message);
  const e = new Error(s.message) as NodeJS.ErrnoException;
  e.name = s.name;
  if (s.code) e.code = s.code;
  if (s.path) e.path = s.path;
  return e;
}

// ---------------------------------------------------------------------------------------------
// The worker: normalizes one file per task, rows to the task's temp files.

let workerCatalog: Promise<AdapterCatalog> | null = null;

/** The worker's adapters, imported once from the module the main thread named. */
function catalogOf(setup: WorkerSetup): Promise<AdapterCatalog> {
  workerCatalog ??= import(setup.catalog).then((m: { catalog: AdapterCatalog }) => m.catalog);
  return workerCatalog;
}

async function normalizeTask(setup: WorkerSetup, t: FileTask): Promise<FileDone> {
  const summary = emptySummary();
  const rejectLines: string[] = [];
  let info: FileDone['info'] = null;
  let error: SerializedError | null = null;
  const out = new TextWriter(createWriteStream(t.outPath));
  const rej = t.rejPath ? new TextWriter(createWriteStream(t.rejPath)) : null;
  const formatter = new EventFormatter(setup.output);
  try {
    const run: RunOptions = {
      ...setup.run,
      adapters: await catalogOf(setup),
      onInput: (i) => {
        info = i;
      },
    };
    for await (const batch of normalizeInputBatches([t.path], run, summary)) {
      for (const o of batch) {
        if (o.kind === 'event') out.add(formatter.format(o.event));
        else if (o.kind === 'reject') {
          rej?.add(rejectToJsonLine(o));
          if (rejectLines.length < setup.showRejects) rejectLines.push(rejectLine(o));
        }
      }
      if (out.full()) await out.flush();
      if (rej?.full()) await rej.flush();
    }
  } catch (e) {
    error = serialize(e);
  } finally {
    await out.end();
    await rej?.end();
  }
  return {
    index: t.index,
    info,
    summary,
    rejectLines,
    notExported: [...formatter.notExported],
    notExportedIds: formatter.notExportedIds,
    error,
  };
}

if (!isMainThread && parentPort && (workerData as WorkerSetup | null)?.auditEvidenceNormalizeWorker) {
  const setup = workerData as WorkerSetup;
  const port = parentPort;
  // Tasks arrive one at a time (the main thread sends the next when this one is done).
  port.on('message', (m: FileTask | BlockTask) => {
    if ('kind' in m) {
      catalogOf(setup)
        .then((adapters) => normalizeBlock(setup, m, adapters))
        .then(
          (d) => {
            // The output buffers (each owns its memory: allocUnsafeSlow) are moved, not copied.
            const own = [...d.out, ...d.rej].map((b) => b.buffer as ArrayBuffer);
            port.postMessage(d, own);
          },
          (e) => {
            throw e;
          },
        );
      return;
    }
    const t = m;
    normalizeTask(setup, t).then(
      (d) => port.postMessage(d),
      (e) =>
        port.postMessage({
          index: t.index,
          info: null,
          summary: emptySummary(),
          rejectLines: [],
          notExported: [],
          notExportedIds: [],
          error: serialize(e),
        } satisfies FileDone),
    );
  });
}
