// Events of a database source are marked privileged by the roster the source itself enumerated
// (superusers, SUPER grants, ...) as they stream, since the roster is known before the first record.
import { applyRoster, type RosterEntry } from '../privilege/roster.js';
import type { Outcome } from '../pipeline/types.js';

export function withRoster(o: Outcome, entries: RosterEntry[]): Outcome {
  if (o.kind !== 'event' || entries.length === 0) return o;
  const event = applyRoster(o.event, { entries });
  return event === o.event ? o : { ...o, event };
}
