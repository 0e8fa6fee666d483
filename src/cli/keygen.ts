// `audit-evidence keygen`: an Ed25519 key pair for signing bundles. The private key is created
// with mode 0600 (never readable by others) and an existing file is never overwritten.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { generateKey, keyId, privateKeyPem, publicKeyPem } from '../bundle/keys.js';
import { UserError, errnoText } from './errors.js';

export function keygenCommand(): Command {
  return new Command('keygen')
    .description(
      'Generate an Ed25519 key pair for signing evidence bundles (PREFIX.key, mode 0600, and PREFIX.pub.pem).',
    )
    .requiredOption('-o, --out <prefix>', 'path prefix of the key files: writes PREFIX.key and PREFIX.pub.pem')
    .addHelpText(
      'after',
      `
Example:
  $ audit-evidence keygen --out keys/evidence
  $ audit-evidence collect --week --config audit-evidence.yaml --key keys/evidence.key

Keep PREFIX.key secret (collect refuses a key that other users can read). Give PREFIX.pub.pem to
the auditor by a separate channel: verify --pubkey checks bundles against it.`,
    )
    .action((opts: { out: string }) => {
      const { privateKey, publicKey } = generateKey();
      const priv = `${opts.out}.key`;
      const pub = `${opts.out}.pub.pem`;
      const write = (path: string, text: string, mode: number) => {
        try {
          writeFileSync(path, text, { mode, flag: 'wx' });
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new UserError(
            code === 'EEXIST'
              ? `${path} already exists; not overwriting a key (choose another --out)`
              : `cannot write ${path}: ${errnoText(e)}`,
          );
        }
      };
      // The key's folder is created private (0700) when it does not exist yet.
      try {
        mkdirSync(dirname(priv), { recursive: true, mode: 0o700 });
      } catch (e) {
        throw new UserError(
          `cannot create the folder ${dirname(priv)}: ${(e as NodeJS.ErrnoException).code === 'EEXIST' ? 'a file, not a folder, has that name' : errnoText(e)}`,
        );
      }
      for (const p of [priv, pub])
        if (existsSync(p)) throw new UserError(`${p} already exists; not overwriting a key (choose another --out)`);
      write(priv, privateKeyPem(privateKey), 0o600);
      write(pub, publicKeyPem(publicKey), 0o644);
      process.stdout.write(
        `private key: ${priv} (mode 0600, keep it secret)\npublic key:  ${pub} (give it to the auditor)\nkey id:      ${keyId(publicKey)}\n`,
      );
    });
}
