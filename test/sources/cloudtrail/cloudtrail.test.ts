// CloudTrail adapter: detection, identity, resource, category and outcome rules, and the
// framing cases that golden files do not isolate. Runs the real pipeline (normalizeFiles).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { sniffCloudTrail } from '../../../src/sources/cloudtrail/index.js';
import { baseEventName, classify, isDenied, looksReadOnly } from '../../../src/sources/cloudtrail/categories.js';
import { mapIdentity } from '../../../src/sources/cloudtrail/identity.js';
import { mapResource } from '../../../src/sources/cloudtrail/resource.js';
import { outcomeReason, toIso } from '../../../src/sources/cloudtrail/map.js';
import { normalizeFiles } from '../../helpers/golden.js';

const tmp = mkdtempSync(join(tmpdir(), 'ct-test-'));
function file(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

const base = {
  eventVersion: '1.09',
  eventTime: '2024-05-01T10:00:00Z',
  awsRegion: 'eu-west-1',
  sourceIPAddress: '192.0.2.1',
  userAgent: 'aws-cli/2',
  eventID: 'e-1',
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
};

describe('sniff', () => {
  test('claims every CloudTrail shape', () => {
    expect(sniffCloudTrail('{"Records":[{"eventVersion":"1.08"', 'x.json')).toBeGreaterThanOrEqual(0.9);
    expect(sniffCloudTrail('  {\n  "Records" : [', 'x')).toBeGreaterThanOrEqual(0.9);
    expect(sniffCloudTrail('{"Events":[{"EventId":"1","CloudTrailEvent":"{}"}]}', 'x')).toBeGreaterThanOrEqual(0.9);
    expect(
      sniffCloudTrail(
        '[\n {"awsRegion":"x","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventVersion":"1.08"}',
        'x',
      ),
    ).toBeGreaterThanOrEqual(0.9);
    expect(
      sniffCloudTrail('{"awsAccountId":"1","digestStartTime":"2024","digestPublicKeyFingerprint":"ab"}', 'x'),
    ).toBeGreaterThanOrEqual(0.9);
    expect(
      sniffCloudTrail(
        '{"requestParameters":null,"@version":"1","eventName":"GetObject","eventSource":"s3.amazonaws.com","eventVersion":"1.05"}\n',
        'x',
      ),
    ).toBeGreaterThanOrEqual(0.9);
  });

  test('does not claim GCP LogEntry files or MySQL audit JSON', () => {
    const gcp = JSON.stringify([
      {
        protoPayload: {
          '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
          methodName: 'SetIamPolicy',
          serviceName: 'iam.googleapis.com',
        },
        logName: 'projects/p/logs/cloudaudit.googleapis.com%2Factivity',
        insertId: 'x',
        timestamp: '2024-05-01T00:00:00Z',
      },
    ]);
    expect(sniffCloudTrail(gcp, 'gcp.json')).toBeLessThan(0.5);
    const mysql =
      '[\n{ "timestamp": "2024-05-01 10:00:00", "id": 0, "class": "general", "event": "status", "connection_id": 8, "account": { "user": "root", "host": "localhost" }, "general_data": { "command": "Query", "sql_command": "select", "query": "SELECT 1" } },\n';
    expect(sniffCloudTrail(mysql, 'audit.log')).toBe(0);
    expect(
      sniffCloudTrail(
        '2024-05-01 10:00:00 UTC [1] LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<not logged>',
        'pg.log',
      ),
    ).toBe(0);
  });

  test('an S3 object name is a weak hint only', () => {
    expect(
      sniffCloudTrail(
        '{}',
        'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1010Z_abc.json.gz',
      ),
    ).toBe(0.6);
    expect(sniffCloudTrail('{}', 'x_CloudTrail_y.json.gz.expected-summary.json')).toBe(0);
  });
});

describe('event names', () => {
  test('API version suffixes are stripped for matching, names without one are kept', () => {
    expect(baseEventName('UpdateFunctionCode20150331v2')).toBe('UpdateFunctionCode');
    expect(baseEventName('ListFunctions20150331')).toBe('ListFunctions');
    expect(baseEventName('CreateUser')).toBe('CreateUser');
    expect(baseEventName('PutObject')).toBe('PutObject');
  });

  test('property: any PascalCase name plus a yyyymmdd[vN] suffix maps back to the name', () => {
    const word = fc
      .tuple(fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), fc.stringMatching(/^[a-z]{1,8}$/))
      .map(([a, b]) => a + b);
    const name = fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(''));
    fc.assert(
      fc.property(
        name,
        fc.integer({ min: 20000101, max: 20991231 }),
        fc.option(fc.integer({ min: 1, max: 9 })),
        (n, d, v) => {
          expect(baseEventName(n)).toBe(n);
          expect(baseEventName(`${n}${d}${v === null ? '' : `v${v}`}`)).toBe(n);
        },
      ),
    );
  });
});

