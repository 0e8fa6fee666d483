// Maps pgaudit records and the server's authentication lines to events.
// pgaudit format: https://github.com/pgaudit/pgaudit#format ; classes:
// https://github.com/pgaudit/pgaudit#pgauditlog ; connection lines: log_connections /
// log_disconnections in https://www.postgresql.org/docs/current/runtime-config-logging.html
// Field map and category signals: design/sources.md (pgaudit row).
import { snakeCase, type Category, type EventInput, type UserType } from '../../event/build.js';
import { privilegeFor } from '../../event/privilege.js';
import {
  sqlCategory,
  sqlCommand,
  parsePermissionChanges,
  statementResource,
  disablesAuditLogging,
} from '../../sql/classify.js';
import { redactSql } from '../../sql/redact.js';
import { redactParameters } from '../../redact/sql.js';
import type { PermissionChange } from '../../event/types.generated.js';
import type { AuditRecord } from './audit-payload.js';
import type { LogLine } from './log-line.js';

/** The bootstrap superuser every PostgreSQL cluster has (a shared administrator account). */
export const BOOTSTRAP_SUPERUSER = 'postgres';

/** Backend types that are the server itself, not a client session. */
const SYSTEM_BACKENDS = new Set([
  'autovacuum launcher',
  'autovacuum worker',
  'background writer',
  'checkpointer',
  'logical replication launcher',
  'postmaster',
  'startup',
  'walreceiver',
  'walwriter',
  'archiver',
  'stats collector',
  'walsummarizer',
  'io worker',
  'logger',
]);

export function userType(name: string | null, backendType: string | null): UserType {
  if (name === BOOTSTRAP_SUPERUSER) return 'root';
  if (backendType && SYSTEM_BACKENDS.has(backendType)) return 'system';
  return 'unknown';
}

/**
 * The category of a pgaudit record: the class says most (ROLE → permission_change, DDL/WRITE/
 * FUNCTION → change_execution, READ → other), and the command and statement refine it (ALTER
 * SYSTEM, RLS policies and pgaudit.* settings → policy_change; COPY ... TO → data_exposure).
 */
export function auditCategory(a: AuditRecord): Category {
  return categoryOf(a.auditClass, a.command, a.statement);
}

function categoryOf(auditClass: string, command: string, statement: string | null): Category {
  switch (auditClass) {
    case 'WRITE':
    case 'FUNCTION':
      return 'change_execution';
    case 'READ':
      // Only COPY ... TO (and SELECT ... INTO OUTFILE) expose data; skip the classifier otherwise.
      if (!statement || !/\b(?:COPY|OUTFILE|DUMPFILE)\b/i.test(statement)) return 'other';
      return sqlCategory(command, statement) === 'data_exposure' ||
        sqlCategory(sqlCommand(statement), statement) === 'data_exposure'
        ? 'data_exposure'
        : 'other';
    default:
  }
  const c = sqlCategory(command, statement);
  const fromText = () => (statement ? sqlCategory(sqlCommand(statement), statement) : null);
  switch (auditClass) {
    case 'ROLE':
      return c === 'policy_change' || fromText() === 'policy_change' ? 'policy_change' : 'permission_change';
    case 'DDL':
      if (c === 'policy_change' || c === 'permission_change') return c;
      return fromText() === 'policy_change' ? 'policy_change' : 'change_execution';
    default: // MISC, MISC_SET and any class a later pgaudit adds
      if (c !== 'other') return c;
      return fromText() ?? 'other';
  }
}

/** snake_case of a pgaudit COMMAND ('CREATE ROLE' -> create_role); snakeCase is memoized. */
export const actionName = snakeCase;

/**
 * The action name of a pgaudit record. Mostly snake_case(COMMAND), with two exceptions so the
 * same operation has the same name in every adapter: pgaudit names COPY ... TO by its class's
 * command (SELECT) and COPY ... FROM as INSERT, but the statement is a COPY, and the event schema's
 * SQL action names use `copy`; PostgreSQL's command tag for granting a role is "GRANT ROLE"
 * ("REVOKE ROLE"), while MySQL/MariaDB/Percona name the same statement `grant` (`revoke`): the
 * role-versus-privilege difference is kept in permission_changes (on = null) and source_name.
 */
