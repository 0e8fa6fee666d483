// AWS IAM Identity Center permission sets in the admin roster, through the real
// @aws-sdk/client-sso-admin against a local AWS JSON 1.1 server (every list paged one item at a
// time): AdministratorAccess and an inline "*" are admin, ReadOnly is not, a customer managed
// reference is "not judged"; the accounts and assignments of the admin sets are listed; the
// cloudtrail source with sso_roster marks the SSO session of an admin permission set privileged
// (the role's hex suffix matched by the roster's *), and not one of a look-alike permission set.
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { startSsoAdmin, type SsoDirectory, type SsoServer } from '../helpers/servers/sso-admin.js';
import { startIam, type IamServer } from '../helpers/servers/iam.js';
import { startCloudTrail, type CtServer } from '../helpers/servers/cloudtrail.js';
import { drain } from '../helpers/live-run.js';
import { readSsoAdmins } from '../../src/roster/aws-sso.js';
import { openCloudTrail } from '../../src/live/cloudtrail-api/index.js';

const ADMIN = { Name: 'AdministratorAccess', Arn: 'arn:aws:iam::aws:policy/AdministratorAccess' };
const DIR: SsoDirectory = {
  permissionSets: [
    {
      name: 'AdministratorAccess',
      managed: [ADMIN],
      assignments: {
        '111122223333': [
          { PrincipalType: 'GROUP', PrincipalId: 'g-admins' },
          { PrincipalType: 'USER', PrincipalId: 'u-jdoe' },
        ],
        '444455556666': [{ PrincipalType: 'USER', PrincipalId: 'u-ops' }],
      },
    },
    {
      name: 'PlatformRoot',
      inline: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      assignments: { '111122223333': [] },
    },
    {
      name: 'ReadOnly',
      managed: [{ Name: 'ReadOnlyAccess', Arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
      assignments: { '111122223333': [{ PrincipalType: 'GROUP', PrincipalId: 'g-all' }] },
    },
    {
      name: 'AdministratorAccess_RO',
      managed: [{ Name: 'ViewOnlyAccess', Arn: 'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess' }],
      assignments: { '111122223333': [{ PrincipalType: 'USER', PrincipalId: 'u-viewer' }] },
    },
    {
      name: 'Custom',
      customerManaged: [{ Name: 'org-admin', Path: '/' }],
      assignments: { '111122223333': [{ PrincipalType: 'USER', PrincipalId: 'u-c' }] },
    },
  ],
};

let sso: SsoServer | null = null;
let iam: IamServer | null = null;
let ct: CtServer | null = null;
beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTONLY';
  process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-not-real';
  delete process.env.AWS_PROFILE;
});
afterEach(async () => {
  await sso?.stop();
  await iam?.stop();
  await ct?.stop();
  sso = null;
  iam = null;
  ct = null;
});

