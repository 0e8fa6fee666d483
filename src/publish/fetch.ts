// `verify s3://…|gs://…`: downloads the stored bundle into a private temporary file (verify then
// reads it like any local bundle) and reports how the store protects that object: its S3 Object
// Lock or the GCS bucket's retention policy, and, for S3, whether the key has other versions (a
// write to an Object Lock bucket's key adds a version instead of replacing the locked one, so the
// current version may not be the one that was published).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStorageUrl, formatUrl, StorageUrlError } from './target.js';
import { PublishError, type StoreOptions, type StoredObject } from './types.js';
import { s3Client, s3ReadBack, s3Versions } from './s3.js';
import { gcsClient, gcsReadBack } from './gcs.js';

export interface FetchedBundle {
  /** The downloaded file; remove() deletes it and its directory. */
  path: string;
  object: StoredObject;
  /** S3: the key's versions, newest first (null when they could not be listed). */
  versions: Array<{ version: string; latest: boolean; deleteMarker: boolean; lastModified: string | null }> | null;
  /** Sentences about the storage an auditor should read (e.g. the current version is not the locked one). */
  notes: string[];
  remove(): void;
}

export async function fetchBundle(url: string, o: StoreOptions & { now?: Date } = {}): Promise<FetchedBundle> {
  let u;
  try {
    u = parseStorageUrl(url);
  } catch (e) {
    if (e instanceof StorageUrlError) throw new PublishError(e.message);
    throw e;
  }
  if (!u.key)
    throw new PublishError(
      `${url} names a bucket, not a bundle: give the object, e.g. ${u.scheme}://${u.bucket}/evidence/evidence-2024-05-01_2024-05-08.zip`,
    );
  const now = o.now ?? new Date();
  const dir = mkdtempSync(join(tmpdir(), 'audit-evidence-fetch-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const path = join(dir, u.key.split('/').pop() || 'bundle.zip');
  try {
    const notes: string[] = [];
    let versions: FetchedBundle['versions'] = null;
    let object: StoredObject;
    if (u.scheme === 's3') {
      const c = s3Client(o);
      const { meta_sha256: _m, ...read } = await s3ReadBack(c, u, now, path);
      object = read;
      versions = await s3Versions(c, u);
      if (versions && versions.length > 1) {
        const others = versions.filter((v) => v.version !== object.version);
        notes.push(
          `the key has ${versions.length} versions (${others.filter((v) => v.deleteMarker).length} delete markers); this one is ${object.version === versions[0]?.version ? 'the current one' : 'NOT the current one'}`,
        );
        if (!u.version && !object.protection.active)
          notes.push(
            `the current version is not under Object Lock: it may have replaced the published one; verify the published version (${formatUrl({ ...u, version: 'VERSION' })}, the URL publish printed)`,
          );
      }
    } else {
      const s = gcsClient(o);
      const { meta_sha256: _m, ...read } = await gcsReadBack(s, u, now, path);
      object = read;
    }
    return { path, object, versions, notes, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
