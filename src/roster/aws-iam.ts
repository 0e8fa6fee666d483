// The AWS administrator roster, from IAM's own account authorization details
// (GetAccountAuthorizationDetails, every page): users, roles and groups that hold
// AdministratorAccess or IAMFullAccess, or an attached or inline policy allowing "*" or "iam:*",
// users through their groups, and the account's root user. Each entry names where and when it was
// read; events by these principals are marked privileged with the reason 'roster:<why>'.
import { GetAccountAuthorizationDetailsCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { RosterEntry } from '../privilege/roster.js';

const ADMIN_MANAGED = new Map([
  ['arn:aws:iam::aws:policy/AdministratorAccess', 'AdministratorAccess'],
  ['arn:aws:iam::aws:policy/IAMFullAccess', 'IAMFullAccess'],
]);

type Doc = { Statement?: unknown };

/** Parses an IAM policy document as the API returns it (URL-encoded JSON). */
export function parsePolicyDocument(text: string | undefined): Doc | null {
  if (!text) return null;
  for (const t of [
    text,
    (() => {
      try {
        return decodeURIComponent(text);
      } catch {
        return text;
      }
    })(),
  ]) {
    try {
      return JSON.parse(t) as Doc;
    } catch {
      /* try the decoded form */
    }
  }
  return null;
}

/** The admin grant a policy document allows ("*" or "iam:*" on any resource), or null. */
export function adminGrant(doc: Doc | null): string | null {
  if (!doc) return null;
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  for (const s of statements as Array<Record<string, unknown>>) {
    if (s.Effect !== 'Allow' || s.NotAction !== undefined) continue;
    const actions = ([] as unknown[]).concat(s.Action ?? []).map(String);
    const hit = actions.find((a) => a === '*' || a.toLowerCase() === 'iam:*');
    if (hit) return `allows ${hit}`;
  }
  return null;
}

export interface AwsRosterResult {
  entries: RosterEntry[];
  facts: {
    account: string | null;
    users: number;
    roles: number;
    groups: number;
    admins: Array<{ principal: string; kind: string; reason: string }>;
  };
}

type Detail = Record<string, unknown>;

/** Every user, role, group and customer managed policy of the account, all pages. */
async function readAuthorizationDetails(
  iam: IAMClient,
): Promise<{ users: Detail[]; roles: Detail[]; groups: Detail[]; policies: Detail[] }> {
  const users: Detail[] = [];
  const roles: Detail[] = [];
  const groups: Detail[] = [];
  const policies: Detail[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(
      new GetAccountAuthorizationDetailsCommand({
        Filter: ['User', 'Role', 'Group', 'LocalManagedPolicy'],
        Marker: marker,
      }),
    );
    users.push(...((page.UserDetailList ?? []) as Detail[]));
    roles.push(...((page.RoleDetailList ?? []) as Detail[]));
    groups.push(...((page.GroupDetailList ?? []) as Detail[]));
    policies.push(...((page.Policies ?? []) as Detail[]));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return { users, roles, groups, policies };
}

/** Customer managed policies that grant admin: by ARN, from their default version's document. */
function localAdminPolicies(policies: Detail[]): Map<string, string> {
  const localAdmin = new Map<string, string>();
  for (const p of policies) {
    const def = ((p.PolicyVersionList ?? []) as Detail[]).find((v) => v.IsDefaultVersion === true);
    const g = adminGrant(parsePolicyDocument(def?.Document as string | undefined));
    if (g) localAdmin.set(String(p.Arn), `policy ${String(p.PolicyName)} ${g}`);
  }
  return localAdmin;
}

export async function readAwsAdmins(
  iam: IAMClient,
  origin: string,
  instance: string,
  account: string | null,
): Promise<AwsRosterResult> {
  const { users, roles, groups, policies } = await readAuthorizationDetails(iam);
  const localAdmin = localAdminPolicies(policies);
  const attachedReason = (list: unknown): string | null => {
    for (const a of (list ?? []) as Array<{ PolicyArn?: string; PolicyName?: string }>) {
      const arn = a.PolicyArn ?? '';
      if (ADMIN_MANAGED.has(arn)) return `${ADMIN_MANAGED.get(arn)} attached`;
      if (localAdmin.has(arn)) return `${localAdmin.get(arn)} attached`;
    }
    return null;
  };
  const inlineReason = (list: unknown): string | null => {
    for (const p of (list ?? []) as Array<{ PolicyName?: string; PolicyDocument?: string }>) {
      const g = adminGrant(parsePolicyDocument(p.PolicyDocument));
      if (g) return `inline policy ${p.PolicyName} ${g}`;
    }
    return null;
  };

  const admins: AwsRosterResult['facts']['admins'] = [];
  const entries: RosterEntry[] = [];
  const add = (names: Array<string | undefined>, kind: string, reason: string) => {
    const shown = names.find(Boolean)!;
    admins.push({ principal: shown, kind, reason });
    for (const n of new Set(names.filter((x): x is string => !!x)))
      entries.push({ principal: n, reason: `aws ${kind}: ${reason}`, origin, instance });
  };
  const adminGroups = new Map<string, string>();
  for (const g of groups) {
    const why = attachedReason(g.AttachedManagedPolicies) ?? inlineReason(g.GroupPolicyList);
    if (why) {
      adminGroups.set(String(g.GroupName), why);
      add([String(g.Arn), String(g.GroupName)], 'group', why);
    }
  }
  for (const u of users) {
    const own = attachedReason(u.AttachedManagedPolicies) ?? inlineReason(u.UserPolicyList);
    const viaGroup = ((u.GroupList ?? []) as string[]).find((g) => adminGroups.has(g));
    const why = own ?? (viaGroup ? `member of group ${viaGroup} (${adminGroups.get(viaGroup)})` : null);
    if (why) add([String(u.UserName), String(u.Arn), u.UserId as string | undefined], 'user', why);
  }
  for (const r of roles) {
    const why = attachedReason(r.AttachedManagedPolicies) ?? inlineReason(r.RolePolicyList);
    if (why) add([String(r.Arn), String(r.RoleName)], 'role', why);
  }
  const acct =
    account ??
    [...users, ...roles, ...groups]
      .map((x) => /^arn:aws[\w-]*:iam::(\d{12}):/.exec(String(x.Arn))?.[1])
      .find(Boolean) ??
    null;
  if (acct) add([`arn:aws:iam::${acct}:root`], 'root', 'the account root user');
  return { entries, facts: { account: acct, users: users.length, roles: roles.length, groups: groups.length, admins } };
}
