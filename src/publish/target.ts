// Where a bundle is kept: s3://bucket/prefix or gs://bucket/prefix. For publish the URL names a
// prefix (a "folder") the bundle's file name is added to, unless it ends in .zip; for verify it names
// the object itself, optionally one version of it (s3://b/k?versionId=V, gs://b/o#GENERATION or
// ?generation=G, the forms the AWS and gcloud tools print).
import { basename } from 'node:path';

export type Scheme = 's3' | 'gs';

export interface StorageUrl {
  scheme: Scheme;
  bucket: string;
  key: string;
  /** An S3 versionId or a GCS generation; null for the current one. */
  version: string | null;
}

export class StorageUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StorageUrlError';
  }
}

export const isStorageUrl = (s: string): boolean => /^(s3|gs):\/\//i.test(s);

export function parseStorageUrl(url: string): StorageUrl {
  const m = /^(s3|gs):\/\/([^/?#]+)\/?([^?#]*)(?:\?([^#]*))?(?:#(\d+))?$/i.exec(url.trim());
  if (!m) throw new StorageUrlError(`'${url}' is not a storage URL: give s3://BUCKET/PREFIX or gs://BUCKET/PREFIX`);
  const scheme = m[1].toLowerCase() as Scheme;
  const bucket = m[2];
  if (
    scheme === 's3'
      ? !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)
      : !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucket)
  ) {
    throw new StorageUrlError(
      `'${bucket}' is not a valid ${scheme === 's3' ? 'S3' : 'Cloud Storage'} bucket name (in ${url})`,
    );
  }
  let key: string;
  try {
    key = decodeURIComponent(m[3]);
  } catch {
    throw new StorageUrlError(`'${url}': the object name is not valid URL encoding`);
  }
  const q = new URLSearchParams(m[4] ?? '');
  const version = m[5] ?? q.get(scheme === 's3' ? 'versionId' : 'generation');
  return { scheme, bucket, key, version: version || null };
}

/** The object a bundle file is published as: the prefix plus the file's name (a prefix ending in .zip is the name). */
export function objectFor(target: StorageUrl, file: string): StorageUrl {
  if (/\.zip$/i.test(target.key) && /\.zip$/i.test(file)) return { ...target, version: null };
  const prefix = target.key === '' || target.key.endsWith('/') ? target.key : `${target.key}/`;
  return { ...target, key: `${prefix}${basename(file)}`, version: null };
}

/** Sibling object (the public key next to the bundle). */
export function siblingOf(bundle: StorageUrl, file: string): StorageUrl {
  const i = bundle.key.lastIndexOf('/');
  return { ...bundle, key: `${i >= 0 ? bundle.key.slice(0, i + 1) : ''}${basename(file)}`, version: null };
}

export function formatUrl(u: StorageUrl, withVersion = true): string {
  const base = `${u.scheme}://${u.bucket}/${u.key}`;
  if (!withVersion || !u.version) return base;
  return u.scheme === 's3' ? `${base}?versionId=${encodeURIComponent(u.version)}` : `${base}#${u.version}`;
}