describe('IAM Identity Center permission sets in the AWS admin roster', () => {
  test('every page of every list: admin sets with their accounts and assignees; the rest judged or said not judged', async () => {
    sso = await startSsoAdmin(DIR);
    const client = new SSOAdminClient({ region: 'eu-west-1', endpoint: sso.endpoint });
    const r = await readSsoAdmins(client, 'test', 'aws');
    client.destroy();
    expect(r.facts.permission_sets).toBe(5);
    expect(
      r.facts.admin_permission_sets.map((p) => [
        p.name,
        p.why,
        p.accounts.map((a) => `${a.account}:${a.assignments.map((x) => x.id).join('+')}`),
      ]),
    ).toEqual([
      ['AdministratorAccess', 'AdministratorAccess attached', ['111122223333:g-admins+u-jdoe', '444455556666:u-ops']],
      ['PlatformRoot', 'inline policy allows *', ['111122223333:']],
    ]);
    expect(r.facts.not_judged).toEqual([
      {
        permission_set: 'Custom',
        why: 'customer managed policies /org-admin are defined in each member account; their documents are not read here',
      },
    ]);
    expect(r.facts.assignees_not_named).toMatch(/Identity Store user and group ids/);
    expect(r.entries.map((e) => e.principal)).toEqual([
      'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_*',
      'arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_*',
      'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_PlatformRoot_*',
    ]);
    expect(r.entries[0]!.reason).toBe(
      'aws sso permission set AdministratorAccess (AdministratorAccess attached) in account 111122223333, assigned to group g-admins, user u-jdoe',
    );
    expect(r.entries[2]!.reason).toMatch(/nobody assigned$/);
    // paging: one item per page, so the lists were followed through NextToken
    expect(sso.requests.filter((q) => q.target.endsWith('ListPermissionSets')).length).toBe(5);
    expect(sso.requests.some((q) => q.target.endsWith('ListAccountAssignments') && q.body.NextToken)).toBe(true);
  });

  test("the cloudtrail source with sso_roster marks an admin permission set's session privileged, not a look-alike set's", async () => {
    sso = await startSsoAdmin(DIR);
    iam = await startIam({ users: [], roles: [], groups: [], policies: [] });
    const day = new Date(Date.now() - 2 * 86400_000).toISOString().slice(0, 10);
    const session = (ps: string, user: string, i: number) => ({
      eventVersion: '1.09',
      eventTime: `${day}T10:00:0${i}Z`,
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.5',
      userAgent: 'aws-cli/2.15.0',
      eventID: `sso-${i}`,
      eventType: 'AwsApiCall',
      recipientAccountId: '111122223333',
      managementEvent: true,
      readOnly: true,
      eventSource: 's3.amazonaws.com',
      eventName: 'ListBuckets',
      requestParameters: null,
      responseElements: null,
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLE:${user}`,
        arn: `arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_${ps}_0123456789abcdef/${user}`,
        accountId: '111122223333',
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLE',
            arn: `arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_${ps}_0123456789abcdef`,
            accountId: '111122223333',
            userName: `AWSReservedSSO_${ps}_0123456789abcdef`,
          },
          attributes: { creationDate: `${day}T09:59:00Z`, mfaAuthenticated: 'false' },
        },
      },
    });
    ct = await startCloudTrail({
      pages: [
        [
          session('AdministratorAccess', 'jdoe', 1),
          session('AdministratorAccess_RO', 'viewer', 2),
          session('ReadOnly', 'reader', 3),
        ],
      ],
    });
    const d = await drain(
      openCloudTrail,
      {
        name: 'aws',
        type: 'cloudtrail',
        regions: ['us-east-1'],
        endpoint: ct.endpoint,
        iam_endpoint: iam.endpoint,
        sso_roster: true,
        sso_endpoint: sso.endpoint,
        requests_per_second: 50,
      },
      { since: new Date(Date.now() - 7 * 86400_000), until: new Date() },
    );
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    const settings = d.result.settings as {
      sso_roster: { read_from: string; admin_permission_sets: unknown[]; not_judged: unknown[] };
    };
    expect(settings.sso_roster.read_from).toBe('IAM Identity Center (sso-admin) in us-east-1');
    expect(settings.sso_roster.admin_permission_sets).toHaveLength(2);
    expect(d.result.warnings.join('\n')).toMatch(
      /permission sets not judged for the admin roster: Custom \(customer managed policies \/org-admin/,
    );
    expect(
      d.result.roster!.some((e) => e.origin.startsWith('live:aws IAM Identity Center (sso-admin) in us-east-1, read ')),
    ).toBe(true);
    const byUser = Object.fromEntries(d.events.map((e) => [String(e.user.name).split('/').pop(), e.privileged]));
    expect(byUser.jdoe!.value).toBe(true);
    expect(byUser.jdoe!.reasons).toContain(
      'roster:aws sso permission set AdministratorAccess (AdministratorAccess attached) in account 111122223333, assigned to group g-admins, user u-jdoe',
    );
    expect(byUser.viewer!.reasons.some((r) => r.startsWith('roster:'))).toBe(false);
    expect(byUser.reader!.reasons.some((r) => r.startsWith('roster:'))).toBe(false);
  });

  test('a denied read is a warning and says which permissions to grant; without sso_endpoint and an overridden endpoint it is not called', async () => {
    sso = await startSsoAdmin({ ...DIR, denied: true });
    iam = await startIam({ users: [], roles: [], groups: [], policies: [] });
    const day = new Date(Date.now() - 2 * 86400_000).toISOString().slice(0, 10);
    ct = await startCloudTrail({ pages: [[]] });
    void day;
    const cfg = {
      name: 'aws',
      type: 'cloudtrail',
      regions: ['us-east-1'],
      endpoint: ct.endpoint,
      iam_endpoint: iam.endpoint,
      sso_roster: true,
      requests_per_second: 50,
    };
    const d = await drain(
      openCloudTrail,
      { ...cfg, sso_endpoint: sso.endpoint },
      { since: new Date(Date.now() - 7 * 86400_000), until: new Date() },
    );
    expect(d.result.warnings.join('\n')).toMatch(
      /the IAM Identity Center admin roster could not be read \(AccessDeniedException: .*grant sso:ListInstances/,
    );
    const n = sso.requests.length;
    const e = await drain(openCloudTrail, cfg, { since: new Date(Date.now() - 7 * 86400_000), until: new Date() });
    expect(sso.requests.length).toBe(n);
    expect((e.result.settings as { sso_roster: unknown }).sso_roster).toEqual({
      read: false,
      why: 'endpoint is overridden and sso_endpoint is not set',
    });
  });
});
