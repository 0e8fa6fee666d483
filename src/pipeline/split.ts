// One large file on every core: the file is cut into blocks at record boundaries and the blocks are
// normalized on worker threads, the output written strictly in file order, byte for byte what the
// sequential run writes (events, their ids and locations, rejects, counts and notes).
//
// Which files: plain (not gzip) JSON Lines of a format whose adapter maps each record on its own
// (SPLITTABLE below). A boundary is a newline followed by '{' at column 0: there the sequential
// framer is between two top-level records. The main thread reads the file, cuts it there, counts
// the newlines and the '{' lines of each block (a fast memchr pass) and gives each block its
// starting line, byte offset and record index, so that a worker's locations (and so the event ids,
// which hash them) are the sequential run's.
//
// Speculation, checked: a block's record index assumes one record per '{' line, no damage and no
// array. The worker checks what its framer actually produced; a block where that does not hold
// (damage, an array, two records on a line, a read error) is "unclean": the blocks before it are
// kept, and the rest of the file is read by the sequential pipeline from the start of the file,
// writing only the records from that block on. The result is always the sequential run's; damaged
// files only lose the speed-up.
//
// Not split (each read by one thread, as before): gzip (a deflate stream cannot be entered in the
// middle), line formats whose adapters keep state across records (pgaudit stderr and csvlog join
// lines and correlate errors; MariaDB folds a connection's records and finds duplicates across the
// file; CSV quoting can hide a newline), and wrapper/array JSON files.
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { detectFormat } from './detect.js';
import { HEAD_BYTES } from './input.js';
import { normalizeInputs, normalizeOneBatches, resolveAdapter, emptySummary, rejectLine } from './run.js';
import type { InputSummary, RunOptions, RunSummary } from './run.js';
import type { AdapterCatalog, FormatAdapter, InputSource, RawRecord } from './types.js';
import type { TextWriter } from '../export/writer.js';
import { EventFormatter, type OutputKind } from '../export/format.js';
import { rejectToJsonLine } from '../export/rejects.js';
import { mergeSummary } from './merge.js';

/** Formats whose adapters map each record alone (no state across records but deduplicated notes). */
export const SPLITTABLE = new Set(['cloudtrail']);

const envNumber = (name: string, dflt: number): number => {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : dflt;
};
/** A file smaller than this is read by one thread (worker start-up would cost more than it saves). */
export const splitMinBytes = (): number => envNumber('AUDIT_EVIDENCE_SPLIT_MIN_BYTES', 32 * 1024 * 1024);
/** Whether the one-file split was asked for under --jobs auto: by setting AUDIT_EVIDENCE_SPLIT_MIN_BYTES (see planParallel). */
export const splitAskedForAuto = (): boolean => process.env.AUDIT_EVIDENCE_SPLIT_MIN_BYTES !== undefined;
/** Bytes per block (a block is cut at the last record boundary before this size). */
export const blockBytes = (): number => envNumber('AUDIT_EVIDENCE_BLOCK_BYTES', 4 * 1024 * 1024);
/** A block that finds no boundary within this many bytes ends the split (the rest is read sequentially). */
const MAX_BLOCK_FACTOR = 8;

export interface SplitPlan {
  adapter: FormatAdapter;
  how: 'named' | 'detected';
  head: Buffer;
  size: number;
}

