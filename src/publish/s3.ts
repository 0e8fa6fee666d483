// Amazon S3 (and S3-compatible stores) as write-once storage for bundles: Object Lock on the
// bucket is checked (GetObjectLockConfiguration), each bundle is stored as a new version with its
// own retention (x-amz-object-lock-mode + retain-until-date) and If-None-Match: * (never replaces
// a key), then read back (HeadObject + GetObject of that version) to check its sha256 and lock.
// With Object Lock a bucket is versioned: writing to the key again adds a version and leaves the
// locked one intact, and deleting a locked version is refused; so the URL publish prints names
// the version (?versionId=), which is what an auditor verifies.
import { createReadStream, createWriteStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import {
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describeProtection, PublishError, type Protection, type StoreOptions, type StoredObject } from './types.js';
import { formatUrl, type StorageUrl } from './target.js';

const errName = (e: unknown) => (e as { name?: string }).name ?? 'Error';
const status = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const errText = (e: unknown) => `${errName(e)}${status(e) ? ` (HTTP ${status(e)})` : ''}: ${(e as Error).message}`;

export function s3Client(o: StoreOptions): S3Client {
  return new S3Client({
    region: o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    followRegionRedirects: true,
    maxAttempts: 3,
    // The SDK's default logger is silent, except that for a streaming upload it falls back to
    // console.warn ('An error was encountered in a non-retryable streaming request.') on any error,
    // e.g. the 412 that tells publish the key exists. publish reports every error itself.
    logger: { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    ...(o.profile ? { profile: o.profile } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint, forcePathStyle: true } : {}),
  });
}

export interface S3BucketLock {
  enabled: boolean;
  defaultRule: { mode: string | null; days: number | null; years: number | null } | null;
}

export async function s3BucketLock(c: S3Client, bucket: string): Promise<S3BucketLock> {
  try {
    const r = await c.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    const d = r.ObjectLockConfiguration?.Rule?.DefaultRetention;
    return {
      enabled: r.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled',
      defaultRule: d ? { mode: d.Mode ?? null, days: d.Days ?? null, years: d.Years ?? null } : null,
    };
  } catch (e) {
    if (errName(e) === 'ObjectLockConfigurationNotFoundError') return { enabled: false, defaultRule: null };
    if (errName(e) === 'NoSuchBucket') throw new PublishError(`s3://${bucket}: no such bucket`);
    throw new PublishError(
      `s3://${bucket}: cannot read the bucket's Object Lock configuration (s3:GetBucketObjectLockConfiguration): ${errText(e)}`,
    );
  }
}

function protectionOf(mode: string | undefined, until: Date | undefined, now: Date): Protection {
  if (!mode || !until) return describeProtection({ kind: 'none', mode: null, retain_until: null, locked: false }, now);
  const m = mode === 'COMPLIANCE' ? 'COMPLIANCE' : 'GOVERNANCE';
  return describeProtection(
    { kind: 's3-object-lock', mode: m, retain_until: until.toISOString(), locked: m === 'COMPLIANCE' },
    now,
  );
}

/** Hashes a stream while (optionally) writing it to a file. */
async function drain(body: Readable, dest?: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      h.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  if (dest) await pipeline(body, tap, createWriteStream(dest, { flags: 'wx', mode: 0o600 }));
  else {
    await pipeline(body, tap, async function* (src) {
      for await (const _ of src) {
        /* discard */
      }
    });
  }
  return { sha256: h.digest('hex'), size };
}

/** Reads one version (or the current one) back: its lock from HeadObject, its bytes' sha256 from GetObject. */
export async function s3ReadBack(
  c: S3Client,
  u: StorageUrl,
  now: Date,
  dest?: string,
): Promise<StoredObject & { meta_sha256: string | null }> {
  let got;
  try {
    got = await c.send(
      new GetObjectCommand({ Bucket: u.bucket, Key: u.key, ...(u.version ? { VersionId: u.version } : {}) }),
    );
  } catch (e) {
    const n = errName(e);
    if (n === 'NoSuchKey' || n === 'NoSuchVersion' || n === 'NotFound')
      throw new PublishError(`${formatUrl(u)}: no such object${u.version ? ' version' : ''}`);
    if (n === 'NoSuchBucket') throw new PublishError(`s3://${u.bucket}: no such bucket`);
    throw new PublishError(`${formatUrl(u)}: cannot read the object: ${errText(e)}`);
  }
  const { sha256, size } = await drain(got.Body as Readable, dest);
  const version = got.VersionId && got.VersionId !== 'null' ? got.VersionId : null;
  const stored = { ...u, version };
  return {
    url: formatUrl(stored),
    scheme: 's3',
    bucket: u.bucket,
    key: u.key,
    version,
    size,
    sha256,
    protection: protectionOf(got.ObjectLockMode, got.ObjectLockRetainUntilDate, now),
    meta_sha256: got.Metadata?.sha256 ?? null,
  };
}

export interface S3Put {
  mode: 'COMPLIANCE' | 'GOVERNANCE';
  until: Date;
}

/** Stores a file under u.key as a new object (If-None-Match: *). Returns the version, or 'exists'. */
export async function s3Put(
  c: S3Client,
  u: StorageUrl,
  file: string,
  size: number,
  sha256Hex: string,
  contentType: string,
  lock: S3Put | null,
): Promise<{ version: string | null } | 'exists'> {
  if (size > 5 * 1024 ** 3)
    throw new PublishError(
      `${file} is ${size} bytes: a single S3 PutObject takes at most 5 GiB (multipart upload is not implemented by publish)`,
    );
  try {
    const r = await c.send(
      new PutObjectCommand({
        Bucket: u.bucket,
        Key: u.key,
        Body: createReadStream(file),
        ContentLength: size,
        ContentType: contentType,
        ChecksumSHA256: Buffer.from(sha256Hex, 'hex').toString('base64'),
        IfNoneMatch: '*',
        Metadata: { sha256: sha256Hex },
        ...(lock ? { ObjectLockMode: lock.mode, ObjectLockRetainUntilDate: lock.until } : {}),
      }),
    );
    return { version: r.VersionId && r.VersionId !== 'null' ? r.VersionId : null };
  } catch (e) {
    if (status(e) === 412 || errName(e) === 'PreconditionFailed') return 'exists';
    if (errName(e) === 'NoSuchBucket') throw new PublishError(`s3://${u.bucket}: no such bucket`);
    throw new PublishError(`${formatUrl(u)}: the upload was refused: ${errText(e)}`);
  }
}

/** The versions of a key, newest first, with their lock (for verify: was the current version replaced?). */
export async function s3Versions(
  c: S3Client,
  u: StorageUrl,
): Promise<Array<{ version: string; latest: boolean; deleteMarker: boolean; lastModified: string | null }> | null> {
  try {
    const r = await c.send(new ListObjectVersionsCommand({ Bucket: u.bucket, Prefix: u.key }));
    const out = [
      ...(r.Versions ?? [])
        .filter((v) => v.Key === u.key)
        .map((v) => ({
          version: v.VersionId ?? 'null',
          latest: !!v.IsLatest,
          deleteMarker: false,
          lastModified: v.LastModified?.toISOString() ?? null,
        })),
      ...(r.DeleteMarkers ?? [])
        .filter((v) => v.Key === u.key)
        .map((v) => ({
          version: v.VersionId ?? 'null',
          latest: !!v.IsLatest,
          deleteMarker: true,
          lastModified: v.LastModified?.toISOString() ?? null,
        })),
    ];
    return out.sort((a, b) => (b.lastModified ?? '').localeCompare(a.lastModified ?? ''));
  } catch {
    return null;
  }
}

export async function s3Protection(c: S3Client, u: StorageUrl, now: Date): Promise<Protection> {
  const h = await c.send(
    new HeadObjectCommand({ Bucket: u.bucket, Key: u.key, ...(u.version ? { VersionId: u.version } : {}) }),
  );
  return protectionOf(h.ObjectLockMode, h.ObjectLockRetainUntilDate, now);
}
