// `publish`: puts a bundle on write-once storage and proves it is there. The bundle is verified
// first (an INVALID bundle is never published), the bucket's protection is checked (S3 Object Lock
// enabled; GCS retention policy long enough, locked on request), the bundle is uploaded without ever
// replacing an existing object, then read back: its sha256 must equal the local file's and its
// retention must reach period end + retention days. A bucket without protection is refused unless
// allowMutable. The result names the exact stored version and until when it is kept.
import { createReadStream, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { verifyBundle, formatFailure } from '../bundle/verify/index.js';
import { formatUrl, objectFor, parseStorageUrl, siblingOf, StorageUrlError, type StorageUrl } from './target.js';
import { PublishError, type StoreOptions, type StoredObject } from './types.js';
import { s3BucketLock, s3Client, s3Put, s3ReadBack } from './s3.js';
import { gcsBucketPolicy, gcsClient, gcsLockPolicy, gcsPut, gcsReadBack } from './gcs.js';

export { PublishError } from './types.js';
export type { StoredObject, Protection, StoreOptions } from './types.js';

export const DEFAULT_PUBLISH_RETENTION_DAYS = 365;
const DAY = 86_400_000;

export interface PublishOptions extends StoreOptions {
  /** s3://bucket/prefix or gs://bucket/prefix (a key ending in .zip names the object itself). */
  to: string;
  /** The object must be kept until period end + this many days. */
  retentionDays: number;
  /** S3 Object Lock mode (default COMPLIANCE). */
  mode?: 'COMPLIANCE' | 'GOVERNANCE';
  /** Publish to a bucket without Object Lock / retention policy (or with too short a policy). */
  allowMutable?: boolean;
  /** GCS: lock the bucket's retention policy (irreversible). */
  lockRetention?: boolean;
  /** Also publish this file (the signer's public key) next to the bundle, protected alike. */
  publicKey?: string;
  /** The bundle's period end when already known (collect just wrote it); otherwise the bundle is verified and its manifest read. */
  periodEnd?: Date;
  now?: Date;
  progress?: (m: string) => void;
}

export interface PublishResult {
  bundle: StoredObject & { already_published: boolean };
  public_key: (StoredObject & { already_published: boolean }) | null;
  /** Until when the bundle had to be kept: period end + retention days. */
  required_until: string;
  retention_days: number;
  period_end: string;
  warnings: string[];
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export async function publishBundle(path: string, o: PublishOptions): Promise<PublishResult> {
  const now = o.now ?? new Date();
  const say = o.progress ?? (() => {});
  const target = publishTarget(o.to);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new PublishError(`cannot read ${path}`);
  }
  const periodEnd = o.periodEnd ?? (await verifiedPeriodEnd(path, say));
  const job: Job = {
    o,
    now,
    say,
    warnings: [],
    periodEnd,
    requiredUntil: new Date(periodEnd.getTime() + o.retentionDays * DAY),
    mode: o.mode ?? 'COMPLIANCE',
  };
  const obj = objectFor(target, path);
  const sha = await sha256File(path);
  const bundle = await publishOne(job, path, obj, sha, size, 'application/zip');
  let publicKey: PublishResult['public_key'] = null;
  if (o.publicKey) {
    let ksize: number;
    try {
      ksize = statSync(o.publicKey).size;
    } catch {
      throw new PublishError(`cannot read the public key ${o.publicKey}`);
    }
    publicKey = await publishOne(
      job,
      o.publicKey,
      siblingOf(obj, o.publicKey),
      await sha256File(o.publicKey),
      ksize,
      'application/x-pem-file',
    );
  }
  return {
    bundle,
    public_key: publicKey,
    required_until: job.requiredUntil.toISOString(),
    retention_days: o.retentionDays,
    period_end: periodEnd.toISOString(),
    warnings: job.warnings,
  };
}

/** The --to URL, parsed: a new object, so no version. */
function publishTarget(to: string): StorageUrl {
  let target: StorageUrl;
  try {
    target = parseStorageUrl(to);
  } catch (e) {
    if (e instanceof StorageUrlError) throw new PublishError(e.message);
    throw e;
  }
  if (target.version) throw new PublishError(`${to}: publish writes a new object; leave out the version`);
  return target;
}

/** Verifies the bundle (an INVALID one is not published) and returns its period's end. */
async function verifiedPeriodEnd(path: string, say: (m: string) => void): Promise<Date> {
  say(`verifying ${basename(path)} before publishing it`);
  const v = await verifyBundle(path, {});
  if (!v.valid || !v.predicate) {
    throw new PublishError(
      `${path} is INVALID (${v.failures.length} problem${v.failures.length === 1 ? '' : 's'}; first: ${v.failures[0] ? formatFailure(v.failures[0]) : 'unknown'}): it is not published`,
    );
  }
  return new Date(v.predicate.period.end);
}

/** One publishing run: its options, clock, warnings, and until when the objects must be kept. */
interface Job {
  o: PublishOptions;
  now: Date;
  say: (m: string) => void;
  warnings: string[];
  periodEnd: Date;
  requiredUntil: Date;
  mode: NonNullable<PublishOptions['mode']>;
}

type Stored = StoredObject & { meta_sha256: string | null };
type Put = { version: string | null } | 'exists';

/** Uploads one file (unless the same bytes are there already), reads it back and checks its protection. */
async function publishOne(
  job: Job,
  file: string,
  u: StorageUrl,
  fileSha: string,
  fileSize: number,
  contentType: string,
): Promise<StoredObject & { already_published: boolean }> {
  const { put, read } =
    u.scheme === 's3'
      ? await putS3(job, file, u, fileSha, fileSize, contentType)
      : await putGcs(job, file, u, fileSha, fileSize, contentType);
  const already = put === 'exists';
  if (already) {
    if (read.sha256 !== fileSha)
      throw new PublishError(
        `${formatUrl(u)} already holds a different object (sha256 ${read.sha256}, not ${fileSha}); it was not replaced. Publish under another prefix`,
      );
    job.say(`${formatUrl(u)} already holds this file (same sha256): not uploaded again`);
  } else if (read.sha256 !== fileSha || read.size !== fileSize) {
    throw new PublishError(
      `${read.url}: read back ${read.size} bytes with sha256 ${read.sha256}, but ${file} is ${fileSize} bytes with sha256 ${fileSha}: the upload is damaged`,
    );
  }
  const p = read.protection;
  const protectedEnough =
    p.active && p.retain_until !== null && Date.parse(p.retain_until) >= job.requiredUntil.getTime() - 1000;
  if (!protectedEnough && !job.o.allowMutable) {
    throw new PublishError(
      `${read.url} was stored, but read back it is ${p.summary}, short of ${job.requiredUntil.toISOString()}: the storage does not keep it as asked`,
    );
  }
  if (!protectedEnough && p.kind !== 'none')
    job.warnings.push(`${read.url}: ${p.summary}, short of ${job.requiredUntil.toISOString()}`);
  const { meta_sha256: _m, ...stored } = read;
  return { ...stored, already_published: already };
}

/** S3: refuses a bucket without Object Lock (unless --allow-mutable); puts with retain-until; reads back. */
async function putS3(
  job: Job,
  file: string,
  u: StorageUrl,
  fileSha: string,
  fileSize: number,
  contentType: string,
): Promise<{ put: Put; read: Stored }> {
  const { o, now, requiredUntil } = job;
  const c = s3Client(o);
  const lock = await s3BucketLock(c, u.bucket);
  if (!lock.enabled && !o.allowMutable) {
    throw new PublishError(
      `s3://${u.bucket} does not have Object Lock enabled: a bundle there could be deleted or replaced. Use a bucket created with Object Lock (aws s3api create-bucket --object-lock-enabled-for-bucket), or pass --allow-mutable to publish anyway`,
    );
  }
  if (!lock.enabled)
    job.warnings.push(
      `s3://${u.bucket} has no Object Lock: ${basename(file)} is published to MUTABLE storage (--allow-mutable)`,
    );
  if (lock.enabled && requiredUntil.getTime() <= now.getTime()) {
    throw new PublishError(
      `retain-until would be ${requiredUntil.toISOString()} (period end ${job.periodEnd.toISOString()} + ${o.retentionDays} days), which has already passed: give a longer --retention-days`,
    );
  }
  const put = await s3Put(
    c,
    u,
    file,
    fileSize,
    fileSha,
    contentType,
    lock.enabled ? { mode: job.mode, until: requiredUntil } : null,
  );
  const at = put === 'exists' ? u : { ...u, version: put.version };
  return { put, read: await s3ReadBack(c, at, now) };
}

/** GCS: refuses a bucket whose retention policy is missing or too short (unless --allow-mutable); locks it with --lock-retention; puts; reads back. */
async function putGcs(
  job: Job,
  file: string,
  u: StorageUrl,
  fileSha: string,
  fileSize: number,
  contentType: string,
): Promise<{ put: Put; read: Stored }> {
  const { o, now, requiredUntil, say, warnings } = job;
  const s = gcsClient(o);
  let policy = await gcsBucketPolicy(s, u.bucket);
  const keptUntil = policy.retentionSeconds !== null ? new Date(now.getTime() + policy.retentionSeconds * 1000) : null;
  if (policy.retentionSeconds === null && !o.allowMutable) {
    throw new PublishError(
      `gs://${u.bucket} has no retention policy: a bundle there could be deleted or replaced. Set one (gcloud storage buckets update gs://${u.bucket} --retention-period=${o.retentionDays + 8}d) and lock it (--lock-retention), or pass --allow-mutable to publish anyway`,
    );
  }
  if (keptUntil && keptUntil.getTime() < requiredUntil.getTime()) {
    const msg = `gs://${u.bucket} keeps objects for ${Math.round((policy.retentionSeconds! / 86400) * 10) / 10} days (its retention policy), so ${basename(file)} could be deleted from ${keptUntil.toISOString()}, before ${requiredUntil.toISOString()} (period end + ${o.retentionDays} days)`;
    if (!o.allowMutable)
      throw new PublishError(
        `${msg}: lengthen the bucket's retention policy, or pass --allow-mutable to publish anyway`,
      );
    warnings.push(`${msg} (--allow-mutable)`);
  }
  if (o.lockRetention && policy.retentionSeconds !== null && !policy.locked) {
    if (!policy.metageneration)
      throw new PublishError(
        `gs://${u.bucket}: the bucket's metageneration is unknown, so its retention policy cannot be locked`,
      );
    say(`locking the retention policy of gs://${u.bucket} (irreversible)`);
    await gcsLockPolicy(s, u.bucket, policy.metageneration);
    policy = await gcsBucketPolicy(s, u.bucket);
  }
  if (policy.retentionSeconds !== null && !policy.locked)
    warnings.push(
      `the retention policy of gs://${u.bucket} is NOT locked: a bucket owner can remove it and then delete ${basename(file)}; lock it with --lock-retention (irreversible)`,
    );
  const put = await gcsPut(s, u, file, fileSize, fileSha, contentType);
  return { put, read: await gcsReadBack(s, put === 'exists' ? u : { ...u, version: put.version }, now) };
}
