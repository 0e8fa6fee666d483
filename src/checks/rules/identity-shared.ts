// identity.shared: the row was done by a shared account (postgres, root, admin, rdsadmin, ...) or
// by a cloud service identity with no person behind it. Either way "who" is unknown to an auditor:
// many people can use the account, or a machine acted on its own authority.
import type { AuditEvent } from '../../event/types.generated.js';
import type { Rule } from '../rule.js';
import { q, rowFinding } from '../rule.js';

/** Accounts that are shared by design on common databases and clouds (case-insensitive). */
export const DEFAULT_SHARED_IDENTITIES: readonly string[] = [
  'postgres',
  'root',
  'admin',
  'administrator',
  'rdsadmin',
  'cloudsqladmin',
  'cloudsqlsuperuser',
  'azure_superuser',
  'azure_pg_admin',
  'sa',
  'sys',
  'system',
  'dba',
  'dbadmin',
  'master',
  'superuser',
  'guest',
];

/** The names an identity is known by, lower-cased: name, id, and the last path segment of an ARN. */
function identityNames(e: AuditEvent): string[] {
  const out = new Set<string>();
  for (const v of [e.user.name, e.user.id]) {
    if (!v) continue;
    const l = v.toLowerCase();
    out.add(l);
    if (l.startsWith('arn:')) out.add(l.slice(l.lastIndexOf('/') + 1));
  }
  return [...out];
}

/** A principal that looks like a person: an email that is not a service account, or an IAM user. */
export function looksHuman(p: string): boolean {
  const l = p.toLowerCase();
  if (l.endsWith('.gserviceaccount.com') || l.endsWith('.amazonaws.com') || l.endsWith('.googleapis.com')) return false;
  return /@/.test(l) || /:user\//.test(l) || /^user:/.test(l);
}

function humanBehind(e: AuditEvent): boolean {
  return [e.user.session_user, ...e.user.delegation].some((p) => !!p && looksHuman(p));
}

export const identityShared: Rule = {
  id: 'identity.shared',
  severity: 'warning',
  title: 'Shared or non-personal identity',
  description:
    'The action was done by a shared account (postgres, root, admin, rdsadmin, ...) or by a cloud service identity with no person behind it, so who acted is unknown.',
  start(ctx) {
    return {
      row(e, source) {
        const names = identityNames(e);
        const hit = names.find((n) => ctx.shared.has(n));
        if (hit) {
          const behind =
            e.user.session_user && e.user.session_user.toLowerCase() !== hit
              ? ` (session user ${q(e.user.session_user)})`
              : '';
          return [
            rowFinding(
              identityShared,
              e,
              source,
              `user ${q(e.user.name ?? e.user.id)} is a shared account${behind}, so the person who acted is unknown`,
              'user',
            ),
          ];
        }
        if ((e.source.kind === 'aws' || e.source.kind === 'gcp') && e.user.type === 'service' && !humanBehind(e)) {
          return [
            rowFinding(
              identityShared,
              e,
              source,
              `service identity ${q(e.user.name ?? e.user.id)} acted with no person behind it (no human session user or delegation)`,
              'user',
            ),
          ];
        }
        return [];
      },
    };
  },
};
