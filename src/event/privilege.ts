// Privileged (administrator) activity. Adapters mark admin-class actions and superuser/root
// identities; the admin roster (a user-supplied list, or one a live source enumerates) adds the
// rest later in the pipeline. Reasons are stable strings an auditor can filter on.
import type { Privileged } from './types.generated.js';
import type { Category } from './build.js';

export const ADMIN_CATEGORIES: ReadonlySet<Category> = new Set([
  'permission_change',
  'policy_change',
  'access_request',
]);

/** Builds the privileged field from reasons; falsy entries are dropped, duplicates removed. */
export function privileged(...reasons: Array<string | false | null | undefined>): Privileged {
  const r = [...new Set(reasons.filter((x): x is string => typeof x === 'string' && x.length > 0))];
  return { value: r.length > 0, reasons: r };
}

/**
 * The common rule: permission, policy and access-request actions are admin-class; so is DDL
 * (`ddl` true) and anything done by a root/superuser identity.
 */
export function privilegeFor(o: {
  category: Category;
  ddl?: boolean;
  root?: boolean;
  superuser?: boolean;
  extra?: string[];
}): Privileged {
  return privileged(
    (ADMIN_CATEGORIES.has(o.category) || o.ddl) && 'admin_action',
    o.root && 'root_identity',
    o.superuser && 'superuser',
    ...(o.extra ?? []),
  );
}