describe('categories', () => {
  test('tables by event source and name, then readOnly', () => {
    expect(classify('signin', 'ConsoleLogin', false, null).category).toBe('authentication');
    expect(classify('sts', 'AssumeRole', true, null).category).toBe('authentication');
    expect(classify('sts', 'GetCallerIdentity', true, null).category).toBe('other');
    expect(classify('iam', 'AttachUserPolicy', false, null).category).toBe('permission_change');
    expect(classify('iam', 'CreatePolicyVersion', false, null).category).toBe('policy_change');
    expect(classify('organizations', 'AttachPolicy', false, null).category).toBe('policy_change');
    expect(classify('s3', 'PutBucketAcl', false, null).category).toBe('data_exposure');
    expect(classify('s3', 'GetObject', true, null).category).toBe('data_exposure');
    expect(classify('secretsmanager', 'GetSecretValue', true, null).category).toBe('data_exposure');
    expect(classify('lambda', 'UpdateFunctionCode', false, null).category).toBe('change_execution');
    expect(classify('ec2', 'CreateVpc', false, null).category).toBe('change_execution');
    expect(classify('ec2', 'DescribeVpcs', true, null).category).toBe('other');
  });

  test('audit logging off is flagged', () => {
    for (const n of ['StopLogging', 'DeleteTrail', 'PutEventSelectors'])
      expect(classify('cloudtrail', n, false, null).auditOff).toBe(true);
    expect(classify('cloudtrail', 'StartLogging', false, null).auditOff).toBe(false);
  });

  test('request parameters decide exposure for sharing and public access blocks', () => {
    expect(
      classify('rds', 'ModifyDBSnapshotAttribute', false, { attributeName: 'restore', valuesToAdd: ['444455556666'] })
        .category,
    ).toBe('data_exposure');
    expect(
      classify('rds', 'ModifyDBSnapshotAttribute', false, {
        attributeName: 'restore',
        valuesToRemove: ['444455556666'],
      }).category,
    ).toBe('policy_change');
    expect(
      classify('s3', 'PutBucketPublicAccessBlock', false, {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: false,
          RestrictPublicBuckets: true,
        },
      }).category,
    ).toBe('data_exposure');
    expect(
      classify('s3', 'PutBucketPublicAccessBlock', false, {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: true,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      }).category,
    ).toBe('policy_change');
    expect(classify('ssm', 'GetParameter', true, { name: '/db/pw', withDecryption: true }).category).toBe(
      'data_exposure',
    );
    expect(classify('ssm', 'GetParameter', true, { name: '/db/host' }).category).toBe('other');
  });

  test('without readOnly, the name decides and says so', () => {
    expect(classify('ec2', 'DescribeInstances', undefined, null)).toEqual({
      category: 'other',
      auditOff: false,
      basis: 'read_only_inferred',
    });
    expect(classify('ec2', 'CreateTags', undefined, null).category).toBe('change_execution');
    expect(looksReadOnly('Getaway')).toBe(false);
    expect(looksReadOnly('ListBuckets')).toBe(true);
  });

  test('denials', () => {
    for (const c of ['AccessDenied', 'Client.UnauthorizedOperation', 'AccessDeniedException'])
      expect(isDenied(c)).toBe(true);
    for (const c of ['EntityTemporarilyUnmodifiableException', 'ThrottlingException', 'Client.InvalidParameterValue'])
      expect(isDenied(c)).toBe(false);
  });
});

