// The AWS administrators that IAM Identity Center (SSO) hands out, read from the organization's
// management account (or the delegated administrator): every permission set (ListPermissionSets,
// DescribePermissionSet), judged by its AWS managed policies (AdministratorAccess, IAMFullAccess)
// and its inline policy ("*" or "iam:*"); for each admin permission set, the accounts it is
// provisioned to (ListAccountsForProvisionedPermissionSet) and who is assigned there
// (ListAccountAssignments: users and groups by Identity Store id).
//
// In CloudTrail an SSO session acts as the role Identity Center creates in each account,
// arn:aws:iam::ACCOUNT:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_<PermissionSet>_<hex>,
// whose suffix the admin API does not give: the roster entry names the role with a * for it (a
// roster * matches letters and digits only, so AWSReservedSSO_Admin_* never matches the role of a
// permission set named Admin_ReadOnly). Events of that role are marked privileged.
// What cannot be judged is said in the facts: customer managed policy references (their documents
// live in each member account) and assignees' names (Identity Store ids; identitystore is not read).
import {
  DescribePermissionSetCommand,
  GetInlinePolicyForPermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListAccountsForProvisionedPermissionSetCommand,
  ListCustomerManagedPolicyReferencesInPermissionSetCommand,
  ListInstancesCommand,
  ListManagedPoliciesInPermissionSetCommand,
  ListPermissionSetsCommand,
  type SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import type { RosterEntry } from '../privilege/roster.js';
import { adminGrant, parsePolicyDocument } from './aws-iam.js';

const ADMIN_MANAGED = new Map([
  ['arn:aws:iam::aws:policy/AdministratorAccess', 'AdministratorAccess'],
  ['arn:aws:iam::aws:policy/IAMFullAccess', 'IAMFullAccess'],
]);

export interface SsoRosterResult {
  entries: RosterEntry[];
  facts: {
    instances: string[];
    permission_sets: number;
    admin_permission_sets: Array<{
      name: string;
      arn: string;
      why: string;
      accounts: Array<{ account: string; assignments: Array<{ type: string; id: string }> }>;
    }>;
    not_judged: Array<{ permission_set: string; why: string }>;
    assignees_not_named: string;
  };
}

async function all<T>(
  fetch: (token: string | undefined) => Promise<{ items: T[] | undefined; next: string | undefined }>,
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const p = await fetch(token);
    out.push(...(p.items ?? []));
    token = p.next;
  } while (token);
  return out;
}

type Facts = SsoRosterResult['facts'];
type AccountAssignments = Facts['admin_permission_sets'][number]['accounts'];

/** Why a permission set grants administrator access, or null; customer-managed references it cannot judge go to facts.not_judged. */
async function adminReason(
  sso: SSOAdminClient,
  InstanceArn: string,
  PermissionSetArn: string,
  name: string,
  facts: Facts,
): Promise<string | null> {
  const managed = await all(async (t) => {
    const r = await sso.send(
      new ListManagedPoliciesInPermissionSetCommand({ InstanceArn, PermissionSetArn, NextToken: t }),
    );
    return { items: r.AttachedManagedPolicies, next: r.NextToken };
  });
  for (const m of managed) if (m.Arn && ADMIN_MANAGED.has(m.Arn)) return `${ADMIN_MANAGED.get(m.Arn)} attached`;
  const inline = await sso.send(new GetInlinePolicyForPermissionSetCommand({ InstanceArn, PermissionSetArn }));
  const g = adminGrant(parsePolicyDocument(inline.InlinePolicy));
  if (g) return `inline policy ${g}`;
  const refs = await all(async (t) => {
    const r = await sso.send(
      new ListCustomerManagedPolicyReferencesInPermissionSetCommand({
        InstanceArn,
        PermissionSetArn,
        NextToken: t,
      }),
    );
    return { items: r.CustomerManagedPolicyReferences, next: r.NextToken };
  });
  if (refs.length)
    facts.not_judged.push({
      permission_set: name,
      why: `customer managed policies ${refs.map((r) => `${r.Path ?? '/'}${r.Name}`).join(', ')} are defined in each member account; their documents are not read here`,
    });
  return null;
}

/** The accounts an administrator permission set is provisioned to, with who is assigned in each. */
async function assignmentsByAccount(
  sso: SSOAdminClient,
  InstanceArn: string,
  PermissionSetArn: string,
): Promise<AccountAssignments> {
  const accounts = await all(async (t) => {
    const r = await sso.send(
      new ListAccountsForProvisionedPermissionSetCommand({ InstanceArn, PermissionSetArn, NextToken: t }),
    );
    return { items: r.AccountIds, next: r.NextToken };
  });
  const perAccount: AccountAssignments = [];
  for (const AccountId of accounts) {
    const as = await all(async (t) => {
      const r = await sso.send(
        new ListAccountAssignmentsCommand({ InstanceArn, AccountId, PermissionSetArn, NextToken: t }),
      );
      return { items: r.AccountAssignments, next: r.NextToken };
    });
    const assignments = as.map((a) => ({ type: a.PrincipalType ?? 'UNKNOWN', id: a.PrincipalId ?? '?' }));
    perAccount.push({ account: AccountId, assignments });
  }
  return perAccount;
}

export async function readSsoAdmins(
  sso: SSOAdminClient,
  origin: string,
  instance: string | null,
): Promise<SsoRosterResult> {
  const facts: Facts = {
    instances: [],
    permission_sets: 0,
    admin_permission_sets: [],
    not_judged: [],
    assignees_not_named:
      'assignees are Identity Store user and group ids: their names are not read (identitystore:DescribeUser/DescribeGroup), and group members are not expanded',
  };
  const entries: RosterEntry[] = [];
  const instances = await all(async (t) => {
    const r = await sso.send(new ListInstancesCommand({ NextToken: t }));
    return { items: r.Instances, next: r.NextToken };
  });
  for (const inst of instances) {
    const InstanceArn = inst.InstanceArn;
    if (!InstanceArn) continue;
    facts.instances.push(InstanceArn);
    const sets = await all(async (t) => {
      const r = await sso.send(new ListPermissionSetsCommand({ InstanceArn, NextToken: t }));
      return { items: r.PermissionSets, next: r.NextToken };
    });
    facts.permission_sets += sets.length;
    for (const PermissionSetArn of sets) {
      const d = await sso.send(new DescribePermissionSetCommand({ InstanceArn, PermissionSetArn }));
      const name = d.PermissionSet?.Name ?? PermissionSetArn;
      const why = await adminReason(sso, InstanceArn, PermissionSetArn, name, facts);
      if (!why) continue;
      const perAccount = await assignmentsByAccount(sso, InstanceArn, PermissionSetArn);
      for (const { account: AccountId, assignments } of perAccount) {
        const who = assignments.length
          ? assignments.map((a) => `${a.type.toLowerCase()} ${a.id}`).join(', ')
          : 'nobody assigned';
        entries.push({
          principal: `arn:aws:iam::${AccountId}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_${name}_*`,
          reason: `aws sso permission set ${name} (${why}) in account ${AccountId}, assigned to ${who}`,
          origin,
          instance,
        });
      }
      facts.admin_permission_sets.push({ name, arn: PermissionSetArn, why, accounts: perAccount });
    }
  }
  return { entries, facts };
}
