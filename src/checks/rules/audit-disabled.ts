// audit.disabled: someone turned audit logging off (StopLogging, DeleteTrail, server_audit_logging
// = OFF, pgaudit.log = 'none'). The first thing an auditor asks about; listed at the top.
import type { Rule } from '../rule.js';
import { q, rowFinding } from '../rule.js';

export const auditDisabled: Rule = {
  id: 'audit.disabled',
  severity: 'error',
  title: 'Audit logging turned off',
  description:
    'Someone turned audit logging off or narrowed it (StopLogging, server_audit_logging=OFF, pgaudit.log=none): events after it may be missing.',
  start() {
    return {
      row(e, source) {
        if (e.details.audit_logging_disabled !== true && !e.privileged.reasons.includes('audit_disabled')) return [];
        const who = e.user.name ? ` by ${q(e.user.name)}` : ' by an unknown user';
        const what = e.action.statement ?? e.action.source_name ?? e.action.name;
        return [
          rowFinding(
            auditDisabled,
            e,
            source,
            `audit logging was turned off${who} at ${e.timestamp ?? 'an unknown time'} (${q(what)}${e.resource.name ? ` on ${q(e.resource.name)}` : ''})`,
            null,
          ),
        ];
      },
    };
  },
};
