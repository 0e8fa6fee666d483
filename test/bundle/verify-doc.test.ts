// VERIFY.md must be true: its shell recipes are run here, as written, on a real bundle with the
// real tools (unzip, sha256sum, base64, printf, openssl 3, python3), and also on a tampered copy.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, keygen, readAll, tempDir, unzipTo, writeConfig } from './helpers.js';

const has = (cmd: string, args: string[]) => spawnSync(cmd, args).status === 0;
const opensslOk =
  has('openssl', ['version']) && /OpenSSL 3/.test(spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout);

/** The ```sh blocks under the heading that starts with `## <n>.` */
function blocks(doc: string, n: number): string {
  const section = doc.split(/^## /m).find((s) => s.startsWith(`${n}.`))!;
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]).join('\n');
}

const bash = (script: string, cwd: string) => spawnSync('bash', ['-c', script], { cwd, encoding: 'utf8' });

describe('VERIFY.md recipes', () => {
  let x: string;
  let doc: string;
  let manifest: {
    predicate: { events: { count: number; merkle_root: string } };
    subject: Array<{ name: string; digest: { sha256: string } }>;
  };
  let pub: string;
  beforeAll(async () => {
    const dir = tempDir('ae-doc-');
    const k = await keygen(dir);
    pub = k.pub;
    const zip = join(dir, 'b.zip');
    expect(
      (
        await collect([
          '--config',
          writeConfig(dir),
          '--since',
          '2026-11-22',
          '--until',
          '2026-11-29',
          '--key',
          k.key,
          '--out',
          zip,
        ])
      ).code,
    ).toBe(0);
    x = join(dir, 'bundle');
    if (spawnSync('unzip', ['-q', zip, '-d', x]).status !== 0) unzipTo(await readAll(zip), x);
    doc = readFileSync(join(x, 'VERIFY.md'), 'utf8');
    manifest = JSON.parse(readFileSync(join(x, 'manifest.intoto.json'), 'utf8'));
  });

  it.skipIf(!opensslOk)(
    "step 2 checks the DSSE signature with openssl, with the bundled key and with the signer's own copy",
    () => {
      const script = blocks(doc, 2);
      const r = bash(script, x);
      expect(r.stdout).toContain('payload matches manifest.intoto.json');
      expect(r.stdout).toContain('Signature Verified Successfully');
      const keyid = JSON.parse(readFileSync(join(x, 'manifest.dsse.json'), 'utf8')).signatures[0].keyid;
      expect(r.stdout).toContain(`${keyid}  -`);
      const own = bash(script.replace('KEY=public-key.pem', `KEY=${pub}`), x);
      expect(own.stdout).toContain('Signature Verified Successfully');
    },
  );

  it.skipIf(!opensslOk)('step 2 fails on a manifest changed after signing', () => {
    const copy = join(x, '..', 'tampered');
    spawnSync('cp', ['-r', x, copy]);
    const m = readFileSync(join(copy, 'manifest.intoto.json'), 'utf8').replace('"demo": false', '"demo": true ');
    writeFileSync(join(copy, 'manifest.intoto.json'), m);
    const r = bash(blocks(doc, 2), copy);
    expect(r.stdout).not.toContain('Signature Verified Successfully');
    expect(r.stdout).not.toContain('payload matches');
  });

  it('step 3 checks every file with sha256sum', () => {
    const r = bash(blocks(doc, 3), x);
    expect(r.status).toBe(0);
    const sums = manifest.subject.find((s) => s.name === 'SHA256SUMS')!.digest.sha256;
    expect(r.stdout.split('\n')[0]).toBe(`${sums}  SHA256SUMS`);
    expect(r.stdout).toContain(`"sha256": "${sums}"`);
    expect(r.stdout).toMatch(/events\.jsonl: OK/);
    expect(r.stdout).not.toMatch(/FAILED/);
  });

  it('step 4 finds the raw record of the first event', () => {
    const r = bash(blocks(doc, 4), x);
    const raw = JSON.parse(r.stdout.trim());
    const first = JSON.parse(readFileSync(join(x, 'events.jsonl'), 'utf8').split('\n')[0]);
    expect(raw.sha256).toBe(first.source.raw_sha256);
    expect(raw.disposition).toBe('event');
  });

  it.skipIf(!has('python3', ['--version']))('step 5 recomputes the Merkle root with Python', () => {
    const r = bash(blocks(doc, 5), x);
    expect(r.stdout.split('\n')[0]).toBe(`${manifest.predicate.events.count} ${manifest.predicate.events.merkle_root}`);
  });
});
