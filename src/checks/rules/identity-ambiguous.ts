// identity.ambiguous: the user's type is unknown and the name reads like a group or role rather
// than a person ('dba_team', 'group:ops@example.com', 'admins'), so the row cannot be attributed.
import type { Rule } from '../rule.js';
import { q, rowFinding } from '../rule.js';

const GROUP_LIKE =
  /^(group|domain|principalset|allusers|allauthenticatedusers|everyone|public)\b|^(group|domain):|(^|[._-])(group|groups|team|teams|staff|ops|role|roles|admins|users|dbas|developers|devs|everyone|all)($|[._@-])/;

export function looksLikeGroup(name: string): boolean {
  return GROUP_LIKE.test(name.toLowerCase());
}

export const identityAmbiguous: Rule = {
  id: 'identity.ambiguous',
  severity: 'warning',
  title: 'Ambiguous identity',
  description:
    'The user type is unknown and the name reads like a group or role, so the row cannot be attributed to one person.',
  start() {
    return {
      row(e, source) {
        if (e.user.type !== 'unknown' || !e.user.name || !looksLikeGroup(e.user.name)) return [];
        return [
          rowFinding(
            identityAmbiguous,
            e,
            source,
            `user ${q(e.user.name)} reads like a group or role, not a person, and the source does not say which`,
            'user',
          ),
        ];
      },
    };
  },
};
