// Writes a CloudTrail organization trail into the local S3 server exactly as CloudTrail lays it out:
// gzip log files {"Records":[...]} under AWSLogs/<org>/<account>/CloudTrail/<region>/YYYY/MM/DD/,
// and one digest file per account, region and hour under CloudTrail-Digest/, chained by
// previousDigest*, signed (RSA PKCS#1 v1.5 / SHA-256 over CloudTrail's string to sign) by a test
// key, the signature in the object's x-amz-meta-signature metadata, as CloudTrail writes them.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { S3Server } from './servers/s3.js';

export interface TestKey {
  privateKey: KeyObject;
  der: string;
  fingerprint: string;
}

export function testKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = (publicKey.export({ type: 'pkcs1', format: 'der' }) as Buffer).toString('base64');
  return { privateKey, der, fingerprint: createHash('md5').update(Buffer.from(der, 'base64')).digest('hex') };
}

const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ymd = (t: number) => new Date(t).toISOString().slice(0, 10).replace(/-/g, '/');
const stamp = (t: number, secs: boolean) =>
  new Date(t)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/(\d{4})Z$/, secs ? '$1Z' : 'Z')
    .replace(/T(\d{4})\d{2}Z$/, secs ? 'T$1' + '00Z' : 'T$1Z');

function fileStamp(t: number): string {
  const d = new Date(t).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}T${d.slice(11, 13)}${d.slice(14, 16)}Z`;
}
function digestStamp(t: number): string {
  const d = new Date(t).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}T${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}Z`;
}
void stamp;

export function ctRecord(account: string, region: string, t: number, n: number): Record<string, unknown> {
  const base = {
    eventVersion: '1.09',
    eventTime: iso(t),
    awsRegion: region,
    sourceIPAddress: '203.0.113.5',
    userAgent: 'aws-cli/2.15.0',
    eventID: `${account}-${region}-${t}-${n}`,
    eventType: 'AwsApiCall',
    recipientAccountId: account,
    managementEvent: true,
    readOnly: false,
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: `arn:aws:iam::${account}:user/alice`,
      accountId: account,
      userName: 'alice',
    },
  };
  if (n % 3 === 0)
    return {
      ...base,
      eventSource: 'iam.amazonaws.com',
      eventName: 'AttachUserPolicy',
      requestParameters: { userName: 'bob', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
      responseElements: null,
    };
  if (n % 3 === 1)
    return {
      ...base,
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateAccessKey',
      requestParameters: { userName: `svc-${n}` },
      responseElements: null,
    };
  return {
    ...base,
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateUser',
    errorCode: 'AccessDenied',
    errorMessage: 'not authorized',
    requestParameters: { userName: 'mallory' },
    responseElements: null,
  };
}

export interface Trail {
  bucket: string;
  org: string;
  /** Log file keys by account/region, in order. */
  logKeys: string[];
  /** Digest keys, in order. */
  digestKeys: string[];
  /** Events written, by delivery hour index. */
  events: number;
  /** Re-signs a digest's content under another key, or rewrites its previousDigestSignature. */
}

export interface TrailOptions {
  bucket?: string;
  org?: string;
  accounts?: string[];
  regions?: string[];
  trailName?: string;
  homeRegion?: string;
  /** First hour (UTC, on the hour) with events. */
  start: number;
  hours: number;
  filesPerHour?: number;
  eventsPerFile?: number;
  key: TestKey;
  /** Digests (by account, region and hour index) signed by this key instead (an unknown key). */
  signWith?: (account: string, region: string, hour: number) => TestKey | undefined;
  /** Digests whose previousDigestSignature is replaced by this value (a broken chain), signed correctly. */
  previousSignatureOverride?: (account: string, region: string, hour: number) => string | undefined;
  /** Hours whose digest starts a new chain (previous* null, signed correctly): logging stopped and started again. */
  restartAt?: (account: string, region: string, hour: number) => boolean;
  /** Hours with no log files and no digest (logging was stopped). */
  stoppedAt?: (account: string, region: string, hour: number) => boolean;
}

/** Where writeTrail puts objects: the local S3 server, or a directory (localTrailStore). */
export type TrailStore = Pick<S3Server, 'buckets' | 'createBucket' | 'putObject'>;

/**
 * A directory written as `aws s3 sync s3://BUCKET DIR` leaves it: each object at DIR/<key>, its
 * bytes as stored (gzip), and no object metadata (the digests' x-amz-meta-signature is lost).
 */
export function localTrailStore(dir: string): TrailStore {
  const buckets = new Map<string, never>();
  return {
    buckets: buckets as unknown as S3Server['buckets'],
    createBucket: ((name: string) => {
      buckets.set(name, undefined as never);
    }) as unknown as S3Server['createBucket'],
    putObject: ((_bucket: string, key: string, body: Buffer) => {
      const path = join(dir, ...key.split('/'));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, body);
    }) as unknown as S3Server['putObject'],
  };
}

