// Audit finding: fixtures/cloudtrail/stratus-red-team__aws.persistence.iam-create-admin-user.json record 0
// (AttachUserPolicy arn:aws:iam::aws:policy/AdministratorAccess to malicious-iam-user) was a
// permission_change with permission_changes null, where SQL GRANT and GCP SetIamPolicy state the delta.
import { expect, test } from 'vitest';
import { iamPermissionChanges } from '../../../src/sources/cloudtrail/permission-changes.js';
import { normalizeFiles } from '../../helpers/golden.js';

test('IAM attach/detach/put/delete policy and group membership calls state their delta', () => {
  expect(iamPermissionChanges('iam', 'AttachUserPolicy', { userName: 'malicious-iam-user', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }))
    .toEqual([{ operation: 'grant', principal: 'malicious-iam-user', privilege: 'arn:aws:iam::aws:policy/AdministratorAccess', on: null }]);
  expect(iamPermissionChanges('iam', 'DetachRolePolicy', { roleName: 'r', policyArn: 'arn:p' }))
    .toEqual([{ operation: 'revoke', principal: 'r', privilege: 'arn:p', on: null }]);
  expect(iamPermissionChanges('iam', 'PutGroupPolicy', { groupName: 'g', policyName: 'inline', policyDocument: '{}' }))
    .toEqual([{ operation: 'grant', principal: 'g', privilege: 'inline', on: null }]);
  expect(iamPermissionChanges('iam', 'AddUserToGroup', { groupName: 'admins', userName: 'bob' }))
    .toEqual([{ operation: 'grant', principal: 'bob', privilege: 'admins', on: null }]);
  expect(iamPermissionChanges('iam', 'CreateUser', { userName: 'bob' })).toBeNull();
  expect(iamPermissionChanges('iam', 'AttachUserPolicy', null)).toBeNull();
  expect(iamPermissionChanges('s3', 'AttachUserPolicy', { userName: 'x', policyArn: 'y' })).toBeNull();
});

test('the stratus AttachUserPolicy record carries the grant', async () => {
  const { events } = await normalizeFiles(['fixtures/cloudtrail/stratus-red-team__aws.persistence.iam-create-admin-user.json'], 'cloudtrail');
  const attach = events.find((e) => e.action.source_name === 'AttachUserPolicy')!;
  expect(attach.category).toBe('permission_change');
  expect(attach.permission_changes).toEqual([{ operation: 'grant', principal: 'malicious-iam-user', privilege: 'arn:aws:iam::aws:policy/AdministratorAccess', on: null }]);
  expect(events.find((e) => e.action.source_name === 'CreateUser')!.permission_changes).toBeNull();
});
