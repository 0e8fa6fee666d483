// IAM policy changes in an AuditLog: who gained or lost which role (binding deltas), and what
// changed in the audit configuration (audit config deltas).
// Shapes read:
//   - `serviceData.policyDelta` (legacy `google.iam.v1.logging.AuditData`, SetIamPolicy on
//     projects, folders, organizations and most resources):
//     https://cloud.google.com/iam/docs/reference/rpc/google.iam.v1.logging#auditdata
//   - `metadata.policyDelta` / `metadata.datasetChange.bindingDeltas` (services that moved the
//     same deltas into the newer `metadata` Struct);
//   - a full policy when no delta is logged: `request.policy.bindings`, BigQuery's
//     `metadata.datasetChange.dataset.acl.policy.bindings` (BigQueryAuditMetadata):
//     https://cloud.google.com/bigquery/docs/reference/auditlogs/rest/Shared.Types/BigQueryAuditMetadata
// PolicyDelta / BindingDelta / AuditConfigDelta: https://cloud.google.com/iam/docs/reference/rpc/google.iam.v1#policydelta
import type { PermissionChange } from '../../event/types.generated.js';
import { arr, at, obj, str, type Json } from './payload.js';

/** Members that make a resource public. */
export const PUBLIC_MEMBERS = new Set(['allUsers', 'allAuthenticatedUsers']);

export interface BindingDeltas {
  changes: PermissionChange[];
  /** Where the deltas were read, for details. */
  source: string;
  /** Public members (allUsers / allAuthenticatedUsers) that were ADDED. */
  publicGrants: string[];
}

/** The binding deltas of the entry, or null when it logs none. `on` is the resource name. */
export function bindingDeltas(p: Json, resourceName: string | null): BindingDeltas | null {
  const candidates: Array<[string, unknown]> = [
    ['serviceData.policyDelta.bindingDeltas', at(p, 'serviceData', 'policyDelta', 'bindingDeltas')],
    ['metadata.policyDelta.bindingDeltas', at(p, 'metadata', 'policyDelta', 'bindingDeltas')],
    ['metadata.datasetChange.bindingDeltas', at(p, 'metadata', 'datasetChange', 'bindingDeltas')],
    ['metadata.bindingDeltas', at(p, 'metadata', 'bindingDeltas')],
  ];
  for (const [source, v] of candidates) {
    const list = arr(v);
    if (list.length === 0) continue;
    const changes: PermissionChange[] = [];
    const publicGrants: string[] = [];
    for (const d of list) {
      const o = obj(d);
      if (!o) continue;
      const action = str(o['action']); // BindingDelta.action: ADD | REMOVE
      if (action !== 'ADD' && action !== 'REMOVE') continue;
      const member = str(o['member']); // BindingDelta.member: user:..., serviceAccount:..., allUsers
      const role = str(o['role']); // BindingDelta.role: roles/...
      const condition = obj(o['condition']);
      const title = str(condition?.['title']) ?? str(condition?.['expression']);
      changes.push({
        operation: action === 'ADD' ? 'grant' : 'revoke',
        principal: member,
        privilege: role && title ? `${role} (condition: ${title})` : role,
        on: resourceName,
      });
      if (action === 'ADD' && member && PUBLIC_MEMBERS.has(member)) publicGrants.push(member);
    }
    if (changes.length) return { changes, source, publicGrants };
  }
  return null;
}

/** Public members bound in a full policy the entry carries (used when no delta is logged). */
export function publicMembersInPolicy(p: Json): string[] {
  const policies = [
    at(p, 'request', 'policy'), // SetIamPolicyRequest.policy
    at(p, 'response'), // the policy as set (SetIamPolicy returns a Policy)
    at(p, 'metadata', 'datasetChange', 'dataset', 'acl', 'policy'), // BigQueryAuditMetadata
  ];
  const found = new Set<string>();
  for (const pol of policies) {
    for (const b of arr(obj(pol)?.['bindings'])) {
      for (const m of arr(obj(b)?.['members'])) if (typeof m === 'string' && PUBLIC_MEMBERS.has(m)) found.add(m);
    }
  }
  return [...found];
}

export interface AuditConfigDeltas {
  deltas: Array<{
    action: string | null;
    service: string | null;
    log_type: string | null;
    exempted_member: string | null;
  }>;
  /** True when a delta reduces audit logging: a log type removed, or a member exempted. */
  reducesLogging: boolean;
}

/** `serviceData.policyDelta.auditConfigDeltas` (or the same under `metadata`). */
export function auditConfigDeltas(p: Json): AuditConfigDeltas | null {
  const list = arr(at(p, 'serviceData', 'policyDelta', 'auditConfigDeltas'));
  const src = list.length ? list : arr(at(p, 'metadata', 'policyDelta', 'auditConfigDeltas'));
  if (src.length === 0) return null;
  const deltas = src.map((d) => {
    const o = obj(d) ?? {};
    return {
      action: str(o['action']), // AuditConfigDelta.action: ADD | REMOVE
      service: str(o['service']), // e.g. allServices, storage.googleapis.com
      log_type: str(o['logType']), // DATA_READ | DATA_WRITE | ADMIN_READ
      exempted_member: str(o['exemptedMember']),
    };
  });
  const reducesLogging = deltas.some(
    (d) => (d.action === 'REMOVE' && !d.exempted_member) || (d.action === 'ADD' && d.exempted_member !== null),
  );
  return { deltas, reducesLogging };
}