describe('identity', () => {
  test('IAM user, assumed role, root, federated user', () => {
    const iam = mapIdentity(
      {
        userIdentity: {
          type: 'IAMUser',
          principalId: 'AIDA1',
          arn: 'arn:aws:iam::1:user/alice',
          accountId: '1',
          accessKeyId: 'AKIA1',
          userName: 'alice',
        },
      },
      'CreateUser',
    );
    expect(iam.user).toMatchObject({
      name: 'alice',
      id: 'arn:aws:iam::1:user/alice',
      type: 'human',
      authenticated_by: 'access_key:AKIA1',
    });
    const ar = mapIdentity(
      {
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROA1:sess',
          arn: 'arn:aws:sts::1:assumed-role/Admin/sess',
          accessKeyId: 'ASIA1',
          sessionContext: {
            sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::1:role/Admin' },
            attributes: { mfaAuthenticated: 'true' },
            sourceIdentity: 'bob',
          },
        },
      },
      'PutObject',
    );
    expect(ar.user).toMatchObject({
      name: 'arn:aws:sts::1:assumed-role/Admin/sess',
      role: 'arn:aws:iam::1:role/Admin',
      session_user: 'bob',
      authenticated_by: 'access_key:ASIA1+mfa',
    });
    expect(ar.details).toMatchObject({ session_name: 'sess', mfa: true });
    const root = mapIdentity(
      { userIdentity: { type: 'Root', principalId: '1', arn: 'arn:aws:iam::1:root', accountId: '1' } },
      'DeleteUser',
    );
    expect(root.root).toBe(true);
    expect(root.user).toMatchObject({ name: 'arn:aws:iam::1:root', type: 'root' });
    const fed = mapIdentity(
      {
        userIdentity: {
          type: 'FederatedUser',
          principalId: '1:fed',
          arn: 'arn:aws:sts::1:federated-user/fed',
          sessionContext: { sessionIssuer: { type: 'IAMUser', arn: 'arn:aws:iam::1:user/u' } },
        },
      },
      'GetCallerIdentity',
    );
    expect(fed.user).toMatchObject({
      name: 'arn:aws:sts::1:federated-user/fed',
      session_user: 'arn:aws:iam::1:user/u',
    });
  });

  test('AWS service, other account, Identity Center, none', () => {
    expect(
      mapIdentity({ userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' } }, 'AssumeRole').user,
    ).toMatchObject({ name: 'ec2.amazonaws.com', type: 'service', delegation: ['ec2.amazonaws.com'] });
    const acct = mapIdentity(
      { userIdentity: { type: 'AWSAccount', principalId: 'AIDA9', accountId: '999' } },
      'Decrypt',
    );
    expect(acct.user?.name).toBe('AIDA9');
    expect(acct.details.caller_account).toBe('999');
    const ic = mapIdentity(
      {
        userIdentity: {
          type: 'IdentityCenterUser',
          accountId: '1',
          onBehalfOf: { userId: 'u-1', identityStoreArn: 'arn:aws:identitystore::1:identitystore/d-1' },
          credentialId: 'c',
        },
      },
      'Federate',
    );
    expect(ic.user).toMatchObject({ name: 'u-1', type: 'human', authenticated_by: 'identity_center' });
    const none = mapIdentity({}, 'X');
    expect(none.user).toBeUndefined();
    expect(none.missing).toMatch(/no userIdentity/);
  });

  test('a hidden sign-in user name is not taken as a name', () => {
    const r = mapIdentity(
      {
        userIdentity: { type: 'IAMUser', accountId: '1', userName: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
        additionalEventData: { MFAUsed: 'No' },
      },
      'ConsoleLogin',
    );
    expect(r.user).toMatchObject({ name: null, type: 'unknown', authenticated_by: 'console_password' });
    expect(r.details).toMatchObject({ user_name_hidden: true, mfa: false });
  });
});

describe('resource', () => {
  test('resources[] first (skipping a listed access key), else request parameters', () => {
    const r = mapResource(
      {
        ...base,
        resources: [
          { ARN: 'arn:aws:iam::1:accesskey/ASIA', type: 'AWS::IAM::AccessKey' },
          { ARN: 'arn:aws:iam::1:role/R', type: 'AWS::IAM::Role', accountId: '1' },
        ],
      },
      'sts',
    );
    expect(r.resource).toMatchObject({
      name: 'arn:aws:iam::1:role/R',
      type: 'AWS::IAM::Role',
      implicit: false,
      scope: { account: '1', region: 'eu-west-1' },
    });
    expect(
      mapResource(
        { ...base, requestParameters: { userName: 'bob', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } },
        'iam',
      ),
    ).toMatchObject({
      resource: { name: 'bob', type: 'AWS::IAM::User', implicit: true },
      details: { policy_arn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
    });
    expect(
      mapResource({ ...base, requestParameters: { bucketName: 'b', key: 'k/1.txt' } }, 's3').resource,
    ).toMatchObject({ name: 'b/k/1.txt', type: 'AWS::S3::Object' });
    expect(mapResource({ ...base, requestParameters: { name: 'trail' } }, 'cloudtrail').resource).toMatchObject({
      name: 'trail',
      type: 'AWS::CloudTrail::Trail',
    });
    expect(mapResource({ ...base, requestParameters: { name: 'x' } }, 'ec2').resource.name).toBeUndefined();
    expect(
      mapResource(
        { ...base, requestParameters: { instancesSet: { items: [{ instanceId: 'i-1' }, { instanceId: 'i-2' }] } } },
        'ec2',
      ),
    ).toMatchObject({
      resource: { name: 'i-1', type: 'AWS::EC2::Instance' },
      details: { resources: [{ id: 'i-1' }, { id: 'i-2' }] },
    });
  });
});

describe('event time', () => {
  test('property: the fast path agrees with Date for every whole-second UTC time', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        (d) => {
          const s = `${d.toISOString().slice(0, 19)}Z`;
          expect(toIso(s)).toBe(new Date(s).toISOString());
        },
      ),
    );
  });
  test('offsets and fractions go through Date; invalid times are null', () => {
    expect(toIso('2024-05-01T12:00:00.123+02:00')).toBe('2024-05-01T10:00:00.123Z');
    expect(toIso('2024-02-30T10:00:00Z')).toBeNull(); // never rolled over to March 1
    expect(toIso('2024-05-01T25:00:00Z')).toBeNull();
    expect(toIso('2016-12-31T23:59:60Z')).toBe('2016-12-31T23:59:59.999Z'); // a leap second
    expect(toIso('2024-13-01T10:00:00Z')).toBeNull();
    expect(toIso('yesterday')).toBeNull();
    expect(toIso(null)).toBeNull();
  });
});

