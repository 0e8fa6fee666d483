// The AWS probe with the real SDK clients: @aws-sdk/client-iam tags the dedicated role and gives it
// a deny-all inline policy (both undone at once) against the local IAM query-API server, which hands
// each write to CloudTrail as the record IAM produces; the local CloudTrail JSON 1.1 server serves it
// to LookupEvents after a delay (CloudTrail's delivery lag), and the probe reads it back through the
// cloudtrail source. Also: a delivery that never comes, and a source that does not read us-east-1.
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startIam, type IamAccount, type IamServer } from '../helpers/servers/iam.js';
import { startCloudTrail, deliverLater, type CtServer } from '../helpers/servers/cloudtrail.js';
import { gzipSync } from 'node:zlib';
import { startS3, type S3Server } from '../helpers/servers/s3.js';
import { probeSource, ProbeError } from '../../src/probe/run.js';
import type { SourceProbeReport } from '../../src/probe/types.js';

const byName = (r: SourceProbeReport) => Object.fromEntries(r.results.map((x) => [`${x.category}:${x.name}`, x]));
const account = (): IamAccount => ({
  users: [],
  groups: [],
  policies: [],
  roles: [
    {
      RoleName: 'ae-probe-target',
      RoleId: 'AROAPROBE',
      Arn: 'arn:aws:iam::111122223333:role/ae-probe-target',
      Tags: [{ Key: 'owner', Value: 'compliance' }],
    },
    { RoleName: 'prod-app', RoleId: 'AROAPROD', Arn: 'arn:aws:iam::111122223333:role/prod-app' },
  ],
});

beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTONLY';
  process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-not-real';
  delete process.env.AWS_PROFILE;
});

