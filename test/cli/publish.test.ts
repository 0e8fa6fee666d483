// End to end through the built binary: `publish` to S3 with Object Lock (the local S3 server, which
// enforces Object Lock) and to GCS with a bucket retention policy (the local GCS JSON API server),
// `verify s3://…` / `verify gs://…`, `collect --publish`, and the refusals: a bucket without Object
// Lock or retention, a too-short GCS policy, an INVALID bundle, a different file under the same key;
// and the stores themselves refusing to delete or overwrite what was published.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Storage } from '@google-cloud/storage';
import { runCli } from '../helpers/cli.js';
import { startS3, type S3Server } from '../helpers/servers/s3.js';
import { startGcs, type GcsMutation, type GcsServer } from '../helpers/servers/gcs.js';

const DAY = 86_400_000;
// The clock of collect: two days ago at noon, so the demo week ended yesterday-ish and
// period end + 365 days lies in the future, as it does for a real weekly run.
const EPOCH = String(Math.floor((Math.floor(Date.now() / DAY) * DAY - DAY) / 1000));
const env = {
  AWS_ACCESS_KEY_ID: 'AKIDTESTONLY',
  AWS_SECRET_ACCESS_KEY: 'publish-test-not-a-secret',
  AWS_REGION: 'us-east-1',
  AWS_PROFILE: '',
  SOURCE_DATE_EPOCH: EPOCH,
};

