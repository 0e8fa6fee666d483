// The local S3 test server (test/helpers/servers/s3.ts) driven by the real @aws-sdk/client-s3:
// what other tests rely on (paging, ranges, user metadata, Object Lock enforcement, lifecycle,
// throttling, error bodies) is pinned here so a change to the server cannot silently weaken them.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectLockConfigurationCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  PutObjectRetentionCommand,
  PutBucketLifecycleConfigurationCommand,
  GetBucketLifecycleConfigurationCommand,
  ListObjectVersionsCommand,
  type S3ServiceException,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { startS3, type S3Server } from '../helpers/servers/s3.js';

let s3: S3Server;
let client: S3Client;
beforeAll(async () => {
  s3 = await startS3();
  client = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'test-secret-not-real' },
    retryStrategy: undefined,
    maxAttempts: 4,
  });
});
afterAll(async () => {
  client.destroy();
  await s3.stop();
});

async function err(p: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await p;
  } catch (e) {
    return e as S3ServiceException;
  }
  throw new Error('expected the request to fail');
}

describe('local S3 server through @aws-sdk/client-s3', () => {
  test('put, head with user metadata and ETag, get, ranges, delete', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'plain' }));
    const body = 'hello, audit evidence';
    const put = await client.send(
      new PutObjectCommand({
        Bucket: 'plain',
        Key: 'a/b c.txt',
        Body: body,
        Metadata: { signature: 'abc123', 'signature-algorithm': 'SHA256withRSA' },
        ContentType: 'text/plain',
      }),
    );
    const md5 = `"${createHash('md5').update(body).digest('hex')}"`;
    expect(put.ETag).toBe(md5);
    const head = await client.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'a/b c.txt' }));
    expect(head.Metadata).toEqual({ signature: 'abc123', 'signature-algorithm': 'SHA256withRSA' });
    expect(head.ETag).toBe(md5);
    expect(head.ContentLength).toBe(body.length);
    const get = await client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'a/b c.txt' }));
    expect(await get.Body!.transformToString()).toBe(body);
    const r1 = await client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'a/b c.txt', Range: 'bytes=7-11' }));
    expect(await r1.Body!.transformToString()).toBe('audit');
    expect(r1.ContentRange).toBe(`bytes 7-11/${body.length}`);
    const r2 = await client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'a/b c.txt', Range: 'bytes=-8' }));
    expect(await r2.Body!.transformToString()).toBe('evidence');
    const e416 = await err(
      client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'a/b c.txt', Range: 'bytes=999-' })),
    );
    expect(e416.name).toBe('InvalidRange');
    await client.send(new DeleteObjectCommand({ Bucket: 'plain', Key: 'a/b c.txt' }));
    const gone = await err(client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'a/b c.txt' })));
    expect(gone.name).toBe('NoSuchKey');
    expect(gone.$metadata.httpStatusCode).toBe(404);
    const headGone = await err(client.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'a/b c.txt' })));
    expect(headGone.$metadata.httpStatusCode).toBe(404);
    const noBucket = await err(client.send(new ListObjectsV2Command({ Bucket: 'nope' })));
    expect(noBucket.name).toBe('NoSuchBucket');
    expect(noBucket.message).toBe('The specified bucket does not exist');
  });

  test('ListObjectsV2: prefix, delimiter, max-keys and continuation-token paging', async () => {
    for (const d of ['01', '02', '03'])
      for (let i = 0; i < 3; i++)
        s3.putObject('list', `AWSLogs/o-1/111122223333/CloudTrail/us-east-1/2024/05/${d}/f${i}.json.gz`, `x${d}${i}`);
    s3.putObject('list', 'AWSLogs/o-1/111122223333/CloudTrail/eu-west-1/2024/05/01/g.json.gz', 'y');
    s3.putObject('list', 'other/z', 'z');
    const days = await client.send(
      new ListObjectsV2Command({
        Bucket: 'list',
        Prefix: 'AWSLogs/o-1/111122223333/CloudTrail/us-east-1/2024/05/',
        Delimiter: '/',
      }),
    );
    expect(days.CommonPrefixes?.map((p) => p.Prefix)).toEqual(
      ['01/', '02/', '03/'].map((d) => `AWSLogs/o-1/111122223333/CloudTrail/us-east-1/2024/05/${d}`),
    );
    expect(days.Contents).toBeUndefined();
    const regions = await client.send(
      new ListObjectsV2Command({
        Bucket: 'list',
        Prefix: 'AWSLogs/o-1/111122223333/CloudTrail/',
        Delimiter: '/',
        MaxKeys: 1,
      }),
    );
    expect(regions.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['AWSLogs/o-1/111122223333/CloudTrail/eu-west-1/']);
    expect(regions.IsTruncated).toBe(true);
    const regions2 = await client.send(
      new ListObjectsV2Command({
        Bucket: 'list',
        Prefix: 'AWSLogs/o-1/111122223333/CloudTrail/',
        Delimiter: '/',
        MaxKeys: 1,
        ContinuationToken: regions.NextContinuationToken,
      }),
    );
    expect(regions2.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['AWSLogs/o-1/111122223333/CloudTrail/us-east-1/']);
    expect(regions2.IsTruncated).toBe(false);
    const keys: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2({ client, pageSize: 4 }, { Bucket: 'list', Prefix: 'AWSLogs/' })) {
      pages++;
      expect(page.KeyCount).toBeLessThanOrEqual(4);
      for (const c of page.Contents ?? []) {
        keys.push(c.Key!);
        expect(c.Size).toBeGreaterThan(0);
        expect(c.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      }
    }
    expect(pages).toBe(3);
    expect(keys).toHaveLength(10);
    expect([...keys].sort()).toEqual(keys);
    const after = await client.send(
      new ListObjectsV2Command({
        Bucket: 'list',
        StartAfter: 'AWSLogs/o-1/111122223333/CloudTrail/us-east-1/2024/05/03/f1.json.gz',
      }),
    );
    expect(after.Contents?.map((c) => c.Key)).toEqual([
      'AWSLogs/o-1/111122223333/CloudTrail/us-east-1/2024/05/03/f2.json.gz',
      'other/z',
    ]);
  });

  test('Object Lock: configuration, per-object retention, deleting a locked version refused with AccessDenied', async () => {
    await client.send(new CreateBucketCommand({ Bucket: 'worm', ObjectLockEnabledForBucket: true }));
    const none = await err(client.send(new GetObjectLockConfigurationCommand({ Bucket: 'plain' })));
    expect(none.name).toBe('ObjectLockConfigurationNotFoundError');
    await client.send(
      new PutObjectLockConfigurationCommand({
        Bucket: 'worm',
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
        },
      }),
    );
    const cfg = await client.send(new GetObjectLockConfigurationCommand({ Bucket: 'worm' }));
    expect(cfg.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
    });

    const until = new Date(Date.now() + 3600_000);
    const put = await client.send(
      new PutObjectCommand({
        Bucket: 'worm',
        Key: 'bundle.zip',
        Body: 'v1',
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: until,
      }),
    );
    expect(put.VersionId).toBeTruthy();
    const ret = await client.send(new GetObjectRetentionCommand({ Bucket: 'worm', Key: 'bundle.zip' }));
    expect(ret.Retention?.Mode).toBe('COMPLIANCE');
    expect(ret.Retention?.RetainUntilDate?.toISOString()).toBe(until.toISOString());
    const head = await client.send(new HeadObjectCommand({ Bucket: 'worm', Key: 'bundle.zip' }));
    expect(head.ObjectLockMode).toBe('COMPLIANCE');

    // Deleting the locked version: refused, as S3 refuses it.
    const denied = await err(
      client.send(new DeleteObjectCommand({ Bucket: 'worm', Key: 'bundle.zip', VersionId: put.VersionId })),
    );
    expect(denied.name).toBe('AccessDenied');
    expect(denied.$metadata.httpStatusCode).toBe(403);
    // Even with the governance bypass: COMPLIANCE cannot be bypassed.
    const denied2 = await err(
      client.send(
        new DeleteObjectCommand({
          Bucket: 'worm',
          Key: 'bundle.zip',
          VersionId: put.VersionId,
          BypassGovernanceRetention: true,
        }),
      ),
    );
    expect(denied2.name).toBe('AccessDenied');
    // Shortening COMPLIANCE retention: refused.
    const shorter = await err(
      client.send(
        new PutObjectRetentionCommand({
          Bucket: 'worm',
          Key: 'bundle.zip',
          Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.now() + 60_000) },
        }),
      ),
    );
    expect(shorter.name).toBe('AccessDenied');

    // Overwrite and delete of the KEY: a new version and a delete marker, the locked version stays.
    await client.send(new PutObjectCommand({ Bucket: 'worm', Key: 'bundle.zip', Body: 'v2' }));
    const marker = await client.send(new DeleteObjectCommand({ Bucket: 'worm', Key: 'bundle.zip' }));
    expect(marker.DeleteMarker).toBe(true);
    expect((await err(client.send(new GetObjectCommand({ Bucket: 'worm', Key: 'bundle.zip' })))).name).toBe(
      'NoSuchKey',
    );
    const v1 = await client.send(new GetObjectCommand({ Bucket: 'worm', Key: 'bundle.zip', VersionId: put.VersionId }));
    expect(await v1.Body!.transformToString()).toBe('v1');
    const versions = await client.send(new ListObjectVersionsCommand({ Bucket: 'worm', Prefix: 'bundle.zip' }));
    expect(versions.Versions?.length).toBe(2);
    expect(versions.DeleteMarkers?.length).toBe(1);

    // If-None-Match: * refuses an overwrite of an existing key (S3 conditional writes).
    await client.send(new PutObjectCommand({ Bucket: 'worm', Key: 'once.zip', Body: 'a' }));
    const pre = await err(
      client.send(new PutObjectCommand({ Bucket: 'worm', Key: 'once.zip', Body: 'b', IfNoneMatch: '*' })),
    );
    expect(pre.$metadata.httpStatusCode).toBe(412);
    expect(pre.name).toBe('PreconditionFailed');

    // The bucket default (GOVERNANCE, 1 day) applied to 'once.zip': delete of its version refused
    // without the bypass header, allowed with it.
    const onceV = s3.getObject('worm', 'once.zip')!;
    expect(onceV.retention?.mode).toBe('GOVERNANCE');
    expect(
      (await err(client.send(new DeleteObjectCommand({ Bucket: 'worm', Key: 'once.zip', VersionId: onceV.versionId }))))
        .name,
    ).toBe('AccessDenied');
    await client.send(
      new DeleteObjectCommand({
        Bucket: 'worm',
        Key: 'once.zip',
        VersionId: onceV.versionId,
        BypassGovernanceRetention: true,
      }),
    );

    // Lock headers on a bucket without Object Lock, and a past retain-until date: refused.
    expect(
      (
        await err(
          client.send(
            new PutObjectCommand({
              Bucket: 'plain',
              Key: 'x',
              Body: 'x',
              ObjectLockMode: 'COMPLIANCE',
              ObjectLockRetainUntilDate: until,
            }),
          ),
        )
      ).name,
    ).toBe('InvalidRequest');
    expect(
      (
        await err(
          client.send(
            new PutObjectCommand({
              Bucket: 'worm',
              Key: 'x',
              Body: 'x',
              ObjectLockMode: 'COMPLIANCE',
              ObjectLockRetainUntilDate: new Date(Date.now() - 1000),
            }),
          ),
        )
      ).name,
    ).toBe('InvalidArgument');
  });

  test('an expired retention no longer protects the version', async () => {
    let t = Date.parse('2030-01-01T00:00:00Z');
    const clocked = await startS3({ now: () => new Date(t) });
    const c = new S3Client({
      endpoint: clocked.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTESTONLY', secretAccessKey: 'x' },
    });
    try {
      await c.send(new CreateBucketCommand({ Bucket: 'w', ObjectLockEnabledForBucket: true }));
      const put = await c.send(
        new PutObjectCommand({
          Bucket: 'w',
          Key: 'k',
          Body: 'v',
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: new Date(t + 1000),
        }),
      );
      expect(
        (await err(c.send(new DeleteObjectCommand({ Bucket: 'w', Key: 'k', VersionId: put.VersionId })))).name,
      ).toBe('AccessDenied');
      t += 2000;
      await c.send(new DeleteObjectCommand({ Bucket: 'w', Key: 'k', VersionId: put.VersionId }));
      expect(clocked.buckets.get('w')!.keys.size).toBe(0);
    } finally {
      c.destroy();
      await clocked.stop();
    }
  });

  test('lifecycle configuration stored and returned', async () => {
    const none = await err(client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'plain' })));
    expect(none.name).toBe('NoSuchLifecycleConfiguration');
    await client.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'plain',
        LifecycleConfiguration: {
          Rules: [{ ID: 'expire-logs', Status: 'Enabled', Filter: { Prefix: 'AWSLogs/' }, Expiration: { Days: 400 } }],
        },
      }),
    );
    const got = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'plain' }));
    expect(got.Rules?.[0]).toMatchObject({ ID: 'expire-logs', Status: 'Enabled', Expiration: { Days: 400 } });
    expect(s3.buckets.get('plain')!.lifecycle).toMatch(/<Days>400<\/Days>/);
  });

  test('503 SlowDown for N requests: the SDK retries through them; more than it retries fails', async () => {
    s3.putObject('plain', 'slow', 'ok');
    s3.slowDown(2);
    const got = await client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'slow' }));
    expect(await got.Body!.transformToString()).toBe('ok');
    expect(got.$metadata.attempts).toBe(3);
    s3.slowDown(10);
    const e = await err(client.send(new HeadObjectCommand({ Bucket: 'plain', Key: 'slow' })));
    expect(e.$metadata.httpStatusCode).toBe(503);
    s3.slowDown(0);
    const e2 = await err(client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'slow', VersionId: 'nope' })));
    expect(e2.$metadata.httpStatusCode).toBe(404);
    s3.slowDown(10);
    const e3 = await err(
      new S3Client({
        endpoint: s3.endpoint,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: 'A', secretAccessKey: 'B' },
        maxAttempts: 1,
      }).send(new GetObjectCommand({ Bucket: 'plain', Key: 'slow' })),
    );
    expect(e3.name).toBe('SlowDown');
    expect(e3.message).toBe('Please reduce your request rate.');
    s3.slowDown(0);
  });

  test('failOn: a chosen error, or a body cut mid-stream', async () => {
    s3.putObject('plain', 'big', Buffer.alloc(100_000, 7));
    s3.failOn((r) => (r.key === 'big' && r.method === 'GET' ? { cutAfterBytes: 1000 } : undefined));
    const got = await client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'big' }));
    await expect(got.Body!.transformToByteArray()).rejects.toThrow();
    s3.failOn((r) => (r.key === 'big' ? { status: 403, code: 'AccessDenied', message: 'Access Denied' } : undefined));
    expect((await err(client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'big' })))).name).toBe('AccessDenied');
    s3.failOn(undefined);
    const ok = await client.send(new GetObjectCommand({ Bucket: 'plain', Key: 'big' }));
    expect((await ok.Body!.transformToByteArray()).length).toBe(100_000);
  });

  test('a streamed body (aws-chunked with a trailing checksum, as the SDK sends it) is stored decoded', async () => {
    const data = Buffer.alloc(300_000, 'abc');
    await client.send(
      new PutObjectCommand({
        Bucket: 'plain',
        Key: 'streamed',
        Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]),
        ContentLength: data.length,
      }),
    );
    const put = s3.requests.filter((r) => r.key === 'streamed' && r.method === 'PUT').pop()!;
    expect(s3.getObject('plain', 'streamed')!.body.equals(data)).toBe(true);
    expect(String(put.headers['content-encoding'] ?? '') + String(put.headers['x-amz-content-sha256'])).toMatch(
      /aws-chunked|STREAMING|UNSIGNED|[0-9a-f]{64}/,
    );
    const md5 = createHash('md5').update(data).digest('base64');
    const bad = await err(
      client.send(new PutObjectCommand({ Bucket: 'plain', Key: 'md5', Body: 'not the same', ContentMD5: md5 })),
    );
    expect(bad.name).toBe('BadDigest');
  });

  test('requests are signed by the SDK with the configured access key (recorded, not checked)', () => {
    expect(String(s3.requests[0].headers.authorization)).toMatch(/AWS4-HMAC-SHA256 Credential=AKIDTESTONLY\//);
  });
});
