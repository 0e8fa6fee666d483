// Attacks on evidence bundles, each built as a real zip and checked with the real binary. The
// attacker holds a valid bundle (and the tool) but not the signer's private key, or signs with a key
// of their own, or is an insider who re-signs. `verify` must never say VALID for a bundle that is
// not exactly what the signer produced, and must say INVALID (exit 1, naming the entry) rather than
// "could not run" (exit 2) or hang when a zip entry is damaged or crafted.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import { crc32, deflateRawSync, createDeflateRaw } from 'node:zlib';
import { runCli, type CliResult } from '../helpers/cli.js';
import { collect, keygen, readAll, tempDir, writeConfig, DEMO } from './helpers.js';
import { signEnvelope, envelopeText } from '../../src/bundle/dsse.js';
import { sumsText, type Statement } from '../../src/bundle/manifest.js';
import { verifyDoc } from '../../src/bundle/verify-doc.js';
import { MerkleBuilder } from '../../src/bundle/merkle.js';
import { EntryLines, MAX_LINE_BYTES } from '../../src/bundle/entry-lines.js';
import { Readable } from 'node:stream';
import { sha256Hex } from '../../src/event/hash.js';

interface RawEntry {
  /** The name's bytes as stored (a string is stored as UTF-8 with the UTF-8 flag). */
  name: string | Buffer;
  data: Buffer;
  /** 0 stored, 8 DEFLATE, anything else as given. */
  method?: number;
  /** The compressed bytes, when not derived from data. */
  compressed?: Buffer;
  flags?: number;
  /** The uncompressed size the headers claim (default: data's length). */
  size?: number;
  /** Written as a local entry only, left out of the central directory (a streaming extractor still sees it). */
  localOnly?: boolean;
  /** Unix mode in the external attributes (default a regular file, 0o100644). */
  mode?: number;
}

