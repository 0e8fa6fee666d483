// The chain: the previous bundle (given with --previous) is valid in full, signed by this bundle's
// key or the old key its signature vouches for, is the one the predicate names, and its period
// ends where this one starts (or the gap is the one collect recorded with --allow-gap).
import type { KeyObject } from 'node:crypto';
import { basename } from 'node:path';
import { sha256Hex } from '../../event/hash.js';
import { keyId, parsePublicKey } from '../keys.js';
import { type EvidencePredicate, MANIFEST_FILE, type Statement } from '../manifest.js';
import { EntryReadError, openBundle } from '../zip-reader.js';
import {
  type Ctx,
  type Fail,
  formatFailure,
  MAX_MANIFEST,
  type State,
  type VerifyOptions,
  type VerifyResult,
} from './types.js';

type Chain = NonNullable<VerifyResult['chain']>;
/** Verifies the previous bundle (verifyBundle, handed in so that this module does not import the index). */
export type VerifyPrevious = (path: string, opts: VerifyOptions) => Promise<VerifyResult>;

export async function checkChain(
  ctx: Ctx,
  previous: string,
  p: EvidencePredicate,
  state: State,
  key: KeyObject | null,
  maxPerFile: number | undefined,
  verifyPrevious: VerifyPrevious,
): Promise<void> {
  const name = basename(previous);
  const chain: Chain = { file: name, manifest_sha256: null, valid: false, gap: null, key_change: null };
  state.chain = chain;
  const before = { n: 0 };
  const failChain: Fail = (file, message, line, always) => {
    before.n++;
    ctx.fail(file, message, line, always);
  };
  const prevManifest = await readPreviousManifest(previous, chain, failChain);
  if (!prevManifest) return;
  const { st, digest } = prevManifest;
  // The previous bundle itself, in full: signed by the same key as this one (or by the old key this
  // bundle's signature vouches for, after a key change), every file unchanged.
  const prevKey = previousKey(ctx, p, name, key, chain, failChain);
  if (prevKey === undefined) return;
  const r = await verifyPrevious(previous, { publicKey: prevKey, maxPerFile });
  const shown = r.failures.slice(0, 5);
  for (const f of shown) failChain(previous, `is INVALID: ${formatFailure(f)}`);
  if (r.failures.length > shown.length)
    failChain(
      previous,
      `is INVALID: and ${r.failures.length - shown.length} more problems (run audit-evidence verify ${previous})`,
    );
  if (!p.previous_bundle) {
    failChain(
      MANIFEST_FILE,
      `is not chained to a previous bundle (predicate.previous_bundle is null), but --previous ${previous} was given`,
    );
    return;
  }
  if (p.previous_bundle.manifest_sha256 !== digest) {
    failChain(
      MANIFEST_FILE,
      `predicate.previous_bundle names manifest sha256 ${p.previous_bundle.manifest_sha256}, but ${previous} has ${digest} (not the bundle this one follows: replaced or changed)`,
    );
    return;
  }
  checkPeriods(ctx, st, p, chain, failChain);
  if (before.n === 0) {
    chain.valid = true;
    ctx.facts.previous = digest;
  }
}

/** The previous bundle's statement and the sha256 of its manifest; null when it has none that reads. */
async function readPreviousManifest(
  previous: string,
  chain: Chain,
  failChain: Fail,
): Promise<{ st: Statement; digest: string } | null> {
  const prev = await openBundle(previous);
  try {
    if (!prev.entries.has(MANIFEST_FILE)) {
      failChain(previous, `is not an evidence bundle (no ${MANIFEST_FILE})`);
      return null;
    }
    let bytes: Buffer;
    try {
      bytes = await prev.read(MANIFEST_FILE, MAX_MANIFEST);
    } catch (e) {
      if (e instanceof EntryReadError) {
        failChain(previous, `${MANIFEST_FILE} ${e.message.slice(e.entry.length + 1)}`);
        return null;
      }
      throw e;
    }
    const digest = sha256Hex(bytes);
    chain.manifest_sha256 = digest;
    try {
      return { st: JSON.parse(bytes.toString('utf8')), digest };
    } catch {
      failChain(previous, `${MANIFEST_FILE} is not JSON`);
      return null;
    }
  } finally {
    prev.close();
  }
}

/** The key the previous bundle must be signed with: this one's, or the old key of a key change; undefined on a failure. */
function previousKey(
  { warnings }: Ctx,
  p: EvidencePredicate,
  name: string,
  key: KeyObject | null,
  chain: Chain,
  failChain: Fail,
): KeyObject | null | undefined {
  const kc = p.previous_bundle?.key_change ?? null;
  if (!kc) return key;
  let prevKey: KeyObject;
  try {
    prevKey = parsePublicKey(kc.previous_public_key, 'predicate.previous_bundle.key_change.previous_public_key');
  } catch (e) {
    failChain(MANIFEST_FILE, (e as Error).message);
    return undefined;
  }
  if (keyId(prevKey) !== kc.previous_keyid) {
    failChain(
      MANIFEST_FILE,
      `predicate.previous_bundle.key_change names key id ${kc.previous_keyid}, but its public key has key id ${keyId(prevKey)}`,
    );
    return undefined;
  }
  chain.key_change = kc.previous_keyid;
  warnings.push(
    `the signing key changed: ${name} was signed by key ${kc.previous_keyid}, which this bundle's signature vouches for (a key rotation)`,
  );
  return prevKey;
}

/** The previous period ends where this one starts, or the gap between them is the recorded one. */
function checkPeriods({ warnings }: Ctx, st: Statement, p: EvidencePredicate, chain: Chain, failChain: Fail): void {
  const pe = st.predicate?.period?.end;
  const gap = p.previous_bundle?.gap ?? null;
  if (pe && pe !== p.period.start) {
    if (Date.parse(pe) < Date.parse(p.period.start)) {
      if (gap && gap.start === pe && gap.end === p.period.start) {
        chain.gap = gap;
        warnings.push(
          `the chain has a known gap from ${gap.start} to ${gap.end}: collect accepted it with --allow-gap and the signed manifest records it`,
        );
      } else
        failChain(
          MANIFEST_FILE,
          `the chain has a gap: the previous bundle ends at ${pe}, this one starts at ${p.period.start}`,
        );
    } else
      failChain(
        MANIFEST_FILE,
        `the periods overlap: the previous bundle ends at ${pe}, this one starts at ${p.period.start}`,
      );
  } else if (gap)
    failChain(
      MANIFEST_FILE,
      `predicate.previous_bundle.gap ${gap.start} to ${gap.end} is not the gap between ${chain.file} and this bundle (there is none)`,
    );
}
