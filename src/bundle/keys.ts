// Ed25519 keys for signing bundles: PEM files (PKCS#8 private, SPKI public), the key id (sha256
// of the DER SPKI public key, the fingerprint DSSE's keyid carries), and the permission check that
// keeps a signing key from being readable by other users.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  ephemeral: boolean;
  path: string | null;
}

export function generateKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ed25519');
}

export function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

export function publicKeyPem(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

export function privateKeyPem(privateKey: KeyObject): string {
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Loads a private key, refusing one that group or others can read (as ssh does). */
export function loadPrivateKey(path: string): SigningKey {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new KeyError(
      `cannot read the signing key ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new KeyError(
      `the signing key ${path} is readable by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); run chmod 600 ${path}`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(path));
  } catch {
    throw new KeyError(`${path} is not a PEM private key (make one with audit-evidence keygen)`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new KeyError(
      `${path} is a ${privateKey.asymmetricKeyType} key; bundles are signed with Ed25519 keys (make one with audit-evidence keygen)`,
    );
  return { privateKey, publicKey: createPublicKey(privateKey), ephemeral: false, path };
}

/**
 * Loads a public key as an auditor received it. A private key is refused: Node would derive the
 * public key from it without a word, but a private key in the auditor's hands means it has leaked
 * (or the wrong file was sent), and the check would then prove nothing about who signed.
 */
export function loadPublicKey(path: string, option = '--pubkey'): KeyObject {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (e) {
    throw new KeyError(
      `cannot read the public key ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text.toString('latin1'))) {
    throw new KeyError(
      `${option} ${path} is a PRIVATE key: give the public key (the .pub.pem file from audit-evidence keygen); a signing key must never leave its owner`,
    );
  }
  return parsePublicKey(text, path);
}

export function parsePublicKey(text: Buffer | string, name: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch {
    throw new KeyError(`${name} is not a PEM public key`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new KeyError(`${name} is a ${key.asymmetricKeyType} key, not Ed25519`);
  return key;
}

export function ephemeralKey(): SigningKey {
  const { privateKey, publicKey } = generateKey();
  return { privateKey, publicKey, ephemeral: true, path: null };
}
