// Google Cloud Storage as write-once storage for bundles: the bucket's retention policy is read
// (retentionPeriod, isLocked) and, when asked, locked (lockRetentionPolicy with the bucket's
// metageneration: irreversible); each bundle is uploaded with ifGenerationMatch=0 (never replaces
// an object), then read back (metadata: generation, retentionExpirationTime; bytes: sha256).
import { createWriteStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { Storage } from '@google-cloud/storage';
import { describeProtection, PublishError, type Protection, type StoreOptions, type StoredObject } from './types.js';
import { formatUrl, type StorageUrl } from './target.js';

const code = (e: unknown) => (e as { code?: number | string }).code;
const errText = (e: unknown) => `${code(e) ? `HTTP ${code(e)}: ` : ''}${(e as Error).message}`;

export function gcsClient(o: StoreOptions): Storage {
  return new Storage({
    ...(o.endpoint ? { apiEndpoint: o.endpoint } : {}),
    ...(o.project ? { projectId: o.project } : {}),
    retryOptions: { autoRetry: true, maxRetries: 3 },
  });
}

export interface GcsBucketPolicy {
  retentionSeconds: number | null;
  locked: boolean;
  effectiveTime: string | null;
  metageneration: string | null;
}

export async function gcsBucketPolicy(s: Storage, bucket: string): Promise<GcsBucketPolicy> {
  let meta;
  try {
    [meta] = await s.bucket(bucket).getMetadata();
  } catch (e) {
    if (code(e) === 404) throw new PublishError(`gs://${bucket}: no such bucket`);
    throw new PublishError(
      `gs://${bucket}: cannot read the bucket's retention policy (storage.buckets.get): ${errText(e)}`,
    );
  }
  const rp = meta.retentionPolicy as
    | { retentionPeriod?: string | number; isLocked?: boolean; effectiveTime?: string }
    | undefined;
  return {
    retentionSeconds:
      rp?.retentionPeriod !== undefined && rp.retentionPeriod !== null ? Number(rp.retentionPeriod) : null,
    locked: rp?.isLocked === true,
    effectiveTime: rp?.effectiveTime ?? null,
    metageneration: meta.metageneration !== undefined ? String(meta.metageneration) : null,
  };
}

/** Locks the bucket's retention policy (irreversible: it can then never be removed or shortened). */
export async function gcsLockPolicy(s: Storage, bucket: string, metageneration: string): Promise<void> {
  try {
    await s.bucket(bucket).lock(metageneration);
  } catch (e) {
    throw new PublishError(`gs://${bucket}: locking the retention policy failed: ${errText(e)}`);
  }
}

function protectionOf(policy: GcsBucketPolicy | null, expiration: string | undefined, now: Date): Protection {
  if (!expiration && !policy?.retentionSeconds)
    return describeProtection({ kind: 'none', mode: null, retain_until: null, locked: false }, now);
  return describeProtection(
    {
      kind: 'gcs-retention-policy',
      mode: null,
      retain_until: expiration ? new Date(expiration).toISOString() : null,
      locked: policy?.locked ?? false,
      bucket_retention_days:
        policy?.retentionSeconds != null ? Math.round((policy.retentionSeconds / 86400) * 100) / 100 : null,
    },
    now,
  );
}

export async function gcsReadBack(
  s: Storage,
  u: StorageUrl,
  now: Date,
  dest?: string,
): Promise<StoredObject & { meta_sha256: string | null }> {
  const file = s.bucket(u.bucket).file(u.key, u.version ? { generation: Number(u.version) } : {});
  let meta;
  try {
    [meta] = await file.getMetadata();
  } catch (e) {
    if (code(e) === 404) throw new PublishError(`${formatUrl(u)}: no such object (or bucket)`);
    throw new PublishError(`${formatUrl(u)}: cannot read the object: ${errText(e)}`);
  }
  const h = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      h.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const version = meta.generation !== undefined ? String(meta.generation) : null;
  // Read exactly the generation whose metadata was read, so bytes and retention belong together.
  const src = s
    .bucket(u.bucket)
    .file(u.key, version ? { generation: Number(version) } : {})
    .createReadStream({ validation: 'crc32c' });
  try {
    if (dest) await pipeline(src, tap, createWriteStream(dest, { flags: 'wx', mode: 0o600 }));
    else
      await pipeline(src, tap, async function* (x) {
        for await (const _ of x) {
          /* discard */
        }
      });
  } catch (e) {
    throw new PublishError(`${formatUrl(u)}: reading the object failed: ${errText(e)}`);
  }
  let policy: GcsBucketPolicy | null = null;
  try {
    policy = await gcsBucketPolicy(s, u.bucket);
  } catch {
    policy = null;
  }
  const stored = { ...u, version };
  return {
    url: formatUrl(stored),
    scheme: 'gs',
    bucket: u.bucket,
    key: u.key,
    version,
    size,
    sha256: h.digest('hex'),
    protection: protectionOf(policy, meta.retentionExpirationTime as string | undefined, now),
    meta_sha256: (meta.metadata as Record<string, string> | undefined)?.sha256 ?? null,
  };
}

/** Uploads a file as a new object (ifGenerationMatch=0). Returns its generation, or 'exists'. */
export async function gcsPut(
  s: Storage,
  u: StorageUrl,
  file: string,
  size: number,
  sha256Hex: string,
  contentType: string,
): Promise<{ version: string | null } | 'exists'> {
  try {
    const [f] = await s.bucket(u.bucket).upload(file, {
      destination: u.key,
      resumable: size > 8 * 1024 * 1024,
      validation: 'crc32c',
      preconditionOpts: { ifGenerationMatch: 0 },
      metadata: { contentType, metadata: { sha256: sha256Hex } },
    });
    const g = f.metadata.generation;
    return { version: g !== undefined ? String(g) : null };
  } catch (e) {
    if (code(e) === 412) return 'exists';
    if (code(e) === 403 && /retention/i.test((e as Error).message)) return 'exists';
    throw new PublishError(`${formatUrl(u)}: the upload was refused: ${errText(e)}`);
  }
}
