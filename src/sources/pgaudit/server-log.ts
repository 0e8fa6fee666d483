// Turns PostgreSQL server log records (any of stderr, csvlog, jsonlog, a psql transcript, wrapped
// stderr lines) into outcomes: pgaudit records become events, connection lines become
// authentication events, and an ERROR right after an audited statement in the same session marks
// that statement failed. To do that the last audit event of each session is held until the
// session's next line: at most one pending event per live session (and at most MAX_SESSIONS of
// them), flushed on the session's next line, its disconnection, or the end of the input.
// Server messages: https://www.postgresql.org/docs/current/runtime-config-logging.html
import { redactParameterText } from './parameters.js';
import { buildEvent, type EventInput, type EventOutcome, type SourceInput } from '../../event/build.js';
import type { AuditEvent } from '../../event/types.generated.js';
import { event, reject, skip } from '../../pipeline/record.js';
import type { NormalizeContext, Outcome, RawRecord } from '../../pipeline/types.js';
import { parseAuditMessage, type AuditRecord } from './audit-payload.js';
import type { LogLine } from './log-line.js';
import { splitRemote } from './log-line.js';
import {
  auditEventInput,
  authEventInput,
  failedLogin,
  keyValues,
  roleChange,
  BOOTSTRAP_SUPERUSER,
  type AuthFacts,
  type SessionFacts,
} from './map.js';

export const MAX_SESSIONS = 100_000;

export const SKIP = {
  errorFolded: "error report of an audited statement (sets that statement's outcome to failure)",
  errorAlone: 'server error not following an audited statement',
  detailLine: 'detail line of a server message (DETAIL, HINT, CONTEXT, STATEMENT)',
  received: "connection received (its client address goes to the session's events)",
  authenticated: 'connection authenticated (its method goes to the login event)',
  statementLog: 'statement or duration logging (log_statement, log_min_duration_statement), not an audit record',
  checkpoint: 'checkpoint or restartpoint message',
  lifecycle: 'server startup, shutdown or configuration message',
  otherServer: 'other server message',
  transcriptText: 'psql transcript text (echoed SQL, results, client messages), not an audit record',
  blank: 'blank line',
} as const;

const AUX = new Set(['DETAIL', 'HINT', 'QUERY', 'CONTEXT', 'STATEMENT', 'LOCATION']);
const ERRORS = new Set(['ERROR', 'FATAL', 'PANIC']);
const STATEMENT_LOG = /^(?:statement|duration|execute [^:]*|bind [^:]*|parse [^:]*): /;
const CHECKPOINT = /^(?:checkpoint|restartpoint)s? (?:starting|complete|are occurring)/;
const LIFECYCLE =
  /^(?:starting PostgreSQL|listening on|database system (?:is|was)|received (?:fast|smart|immediate) shutdown|received SIGHUP|parameter "[^"]*" (?:changed|cannot be changed)|configuration file|shutting down|aborting any active|background worker|autovacuum launcher|logical replication|redo (?:starts|done)|consistent recovery|entering standby|selected new timeline|archive recovery|server process|terminating any other active|all server processes terminated|could not receive data from client|unexpected EOF on client connection)/;

/** Built once: a note's text is looked up per record, and a new string is hashed each time. */
const SUPERUSER_NOTE = `'${BOOTSTRAP_SUPERUSER}' is the bootstrap superuser, a shared administrator account: its events are typed root and marked privileged (superuser)`;

/** An audit event held until its session's next line tells its outcome. */
interface Pending {
  statementId: number;
  vxid: string | null;
  raw: RawRecord;
  input: EventInput;
  src: SourceInput;
}

/**
 * The held event with its outcome. A literal copy of the input (every EventInput key), not a
 * spread and not a closure per record: both were ~8% of csvlog normalize time.
 */
