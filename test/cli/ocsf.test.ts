// OCSF through the built binary: normalize and filter write validated OCSF JSON Lines; collect puts
// events.ocsf.jsonl into the bundle when the config asks; verify recomputes it from the events.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { join } from 'node:path';
import yazl from 'yazl';
import { runCli } from '../helpers/cli.js';
import { collect, keygen, readAll, tempDir, writeConfig } from '../bundle/helpers.js';
import { validateOcsf, type OcsfRecord } from '../../src/export/ocsf.js';
import { signEnvelope, envelopeText } from '../../src/bundle/dsse.js';
import { sumsText, type Statement } from '../../src/bundle/manifest.js';
import { sha256Hex } from '../../src/event/hash.js';

const lines = (s: string): OcsfRecord[] =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('OCSF output of normalize and filter', () => {
  it('normalize --output ocsf writes one valid record per timed event (same count as jsonl, --jobs too)', async () => {
    const input = 'fixtures/cloudtrail/stratus-red-team__aws.persistence.iam-create-admin-user.json';
    const plain = await runCli(['normalize', input, '-q']);
    const ocsf = await runCli(['normalize', input, '--output', 'ocsf', '-q']);
    expect(ocsf.code).toBe(0);
    const recs = lines(ocsf.stdout);
    expect(recs.length).toBeGreaterThanOrEqual(lines(plain.stdout).length);
    for (const r of recs) expect(validateOcsf(r)).toBeNull();
    expect(new Set(recs.map((r) => r.class_uid))).toContain(3005); // AttachUserPolicy AdministratorAccess
  }, 180_000);

  it('--jobs 2 writes the same OCSF bytes as one job', async () => {
    const files = [
      'fixtures/cloudtrail/console-login-failed.json',
      'fixtures/cloudtrail/stratus-red-team__aws.persistence.iam-create-admin-user.json',
    ];
    const [two, one] = await Promise.all([
      runCli(['normalize', ...files, '--output', 'ocsf', '--jobs', '2', '-q']),
      runCli(['normalize', ...files, '--output', 'ocsf', '-q']),
    ]);
    expect(two.stdout).toBe(one.stdout);
  }, 180_000);

  it('says how many events could not be OCSF records and why, even with --quiet, sequential or --jobs', async () => {
    const untimed = 'fixtures/pgaudit/pgaudit-pgaudit__expected_pgaudit.out';
    const r = await runCli(['normalize', untimed, '--output', 'ocsf', '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('415 events not written as OCSF: no timestamp (OCSF requires time)');
    const j = await runCli([
      'normalize',
      untimed,
      'fixtures/pgaudit/cloudnative-pg__pgaudit.csv',
      '--output',
      'ocsf',
      '--jobs',
      '2',
      '-q',
    ]);
    expect(j.stderr).toContain('415 events not written as OCSF: no timestamp (OCSF requires time)');
    expect(lines(j.stdout).length).toBeGreaterThan(0);
  }, 180_000);

  it('filter --output ocsf writes the selected events as OCSF', async () => {
    const r = await runCli([
      'filter',
      '--format',
      'cloudtrail',
      'fixtures/cloudtrail/console-login-failed.json',
      'fixtures/cloudtrail/federation-saml-web-identity.jsonl',
      'fixtures/cloudtrail/root-activity.json',
      '--category',
      'authentication',
      '--output',
      'ocsf',
      '-q',
    ]);
    expect(r.code).toBe(0);
    const recs = lines(r.stdout);
    expect(recs.length).toBeGreaterThan(5);
    for (const x of recs) {
      expect(x.class_uid).toBe(3002);
      expect(validateOcsf(x)).toBeNull();
    }
  }, 180_000);
});

describe('events.ocsf.jsonl in the bundle', () => {
  let dir: string;
  let key: { key: string; pub: string };
  let files: Map<string, Buffer>;
  let zip: string;
  beforeAll(async () => {
    dir = tempDir('ae-ocsf-');
    key = await keygen(dir);
    const cfg = writeConfig(dir, 'bundle:\n  ocsf: true\n');
    zip = join(dir, 'b.zip');
    const r = await collect([
      '--config',
      cfg,
      '--since',
      '2026-11-22',
      '--until',
      '2026-11-29',
      '--key',
      key.key,
      '--out',
      zip,
    ]);
    expect(r.code, r.stderr).toBe(0);
    files = await readAll(zip);
  });

  it('holds one valid OCSF record per event, counted in the manifest, and verify says VALID', async () => {
    const p = JSON.parse(files.get('manifest.intoto.json')!.toString()).predicate;
    const recs = lines(files.get('events.ocsf.jsonl')!.toString());
    for (const r of recs) expect(validateOcsf(r)).toBeNull();
    expect(p.ocsf).toEqual({
      file: 'events.ocsf.jsonl',
      version: '1.8.0',
      records: recs.length,
      events_not_exported: 0,
      not_exported: {},
    });
    const ids = new Set(
      files
        .get('events.jsonl')!
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).id),
    );
    for (const r of recs) expect(ids.has(String(r.metadata.uid).split('/')[0])).toBe(true);
    expect(files.get('SHA256SUMS')!.toString()).toContain('  events.ocsf.jsonl\n');
    const v = await runCli(['verify', zip, '--pubkey', key.pub]);
    expect(v.stdout + v.stderr).toMatch(/VALID/);
    expect(v.code).toBe(0);
  });

  it('a bundle without the switch has no OCSF file and no ocsf section', async () => {
    const plain = join(dir, 'plain.zip');
    expect(
      (
        await collect([
          '--config',
          writeConfig(dir, '', 'plain.yaml'),
          '--since',
          '2026-11-22',
          '--until',
          '2026-11-29',
          '--key',
          key.key,
          '--out',
          plain,
        ])
      ).code,
    ).toBe(0);
    const f = await readAll(plain);
    expect(f.has('events.ocsf.jsonl')).toBe(false);
    expect(JSON.parse(f.get('manifest.intoto.json')!.toString()).predicate.ocsf).toBeUndefined();
  });

  it('an edited OCSF record is INVALID even when an insider re-signs the bundle', async () => {
    const recs = files.get('events.ocsf.jsonl')!.toString().split('\n');
    const r0 = JSON.parse(recs[0]!);
    r0.actor = { user: { name: 'somebody-else' } };
    recs[0] = JSON.stringify(r0);
    const edited = await resigned(
      new Map(files).set('events.ocsf.jsonl', Buffer.from(recs.join('\n'))),
      key.key,
      join(dir, 'edited.zip'),
    );
    const v = await runCli(['verify', edited, '--pubkey', key.pub]);
    expect(v.code).toBe(1);
    expect(v.stderr).toMatch(
      /INVALID: events\.ocsf\.jsonl line 1: differs from the OCSF record of events\.jsonl line 1/,
    );
    const dropped = await resigned(
      new Map(files).set(
        'events.ocsf.jsonl',
        Buffer.from(files.get('events.ocsf.jsonl')!.toString().split('\n').slice(1).join('\n')),
      ),
      key.key,
      join(dir, 'dropped.zip'),
    );
    const v2 = await runCli(['verify', dropped, '--pubkey', key.pub]);
    expect(v2.code).toBe(1);
    expect(v2.stderr).toMatch(/events\.ocsf\.jsonl/);
  });
});

/** Re-signs changed files (an insider holding the key) and writes the zip in collect's order. */
async function resigned(files: Map<string, Buffer>, keyPath: string, out: string): Promise<string> {
  const st: Statement = JSON.parse(files.get('manifest.intoto.json')!.toString());
  const others = st.subject
    .filter((s) => s.name !== 'SHA256SUMS')
    .map((s) => ({ name: s.name, digest: { sha256: sha256Hex(files.get(s.name)!) } }));
  const sums = Buffer.from(sumsText(others));
  files.set('SHA256SUMS', sums);
  st.subject = [{ name: 'SHA256SUMS', digest: { sha256: sha256Hex(sums) } }, ...others];
  const priv = createPrivateKey(readFileSync(keyPath));
  const manifest = Buffer.from(`${JSON.stringify(st, null, 2)}\n`);
  files.set('manifest.intoto.json', manifest);
  files.set('manifest.dsse.json', Buffer.from(envelopeText(signEnvelope(manifest, priv, createPublicKey(priv)))));
  const zip = new yazl.ZipFile();
  for (const [n, data] of files) zip.addBuffer(data, n, { mtime: new Date(2026, 10, 29), mode: 0o100644 });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  writeFileSync(out, Buffer.concat(chunks));
  return out;
}
