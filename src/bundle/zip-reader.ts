// Reads bundles with yauzl: the central directory first (entry names and sizes only), then each
// entry as a stream on demand, so that verifying a large bundle never holds a whole file in memory.
import yauzl from 'yauzl';
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { createInflateRaw } from 'node:zlib';

const INFLATE_CHUNK = 256 * 1024;

/** Fails the stream when the inflated size differs from the central directory's (as yauzl does). */
class ByteCount extends Transform {
  private n = 0;
  constructor(private readonly expected: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.n += chunk.length;
    if (this.n > this.expected) {
      cb(new Error(`too many bytes in the stream. expected ${this.expected}. got at least ${this.n}`));
      return;
    }
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.n < this.expected) {
      cb(new Error(`not enough bytes in the stream. expected ${this.expected}. got only ${this.n}`));
      return;
    }
    cb();
  }
}

export class BundleReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleReadError';
  }
}

/**
 * One entry of an otherwise readable zip cannot be read (encrypted, an unknown compression method,
 * damaged DEFLATE data, a size that differs from the central directory's). verify reports it as a
 * finding on that file (the bundle is INVALID, exit 1), not as "could not run" (exit 2).
 */
export class EntryReadError extends BundleReadError {
  constructor(
    readonly entry: string,
    readonly reason: string,
  ) {
    super(`${entry} cannot be read from the zip (${reason})`);
    this.name = 'EntryReadError';
  }
}

/** A directory entry (name ending in '/'), kept so that verify can tell `zip -r`'s folders from anything else. */
export interface DirectoryEntry {
  name: string;
  size: number;
}

export interface OpenBundle {
  /** File entries by name (directory entries, which `zip -r` adds, are left out). */
  entries: Map<string, yauzl.Entry>;
  /** Names in the order of the zip, for messages. */
  names: string[];
  /** Names that appear more than once in the zip. */
  duplicates: string[];
  /**
   * Entries left out of `entries` because of their name ('..' segments, absolute or drive paths,
   * backslashes, NUL) or type (symbolic links, devices): `unzip` would write them elsewhere, under
   * another name, or as something else than the file checked.
   */
  unsafe: Array<{ name: string; reason: string }>;
  /** Directory entries ('name/'), left out of `entries`. */
  directories: DirectoryEntry[];
  /**
   * Bytes of the zip file that belong to no entry, the central directory or its end records
   * (prepended data, gaps between entries, data behind the last entry), and the zip comment: places
   * where data can hide that a streaming extractor shows or `unzip` prints, though no check reads it.
   */
  hidden: string[];
  stream(name: string): Promise<Readable>;
  read(name: string, limit?: number): Promise<Buffer>;
  close(): void;
}

export async function openBundle(path: string): Promise<OpenBundle> {
  const zip = await openZip(path);
  // yauzl starts reading entries at the central directory's offset (and ends at its end).
  const cursor = zip as unknown as { readEntryCursor: number };
  const centralStart = cursor.readEntryCursor;
  const listed = await listEntries(zip, path);
  let hidden: string[];
  try {
    hidden = await hiddenBytes(zip, listed.all, centralStart, cursor.readEntryCursor);
  } catch (e) {
    zip.close();
    throw new BundleReadError(`${path} is not a readable zip file (${(e as Error).message})`);
  }
  const { entries } = listed;
  const stream = (name: string) => entryStream(zip, entries, name);
  return {
    entries,
    names: listed.names,
    duplicates: listed.duplicates,
    unsafe: listed.unsafe,
    directories: listed.directories,
    hidden,
    stream,
    read: (name: string, limit = 64 * 1024 * 1024) => readEntry(entries, stream, name, limit),
    close: () => zip.close(),
  };
}

async function openZip(path: string): Promise<yauzl.ZipFile> {
  try {
    return await new Promise<yauzl.ZipFile>((resolve, reject) => {
      // Names are decoded here (decodeStrings: false): with decodeStrings yauzl stops at the first
      // unsafe name (so verify could only say "could not run") and turns backslashes into '/'
      // (so 'raw\\pg\\records.jsonl' was checked as raw/pg/records.jsonl while unzip writes a file
      // of that literal name).
      yauzl.open(
        path,
        { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: false },
        (err, z) => (err ? reject(err) : resolve(z)),
      );
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BundleReadError(
      code === 'ENOENT'
        ? `cannot read ${path}: no such file`
        : `${path} is not a readable zip file (${(e as Error).message})`,
    );
  }
}

/** The central directory's entries, sorted into files, folders and unsafe entries. */
interface Listed {
  entries: Map<string, yauzl.Entry>;
  all: yauzl.Entry[];
  names: string[];
  duplicates: string[];
  unsafe: OpenBundle['unsafe'];
  directories: DirectoryEntry[];
}

async function listEntries(zip: yauzl.ZipFile, path: string): Promise<Listed> {
  const l: Listed = { entries: new Map(), all: [], names: [], duplicates: [], unsafe: [], directories: [] };
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      l.all.push(entry);
      // The name as unzip reads it: the Info-ZIP Unicode Path field when valid, else UTF-8 or CP437 by flag.
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      entry.fileName = name;
      const bad = unsafeReason(entry, name);
      if (bad !== null) l.unsafe.push({ name, reason: bad });
      else if (name.endsWith('/')) l.directories.push({ name, size: entry.uncompressedSize });
      else {
        if (l.entries.has(name)) l.duplicates.push(name);
        l.entries.set(name, entry);
        l.names.push(name);
      }
      zip.readEntry();
    });
    zip.once('end', () => resolve());
    zip.once('error', (e: Error) => reject(new BundleReadError(`${path} is not a readable zip file (${e.message})`)));
    zip.readEntry();
  });
  return l;
}

