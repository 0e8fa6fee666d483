// Event selection for `filter` (and `check --privileged`): every given criterion must hold; the
// values of one criterion are alternatives. Users match by name, id or session user, so
// "--user alice" also finds what alice did after SET ROLE or through an assumed role.
import type { AuditEvent } from '../event/types.generated.js';
import type { Category, EventOutcome } from '../event/build.js';
import { globsMatcher } from './glob.js';
import { inWindow, type Window } from './window.js';

export interface Criteria {
  users?: string[];
  actions?: string[];
  resources?: string[];
  categories?: Category[];
  outcomes?: EventOutcome[];
  privileged?: boolean;
  window?: Window;
}

export function buildSelector(c: Criteria): (e: AuditEvent) => boolean {
  const tests: Array<(e: AuditEvent) => boolean> = [];
  if (c.users?.length) {
    const m = globsMatcher(c.users);
    tests.push((e) => m(e.user.name) || m(e.user.id) || m(e.user.session_user));
  }
  if (c.actions?.length) {
    const m = globsMatcher(c.actions);
    tests.push((e) => m(e.action.name) || m(e.action.source_name));
  }
  if (c.resources?.length) {
    const m = globsMatcher(c.resources);
    tests.push((e) => m(e.resource.name));
  }
  if (c.categories?.length) {
    const set = new Set<string>(c.categories);
    tests.push((e) => set.has(e.category));
  }
  if (c.outcomes?.length) {
    const set = new Set<string>(c.outcomes);
    tests.push((e) => set.has(e.outcome));
  }
  if (c.privileged !== undefined) tests.push((e) => e.privileged.value === c.privileged);
  const w = c.window;
  if (w && (w.since || w.until)) tests.push((e) => inWindow(e.timestamp, w));
  return (e) => tests.every((t) => t(e));
}
