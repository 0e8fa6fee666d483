// How long AWS keeps the CloudTrail records a cloudtrail source reads, and where the long-term copy
// is: CloudTrail event history (LookupEvents) keeps 90 days; a trail delivers copies to its S3
// bucket, kept as its lifecycle rules say (Expiration days on the trail's prefix) and protected by
// Object Lock (mode and default retention) when the bucket has it. Read with the real clients:
// CloudTrail DescribeTrails + GetTrailStatus (IsLogging, latest delivery error, log file
// validation) and S3 GetBucketLifecycleConfiguration + GetObjectLockConfiguration.
// A trail's copies count when their retention is stated (expiration) or enforced (Object Lock);
// a bucket with neither keeps them until someone deletes them, which nothing states: unknown.
import { type CloudTrailClient, DescribeTrailsCommand, GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import {
  GetBucketLifecycleConfigurationCommand,
  GetObjectLockConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { retention, type Retention } from './types.js';

export const EVENT_HISTORY_DAYS = 90;

export interface TrailFacts {
  name: string;
  arn: string | null;
  bucket: string | null;
  prefix: string | null;
  multi_region: boolean;
  log_file_validation: boolean;
  is_logging: boolean | null;
  latest_delivery_error: string | null;
  latest_delivery_time: string | null;
  lifecycle_expiration_days: number | null;
  lifecycle_rules: Array<{
    id: string | null;
    prefix: string;
    expiration_days: number | null;
    noncurrent_days: number | null;
  }>;
  object_lock: { mode: string | null; days: number | null } | null;
  days: number | null;
  errors: string[];
}

const errName = (e: unknown) => (e as { name?: string }).name ?? 'Error';
const errText = (e: unknown) => `${errName(e)}: ${(e as Error).message}`;

/** Reads every trail visible in `region` (shadow trails of multi-region trails included once). */
export async function readTrails(
  ct: CloudTrailClient,
  s3For: (region: string | null) => S3Client,
): Promise<{ trails: TrailFacts[]; error: string | null }> {
  let list;
  try {
    list = (await ct.send(new DescribeTrailsCommand({ includeShadowTrails: true }))).trailList ?? [];
  } catch (e) {
    return { trails: [], error: `DescribeTrails: ${errText(e)}` };
  }
  const seen = new Set<string>();
  const trails: TrailFacts[] = [];
  for (const t of list) {
    const key = t.TrailARN ?? t.Name ?? '';
    if (seen.has(key)) continue;
    seen.add(key);
    const f: TrailFacts = {
      name: t.Name ?? '?',
      arn: t.TrailARN ?? null,
      bucket: t.S3BucketName ?? null,
      prefix: t.S3KeyPrefix ?? null,
      multi_region: t.IsMultiRegionTrail === true,
      log_file_validation: t.LogFileValidationEnabled === true,
      is_logging: null,
      latest_delivery_error: null,
      latest_delivery_time: null,
      lifecycle_expiration_days: null,
      lifecycle_rules: [],
      object_lock: null,
      days: null,
      errors: [],
    };
    try {
      const st = await ct.send(new GetTrailStatusCommand({ Name: t.TrailARN ?? t.Name }));
      f.is_logging = st.IsLogging ?? null;
      f.latest_delivery_error = st.LatestDeliveryError || null;
      f.latest_delivery_time = st.LatestDeliveryTime ? st.LatestDeliveryTime.toISOString() : null;
    } catch (e) {
      f.errors.push(`GetTrailStatus: ${errText(e)}`);
    }
    if (f.bucket) await readBucket(s3For(t.HomeRegion ?? null), f, f.bucket);
    const lock = f.object_lock?.days ?? null;
    const exp = f.lifecycle_expiration_days;
    f.days = exp !== null ? Math.max(exp, lock ?? 0) : lock;
    trails.push(f);
  }
  return { trails, error: null };
}

/** The trail bucket's lifecycle rules that cover its log files, and its Object Lock default retention. */
async function readBucket(s3: S3Client, f: TrailFacts, bucket: string): Promise<void> {
  const logs = `${f.prefix ? `${f.prefix.replace(/\/+$/, '')}/` : ''}AWSLogs/`;
  try {
    const lc = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    for (const r of lc.Rules ?? []) {
      if (r.Status !== 'Enabled') continue;
      const prefix = r.Filter?.Prefix ?? r.Filter?.And?.Prefix ?? r.Prefix ?? '';
      // A rule applies when its prefix covers the trail's log files (or a part of them).
      if (!(logs.startsWith(prefix) || prefix.startsWith(logs))) continue;
      const exp = r.Expiration?.Days ?? null;
      f.lifecycle_rules.push({
        id: r.ID ?? null,
        prefix,
        expiration_days: exp,
        noncurrent_days: r.NoncurrentVersionExpiration?.NoncurrentDays ?? null,
      });
      if (exp !== null) f.lifecycle_expiration_days = Math.min(f.lifecycle_expiration_days ?? exp, exp);
    }
  } catch (e) {
    if (errName(e) !== 'NoSuchLifecycleConfiguration')
      f.errors.push(`GetBucketLifecycleConfiguration on ${bucket}: ${errText(e)}`);
  }
  try {
    const ol = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    const d = ol.ObjectLockConfiguration?.Rule?.DefaultRetention;
    if (ol.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled') {
      f.object_lock = { mode: d?.Mode ?? null, days: d?.Days ?? (d?.Years ? d.Years * 365 : null) };
    }
  } catch (e) {
    if (errName(e) !== 'ObjectLockConfigurationNotFoundError')
      f.errors.push(`GetObjectLockConfiguration on ${bucket}: ${errText(e)}`);
  }
}

function describeTrail(t: TrailFacts): string {
  const where = t.bucket ? `s3://${t.bucket}/${t.prefix ? `${t.prefix}/` : ''}AWSLogs/` : 'no S3 bucket';
  const parts = [
    t.lifecycle_expiration_days !== null
      ? `lifecycle expires them after ${t.lifecycle_expiration_days} days`
      : 'no lifecycle expiration',
    t.object_lock
      ? `Object Lock ${t.object_lock.mode ?? 'without default mode'}${t.object_lock.days !== null ? ` ${t.object_lock.days} days` : ''}`
      : 'no Object Lock',
    `log file validation ${t.log_file_validation ? 'on' : 'OFF'}`,
    t.is_logging === null ? 'logging state unknown' : t.is_logging ? 'logging' : 'NOT LOGGING',
  ];
  if (t.latest_delivery_error) parts.push(`latest delivery error ${t.latest_delivery_error}`);
  if (t.errors.length) parts.push(`not read: ${t.errors.join('; ')}`);
  return `trail ${t.name} to ${where}: ${parts.join(', ')}${t.days === null ? ' (retention neither stated nor enforced)' : ` (${t.days} days)`}`;
}

export function awsRetention(
  read: { trails: TrailFacts[]; error: string | null },
  readFrom: string,
  now = new Date(),
): Retention {
  const facts: Record<string, unknown> = {
    event_history_days: EVENT_HISTORY_DAYS,
    trails: read.trails,
    error: read.error,
  };
  const stored = read.trails.filter((t) => t.days !== null);
  const best = stored.reduce<TrailFacts | null>((a, t) => (a === null || t.days! > a.days! ? t : a), null);
  const days = Math.max(EVENT_HISTORY_DAYS, best?.days ?? 0);
  const trailText = read.error
    ? `trails not read (${read.error})`
    : read.trails.length
      ? read.trails.map(describeTrail).join('; ')
      : 'no trail: nothing keeps the events beyond event history';
  const basis =
    best && best.days! > EVENT_HISTORY_DAYS
      ? `kept ${best.days} days by trail ${best.name}; CloudTrail event history (LookupEvents) keeps ${EVENT_HISTORY_DAYS} days; ${trailText}`
      : `CloudTrail event history (LookupEvents) keeps ${EVENT_HISTORY_DAYS} days; ${trailText}`;
  return retention(days, basis, readFrom, facts, { now });
}