/** Why unzip would not write the entry as the file checked, or null. */
function unsafeReason(entry: yauzl.Entry, name: string): string | null {
  // A symbolic link (or device, fifo) in Unix mode bits: unzip creates a link, not the file that
  // was checked (a link's entry data is its target path), which may point outside the folder.
  const type = entry.versionMadeBy >> 8 === 3 ? (entry.externalFileAttributes >>> 16) & 0o170000 : 0;
  return (
    yauzl.validateFileName(name) ??
    (name.includes('\0')
      ? 'NUL character in fileName'
      : type === 0o120000
        ? 'a symbolic link'
        : type !== 0 && type !== 0o100000 && type !== 0o040000
          ? `not a regular file (mode ${type.toString(8)})`
          : null)
  );
}

/** An entry's content, inflated as it is read. */
async function entryStream(zip: yauzl.ZipFile, entries: Map<string, yauzl.Entry>, name: string): Promise<Readable> {
  const entry = entries.get(name);
  if (!entry) throw new BundleReadError(`${name} is not in the bundle`);
  if (entry.isEncrypted()) throw new EntryReadError(name, 'it is encrypted');
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
    throw new EntryReadError(name, `unsupported compression method ${entry.compressionMethod}`);
  // A DEFLATE entry is read raw and inflated here with 256 KB output buffers: yauzl's inflater
  // uses zlib's 16 KB default, and the thread-pool round trip per 16 KB was ~0.1 s of CPU per
  // 100 MB inflated (verify inflates ~4× the zip's size). The size check is yauzl's own
  // (validateEntrySizes), with its messages.
  const raw = entry.compressionMethod === 8;
  return new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, raw ? { decodeFileData: false } : {}, (err, s) => {
      if (err) {
        reject(new EntryReadError(name, err.message));
        return;
      }
      if (!raw) {
        resolve(s);
        return;
      }
      // (Letting the inflater run further ahead with a larger readable high-water mark added ~40 MB
      // of peak RSS for no measurable gain.)
      const out = new ByteCount(entry.uncompressedSize);
      pipeline(s, createInflateRaw({ chunkSize: INFLATE_CHUNK }), out, () => {});
      resolve(out);
    }),
  );
}

/** An entry's whole content, refused past `limit` bytes. */
async function readEntry(
  entries: Map<string, yauzl.Entry>,
  stream: (name: string) => Promise<Readable>,
  name: string,
  limit: number,
): Promise<Buffer> {
  const entry = entries.get(name);
  // The central directory's size is checked while inflating, so a larger claim is refused up front.
  if (entry && entry.uncompressedSize > limit) throw new EntryReadError(name, `it is larger than ${limit} bytes`);
  const s = await stream(name);
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of s) {
      n += (c as Buffer).length;
      if (n > limit) {
        s.destroy();
        throw new EntryReadError(name, `it is larger than ${limit} bytes`);
      }
      parts.push(c as Buffer);
    }
  } catch (e) {
    throw e instanceof EntryReadError ? e : new EntryReadError(name, (e as Error).message);
  }
  return Buffer.concat(parts);
}

/**
 * Where the zip holds bytes outside its entries: entries (local header, name, extra field, data,
 * data descriptor) must follow each other from offset 0 up to the central directory, which is
 * followed only by the Zip64 end records (when present) and the end record, without a comment.
 */
async function hiddenBytes(
  zip: yauzl.ZipFile,
  all: yauzl.Entry[],
  centralStart: number,
  centralEnd: number,
): Promise<string[]> {
  const out: string[] = [];
  const spans: Array<{ start: number; end: number; descriptor: boolean }> = [];
  for (const e of all) {
    const { fileDataStart } = await zip.readLocalFileHeaderPromise(e, { minimal: true });
    spans.push({
      start: e.relativeOffsetOfLocalHeader,
      end: fileDataStart + e.compressedSize,
      descriptor: (e.generalPurposeBitFlag & 0x8) !== 0,
    });
  }
  spans.sort((a, b) => a.start - b.start);
  // A data descriptor is 12 or 16 bytes (20 or 24 with Zip64 sizes), with or without its signature.
  const gapOk = (gap: number, descriptor: boolean) => gap === 0 || (descriptor && [12, 16, 20, 24].includes(gap));
  let at = 0;
  let descriptor = false;
  for (const sp of spans) {
    if (sp.start < at) out.push(`two entries share bytes at offset ${sp.start}`);
    else if (!gapOk(sp.start - at, descriptor)) out.push(`${sp.start - at} bytes at offset ${at} belong to no entry`);
    at = Math.max(at, sp.end);
    descriptor = sp.descriptor;
  }
  if (!gapOk(centralStart - at, descriptor))
    out.push(`${centralStart - at} bytes at offset ${at}, before the central directory, belong to no entry`);
  const comment = zip.comment as unknown as Buffer | string;
  const tail = zip.fileSize - centralEnd - 22 - comment.length;
  // Zip64: end of central directory record (56 bytes without extensible data) and its locator (20).
  if (tail !== 0 && tail !== 76) out.push(`${tail} bytes after the central directory belong to no entry`);
  if (comment.length > 0)
    out.push(`the zip has a ${comment.length}-byte comment (unzip prints it; collect writes none)`);
  return out;
}
