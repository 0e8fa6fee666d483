// Binding deltas of a Bytebase SetIamPolicy (WorkspaceService, ProjectService).
// The request holds the policy as submitted and the response the policy as stored: both are the
// policy AFTER the change, so comparing them shows nothing. What changed is read from, in order:
//   1. `serviceData.policyDelta.bindingDeltas` (bytebase.v1.AuditData, written by newer servers for
//      project policies): the deltas as the server computed them;
//   2. the previous SetIamPolicy of the same resource in the same input, when its response etag is
//      the etag this request was made against (`request.etag`, optimistic concurrency): then the
//      previous response is exactly the policy before, and the difference is exact;
//   3. otherwise nothing is computed (the event keeps the number of bindings set; a note says why).
import type { PermissionChange } from '../../event/types.generated.js';
import { arr, at, obj, str, type Json } from '../gcp-audit/payload.js';

export interface PolicySnapshot {
  etag: string | null;
  bindings: Set<string>;
}

const SEP = '\u0000';

function bindingKey(role: string, condition: string | null, member: string): string {
  return [role, condition ?? '', member].join(SEP);
}

function conditionText(c: unknown): string | null {
  const o = obj(c);
  return str(o?.['title']) ?? str(o?.['expression']);
}

/** The (role, condition, member) triples of a policy object (`{bindings: [...]}`). */
export function policyBindings(policy: unknown): Set<string> | null {
  const p = obj(policy);
  if (!p || !Array.isArray(p['bindings'])) return null;
  const out = new Set<string>();
  for (const b of arr(p['bindings'])) {
    const bo = obj(b);
    const role = str(bo?.['role']);
    if (!role) continue;
    for (const m of arr(bo?.['members']))
      if (typeof m === 'string' && m) out.add(bindingKey(role, conditionText(bo?.['condition']), m));
  }
  return out;
}

function change(op: 'grant' | 'revoke', key: string, on: string | null): PermissionChange {
  const [role, cond, member] = key.split(SEP) as [string, string, string];
  return { operation: op, principal: member, privilege: cond ? `${role} (condition: ${cond})` : role, on };
}

export interface IamFacts {
  changes: PermissionChange[] | null;
  /** Where the deltas come from: service_data, previous_policy, or null. */
  basis: string | null;
  /** The stored policy after this call, to remember for the next call on the resource. */
  after: PolicySnapshot | null;
  /** Members bound that make the workspace or project open to everyone (allUsers). */
  publicMembers: string[];
}

export function iamFacts(
  request: Json | null,
  response: Json | null,
  serviceData: unknown,
  on: string | null,
  previous: PolicySnapshot | undefined,
): IamFacts {
  const afterSet = policyBindings(response) ?? policyBindings(request?.['policy']);
  const after = afterSet ? { etag: str(response?.['etag']) ?? null, bindings: afterSet } : null;
  const publicMembers = afterSet
    ? [...new Set([...afterSet].map((k) => k.split(SEP)[2]!).filter((m) => m === 'allUsers'))]
    : [];

  const deltas = arr(at(serviceData, 'policyDelta', 'bindingDeltas'));
  if (deltas.length) {
    const changes: PermissionChange[] = [];
    for (const d of deltas) {
      const o = obj(d);
      const action = str(o?.['action']);
      if (action !== 'ADD' && action !== 'REMOVE') continue;
      const role = str(o?.['role']);
      const cond = conditionText(o?.['condition']);
      changes.push({
        operation: action === 'ADD' ? 'grant' : 'revoke',
        principal: str(o?.['member']),
        privilege: role && cond ? `${role} (condition: ${cond})` : role,
        on,
      });
    }
    if (changes.length) return { changes, basis: 'service_data', after, publicMembers };
  }
  const requestEtag = str(request?.['etag']) ?? str(at(request, 'policy', 'etag'));
  if (previous && afterSet && previous.etag && requestEtag && previous.etag === requestEtag) {
    const changes: PermissionChange[] = [];
    for (const k of afterSet) if (!previous.bindings.has(k)) changes.push(change('grant', k, on));
    for (const k of previous.bindings) if (!afterSet.has(k)) changes.push(change('revoke', k, on));
    return { changes, basis: 'previous_policy', after, publicMembers };
  }
  return { changes: null, basis: null, after, publicMembers };
}