/** Whether `path` is one large plain JSON Lines file of a splittable format; how to read it if so. */
export async function splitPlan(
  path: string,
  format: string,
  adapters: AdapterCatalog,
  minBytes = splitMinBytes(),
): Promise<SplitPlan | null> {
  if (path === '-') return null;
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size < minBytes) return null;
    const buf = Buffer.alloc(Math.min(HEAD_BYTES, st.size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const raw = buf.subarray(0, bytesRead);
    if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) return null; // gzip
    const bom = raw.length >= 3 && raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 3 : 0;
    const head = raw.subarray(bom);
    if (head[0] !== 0x7b) return null; // JSON Lines start with an object ('[' arrays, wrappers over lines: not split)
    let adapter: FormatAdapter | null;
    try {
      adapter = resolveAdapter(format, adapters) ?? detectFormat({ name: path, head }, adapters).adapter;
    } catch {
      return null;
    }
    if (!SPLITTABLE.has(adapter.id)) return null;
    return { adapter, how: format === 'auto' ? 'detected' : 'named', head, size: st.size };
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Messages between the main thread and the workers (the workers are parallel.ts's).

export interface BlockTask {
  kind: 'block';
  seq: number;
  path: string;
  adapterId: string;
  how: 'named' | 'detected';
  /** The block's bytes (transferred). */
  bytes: Uint8Array;
  /** File offset of the block's first byte. */
  start: number;
  /** Newlines in the file before the block. */
  linesBefore: number;
  /** Records (one per '{' line) before the block. */
  recordsBefore: number;
  /** '{' lines in the block: the records it must frame to be clean. */
  expected: number;
}

export interface BlockDone {
  seq: number;
  clean: boolean;
  why?: string;
  out: Uint8Array[];
  rej: Uint8Array[];
  summary: RunSummary;
  rejectLines: string[];
  notExported: Array<[string, number]>;
  notExportedIds: string[];
}

export interface BlockSetup {
  run: Pick<RunOptions, 'format' | 'options' | 'since' | 'until' | 'redact'>;
  output: OutputKind;
  rejects: boolean;
  showRejects: number;
}

/** The note normalizeOne adds when a named format rejects most records: made again for the whole file. */
const WRONG_FORMAT_NOTE = /^\d+ of \d+ records were rejected: the format is probably not /;

/**
 * The records framed from one block: each counted, checked as cleanly framed (why says the first
 * reason it is not), and placed in the whole file (line, offset and index of the block added).
 */
class BlockPlacement {
  framed = 0;
  why: string | undefined;
  private readonly bomAt0: boolean;

  constructor(
    private readonly t: BlockTask,
    private readonly bytes: Buffer,
  ) {
    this.bomAt0 = t.start === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  }

  place(r: RawRecord & { container?: string }): void {
    const t = this.t;
    this.framed++;
    const l = r.location;
    const b = l.byte_offset ?? -1;
    if (this.why === undefined) {
      if (r.error) this.why = 'a record could not be framed';
      else if (r.container !== undefined && r.container !== 'value') this.why = 'records inside an array or wrapper';
      else if (!(b === 0 || (this.bomAt0 && b === 3) || (b > 0 && this.bytes[b - 1] === 0x0a)))
        this.why = 'a record that does not start a line';
    }
    if (l.line != null) l.line += t.linesBefore;
    if (l.line_end != null) l.line_end += t.linesBefore;
    if (l.byte_offset != null) l.byte_offset += t.start;
    if (l.index != null) l.index += t.recordsBefore;
  }

  /** The adapter with its framing (per record and in batches) placing each record. */
  wrap(adapter: FormatAdapter): FormatAdapter {
    const batches = adapter.recordBatches?.bind(adapter);
    const self = this;
    return {
      ...adapter,
      async *records(input, options) {
        for await (const r of adapter.records(input, options)) {
          self.place(r);
          yield r;
        }
      },
      recordBatches: batches
        ? async function* (input, options) {
            for await (const batch of batches(input, options)) {
              for (const r of batch) self.place(r);
              yield batch;
            }
          }
        : undefined,
    };
  }
}

/** Worker side: normalizes one block with the file's locations; says whether it is clean. */
export async function normalizeBlock(setup: BlockSetup, t: BlockTask, adapters: AdapterCatalog): Promise<BlockDone> {
  const adapter = adapters.find(t.adapterId)!;
  const bytes = Buffer.from(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
  const placed = new BlockPlacement(t, bytes);
  const wrapped = placed.wrap(adapter);
  const source: InputSource = {
    name: t.path,
    head: bytes.subarray(0, HEAD_BYTES),
    chunks: (async function* () {
      for (let i = 0; i < bytes.length; i += 256 * 1024)
        yield bytes.subarray(i, Math.min(bytes.length, i + 256 * 1024));
    })(),
    gzip: false,
    damage: null,
  };
  const summary = emptySummary();
  const formatter = new EventFormatter(setup.output);
  // Output as UTF-8 bytes in 256 KiB pieces: bytes live outside the JS heap, where a block's worth
  // of strings would be promoted to the old generation and traced by every collection.
  const out = new Pieces();
  const rej = new Pieces();
  const rejectLines: string[] = [];
  try {
    for await (const batch of normalizeOneBatches(wrapped, source, { ...setup.run, adapters }, summary, t.how))
      for (const o of batch) {
        if (o.kind === 'event') out.add(formatter.format(o.event));
        else if (o.kind === 'reject') {
          if (setup.rejects) rej.add(rejectToJsonLine(o));
          if (rejectLines.length < setup.showRejects) rejectLines.push(rejectLine(o));
        }
      }
  } catch (e) {
    placed.why ??= `reading failed (${(e as Error).message})`;
  }
  const { framed } = placed;
  let why = placed.why;
  if (why === undefined && framed !== t.expected) why = `${framed} records framed where ${t.expected} lines start one`;
  for (const s of summary.inputs) s.notes = s.notes.filter((n) => !WRONG_FORMAT_NOTE.test(n));
  return {
    seq: t.seq,
    clean: why === undefined,
    why,
    out: out.take(),
    rej: rej.take(),
    summary,
    rejectLines,
    notExported: [...formatter.notExported],
    notExportedIds: formatter.notExportedIds,
  };
}

/**
 * Output text encoded straight into 256 KiB buffers, one write per text: encoding each freshly built
 * line is cheaper than joining thousands of them and encoding the result (the join flattens every
 * line a second time), and the buffers own their memory, so they are moved to the main thread
 * without a copy.
 */
class Pieces {
  private static readonly SIZE = 256 * 1024;
  private buf = Buffer.allocUnsafeSlow(Pieces.SIZE);
  private off = 0;
  private readonly bufs: Uint8Array[] = [];
  add(t: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (this.off + t.length * 3 > this.buf.length) this.rotate(t.length * 3);
    this.off += this.buf.write(t, this.off, 'utf8');
  }
  private rotate(room: number): void {
    if (this.off > 0) this.bufs.push(this.buf.subarray(0, this.off));
    this.buf = Buffer.allocUnsafeSlow(Math.max(Pieces.SIZE, room));
    this.off = 0;
  }
  take(): Uint8Array[] {
    if (this.off > 0) {
      this.bufs.push(this.buf.subarray(0, this.off));
      this.off = 0;
    }
    return this.bufs;
  }
}

// ---------------------------------------------------------------------------------------------
// Main thread.

export interface SplitOptions {
  jobs: number;
  output: OutputKind;
  formatter?: EventFormatter;
  rejects: boolean;
  showRejects: number;
  /** Starts a worker (parallel.ts's, so one worker file serves both kinds of task). */
  startWorker: () => Worker;
  blockBytes?: number;
}

interface Block {
  seq: number;
  start: number;
  bytes: Buffer;
  linesBefore: number;
  recordsBefore: number;
  expected: number;
}

type SplitSinks = { out: TextWriter; rejects: TextWriter | null };

/**
 * Normalizes one large file (see splitPlan) on up to `opts.jobs` workers, writing to `sinks` in
 * file order and adding its counts to `summary`. Returns the reject descriptions for display.
 */
export async function normalizeSplit(
  path: string,
  plan: SplitPlan,
  run: RunOptions,
  opts: SplitOptions,
  sinks: SplitSinks,
  summary: RunSummary,
): Promise<string[]> {
  const size = opts.blockBytes ?? blockBytes();
  const n = Math.max(1, Math.min(opts.jobs, availableParallelism(), Math.ceil(plan.size / size)));
  const limit = n * 2; // blocks read ahead of the one being written
  const fh = await open(path, 'r');
  const shown: string[] = [];
  const pool = new BlockPool(n, path, plan, opts.startWorker);
  const reader = new BlockReader(fh, size);

  const file: InputSummary = { ...emptyInput(path, plan) };
  const part = emptySummary();
  let stopAt: number | null = null; // file offset from which the sequential pipeline takes over
  let dispatched = 0;
  let onInputCalled = false;
  try {
    for (let k = 0; ; k++) {
      while (stopAt === null && !reader.done() && dispatched - k < limit) {
        const b = await reader.read();
        if (b === null) break;
        if (b === 'stop') {
          stopAt = reader.carryStart;
          break;
        }
        pool.dispatch(b);
        dispatched++;
      }
      if (k >= dispatched) break;
      const d = await pool.take(k);
      if (!d.clean) {
        stopAt = pool.startOf(d.seq);
        break;
      }
      if (!onInputCalled) {
        run.onInput?.({ input: path, format: plan.adapter.id, how: plan.how });
        onInputCalled = true;
      }
      await writeBlock(d, opts, sinks, file, part, shown);
    }
  } finally {
    await pool.terminate();
    await fh.close();
  }

  if (stopAt !== null) {
    await finishSequentially(
      path,
      stopAt,
      { ...run, onInput: onInputCalled ? undefined : run.onInput },
      opts,
      sinks,
      summary,
      shown,
    );
    return shown;
  }
  addWrongFormatNote(path, plan, file, run.adapters);
  part.inputs = [file];
  mergeSummary(summary, part);
  return shown;
}

/** Writes one clean block's output to `sinks` and adds its counts to the file's and the run's. */
async function writeBlock(
  d: BlockDone,
  opts: SplitOptions,
  sinks: SplitSinks,
  file: InputSummary,
  part: RunSummary,
  shown: string[],
): Promise<void> {
  for (const b of d.out) await sinks.out.writeBytes(b);
  if (sinks.rejects) for (const b of d.rej) await sinks.rejects.writeBytes(b);
  for (const s of d.summary.inputs) mergeInput(file, s);
  mergePart(part, d.summary);
  for (const l of d.rejectLines) if (shown.length < opts.showRejects) shown.push(l);
  for (const [reason, count] of d.notExported) opts.formatter?.addNotExported(reason, count, d.notExportedIds);
}

/**
 * The sequential pipeline from the start of the file, writing the records from file offset `from`
 * on; the records before it are the ones the clean blocks already wrote (the same records: a clean
 * block is read as the sequential run reads it).
 */
async function finishSequentially(
  path: string,
  from: number,
  seqRun: RunOptions,
  opts: SplitOptions,
  sinks: SplitSinks,
  summary: RunSummary,
  shown: string[],
): Promise<void> {
  const seqSummary = emptySummary();
  const formatter = opts.formatter ?? new EventFormatter(opts.output);
  for await (const o of normalizeInputs([path], seqRun, seqSummary)) {
    if ((o.raw.location.byte_offset ?? Infinity) < from) continue;
    if (o.kind === 'event') {
      const text = formatter.format(o.event);
      if (text) await sinks.out.write(text);
    } else if (o.kind === 'reject') {
      if (sinks.rejects) await sinks.rejects.write(rejectToJsonLine(o));
      if (shown.length < opts.showRejects) shown.push(rejectLine(o));
    }
  }
  mergeSummary(summary, seqSummary);
}

/** The note a named format gets when it rejects most records (made once, for the whole file). */
function addWrongFormatNote(path: string, plan: SplitPlan, file: InputSummary, adapters: AdapterCatalog): void {
  if (!(plan.how === 'named' && file.read >= 2 && file.rejects * 2 > file.read)) return;
  let looks: string | null = null;
  try {
    const d = detectFormat({ name: path, head: plan.head }, adapters);
    if (d.adapter.id !== plan.adapter.id && d.adapter.id !== 'empty') looks = d.adapter.id;
  } catch {
    /* matches none */
  }
  const m = `${file.rejects} of ${file.read} records were rejected: the format is probably not ${plan.adapter.id}${looks ? `; the file looks like ${looks} (try --format ${looks}, or auto)` : ' (the file matches none of the formats)'}`;
  if (!file.notes.includes(m)) file.notes.push(m);
}

interface Slot {
  resolve: (d: BlockDone) => void;
  reject: (e: Error) => void;
  p: Promise<BlockDone>;
}

/**
 * The workers of one split: up to `n`, started as blocks arrive and no worker is idle; each block
 * goes to the next idle worker, and its result (or its worker's failure) settles the block's slot.
 */
class BlockPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: BlockTask[] = [];
  private readonly results = new Map<number, Slot>();
  private readonly current = new Map<Worker, number>();
  private readonly starts = new Map<number, number>();

  constructor(
    private readonly n: number,
    private readonly path: string,
    private readonly plan: SplitPlan,
    private readonly startWorker: () => Worker,
  ) {}

  private slot(seq: number): Slot {
    let r = this.results.get(seq);
    if (!r) {
      let resolve!: (d: BlockDone) => void;
      let reject!: (e: Error) => void;
      const p = new Promise<BlockDone>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      p.catch(() => undefined);
      r = { resolve, reject, p };
      this.results.set(seq, r);
    }
    return r;
  }

  /** Waits for block `seq`'s result. */
  async take(seq: number): Promise<BlockDone> {
    const d = await this.slot(seq).p;
    this.results.delete(seq);
    return d;
  }

  /** The file offset where block `seq` starts. */
  startOf(seq: number): number {
    return this.starts.get(seq) ?? 0;
  }

  dispatch(b: Block): void {
    this.starts.set(b.seq, b.start);
    this.queue.push({
      kind: 'block',
      seq: b.seq,
      path: this.path,
      adapterId: this.plan.adapter.id,
      how: this.plan.how,
      bytes: b.bytes,
      start: b.start,
      linesBefore: b.linesBefore,
      recordsBefore: b.recordsBefore,
      expected: b.expected,
    });
    this.slot(b.seq);
    if (this.workers.length < this.n && this.idle.length === 0) this.start();
    this.pump();
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const t = this.queue.shift()!;
      this.current.set(w, t.seq);
      w.postMessage(t, [t.bytes.buffer as ArrayBuffer]);
    }
  }

  private start(): void {
    const w = this.startWorker();
    w.on('message', (d: BlockDone) => {
      this.current.delete(w);
      this.slot(d.seq).resolve(d);
      this.idle.push(w);
      this.pump();
    });
    const lost = (e: Error) => {
      const s = this.current.get(w);
      if (s !== undefined) this.slot(s).reject(e);
      this.current.delete(w);
    };
    w.on('error', lost);
    w.on('exit', (code) =>
      lost(new Error(`a normalize worker stopped (exit code ${code}) while reading ${this.path}`)),
    );
    this.workers.push(w);
    this.idle.push(w);
  }
}

/** The reader: the file in blocks cut at '\n{', with their counts. */
class BlockReader {
  private filePos = 0; // file offset of the next byte to read
  private carry: Buffer = Buffer.alloc(0);
  /** File offset of the first byte not yet given out in a block. */
  carryStart = 0;
  private linesBefore = 0;
  private recordsBefore = 0;
  private seq = 0;
  private eof = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly size: number,
  ) {}

  /** Whether the whole file has been given out. */
  done(): boolean {
    return this.eof && this.carry.length === 0;
  }

  /** The next block; 'stop' when no boundary was found within the bounded size (read the rest sequentially). */
  async read(): Promise<Block | 'stop' | null> {
    // Each block is read into its own buffer (after the few bytes carried over from the previous
    // read), so that it can be transferred to a worker without a copy.
    const size = this.size;
    let buf = Buffer.allocUnsafeSlow(this.carry.length + size);
    this.carry.copy(buf, 0);
    let len = this.carry.length;
    for (;;) {
      if (!this.eof) {
        if (len === buf.length) {
          if (len > size * MAX_BLOCK_FACTOR) {
            this.carry = buf.subarray(0, len);
            return 'stop';
          }
          const bigger = Buffer.allocUnsafeSlow(len + size);
          buf.copy(bigger, 0, 0, len);
          buf = bigger;
        }
        const { bytesRead } = await this.fh.read(buf, len, buf.length - len, this.filePos);
        this.filePos += bytesRead;
        len += bytesRead;
        if (bytesRead === 0) this.eof = true;
      }
      let cut: number;
      if (this.eof) cut = len;
      else {
        cut = buf.lastIndexOf('\n{', len - 2);
        if (cut <= 0) continue;
        cut += 1;
      }
      if (cut === 0) {
        this.carry = Buffer.alloc(0);
        return null;
      }
      return this.cut(buf, cut, len);
    }
  }

  /** The block of `buf`'s first `cut` bytes; the rest (up to `len`) is carried to the next read. */
  private cut(buf: Buffer, cut: number, len: number): Block {
    this.carry = Buffer.from(buf.subarray(cut, len)); // a copy: `buf` goes to the worker
    const bytes = buf.subarray(0, cut);
    const start = this.carryStart;
    this.carryStart += cut;
    let lines = 0;
    let expected =
      bytes[0] === 0x7b ||
      (start === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf && bytes[3] === 0x7b)
        ? 1
        : 0;
    for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) {
      lines++;
      if (bytes[i + 1] === 0x7b) expected++;
    }
    const b: Block = {
      seq: this.seq++,
      start,
      bytes,
      linesBefore: this.linesBefore,
      recordsBefore: this.recordsBefore,
      expected,
    };
    this.linesBefore += lines;
    this.recordsBefore += expected;
    return b;
  }
}