export function auditActionName(command: string, statement: string | null): string {
  if (command === 'GRANT ROLE') return 'grant';
  if (command === 'REVOKE ROLE') return 'revoke';
  if (
    (command === 'SELECT' || command === 'INSERT') &&
    statement !== null &&
    /^\s*COPY\b/i.test(statement) &&
    sqlCommand(statement) === 'COPY'
  )
    return 'copy';
  return actionName(command);
}

/** disablesAuditLogging, skipped for statements that cannot mention an audit setting. */
export function turnsAuditOff(statement: string | null): boolean {
  return statement !== null && /audit|sql_log_off/i.test(statement) && disablesAuditLogging(statement);
}

const SET_ROLE = /^\s*SET\s+(?:SESSION\s+|LOCAL\s+)?ROLE\s+(?:TO\s+|=\s*)?("(?:[^"]|"")+"|'[^']*'|[^\s;]+)/i;
const RESET_ROLE =
  /^\s*(?:RESET\s+ROLE|SET\s+(?:SESSION\s+|LOCAL\s+)?ROLE\s+(?:TO\s+|=\s*)?(?:NONE|DEFAULT)\b|RESET\s+ALL|DISCARD\s+ALL)/i;

/** What a statement does to the session's role: a role set, 'reset', or nothing. */
export function roleChange(statement: string | null): string | 'reset' | null {
  if (!statement) return null;
  if (RESET_ROLE.test(statement)) return 'reset';
  const m = SET_ROLE.exec(statement);
  if (!m) return null;
  const r = m[1]!;
  if (r.startsWith('"')) return r.slice(1, -1).replace(/""/g, '"');
  if (r.startsWith("'")) return r.slice(1, -1);
  return r.toLowerCase();
}

const ROLE_ATTRIBUTE = /^(NO)?(SUPERUSER|CREATEDB|CREATEROLE|REPLICATION|BYPASSRLS|LOGIN)$/i;
const unquoteIdent = (t: string) => (t.startsWith('"') ? t.slice(1, -1).replace(/""/g, '"') : t.toLowerCase());

/**
 * PostgreSQL role attribute and membership deltas of CREATE/ALTER ROLE (USER, GROUP):
 * ALTER ROLE bob SUPERUSER -> grant SUPERUSER to bob; NOCREATEDB -> revoke CREATEDB;
 * CREATE ROLE x IN ROLE a -> x gains a; CREATE ROLE x ROLE m / ADMIN m -> m gains x.
 * https://www.postgresql.org/docs/current/sql-createrole.html . Null when there are none.
 */
export function roleAttributeChanges(statement: string | null): PermissionChange[] | null {
  if (!statement) return null;
  const tokens = statement.match(/"(?:[^"]|"")*"|'(?:[^']|'')*'|[^\s,;()]+|,/g) ?? [];
  const verb = tokens[0]?.toUpperCase();
  if ((verb !== 'CREATE' && verb !== 'ALTER') || !/^(ROLE|USER|GROUP)$/i.test(tokens[1] ?? '')) return null;
  let i = 2;
  if (/^IF$/i.test(tokens[i] ?? '')) i += /^NOT$/i.test(tokens[i + 1] ?? '') ? 3 : 2;
  const name = tokens[i];
  if (!name) return null;
  const principal = unquoteIdent(name);
  if (/^(RENAME|SET|RESET|IN)$/i.test(tokens[i + 1] ?? '') && verb === 'ALTER') return null;
  const out: PermissionChange[] = [];
  let list: 'in' | 'member' | null = null;
  for (let k = i + 1; k < tokens.length; k++) {
    const t = tokens[k]!;
    const up = t.toUpperCase();
    const attr = ROLE_ATTRIBUTE.exec(t);
    if (attr) {
      list = null;
      out.push({ operation: attr[1] ? 'revoke' : 'grant', principal, privilege: attr[2]!.toUpperCase(), on: null });
      continue;
    }
    if (verb === 'CREATE' && up === 'IN' && /^(ROLE|GROUP)$/i.test(tokens[k + 1] ?? '')) {
      list = 'in';
      k++;
      continue;
    }
    if (verb === 'CREATE' && (up === 'ROLE' || up === 'ADMIN' || up === 'USER')) {
      list = 'member';
      continue;
    }
    if (t === ',') continue;
    if (
      list &&
      /^[\w$"]/.test(t) &&
      !/^(WITH|PASSWORD|ENCRYPTED|VALID|CONNECTION|SYSID|INHERIT|NOINHERIT)$/i.test(up)
    ) {
      const other = unquoteIdent(t);
      out.push(
        list === 'in'
          ? { operation: 'grant', principal, privilege: other, on: null }
          : { operation: 'grant', principal: other, privilege: principal, on: null },
      );
      continue;
    }
    list = null;
  }
  return out.length ? out : null;
}

