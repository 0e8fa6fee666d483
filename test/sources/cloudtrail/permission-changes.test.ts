// Audit finding: fixtures/cloudtrail/stratus-red-team__aws.persistence.iam-create-admin-user.json record 0
// (AttachUserPolicy arn:aws:iam::aws:policy/AdministratorAccess to malicious-iam-user) was a
// permission_change with permission_changes null, where SQL GRANT and GCP SetIamPolicy state the delta.
import { expect, test } from 'vitest';
import { iamPermissionChanges } from '../../../src/sources/cloudtrail/permission-changes.js';
import { normalizeFiles } from '../../helpers/golden.js';

test('IAM attach/detach/put/delete policy and group membership calls state their delta', () => {
  expect(
    iamPermissionChanges('iam', 'AttachUserPolicy', {
      userName: 'malicious-iam-user',
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    }),
  ).toEqual([
    {
      operation: 'grant',
      principal: 'malicious-iam-user',
      privilege: 'arn:aws:iam::aws:policy/AdministratorAccess',
      on: null,
    },
  ]);
  expect(iamPermissionChanges('iam', 'DetachRolePolicy', { roleName: 'r', policyArn: 'arn:p' })).toEqual([
    { operation: 'revoke', principal: 'r', privilege: 'arn:p', on: null },
  ]);
  expect(
    iamPermissionChanges('iam', 'PutGroupPolicy', { groupName: 'g', policyName: 'inline', policyDocument: '{}' }),
  ).toEqual([{ operation: 'grant', principal: 'g', privilege: 'inline', on: null }]);
  expect(iamPermissionChanges('iam', 'AddUserToGroup', { groupName: 'admins', userName: 'bob' })).toEqual([
    { operation: 'grant', principal: 'bob', privilege: 'admins', on: null },
  ]);
  expect(iamPermissionChanges('iam', 'CreateUser', { userName: 'bob' })).toBeNull();
  expect(iamPermissionChanges('iam', 'AttachUserPolicy', null)).toBeNull();
  expect(iamPermissionChanges('s3', 'AttachUserPolicy', { userName: 'x', policyArn: 'y' })).toBeNull();
});

test('the stratus AttachUserPolicy record carries the grant', async () => {
  const { events } = await normalizeFiles(
    ['fixtures/cloudtrail/stratus-red-team__aws.persistence.iam-create-admin-user.json'],
    'cloudtrail',
  );
  const attach = events.find((e) => e.action.source_name === 'AttachUserPolicy')!;
  expect(attach.category).toBe('permission_change');
  expect(attach.permission_changes).toEqual([
    {
      operation: 'grant',
      principal: 'malicious-iam-user',
      privilege: 'arn:aws:iam::aws:policy/AdministratorAccess',
      on: null,
    },
  ]);
  expect(events.find((e) => e.action.source_name === 'CreateUser')!.permission_changes).toBeNull();
});

// Audit finding: the AWSLogs fixture's RunInstances record, made by the AssumedRole session
// assumed-role/AWSServiceRoleForAutoScaling/AutoScaling (issuer role/aws-service-role/autoscaling.amazonaws.com/...,
// invokedBy autoscaling.amazonaws.com), had user.type unknown while userIdentity.type AWSService is `service`.
test('a service-linked role session is a service identity', async () => {
  const { mapIdentity } = await import('../../../src/sources/cloudtrail/identity.js');
  const rec = {
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEAUTOSCAL1:AutoScaling',
      arn: 'arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForAutoScaling/AutoScaling',
      accountId: '123456789012',
      invokedBy: 'autoscaling.amazonaws.com',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          arn: 'arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
        },
      },
    },
  };
  expect(mapIdentity(rec, 'RunInstances').user?.type).toBe('service');
  const plain = structuredClone(rec);
  plain.userIdentity.sessionContext.sessionIssuer.arn = 'arn:aws:iam::123456789012:role/Admin';
  expect(mapIdentity(plain, 'RunInstances').user?.type).toBe('unknown');
});