describe('probe on AWS (IAM query API + CloudTrail LookupEvents, local servers)', () => {
  let iam: IamServer | undefined;
  let ct: CtServer | undefined;
  const timers: NodeJS.Timeout[] = [];
  afterEach(async () => {
    timers.forEach(clearTimeout);
    await Promise.all([iam?.stop(), ct?.stop()]);
    iam = undefined;
    ct = undefined;
  });

  async function servers(acct: IamAccount, delayMs: number | null) {
    ct = await startCloudTrail({ pages: [[]] });
    const c = ct;
    iam = await startIam(acct, {
      onWrite: (r) => {
        if (delayMs !== null) timers.push(deliverLater(c, r, delayMs));
      },
    });
  }
  const source = (extra: Record<string, unknown> = {}, probe: Record<string, unknown> = {}) => ({
    name: 'aws-probe',
    type: 'cloudtrail',
    regions: ['us-east-1'],
    endpoint: ct!.endpoint,
    iam_endpoint: iam!.endpoint,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...extra,
    probe: { iam_role: 'ae-probe-target', wait: 10, ...probe },
  });

  test('TagRole and PutRolePolicy on the dedicated role are found in CloudTrail after the delivery delay; both are undone; nothing else is touched', async () => {
    const acct = account();
    await servers(acct, 2000);
    const lines: string[] = [];
    const r = await probeSource(source(), { pollMs: 500, progress: (m) => lines.push(m) });
    console.log(lines.join('\n'));
    console.log(
      JSON.stringify(
        r.results.map((x) => [
          x.category,
          x.name,
          x.status,
          x.delay_ms,
          x.event?.user,
          x.event?.action,
          x.event?.resource,
          x.reason,
        ]),
      ),
    );
    const c = byName(r);
    const tagged = c['change_execution:tag the dedicated role']!;
    const policy = c['permission_change:deny-all inline policy on the dedicated role']!;
    for (const x of [tagged, policy]) {
      expect(x.status, x.reason ?? '').toBe('found');
      expect(x.event!.user).toBe('ae-prober');
      expect(x.event!.timestamp).toBeTruthy();
      expect(x.delay_ms).toBeGreaterThanOrEqual(1500);
    }
    expect(tagged.action).toBe(`iam:TagRole ae-probe-target ae-probe=${r.nonce}, then iam:UntagRole`);
    expect(tagged.event!.action).toMatch(/tag_?role/i);
    expect(policy.event!.action).toMatch(/put_?role_?policy/i);
    expect(r.role).toBe('IAM role ae-probe-target');
    for (const k of [
      'authentication:sign-in',
      'policy_change:policy change',
      'data_exposure:data exposure',
      'access_request:access request',
    ])
      expect(c[k]!.status).toBe('not_probed');
    // Undone: the role has its own tag only and no inline policy; prod-app never appears in a call.
    expect(acct.roles[0]!.Tags).toEqual([{ Key: 'owner', Value: 'compliance' }]);
    expect(acct.roles[0]!.RolePolicyList).toEqual([]);
    expect(r.cleanup.dropped).toEqual([
      `tag ae-probe=${r.nonce} on role ae-probe-target`,
      `inline policy ae-probe-${r.nonce} on role ae-probe-target`,
    ]);
    const calls = iam!.requests.map((q) => `${q.Action} ${q.RoleName ?? ''}`.trim());
    expect(calls).toEqual([
      'GetRole ae-probe-target',
      'ListRoleTags ae-probe-target',
      'ListRolePolicies ae-probe-target',
      'TagRole ae-probe-target',
      'UntagRole ae-probe-target',
      'PutRolePolicy ae-probe-target',
      'DeleteRolePolicy ae-probe-target',
    ]);
    expect(r.reads).toBeGreaterThan(2);
    expect(
      lines.some((l) =>
        /aws-probe: probe: 0 of 2 actions found in the log after \d+ s, waiting \(up to \d+ s more, reading every 0\.5 s\)/.test(
          l,
        ),
      ),
    ).toBe(true);
  }, 60_000);

  test('a delivery that never comes: not found after the wait, naming the likely cause', async () => {
    await servers(account(), null);
    const r = await probeSource(source({}, { wait: 3 }), { pollMs: 500 });
    const x = byName(r)['change_execution:tag the dedicated role']!;
    expect(x.status).toBe('not_found');
    expect(x.reason).toMatch(/^not found after [34] s$/);
    expect(x.likely_setting).toMatch(
      /CloudTrail had not delivered the event to LookupEvents within the wait .*raise probe\.wait/,
    );
  }, 60_000);

  test('a source that does not read us-east-1: the likely cause is the region', async () => {
    await servers(account(), null);
    const r = await probeSource(source({ regions: ['eu-west-1'] }, { wait: 2 }), { pollMs: 500 });
    const x = byName(r)['permission_change:deny-all inline policy on the dedicated role']!;
    expect(x.status).toBe('not_found');
    expect(x.likely_setting).toMatch(
      /reads eu-west-1 but not us-east-1: IAM is a global service and CloudTrail records its calls in us-east-1/,
    );
  }, 60_000);

  test('leftovers of a crashed run are removed; a role that does not exist is refused; no probe.iam_role, no probe', async () => {
    const acct = account();
    acct.roles[0]!.Tags!.push({ Key: 'ae-probe', Value: 'deadbeef' });
    acct.roles[0]!.RolePolicyList = [
      { PolicyName: 'ae-probe-0badc0de', PolicyDocument: '{}' },
      { PolicyName: 'ae-probe-keep', PolicyDocument: '{}' },
    ];
    await servers(acct, 0);
    const r = await probeSource(source({}, { wait: 3 }), { pollMs: 300 });
    expect(r.cleanup.leftovers_removed).toEqual([
      'tag ae-probe on role ae-probe-target',
      'inline policy ae-probe-0badc0de on role ae-probe-target',
    ]);
    expect(acct.roles[0]!.RolePolicyList!.map((p) => p.PolicyName)).toEqual(['ae-probe-keep']);
    await expect(probeSource(source({}, { iam_role: 'no-such-role' }))).rejects.toThrow(
      /the dedicated role no-such-role \(probe.iam_role\) could not be read: NoSuchEntity/,
    );
    await expect(probeSource({ ...source(), probe: { wait: 3 } })).rejects.toThrow(ProbeError);
    await expect(probeSource({ ...source(), probe: { wait: 3 } })).rejects.toThrow(
      /probe\.iam_role names the dedicated IAM role/,
    );
    await expect(probeSource(source({ iam_endpoint: undefined }))).rejects.toThrow(
      /never calls the public IAM endpoint/,
    );
  }, 60_000);
});