/**
 * statementResource reads `SELECT ... FROM f()` as the table f; a set-returning function call in
 * FROM (pg_control_system(), generate_series()) is a function. (Reported to the classify.ts owner.)
 */
export function functionNotTable(
  r: { type: string; name: string } | null,
  statement: string | null,
): { type: string; name: string } | null {
  if (!r || r.type !== 'table' || !statement) return r;
  const i = statement.indexOf(r.name);
  if (i >= 0 && /^\s*\(/.test(statement.slice(i + r.name.length)) && /\bFROM\s+$/i.test(statement.slice(0, i)))
    return { type: 'function', name: r.name };
  return r;
}

export interface SessionFacts {
  /** The role set with SET ROLE earlier in the session (pgaudit logged it), if any. */
  role: string | null;
  /** User and database from the session's 'connection authorized' line, when the prefix lacks them. */
  user: string | null;
  database: string | null;
  /** Client address from the session's 'connection received' line, when the prefix lacks it. */
  host: string | null;
  port: number | null;
  application: string | null;
}

/** 'MATERIALIZED VIEW' -> materialized_view; memoized (bounded): a log names few object types. */
const objectTypes = new Map<string, string>();
function objectTypeName(objectType: string): string {
  let t = objectTypes.get(objectType);
  if (t === undefined) {
    t = objectType.toLowerCase().replace(/\s+/g, '_');
    if (objectTypes.size < 1000) objectTypes.set(objectType, t);
  }
  return t;
}

/** The event input for a pgaudit record read from a server log line. */
export function auditEventInput(
  a: AuditRecord,
  l: LogLine,
  s: SessionFacts,
  stream: string | null,
): { input: EventInput; recordId: string | null } {
  const statement = a.statement === null ? null : redactSql(a.statement);
  const category = categoryOf(a.auditClass, a.command, statement);
  const user = l.user ?? s.user;
  const database = l.database ?? s.database;
  let resource: EventInput['resource'];
  if (a.objectName) {
    // OBJECT_TYPE + OBJECT_NAME, as pgaudit states them
    resource = {
      type: a.objectType ? objectTypeName(a.objectType) : null,
      name: a.objectName,
      implicit: false,
    };
  } else {
    const role = roleChange(statement);
    const fromSql =
      role && role !== 'reset'
        ? { type: 'role', name: role }
        : functionNotTable(statementResource(statement), statement);
    resource = fromSql ? { type: fromSql.type, name: fromSql.name, implicit: true } : {};
  }
  resource.scope = { database };
  const disables = turnsAuditOff(statement);
  const superuser = user === BOOTSTRAP_SUPERUSER || s.role === BOOTSTRAP_SUPERUSER;
  const details: Record<string, unknown> = {
    audit_type: a.auditType, // AUDIT_TYPE
    class: a.auditClass, // CLASS
    object_type: a.objectType, // OBJECT_TYPE
    parameter: redactParameters(a.statement, a.parameter), // PARAMETER (src/redact/sql.ts)
    rows: a.rows, // ROWS
    session_id: l.sessionId,
    pid: l.pid,
    backend_type: l.backendType,
    sqlstate: null,
  };
  if (a.statementMarker) details.statement_not_logged = a.statementMarker;
  if (disables) details.audit_logging_disabled = true;
  if (!l.user && s.user) details.user_from = 'connection authorized line of the session';
  return {
    recordId: stream ? `${stream}/${a.statementId}/${a.substatementId}` : null,
    input: {
      timestamp: l.timestamp,
      timestamp_zone_assumed: l.zoneAssumed,
      user: {
        name: user,
        type: userType(user, l.backendType),
        role: s.role,
        session_user: s.role ? user : null,
      },
      action: { name: auditActionName(a.command, statement), source_name: a.command, service: 'postgresql', statement },
      resource,
      category,
      outcome: 'unknown',
      origin: {
        address: l.host ?? s.host,
        port: l.port ?? (l.host ? null : s.port),
        application: l.application ?? s.application,
      },
      privileged: privilegeFor({
        category,
        ddl: a.auditClass === 'DDL',
        superuser,
        extra: disables ? ['audit_disabled'] : [],
      }),
      permission_changes:
        category === 'permission_change'
          ? (parsePermissionChanges(statement) ?? roleAttributeChanges(statement))
          : null,
      sequence: stream ? { stream, number: a.statementId, sub: a.substatementId } : null,
      details,
    },
  };
}

/** key=value pairs of a connection line ("user=alice database=postgres application_name=psql"). */
export function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out[m[1]!] = m[2]!.startsWith('"') ? m[2]!.slice(1, -1) : m[2]!;
  return out;
}

