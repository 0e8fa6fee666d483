// The cloudtrail-s3 live source through the real @aws-sdk/client-s3 (and @aws-sdk/client-cloudtrail
// for ListPublicKeys) against the local S3 and CloudTrail servers, over a generated organization
// trail with digest files signed by a test RSA key in CloudTrail's format: only the period's date
// prefixes listed, objects read in parallel in key order, throttling retried, a body cut mid-way
// resumed, per-object records, status partial with the last key on failure, and the digest check
// naming every tampering case.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { gzipSync, gunzipSync, inflateRawSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { startS3, type S3Server } from '../helpers/servers/s3.js';
import { startCloudTrail, type CtServer } from '../helpers/servers/cloudtrail.js';
import { publicKeyEntry, testKey, writeTrail, type TestKey, type Trail } from '../helpers/cloudtrail-trail.js';
import { drain } from '../helpers/live-run.js';
import { openCloudTrailS3 } from '../../src/live/cloudtrail-s3/index.js';
import { validateDigests, type DigestReport } from '../../src/integrity/cloudtrail-digest.js';

const H = 3600_000;
const START = Date.UTC(2024, 4, 1, 22); // 2024-05-01T22:00Z: the period crosses midnight
const HOURS = 6;
// The period: 23:00 → 03:00; the trail holds 22:00 → 04:00 (an hour either side).
const since = new Date(START + H);
const until = new Date(START + 5 * H);

let key: TestKey;
let s3: S3Server;
let ct: CtServer;
beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTONLY';
  process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-not-real';
  delete process.env.AWS_PROFILE;
  key = testKey();
  ct = await startCloudTrail({
    pages: [],
    publicKeys: [publicKeyEntry(key, START - 30 * 86400_000, START + 30 * 86400_000)],
  });
});
afterAll(async () => {
  await ct.stop();
});
let trail: Trail;
beforeEach(async () => {
  await s3?.stop();
  s3 = await startS3();
});

const cfg = (extra: Record<string, unknown> = {}) => ({
  name: 'org-trail',
  type: 'cloudtrail-s3',
  bucket: 'org-trail-bucket',
  organization_id: 'o-exampleorgid',
  regions: ['us-east-1', 'eu-west-1'],
  endpoint: s3.endpoint,
  cloudtrail_endpoint: ct.endpoint,
  concurrency: 4,
  retry: { baseDelayMs: 5, maxDelayMs: 20 },
  ...extra,
});
/** A bundle file the source made: bytes, or a file it streamed compressed (raw DEFLATE) to its work folder. */
type Made = { name: string; data: Buffer } | { name: string; deflated: { file: string } };
const text = (f: Made): string => ('deflated' in f ? inflateRawSync(readFileSync(f.deflated.file)) : f.data).toString();
const fileNamed = (d: { result: { files?: Made[] } }, end: string): string =>
  text(d.result.files!.find((f) => f.name.endsWith(end))!);
const report = (d: { result: { files?: Made[] } }): DigestReport =>
  JSON.parse(fileNamed(d, 'cloudtrail-digest-report.json')).report;