function emptyInput(path: string, plan: SplitPlan): InputSummary {
  return {
    input: path,
    format: plan.adapter.id,
    how: plan.how,
    read: 0,
    events: 0,
    rejects: 0,
    skipped: {},
    untimed: 0,
    redacted: 0,
    redactions: 0,
    notes: [],
    firstEvent: null,
    lastEvent: null,
    reconciled: true,
  };
}

/** Adds one block's input summary to the file's. */
function mergeInput(into: InputSummary, s: InputSummary): void {
  into.read += s.read;
  into.events += s.events;
  into.rejects += s.rejects;
  for (const [k, v] of Object.entries(s.skipped)) into.skipped[k] = (into.skipped[k] ?? 0) + v;
  into.untimed += s.untimed;
  into.redacted += s.redacted;
  into.redactions += s.redactions;
  for (const m of s.notes) if (!into.notes.includes(m)) into.notes.push(m);
  if (s.firstEvent !== null && (into.firstEvent === null || s.firstEvent < into.firstEvent))
    into.firstEvent = s.firstEvent;
  if (s.lastEvent !== null && (into.lastEvent === null || s.lastEvent > into.lastEvent)) into.lastEvent = s.lastEvent;
  into.reconciled &&= s.reconciled;
}

/** Adds a block's run totals (not its input list: the file has one input summary). */
function mergePart(into: RunSummary, part: RunSummary): void {
  mergeSummary(into, { ...part, inputs: [] });
}