export type AuthKind = 'login' | 'logout' | 'login_failed';

/** Recognizes failed authentication (FATAL with SQLSTATE 28000/28P01, or its well-known messages). */
export function failedLogin(l: LogLine): { user: string | null; database: string | null; host: string | null } | null {
  if (l.severity !== 'FATAL') return null;
  const msg = l.message;
  const byCode = l.sqlstate === '28P01' || l.sqlstate === '28000';
  let m =
    /^(?:password|Ident|Peer|LDAP|RADIUS|certificate|GSSAPI|SSPI|PAM|BSD) authentication failed for user "((?:[^"]|"")*)"/.exec(
      msg,
    );
  if (m) return { user: m[1]!, database: null, host: null };
  m =
    /^no pg_hba\.conf entry for (?:replication connection from )?host "([^"]*)", user "((?:[^"]|"")*)"(?:, database "((?:[^"]|"")*)")?/.exec(
      msg,
    );
  if (m) return { user: m[2]!, database: m[3] ?? null, host: m[1]! };
  m = /^pg_hba\.conf rejects connection for host "([^"]*)", user "((?:[^"]|"")*)"(?:, database "((?:[^"]|"")*)")?/.exec(
    msg,
  );
  if (m) return { user: m[2]!, database: m[3] ?? null, host: m[1]! };
  m = /^role "((?:[^"]|"")*)" does not exist/.exec(msg);
  if (m && (byCode || l.sqlstate === null)) return { user: m[1]!, database: null, host: null };
  if (byCode) return { user: null, database: null, host: null };
  return null;
}

export interface AuthFacts {
  kind: AuthKind;
  user: string | null;
  database: string | null;
  application: string | null;
  host: string | null;
  port: number | null;
  method?: string | null;
  identity?: string | null;
  sessionTime?: string | null;
}

/** The event input of a login, logout or failed login. */
export function authEventInput(f: AuthFacts, l: LogLine, sourceName: string, outcomeReason: string | null): EventInput {
  const details: Record<string, unknown> = {
    session_id: l.sessionId,
    pid: l.pid,
    backend_type: l.backendType,
    sqlstate: l.sqlstate,
  };
  if (f.method) details.authentication_method = f.method;
  if (f.identity) details.authenticated_identity = f.identity;
  if (f.sessionTime) details.session_time = f.sessionTime;
  return {
    timestamp: l.timestamp,
    timestamp_zone_assumed: l.zoneAssumed,
    user: { name: f.user, type: userType(f.user, l.backendType), authenticated_by: f.method ?? null },
    action: { name: f.kind, source_name: sourceName, service: 'postgresql', statement: null },
    resource: f.database
      ? { type: 'database', name: f.database, implicit: false, scope: { database: f.database } }
      : {},
    category: 'authentication',
    outcome: f.kind === 'login_failed' ? 'failure' : 'success',
    outcome_reason: outcomeReason,
    origin: { address: f.host, port: f.port, application: f.application },
    privileged: privilegeFor({ category: 'authentication', superuser: f.user === BOOTSTRAP_SUPERUSER }),
    details,
  };
}
