// The collector is not its own evidence. A live source reads over a database session of its own,
// and the database audits that session like any other: the reading role's connection, its settings
// and roster queries, pg_read_binary_file. Those records are counted as skipped with OWN_SESSION
// (never events, never rows of the completeness check), and the source's settings say how they
// were recognized (settings.collector_session).
import type { Outcome } from '../pipeline/types.js';
import type { AuditEvent } from '../event/types.generated.js';

export const OWN_SESSION = "the collector's own session";
/** application_name of every PostgreSQL session the collector opens (earlier runs' sessions carry it too). */
export const COLLECTOR_APPLICATION = 'audit-evidence';
/** A comment in the first statement of every MySQL/MariaDB session the collector opens. */
export const SESSION_TAG = 'audit-evidence collector session';

export function asOwnSession(o: Outcome): Outcome {
  return { kind: 'skip', raw: o.raw, reason: OWN_SESSION };
}

/** PostgreSQL: the session this run reads over, and the reading role. */
export interface PgSession {
  role: string;
  pid: string;
  sessionId: string;
  since: string;
}

/**
 * Whether a pgaudit event is a record of the collector's session: this run's session (its session
 * id, or its process id from the time it connected when the log has no session id), or an earlier
 * run's (application_name audit-evidence and the reading role, when the log carries the name).
 */
export function isPgOwnSession(e: AuditEvent, s: PgSession): boolean {
  const d = (e.details ?? {}) as Record<string, unknown>;
  if (typeof d.session_id === 'string' && d.session_id !== '') {
    if (d.session_id === s.sessionId) return true;
  } else if (
    d.pid !== undefined &&
    d.pid !== null &&
    String(d.pid) === s.pid &&
    e.timestamp !== null &&
    e.timestamp >= s.since
  )
    return true;
  const user = e.user.name ?? null;
  return e.origin.application === COLLECTOR_APPLICATION && (user === s.role || e.user.session_user === s.role);
}

/**
 * MySQL / MariaDB: records of this run's connection (by connection id), and of earlier runs'
 * connections: a connection of the reading user whose statement carries SESSION_TAG, from that
 * statement on; its login record just before is held back until the connection's next record
 * shows whether it was the collector's. Held logins are few (one per open connection of the
 * reading user) and are released, in order, when anything else follows them.
 */
export class MysqlOwnSession {
  private readonly tagged = new Set<string>();
  constructor(
    readonly connectionId: string,
    readonly user: string,
  ) {}

  private stream(o: Outcome): string | null {
    if (o.kind !== 'event') return null;
    // server_audit: sequence.stream is the connection id; MySQL Enterprise: details.connection_id.
    const s = o.event.sequence?.stream ?? (o.event.details as Record<string, unknown> | null)?.connection_id;
    return s === undefined || s === null ? null : String(s);
  }

  async *filter(outcomes: AsyncIterable<Outcome>): AsyncGenerator<Outcome> {
    const held = new Map<string, Outcome>();
    for await (const o of outcomes) {
      const conn = this.stream(o);
      if (o.kind !== 'event' || conn === null) {
        yield o;
        continue;
      }
      const e = o.event;
      if (conn === this.connectionId || this.tagged.has(conn)) {
        const h = held.get(conn);
        if (h) {
          held.delete(conn);
          yield asOwnSession(h);
        }
        yield asOwnSession(o);
        continue;
      }
      const mine = e.user.name === this.user;
      if (mine && typeof e.action.statement === 'string' && e.action.statement.includes(SESSION_TAG)) {
        this.tagged.add(conn);
        if (this.tagged.size > 10000) this.tagged.delete(this.tagged.values().next().value!);
        const h = held.get(conn);
        if (h) {
          held.delete(conn);
          yield asOwnSession(h);
        }
        yield asOwnSession(o);
        continue;
      }
      const h = held.get(conn);
      if (h) {
        held.delete(conn);
        yield h;
      }
      if (mine && e.category === 'authentication' && e.action.name === 'login' && e.outcome !== 'failure') {
        held.set(conn, o);
        if (held.size > 1000) {
          const [k, v] = held.entries().next().value!;
          held.delete(k);
          yield v;
        }
        continue;
      }
      yield o;
    }
    for (const h of held.values()) yield h;
  }
}
