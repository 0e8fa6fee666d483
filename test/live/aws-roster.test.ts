// The AWS admin roster through the real @aws-sdk/client-iam (GetAccountAuthorizationDetails, paged)
// against a local IAM query-API server: AdministratorAccess and IAMFullAccess attached, an inline
// "*" policy, a customer managed "iam:*" policy, admins through a group, the root user; ordinary
// principals left out; the cloudtrail source marks their events privileged with 'roster:'.
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { IAMClient } from '@aws-sdk/client-iam';
import { startIam, type IamAccount, type IamServer } from '../helpers/servers/iam.js';
import { ctRecords, startCloudTrail, type CtServer } from '../helpers/servers/cloudtrail.js';
import { drain } from '../helpers/live-run.js';
import { readAwsAdmins, adminGrant } from '../../src/roster/aws-iam.js';
import { openCloudTrail } from '../../src/live/cloudtrail-api/index.js';

const A = '123456789012';
const admin = { PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' };
const ACCOUNT: IamAccount = {
  pageSize: 2,
  users: [
    { UserName: 'alice', UserId: 'AIDAALICE', Arn: `arn:aws:iam::${A}:user/alice`, AttachedManagedPolicies: [admin] },
    { UserName: 'bob', UserId: 'AIDABOB', Arn: `arn:aws:iam::${A}:user/bob`, GroupList: ['ops-admins'] },
    {
      UserName: 'carol',
      UserId: 'AIDACAROL',
      Arn: `arn:aws:iam::${A}:user/carol`,
      UserPolicyList: [
        {
          PolicyName: 'star',
          PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        },
      ],
    },
    {
      UserName: 'dave',
      UserId: 'AIDADAVE',
      Arn: `arn:aws:iam::${A}:user/dave`,
      UserPolicyList: [
        {
          PolicyName: 'read',
          PolicyDocument: { Statement: { Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' } },
        },
      ],
    },
    {
      UserName: 'erin',
      UserId: 'AIDAERIN',
      Arn: `arn:aws:iam::${A}:user/erin`,
      AttachedManagedPolicies: [{ PolicyName: 'iam-boss', PolicyArn: `arn:aws:iam::${A}:policy/iam-boss` }],
    },
  ],
  groups: [
    {
      GroupName: 'ops-admins',
      GroupId: 'AGPAOPS',
      Arn: `arn:aws:iam::${A}:group/ops-admins`,
      AttachedManagedPolicies: [{ PolicyName: 'IAMFullAccess', PolicyArn: 'arn:aws:iam::aws:policy/IAMFullAccess' }],
    },
  ],
  roles: [
    {
      RoleName: 'BreakGlass',
      RoleId: 'AROABG',
      Arn: `arn:aws:iam::${A}:role/BreakGlass`,
      AttachedManagedPolicies: [admin],
    },
    {
      RoleName: 'Reader',
      RoleId: 'AROAR',
      Arn: `arn:aws:iam::${A}:role/Reader`,
      AttachedManagedPolicies: [{ PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
    },
  ],
  policies: [
    {
      PolicyName: 'iam-boss',
      PolicyId: 'ANPAIAM',
      Arn: `arn:aws:iam::${A}:policy/iam-boss`,
      Document: { Statement: [{ Effect: 'Allow', Action: ['iam:*'], Resource: '*' }] },
    },
  ],
};

let iam: IamServer | null = null;
let ct: CtServer | null = null;
beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTONLY';
  process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-not-real';
  delete process.env.AWS_PROFILE;
});
afterEach(async () => {
  await iam?.stop();
  await ct?.stop();
  iam = null;
  ct = null;
});

describe('AWS IAM admin roster', () => {
  test('policy documents: "*" and "iam:*" allowed are admin; Deny, NotAction and narrower actions are not', () => {
    expect(adminGrant({ Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] })).toBe('allows *');
    expect(adminGrant({ Statement: { Effect: 'Allow', Action: ['s3:*', 'IAM:*'] } })).toBe('allows IAM:*');
    expect(adminGrant({ Statement: [{ Effect: 'Deny', Action: '*' }] })).toBeNull();
    expect(adminGrant({ Statement: [{ Effect: 'Allow', NotAction: 'iam:*' }] })).toBeNull();
    expect(adminGrant({ Statement: [{ Effect: 'Allow', Action: 'iam:Get*' }] })).toBeNull();
  });

  test('GetAccountAuthorizationDetails, every page: users, groups, roles and root that can administer the account', async () => {
    iam = await startIam(ACCOUNT);
    const client = new IAMClient({ region: 'us-east-1', endpoint: iam.endpoint });
    const r = await readAwsAdmins(client, 'test', 'aws', null);
    client.destroy();
    expect(iam.requests.length).toBeGreaterThan(3); // paged, 2 items a page
    expect(r.facts).toMatchObject({ account: A, users: 5, roles: 2, groups: 1 });
    expect(r.facts.admins.map((a) => `${a.kind} ${a.principal}: ${a.reason}`)).toEqual([
      `group arn:aws:iam::${A}:group/ops-admins: IAMFullAccess attached`,
      'user alice: AdministratorAccess attached',
      'user bob: member of group ops-admins (IAMFullAccess attached)',
      'user carol: inline policy star allows *',
      'user erin: policy iam-boss allows iam:* attached',
      `role arn:aws:iam::${A}:role/BreakGlass: AdministratorAccess attached`,
      `root arn:aws:iam::${A}:root: the account root user`,
    ]);
    const principals = r.entries.map((e) => e.principal);
    expect(principals).toEqual(
      expect.arrayContaining([
        'alice',
        `arn:aws:iam::${A}:user/alice`,
        'AIDAALICE',
        `arn:aws:iam::${A}:role/BreakGlass`,
      ]),
    );
    expect(principals.some((p) => /dave|Reader/.test(p))).toBe(false);
  });

  test('the cloudtrail source marks the events of roster admins privileged (roster:), names where and when the roster was read', async () => {
    iam = await startIam(ACCOUNT);
    const day = new Date(Date.now() - 2 * 86400_000).toISOString().slice(0, 10);
    ct = await startCloudTrail({ pages: [ctRecords(3, 0, day)] });
    const d = await drain(
      openCloudTrail,
      {
        name: 'aws',
        type: 'cloudtrail',
        regions: ['us-east-1'],
        endpoint: ct.endpoint,
        iam_endpoint: iam.endpoint,
        requests_per_second: 50,
      },
      { since: new Date(Date.now() - 7 * 86400_000), until: new Date() },
    );
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    expect(d.result.roster!.length).toBeGreaterThan(5);
    expect(d.result.roster![0]!.origin).toMatch(/^live:aws IAM GetAccountAuthorizationDetails, read \d{4}-\d\d-\d\dT/);
    expect((d.result.settings as { iam_roster: { admins: unknown[] } }).iam_roster.admins).toHaveLength(7);
    const byAlice = d.events.filter((e) => /alice/.test(e.user.name ?? ''));
    expect(byAlice.length).toBeGreaterThan(0);
    for (const e of byAlice) expect(e.privileged.reasons).toContain('roster:aws user: AdministratorAccess attached');
  });

  test('a denied IAM read is a warning, not a failure; with the CloudTrail endpoint overridden and no iam_endpoint, IAM is not called', async () => {
    iam = await startIam({ ...ACCOUNT, denied: true });
    const day = new Date(Date.now() - 2 * 86400_000).toISOString().slice(0, 10);
    ct = await startCloudTrail({ pages: [ctRecords(1, 0, day)] });
    const cfg = {
      name: 'aws',
      type: 'cloudtrail',
      regions: ['us-east-1'],
      endpoint: ct.endpoint,
      requests_per_second: 50,
    };
    const d = await drain(
      openCloudTrail,
      { ...cfg, iam_endpoint: iam.endpoint },
      { since: new Date(Date.now() - 7 * 86400_000), until: new Date() },
    );
    expect(d.result.status).toBe('complete');
    expect(d.result.warnings.join('\n')).toMatch(/the IAM admin roster could not be read \(AccessDenied/);
    const n = iam.requests.length;
    const e = await drain(openCloudTrail, cfg, { since: new Date(Date.now() - 7 * 86400_000), until: new Date() });
    expect(iam.requests.length).toBe(n);
    expect((e.result.settings as { iam_roster: unknown }).iam_roster).toEqual({
      read: false,
      why: 'endpoint is overridden and iam_endpoint is not set',
    });
  });
});
