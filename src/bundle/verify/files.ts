// The files: every subject present with its digest and nothing extra, SHA256SUMS agreeing with the
// manifest line by line, and VERIFY.md the text this version writes for this bundle.
import {
  COLLECTOR_VERSION,
  ENVELOPE_FILE,
  type EvidencePredicate,
  MANIFEST_FILE,
  SUMS_FILE,
  VERIFY_FILE,
} from '../manifest.js';
import { verifyDoc } from '../verify-doc.js';
import { type Ctx, digestOf, LineReader, type Streamed } from './types.js';

/** Every subject present with its digest (from the single pass where it hashed the file); nothing extra. */
export async function checkFiles({ b, fail }: Ctx, subjects: Map<string, string>, streamed: Streamed): Promise<void> {
  for (const [name, digest] of subjects) {
    if (!b.entries.has(name)) {
      fail(name, 'is listed in the manifest but missing from the bundle');
      continue;
    }
    let got: string;
    try {
      const r = streamed.readers.get(name);
      got = r ? await r.digest() : await digestOf(await b.stream(name));
    } catch (e) {
      fail(name, `cannot be read from the zip (${(e as Error).message})`);
      continue;
    }
    if (got !== digest) fail(name, `its sha256 ${got} differs from the manifest's ${digest} (the file was changed)`);
  }
  for (const name of b.entries.keys())
    if (name !== MANIFEST_FILE && name !== ENVELOPE_FILE && !subjects.has(name))
      fail(name, 'is in the bundle but not in the signed manifest (an extra file)');
}

/** SHA256SUMS agrees with the manifest, line by line. */
export async function checkSums({ b, fail }: Ctx, subjects: Map<string, string>): Promise<void> {
  if (!b.entries.has(SUMS_FILE)) return;
  const r = new LineReader(b, SUMS_FILE);
  const listed = new Set<string>();
  for (let l = await r.next(); l; l = await r.next()) {
    // The grammar VERIFY.md checks before it runs sha256sum -c: a digest, two spaces, a plain
    // relative path whose segments do not start with '.' (no '..', no absolute path, no escapes).
    const m = /^([0-9a-f]{64}) {2}([A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*)$/.exec(l.text);
    if (!m) {
      fail(SUMS_FILE, "is not a sha256sum line naming a plain path inside the bundle ('<sha256>  <path>')", l.line);
      continue;
    }
    listed.add(m[2]);
    if (!subjects.has(m[2])) fail(SUMS_FILE, `lists ${m[2]}, which the manifest does not`, l.line);
    else if (subjects.get(m[2]) !== m[1]) fail(SUMS_FILE, `the digest of ${m[2]} differs from the manifest's`, l.line);
  }
  for (const name of subjects.keys())
    if (name !== SUMS_FILE && !listed.has(name)) fail(SUMS_FILE, `does not list ${name}`);
}

/** VERIFY.md is the text this version writes for this bundle (only when the versions match). */
export async function checkVerifyDoc({ b, fail }: Ctx, p: EvidencePredicate): Promise<void> {
  if (!b.entries.has(VERIFY_FILE) || p.collector.version !== COLLECTOR_VERSION) return;
  const expected = verifyDoc({ keyid: p.signer.keyid, ephemeral: p.signer.ephemeral, demo: p.demo }).split('\n');
  const got = (await b.read(VERIFY_FILE, 1024 * 1024)).toString('utf8').split('\n');
  const i = expected.findIndex((x, k) => got[k] !== x);
  if (i >= 0 || got.length !== expected.length)
    fail(VERIFY_FILE, 'differs from the instructions this bundle was written with', (i >= 0 ? i : expected.length) + 1);
}
