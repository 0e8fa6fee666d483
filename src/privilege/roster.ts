// The admin roster: principals and roles that count as administrators. Supplied by the user (a
// file or the config) or enumerated by a live source (superusers, CREATEROLE, SUPER, ...). Events
// by a listed principal, or acting through a listed role, are marked privileged with the reason
// 'roster:<source of the entry>'.
import type { AuditEvent } from '../event/types.generated.js';

export interface RosterEntry {
  /** Principal name as it appears in events' user.name / user.id / user.role (case-insensitive). */
  principal: string;
  /** Why the principal is on the roster: 'superuser', 'createrole', 'SUPER', 'listed in admins.txt', ... */
  reason: string;
  /** Where the entry came from: 'file:admins.txt', 'config', 'live:pg-prod', ... */
  origin: string;
  /** Restricts the entry to events of one source instance (null: any). */
  instance?: string | null;
}

export interface Roster { entries: RosterEntry[] }

export function emptyRoster(): Roster { return { entries: [] }; }

/** Marks an event privileged when its user, session user or role is on the roster. Pure: returns a new event when changed. */
export function applyRoster(e: AuditEvent, roster: Roster): AuditEvent {
  if (roster.entries.length === 0) return e;
  const names = [e.user.name, e.user.id, e.user.session_user, e.user.role].filter((x): x is string => !!x).map((x) => x.toLowerCase());
  if (names.length === 0) return e;
  const hits = roster.entries.filter((r) => (r.instance == null || r.instance === e.source.instance) && names.includes(r.principal.toLowerCase()));
  if (hits.length === 0) return e;
  const reasons = [...new Set([...e.privileged.reasons, ...hits.map((h) => `roster:${h.reason}`)])];
  return { ...e, privileged: { value: true, reasons } };
}
