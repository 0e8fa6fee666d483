// The GCP administrator roster, from the IAM policies of the configured organization, folders and
// projects (Resource Manager getIamPolicy, policy version 3, the real client): principals holding
// roles/owner, roles/editor, any *.admin / *Admin role (logging.admin, resourcemanager.*Admin,
// iam.securityAdmin, ...). Groups are listed as groups (their members are not expanded); a
// conditional binding says so. Custom roles cannot be judged without their permissions (IAM's
// roles.get), so they are listed in the facts as not judged, never silently taken or dropped.
import type { RosterEntry } from '../privilege/roster.js';

export const ADMIN_ROLE = /^roles\/(owner|editor|iam\.securityAdmin|[\w.]+\.admin|[\w.]+Admin)$/;
const CUSTOM_ROLE = /^(projects|organizations)\/[^/]+\/roles\//;

interface Binding { role?: string | null; members?: string[] | null; condition?: { title?: string | null; expression?: string | null } | null }
type GetPolicy = (resource: string) => Promise<{ bindings?: Binding[] | null }>;

export interface GcpRosterResult {
  entries: RosterEntry[];
  facts: { read: Array<{ resource: string; bindings: number; error: string | null }>; admins: Array<{ member: string; role: string; on: string; conditional: string | null }>; custom_roles_not_judged: Array<{ role: string; on: string; members: string[] }> };
}

/** The principal as events name it: user:/serviceAccount: prefixes dropped; groups and domains kept whole. */
function principalOf(member: string): string {
  const m = /^(user|serviceAccount):(.+)$/.exec(member);
  return m ? m[2]! : member;
}

export async function readGcpAdmins(resources: string[], getPolicy: (resource: string) => GetPolicy, origin: string, instance: string): Promise<GcpRosterResult> {
  const facts: GcpRosterResult['facts'] = { read: [], admins: [], custom_roles_not_judged: [] };
  const entries: RosterEntry[] = [];
  for (const resource of resources) {
    let policy;
    try { policy = await getPolicy(resource)(resource); } catch (e) {
      facts.read.push({ resource, bindings: 0, error: (e as Error).message });
      continue;
    }
    const bindings = policy.bindings ?? [];
    facts.read.push({ resource, bindings: bindings.length, error: null });
    for (const b of bindings) {
      const role = b.role ?? '';
      const members = b.members ?? [];
      if (CUSTOM_ROLE.test(role)) { facts.custom_roles_not_judged.push({ role, on: resource, members }); continue; }
      if (!ADMIN_ROLE.test(role)) continue;
      const conditional = b.condition ? (b.condition.title || b.condition.expression || 'a condition') : null;
      for (const member of members) {
        facts.admins.push({ member, role, on: resource, conditional });
        const kind = member.startsWith('group:') ? 'group (members not expanded)' : member.split(':')[0];
        entries.push({ principal: principalOf(member), reason: `gcp ${role} on ${resource}${conditional ? ` (conditional: ${conditional})` : ''}${kind === 'group (members not expanded)' ? `, a ${kind}` : ''}`, origin, instance });
      }
    }
  }
  return { entries, facts };
}
