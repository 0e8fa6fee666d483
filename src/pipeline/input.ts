// Resolves what the user named (files, globs, directories, '-') into readable inputs, and opens
// each as a stream of decompressed chunks with its first bytes kept aside for format detection.
import { createReadStream } from 'node:fs';
import { stat, readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { InputDamage, InputSource } from './types.js';

export const HEAD_BYTES = 64 * 1024;

/** A problem with what the user asked for (missing file, unreadable path): exit code 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** An input that could not be read or placed, with the reason (one sentence). */
export interface FailedInput {
  input: string;
  reason: string;
}

/**
 * Expands arguments into file paths, in a stable order: each argument in turn; directories are
 * walked recursively (sorted by name, hidden entries skipped, symbolic links followed, a link back
 * into a directory being walked skipped); globs are sorted. '-' is stdin. A directory entry that
 * cannot be read goes to `failed` when given (the other files are still read), else throws.
 */
export async function expandInputs(args: string[], failed?: FailedInput[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    if (arg === '-') {
      out.push('-');
      continue;
    }
    let st;
    try {
      st = await stat(arg);
    } catch {
      st = null;
    }
    if (st?.isDirectory()) {
      out.push(...(await uniqueFiles(await walk(arg, failed, new Set()))));
      continue;
    }
    if (st?.isFile()) {
      out.push(arg);
      continue;
    }
    if (isDynamicPattern(arg)) {
      const matches = (
        await glob(arg, { onlyFiles: true, dot: false, expandDirectories: false, followSymbolicLinks: true })
      ).sort();
      if (matches.length === 0) throw new InputError(`no file matches ${arg}`);
      out.push(...matches);
      continue;
    }
    throw new InputError(
      st ? `${arg} is not a regular file or directory` : `cannot read ${arg}: no such file or directory`,
    );
  }
  return out;
}

/** Drops a file reached a second time through a symbolic link (e.g. `current.log -> audit.log`). */
async function uniqueFiles(files: string[]): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of files) {
    let r = f;
    try {
      r = await realpath(f);
    } catch {
      /* read it as named */
    }
    if (seen.has(r)) continue;
    seen.add(r);
    out.push(f);
  }
  return out;
}

async function walk(dir: string, failed: FailedInput[] | undefined, seen: Set<string>): Promise<string[]> {
  const fail = (input: string, reason: string): string[] => {
    if (!failed) throw new InputError(reason);
    failed.push({ input, reason });
    return [];
  };
  let real: string;
  try {
    real = await realpath(dir);
  } catch (e) {
    return fail(dir, `cannot read directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (seen.has(real)) return []; // a directory reached again through a symbolic link (or a loop): read once
  seen.add(real);
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    return fail(dir, `cannot read directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p, failed, seen)));
    else if (e.isFile()) out.push(p);
    else if (e.isSymbolicLink()) {
      // Followed: a link to a file is read as that file, a link to a directory walked (once).
      let st;
      try {
        st = await stat(p);
      } catch (err) {
        out.push(
          ...fail(
            p,
            `cannot read ${p}: a symbolic link to ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'nothing (dangling)' : ((err as NodeJS.ErrnoException).code ?? 'an unreadable target')}`,
          ),
        );
        continue;
      }
      if (st.isDirectory()) out.push(...(await walk(p, failed, seen)));
      else if (st.isFile()) out.push(p);
    }
  }
  return out;
}