export function writeTrail(s3: TrailStore, o: TrailOptions): Trail {
  const bucket = o.bucket ?? 'org-trail-bucket';
  const org = o.org ?? 'o-exampleorgid';
  const accounts = o.accounts ?? ['111122223333', '444455556666'];
  const regions = o.regions ?? ['us-east-1', 'eu-west-1'];
  const trailName = o.trailName ?? 'org-trail';
  const home = o.homeRegion ?? 'us-east-1';
  const filesPerHour = o.filesPerHour ?? 2;
  const eventsPerFile = o.eventsPerFile ?? 3;
  if (!s3.buckets.has(bucket)) s3.createBucket(bucket);
  const trail: Trail = { bucket, org, logKeys: [], digestKeys: [], events: 0 };
  for (const account of accounts) {
    for (const region of regions) {
      let prev: { key: string; sha256: string; signature: string } | null = null;
      for (let h = 0; h < o.hours; h++) {
        const hourStart = o.start + h * 3600_000;
        if (o.stoppedAt?.(account, region, h)) continue;
        if (o.restartAt?.(account, region, h)) prev = null;
        const logFiles: Array<Record<string, unknown>> = [];
        for (let f = 0; f < filesPerHour; f++) {
          // Events of the hour's f-th slice; delivered 5 minutes after the slice ends.
          const sliceStart = hourStart + f * (3600_000 / filesPerHour);
          const records = Array.from({ length: eventsPerFile }, (_, n) =>
            ctRecord(account, region, sliceStart + n * 1000, h * 1000 + f * 100 + n),
          );
          const delivered = sliceStart + 5 * 60_000;
          const key = `AWSLogs/${org}/${account}/CloudTrail/${region}/${ymd(delivered)}/${account}_CloudTrail_${region}_${fileStamp(delivered)}_${createHash('md5').update(`${account}${region}${h}${f}`).digest('hex').slice(0, 16)}.json.gz`;
          const json = Buffer.from(JSON.stringify({ Records: records }));
          s3.putObject(bucket, key, gzipSync(json), {
            contentType: 'application/json',
            lastModified: new Date(delivered),
          });
          trail.logKeys.push(key);
          trail.events += records.length;
          logFiles.push({
            s3Bucket: bucket,
            s3Object: key,
            hashValue: createHash('sha256').update(json).digest('hex'),
            hashAlgorithm: 'SHA-256',
            newestEventTime: records[records.length - 1].eventTime,
            oldestEventTime: records[0].eventTime,
          });
        }
        const end = hourStart + 3600_000;
        const key = `AWSLogs/${org}/${account}/CloudTrail-Digest/${region}/${ymd(end)}/${account}_CloudTrail-Digest_${region}_${trailName}_${home}_${digestStamp(end)}.json.gz`;
        const signer = o.signWith?.(account, region, h) ?? o.key;
        const digest: Record<string, unknown> = {
          awsAccountId: account,
          digestStartTime: iso(hourStart),
          digestEndTime: iso(end),
          digestS3Bucket: bucket,
          digestS3Object: key,
          digestPublicKeyFingerprint: signer.fingerprint,
          digestSignatureAlgorithm: 'SHA256withRSA',
          newestEventTime: logFiles.length ? logFiles[logFiles.length - 1].newestEventTime : null,
          oldestEventTime: logFiles.length ? logFiles[0].oldestEventTime : null,
          previousDigestS3Bucket: prev ? bucket : null,
          previousDigestS3Object: prev ? prev.key : null,
          previousDigestHashValue: prev ? prev.sha256 : null,
          previousDigestHashAlgorithm: prev ? 'SHA-256' : null,
          previousDigestSignature: o.previousSignatureOverride?.(account, region, h) ?? (prev ? prev.signature : null),
          logFiles,
        };
        const bytes = Buffer.from(JSON.stringify(digest));
        const sha = createHash('sha256').update(bytes).digest('hex');
        const toSign = `${String(digest.digestEndTime)}\n${bucket}/${key}\n${sha}\n${digest.previousDigestSignature == null ? 'null' : String(digest.previousDigestSignature)}`;
        const signature = sign('sha256', Buffer.from(toSign), signer.privateKey).toString('hex');
        s3.putObject(bucket, key, gzipSync(bytes), {
          contentType: 'application/json',
          lastModified: new Date(end + 10 * 60_000),
          meta: { signature, 'signature-algorithm': 'SHA256withRSA' },
        });
        trail.digestKeys.push(key);
        prev = { key, sha256: sha, signature };
      }
    }
  }
  return trail;
}

/** The ListPublicKeys entry for a test key. */
export function publicKeyEntry(
  k: TestKey,
  from: number,
  to: number,
): { Value: string; ValidityStartTime: number; ValidityEndTime: number; Fingerprint: string } {
  return { Value: k.der, ValidityStartTime: from / 1000, ValidityEndTime: to / 1000, Fingerprint: k.fingerprint };
}