/** A zip written byte by byte, so that names, flags, methods and sizes can be anything a zip can hold. */
function makeZip(entries: RawEntry[], opts: { prefix?: Buffer; comment?: Buffer; trailer?: Buffer } = {}): Buffer {
  const locals: Buffer[] = opts.prefix ? [opts.prefix] : [];
  const central: Buffer[] = [];
  let off = opts.prefix?.length ?? 0;
  let count = 0;
  for (const e of entries) {
    const name = Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name);
    const method = e.method ?? 8;
    const comp = e.compressed ?? (method === 8 ? deflateRawSync(e.data) : e.data);
    const crc = crc32(e.data) >>> 0;
    const size = e.size ?? e.data.length;
    const flags = e.flags ?? 0x800;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(flags, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(comp.length, 18);
    lh.writeUInt32LE(size, 22);
    lh.writeUInt16LE(name.length, 26);
    locals.push(lh, name, comp);
    if (e.localOnly) {
      off += 30 + name.length + comp.length;
      continue;
    }
    count++;
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(0x031e, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(flags, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(comp.length, 20);
    ch.writeUInt32LE(size, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    ch.writeUInt32LE(off, 42);
    central.push(ch, name);
    off += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(central);
  const comment = opts.comment ?? Buffer.alloc(0);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(count, 8);
  eocd.writeUInt16LE(count, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(off + (opts.trailer?.length ?? 0), 16);
  eocd.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...locals, ...(opts.trailer ? [opts.trailer] : []), cd, eocd, comment]);
}

/** Re-signs after a change (an insider with a key): digests, SHA256SUMS, manifest, envelope. `edit` may change the statement. */
function resign(
  files: Map<string, Buffer>,
  keyPath: string,
  edit: (st: Statement) => void = () => {},
  keepSums = false,
): Map<string, Buffer> {
  const st: Statement = JSON.parse(files.get('manifest.intoto.json')!.toString());
  const others = st.subject
    .filter((s) => s.name !== 'SHA256SUMS' && files.has(s.name))
    .map((s) => ({ name: s.name, digest: { sha256: sha256Hex(files.get(s.name)!) } }));
  const sums = keepSums ? files.get('SHA256SUMS')! : Buffer.from(sumsText(others));
  files.set('SHA256SUMS', sums);
  st.subject = [{ name: 'SHA256SUMS', digest: { sha256: sha256Hex(sums) } }, ...others];
  edit(st);
  const priv = createPrivateKey(readFileSync(keyPath));
  const manifest = Buffer.from(`${JSON.stringify(st, null, 2)}\n`);
  files.set('manifest.intoto.json', manifest);
  files.set('manifest.dsse.json', Buffer.from(envelopeText(signEnvelope(manifest, priv, createPublicKey(priv)))));
  return files;
}

describe('adversarial bundles', () => {
  let dir: string;
  let files: Map<string, Buffer>;
  let keyA: { key: string; pub: string };
  let keyB: { key: string; pub: string };
  let n = 0;
  const entries = (m: Map<string, Buffer> = files): RawEntry[] => [...m].map(([name, data]) => ({ name, data }));
  const verify = async (zip: Buffer, args: string[] = ['--pubkey', keyA.pub]): Promise<CliResult> => {
    const path = join(dir, `attack-${++n}.zip`);
    writeFileSync(path, zip);
    return runCli(['verify', path, ...args]);
  };
  const replace = (name: string, change: (e: RawEntry) => RawEntry): RawEntry[] =>
    entries().map((e) => (e.name === name ? change(e) : e));

  beforeAll(async () => {
    dir = tempDir('ae-adversarial-');
    keyA = await keygen(dir, 'a');
    keyB = await keygen(dir, 'b');
    const zip = join(dir, 'bundle.zip');
    const r = await collect([
      '--config',
      writeConfig(dir),
      '--since',
      '2026-11-22',
      '--until',
      '2026-11-29',
      '--key',
      keyA.key,
      '--out',
      zip,
    ]);
    expect(r.code).toBe(0);
    files = await readAll(zip);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the hand-written zip of the untouched files is VALID (the baseline of every attack below)', async () => {
    const r = await verify(makeZip(entries()));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a backslash name (raw\\pg\\records.jsonl) is INVALID: it was checked as raw/pg/records.jsonl while unzip writes that literal name', async () => {
    const r = await verify(makeZip(replace('raw/pg/records.jsonl', (e) => ({ ...e, name: 'raw\\pg\\records.jsonl' }))));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('INVALID: raw\\pg\\records.jsonl: is an unsafe entry');
  });

  it('an entry named ../evil.sh or /tmp/evil is INVALID naming it (it was exit 2, "not a readable zip")', async () => {
    for (const name of ['../evil.sh', '/tmp/evil', 'raw/../../evil', 'C:/evil']) {
      const r = await verify(makeZip([...entries(), { name, data: Buffer.from('echo owned\n') }]));
      expect(r.code, name).toBe(1);
      expect(r.stderr).toContain(`INVALID: ${name}: is an unsafe entry`);
    }
  });

  it('a directory entry that holds data, or a folder of no signed file, is INVALID (both were VALID)', async () => {
    const data = await verify(makeZip([...entries(), { name: 'raw/', data: Buffer.from('hidden payload') }]));
    expect(data.code).toBe(1);
    expect(data.stderr).toContain('INVALID: raw/: is a directory entry that holds 14 bytes of data');
    const stray = await verify(makeZip([...entries(), { name: 'raw/evil/', data: Buffer.alloc(0) }]));
    expect(stray.code).toBe(1);
    expect(stray.stderr).toContain("INVALID: raw/evil/: is a folder that holds none of the bundle's files");
    // The folders zip -r adds stay fine.
    const zipR = await verify(
      makeZip([{ name: 'raw/', data: Buffer.alloc(0) }, { name: 'raw/pg/', data: Buffer.alloc(0) }, ...entries()]),
    );
    expect(zipR.code).toBe(0);
  });

  it('names that are one file once unzipped (./x, a//b, case, Unicode normalization) are INVALID, naming both', async () => {
    for (const [name, other] of [
      ['./events.jsonl', 'events.jsonl'],
      ['raw//pg/records.jsonl', 'raw/pg/records.jsonl'],
    ]) {
      const r = await verify(makeZip([...entries(), { name, data: Buffer.from('{}\n') }]));
      expect(r.code, name).toBe(1);
      expect(r.stderr).toContain(`INVALID: ${name}: and ${other} are the same file once unzipped`);
    }
    const caseDup = await verify(makeZip([...entries(), { name: 'EVENTS.jsonl', data: Buffer.from('{}\n') }]));
    expect(caseDup.code).toBe(1);
    expect(caseDup.stderr).toContain('INVALID: EVENTS.jsonl: and events.jsonl are the same file once unzipped');
    const nfd = 'caf\u0065\u0301.txt';
    const nfc = 'caf\u00e9.txt';
    const uni = await verify(
      makeZip([...entries(), { name: nfc, data: Buffer.from('a') }, { name: nfd, data: Buffer.from('b') }]),
    );
    expect(uni.code).toBe(1);
    expect(uni.stderr).toContain('are the same file once unzipped');
  });

  it('two events.jsonl entries are INVALID, whichever comes first', async () => {
    const forged = Buffer.from('{}\n');
    for (const zip of [
      makeZip([...entries(), { name: 'events.jsonl', data: forged }]),
      makeZip([{ name: 'events.jsonl', data: forged }, ...entries()]),
    ]) {
      const r = await verify(zip);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('INVALID: events.jsonl: appears more than once in the zip');
    }
  });

  it('an encrypted entry, an unknown method, damaged DEFLATE data or a wrong size is INVALID naming the file (each was exit 2, some "internal error")', async () => {
    const cases: Array<[string, RawEntry[], RegExp]> = [
      [
        'encrypted',
        replace('events.jsonl', (e) => ({ ...e, flags: 0x801 })),
        /events\.jsonl: cannot be read from the zip \(it is encrypted\)/,
      ],
      [
        'method',
        replace('events.jsonl', (e) => ({ ...e, method: 12, compressed: e.data })),
        /events\.jsonl: cannot be read from the zip \(unsupported compression method 12\)/,
      ],
      [
        'deflate',
        replace('events.jsonl', (e) => ({ ...e, compressed: Buffer.from('this is not a DEFLATE stream at all') })),
        /events\.jsonl: cannot be read from the zip \(/,
      ],
      [
        'size',
        replace('report/completeness.json', (e) => ({ ...e, size: e.data.length + 5 })),
        /report\/completeness\.json: cannot be read from the zip \(not enough bytes/,
      ],
      [
        'manifest',
        replace('manifest.intoto.json', (e) => ({ ...e, compressed: Buffer.from('junk junk junk') })),
        /manifest\.intoto\.json: cannot be read from the zip/,
      ],
    ];
    for (const [label, ents, want] of cases) {
      const r = await verify(makeZip(ents));
      expect(r.code, label).toBe(1);
      expect(r.stderr, label).toMatch(want);
      expect(r.stderr, label).not.toMatch(/internal error|error: /);
    }
  });

  it('a zip bomb of one endless line in events.jsonl is INVALID in seconds, not a hang or out of memory', async () => {
    // 300 MB of 'a' without a line break, deflated to ~300 KB (built in 1 MB writes, never held whole).
    const MB = 1024 * 1024;
    const deflate = createDeflateRaw({ level: 1 });
    const out: Buffer[] = [];
    deflate.on('data', (c: Buffer) => out.push(c));
    const ended = new Promise((resolve) => deflate.on('end', resolve));
    const block = Buffer.alloc(MB, 0x61);
    for (let i = 0; i < 300; i++) deflate.write(block);
    deflate.end();
    await ended;
    const t = Date.now();
    const r = await verify(
      makeZip(
        replace('events.jsonl', (e) => ({
          ...e,
          data: Buffer.alloc(0),
          compressed: Buffer.concat(out),
          size: 300 * MB,
        })),
      ),
    );
    expect(r.code).toBe(1);
    // 300 MB of one byte is also more than 100:1 (the bomb guard below); the line cap itself is tested on EntryLines.
    expect(r.stderr).toMatch(
      /events\.jsonl: (cannot be read from the zip \(line 1 is longer than 268435456 bytes\)|claims to inflate .* a zip bomb)/,
    );
    expect(Date.now() - t).toBeLessThan(60_000);
  }, 120_000);

  it('EntryLines refuses a line longer than MAX_LINE_BYTES without gathering it (257 MB of one 1 MB chunk, held by reference)', async () => {
    const MB = 1024 * 1024;
    const block = Buffer.alloc(MB, 0x61);
    const lines = new EntryLines(
      async () =>
        Readable.from(
          (function* () {
            for (let i = 0; i < 257; i++) yield block;
          })(),
        ),
      'events.jsonl',
      true,
    );
    await expect(lines.next()).rejects.toThrow(
      `events.jsonl cannot be read from the zip (line 1 is longer than ${MAX_LINE_BYTES} bytes)`,
    );
  });

  it('--pubkey A while the bundled public-key.pem is key B (re-signed by A) is INVALID: VERIFY.md uses the bundled key', async () => {
    const m = resign(new Map(files).set('public-key.pem', readFileSync(keyB.pub)), keyA.key);
    const r = await verify(makeZip(entries(m)));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /INVALID: public-key\.pem: is another key \(key id [0-9a-f]{64}\) than the one given with --pubkey/,
    );
  });

  it("CR LF line endings or a last line without a line break in events.jsonl are INVALID (the Merkle root then differs from VERIFY.md's recipe)", async () => {
    const text = files.get('events.jsonl')!.toString();
    const crlf = resign(new Map(files).set('events.jsonl', Buffer.from(text.replace(/\n/g, '\r\n'))), keyA.key);
    const r1 = await verify(makeZip(entries(crlf)));
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/INVALID: events\.jsonl: has \d+ lines ending in CR LF/);
    const open = resign(new Map(files).set('events.jsonl', Buffer.from(text.slice(0, -1))), keyA.key);
    const r2 = await verify(makeZip(entries(open)));
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/INVALID: events\.jsonl line \d+: its last line has no line break/);
  });

  it('a manifest that says demo: false while a source carries a demo time shift is INVALID', async () => {
    const m = resign(new Map(files), keyA.key, (st) => {
      st.predicate.sources[0].demo_time_shift_days = 3;
    });
    const r = await verify(makeZip(entries(m)));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'INVALID: manifest.intoto.json: source pg has demo_time_shift_days 3 (timestamps shifted for a demo), but predicate.demo is false',
    );
  });

  it('a source whose raw_file names another file (so its raw counts went unchecked) is INVALID', async () => {
    const m = resign(new Map(files), keyA.key, (st) => {
      st.predicate.sources[0].raw_file = 'raw/elsewhere/records.jsonl';
      st.predicate.sources[0].raw_records += 5;
      st.predicate.sources[0].records_read += 5;
      st.predicate.sources[0].skipped = { ...st.predicate.sources[0].skipped, x: 5 };
    });
    const r = await verify(makeZip(entries(m)));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("source pg: raw_file is 'raw/elsewhere/records.jsonl', not raw/pg/records.jsonl");
  });

  it('a manifest listing a file twice (a bogus digest first, the real one last) is INVALID', async () => {
    const m = resign(new Map(files), keyA.key, (st) => {
      st.subject.splice(1, 0, { name: 'events.jsonl', digest: { sha256: '0'.repeat(64) } });
    });
    const r = await verify(makeZip(entries(m)));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('INVALID: manifest.intoto.json: subject lists events.jsonl more than once');
  });

  it('an envelope VERIFY.md\'s sed commands read differently than JSON does is INVALID (a second signature; a second "payload" key)', async () => {
    const env = JSON.parse(files.get('manifest.dsse.json')!.toString());
    // A second signature, from key B over other bytes: the JSON check found A's and said VALID, but
    // the recipe's sed reads both "sig" lines and fails.
    const two = {
      ...env,
      signatures: [...env.signatures, { keyid: 'b'.repeat(64), sig: Buffer.alloc(64, 7).toString('base64') }],
    };
    const r1 = await verify(makeZip(entries(new Map(files).set('manifest.dsse.json', Buffer.from(envelopeText(two))))));
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain('INVALID: manifest.dsse.json: holds 2 signatures');
    // Two "payload" keys: JSON.parse keeps the last (the real one, written compactly), the recipe's sed
    // the first (another manifest, in collect's layout).
    const other = Buffer.from(
      files.get('manifest.intoto.json')!.toString().replace('"demo": false', '"demo": true'),
    ).toString('base64');
    const dup = `{\n  "payload": "${other}",\n  "payload":"${env.payload}",\n  "payloadType": "${env.payloadType}",\n  "signatures": [\n    {\n      "keyid": "${env.signatures[0].keyid}",\n      "sig": "${env.signatures[0].sig}"\n    }\n  ]\n}\n`;
    const r2 = await verify(makeZip(entries(new Map(files).set('manifest.dsse.json', Buffer.from(dup)))));
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('INVALID: manifest.dsse.json: is not in the form collect writes');
  });

  it('bytes outside the entries (a prepended script, a local entry missing from the central directory, a comment) are INVALID', async () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      [
        'prefix',
        makeZip(entries(), { prefix: Buffer.from('#!/bin/sh\necho "verified OK"; exit 0\n') }),
        /\d+ bytes at offset 0 belong to no entry: data no check reads/,
      ],
      // A streaming extractor (reading local headers front to back) writes events.jsonl twice, the forged one first or last.
      [
        'local only',
        makeZip([...entries(), { name: 'events.jsonl', data: Buffer.from('{"forged":true}\n'), localOnly: true }]),
        /bytes at offset \d+, before the central directory, belong to no entry/,
      ],
      [
        'between',
        makeZip(entries(), { trailer: Buffer.from('hidden between the data and the central directory') }),
        /before the central directory, belong to no entry/,
      ],
      [
        'comment',
        makeZip(entries(), { comment: Buffer.from('Verified by audit-evidence: VALID') }),
        /the zip has a 33-byte comment/,
      ],
    ];
    for (const [label, zip, want] of cases) {
      const r = await verify(zip);
      expect(r.code, label).toBe(1);
      expect(r.stderr, label).toMatch(want);
    }
  });

  it('SHA256SUMS naming a path outside the folder: VERIFY.md stops before sha256sum -c reads it, and verify holds SHA256SUMS to the same grammar', async () => {
    const doc = verifyDoc({ keyid: 'k', ephemeral: false, demo: false });
    const guard = doc.split('\n').find((l) => l.startsWith('grep -vE '))!;
    const folder = join(dir, 'sums');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'SHA256SUMS'), files.get('SHA256SUMS')!);
    expect(spawnSync('bash', ['-c', guard], { cwd: folder, encoding: 'utf8' }).stdout).toBe('');
    for (const bad of ['../outside.txt', '/etc/hostname', 'raw/../../x', '.hidden', 'a\\b']) {
      writeFileSync(join(folder, 'SHA256SUMS'), `${files.get('SHA256SUMS')!.toString()}${'0'.repeat(64)}  ${bad}\n`);
      expect(spawnSync('bash', ['-c', guard], { cwd: folder, encoding: 'utf8' }).stdout, bad).toContain(bad);
    }
    // sha256sum's binary marker ('<hash> *name'): the tool took it, VERIFY.md's guard does not.
    const m = resign(new Map(files), keyA.key);
    m.set('SHA256SUMS', Buffer.from(m.get('SHA256SUMS')!.toString().replace(/  /g, ' *')));
    const r = await verify(makeZip(entries(resign(m, keyA.key, undefined, true))));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/INVALID: SHA256SUMS line 1: is not a sha256sum line naming a plain path/);
  });

  // Attacks that verify already caught before this review; kept so that they stay caught.
  it('an insider who edits events.jsonl and recomputes the Merkle root: non-canonical JSON, duplicate keys, a BOM are INVALID', async () => {
    const lines = files.get('events.jsonl')!.toString().split('\n').slice(0, -1);
    const variants: Array<[string, (l: string) => string, RegExp]> = [
      [
        'spaces',
        (l) => l.replace('{"access_request":null,', '{"access_request": null,'),
        /events\.jsonl line 1: is not in canonical JSON form/,
      ],
      [
        'duplicate key',
        (l) => l.replace('{"access_request":null,', '{"access_request":null,"action":{},'),
        /events\.jsonl line 1: is not in canonical JSON form/,
      ],
      ['bom', (l) => `\ufeff${l}`, /events\.jsonl line 1: is not JSON/],
    ];
    for (const [label, change, want] of variants) {
      const edited = [change(lines[0]), ...lines.slice(1)];
      const merkle = new MerkleBuilder();
      for (const l of edited) merkle.add(l);
      const m = resign(new Map(files).set('events.jsonl', Buffer.from(`${edited.join('\n')}\n`)), keyA.key, (st) => {
        st.predicate.events.merkle_root = merkle.root();
      });
      const r = await verify(makeZip(entries(m)));
      expect(r.code, label).toBe(1);
      expect(r.stderr, label).toMatch(want);
    }
  });

  it('envelope tricks without the key: keyid of another key, another payloadType, a payload that is not the manifest, a self-signed copy checked against the real key', async () => {
    const env = JSON.parse(files.get('manifest.dsse.json')!.toString());
    const withEnv = (e: object) =>
      makeZip(entries(new Map(files).set('manifest.dsse.json', Buffer.from(envelopeText(e as never)))));
    const keyid = await verify(withEnv({ ...env, signatures: [{ ...env.signatures[0], keyid: 'b'.repeat(64) }] }));
    expect(keyid.code).toBe(1);
    expect(keyid.stderr).toMatch(/manifest\.dsse\.json: was signed with another key/);
    const type = await verify(withEnv({ ...env, payloadType: 'application/json' }));
    expect(type.code).toBe(1);
    expect(type.stderr).toMatch(/payloadType is 'application\/json'/);
    const payload = await verify(withEnv({ ...env, payload: Buffer.from('{}').toString('base64') }));
    expect(payload.code).toBe(1);
    expect(payload.stderr).toMatch(/manifest\.intoto\.json: differs from the payload signed/);
    const selfSigned = makeZip(
      entries(
        resign(new Map(files).set('public-key.pem', readFileSync(keyB.pub)), keyB.key, (st) => {
          st.predicate.signer.keyid = JSON.parse(files.get('manifest.dsse.json')!.toString()).signatures[0].keyid;
        }),
      ),
    );
    expect((await verify(selfSigned)).code).toBe(1);
    // Without --pubkey the self-signed copy is judged by its own key: INVALID here only because its predicate names A's key id.
    expect((await verify(selfSigned, [])).code).toBe(1);
  });

  it('--previous pointing at the same bundle, and a chain whose periods overlap, are INVALID', async () => {
    const cfg = writeConfig(dir, '', 'chain.yaml');
    const w1 = join(dir, 'w1.zip');
    const w2 = join(dir, 'w2.zip');
    expect(
      (
        await collect([
          '--config',
          cfg,
          '--since',
          '2026-11-15',
          '--until',
          '2026-11-23',
          '--key',
          keyA.key,
          '--out',
          w1,
        ])
      ).code,
    ).toBe(0);
    // collect refuses to chain an overlap (one sentence, exit 2) ...
    const refused = await collect([
      '--config',
      cfg,
      '--since',
      '2026-11-22',
      '--until',
      '2026-11-29',
      '--key',
      keyA.key,
      '--out',
      w2,
      '--previous',
      w1,
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /error: the period overlaps --previous w1\.zip: it ends at 2026-11-23T00:00:00\.000Z, this period starts at 2026-11-22T00:00:00\.000Z/,
    );
    // ... so an insider with the key signs the link by hand: verify still finds the overlap.
    const plain = join(dir, 'w2-plain.zip');
    expect(
      (
        await collect([
          '--config',
          cfg,
          '--since',
          '2026-11-22',
          '--until',
          '2026-11-29',
          '--key',
          keyA.key,
          '--out',
          plain,
        ])
      ).code,
    ).toBe(0);
    const w1Manifest = (await readAll(w1)).get('manifest.intoto.json')!;
    writeFileSync(
      w2,
      makeZip(
        entries(
          resign(
            await readAll(plain),
            keyA.key,
            (st) => {
              st.predicate.previous_bundle = {
                manifest_sha256: sha256Hex(w1Manifest),
                period: { start: '2026-11-15T00:00:00.000Z', end: '2026-11-23T00:00:00.000Z' },
                file: 'w1.zip',
              };
            },
            true,
          ),
        ),
      ),
    );
    const overlap = await runCli(['verify', w2, '--pubkey', keyA.pub, '--previous', w1]);
    expect(overlap.code).toBe(1);
    expect(overlap.stderr).toMatch(
      /the periods overlap: the previous bundle ends at 2026-11-23T00:00:00.000Z, this one starts at 2026-11-22T00:00:00.000Z/,
    );
    const same = await runCli(['verify', w2, '--pubkey', keyA.pub, '--previous', w2]);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/predicate\.previous_bundle names manifest sha256/);
  });

  it('predicate figures a reader sees first (totals, events.by_category, events.privileged, first/last event) that do not recompute are INVALID', async () => {
    const lies: Array<[string, (st: Statement) => void, RegExp]> = [
      [
        'totals',
        (st) => {
          st.predicate.totals.rejects += 1;
        },
        /totals\.rejects is \d+; the sources add up to \d+/,
      ],
      [
        'by_category',
        (st) => {
          const c = st.predicate.events.by_category;
          const k = Object.keys(c)[0];
          c[k] -= 1;
          c.other = (c.other ?? 0) + 1;
        },
        /events\.by_category .* does not recompute/,
      ],
      [
        'privileged',
        (st) => {
          st.predicate.events.privileged = 0;
        },
        /events\.privileged is 0; events\.jsonl holds \d+ privileged events/,
      ],
      [
        'last_event',
        (st) => {
          st.predicate.sources[0].last_event = '2026-11-28T23:59:59.000Z';
        },
        /source pg: first_event .* do not recompute/,
      ],
    ];
    for (const [label, edit, want] of lies) {
      const r = await verify(makeZip(entries(resign(new Map(files), keyA.key, edit))));
      expect(r.code, label).toBe(1);
      expect(r.stderr, label).toMatch(want);
    }
  });

  it('a bomb of line breaks in events.jsonl is INVALID in seconds: 200 MB at ~1000:1 is not read, 20 MB of empty lines stops after 10,000 problems', async () => {
    const MB = 1024 * 1024;
    const deflated = async (block: Buffer, times: number): Promise<Buffer> => {
      const deflate = createDeflateRaw({ level: 9 });
      const out: Buffer[] = [];
      deflate.on('data', (c: Buffer) => out.push(c));
      const ended = new Promise((resolve) => deflate.on('end', resolve));
      for (let i = 0; i < times; i++) deflate.write(block);
      deflate.end();
      await ended;
      return Buffer.concat(out);
    };
    const newlines = Buffer.alloc(MB, 0x0a);
    const bomb200 = await deflated(newlines, 200);
    const big = await verify(makeZip(replace('events.jsonl', (e) => ({ ...e, compressed: bomb200, size: 200 * MB }))));
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(
      /events\.jsonl: claims to inflate from \d+ to 209715200 bytes \(more than 100:1, a zip bomb\?\): not read/,
    );
    // 20 MB of line breaks (21 million empty lines): every line failed and each failure was held, ~2.5 minutes.
    const bomb20 = await deflated(newlines, 20);
    const t = Date.now();
    const many = await verify(makeZip(replace('events.jsonl', (e) => ({ ...e, compressed: bomb20, size: 20 * MB }))));
    expect(many.code).toBe(1);
    expect(many.stderr).toContain('events.jsonl: the line checks stopped after 10000 problems');
    expect(Date.now() - t).toBeLessThan(60_000);
  }, 300_000);

  it("a symbolic link whose target text equals the file's bytes is INVALID (it was VALID; unzip makes a link instead of the file)", async () => {
    const r = await verify(makeZip(replace('public-key.pem', (e) => ({ ...e, mode: 0o120777 }))));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('INVALID: public-key.pem: is an unsafe entry (a symbolic link)');
  });

  it('a signed manifest with a repeated key (grep sees the first, JSON the last) is INVALID', async () => {
    const m = resign(new Map(files), keyA.key);
    const text = m
      .get('manifest.intoto.json')!
      .toString()
      .replace('"demo": false,', '"demo": true,\n    "demo": false,');
    const priv = createPrivateKey(readFileSync(keyA.key));
    m.set('manifest.intoto.json', Buffer.from(text));
    m.set(
      'manifest.dsse.json',
      Buffer.from(envelopeText(signEnvelope(Buffer.from(text), priv, createPublicKey(priv)))),
    );
    const r = await verify(makeZip(entries(m)));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'INVALID: manifest.intoto.json: is not in the form collect writes (two-space JSON, no repeated keys)',
    );
  });

  it('a reject line whose record is not the raw record kept as the reject is INVALID (counts alone matched)', async () => {
    const m = new Map(files);
    const kept = 'the record that was read';
    const shown = 'another record the insider shows instead';
    m.set(
      'raw/pg/records.jsonl',
      Buffer.concat([
        m.get('raw/pg/records.jsonl')!,
        Buffer.from(
          `${JSON.stringify({ sha256: sha256Hex(kept), location: { file: 'x', line: 1 }, disposition: 'reject', text: kept })}\n`,
        ),
      ]),
    );
    m.set(
      'rejects.jsonl',
      Buffer.from(
        `${JSON.stringify({ source: 'pg', location: 'x line 1', reason: 'not an audit record', raw_sha256: sha256Hex(shown), raw: shown })}\n`,
      ),
    );
    const r = await verify(
      makeZip(
        entries(
          resign(m, keyA.key, (st) => {
            const pg = st.predicate.sources.find((x) => x.name === 'pg')!;
            pg.rejects++;
            pg.records_read++;
            pg.raw_records++;
            st.predicate.totals.rejects++;
            st.predicate.totals.records_read++;
          }),
        ),
      ),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /INVALID: rejects\.jsonl line 1: names a rejected raw record \(sha256 [0-9a-f]{64}\) that raw\/pg\/records\.jsonl does not hold as a reject/,
    );
    expect(r.stderr.match(/INVALID/g)).toHaveLength(1);
  });

  it('a genuine bundle with a rejected record stays VALID under the reject check', async () => {
    const log = join(dir, 'maria.log');
    writeFileSync(
      log,
      `${readFileSync(join(DEMO, 'mariadb/mariadb10.11-live__server_audit.log'), 'utf8')}20261123 10:00:00,garbage\n`,
    );
    const cfg = join(dir, 'rejects.yaml');
    writeFileSync(
      cfg,
      `version: 1\nprofile: soc2\nsources:\n  - name: maria\n    type: file\n    paths: [${log}]\n    format: mariadb-audit\n    timezone: UTC\n`,
    );
    const zip = join(dir, 'with-reject.zip');
    const c = await collect([
      '--config',
      cfg,
      '--since',
      '2026-11-22',
      '--until',
      '2026-11-29',
      '--key',
      keyA.key,
      '--out',
      zip,
    ]);
    expect(c.stderr).toMatch(/1 rejected/);
    const r = await runCli(['verify', zip, '--pubkey', keyA.pub]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('collect refuses source names that differ only in case (raw/pg/ and raw/PG/ would be one folder on macOS and Windows)', async () => {
    const cfg = writeConfig(
      dir,
      `  - name: PG
    type: file
    paths: [${join(DEMO, 'pgaudit')}]
    format: pgaudit
`,
      'case.yaml',
    );
    const r = await collect([
      '--config',
      cfg,
      '--since',
      '2026-11-22',
      '--until',
      '2026-11-29',
      '--key',
      keyA.key,
      '--out',
      join(dir, 'case.zip'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("sources[3].name 'PG' is used by another source (names must be unique)");
  });
});
