// A chain you can trust, end to end with the built binary: three weekly bundles, and week 2
// replaced, re-signed with another key, or its files edited. collect of week 3 used to accept each
// (it read only the previous manifest's digest) and verify --previous said "chained to X"; now
// collect refuses with one sentence (exit 2) and verify --previous fails naming the reason.
// Also: no silent overwrite (--force), a lock file against a concurrent run, no leftovers.
import { describe, it, expect, beforeAll } from 'vitest';
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { BIN, runCli } from '../helpers/cli.js';
import { collect, EPOCH, keygen, readAll, rezip, tempDir, writeConfig } from '../bundle/helpers.js';
import { signEnvelope, envelopeText } from '../../src/bundle/dsse.js';
import { keyId } from '../../src/bundle/keys.js';
import { sha256Hex } from '../../src/event/hash.js';
import { sumsText, type Statement } from '../../src/bundle/manifest.js';
import { verifyDoc } from '../../src/bundle/verify-doc.js';

const W1 = ['--since', '2026-11-08', '--until', '2026-11-15'];
const W2 = ['--since', '2026-11-15', '--until', '2026-11-22'];
const W3 = ['--since', '2026-11-22', '--until', '2026-11-29'];

/** Re-signs a bundle's files with another key, consistently (public key, key id, VERIFY.md, digests): a bundle valid under that key. */
function resignWith(files: Map<string, Buffer>, keyPath: string): Map<string, Buffer> {
  const out = new Map(files);
  const priv = createPrivateKey(readFileSync(keyPath));
  const pub = createPublicKey(priv);
  const st: Statement = JSON.parse(out.get('manifest.intoto.json')!.toString());
  st.predicate.signer.keyid = keyId(pub);
  out.set('public-key.pem', Buffer.from(pub.export({ type: 'spki', format: 'pem' }).toString()));
  out.set('VERIFY.md', Buffer.from(verifyDoc({ keyid: keyId(pub), ephemeral: false, demo: false })));
  const others = st.subject
    .filter((s) => s.name !== 'SHA256SUMS')
    .map((s) => ({ name: s.name, digest: { sha256: sha256Hex(out.get(s.name)!) } }));
  const sums = Buffer.from(sumsText(others));
  out.set('SHA256SUMS', sums);
  st.subject = [{ name: 'SHA256SUMS', digest: { sha256: sha256Hex(sums) } }, ...others];
  const manifest = Buffer.from(`${JSON.stringify(st, null, 2)}\n`);
  out.set('manifest.intoto.json', manifest);
  out.set('manifest.dsse.json', Buffer.from(envelopeText(signEnvelope(manifest, priv, pub))));
  return out;
}

