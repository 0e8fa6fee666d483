// verify against real bundles: valid, re-zipped, and tampered in every way the issue lists. Each
// tampering must make verify exit 1 with a message naming the file (and line where it can).
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { collect, keygen, readAll, rezip, tempDir, unzipTo, writeConfig } from '../bundle/helpers.js';
import { verifyBundle, formatFailure } from '../../src/bundle/verify/index.js';
import { loadPublicKey } from '../../src/bundle/keys.js';
import { signEnvelope, envelopeText } from '../../src/bundle/dsse.js';
import { sumsText, type Statement } from '../../src/bundle/manifest.js';
import { sha256Hex } from '../../src/event/hash.js';

const PERIOD = ['--since', '2026-11-22', '--until', '2026-11-29'];

/** Rewrites SHA256SUMS and the manifest's digests after a change, and signs again with `keyPath`: an insider with a key. */
function resign(files: Map<string, Buffer>, keyPath: string): Map<string, Buffer> {
  const st: Statement = JSON.parse(files.get('manifest.intoto.json')!.toString());
  const others = st.subject
    .filter((s) => s.name !== 'SHA256SUMS' && files.has(s.name))
    .map((s) => ({ name: s.name, digest: { sha256: sha256Hex(files.get(s.name)!) } }));
  const sums = Buffer.from(sumsText(others));
  files.set('SHA256SUMS', sums);
  st.subject = [{ name: 'SHA256SUMS', digest: { sha256: sha256Hex(sums) } }, ...others];
  const priv = createPrivateKey(readFileSync(keyPath));
  const manifest = Buffer.from(`${JSON.stringify(st, null, 2)}\n`);
  files.set('manifest.intoto.json', manifest);
  files.set('manifest.dsse.json', Buffer.from(envelopeText(signEnvelope(manifest, priv, createPublicKey(priv)))));
  return files;
}

/** Changes one byte near the middle of a file: an ASCII letter or digit becomes another one. */
function flipByte(data: Buffer): Buffer {
  if (data.length === 0) return Buffer.from('x'); // an empty file (no rejects): one byte added
  const out = Buffer.from(data);
  for (let i = Math.floor(out.length / 2); i < out.length; i++) {
    const c = out[i];
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a)) {
      out[i] = c === 0x30 ? 0x31 : c === 0x61 ? 0x62 : c - 1;
      return out;
    }
  }
  throw new Error('no byte to flip');
}

