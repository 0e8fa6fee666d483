// The signature: the DSSE envelope as collect writes it, over the manifest's exact bytes, by the
// given key (or the bundled one, self-asserted); and, once the predicate is read, that the
// predicate names that key and the bundled key is the signer's.
import type { KeyObject } from 'node:crypto';
import { sha256Hex } from '../../event/hash.js';
import { type DsseEnvelope, envelopeText, INTOTO_PAYLOAD_TYPE, verifyEnvelope } from '../dsse.js';
import { keyId, parsePublicKey } from '../keys.js';
import { ENVELOPE_FILE, type EvidencePredicate, MANIFEST_FILE, PUBLIC_KEY_FILE } from '../manifest.js';
import { EntryReadError } from '../zip-reader.js';
import { type Ctx, MAX_MANIFEST, type State, type VerifyOptions } from './types.js';

export interface Signed {
  /** The payload the envelope carries (the statement as signed). */
  payload: Buffer;
  /** The key the signature was checked with, when there was one. */
  key: KeyObject | null;
}

/** Reads the envelope and checks the signature; null when the envelope cannot be read as one. */
export async function checkSignature(ctx: Ctx, opts: VerifyOptions, state: State): Promise<Signed | null> {
  const { b, fail } = ctx;
  const manifestBytes = await b.read(MANIFEST_FILE, MAX_MANIFEST);
  state.manifestSha256 = sha256Hex(manifestBytes);
  let env: DsseEnvelope;
  const envText = (await b.read(ENVELOPE_FILE, MAX_MANIFEST)).toString('utf8');
  try {
    env = JSON.parse(envText);
  } catch {
    fail(ENVELOPE_FILE, 'is not JSON');
    return null;
  }
  if (typeof env?.payload !== 'string' || !Array.isArray(env.signatures) || env.signatures.length === 0) {
    fail(ENVELOPE_FILE, 'is not a DSSE envelope (payload, payloadType, signatures)');
    return null;
  }
  checkEnvelopeForm(ctx, env, envText);
  const payload = Buffer.from(env.payload, 'base64');
  if (!payload.equals(manifestBytes))
    fail(MANIFEST_FILE, `differs from the payload signed in ${ENVELOPE_FILE} (the manifest was changed after signing)`);
  const key = await signingKey(ctx, opts);
  if (key) {
    const id = keyId(key);
    ctx.facts.keyid = id;
    const ids = env.signatures.map((s) => s.keyid);
    if (!ids.includes(id))
      fail(
        ENVELOPE_FILE,
        `was signed with another key (key id ${ids.join(', ') || 'none'}; the ${ctx.facts.signer} has key id ${id})`,
      );
    else if (!verifyEnvelope(env, key))
      fail(
        ENVELOPE_FILE,
        `the signature does not verify with the ${ctx.facts.signer} (key id ${id}): the manifest or the signature was changed`,
      );
  }
  return { payload, key };
}

/**
 * VERIFY.md pulls "payload" and "sig" out with sed, line by line. That reads what this JSON parse
 * reads only when the envelope is exactly as collect writes it: one signature, these keys in this
 * order, two-space JSON (no second "payload" key, no extra "sig" line, no other layout).
 */
function checkEnvelopeForm({ fail }: Ctx, env: DsseEnvelope, envText: string): void {
  const asWritten = envelopeText({
    payload: env.payload,
    payloadType: env.payloadType,
    signatures: env.signatures.map((x) => ({ keyid: x?.keyid, sig: x?.sig })),
  });
  if (env.signatures.length !== 1)
    fail(
      ENVELOPE_FILE,
      `holds ${env.signatures.length} signatures; collect writes one, and VERIFY.md's commands read exactly one`,
    );
  else if (envText !== asWritten)
    fail(
      ENVELOPE_FILE,
      "is not in the form collect writes (two-space JSON: payload, payloadType, one signature with keyid and sig): VERIFY.md's sed commands could read other values than the JSON does",
    );
  if (env.payloadType !== INTOTO_PAYLOAD_TYPE)
    fail(ENVELOPE_FILE, `payloadType is '${env.payloadType}', expected ${INTOTO_PAYLOAD_TYPE}`);
}

/** The given key, or else the bundled one (self-asserted, with a warning). */
async function signingKey({ b, fail, facts, warnings }: Ctx, opts: VerifyOptions): Promise<KeyObject | null> {
  const key = opts.publicKey ?? null;
  if (key) {
    facts.signer = 'given key';
    return key;
  }
  if (!b.entries.has(PUBLIC_KEY_FILE)) {
    fail(PUBLIC_KEY_FILE, 'is missing and no --pubkey was given: the signature cannot be checked');
    return null;
  }
  try {
    const bundled = parsePublicKey(await b.read(PUBLIC_KEY_FILE, 64 * 1024), PUBLIC_KEY_FILE);
    facts.signer = 'bundled key (self-asserted)';
    warnings.push(
      `no --pubkey given: the signature was checked with the bundle's own ${PUBLIC_KEY_FILE}, which proves the files are unchanged since signing but not who signed; pass --pubkey with the signer's key received separately`,
    );
    return bundled;
  } catch (e) {
    fail(PUBLIC_KEY_FILE, (e as Error).message);
    return null;
  }
}

/**
 * The predicate names the signing key; with --pubkey, the bundled key (which an auditor who follows
 * VERIFY.md as written uses, though the signature did not need it) must be the key that signed.
 */
export async function checkSigner(
  { b, fail, facts }: Ctx,
  opts: VerifyOptions,
  p: EvidencePredicate,
  key: KeyObject | null,
): Promise<void> {
  if (key && p.signer.keyid !== facts.keyid)
    fail(MANIFEST_FILE, `predicate.signer.keyid ${p.signer.keyid} is not the signing key's id ${facts.keyid}`);
  if (!opts.publicKey || !b.entries.has(PUBLIC_KEY_FILE)) return;
  let bundled: string | null = null;
  try {
    bundled = keyId(parsePublicKey(await b.read(PUBLIC_KEY_FILE, 64 * 1024), PUBLIC_KEY_FILE));
  } catch (e) {
    if (e instanceof EntryReadError) throw e;
    fail(PUBLIC_KEY_FILE, `${(e as Error).message}; the bundle must carry the signer's public key`);
  }
  if (bundled !== null && bundled !== facts.keyid)
    fail(
      PUBLIC_KEY_FILE,
      `is another key (key id ${bundled}) than the one given with --pubkey that signed the bundle (key id ${facts.keyid})`,
    );
}
