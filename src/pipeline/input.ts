// Resolves what the user named (files, globs, directories, '-') into readable inputs, and opens
// each as a stream of decompressed chunks with its first bytes kept aside for format detection.
import { createReadStream } from 'node:fs';
import { stat, readdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { InputSource } from './types.js';

export const HEAD_BYTES = 64 * 1024;

/** A problem with what the user asked for (missing file, unreadable path): exit code 2. */
export class InputError extends Error {
  constructor(message: string) { super(message); this.name = 'InputError'; }
}

/** An input that could not be read or placed, with the reason (one sentence). */
export interface FailedInput { input: string; reason: string }

/**
 * Expands arguments into file paths, in a stable order: each argument in turn; directories are
 * walked recursively (sorted by name, hidden entries skipped, symbolic links followed, a link back
 * into a directory being walked skipped); globs are sorted. '-' is stdin. A directory entry that
 * cannot be read goes to `failed` when given (the other files are still read), else throws.
 */
export async function expandInputs(args: string[], failed?: FailedInput[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    if (arg === '-') { out.push('-'); continue; }
    let st;
    try { st = await stat(arg); } catch { st = null; }
    if (st?.isDirectory()) { out.push(...(await uniqueFiles(await walk(arg, failed, new Set())))); continue; }
    if (st?.isFile()) { out.push(arg); continue; }
    if (isDynamicPattern(arg)) {
      const matches = (await glob(arg, { onlyFiles: true, dot: false, expandDirectories: false, followSymbolicLinks: true })).sort();
      if (matches.length === 0) throw new InputError(`no file matches ${arg}`);
      out.push(...matches);
      continue;
    }
    throw new InputError(st ? `${arg} is not a regular file or directory` : `cannot read ${arg}: no such file or directory`);
  }
  return out;
}

/** Drops a file reached a second time through a symbolic link (e.g. `current.log -> audit.log`). */
async function uniqueFiles(files: string[]): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of files) {
    let r = f;
    try { r = await realpath(f); } catch { /* read it as named */ }
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
  try { real = await realpath(dir); } catch (e) { return fail(dir, `cannot read directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  if (seen.has(real)) return []; // a directory reached again through a symbolic link (or a loop): read once
  seen.add(real);
  let entries;
  try { entries = await readdir(dir, { withFileTypes: true }); } catch (e) {
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
      try { st = await stat(p); } catch (err) {
        out.push(...fail(p, `cannot read ${p}: a symbolic link to ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'nothing (dangling)' : (err as NodeJS.ErrnoException).code ?? 'an unreadable target'}`));
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
  let raw: NodeJS.ReadableStream;
  if (name === '-') raw = stdin;
  else {
    raw = createReadStream(name, { highWaterMark: 256 * 1024 });
  }
  return openStream(name, raw);
}

/** Wraps any byte stream (file, stdin, a live pull) as an InputSource. */
export async function openStream(name: string, raw: NodeJS.ReadableStream | AsyncIterable<Buffer>): Promise<InputSource> {
  const it = (raw as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let firstLen = 0;
  let done = false;
  try {
    while (firstLen < 2) {
      const r = await it.next();
      if (r.done) { done = true; break; }
      const b = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      first.push(b); firstLen += b.length;
    }
  } catch (e) {
    throw new InputError(`cannot read ${name}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const prefix = Buffer.concat(first);
  const gzip = prefix.length >= 2 && prefix[0] === 0x1f && prefix[1] === 0x8b;
  async function* rawChunks(): AsyncGenerator<Buffer> {
    if (prefix.length) yield prefix;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    }
  }
  // Reading stops at damage (a truncated or corrupt gzip stream, a read error) without throwing:
  // every byte delivered before it is read, and `damage` says where it stopped (the pipeline turns
  // it into one reject). Concatenated gzip members are read in full (zlib goes on after a member).
  const source: InputSource = { name, head: Buffer.alloc(0), chunks: (async function* () { /* set below */ })(), gzip, damage: null };
  let delivered = 0;
  // A failure of the stream itself (a file read error, a live pull cut off) is an error of the
  // input, as before; only damage inside the gzip data is salvaged.
  let readError: unknown = null;
  let gunzip: ReturnType<typeof createGunzip> | null = null;
  let rawIt: AsyncIterator<Buffer>;
  if (gzip) {
    const g = createGunzip();
    gunzip = g;
    rawIt = drain(g);
    // Each compressed chunk is written and processed before the next, and the end comes as an empty
    // final flush: zlib's "unexpected end of file" then costs no decompressed bytes (piping would
    // process the last chunk together with the final flush and drop its output on that error).
    void (async () => {
      try {
        // The last 8 bytes (a member's CRC32 and size trailer) are held back and written alone at
        // the end, so a failed check of the last member costs none of the data before it.
        let carry: Buffer | null = null;
        const write = (b: Buffer) => new Promise<void>((res, rej) => { g.write(b, (e) => (e ? rej(e) : res())); });
        for await (const c of rawChunks()) {
          const b: Buffer = carry ? Buffer.concat([carry, c]) : c;
          if (b.length <= 8) { carry = b; continue; }
          carry = b.subarray(b.length - 8);
          await write(b.subarray(0, b.length - 8));
        }
        if (carry) await write(carry);
        g.end();
      } catch (e) {
        readError = e;
        if (!g.destroyed) g.destroy(e as Error);
      }
    })();
  } else {
    rawIt = rawChunks();
  }
  const damaged = (e: unknown): void => {
    const err = e as NodeJS.ErrnoException;
    const what = err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message) ? 'the gzip data is truncated' : `the gzip data is corrupt (${err.message})`;
    source.damage = { message: what, compressedOffset: gunzip ? gunzip.bytesWritten : null, offset: delivered };
  };
  const decoded: AsyncIterator<Buffer> = {
    async next() {
      if (source.damage) return { done: true, value: undefined };
      try {
        const r = await rawIt.next();
        if (!r.done) delivered += r.value.length;
        return r;
      } catch (e) {
        if (!gzip || readError !== null) {
          throw new InputError(`cannot read ${name}: ${gzip ? 'reading the gzip data failed: ' : ''}${(readError as Error | null)?.message ?? (e as Error).message}`);
        }
        damaged(e);
        return { done: true, value: undefined };
      }
    },
  };
  const headParts: Buffer[] = [];
  let headLen = 0;
  let decodedDone = false;
  try {
    while (headLen < HEAD_BYTES) {
      const r = await decoded.next();
      if (r.done) { decodedDone = true; break; }
      headParts.push(r.value); headLen += r.value.length;
    }
  } catch (e) {
    throw e instanceof InputError ? e : new InputError(`cannot read ${name}: ${(e as Error).message}`);
  }
  const headAll = Buffer.concat(headParts);
  async function* chunks(): AsyncGenerator<Buffer> {
    if (headAll.length) yield headAll;
    if (decodedDone) return;
    for (;;) {
      const r = await decoded.next();
      if (r.done) return;
      yield r.value;
    }
  }
  // The head is for detection: a UTF-8 byte order mark is no part of any format (framers skip it too).
  const bom = headAll.length >= 3 && headAll[0] === 0xef && headAll[1] === 0xbb && headAll[2] === 0xbf ? 3 : 0;
  source.head = headAll.subarray(bom, HEAD_BYTES);
  source.chunks = chunks();
  return source;
}

/** The sentence for a reject of input damage: the file, what happened, and where. */
export function describeDamage(name: string, d: { message: string; compressedOffset: number | null; offset: number }): string {
  const at = d.compressedOffset !== null
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
  const poke = (): void => { const w = wake; wake = null; w?.(); };
  stream.on('data', (c: Buffer) => { queue.push(c); if (queue.length > 16) stream.pause(); poke(); });
  stream.on('end', () => { ended = true; poke(); });
  stream.on('error', (e: Error) => { error = e; poke(); });
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
        await new Promise<void>((r) => { wake = r; });
      }
    },
  };
}