describe('outcome reason', () => {
  test('keeps the code, cuts EC2 encoded messages and very long text', () => {
    expect(outcomeReason('AccessDenied', 'nope')).toBe('AccessDenied: nope');
    const enc = outcomeReason(
      'Client.UnauthorizedOperation',
      `You are not authorized. Encoded authorization failure message: ${'x'.repeat(500)}`,
    )!;
    expect(enc).toMatch(
      /^Client\.UnauthorizedOperation: You are not authorized\. Encoded authorization failure message: \(500 characters omitted/,
    );
    const long = outcomeReason('E', 'y'.repeat(1000))!;
    expect(long.length).toBeLessThan(360);
    expect(outcomeReason(null, null)).toBeNull();
  });
});

describe('normalize through the pipeline', () => {
  test('lookup-events: a broken CloudTrailEvent is rejected with the outer element location, the rest is read', async () => {
    const good = JSON.stringify({
      ...base,
      eventName: 'StopLogging',
      eventSource: 'cloudtrail.amazonaws.com',
      requestParameters: { name: 't' },
      readOnly: false,
      userIdentity: { type: 'IAMUser', userName: 'a' },
    });
    const p = file(
      'lookup.json',
      JSON.stringify(
        {
          Events: [
            { EventId: '1', EventName: 'StopLogging', CloudTrailEvent: good },
            { EventId: '2', EventName: 'X', CloudTrailEvent: '{"eventName": ' },
            { EventId: '3', EventName: 'Y' },
          ],
          NextToken: 'abc',
        },
        null,
        2,
      ),
    );
    const n = await normalizeFiles([p]);
    expect(n.summary.inputs[0]).toMatchObject({
      format: 'cloudtrail',
      read: 3,
      events: 1,
      rejects: 2,
      reconciled: true,
    });
    expect(n.events[0]).toMatchObject({
      action: { name: 'stop_logging' },
      source: { variant: 'lookup-events' },
      details: { audit_logging_disabled: true },
    });
    expect(n.rejects[0]).toMatchObject({
      location: { index: 1, line: 8 },
      reason: expect.stringMatching(/^CloudTrailEvent is not valid JSON/),
    });
    expect(n.rejects[1].reason).toBe('LookupEvents element without a CloudTrailEvent string');
  });

  test('objects that are not events are rejected; a failed StopLogging is an attempt, not a disabled trail', async () => {
    const p = file(
      'mixed.jsonl',
      [
        JSON.stringify({ hello: 'world' }),
        'null',
        JSON.stringify({
          ...base,
          eventName: 'StopLogging',
          eventSource: 'cloudtrail.amazonaws.com',
          readOnly: false,
          errorCode: 'AccessDenied',
          errorMessage: 'no',
          userIdentity: { type: 'IAMUser', userName: 'a' },
        }),
        JSON.stringify({
          ...base,
          eventTime: 'yesterday',
          eventName: 'ListBuckets',
          eventSource: 's3.amazonaws.com',
          readOnly: true,
        }),
      ].join('\n'),
    );
    const n = await normalizeFiles([p], 'cloudtrail');
    expect(n.summary.inputs[0]).toMatchObject({ read: 4, events: 2, rejects: 2, untimed: 1, reconciled: true });
    expect(n.rejects.map((r) => r.reason)).toEqual([
      'not a CloudTrail event: the object has neither eventName nor eventSource',
      'not a CloudTrail event: a JSON null, not an object',
    ]);
    expect(n.events[0]).toMatchObject({
      outcome: 'failure',
      privileged: { reasons: ['admin_action', 'audit_disabled'] },
      details: { denied: true, audit_logging_disable_attempted: true },
    });
    expect(n.events[0].details.audit_logging_disabled).toBeUndefined();
    expect(n.events[1]).toMatchObject({ timestamp: null, user: { name: null } });
    expect(n.summary.inputs[0].notes.join('\n')).toMatch(/no usable eventTime/);
  });
});
