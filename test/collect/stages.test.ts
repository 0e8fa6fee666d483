// runCollect's stages called one by one, from known inputs (no source, no CLI): a source's status
// rules, and the temporary files -> bundle files -> statement -> signature -> zip.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeflatedFile } from '../../src/bundle/deflated-file.js';
import { verifyEnvelope } from '../../src/bundle/dsse.js';
import { ephemeralKey } from '../../src/bundle/keys.js';
import {
  ENVELOPE_FILE,
  EVENTS_FILE,
  type EvidencePredicate,
  MANIFEST_FILE,
  SUMS_FILE,
} from '../../src/bundle/manifest.js';
import { openBundle } from '../../src/bundle/zip-reader.js';
import { sha256Hex } from '../../src/event/hash.js';
import { buildStatement, bundleFiles, signManifest, writeBundleZip } from '../../src/collect/manifest.js';
import { Outputs } from '../../src/collect/outputs.js';
import { sourceStatus } from '../../src/collect/source-entry.js';
import type { SourceCounts } from '../../src/collect/tally.js';
import { ev } from '../checks/make-event.js';

const counts = (c: Partial<SourceCounts>): SourceCounts => ({
  read: 0,
  events: 0,
  rejects: 0,
  skipped: {},
  outside: 0,
  untimed: 0,
  first: null,
  last: null,
  mismatched: 0,
  ...c,
});
const ok = { status: 'complete' as const, how: 'test', warnings: [] };

describe('sourceStatus', () => {
  it('keeps what the source said when it read events and rejected fewer records', () => {
    expect(sourceStatus(ok, counts({ read: 3, events: 2, rejects: 1 }), null, null, 's')).toEqual({
      status: 'complete',
      reason: null,
    });
  });
  it('says partial after an error once records were read, failed before', () => {
    expect(sourceStatus(ok, counts({ read: 1, events: 1 }), 'boom', null, 's').status).toBe('partial');
    expect(sourceStatus(null, counts({}), 'boom', null, 's')).toMatchObject({ status: 'failed', reason: 'boom' });
  });
  it('says unreadable when more records were rejected than became events, naming the first reject', () => {
    const r = sourceStatus(ok, counts({ read: 4, events: 1, rejects: 3 }), null, 'a.log line 2: bad', 's');
    expect(r.status).toBe('unreadable');
    expect(r.reason).toContain('3 of 4 records in the period rejected, 1 events');
    expect(r.reason).toContain('first rejected: a.log line 2: bad');
  });
  it('says empty when a complete read found no events', () => {
    expect(sourceStatus(ok, counts({ read: 2, skipped: { x: 2 } }), null, null, 's')).toEqual({
      status: 'empty',
      reason: 'no events in the period',
    });
  });
});

describe('temporary files to a signed zip', () => {
  let dir: string;
  const all: DeflatedFile[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ae-stages-'));
  });
  afterEach(async () => {
    for (const f of all.splice(0)) f.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists every file with its digest in SHA256SUMS and the statement, signs the manifest, and zips them in order', async () => {
    const outputs = await Outputs.open(dir, false, all);
    await outputs.addEvent(ev({ category: 'permission_change' }));
    await outputs.addEvent(ev());
    const closed = await outputs.close();
    expect(outputs.merkle.count).toBe(2);
    expect(outputs.eventLines).toBe(2);

    const small = (s: string) => Buffer.from(s);
    const files = bundleFiles({
      verifyMd: small('verify\n'),
      publicKeyPem: small('pem\n'),
      ...closed,
      completeness: small('{}\n'),
      summaryHtml: small('<html></html>\n'),
      schema: small('{}\n'),
      sourceFiles: [{ name: 'raw/s.jsonl', data: small('x\n'), sha256: sha256Hex('x\n') }],
    });
    expect(files.map((f) => f.name)).toEqual([
      'VERIFY.md',
      'public-key.pem',
      'events.jsonl',
      'events.csv',
      'rejects.jsonl',
      'report/completeness.json',
      'report/summary.html',
      'schema/event.schema.json',
      'raw/s.jsonl',
    ]);

    const predicate = { demo: true } as unknown as EvidencePredicate;
    const { sums, statement, manifest } = buildStatement(files, predicate);
    expect(sums.toString('utf8')).toBe(files.map((f) => `${f.sha256}  ${f.name}\n`).join(''));
    expect(statement.subject[0]).toEqual({ name: SUMS_FILE, digest: { sha256: sha256Hex(sums) } });
    expect(statement.subject.slice(1).map((s) => s.name)).toEqual(files.map((f) => f.name));

    const key = ephemeralKey();
    const envelope = signManifest(manifest, key);
    const env = JSON.parse(envelope.toString('utf8'));
    expect(Buffer.from(env.payload, 'base64').equals(manifest)).toBe(true);
    expect(verifyEnvelope(env, key.publicKey)).toBe(true);

    const zip = join(dir, 'b.zip');
    await writeBundleZip(zip, { manifest, envelope, sums, files }, new Date('2026-01-01T00:00:00Z'));
    const b = await openBundle(zip);
    try {
      expect([...b.entries.keys()]).toEqual([MANIFEST_FILE, ENVELOPE_FILE, SUMS_FILE, ...files.map((f) => f.name)]);
      const events = (await b.read(EVENTS_FILE)).toString('utf8');
      expect(events.split('\n').length).toBe(3);
      expect(sha256Hex(events)).toBe(statement.subject.find((s) => s.name === EVENTS_FILE)?.digest.sha256);
    } finally {
      b.close();
    }
  });
});
