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

export interface Roster {
  entries: RosterEntry[];
}

export function emptyRoster(): Roster {
  return { entries: [] };
}

const globs = new Map<string, RegExp>();
/**
 * A principal matches a name case-insensitively; a '*' in it stands for one or more letters or
 * digits (no '_', '/', ':' or '.'), e.g. the hex suffix IAM Identity Center gives the role of a
 * permission set: AWSReservedSSO_AdministratorAccess_* does not match AWSReservedSSO_AdministratorAccess_RO_ab12.
 */
function matches(principal: string, names: string[]): boolean {
  const p = principal.toLowerCase();
  if (!p.includes('*')) return names.includes(p);
  let re = globs.get(p);
  if (!re) {
    re = new RegExp(
      `^${p
        .split('*')
        .map((x) => x.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
        .join('[a-z0-9]+')}$`,
    );
    globs.set(p, re);
  }
  return names.some((n) => re!.test(n));
}

/** Marks an event privileged when its user, session user or role is on the roster. Pure: returns a new event when changed. */
export function applyRoster(e: AuditEvent, roster: Roster): AuditEvent {
  if (roster.entries.length === 0) return e;
  const names = [e.user.name, e.user.id, e.user.session_user, e.user.role]
    .filter((x): x is string => !!x)
    .map((x) => x.toLowerCase());
  if (names.length === 0) return e;
  const hits = roster.entries.filter(
    (r) => (r.instance == null || r.instance === e.source.instance) && matches(r.principal, names),
  );
  if (hits.length === 0) return e;
  const reasons = [...new Set([...e.privileged.reasons, ...hits.map((h) => `roster:${h.reason}`)])];
  return { ...e, privileged: { value: true, reasons } };
}

/** A roster file that cannot be read as one: the message names the file and line. */
export class RosterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RosterError';
  }
}

/**
 * Parses a roster file's text. Two forms:
 * - text: one principal per line, optionally `principal,reason`; `#` starts a comment; blank lines ignored;
 * - JSON: `{"principals": ["alice", {"principal": "bob", "reason": "dba", "instance": "pg-prod"}]}`.
 * `file` names the file in entries' origin ('file:<name>') and in error messages.
 */
export function parseRoster(text: string, file: string): Roster {
  const origin = `file:${file}`;
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (e) {
      throw new RosterError(`${file} is not valid JSON: ${(e as Error).message}`);
    }
    const list = (doc as { principals?: unknown }).principals;
    if (!Array.isArray(list)) throw new RosterError(`${file}: a JSON roster needs a "principals" array`);
    return {
      entries: list.map((p, i): RosterEntry => {
        if (typeof p === 'string' && p.trim()) return { principal: p.trim(), reason: `listed in ${file}`, origin };
        const o = p as Partial<RosterEntry> | null;
        if (o && typeof o === 'object' && typeof o.principal === 'string' && o.principal.trim()) {
          return {
            principal: o.principal.trim(),
            reason: typeof o.reason === 'string' && o.reason.trim() ? o.reason.trim() : `listed in ${file}`,
            origin,
            instance: typeof o.instance === 'string' ? o.instance : null,
          };
        }
        throw new RosterError(`${file}: principals[${i}] must be a name or an object with a "principal" name`);
      }),
    };
  }
  const entries: RosterEntry[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const body = line.replace(/#.*$/, '').trim();
    if (!body) return;
    const comma = body.indexOf(',');
    const principal = (comma === -1 ? body : body.slice(0, comma)).trim();
    const reason = comma === -1 ? '' : body.slice(comma + 1).trim();
    if (!principal) throw new RosterError(`${file}:${i + 1}: the line names no principal before the comma`);
    entries.push({ principal, reason: reason || `listed in ${file}`, origin });
  });
  return { entries };
}
