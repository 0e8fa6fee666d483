// Deterministic zip writing with yazl: entries in the order given, every entry with the same
// mtime (from the run's clock), the same permissions (0644 regular file), DEFLATE, and no extended
// timestamp extra field. yazl encodes the DOS date with the process's local time, so the time is
// shifted to make the local fields equal the UTC ones: the zip is then the same in every TZ.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

export interface ZipItem {
  /** Path inside the zip ('report/summary.html'). */
  name: string;
  /** A file on disk, or the content itself. */
  file?: string;
  data?: Buffer;
}

/** DOS time has no zone and starts in 1980; clamps earlier clocks (SOURCE_DATE_EPOCH=0) to 1980-01-01. */
export function dosMtime(clock: Date): Date {
  const t = Math.max(clock.getTime(), Date.UTC(1980, 0, 1));
  let d = new Date(t);
  for (let i = 0; i < 3; i++) d = new Date(t + d.getTimezoneOffset() * 60000);
  return d;
}

export async function writeZip(path: string, items: ZipItem[], clock: Date): Promise<void> {
  const zip = new yazl.ZipFile();
  const options = { mtime: dosMtime(clock), mode: 0o100644, compress: true, forceDosTimestamp: true };
  for (const it of items) {
    if (it.file !== undefined) zip.addFile(it.file, it.name, options);
    else zip.addBuffer(it.data ?? Buffer.alloc(0), it.name, options);
  }
  const done = pipeline(zip.outputStream, createWriteStream(path, { mode: 0o644 }));
  const failed = new Promise<never>((_, reject) => { zip.on('error', reject); });
  zip.end();
  await Promise.race([done, failed]);
}
