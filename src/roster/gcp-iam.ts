// The GCP administrator roster, from the IAM policies of the configured organization, folders and
// projects (Resource Manager getIamPolicy, policy version 3, the real client): principals holding
// roles/owner, roles/editor, any *.admin / *Admin role (logging.admin, resourcemanager.*Admin,
// iam.securityAdmin, ...). Groups are listed as groups (their members are not expanded); a
// conditional binding says so. Custom roles are judged by their permissions, read from IAM
// (roles.get) or given in the config (custom_roles): a role that can change access (*.setIamPolicy,
// iam.roles.create/update), act as a service account (keys, tokens, actAs) or hide or erase audit
// logs (logging sinks, buckets, logs delete) is admin; one whose permissions could not be had is
// listed as not judged with why, never silently taken or dropped.
import type { RosterEntry } from '../privilege/roster.js';

export const ADMIN_ROLE = /^roles\/(owner|editor|iam\.securityAdmin|[\w.]+\.admin|[\w.]+Admin)$/;
const CUSTOM_ROLE = /^(projects|organizations)\/[^/]+\/roles\//;

interface Binding {
  role?: string | null;
  members?: string[] | null;
  condition?: { title?: string | null; expression?: string | null } | null;
}
type GetPolicy = (resource: string) => Promise<{ bindings?: Binding[] | null }>;

export interface GcpRosterResult {
  entries: RosterEntry[];
  facts: {
    read: Array<{ resource: string; bindings: number; error: string | null }>;
    admins: Array<{ member: string; role: string; on: string; conditional: string | null }>;
    custom_roles_judged: Array<{
      role: string;
      admin: boolean;
      why: string;
      permissions_from: string;
      on: string;
      members: string[];
    }>;
    custom_roles_not_judged: Array<{ role: string; on: string; members: string[]; why: string }>;
  };
}

/** A custom role's permissions, and where they were read; null permissions with why when not had. */
export type RolePermissions = (role: string) => Promise<{ permissions: string[] | null; from: string; why?: string }>;

const ADMIN_PERMISSIONS: Array<[RegExp, string]> = [
  [/\.setIamPolicy$/, 'can change who has access'],
  [/^iam\.roles\.(create|update)$/, 'can define roles'],
  [
    /^iam\.serviceAccount(Keys\.create|s\.(getAccessToken|actAs|implicitDelegation|signBlob|signJwt|getOpenIdToken))$/,
    'can act as a service account',
  ],
  [
    /^logging\.(sinks\.(delete|update)|buckets\.(delete|update)|logs\.delete|settings\.update)$/,
    'can hide or erase audit logs',
  ],
];

/** Why a set of permissions makes a role admin, or null. */
export function adminPermissions(perms: string[]): string | null {
  const hits: string[] = [];
  for (const [re, what] of ADMIN_PERMISSIONS) {
    const p = perms.filter((x) => re.test(x));
    if (p.length) hits.push(`${what} (${p.slice(0, 3).join(', ')}${p.length > 3 ? `, ${p.length - 3} more` : ''})`);
  }
  return hits.length ? hits.join('; ') : null;
}

/** The principal as events name it: user:/serviceAccount: prefixes dropped; groups and domains kept whole. */
function principalOf(member: string): string {
  const m = /^(user|serviceAccount):(.+)$/.exec(member);
  return m ? m[2]! : member;
}

type RoleRead = Awaited<ReturnType<RolePermissions>>;

/** A custom role's permissions, read once per role (or why they could not be). */
async function customRole(
  role: string,
  cache: Map<string, RoleRead>,
  rolePermissions: RolePermissions | undefined,
): Promise<RoleRead> {
  let got = cache.get(role);
  if (got) return got;
  try {
    got = rolePermissions
      ? await rolePermissions(role)
      : {
          permissions: null,
          from: 'nowhere',
          why: 'its permissions are not read (set custom_roles in the config, or give the reader iam.roles.get)',
        };
  } catch (e) {
    got = { permissions: null, from: 'IAM roles.get', why: `IAM roles.get failed: ${(e as Error).message}` };
  }
  cache.set(role, got);
  return got;
}

export async function readGcpAdmins(
  resources: string[],
  getPolicy: (resource: string) => GetPolicy,
  origin: string,
  instance: string,
  rolePermissions?: RolePermissions,
): Promise<GcpRosterResult> {
  const facts: GcpRosterResult['facts'] = {
    read: [],
    admins: [],
    custom_roles_judged: [],
    custom_roles_not_judged: [],
  };
  const roleCache = new Map<string, RoleRead>();
  const entries: RosterEntry[] = [];
  for (const resource of resources) {
    let policy;
    try {
      policy = await getPolicy(resource)(resource);
    } catch (e) {
      facts.read.push({ resource, bindings: 0, error: (e as Error).message });
      continue;
    }
    const bindings = policy.bindings ?? [];
    facts.read.push({ resource, bindings: bindings.length, error: null });
    for (const b of bindings) {
      const role = b.role ?? '';
      const members = b.members ?? [];
      let customWhy: string | null = null;
      if (CUSTOM_ROLE.test(role)) {
        const got = await customRole(role, roleCache, rolePermissions);
        if (!got.permissions) {
          facts.custom_roles_not_judged.push({
            role,
            on: resource,
            members,
            why: got.why ?? 'its permissions could not be read',
          });
          continue;
        }
        customWhy = adminPermissions(got.permissions);
        facts.custom_roles_judged.push({
          role,
          admin: customWhy !== null,
          why:
            customWhy ??
            `none of its ${got.permissions.length} permissions changes access, acts as a service account or touches audit logs`,
          permissions_from: got.from,
          on: resource,
          members,
        });
        if (!customWhy) continue;
      } else if (!ADMIN_ROLE.test(role)) continue;
      const conditional = b.condition ? b.condition.title || b.condition.expression || 'a condition' : null;
      for (const member of members) {
        facts.admins.push({ member, role, on: resource, conditional });
        const kind = member.startsWith('group:') ? 'group (members not expanded)' : member.split(':')[0];
        entries.push({
          principal: principalOf(member),
          reason: `gcp ${role}${customWhy ? ` (custom role: ${customWhy})` : ''} on ${resource}${conditional ? ` (conditional: ${conditional})` : ''}${kind === 'group (members not expanded)' ? `, a ${kind}` : ''}`,
          origin,
          instance,
        });
      }
    }
  }
  return { entries, facts };
}
