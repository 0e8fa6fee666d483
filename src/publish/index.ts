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
  const warnings: string[] = [];
  let target: StorageUrl;
  try {
    target = parseStorageUrl(o.to);
  } catch (e) {
    if (e instanceof StorageUrlError) throw new PublishError(e.message);
    throw e;
  }
  if (target.version) throw new PublishError(`${o.to}: publish writes a new object; leave out the version`);
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new PublishError(`cannot read ${path}`);
  }

  let periodEnd = o.periodEnd;
  if (!periodEnd) {
    say(`verifying ${basename(path)} before publishing it`);
    const v = await verifyBundle(path, {});
    if (!v.valid || !v.predicate) {
      throw new PublishError(
        `${path} is INVALID (${v.failures.length} problem${v.failures.length === 1 ? '' : 's'}; first: ${v.failures[0] ? formatFailure(v.failures[0]) : 'unknown'}): it is not published`,
      );
    }
    periodEnd = new Date(v.predicate.period.end);
  }
  const requiredUntil = new Date(periodEnd.getTime() + o.retentionDays * DAY);
  const obj = objectFor(target, path);
  const sha = await sha256File(path);
  const mode = o.mode ?? 'COMPLIANCE';

  const publishOne = async (
    file: string,
    u: StorageUrl,
    fileSha: string,
    fileSize: number,
    contentType: string,
  ): Promise<StoredObject & { already_published: boolean }> => {
    let put: { version: string | null } | 'exists';
    let read: StoredObject & { meta_sha256: string | null };
    if (u.scheme === 's3') {
      const c = s3Client(o);
      const lock = await s3BucketLock(c, u.bucket);
      if (!lock.enabled && !o.allowMutable) {
        throw new PublishError(
          `s3://${u.bucket} does not have Object Lock enabled: a bundle there could be deleted or replaced. Use a bucket created with Object Lock (aws s3api create-bucket --object-lock-enabled-for-bucket), or pass --allow-mutable to publish anyway`,
        );
      }
      if (!lock.enabled)
        warnings.push(
          `s3://${u.bucket} has no Object Lock: ${basename(file)} is published to MUTABLE storage (--allow-mutable)`,
        );
      if (lock.enabled && requiredUntil.getTime() <= now.getTime()) {
        throw new PublishError(
          `retain-until would be ${requiredUntil.toISOString()} (period end ${periodEnd!.toISOString()} + ${o.retentionDays} days), which has already passed: give a longer --retention-days`,
        );
      }
      put = await s3Put(
        c,
        u,
        file,
        fileSize,
        fileSha,
        contentType,
        lock.enabled ? { mode, until: requiredUntil } : null,
      );
      const at = put === 'exists' ? u : { ...u, version: put.version };
      read = await s3ReadBack(c, at, now);
    } else {
      const s = gcsClient(o);
      let policy = await gcsBucketPolicy(s, u.bucket);
      const keptUntil =
        policy.retentionSeconds !== null ? new Date(now.getTime() + policy.retentionSeconds * 1000) : null;
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
      put = await gcsPut(s, u, file, fileSize, fileSha, contentType);
      read = await gcsReadBack(s, put === 'exists' ? u : { ...u, version: put.version }, now);
    }
    const already = put === 'exists';
    if (already) {
      if (read.sha256 !== fileSha)
        throw new PublishError(
          `${formatUrl(u)} already holds a different object (sha256 ${read.sha256}, not ${fileSha}); it was not replaced. Publish under another prefix`,
        );
      say(`${formatUrl(u)} already holds this file (same sha256): not uploaded again`);
    } else if (read.sha256 !== fileSha || read.size !== fileSize) {
      throw new PublishError(
        `${read.url}: read back ${read.size} bytes with sha256 ${read.sha256}, but ${file} is ${fileSize} bytes with sha256 ${fileSha}: the upload is damaged`,
      );
    }
    const p = read.protection;
    const protectedEnough =
      p.active && p.retain_until !== null && Date.parse(p.retain_until) >= requiredUntil.getTime() - 1000;
    if (!protectedEnough && !o.allowMutable) {
      throw new PublishError(
        `${read.url} was stored, but read back it is ${p.summary}, short of ${requiredUntil.toISOString()}: the storage does not keep it as asked`,
      );
    }
    if (!protectedEnough && p.kind !== 'none')
      warnings.push(`${read.url}: ${p.summary}, short of ${requiredUntil.toISOString()}`);
    const { meta_sha256: _m, ...stored } = read;
    return { ...stored, already_published: already };
  };

  const bundle = await publishOne(path, obj, sha, size, 'application/zip');
  let publicKey: PublishResult['public_key'] = null;
  if (o.publicKey) {
    let ksize: number;
    try {
      ksize = statSync(o.publicKey).size;
    } catch {
      throw new PublishError(`cannot read the public key ${o.publicKey}`);
    }
    publicKey = await publishOne(
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
    required_until: requiredUntil.toISOString(),
    retention_days: o.retentionDays,
    period_end: periodEnd.toISOString(),
    warnings,
  };
}
