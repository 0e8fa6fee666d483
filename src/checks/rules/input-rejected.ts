// input.rejected: a raw record the tool could not turn into an event (truncated, malformed, not
// an audit record it understands). Each is reported with its location and the adapter's reason:
// a record nobody can read is evidence nobody can sample.
import type { Location } from '../../event/types.generated.js';
import { fullLocation } from '../../event/build.js';
import { describeLocation } from '../../pipeline/record.js';
import type { LocationInput } from '../../pipeline/types.js';
import type { Rule } from '../rule.js';
import type { Finding } from '../types.js';

export const inputRejected: Rule = {
  id: 'input.rejected',
  severity: 'error',
  title: 'Record could not be read',
  description:
    'A raw record could not be turned into an event (truncated, malformed or not understood); it is reported with its location and reason.',
  start() {
    return {};
  },
};

export function rejectFinding(location: LocationInput | Location, reason: string, source: string | null): Finding {
  const loc = fullLocation(location);
  return {
    rule: inputRejected.id,
    severity: inputRejected.severity,
    message: `${describeLocation(loc)}: record rejected: ${reason}`,
    location: loc,
    eventId: null,
    source,
    field: null,
  };
}