function buildPending(p: Pending, outcome: EventOutcome, reason: string | null, sqlstate: string | null): AuditEvent {
  const i = p.input;
  return buildEvent(
    {
      timestamp: i.timestamp,
      timestamp_zone_assumed: i.timestamp_zone_assumed,
      user: i.user,
      action: i.action,
      resource: i.resource,
      category: i.category,
      outcome,
      outcome_reason: reason,
      origin: i.origin,
      privileged: i.privileged,
      permission_changes: i.permission_changes,
      access_request: i.access_request,
      sequence: i.sequence,
      // details already holds sqlstate (null): replacing the value keeps its key order.
      details: sqlstate ? { ...i.details, sqlstate } : i.details,
    },
    p.src,
  );
}

interface SessionState extends SessionFacts {
  method: string | null;
  identity: string | null;
}

const newState = (): SessionState => ({
  role: null,
  user: null,
  database: null,
  host: null,
  port: null,
  application: null,
  method: null,
  identity: null,
});

export interface ServerLogOptions {
  variant: string;
  /** True for a psql transcript: one client stream, no session ids, no server lines. */
  transcript?: boolean;
}

/** One parsed record: a LogLine, or an outcome decided already (blank line, unreadable record). */
export type Parsed = { line: LogLine } | { skip: string } | { reject: string } | { text: true };

/** Why a server message that is neither an audit record nor a connection line is skipped. */
function otherServerSkip(severity: string, msg: string): string {
  if (ERRORS.has(severity)) return SKIP.errorAlone;
  if (STATEMENT_LOG.test(msg)) return SKIP.statementLog;
  if (CHECKPOINT.test(msg)) return SKIP.checkpoint;
  if (LIFECYCLE.test(msg)) return SKIP.lifecycle;
  return SKIP.otherServer;
}

export class ServerLogNormalizer {
  private pending = new Map<string, Pending>();
  private sessions = new Map<string, SessionState>();
  /** Read once: the options object is looked up by name (it can be large and of any shape). */
  private readonly variant: string;
  private readonly instance: string | null;
  constructor(
    private readonly ctx: NormalizeContext,
    private readonly opts: ServerLogOptions,
  ) {
    this.variant = opts.variant;
    this.instance = ctx.options.instance ?? null;
  }

  private source(raw: RawRecord, recordId: string | null) {
    return {
      kind: 'postgresql' as const,
      format: 'pgaudit',
      variant: this.variant,
      instance: this.instance,
      location: raw.location,
      raw_sha256: raw.sha256,
      record_id: recordId,
    };
  }

  private state(key: string): SessionState {
    let s = this.sessions.get(key);
    if (!s) {
      s = newState();
      this.sessions.set(key, s);
      if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    }
    return s;
  }

  /**
   * Handles one parsed record: appends its outcome, and maybe a held event it resolves, to `out`.
   * (An array, not a generator: two generator objects per record were ~5% of csvlog time.)
   */
  handle(raw: RawRecord, parsed: Parsed, out: Outcome[]): void {
    if ('skip' in parsed) {
      out.push(skip(raw, parsed.skip));
      return;
    }
    if ('reject' in parsed) {
      out.push(reject(raw, parsed.reject));
      return;
    }
    if ('text' in parsed) {
      // Transcript text (a result row, echoed SQL): the client moved on, so the held statement ended without an error.
      this.resolve('psql', out);
      out.push(skip(raw, SKIP.transcriptText));
      return;
    }
    const l = parsed.line;
    const key = this.opts.transcript ? 'psql' : (l.sessionId ?? (l.pid ? `pid:${l.pid}` : null));
    const audit = l.message.startsWith('AUDIT: ') ? parseAuditMessage(l.message) : null;

    if (key && this.settlePending(raw, l, key, audit, out)) return;

    if (audit) {
      if ('error' in audit) {
        out.push(reject(raw, audit.error));
        return;
      }
      this.auditRecord(raw, l, audit.record, key, out);
      return;
    }
    if (this.opts.transcript) {
      out.push(skip(raw, ERRORS.has(l.severity) ? SKIP.errorAlone : SKIP.transcriptText));
      return;
    }
    if (AUX.has(l.severity)) {
      out.push(skip(raw, SKIP.detailLine));
      return;
    }
    this.serverLine(raw, l, key, out);
  }