/** Opens a file (or '-' for stdin), transparently gunzipping, and reads its head. */
export async function openInput(name: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<InputSource> {
  if (name === '-') return openStream(name, stdin);
  return openStream(name, createReadStream(name, { highWaterMark: 256 * 1024 }), {
    reopen: () => createReadStream(name, { highWaterMark: 256 * 1024 }),
  });
}

export interface OpenStreamOptions {
  /**
   * Reads the same bytes again from the start (a file can be; stdin cannot). With it, damage found
   * inside a gzip member costs no byte zlib could produce before it (see salvageGzip).
   */
  reopen?: () => NodeJS.ReadableStream | AsyncIterable<Buffer>;
}

type ByteStream = NodeJS.ReadableStream | AsyncIterable<Buffer>;
const asBuffer = (v: Buffer | string): Buffer => (typeof v === 'string' ? Buffer.from(v) : v);

/** Wraps any byte stream (file, stdin, a live pull) as an InputSource. */
export async function openStream(name: string, raw: ByteStream, so: OpenStreamOptions = {}): Promise<InputSource> {
  const it = (raw as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const { prefix, done } = await readPrefix(it, name);
  const gzip = prefix.length >= 2 && prefix[0] === 0x1f && prefix[1] === 0x8b;
  const rawChunks = prefixed(prefix, done, it);
  const source: InputSource = {
    name,
    head: Buffer.alloc(0),
    chunks: (async function* () {
      /* set below */
    })(),
    gzip,
    damage: null,
  };
  const decoded = new DecodedReader(name, source, so, gzip ? new GzipFeed(rawChunks) : null, rawChunks);
  const { head, headDone } = await readHead(decoded, name);
  // The head is for detection: a UTF-8 byte order mark is no part of any format (framers skip it too).
  const bom = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  source.head = head.subarray(bom, HEAD_BYTES);
  source.chunks = prefixed(head, headDone, decoded);
  return source;
}

/** The first bytes (at least 2, to tell gzip by its magic number), and whether the stream ended there. */
async function readPrefix(
  it: AsyncIterator<Buffer | string>,
  name: string,
): Promise<{ prefix: Buffer; done: boolean }> {
  const first: Buffer[] = [];
  let firstLen = 0;
  try {
    while (firstLen < 2) {
      const r = await it.next();
      if (r.done) return { prefix: Buffer.concat(first), done: true };
      const b = asBuffer(r.value);
      first.push(b);
      firstLen += b.length;
    }
  } catch (e) {
    throw new InputError(`cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { prefix: Buffer.concat(first), done: false };
}

/** The bytes already read, then the rest of the iterator (unless it already ended). */
async function* prefixed(first: Buffer, done: boolean, rest: AsyncIterator<Buffer | string>): AsyncGenerator<Buffer> {
  if (first.length) yield first;
  if (done) return;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield asBuffer(r.value);
  }
}

/** Up to HEAD_BYTES decompressed bytes for detection, and whether the input ended within them. */
async function readHead(decoded: AsyncIterator<Buffer>, name: string): Promise<{ head: Buffer; headDone: boolean }> {
  const parts: Buffer[] = [];
  let len = 0;
  try {
    while (len < HEAD_BYTES) {
      const r = await decoded.next();
      if (r.done) return { head: Buffer.concat(parts), headDone: true };
      parts.push(r.value);
      len += r.value.length;
    }
  } catch (e) {
    throw e instanceof InputError ? e : new InputError(`cannot read ${name}: ${(e as Error).message}`);
  }
  return { head: Buffer.concat(parts), headDone: false };
}

/**
 * Feeds the compressed chunks to zlib one write at a time. Each chunk is written and processed
 * before the next, and the end comes as an empty final flush: zlib's "unexpected end of file" then
 * costs no decompressed bytes (piping would process the last chunk together with the final flush
 * and drop its output on that error).
 */
class GzipFeed {
  readonly gunzip = createGunzip();
  readonly out: AsyncIterator<Buffer> = drain(this.gunzip);
  /** Compressed offset and length of the write zlib is working on (where damage is found). */
  writeAt = 0;
  writeLen = 0;
  /**
   * A failure of the stream itself (a file read error, a live pull cut off) is an error of the
   * input, as before; only damage inside the gzip data is salvaged.
   */
  readError: unknown = null;
  private at = 0;

  constructor(chunks: AsyncIterable<Buffer>) {
    void this.feed(chunks);
  }

  private write(b: Buffer): Promise<void> {
    return new Promise<void>((res, rej) => {
      this.writeAt = this.at;
      this.writeLen = b.length;
      this.gunzip.write(b, (e) => {
        if (e) rej(e);
        else {
          this.at += b.length;
          res();
        }
      });
    });
  }

  private async feed(chunks: AsyncIterable<Buffer>): Promise<void> {
    const g = this.gunzip;
    try {
      // The last 8 bytes (a member's CRC32 and size trailer) are held back and written alone at
      // the end, so a failed check of the last member costs none of the data before it.
      let carry: Buffer | null = null;
      for await (const c of chunks) {
        const b: Buffer = carry ? Buffer.concat([carry, c]) : c;
        if (b.length <= 8) {
          carry = b;
          continue;
        }
        carry = b.subarray(b.length - 8);
        await this.write(b.subarray(0, b.length - 8));
      }
      if (carry) await this.write(carry);
      g.end();
    } catch (e) {
      this.readError = e;
      if (!g.destroyed) g.destroy(e as Error);
    }
  }
}

/**
 * The decompressed (or plain) bytes of an input. Reading stops at damage (a truncated or corrupt
 * gzip stream) without throwing: every byte delivered before it is read, and source.damage says
 * where it stopped (the pipeline turns it into one reject). Concatenated gzip members are read in
 * full (zlib goes on after a member). A read error of the stream itself throws an InputError.
 */
class DecodedReader implements AsyncIterator<Buffer> {
  private delivered = 0;
  /** Bytes recovered after damage (salvageGzip), delivered before the end. */
  private salvaged: Buffer[] = [];
  private readonly bytes: AsyncIterator<Buffer>;

  constructor(
    private readonly name: string,
    private readonly source: InputSource,
    private readonly so: OpenStreamOptions,
    private readonly gz: GzipFeed | null,
    plain: AsyncIterator<Buffer>,
  ) {
    this.bytes = gz ? gz.out : plain;
  }

  async next(): Promise<IteratorResult<Buffer>> {
    if (this.salvaged.length > 0) {
      const value = this.salvaged.shift()!;
      this.delivered += value.length;
      return { done: false, value };
    }
    if (this.source.damage) return { done: true, value: undefined };
    try {
      const r = await this.bytes.next();
      if (!r.done) this.delivered += r.value.length;
      return r;
    } catch (e) {
      const gz = this.gz;
      if (!gz || gz.readError !== null) {
        throw new InputError(
          `cannot read ${this.name}: ${gz ? 'reading the gzip data failed: ' : ''}${(gz?.readError as Error | null)?.message ?? (e as Error).message}`,
        );
      }
      this.damaged(e, gz);
      if (await this.salvage(gz)) return this.next();
      return { done: true, value: undefined };
    }
  }

  private damaged(e: unknown, gz: GzipFeed): void {
    const err = e as NodeJS.ErrnoException;
    const what =
      err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)
        ? 'the gzip data is truncated'
        : `the gzip data is corrupt (${err.message})`;
    this.source.damage = { message: what, compressedOffset: gz.gunzip.bytesWritten, offset: this.delivered };
  }

  /**
   * zlib drops what it decompressed in the write that failed: inflate the same bytes again, the
   * failing stretch in ever smaller writes, to recover every byte before the damage.
   */
  private async salvage(gz: GzipFeed): Promise<boolean> {
    const dmg = this.source.damage as InputDamage | null;
    if (!this.so.reopen || !dmg || /truncated/.test(dmg.message)) return false;
    const r = await salvageGzip(this.so.reopen, gz.writeAt, gz.writeLen, this.delivered).catch(() => null);
    if (!r || r.bufs.length === 0) return false;
    this.salvaged = r.bufs;
    this.source.damage = {
      ...dmg,
      offset: this.delivered + r.bufs.reduce((a, b) => a + b.length, 0),
      compressedOffset: r.compressedOffset,
    };
    return true;
  }
}

/** The sentence for a reject of input damage: the file, what happened, and where. */
export function describeDamage(
  name: string,
  d: { message: string; compressedOffset: number | null; offset: number },
): string {
  const at =
    d.compressedOffset !== null
      ? `at compressed byte ${d.compressedOffset}, after ${d.offset} decompressed bytes`
      : `after ${d.offset} bytes`;
  return `${name}: ${d.message} ${at}; the records before this point were read, the rest of the file could not be`;
}

/**
 * Reads a stream chunk by chunk, delivering every chunk it produced before an error (a stream's
 * own async iterator drops what is buffered when it fails, which would lose the last records
 * before the damage of a truncated gzip file).
 */
function drain(stream: NodeJS.ReadableStream & { pause(): unknown; resume(): unknown }): AsyncIterator<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let error: Error | null = null;
  let wake: (() => void) | null = null;
  const poke = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  stream.on('data', (c: Buffer) => {
    queue.push(c);
    if (queue.length > 16) stream.pause();
    poke();
  });
  stream.on('end', () => {
    ended = true;
    poke();
  });
  stream.on('error', (e: Error) => {
    error = e;
    poke();
  });
  return {
    async next(): Promise<IteratorResult<Buffer>> {
      for (;;) {
        if (queue.length > 0) {
          const value = queue.shift()!;
          if (queue.length < 4) stream.resume();
          return { done: false, value };
        }
        if (error) throw error;
        if (ended) return { done: true, value: undefined };
        await new Promise<void>((r) => {
          wake = r;
        });
      }
    },
  };
}

/**
 * Recovers the bytes zlib produced in a write that failed on damage (Node's zlib drops the output
 * of the failing call). zlib's state cannot be copied, so the stream is read again from the start
 * with a fresh inflater: everything before the failing write in large writes, the failing write in
 * smaller ones, narrowing the damage from `len` bytes to one in passes (about 64 writes a pass).
 * Returns the decompressed bytes after the first `skip` (those already delivered), up to the
 * damage, and the compressed offset where it was found. Only damaged input pays for this.
 */
export async function salvageGzip(
  reopen: () => NodeJS.ReadableStream | AsyncIterable<Buffer>,
  start: number,
  len: number,
  skip: number,
): Promise<{ bufs: Buffer[]; compressedOffset: number } | null> {
  let step = Math.max(1, Math.ceil(len / 64));
  for (let pass = 0; pass < 8; pass++) {
    const r = await inflatePass(reopen, start, len, step, skip);
    if (r === null) return null;
    if (step === 1) return { bufs: r.bufs, compressedOffset: r.failAt };
    start = r.failAt;
    len = step;
    step = Math.max(1, Math.ceil(step / 64));
  }
  return null;
}

async function inflatePass(
  reopen: () => NodeJS.ReadableStream | AsyncIterable<Buffer>,
  start: number,
  len: number,
  step: number,
  skip: number,
): Promise<{ bufs: Buffer[]; failAt: number } | null> {
  const g = createGunzip();
  const bufs: Buffer[] = [];
  let seen = 0;
  let failed = false;
  g.on('data', (c: Buffer) => {
    const from = Math.max(0, skip - seen);
    seen += c.length;
    if (from < c.length) bufs.push(from > 0 ? c.subarray(from) : c);
  });
  let pending: ((ok: boolean) => void) | null = null;
  const settle = (ok: boolean): void => {
    const p = pending;
    pending = null;
    p?.(ok);
  };
  g.on('error', () => {
    failed = true;
    settle(false);
  });
  // Each write is processed and its output delivered ('data' runs before setImmediate) before the next.
  const write = (b: Buffer) =>
    new Promise<boolean>((res) => {
      if (failed) {
        res(false);
        return;
      }
      pending = res;
      g.write(b, (e) => {
        if (e || failed) settle(false);
        else setImmediate(() => settle(!failed));
      });
    });
  let pos = 0;
  const src = reopen();
  try {
    for await (const c0 of src as AsyncIterable<Buffer | string>) {
      const c = typeof c0 === 'string' ? Buffer.from(c0) : c0;
      let i = 0;
      while (i < c.length) {
        const abs = pos + i;
        if (abs >= start + len) {
          g.destroy();
          return null;
        } // no damage found again: give up
        const n =
          abs < start ? Math.min(c.length - i, start - abs) : Math.min(c.length - i, step - ((abs - start) % step));
        if (!(await write(c.subarray(i, i + n)))) {
          g.destroy();
          return abs < start ? null : { bufs, failAt: abs - ((abs - start) % step) };
        }
        i += n;
      }
      pos += c.length;
    }
  } finally {
    const d = src as { destroy?: () => void };
    d.destroy?.();
  }
  g.destroy();
  return null;
}
