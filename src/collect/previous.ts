// The link to the previous bundle (--previous): verified in full, and this period follows it.
import type { KeyObject } from 'node:crypto';
import { basename } from 'node:path';
import { keyId, publicKeyPem, type SigningKey } from '../bundle/keys.js';
import {
  type EvidencePredicate,
  MANIFEST_FILE,
  PREDICATE_TYPE,
  STATEMENT_TYPE,
  type Statement,
} from '../bundle/manifest.js';
import { formatFailure, verifyBundle } from '../bundle/verify/index.js';
import { BundleReadError, EntryReadError, openBundle } from '../bundle/zip-reader.js';
import { sha256Hex } from '../event/hash.js';
import { CollectError } from './errors.js';
import type { Period } from './window.js';

export interface PreviousCheck {
  /** The key this bundle is signed with (the previous bundle must be signed by it, unless previousPublicKey is given). */
  key: SigningKey;
  /** The public key that signed the previous bundle, when the signing key was changed (a rotation). */
  previousPublicKey?: KeyObject | null;
  /** Accept a gap between the previous period's end and this period's start (recorded in the manifest). */
  allowGap?: boolean;
  period: Period;
}

/**
 * Verifies the previous bundle in full (signature with the expected key, every file, events, counts)
 * and checks that this period follows it: no gap (unless allowed), no overlap, the same signer (unless
 * the old key is given). Each refusal is one sentence (a CollectError: collect exits 2).
 */
export async function previousLink(
  path: string,
  o: PreviousCheck,
): Promise<NonNullable<EvidencePredicate['previous_bundle']>> {
  const file = basename(path);
  const { bytes, st } = await readPreviousManifest(path);
  const thisKey = keyId(o.key.publicKey);
  const prevKeyId = typeof st.predicate?.signer?.keyid === 'string' ? st.predicate.signer.keyid : null;
  const given = o.previousPublicKey ? keyId(o.previousPublicKey) : null;
  if (given === null && prevKeyId !== thisKey) {
    throw new CollectError(
      `--previous ${file} is signed by key ${prevKeyId ?? '(none named)'}, not by this run's key ${thisKey}${o.key.ephemeral ? ' (an ephemeral key: give --key)' : ''}: if the signing key was changed, give the previous key's public key with --previous-pubkey FILE`,
    );
  }
  const r = await verifyBundle(path, { publicKey: o.previousPublicKey ?? o.key.publicKey });
  if (!r.valid) {
    const more =
      r.failures.length > 1
        ? ` (and ${r.failures.length - 1} more problem${r.failures.length === 2 ? '' : 's'}: run audit-evidence verify ${path})`
        : '';
    throw new CollectError(
      `--previous ${file} is INVALID, so this bundle cannot be chained to it: ${formatFailure(r.failures[0]!)}${more}`,
    );
  }
  const p = st.predicate;
  const gap = chainGap(file, p.period.end, o);
  const keyChange =
    given !== null && given !== thisKey
      ? { previous_keyid: given, previous_public_key: publicKeyPem(o.previousPublicKey!) }
      : null;
  return {
    manifest_sha256: sha256Hex(bytes),
    period: { start: p.period.start, end: p.period.end },
    file,
    keyid: prevKeyId ?? given ?? thisKey,
    gap,
    key_change: keyChange,
  };
}

/** The previous bundle's manifest bytes and statement (each refusal a CollectError). */
async function readPreviousManifest(path: string): Promise<{ bytes: Buffer; st: Statement }> {
  let b: Awaited<ReturnType<typeof openBundle>>;
  try {
    b = await openBundle(path);
  } catch (e) {
    throw new CollectError(`--previous: ${(e as Error).message}`);
  }
  try {
    if (!b.entries.has(MANIFEST_FILE))
      throw new CollectError(`--previous: ${path} is not an evidence bundle (it has no ${MANIFEST_FILE})`);
    const bytes = await b.read(MANIFEST_FILE);
    let st: Statement;
    try {
      st = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new CollectError(`--previous: ${MANIFEST_FILE} in ${path} is not JSON`);
    }
    if (st._type !== STATEMENT_TYPE || st.predicateType !== PREDICATE_TYPE)
      throw new CollectError(`--previous: ${path} is not an audit-evidence bundle (unexpected manifest type)`);
    return { bytes, st };
  } catch (e) {
    if (e instanceof BundleReadError || e instanceof EntryReadError) throw new CollectError(`--previous: ${e.message}`);
    throw e;
  } finally {
    b.close();
  }
}

/** The gap between the previous period's end and this period's start (null when they meet); an overlap, or a gap not allowed, is refused. */
function chainGap(file: string, prevEnd: string, o: PreviousCheck): { start: string; end: string } | null {
  const start = o.period.start.toISOString();
  if (Date.parse(prevEnd) > o.period.start.getTime()) {
    throw new CollectError(
      `the period overlaps --previous ${file}: it ends at ${prevEnd}, this period starts at ${start} (start this period at ${prevEnd})`,
    );
  }
  if (Date.parse(prevEnd) < o.period.start.getTime()) {
    if (!o.allowGap)
      throw new CollectError(
        `the chain would have a gap: --previous ${file} ends at ${prevEnd}, this period starts at ${start} (start at ${prevEnd}, or accept the known gap with --allow-gap, which records it in the manifest)`,
      );
    return { start: prevEnd, end: start };
  }
  return null;
}
