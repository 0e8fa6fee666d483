// The privilege deltas of IAM calls that grant or take away permissions, read from
// requestParameters, so that "AttachUserPolicy AdministratorAccess to malicious-iam-user" carries
// the same permission_changes as SQL's GRANT and GCP's SetIamPolicy bindingDeltas.
// Request parameters: https://docs.aws.amazon.com/IAM/latest/APIReference/API_Operations.html
// (AttachUserPolicy: UserName + PolicyArn; PutRolePolicy: RoleName + PolicyName; AddUserToGroup:
// GroupName + UserName; CloudTrail writes them in lower camel case).
import type { PermissionChange } from '../../event/types.generated.js';

type Obj = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** eventName -> [operation, request parameter naming the principal, parameter naming the privilege]. */
const IAM_DELTAS: Record<string, ['grant' | 'revoke', string, string]> = {
  AttachUserPolicy: ['grant', 'userName', 'policyArn'],
  AttachRolePolicy: ['grant', 'roleName', 'policyArn'],
  AttachGroupPolicy: ['grant', 'groupName', 'policyArn'],
  DetachUserPolicy: ['revoke', 'userName', 'policyArn'],
  DetachRolePolicy: ['revoke', 'roleName', 'policyArn'],
  DetachGroupPolicy: ['revoke', 'groupName', 'policyArn'],
  PutUserPolicy: ['grant', 'userName', 'policyName'], // inline policy
  PutRolePolicy: ['grant', 'roleName', 'policyName'],
  PutGroupPolicy: ['grant', 'groupName', 'policyName'],
  DeleteUserPolicy: ['revoke', 'userName', 'policyName'],
  DeleteRolePolicy: ['revoke', 'roleName', 'policyName'],
  DeleteGroupPolicy: ['revoke', 'groupName', 'policyName'],
  AddUserToGroup: ['grant', 'userName', 'groupName'], // the user gains the group's permissions
  RemoveUserFromGroup: ['revoke', 'userName', 'groupName'],
};

/**
 * The permission_changes of an IAM call (eventSource iam.amazonaws.com), or null when the call is
 * not one of the above or the record omits the parameters (failed calls may keep them: the delta
 * is what was asked for; the event's outcome says whether it happened).
 */
export function iamPermissionChanges(
  service: string,
  eventName: string | null,
  rp: Obj | null,
): PermissionChange[] | null {
  if (service !== 'iam' || !eventName || !rp) return null;
  const d = IAM_DELTAS[eventName];
  if (!d) return null;
  const principal = str(rp[d[1]]); // requestParameters.userName / roleName / groupName
  const privilege = str(rp[d[2]]); // requestParameters.policyArn / policyName / groupName
  if (!principal || !privilege) return null;
  return [{ operation: d[0], principal, privilege, on: null }];
}
