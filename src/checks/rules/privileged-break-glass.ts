// privileged.break-glass: activity by an account's root or a database superuser used directly.
// Such accounts should be sealed and used only in emergencies, so every use is listed at the top.
import type { Rule } from '../rule.js';
import { q, rowFinding } from '../rule.js';

const REASONS = ['root_identity', 'superuser', 'break_glass'];

export const privilegedBreakGlass: Rule = {
  id: 'privileged.break-glass',
  severity: 'warning',
  title: 'Break-glass (root / superuser) activity',
  description:
    'An account root or a database superuser acted directly; such use should be rare and each instance explained.',
  start() {
    return {
      row(e, source) {
        const why = e.privileged.reasons.filter((r) => REASONS.includes(r));
        if (e.user.type !== 'root' && why.length === 0) return [];
        const kind = e.user.type === 'root' || why.includes('root_identity') ? 'root identity' : 'superuser';
        return [
          rowFinding(
            privilegedBreakGlass,
            e,
            source,
            `${kind} ${q(e.user.name ?? e.user.id)} ran ${q(e.action.name ?? e.action.source_name)}${e.resource.name ? ` on ${q(e.resource.name)}` : ''} at ${e.timestamp ?? 'an unknown time'}`,
            'user',
          ),
        ];
      },
    };
  },
};
