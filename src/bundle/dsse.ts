// DSSE envelopes (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md) signed with
// Ed25519 from node:crypto. The signature covers the pre-authentication encoding
//   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
// where LEN is the decimal byte length, so an auditor can rebuild those bytes with printf and cat.
import { sign, verify, type KeyObject } from 'node:crypto';
import { keyId } from './keys.js';

export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseSignature {
  keyid: string;
  sig: string;
}
export interface DsseEnvelope {
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

export function pae(payloadType: string, body: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

export function signEnvelope(
  body: Buffer,
  privateKey: KeyObject,
  publicKey: KeyObject,
  payloadType = INTOTO_PAYLOAD_TYPE,
): DsseEnvelope {
  const sig = sign(null, pae(payloadType, body), privateKey);
  return {
    payload: body.toString('base64'),
    payloadType,
    signatures: [{ keyid: keyId(publicKey), sig: sig.toString('base64') }],
  };
}

/**
 * The envelope as written to manifest.dsse.json: one key per line, so that VERIFY.md's sed
 * recipes can pull `payload` and `sig` out without a JSON tool. Still ordinary JSON.
 */
export function envelopeText(env: DsseEnvelope): string {
  return `${JSON.stringify(env, null, 2)}\n`;
}

/** True when some signature in the envelope verifies with the key. */
export function verifyEnvelope(env: DsseEnvelope, publicKey: KeyObject): boolean {
  const body = Buffer.from(env.payload, 'base64');
  const data = pae(env.payloadType, body);
  return env.signatures.some((s) => {
    try {
      return verify(null, data, publicKey, Buffer.from(s.sig, 'base64'));
    } catch {
      return false;
    }
  });
}
