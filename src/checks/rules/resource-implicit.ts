// resource.implicit: the resource was derived (parsed from SQL text, taken from the connection's
// database or from request parameters) rather than stated by the source. The row is complete, but
// an auditor should know the name is our reading, not the log's.
import type { Rule } from '../rule.js';
import { q, rowFinding } from '../rule.js';

export const resourceImplicit: Rule = {
  id: 'resource.implicit',
  severity: 'warning',
  title: 'Resource derived, not stated',
  description:
    'The affected resource was derived (parsed from the statement, the session database or request parameters) rather than stated by the source.',
  start() {
    return {
      row(e, source) {
        if (!e.resource.implicit || e.resource.name === null) return [];
        return [
          rowFinding(
            resourceImplicit,
            e,
            source,
            `resource ${q(e.resource.name)} was derived from the record, not stated by the source`,
            'resource',
          ),
        ];
      },
    };
  },
};
