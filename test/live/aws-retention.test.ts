// AWS retention through the real @aws-sdk/client-cloudtrail (DescribeTrails, GetTrailStatus) and
// @aws-sdk/client-s3 (GetBucketLifecycleConfiguration, GetObjectLockConfiguration) against the local
// CloudTrail JSON 1.1 server and the local S3 server: event history 90 days; a trail bucket with
// Object Lock COMPLIANCE 400 days and a 2555-day expiration keeps them 2555 days; a bucket with
// neither states nothing (90 days from event history, the trail named as not stating retention).
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  PutBucketLifecycleConfigurationCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ctRecords, startCloudTrail, type CtServer } from '../helpers/servers/cloudtrail.js';
import { startS3, type S3Server } from '../helpers/servers/s3.js';
import { drain } from '../helpers/live-run.js';
import { openCloudTrail } from '../../src/live/cloudtrail-api/index.js';

const since = new Date(Date.now() - 7 * 86400_000);
const until = new Date();
const day = new Date(Date.now() - 2 * 86400_000).toISOString().slice(0, 10);
let ct: CtServer | null = null;
let s3: S3Server | null = null;
beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTONLY';
  process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-not-real';
  delete process.env.AWS_PROFILE;
});
afterEach(async () => {
  await ct?.stop();
  await s3?.stop();
  ct = null;
  s3 = null;
});

const trail = (name: string, bucket: string, extra: Record<string, unknown> = {}) => ({
  trail: {
    Name: name,
    TrailARN: `arn:aws:cloudtrail:us-east-1:123456789012:trail/${name}`,
    S3BucketName: bucket,
    S3KeyPrefix: 'org',
    IsMultiRegionTrail: true,
    HomeRegion: 'us-east-1',
    LogFileValidationEnabled: true,
    ...extra,
  },
  status: { IsLogging: true, LatestDeliveryTime: 1733500000 },
});

describe('AWS CloudTrail retention', () => {
  test('a trail bucket with Object Lock and a lifecycle expiration: kept 2555 days, every fact named', async () => {
    s3 = await startS3();
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'x' },
    });
    s3.createBucket('acme-trail', { objectLock: true });
    await client.send(
      new PutObjectLockConfigurationCommand({
        Bucket: 'acme-trail',
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
        },
      }),
    );
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'acme-trail',
        LifecycleConfiguration: {
          Rules: [
            { ID: 'expire-logs', Status: 'Enabled', Filter: { Prefix: 'org/AWSLogs/' }, Expiration: { Days: 2555 } },
            { ID: 'other-data', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 1 } },
          ],
        },
      }),
    );
    client.destroy();
    s3.createBucket('loose-trail');
    ct = await startCloudTrail({
      pages: [ctRecords(2, 0, day)],
      trails: [
        trail('org-trail', 'acme-trail'),
        {
          ...trail('old', 'loose-trail', { LogFileValidationEnabled: false }),
          status: { IsLogging: false, LatestDeliveryError: 'AccessDenied' },
        },
      ],
    });
    const d = await drain(
      openCloudTrail,
      {
        name: 'ct',
        type: 'cloudtrail',
        regions: ['us-east-1'],
        endpoint: ct.endpoint,
        s3_endpoint: s3.endpoint,
        requests_per_second: 50,
      },
      { since, until },
    );
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    const r = d.result.retention!;
    expect(r.days).toBe(2555);
    expect(r.basis).toMatch(
      /^kept 2555 days by trail org-trail; CloudTrail event history \(LookupEvents\) keeps 90 days/,
    );
    expect(r.basis).toContain(
      'trail org-trail to s3://acme-trail/org/AWSLogs/: lifecycle expires them after 2555 days, Object Lock COMPLIANCE 400 days, log file validation on, logging (2555 days)',
    );
    expect(r.basis).toContain(
      'trail old to s3://loose-trail/org/AWSLogs/: no lifecycle expiration, no Object Lock, log file validation OFF, NOT LOGGING, latest delivery error AccessDenied (retention neither stated nor enforced)',
    );
    const facts = r.facts.trails as Array<{ name: string; lifecycle_rules: Array<{ id: string }> }>;
    expect(facts[0]!.lifecycle_rules.map((x) => x.id)).toEqual(['expire-logs']);
    expect(d.result.warnings.join('\n')).toMatch(/trail old is not logging/);
    expect(d.result.warnings.join('\n')).toMatch(/trail old has log file validation off/);
    const calls = ct.otherRequests.map((x) => x.target.split('.')[1]);
    expect(calls).toEqual(expect.arrayContaining(['DescribeTrails', 'GetTrailStatus']));
    expect(s3.requests.some((x) => 'lifecycle' in x.query)).toBe(true);
    expect(s3.requests.some((x) => 'object-lock' in x.query)).toBe(true);
  });

  test('no trail: event history only, 90 days; DescribeTrails refused: 90 days with the error named', async () => {
    ct = await startCloudTrail({ pages: [ctRecords(1, 0, day)], trails: [] });
    const d = await drain(
      openCloudTrail,
      { name: 'ct', type: 'cloudtrail', regions: ['us-east-1'], endpoint: ct.endpoint, requests_per_second: 50 },
      { since, until },
    );
    expect(d.result.retention).toMatchObject({ days: 90 });
    expect(d.result.retention!.basis).toContain('no trail: nothing keeps the events beyond event history');
    await ct.stop();
    ct = await startCloudTrail({ pages: [ctRecords(1, 0, day)] });
    const e = await drain(
      openCloudTrail,
      { name: 'ct', type: 'cloudtrail', regions: ['us-east-1'], endpoint: ct.endpoint, requests_per_second: 50 },
      { since, until },
    );
    expect(e.result.status).toBe('complete');
    expect(e.result.retention!.days).toBe(90);
    expect(e.result.retention!.basis).toMatch(/trails not read \(DescribeTrails: UnknownOperationException/);
  });
});
