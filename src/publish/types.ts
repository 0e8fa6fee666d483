// What publish and verify say about a stored bundle: where it is, what it holds (size, sha256 of
// what was read back), and what keeps it from being deleted or replaced, and until when.

export interface Protection {
  /** What protects the object: S3 Object Lock on the version, a GCS bucket retention policy, or nothing. */
  kind: 's3-object-lock' | 'gcs-retention-policy' | 'none';
  /** S3 Object Lock mode (COMPLIANCE: nobody, root included, can shorten or remove it; GOVERNANCE: bypassable). */
  mode: 'COMPLIANCE' | 'GOVERNANCE' | null;
  /** Until when the object cannot be deleted or replaced (RFC 3339), or null. */
  retain_until: string | null;
  /** True when the protection itself cannot be removed or shortened (S3 COMPLIANCE; GCS locked policy). */
  locked: boolean;
  /** True when retain_until is in the future (as of checked_at). */
  active: boolean;
  /** GCS: the bucket's retention period in days. */
  bucket_retention_days?: number | null;
  /** One sentence for a reader. */
  summary: string;
  checked_at: string;
}

export interface StoredObject {
  /** s3://bucket/key?versionId=V or gs://bucket/object#GENERATION: the exact stored version. */
  url: string;
  scheme: 's3' | 'gs';
  bucket: string;
  key: string;
  /** S3 versionId or GCS generation (null for an unversioned S3 bucket). */
  version: string | null;
  size: number;
  /** sha256 of the bytes read back from the store (hex). */
  sha256: string;
  protection: Protection;
}

export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

export interface StoreOptions {
  /** S3-compatible or GCS JSON API endpoint (tests, private endpoints); path-style S3 addressing with it. */
  endpoint?: string;
  /** AWS region (default AWS_REGION, else us-east-1; S3 redirects to the bucket's region are followed). */
  region?: string;
  /** AWS shared-config profile. */
  profile?: string;
  /** GCP project (only for messages; bucket operations need none). */
  project?: string;
}

const DAY = 86_400_000;

export function describeProtection(p: Omit<Protection, 'summary' | 'active' | 'checked_at'>, now: Date): Protection {
  const until = p.retain_until ? new Date(p.retain_until) : null;
  const active = !!until && until.getTime() > now.getTime();
  const days = until ? Math.floor((until.getTime() - now.getTime()) / DAY) : 0;
  let summary: string;
  if (p.kind === 'none')
    summary =
      'NOT protected: no Object Lock or retention policy applies, so the object can be deleted or replaced at any time';
  else if (!active)
    summary = p.retain_until
      ? `retention ended at ${p.retain_until}: the object can now be deleted or replaced`
      : 'no retention date: the object can be deleted or replaced';
  else if (p.kind === 's3-object-lock') {
    summary =
      p.mode === 'COMPLIANCE'
        ? `S3 Object Lock COMPLIANCE until ${p.retain_until} (${days} more days): no one, the root user included, can delete or overwrite this version or shorten its retention before then`
        : `S3 Object Lock GOVERNANCE until ${p.retain_until} (${days} more days): users granted s3:BypassGovernanceRetention can still delete this version`;
  } else {
    summary = p.locked
      ? `GCS bucket retention policy (${p.bucket_retention_days} days), LOCKED: the object cannot be deleted or replaced before ${p.retain_until} (${days} more days), and the policy cannot be removed or shortened`
      : `GCS bucket retention policy (${p.bucket_retention_days} days), NOT locked: the object cannot be deleted before ${p.retain_until}, but a bucket owner can remove the policy first`;
  }
  return { ...p, active, summary, checked_at: now.toISOString() };
}