describe('verify', () => {
  let dir: string;
  let zip: string;
  let files: Map<string, Buffer>;
  let keyA: { key: string; pub: string };
  let keyB: { key: string; pub: string };
  let pub: ReturnType<typeof loadPublicKey>;
  beforeAll(async () => {
    dir = tempDir('ae-verify-');
    keyA = await keygen(dir, 'a');
    keyB = await keygen(dir, 'b');
    pub = loadPublicKey(keyA.pub);
    zip = join(dir, 'bundle.zip');
    const r = await collect(['--config', writeConfig(dir), ...PERIOD, '--key', keyA.key, '--out', zip]);
    expect(r.code).toBe(0);
    files = await readAll(zip);
  });

  const check = async (mutated: Map<string, Buffer>, name: string) => {
    const path = join(dir, `${name}.zip`);
    await rezip(mutated, path);
    return verifyBundle(path, { publicKey: pub });
  };

  it("a fresh bundle is valid with the signer's key, and with the bundled key (with a warning)", async () => {
    const r = await runCli(['verify', zip, '--pubkey', keyA.pub]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`${zip}: VALID, COMPLETE`);
    expect(r.stdout).toMatch(/signature: OK, signed by key [0-9a-f]{64} \(given key\)/);
    expect(r.stdout).toMatch(/integrity: OK, 14 files, \d+ events/);
    expect(r.stdout).toMatch(/period: 2026-11-22T00:00:00.000Z to 2026-11-29T00:00:00.000Z/);
    const self = await runCli(['verify', zip]);
    expect(self.code).toBe(0);
    expect(self.stderr).toMatch(/self|bundle's own public-key\.pem/);
  });

  it('a copy re-zipped with other settings (stored, other order, times and modes) stays valid', async () => {
    const path = join(dir, 'rezipped.zip');
    await rezip(files, path, { reverse: true });
    expect(readFileSync(path).equals(readFileSync(zip))).toBe(false);
    const r = await verifyBundle(path, { publicKey: pub });
    expect(r.failures.map(formatFailure)).toEqual([]);
  });

  it('a copy re-zipped by the zip command (with directory entries) stays valid', async () => {
    if (spawnSync('zip', ['-v']).status !== 0) return;
    const x = tempDir();
    unzipTo(files, x);
    const path = join(dir, 'zip-cli.zip');
    expect(spawnSync('zip', ['-q', '-r', '-9', path, '.'], { cwd: x }).status).toBe(0);
    const r = await runCli(['verify', path, '--pubkey', keyA.pub]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('changing one byte of any file makes it invalid, naming the file', async () => {
    for (const name of files.keys()) {
      const m = new Map(files);
      m.set(name, flipByte(files.get(name)!));
      const r = await check(m, `flip-${name.replace(/\//g, '_')}`);
      expect(r.valid, name).toBe(false);
      expect(
        r.failures.map((f) => f.file),
        name,
      ).toContain(name);
    }
  });

  it('the CLI exits 1 and prints the file for a changed byte', async () => {
    const m = new Map(files);
    m.set('events.csv', flipByte(files.get('events.csv')!));
    const path = join(dir, 'csv.zip');
    await rezip(m, path);
    const r = await runCli(['verify', path, '--pubkey', keyA.pub]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/INVALID: events\.csv: its sha256 [0-9a-f]{64} differs from the manifest's/);
    expect(r.stderr).toMatch(/INVALID: events\.csv line \d+: differs from the row of events\.jsonl line \d+/);
    expect(r.stdout).toMatch(/INVALID: \d+ problems/);
  });

  it('deleting an event line is caught by digest, and even after re-signing by count, Merkle root and raw records', async () => {
    const lines = files.get('events.jsonl')!.toString().split('\n');
    lines.splice(4, 1);
    const m = new Map(files);
    m.set('events.jsonl', Buffer.from(lines.join('\n')));
    const plain = (await check(m, 'del-line')).failures.map(formatFailure);
    expect(plain.some((x) => /^events\.jsonl: its sha256 [0-9a-f]{64} differs from the manifest's/.test(x))).toBe(true);
    const r = await check(resign(m, keyA.key), 'del-line-resigned');
    const msgs = r.failures.map(formatFailure);
    expect(r.valid).toBe(false);
    expect(msgs.some((x) => /^events\.jsonl: the Merkle root recomputes to/.test(x))).toBe(true);
    expect(msgs.some((x) => /^events\.jsonl: has \d+ events; the manifest says \d+/.test(x))).toBe(true);
    expect(msgs.some((x) => /^raw\/\w+\/records\.jsonl line \d+: holds the raw record of an event/.test(x))).toBe(true);
    expect(msgs.some((x) => /^report\/completeness\.json: report\.rows does not recompute/.test(x))).toBe(true);
  });

  it('an edited event line is caught even after re-signing: the Merkle root and the CSV no longer match', async () => {
    const lines = files.get('events.jsonl')!.toString().split('\n');
    lines[2] = lines[2].replace(/"name":"[^"]*"/, '"name":"someone_else"');
    const m = resign(new Map(files).set('events.jsonl', Buffer.from(lines.join('\n'))), keyA.key);
    const msgs = (await check(m, 'edit-line')).failures.map(formatFailure);
    expect(msgs.some((x) => x.startsWith('events.jsonl: the Merkle root recomputes'))).toBe(true);
    expect(msgs.some((x) => /^events\.csv line 4: differs from the row of events\.jsonl line 3/.test(x))).toBe(true);
  });

  it('removing a raw file makes it invalid, naming it', async () => {
    const m = new Map(files);
    m.delete('raw/pg/records.jsonl');
    const msgs = (await check(m, 'no-raw')).failures.map(formatFailure);
    expect(msgs).toContain('raw/pg/records.jsonl: is listed in the manifest but missing from the bundle');
  });

  it('an extra file makes it invalid', async () => {
    const msgs = (await check(new Map(files).set('notes.txt', Buffer.from('hi')), 'extra')).failures.map(formatFailure);
    expect(msgs).toContain('notes.txt: is in the bundle but not in the signed manifest (an extra file)');
  });

  it('a signature swapped in from another bundle makes it invalid', async () => {
    const other = join(dir, 'other.zip');
    expect(
      (
        await collect([
          '--config',
          writeConfig(dir, '', 'o.yaml'),
          '--since',
          '2026-11-22',
          '--until',
          '2026-11-28',
          '--key',
          keyA.key,
          '--out',
          other,
        ])
      ).code,
    ).toBe(0);
    const m = new Map(files).set('manifest.dsse.json', (await readAll(other)).get('manifest.dsse.json')!);
    const msgs = (await check(m, 'swapped')).failures.map(formatFailure);
    expect(msgs).toContain(
      'manifest.intoto.json: differs from the payload signed in manifest.dsse.json (the manifest was changed after signing)',
    );
    // A signature value alone taken from another envelope does not verify either.
    const env = JSON.parse(files.get('manifest.dsse.json')!.toString());
    env.signatures[0].sig = JSON.parse((await readAll(other)).get('manifest.dsse.json')!.toString()).signatures[0].sig;
    const m2 = new Map(files).set('manifest.dsse.json', Buffer.from(envelopeText(env)));
    const msgs2 = (await check(m2, 'swapped-sig')).failures.map(formatFailure);
    expect(msgs2.some((x) => /^manifest\.dsse\.json: the signature does not verify with the given key/.test(x))).toBe(
      true,
    );
  });

  it('a bundle signed with another key is invalid against the expected key', async () => {
    const m = resign(new Map(files), keyB.key);
    const path = join(dir, 'other-key.zip');
    await rezip(m, path);
    const r = await runCli(['verify', path, '--pubkey', keyA.pub]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/manifest\.dsse\.json: was signed with another key/);
  });

  it('chains bundles with --previous, and reports a wrong link or a gap', async () => {
    const cfg = writeConfig(dir, '', 'chain.yaml');
    const w1 = join(dir, 'w1.zip');
    const w2 = join(dir, 'w2.zip');
    const gap = join(dir, 'gap.zip');
    expect(
      (
        await collect([
          '--config',
          cfg,
          '--since',
          '2026-11-15',
          '--until',
          '2026-11-22',
          '--key',
          keyA.key,
          '--out',
          w1,
        ])
      ).code,
    ).toBe(0);
    expect((await collect(['--config', cfg, ...PERIOD, '--key', keyA.key, '--out', w2, '--previous', w1])).code).toBe(
      0,
    );
    // A gap is refused by collect (one sentence, exit 2), and accepted only when told (then recorded).
    const refused = await collect([
      '--config',
      cfg,
      '--since',
      '2026-11-23',
      '--until',
      '2026-11-29',
      '--key',
      keyA.key,
      '--out',
      gap,
      '--previous',
      w1,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /error: the chain would have a gap: --previous w1\.zip ends at 2026-11-22T00:00:00\.000Z, this period starts at 2026-11-23T00:00:00\.000Z/,
    );
    expect(existsSync(gap)).toBe(false);
    expect(
      (
        await collect([
          '--config',
          cfg,
          '--since',
          '2026-11-23',
          '--until',
          '2026-11-29',
          '--key',
          keyA.key,
          '--out',
          gap,
          '--previous',
          w1,
          '--allow-gap',
        ])
      ).code,
    ).toBe(0);
    const ok = await runCli(['verify', w2, '--pubkey', keyA.pub, '--previous', w1]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/chain: OK, follows w1\.zip \(manifest sha256 [0-9a-f]{64}\), verified in full/);
    const wrong = await runCli(['verify', w2, '--pubkey', keyA.pub, '--previous', zip]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /manifest\.intoto\.json: predicate\.previous_bundle names manifest sha256 [0-9a-f]{64}, but .* has [0-9a-f]{64}/,
    );
    const g = await runCli(['verify', gap, '--pubkey', keyA.pub, '--previous', w1]);
    expect(g.code).toBe(0);
    expect(g.stdout).toMatch(
      /chain: OK, follows w1\.zip .*; known gap 2026-11-22T00:00:00.000Z to 2026-11-23T00:00:00.000Z \(recorded\)/,
    );
    expect(g.stderr).toMatch(
      /known gap from 2026-11-22T00:00:00.000Z to 2026-11-23T00:00:00.000Z: collect accepted it with --allow-gap/,
    );
    const unchained = await runCli(['verify', zip, '--pubkey', keyA.pub, '--previous', w1]);
    expect(unchained.code).toBe(1);
  });

  it('exits 2 when it cannot run', async () => {
    expect((await runCli(['verify', join(dir, 'nope.zip')])).code).toBe(2);
    writeFileSync(join(dir, 'not.zip'), 'hello');
    const r = await runCli(['verify', join(dir, 'not.zip')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a readable zip file/);
    expect((await runCli(['verify', zip, '--pubkey', join(dir, 'missing.pem')])).code).toBe(2);
  });
});