let dir: string;
let s3: S3Server;
let gcs: GcsServer;
let bundle: string;
let other: string;
let sha: string;
let periodEnd: string;
const gcsLog: GcsMutation[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ae-publish-'));
  s3 = await startS3();
  gcs = await startGcs();
  gcs.onMutation((e) => gcsLog.push(e));
  const k = await runCli(['keygen', '--out', join(dir, 'signer')], { env });
  if (k.code !== 0) throw new Error(k.stderr);
  bundle = join(dir, 'week.zip');
  const c = await runCli(['collect', '--week', '--demo', '--key', join(dir, 'signer.key'), '--out', bundle, '-q'], {
    env,
  });
  if (c.code !== 0) throw new Error(c.stderr);
  other = join(dir, 'other.zip');
  const c2 = await runCli(['collect', '--week', '--demo', '--out', other, '-q'], {
    env: { ...env, SOURCE_DATE_EPOCH: String(Number(EPOCH) - 86400) },
  });
  if (c2.code !== 0) throw new Error(c2.stderr);
  sha = createHash('sha256').update(readFileSync(bundle)).digest('hex');
  const v = await runCli(['verify', bundle, '--json'], { env });
  periodEnd = JSON.parse(v.stdout).period.end;
});
afterAll(async () => {
  await s3?.stop();
  await gcs?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const s3client = () =>
  new S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
const show = (label: string, r: { code: number | null; stdout: string; stderr: string }) =>
  console.log(`--- ${label} (exit ${r.code})\n${r.stdout}${r.stderr}`);

describe('publish to S3 with Object Lock', () => {
  let versionUrl = '';

  it('uploads the bundle as a locked version, reads it back and prints where and until when', async () => {
    s3.createBucket('evidence-locked', { objectLock: true });
    const r = await runCli(
      [
        'publish',
        bundle,
        '--to',
        's3://evidence-locked/soc2/',
        '--endpoint',
        s3.endpoint,
        '--pubkey',
        join(dir, 'signer.pub.pem'),
      ],
      { env },
    );
    show('publish s3', r);
    expect(r.code, r.stderr).toBe(0);
    const m = /^bundle published: (s3:\/\/evidence-locked\/soc2\/week\.zip\?versionId=\S+)$/m.exec(r.stdout);
    expect(m).toBeTruthy();
    versionUrl = m![1];
    const until = new Date(Date.parse(periodEnd) + 365 * DAY).toISOString();
    expect(r.stdout).toContain(`sha256 ${sha} (read back and compared)`);
    expect(r.stdout).toContain(`S3 Object Lock COMPLIANCE until ${until}`);
    expect(r.stdout).toMatch(/^public key published: s3:\/\/evidence-locked\/soc2\/signer\.pub\.pem\?versionId=/m);
    expect(r.stdout).toContain(`required: kept until ${until} (period end ${periodEnd} + 365 days): met`);
    const v = s3.getObject('evidence-locked', 'soc2/week.zip')!;
    expect(v.retention).toEqual({ mode: 'COMPLIANCE', until: new Date(until) });
    expect(createHash('sha256').update(v.body).digest('hex')).toBe(sha);
    const put = s3.requests.find((q) => q.method === 'PUT' && q.key === 'soc2/week.zip')!;
    expect(put.headers['if-none-match']).toBe('*');
  });

  it('verify s3://…?versionId= downloads, verifies and reports the lock', async () => {
    const r = await runCli(
      ['verify', versionUrl, '--endpoint', s3.endpoint, '--pubkey', join(dir, 'signer.pub.pem'), '--require-retention'],
      { env },
    );
    show('verify s3', r);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(new RegExp(`^${versionUrl.replace(/[?.]/g, '\\$&')}: VALID`));
    expect(r.stdout).toContain(`storage: ${versionUrl}: ${readFileSync(bundle).length} bytes, sha256 ${sha}`);
    expect(r.stdout).toMatch(
      /storage: S3 Object Lock COMPLIANCE until \S+ \(\d+ more days\): no one, the root user included/,
    );
    const j = await runCli(['verify', versionUrl, '--endpoint', s3.endpoint, '--json'], { env });
    const doc = JSON.parse(j.stdout);
    expect(doc.valid).toBe(true);
    expect(doc.storage).toMatchObject({
      scheme: 's3',
      bucket: 'evidence-locked',
      key: 'soc2/week.zip',
      sha256: sha,
      protection: { kind: 's3-object-lock', mode: 'COMPLIANCE', locked: true, active: true },
    });
  });

  it('the server refuses to delete the locked version; publishing another file under the key is refused; an overwrite only adds a version', async () => {
    const c = s3client();
    const versionId = new URL(versionUrl.replace('s3://', 'http://')).searchParams.get('versionId')!;
    const del = await c
      .send(new DeleteObjectCommand({ Bucket: 'evidence-locked', Key: 'soc2/week.zip', VersionId: versionId }))
      .catch((e: Error) => e);
    console.log(`DeleteObject of the locked version: ${(del as Error).name}: ${(del as Error).message}`);
    expect((del as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
    // publish never writes over a key: another bundle with the same name is refused (exit 2)
    const renamed = join(dir, 'x', 'week.zip');
    rmSync(join(dir, 'x'), { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(join(dir, 'x'));
    writeFileSync(renamed, readFileSync(other));
    const r = await runCli(['publish', renamed, '--to', 's3://evidence-locked/soc2/', '--endpoint', s3.endpoint], {
      env,
    });
    show('publish a different file under the same key', r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already holds a different object .*it was not replaced/);
    // the same file again: reported as already published, exit 0
    const again = await runCli(
      ['publish', bundle, '--to', 's3://evidence-locked/soc2/', '--endpoint', s3.endpoint, '-q'],
      { env },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^bundle already published: s3:\/\/evidence-locked\/soc2\/week\.zip\?versionId=/m);
    // Someone with write access overwrites the key behind publish's back: S3 adds a version.
    await c.send(new PutObjectCommand({ Bucket: 'evidence-locked', Key: 'soc2/week.zip', Body: readFileSync(other) }));
    const cur = await runCli(
      ['verify', 's3://evidence-locked/soc2/week.zip', '--endpoint', s3.endpoint, '--require-retention'],
      { env },
    );
    show('verify the overwritten current version', cur);
    expect(cur.code).toBe(1);
    expect(cur.stdout).toMatch(/storage: the key has \d+ versions .*this one is the current one/);
    expect(cur.stdout).toMatch(/the current version is not under Object Lock: it may have replaced the published one/);
    const pinned = await runCli(
      ['verify', versionUrl, '--endpoint', s3.endpoint, '--pubkey', join(dir, 'signer.pub.pem'), '--require-retention'],
      { env },
    );
    expect(pinned.code, pinned.stdout + pinned.stderr).toBe(0);
    expect(pinned.stdout).toMatch(/this one is NOT the current one/);
  });

  it('refuses a bucket without Object Lock unless --allow-mutable (then exit 1, NOT protected)', async () => {
    s3.createBucket('evidence-plain');
    const r = await runCli(['publish', bundle, '--to', 's3://evidence-plain/p', '--endpoint', s3.endpoint], { env });
    show('publish to a bucket without Object Lock', r);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not published: s3://evidence-plain does not have Object Lock enabled');
    expect(s3.getObject('evidence-plain', 'p/week.zip')).toBeUndefined();
    const m = await runCli(
      ['publish', bundle, '--to', 's3://evidence-plain/p', '--endpoint', s3.endpoint, '--allow-mutable'],
      { env },
    );
    expect(m.code).toBe(1);
    expect(m.stdout).toContain('NOT protected');
    expect(m.stdout).toMatch(/required: kept until .*: NOT met/);
    expect(m.stderr).toMatch(/WARNING: s3:\/\/evidence-plain has no Object Lock/);
  });

  it('refuses an INVALID bundle, a bad URL and a retain-until in the past', async () => {
    const bad = join(dir, 'bad.zip');
    const buf = Buffer.from(readFileSync(bundle));
    const i = buf.indexOf('events.jsonl');
    buf[i + 200] ^= 1; // damage inside the archive
    writeFileSync(bad, buf);
    const r = await runCli(['publish', bad, '--to', 's3://evidence-locked/bad/', '--endpoint', s3.endpoint], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not published: .*(INVALID|not a readable|zip)/i);
    const u = await runCli(['publish', bundle, '--to', 'http://example.com/x'], { env });
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('is not a storage URL');
    const p = await runCli(
      ['publish', other, '--to', 's3://evidence-locked/old/', '--endpoint', s3.endpoint, '--retention-days', '1'],
      { env },
    );
    expect(p.code).toBe(2);
    expect(p.stderr).toMatch(/retain-until would be .* which has already passed/);
  });

  it('collect --publish writes, publishes and checks in one go', async () => {
    const out = join(dir, 'collected.zip');
    const r = await runCli(
      [
        'collect',
        '--week',
        '--demo',
        '--key',
        join(dir, 'signer.key'),
        '--out',
        out,
        '--publish',
        's3://evidence-locked/collect',
        '--publish-endpoint',
        s3.endpoint,
        '--retention-days',
        '400',
        '--json',
      ],
      { env: { ...env, SOURCE_DATE_EPOCH: String(Number(EPOCH) - 3600) } },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.published.bundle).toMatchObject({
      bucket: 'evidence-locked',
      key: 'collect/collected.zip',
      protection: { mode: 'COMPLIANCE', active: true },
    });
    expect(doc.published.retention_days).toBe(400);
    expect(r.stderr).toMatch(/bundle published: s3:\/\/evidence-locked\/collect\/collected\.zip\?versionId=/);
    expect(s3.getObject('evidence-locked', 'collect/collected.zip')?.retention?.mode).toBe('COMPLIANCE');
    const bad = await runCli(['collect', '--week', '--demo', '--out', join(dir, 'never.zip'), '--publish', 'ftp://x'], {
      env,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--publish:');
  });
});

describe('publish to GCS with a bucket retention policy', () => {
  it('publishes to a locked 400-day policy, verify gs:// reports it, and the server refuses delete and overwrite', async () => {
    gcs.createBucket('evidence-gcs', { retentionSeconds: 400 * 86400, locked: true });
    const r = await runCli(['publish', bundle, '--to', 'gs://evidence-gcs/soc2', '--endpoint', gcs.endpoint], { env });
    show('publish gs', r);
    expect(r.code, r.stderr).toBe(0);
    const m = /^bundle published: (gs:\/\/evidence-gcs\/soc2\/week\.zip#\d+)$/m.exec(r.stdout);
    expect(m).toBeTruthy();
    expect(r.stdout).toMatch(
      /GCS bucket retention policy \(400 days\), LOCKED: the object cannot be deleted or replaced before \S+/,
    );
    const v = await runCli(
      ['verify', m![1], '--endpoint', gcs.endpoint, '--pubkey', join(dir, 'signer.pub.pem'), '--require-retention'],
      { env },
    );
    show('verify gs', v);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/: VALID/);
    expect(v.stdout).toContain(`sha256 ${sha}`);
    const storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: 'p', retryOptions: { maxRetries: 0 } });
    gcsLog.length = 0;
    const del = await storage
      .bucket('evidence-gcs')
      .file('soc2/week.zip')
      .delete()
      .catch((e: Error) => e);
    console.log(`GCS delete of the published object: ${(del as { code?: number }).code} ${(del as Error).message}`);
    expect((del as { code?: number }).code).toBe(403);
    const over = await storage
      .bucket('evidence-gcs')
      .file('soc2/week.zip')
      .save('tampered', { resumable: false })
      .catch((e: Error) => e);
    expect((over as { code?: number }).code).toBe(403);
    expect(gcsLog.map((e) => `${e.methodName} ${e.status} ${e.reason}`)).toEqual([
      'storage.objects.delete 403 retentionPolicyNotMet',
      'storage.objects.create 403 retentionPolicyNotMet',
    ]);
    // publish again with a different file under the name: refused
    const renamed = join(dir, 'y', 'week.zip');
    (await import('node:fs')).mkdirSync(join(dir, 'y'), { recursive: true });
    writeFileSync(renamed, readFileSync(other));
    const again = await runCli(['publish', renamed, '--to', 'gs://evidence-gcs/soc2', '--endpoint', gcs.endpoint], {
      env,
    });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a different object/);
  });

  it('refuses a bucket without a policy, and one whose policy is shorter than asked; --lock-retention locks an unlocked one', async () => {
    gcs.createBucket('gcs-plain');
    const r = await runCli(['publish', bundle, '--to', 'gs://gcs-plain/x', '--endpoint', gcs.endpoint], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not published: gs://gcs-plain has no retention policy');
    gcs.createBucket('gcs-short', { retentionSeconds: 30 * 86400 });
    const s = await runCli(['publish', bundle, '--to', 'gs://gcs-short/x', '--endpoint', gcs.endpoint], { env });
    show('publish to a 30-day GCS policy', s);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/gs:\/\/gcs-short keeps objects for 30 days .*before/);
    expect(gcs.getObject('gcs-short', 'x/week.zip')).toBeUndefined();
    gcs.createBucket('gcs-unlocked', { retentionSeconds: 400 * 86400 });
    const u = await runCli(['publish', bundle, '--to', 'gs://gcs-unlocked/x', '--endpoint', gcs.endpoint], { env });
    expect(u.code).toBe(0);
    expect(u.stderr).toMatch(/WARNING: the retention policy of gs:\/\/gcs-unlocked is NOT locked/);
    expect(u.stdout).toMatch(/NOT locked: the object cannot be deleted before/);
    expect(gcs.buckets.get('gcs-unlocked')!.retentionPolicy!.isLocked).toBe(false);
    const l = await runCli(
      [
        'publish',
        other,
        '--to',
        'gs://gcs-unlocked/y',
        '--endpoint',
        gcs.endpoint,
        '--lock-retention',
        '--retention-days',
        '300',
      ],
      { env },
    );
    expect(l.code, l.stderr).toBe(0);
    expect(gcs.buckets.get('gcs-unlocked')!.retentionPolicy!.isLocked).toBe(true);
    expect(l.stdout).toMatch(/LOCKED/);
  });
});
