// The acting identity of a Cloud Audit Logs entry, from `protoPayload.authenticationInfo`.
// Field reference: https://cloud.google.com/logging/docs/reference/audit/auditlog/rest/Shared.Types/AuditLog#authenticationinfo
// Redaction and caller identities: https://cloud.google.com/logging/docs/audit#user-id
// Everything in authenticationInfo is kept (sources.md: "keep all of authenticationInfo, not only
// the email"): the email as the name, the subject as the id, the key used, the delegation chain.
import type { User } from '../../event/types.generated.js';
import { arr, obj, str, type Json, type LogKind } from './payload.js';

export interface Identity {
  user: Partial<User>;
  /** Why the name is null, when it is: 'absent' (no principal at all) or 'redacted'. */
  missing: 'absent' | 'redacted' | null;
  /** Facts for details: third-party principal claims, authority selector. */
  details: Json;
}

/** Type of a principal from its email or subject. */
export function principalType(p: string | null): User['type'] {
  if (!p) return 'unknown';
  const s = p.replace(/^(user|serviceAccount|group|domain):/, '');
  // Service accounts (user-managed and Google-managed service agents) end in gserviceaccount.com.
  if (/^serviceAccount:/.test(p) || /@[\w.-]*gserviceaccount\.com$/i.test(s)) return 'service';
  // Kubernetes and Google infrastructure identities (GKE `system:...`, `system@google.com` on
  // Compute Engine system events) are the platform itself.
  if (
    /^system:/i.test(p) ||
    /^system@google\.com$/i.test(s) ||
    /^(cloud-?)?(system|internal)@[\w.-]*google\.com$/i.test(s)
  )
    return 'system';
  // Workforce / workload identity federation subjects.
  if (/^principal(set)?:\/\/iam\.googleapis\.com\/.*\/workloadIdentityPools\//.test(p)) return 'service';
  if (/^principal(set)?:\/\/iam\.googleapis\.com\/.*\/workforcePools\//.test(p)) return 'human';
  if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s)) return 'human';
  return 'unknown';
}

/** One delegation step as a string: the principal's email or subject (serviceAccountDelegationInfo[]). */
function delegationStep(d: unknown): string | null {
  const o = obj(d);
  if (!o) return null;
  const first = obj(o['firstPartyPrincipal']);
  const third = obj(o['thirdPartyPrincipal']);
  return (
    str(first?.['principalEmail']) ?? // firstPartyPrincipal.principalEmail
    str(o['principalSubject']) ?? // principalSubject (newer entries)
    (third ? `third-party:${JSON.stringify(third['thirdPartyClaims'] ?? third)}` : null)
  ); // thirdPartyPrincipal.thirdPartyClaims
}

export function identityOf(authInfo: unknown, kind: LogKind | null): Identity {
  const a = obj(authInfo);
  const details: Json = {};
  const email = str(a?.['principalEmail']); // authenticationInfo.principalEmail
  const subject = str(a?.['principalSubject']); // authenticationInfo.principalSubject
  const keyName = str(a?.['serviceAccountKeyName']); // authenticationInfo.serviceAccountKeyName
  // serviceAccountDelegationInfo[]: "sorted based on the original ordering of the identity
  // delegation events", so the first element is the first principal (the human behind it).
  const delegation = arr(a?.['serviceAccountDelegationInfo'])
    .map(delegationStep)
    .filter((x): x is string => x !== null);
  const thirdParty = obj(a?.['thirdPartyPrincipal']); // authenticationInfo.thirdPartyPrincipal
  if (thirdParty) details['third_party_principal'] = thirdParty;
  const selector = str(a?.['authoritySelector']);
  if (selector) details['authority_selector'] = selector;

  // For third-party identity callers the subject is filled instead of the email.
  const name = email ?? subject;
  let type = principalType(email) !== 'unknown' ? principalType(email) : principalType(subject);
  // System Event entries are written by Google systems, not by a user request.
  if (kind === 'system_event') type = 'system';
  const missing: Identity['missing'] = name ? null : a && Object.keys(a).length > 0 ? 'redacted' : 'absent';
  return {
    user: {
      name,
      type,
      id: subject && subject !== name ? subject : null,
      session_user: delegation.length ? delegation[0]! : null,
      authenticated_by: keyName,
      delegation,
    },
    missing,
    details,
  };
}