  /**
   * The session's next line settles its held event, if any (detail lines do not): an ERROR of the
   * same statement makes it a failure, and folds this line into it (true: nothing more to do).
   */
  private settlePending(
    raw: RawRecord,
    l: LogLine,
    key: string,
    audit: ReturnType<typeof parseAuditMessage>,
    out: Outcome[],
  ): boolean {
    const p = this.pending.get(key);
    if (!p || AUX.has(l.severity)) return false;
    this.pending.delete(key);
    if (ERRORS.has(l.severity) && (p.vxid === null || l.vxid === null || p.vxid === l.vxid)) {
      const reason = l.sqlstate ? `${l.sqlstate}: ${l.message}` : l.message;
      out.push(event(buildPending(p, 'failure', reason, l.sqlstate), p.raw));
      out.push(skip(raw, SKIP.errorFolded));
      return true;
    }
    // The session went on: the statement ended without an error, unless this is another
    // part (substatement) of the same statement, whose end is not known yet.
    const same = audit && 'record' in audit && audit.record.statementId === p.statementId;
    out.push(event(buildPending(p, same ? 'unknown' : 'success', null, null), p.raw));
    return false;
  }

  /** A server message that is not an audit record: connection lines, failed logins, and the rest (skipped). */
  private serverLine(raw: RawRecord, l: LogLine, key: string | null, out: Outcome[]): void {
    const msg = l.message;
    if (msg.startsWith('connection received:')) {
      if (key) this.received(key, msg);
      out.push(skip(raw, SKIP.received));
      return;
    }
    if (msg.startsWith('connection authenticated:')) {
      if (key) {
        const kv = keyValues(msg);
        const s = this.state(key);
        s.method = kv.method ?? null;
        s.identity = kv.identity ?? null;
      }
      out.push(skip(raw, SKIP.authenticated));
      return;
    }
    if (msg.startsWith('connection authorized:') || msg.startsWith('replication connection authorized:')) {
      out.push(this.authorized(raw, l, key, msg));
      return;
    }
    if (msg.startsWith('disconnection:')) {
      out.push(this.disconnection(raw, l, key, msg));
      return;
    }
    const failed = failedLogin(l);
    if (failed) {
      out.push(this.loginFailed(raw, l, key, failed));
      return;
    }
    out.push(skip(raw, otherServerSkip(l.severity, msg)));
  }

  /** "connection received": a new session; its client address goes to the session's events. */
  private received(key: string, msg: string): void {
    const s = newState();
    const kv = keyValues(msg);
    const r = kv.host ? splitRemote(kv.host) : { host: null, port: null };
    s.host = r.host;
    s.port = kv.port && /^\d+$/.test(kv.port) ? Number(kv.port) : r.port;
    this.sessions.delete(key);
    this.sessions.set(key, s);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
  }

  /** "connection authorized": the login event; the session's user, database and application from here on. */
  private authorized(raw: RawRecord, l: LogLine, key: string | null, msg: string): Outcome {
    const kv = keyValues(msg);
    const s = key ? this.state(key) : newState();
    const f: AuthFacts = {
      kind: 'login',
      user: kv.user ?? l.user,
      database: kv.database ?? l.database,
      application: kv.application_name ?? l.application,
      host: l.host ?? s.host,
      port: l.port ?? (l.host ? null : s.port),
      method: s.method,
      identity: s.identity,
    };
    s.user = f.user;
    s.database = f.database;
    s.application = f.application;
    return this.auth(raw, l, f, 'connection authorized', null);
  }

