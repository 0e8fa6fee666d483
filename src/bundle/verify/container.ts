// The zip itself, before any file is read: repeated, unsafe or colliding names, hidden data,
// folders that hold nothing, zip bombs, and the two files everything else hangs on.
import { ENVELOPE_FILE, MANIFEST_FILE } from '../manifest.js';
import type { OpenBundle } from '../zip-reader.js';
import type { Fail } from './types.js';

/**
 * A zip entry that claims to inflate to more than BOMB_MIN bytes at more than BOMB_RATIO:1 is not
 * read. collect's files compress about 4-8:1 (hashes and ids do not compress); DEFLATE's ceiling
 * is ~1032:1, which is what a bomb of repeated bytes uses.
 */
const BOMB_MIN = 64 * 1024 * 1024;
const BOMB_RATIO = 100;

/** Checks the container; false when the other checks cannot run (a bomb, or no manifest or envelope). */
export function checkContainer(b: OpenBundle, path: string, fail: Fail): boolean {
  for (const d of b.duplicates) fail(d, 'appears more than once in the zip');
  // Names unzip would write elsewhere or differently than they are checked, and folders that are
  // not the folder of a file (zip -r adds those; anything else is an extra entry or hidden data).
  for (const h of b.hidden) fail(path, `${h}: data no check reads`);
  for (const u of b.unsafe)
    fail(
      u.name,
      `is an unsafe entry (${u.reason}): unzip would write it outside the bundle's folder, under another name, or as something else than the file checked`,
    );
  checkFoldedNames(b, fail);
  if (!checkBombs(b, fail)) return false;
  for (const d of b.directories) {
    if (d.size > 0) fail(d.name, `is a directory entry that holds ${d.size} bytes of data`);
    else if (![...b.entries.keys()].some((n) => n.startsWith(d.name)))
      fail(d.name, "is a folder that holds none of the bundle's files (an extra entry)");
  }
  for (const f of [MANIFEST_FILE, ENVELOPE_FILE]) if (!b.entries.has(f)) fail(f, 'is missing from the bundle');
  return b.entries.has(MANIFEST_FILE) && b.entries.has(ENVELOPE_FILE);
}

/**
 * Names that are one file once unzipped: 'a/./b' or 'a//b' and 'a/b' anywhere, and names that differ
 * only in case or Unicode normalization on macOS and Windows. unzip would write one over the
 * other, so the folder would not hold what was checked.
 */
function checkFoldedNames(b: OpenBundle, fail: Fail): void {
  const folded = new Map<string, string>();
  for (const n of b.names) {
    const k = n
      .split('/')
      .filter((seg) => seg !== '' && seg !== '.')
      .join('/')
      .normalize('NFC')
      .toLowerCase();
    const other = folded.get(k);
    if (other !== undefined && other !== n)
      fail(
        n,
        `and ${other} are the same file once unzipped (same path, or the same on a case-insensitive or Unicode-normalizing file system): unzip would write one over the other`,
      );
    else folded.set(k, n);
  }
}

/** False when an entry claims a ratio only a zip bomb has (then nothing is read). */
function checkBombs(b: OpenBundle, fail: Fail): boolean {
  const bombs = [...b.entries].filter(
    ([, e]) => e.uncompressedSize > BOMB_MIN && e.uncompressedSize > BOMB_RATIO * e.compressedSize,
  );
  for (const [name, e] of bombs)
    fail(
      name,
      `claims to inflate from ${e.compressedSize} to ${e.uncompressedSize} bytes (more than ${BOMB_RATIO}:1, a zip bomb?): not read`,
    );
  return bombs.length === 0;
}
