// Resolves what the user named (files, globs, directories, '-') into readable inputs, and opens
// each as a stream of decompressed chunks with its first bytes kept aside for format detection.
import { createReadStream } from 'node:fs';
import { stat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { InputSource } from './types.js';

export const HEAD_BYTES = 64 * 1024;

/** A problem with what the user asked for (missing file, unreadable path): exit code 2. */
export class InputError extends Error {
  constructor(message: string) { super(message); this.name = 'InputError'; }
}

/**
 * Expands arguments into file paths, in a stable order: each argument in turn; directories are
 * walked recursively (sorted by name, hidden entries skipped); globs are sorted. '-' is stdin.
 */
export async function expandInputs(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    if (arg === '-') { out.push('-'); continue; }
    let st;
    try { st = await stat(arg); } catch { st = null; }
    if (st?.isDirectory()) { out.push(...(await walk(arg))); continue; }
    if (st?.isFile()) { out.push(arg); continue; }
    if (isDynamicPattern(arg)) {
      const matches = (await glob(arg, { onlyFiles: true, dot: false, expandDirectories: false })).sort();
      if (matches.length === 0) throw new InputError(`no file matches ${arg}`);
      out.push(...matches);
      continue;
    }
    throw new InputError(st ? `${arg} is not a regular file or directory` : `cannot read ${arg}: no such file or directory`);
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  let entries;
  try { entries = await readdir(dir, { withFileTypes: true }); } catch (e) {
    throw new InputError(`cannot read directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
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
  let decoded: AsyncIterator<Buffer>;
  if (gzip) {
    const gunzip = createGunzip();
    const src = Readable.from(rawChunks(), { objectMode: false });
    src.on('error', (e) => gunzip.destroy(e));
    decoded = (src.pipe(gunzip) as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  } else {
    decoded = rawChunks();
  }
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
    throw new InputError(`cannot read ${name}: ${gzip ? 'corrupt gzip data: ' : ''}${(e as Error).message}`);
  }
  const headAll = Buffer.concat(headParts);
  async function* chunks(): AsyncGenerator<Buffer> {
    if (headAll.length) yield headAll;
    if (decodedDone) return;
    for (;;) {
      let r;
      try { r = await decoded.next(); } catch (e) {
        throw new InputError(`cannot read ${name}: ${gzip ? 'corrupt or truncated gzip data: ' : ''}${(e as Error).message}`);
      }
      if (r.done) return;
      yield r.value;
    }
  }
  return { name, head: headAll.subarray(0, HEAD_BYTES), chunks: chunks(), gzip };
}