  /** "disconnection": the logout event; the session ends. */
  private disconnection(raw: RawRecord, l: LogLine, key: string | null, msg: string): Outcome {
    const kv = keyValues(msg);
    const s = key ? this.sessions.get(key) : undefined;
    const r = kv.host ? splitRemote(kv.host) : { host: null, port: null };
    const f: AuthFacts = {
      kind: 'logout',
      user: kv.user ?? l.user,
      database: kv.database ?? l.database,
      application: l.application ?? s?.application ?? null,
      host: l.host ?? r.host ?? s?.host ?? null,
      port: l.port ?? (kv.port ? Number(kv.port) : (r.port ?? s?.port ?? null)),
      sessionTime: /session time: (\S+)/.exec(msg)?.[1] ?? null,
    };
    if (key) this.sessions.delete(key);
    return this.auth(raw, l, f, 'disconnection', null);
  }

  /** A failed authentication (FATAL): the failed login event; the session ends. */
  private loginFailed(
    raw: RawRecord,
    l: LogLine,
    key: string | null,
    failed: NonNullable<ReturnType<typeof failedLogin>>,
  ): Outcome {
    const s = key ? this.sessions.get(key) : undefined;
    const f: AuthFacts = {
      kind: 'login_failed',
      user: failed.user ?? l.user,
      database: l.database ?? failed.database,
      application: l.application,
      host: l.host ?? failed.host ?? s?.host ?? null,
      port: l.port ?? s?.port ?? null,
      method: s?.method ?? null,
    };
    if (key) this.sessions.delete(key);
    return this.auth(
      raw,
      l,
      f,
      l.message.split(' for ')[0] ?? 'authentication failed',
      l.sqlstate ? `${l.sqlstate}: ${l.message}` : l.message,
    );
  }

  private auth(raw: RawRecord, l: LogLine, f: AuthFacts, sourceName: string, reason: string | null): Outcome {
    if (f.user === BOOTSTRAP_SUPERUSER) this.noteSuperuser();
    return event(buildEvent(authEventInput(f, l, sourceName, reason), this.source(raw, null)), raw);
  }

  private noteSuperuser(): void {
    this.ctx.note(SUPERUSER_NOTE);
  }

  private auditRecord(raw0: RawRecord, l: LogLine, a: AuditRecord, key: string | null, out: Outcome[]): void {
    const raw = redactParameterText(raw0, a);
    const s = key ? (this.sessions.get(key) ?? newState()) : newState();
    const stream = this.opts.transcript ? null : key;
    const { input, recordId } = auditEventInput(a, l, s, stream);
    if (input.user?.name === BOOTSTRAP_SUPERUSER) this.noteSuperuser();
    if (!input.user?.name && !l.userKnowable && !this.opts.transcript) {
      this.ctx.note(
        'the log_line_prefix has no %u, so audit records carry no user: users are taken from the session\'s "connection authorized" line (log_connections) where there is one, else left null; add %u (and %d, %c) to log_line_prefix',
      );
    }
    // SET ROLE / RESET ROLE change the role of the session's later events, not of this one.
    if (key && a.auditClass === 'MISC') {
      const rc = roleChange(a.statement);
      if (rc) this.state(key).role = rc === 'reset' ? null : rc;
    }
    const p: Pending = { statementId: a.statementId, vxid: l.vxid, raw, input, src: this.source(raw, recordId) };
    if (!key) {
      out.push(event(buildPending(p, 'unknown', null, null), raw));
      return;
    }
    this.pending.set(key, p);
    if (this.pending.size > MAX_SESSIONS) this.flushOldest(out);
  }

  private flushOldest(out: Outcome[]): void {
    const k = this.pending.keys().next().value!;
    const p = this.pending.get(k)!;
    this.pending.delete(k);
    out.push(event(buildPending(p, 'unknown', null, null), p.raw));
  }

  /** Resolves a held event as ended without an error (the transcript moved on). */
  private resolve(key: string, out: Outcome[]): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    out.push(event(buildPending(p, 'success', null, null), p.raw));
  }

  /** End of input: held events whose session said nothing more keep outcome unknown. */
  *finish(): Generator<Outcome> {
    for (const p of this.pending.values()) yield event(buildPending(p, 'unknown', null, null), p.raw);
    this.pending.clear();
    this.sessions.clear();
  }
}