describe('cloudtrail-s3 live source', () => {
  test('an untouched org trail: every file read in key order, events in the period, the digest chain valid', async () => {
    trail = writeTrail(s3, { start: START, hours: HOURS, key });
    // Noise outside the period's date prefixes: never listed.
    s3.putObject(
      'org-trail-bucket',
      'AWSLogs/o-exampleorgid/111122223333/CloudTrail/us-east-1/2024/04/20/111122223333_CloudTrail_us-east-1_20240420T1000Z_x.json.gz',
      gzipSync('{"Records":[]}'),
    );
    s3.slowDown(2);
    const d = await drain(openCloudTrailS3, cfg(), { since, until });
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    // 2 accounts × 2 regions × 6 hours × 2 files × 3 events, of which the 4 middle hours are in the period.
    expect(d.outcomes).toHaveLength(trail.events);
    expect(d.events).toHaveLength(2 * 2 * 4 * 2 * 3);
    expect(d.outcomes.filter((o) => o.kind === 'skip' && o.reason === 'outside the time window')).toHaveLength(
      2 * 2 * 2 * 2 * 3,
    );
    // Listing: only the day prefixes 2024/05/01 and 2024/05/02 of each account and region (and the digests').
    const lists = s3.requests.filter((r) => r.query['list-type'] === '2').map((r) => r.query.prefix);
    expect(lists.filter((p) => p.includes('/CloudTrail/'))).toEqual([
      ...['111122223333', '444455556666'].flatMap((a) =>
        ['us-east-1', 'eu-west-1'].flatMap((r) =>
          ['2024/05/01', '2024/05/02'].map((day) => `AWSLogs/o-exampleorgid/${a}/CloudTrail/${r}/${day}/`),
        ),
      ),
    ]);
    expect(lists.some((p) => p.includes('2024/04/20'))).toBe(false);
    // Outcomes come out in listing order (accounts, then regions as configured, then keys), whatever the reads' order.
    const files = [...new Set(d.outcomes.map((o) => o.raw.location.file))];
    const listed = ['111122223333', '444455556666'].flatMap((a) =>
      ['us-east-1', 'eu-west-1'].flatMap((r) =>
        trail.logKeys.filter((k) => k.includes(`/${a}/CloudTrail/${r}/`)).sort(),
      ),
    );
    expect(files).toEqual(listed.map((k) => `s3://org-trail-bucket/${k}`));
    expect(d.result.warnings.join('\n')).toMatch(/2 × SlowDown/);
    const ev = d.events.find((e) => e.action.source_name === 'AttachUserPolicy')!;
    expect(ev.user.name).toMatch(/alice/);
    expect(ev.timestamp).toBeTruthy();
    expect(ev.source.location.file).toMatch(/^s3:\/\/org-trail-bucket\/AWSLogs\/o-exampleorgid\//);
    // Per-object records.
    const objects = fileNamed(d, 'raw/org-trail/objects.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(objects).toHaveLength(trail.logKeys.length);
    for (const o of objects) {
      const v = s3.getObject('org-trail-bucket', o.key)!;
      expect(o.etag).toBe(v.etag);
      expect(o.size).toBe(v.body.length);
      expect(o.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(o.uncompressed_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(o.records).toBe(3);
      expect(o.error).toBeNull();
    }
    const r = report(d);
    expect(r).toMatchObject({
      pass: true,
      digests: 2 * 2 * HOURS,
      digests_valid: 2 * 2 * HOURS,
      files_covered: trail.logKeys.length,
      files_changed: [],
      files_missing: [],
      files_without_digest: [],
      digest_gaps: [],
      invalid_digests: [],
    });
    expect(d.result.settings?.cloudtrail_digests).toMatchObject({ pass: true, files_covered: trail.logKeys.length });
    expect(d.result.settings?.public_keys).toEqual([key.fingerprint]);
    expect(JSON.stringify(d.result)).not.toContain('test-secret-not-real');
  });

  test('tampering: an edited log file, a deleted log file, a deleted digest, an unknown key, a broken chain — each named', async () => {
    const other = testKey();
    trail = writeTrail(s3, {
      start: START,
      hours: HOURS,
      key,
      signWith: (a, r, h) => (a === '444455556666' && r === 'us-east-1' && h === 3 ? other : undefined),
      previousSignatureOverride: (a, r, h) =>
        a === '444455556666' && r === 'eu-west-1' && h === 2 ? 'ab'.repeat(256) : undefined,
    });
    const acct1 = trail.logKeys.filter((k) => k.includes('/111122223333/CloudTrail/us-east-1/'));
    // Edited after delivery: one event's user changed, re-gzipped in place.
    const edited = acct1[4];
    const v = s3.getObject('org-trail-bucket', edited)!;
    s3.putObject(
      'org-trail-bucket',
      edited,
      gzipSync(
        gunzipSync(v.body)
          .toString()
          .replace(/"userName":"alice"/, '"userName":"eve"'),
      ),
    );
    // Deleted log file.
    const deleted = acct1[6];
    s3.removeObject('org-trail-bucket', deleted);
    // Deleted digest (hour 2 of account 1, eu-west-1): a gap.
    const digestGone = trail.digestKeys.filter((k) => k.includes('/111122223333/CloudTrail-Digest/eu-west-1/'))[2];
    s3.removeObject('org-trail-bucket', digestGone);
    const d = await drain(openCloudTrailS3, cfg(), { since, until });
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    const r = report(d);
    expect(r.pass).toBe(false);
    expect(r.files_changed).toEqual([`s3://org-trail-bucket/${edited}`]);
    expect(r.files_missing).toEqual([`s3://org-trail-bucket/${deleted}`]);
    expect(r.digest_gaps).toHaveLength(1);
    expect(r.digest_gaps[0]).toMatch(
      /^trail org-trail, account 111122223333, eu-west-1: the digest before .* is missing$/,
    );
    expect(r.invalid_digests.map((p) => p.problem)).toEqual([
      expect.stringMatching(/does not chain/),
      expect.stringMatching(
        new RegExp(`signed by an unknown key: no CloudTrail public key has fingerprint ${other.fingerprint}`),
      ),
    ]);
    // The files of the deleted, unknown-key and broken-chain digests have no valid digest.
    expect(r.files_without_digest).toHaveLength(3 * 2);
    expect(d.result.warnings.join('\n')).toMatch(
      /CloudTrail digest validation FAILED: 1 log file\(s\) CHANGED after delivery .*1 log file\(s\) MISSING/,
    );
  });

  test('a GetObject that keeps failing: partial, with the last key reached; a cut body is resumed', async () => {
    trail = writeTrail(s3, { start: START, hours: HOURS, key, eventsPerFile: 400 });
    const cut = new Set<string>();
    const bad = trail.logKeys[10];
    s3.failOn((r) => {
      if (r.method !== 'GET' || !r.key.includes('/CloudTrail/')) return undefined;
      if (r.key === trail.logKeys[3] && !cut.has(r.key)) {
        cut.add(r.key);
        return { cutAfterBytes: 500 };
      }
      if (r.key === bad)
        return { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' };
      return undefined;
    });
    const d = await drain(openCloudTrailS3, cfg({ retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 10 } }), {
      since,
      until,
    });
    expect(d.result.status).toBe('partial');
    expect(d.result.reason).toMatch(
      new RegExp(
        `reading s3://org-trail-bucket/${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed after 10 objects had been read \\(InternalError`,
      ),
    );
    expect(d.result.lastPosition).toBe(`s3://org-trail-bucket/${bad}`);
    // The cut object was resumed with a Range request and read whole.
    const ranged = s3.requests.filter((r) => r.key === trail.logKeys[3]);
    expect(ranged.map((r) => r.headers.range ?? '')).toEqual(['', 'bytes=500-']);
    expect(ranged[1].headers['if-match']).toBe(s3.getObject('org-trail-bucket', trail.logKeys[3])!.etag);
    expect(d.outcomes).toHaveLength(10 * 400);
    expect(d.result.warnings.join('\n')).toMatch(/1 × body cut, resumed/);
  });

  test('a damaged object costs its own records only: partial, the rest read', async () => {
    trail = writeTrail(s3, { start: START, hours: 2, key, accounts: ['111122223333'], regions: ['us-east-1'] });
    s3.putObject('org-trail-bucket', trail.logKeys[1], Buffer.from('not gzip at all'));
    const d = await drain(openCloudTrailS3, cfg({ regions: ['us-east-1'], accounts: ['111122223333'] }), {
      since: new Date(START),
      until: new Date(START + 2 * H),
    });
    expect(d.result.status).toBe('partial');
    expect(d.result.reason).toMatch(/1 of 4 objects could not be read whole \(first: s3:\/\/org-trail-bucket\/.*: /);
    expect(d.events).toHaveLength(3 * 3);
    expect(report(d).files_changed).toEqual([`s3://org-trail-bucket/${trail.logKeys[1]}`]);
  });

  test('no account folders: failed with one clear sentence', async () => {
    s3.createBucket('org-trail-bucket');
    const d = await drain(openCloudTrailS3, cfg(), { since, until });
    expect(d.result.status).toBe('failed');
    expect(d.result.reason).toBe(
      'no account folders (12 digits) under s3://org-trail-bucket/AWSLogs/o-exampleorgid/: check bucket, prefix and organization_id',
    );
  });

  test('validateDigests is deterministic and order-independent (verify re-runs it)', async () => {
    trail = writeTrail(s3, { start: START, hours: 3, key, accounts: ['111122223333'], regions: ['us-east-1'] });
    const d = await drain(openCloudTrailS3, cfg({ regions: ['us-east-1'], accounts: ['111122223333'] }), {
      since,
      until,
    });
    const file = (n: string) => fileNamed(d, n);
    const digests = file('cloudtrail-digests.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const keys = JSON.parse(file('cloudtrail-public-keys.json'));
    const logs = file('objects.jsonl')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const saved = JSON.parse(file('cloudtrail-digest-report.json'));
    expect(
      validateDigests({
        digests: [...digests].reverse(),
        publicKeys: keys,
        logs: [...logs].reverse(),
        scope: saved.scope,
      }),
    ).toEqual(saved.report);
  });
});