// The same probe read back from the trail's files: the local IAM server's records are delivered as a
// CloudTrail log file (gzip, {"Records": [...]}, the trail's key layout) to the local S3 server after
// a delay, and read by the cloudtrail-s3 source; a trail that delivers nothing names the trail settings.
describe("probe on AWS read back from the trail's S3 files (cloudtrail-s3)", () => {
  let iam: IamServer | undefined;
  let s3: S3Server | undefined;
  const timers: NodeJS.Timeout[] = [];
  afterEach(async () => {
    timers.forEach(clearTimeout);
    await Promise.all([iam?.stop(), s3?.stop()]);
    iam = undefined;
    s3 = undefined;
  });

  async function servers(deliver: boolean) {
    s3 = await startS3();
    s3.createBucket('trail-bucket');
    const bucket = s3;
    iam = await startIam(account(), {
      onWrite: (r) => {
        if (!deliver) return;
        timers.push(
          setTimeout(() => {
            const t = new Date(String(r.eventTime));
            const day = t.toISOString().slice(0, 10).replace(/-/g, '/');
            const stamp = t.toISOString().slice(0, 16).replace(/[-:]/g, '');
            bucket.putObject(
              'trail-bucket',
              `AWSLogs/111122223333/CloudTrail/us-east-1/${day}/111122223333_CloudTrail_us-east-1_${stamp}Z_${String(r.eventID).slice(0, 16)}.json.gz`,
              gzipSync(JSON.stringify({ Records: [r] })),
            );
          }, 1500),
        );
      },
    });
  }
  const source = (probe: Record<string, unknown> = {}) => ({
    name: 'trail',
    type: 'cloudtrail-s3',
    bucket: 'trail-bucket',
    accounts: ['111122223333'],
    regions: ['us-east-1'],
    validate_digests: false,
    endpoint: s3!.endpoint,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    probe: { iam_role: 'ae-probe-target', iam_endpoint: iam!.endpoint, wait: 10, ...probe },
  });

  test('both actions are found in the delivered log files', async () => {
    await servers(true);
    const r = await probeSource(source(), { pollMs: 500 });
    const c = byName(r);
    console.log(
      JSON.stringify(
        r.results
          .filter((x) => x.status !== 'not_probed')
          .map((x) => [x.category, x.status, x.delay_ms, x.event?.action, x.reason]),
      ),
    );
    expect(
      c['change_execution:tag the dedicated role']!.status,
      c['change_execution:tag the dedicated role']!.reason ?? '',
    ).toBe('found');
    expect(c['permission_change:deny-all inline policy on the dedicated role']!.status).toBe('found');
    expect(c['permission_change:deny-all inline policy on the dedicated role']!.delay_ms).toBeGreaterThanOrEqual(1000);
  }, 60_000);

  test('a trail that delivers nothing: not found, naming the event selectors and global service events', async () => {
    await servers(false);
    const r = await probeSource(source({ wait: 2 }), { pollMs: 500 });
    const x = byName(r)['change_execution:tag the dedicated role']!;
    expect(x.status).toBe('not_found');
    expect(x.likely_setting).toMatch(
      /the trail does not log write management events .*\(IncludeGlobalServiceEvents false: IAM calls are not delivered\)/,
    );
  }, 60_000);
});
