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

const NO_REASONS: readonly string[] = [];

/** Builds the privileged field from reasons; falsy entries are dropped, duplicates removed. */
export function privileged(...reasons: Array<string | false | null | undefined>): Privileged {
  const r: string[] = [];
  for (const x of reasons) addReason(r, x);
  return { value: r.length > 0, reasons: r };
}

/** Appends a non-empty string reason not yet in r (first occurrence order, as a Set keeps). */
function addReason(r: string[], x: string | false | null | undefined): void {
  if (typeof x === 'string' && x.length > 0 && !r.includes(x)) r.push(x);
}

/**
 * The common rule: permission, policy and access-request actions are admin-class; so is DDL
 * (`ddl` true) and anything done by a root/superuser identity. Every event asks for it: the
 * reasons are collected without the rest array, Set and spread of privileged().
 */
export function privilegeFor(o: {
  category: Category;
  ddl?: boolean;
  root?: boolean;
  superuser?: boolean;
  extra?: string[];
}): Privileged {
  const r: string[] = [];
  if (ADMIN_CATEGORIES.has(o.category) || o.ddl) r.push('admin_action');
  if (o.root) r.push('root_identity');
  if (o.superuser) r.push('superuser');
  for (const x of o.extra ?? NO_REASONS) addReason(r, x);
  return { value: r.length > 0, reasons: r };
}