describe('a chain of three weekly bundles', () => {
  let dir: string;
  let cfg: string;
  let A: { key: string; pub: string };
  let B: { key: string; pub: string };
  const w = (n: string) => join(dir, n);
  beforeAll(async () => {
    dir = tempDir('ae-chain-');
    cfg = writeConfig(dir);
    [A, B] = await Promise.all([keygen(dir, 'a'), keygen(dir, 'b')]);
    expect((await collect(['--config', cfg, ...W1, '--key', A.key, '--out', w('w1.zip')])).code).toBe(0);
    expect(
      (await collect(['--config', cfg, ...W2, '--key', A.key, '--out', w('w2.zip'), '--previous', w('w1.zip')])).code,
    ).toBe(0);
    expect(
      (await collect(['--config', cfg, ...W3, '--key', A.key, '--out', w('w3.zip'), '--previous', w('w2.zip')])).code,
    ).toBe(0);
  });

  it('the genuine chain verifies link by link, each previous bundle in full', async () => {
    const v = await runCli(['verify', w('w3.zip'), '--pubkey', A.pub, '--previous', w('w2.zip')]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/chain: OK, follows w2\.zip \(manifest sha256 [0-9a-f]{64}\), verified in full/);
  });

  it('week 2 replaced: by week 1 (collect refuses the gap), or by another week-2 bundle (verify names the digest)', async () => {
    copyFileSync(w('w1.zip'), w('w2-replaced-by-w1.zip'));
    const c = await collect([
      '--config',
      cfg,
      ...W3,
      '--key',
      A.key,
      '--out',
      w('w3-x.zip'),
      '--previous',
      w('w2-replaced-by-w1.zip'),
    ]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(
      /error: the chain would have a gap: --previous w2-replaced-by-w1\.zip ends at 2026-11-15T00:00:00\.000Z, this period starts at 2026-11-22T00:00:00\.000Z/,
    );
    expect(existsSync(w('w3-x.zip'))).toBe(false);
    // Another week-2 bundle (another configuration, so other bytes), valid in itself, after week 3 was chained.
    writeConfig(dir, '', 'other.yaml');
    writeFileSync(
      join(dir, 'other.yaml'),
      readFileSync(join(dir, 'other.yaml'), 'utf8').replace('profile: soc2', 'profile: pci'),
    );
    expect(
      (
        await collect([
          '--config',
          join(dir, 'other.yaml'),
          ...W2,
          '--key',
          A.key,
          '--out',
          w('w2-other.zip'),
          '--previous',
          w('w1.zip'),
        ])
      ).code,
    ).toBe(0);
    const v = await runCli(['verify', w('w3.zip'), '--pubkey', A.pub, '--previous', w('w2-other.zip')]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(
      /predicate\.previous_bundle names manifest sha256 [0-9a-f]{64}, but .*w2-other\.zip has [0-9a-f]{64} \(not the bundle this one follows: replaced or changed\)/,
    );
    expect(v.stdout).not.toMatch(/chain: OK|chained to/);
    expect(v.stdout).toMatch(/chain: FAILED/);
  });

  it('week 2 re-signed with another key: collect refuses it, verify --previous names the other key', async () => {
    await rezip(resignWith(await readAll(w('w2.zip')), B.key), w('w2-resigned.zip'));
    // The re-signed copy is a valid bundle under key B: only the chain can tell.
    expect((await runCli(['verify', w('w2-resigned.zip'), '--pubkey', B.pub])).code).toBe(0);
    const c = await collect([
      '--config',
      cfg,
      ...W3,
      '--key',
      A.key,
      '--out',
      w('w3-y.zip'),
      '--previous',
      w('w2-resigned.zip'),
    ]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(
      /error: --previous w2-resigned\.zip is signed by key [0-9a-f]{64}, not by this run's key [0-9a-f]{64}: if the signing key was changed, give the previous key's public key with --previous-pubkey FILE/,
    );
    expect(
      c.stderr
        .trim()
        .split('\n')
        .filter((l) => l.includes('error:')),
    ).toHaveLength(1);
    const v = await runCli(['verify', w('w3.zip'), '--pubkey', A.pub, '--previous', w('w2-resigned.zip')]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/w2-resigned\.zip: is INVALID: manifest\.dsse\.json: was signed with another key/);
    expect(v.stdout).not.toMatch(/chain: OK|chained to/);
  });

  it('week 2 with an edited file: collect refuses it (it read only the manifest digest), verify --previous names the file', async () => {
    const files = await readAll(w('w2.zip'));
    const csv = files
      .get('events.csv')!
      .toString()
      .replace(/,alice,/, ',mallory,');
    files.set('events.csv', Buffer.from(csv === files.get('events.csv')!.toString() ? `${csv}x` : csv));
    await rezip(files, w('w2-edited.zip'));
    const c = await collect([
      '--config',
      cfg,
      ...W3,
      '--key',
      A.key,
      '--out',
      w('w3-z.zip'),
      '--previous',
      w('w2-edited.zip'),
    ]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(
      /error: --previous w2-edited\.zip is INVALID, so this bundle cannot be chained to it: events\.csv/,
    );
    const v = await runCli(['verify', w('w3.zip'), '--pubkey', A.pub, '--previous', w('w2-edited.zip')]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(/w2-edited\.zip: is INVALID: events\.csv/);
    expect(v.stdout).not.toMatch(/chain: OK|chained to/);
  });

  it('an overlap is refused; a known gap is accepted only with --allow-gap and recorded; a key change only with the old public key', async () => {
    const o = await collect([
      '--config',
      cfg,
      '--since',
      '2026-11-20',
      '--until',
      '2026-11-27',
      '--key',
      A.key,
      '--out',
      w('overlap.zip'),
      '--previous',
      w('w2.zip'),
    ]);
    expect(o.code).toBe(2);
    expect(o.stderr).toMatch(
      /error: the period overlaps --previous w2\.zip: it ends at 2026-11-22T00:00:00\.000Z, this period starts at 2026-11-20T00:00:00\.000Z/,
    );
    const g = await collect([
      '--config',
      cfg,
      '--since',
      '2026-11-23',
      '--until',
      '2026-11-29',
      '--key',
      A.key,
      '--out',
      w('gap.zip'),
      '--previous',
      w('w2.zip'),
      '--allow-gap',
    ]);
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toMatch(
      /WARNING: the chain has a known gap from 2026-11-22T00:00:00\.000Z to 2026-11-23T00:00:00\.000Z/,
    );
    const gm = JSON.parse((await readAll(w('gap.zip'))).get('manifest.intoto.json')!.toString()).predicate
      .previous_bundle;
    expect(gm.gap).toEqual({ start: '2026-11-22T00:00:00.000Z', end: '2026-11-23T00:00:00.000Z' });
    // Key rotation: week 3 signed by B, chained to week 2 signed by A, told with A's public key.
    const k = await collect([
      '--config',
      cfg,
      ...W3,
      '--key',
      B.key,
      '--out',
      w('w3-rotated.zip'),
      '--previous',
      w('w2.zip'),
      '--previous-pubkey',
      A.pub,
    ]);
    expect(k.code, k.stderr).toBe(0);
    const v = await runCli(['verify', w('w3-rotated.zip'), '--pubkey', B.pub, '--previous', w('w2.zip')]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/chain: OK, follows w2\.zip .*signing key changed from [0-9a-f]{64}/);
  });
});

describe('no leftovers, no silent overwrite', () => {
  let dir: string;
  let cfg: string;
  let A: { key: string; pub: string };
  beforeAll(async () => {
    dir = tempDir('ae-out-');
    cfg = writeConfig(dir);
    A = await keygen(dir, 'a');
  });

  it('an existing --out is refused without --force (the second run used to replace the first silently)', async () => {
    const out = join(dir, 'b.zip');
    expect((await collect(['--config', cfg, ...W3, '--key', A.key, '--out', out])).code).toBe(0);
    const before = readFileSync(out);
    const again = await collect(['--config', cfg, ...W3, '--key', A.key, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(
      /b\.zip already exists; collect never replaces a bundle silently \(choose another --out, or use --force to replace it\)/,
    );
    expect(again.stdout).not.toMatch(/bundle written/);
    expect(readFileSync(out).equals(before)).toBe(true);
    const forced = await collect(['--config', cfg, ...W3, '--key', A.key, '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a lock file next to the target stops a concurrent run; a stale lock, .partial and work folder of a killed run are removed', async () => {
    const out = join(dir, 'locked.zip');
    // A run that is still going (a source reading standard input waits for it).
    const stdinCfg = join(dir, 'stdin.yaml');
    writeFileSync(stdinCfg, 'sources:\n  - name: piped\n    type: file\n    paths: ["-"]\n    format: pgaudit\n');
    const child = spawn(process.execPath, [BIN, 'collect', '--config', stdinCfg, ...W3, '--key', A.key, '--out', out], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, SOURCE_DATE_EPOCH: EPOCH },
    });
    let err = '';
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (d) => {
        err += d;
        if (err.includes('piped: reading -')) resolve();
      }),
    );
    expect(existsSync(join(dir, '.locked.zip.lock'))).toBe(true);
    const second = await collect(['--config', cfg, ...W3, '--key', A.key, '--out', out]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      new RegExp(`another collect \\(pid ${child.pid}, started [^)]+\\) is writing .*locked\\.zip: wait for it to end`),
    );
    // kill -9: nothing can clean up.
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const left = readdirSync(dir).filter((f) => f.startsWith('.'));
    expect(left).toContain('.locked.zip.lock');
    const partials = left.filter((f) => f.startsWith('.audit-evidence-partial-'));
    expect(partials).toHaveLength(1);
    expect(partials[0]).not.toMatch(/\.zip/); // never named like a bundle
    const work = readdirSync(tmpdir()).filter((f) => f.startsWith(`audit-evidence-work-${child.pid}-`));
    expect(work).toHaveLength(1);
    const next = await collect(['--config', cfg, ...W3, '--key', A.key, '--out', out]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(
      /removing the stale lock .*locked\.zip\.lock of a collect run \(pid \d+\) that no longer runs/,
    );
    expect(next.stderr).toMatch(/removed .*\.audit-evidence-partial-/);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(existsSync(join(tmpdir(), work[0]!))).toBe(false);
  });
});
