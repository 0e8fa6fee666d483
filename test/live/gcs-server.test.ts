// The local GCS JSON API server (test/helpers/servers/gcs.ts) driven by the real @google-cloud/storage
// client: bucket metadata with retention and labels, uploads the three ways the client makes them,
// downloads validated by the client's own crc32c/md5 check, and the retention policy enforced.
import { createHash } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32c, startGcs, type GcsMutation, type GcsServer } from '../helpers/servers/gcs.js';

let gcs: GcsServer;
let storage: Storage;
const mutations: GcsMutation[] = [];

beforeAll(async () => {
  gcs = await startGcs();
  gcs.onMutation((e) => mutations.push(e));
  storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: 'evidence-project', retryOptions: { maxRetries: 0 } });
});
afterAll(async () => {
  await gcs?.stop();
});

const apiReason = (e: unknown) => (e as { errors?: Array<{ reason?: string }> }).errors?.[0]?.reason;
const code = (e: unknown) => (e as { code?: number }).code;

describe('local GCS server with the real @google-cloud/storage client', () => {
  it('computes CRC32C as GCS does (RFC 3720 check value)', () => {
    expect(crc32c(Buffer.from('123456789')).toString(16)).toBe('e3069283');
  });

  it('creates a bucket, patches labels, sets and locks a retention policy', async () => {
    const [bucket] = await storage.createBucket('evidence-a');
    await bucket.setMetadata({ labels: { team: 'compliance' } });
    await bucket.setRetentionPeriod(3600);
    let [meta] = await bucket.getMetadata();
    expect(meta.labels).toEqual({ team: 'compliance' });
    expect(meta.retentionPolicy?.retentionPeriod).toBe('3600');
    expect(meta.retentionPolicy?.isLocked).toBeUndefined();
    expect(Date.parse(String(meta.retentionPolicy?.effectiveTime))).toBeGreaterThan(0);
    // Locking needs the current metageneration.
    await expect(bucket.lock('1')).rejects.toSatisfy((e) => code(e) === 412);
    await bucket.lock(String(meta.metageneration));
    [meta] = await bucket.getMetadata();
    expect(meta.retentionPolicy?.isLocked).toBe(true);
    // A locked policy can be neither removed nor shortened, but can be lengthened.
    await expect(bucket.removeRetentionPeriod()).rejects.toSatisfy((e) => code(e) === 403);
    await expect(bucket.setRetentionPeriod(60)).rejects.toSatisfy((e) => code(e) === 403);
    await bucket.setRetentionPeriod(7200);
    [meta] = await bucket.getMetadata();
    expect(meta.retentionPolicy).toMatchObject({ retentionPeriod: '7200', isLocked: true });
  });

  it('uploads multipart (resumable:false), resumable single-request and resumable in chunks; downloads validated', async () => {
    const bucket = storage.bucket('evidence-a');
    const small = Buffer.from('{"hello":"world"}\n');
    await bucket
      .file('a/simple.json')
      .save(small, { resumable: false, contentType: 'application/json', metadata: { metadata: { sha256: 'x' } } });
    const big = Buffer.alloc(3 * 256 * 1024 + 123, 7);
    for (let i = 0; i < big.length; i += 97) big[i] = i % 251;
    await bucket.file('a/resumable.bin').save(big, { resumable: true });
    await bucket.file('a/chunked.bin').save(big, { resumable: true, chunkSize: 256 * 1024 });
    for (const [name, body] of [
      ['a/simple.json', small],
      ['a/resumable.bin', big],
      ['a/chunked.bin', big],
    ] as const) {
      const [got] = await bucket.file(name).download(); // validation: crc32c + md5 against x-goog-hash
      expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
      const [meta] = await bucket.file(name).getMetadata();
      expect(meta.size).toBe(String(body.length));
      expect(meta.md5Hash).toBe(createHash('md5').update(body).digest('base64'));
      expect(meta.crc32c).toBeTruthy();
      // 7200 s policy: expiration is timeCreated + 2 h
      expect(Date.parse(String(meta.retentionExpirationTime)) - Date.parse(String(meta.timeCreated))).toBe(7200_000);
    }
    const [meta] = await bucket.file('a/simple.json').getMetadata();
    expect(meta.contentType).toBe('application/json');
    expect(meta.metadata).toEqual({ sha256: 'x' });
    const [files] = await bucket.getFiles({ prefix: 'a/' });
    expect(files.map((f) => f.name).sort()).toEqual(['a/chunked.bin', 'a/resumable.bin', 'a/simple.json']);
  });

  it('refuses delete and overwrite under retention with 403 retentionPolicyNotMet, and tells the hook', async () => {
    const bucket = storage.bucket('evidence-a');
    mutations.length = 0;
    await expect(bucket.file('a/simple.json').delete()).rejects.toSatisfy(
      (e) => code(e) === 403 && apiReason(e) === 'retentionPolicyNotMet',
    );
    await expect(bucket.file('a/simple.json').save('tampered', { resumable: false })).rejects.toSatisfy(
      (e) => code(e) === 403,
    );
    await expect(bucket.file('a/resumable.bin').save(Buffer.alloc(10), { resumable: true })).rejects.toSatisfy(
      (e) => code(e) === 403 || /403|retention/i.test(String(e)),
    );
    const [got] = await bucket.file('a/simple.json').download();
    expect(got.toString()).toBe('{"hello":"world"}\n');
    expect(mutations.map((m) => [m.methodName, m.status, m.reason])).toEqual([
      ['storage.objects.delete', 403, 'retentionPolicyNotMet'],
      ['storage.objects.create', 403, 'retentionPolicyNotMet'],
      ['storage.objects.create', 403, 'retentionPolicyNotMet'],
    ]);
    expect(mutations[0].resourceName).toBe('projects/_/buckets/evidence-a/objects/a/simple.json');
  });

  it('allows delete once retention has passed; a bucket without a policy is mutable; ifGenerationMatch=0 protects a name', async () => {
    let t = Date.now();
    const clocked = await startGcs({ now: () => new Date(t) });
    try {
      const s = new Storage({ apiEndpoint: clocked.endpoint, projectId: 'p', retryOptions: { maxRetries: 0 } });
      clocked.createBucket('locked', { retentionSeconds: 60, locked: true });
      clocked.createBucket('plain', { labels: { env: 'test' } });
      await s.bucket('locked').file('x').save('one', { resumable: false });
      await expect(s.bucket('locked').file('x').delete()).rejects.toSatisfy((e) => code(e) === 403);
      t += 61_000;
      await s.bucket('locked').file('x').delete();
      expect(clocked.getObject('locked', 'x')).toBeUndefined();
      const [meta] = await s.bucket('plain').getMetadata();
      expect(meta.retentionPolicy).toBeUndefined();
      expect(meta.labels).toEqual({ env: 'test' });
      await s.bucket('plain').file('y').save('one', { resumable: false });
      await s.bucket('plain').file('y').save('two', { resumable: false });
      await expect(
        s
          .bucket('plain')
          .file('y')
          .save('three', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
      ).rejects.toSatisfy((e) => code(e) === 412);
      expect(clocked.getObject('plain', 'y')?.body.toString()).toBe('two');
      await s.bucket('plain').file('y').delete();
    } finally {
      await clocked.stop();
    }
  });

  it('a temporary hold refuses delete until released', async () => {
    const bucket = storage.bucket('held');
    gcs.createBucket('held');
    await bucket.file('h').save('x', { resumable: false });
    await bucket.file('h').setMetadata({ temporaryHold: true });
    await expect(bucket.file('h').delete()).rejects.toSatisfy(
      (e) => code(e) === 403 && apiReason(e) === 'objectUnderActiveHold',
    );
    await bucket.file('h').setMetadata({ temporaryHold: false });
    await bucket.file('h').delete();
  });
});
