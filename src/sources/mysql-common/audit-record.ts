// Maps an "AUDIT_RECORD"-shaped record to an AuditEvent: the field set shared by MySQL Enterprise
// Audit's XML formats and all Percona audit_log formats (XML, JSON, CSV), keyed by upper-case
// field name: NAME, RECORD / RECORD_ID, TIMESTAMP, COMMAND_CLASS, CONNECTION_ID, STATUS,
// STATUS_CODE, SQLTEXT, USER, PRIV_USER, OS_LOGIN / OS_USER, PROXY_USER, HOST, IP, DB,
// CONNECTION_TYPE, MYSQL_VERSION, SERVER_ID.
// https://dev.mysql.com/doc/refman/8.0/en/audit-log-file-formats.html
// https://docs.percona.com/percona-server/8.0/audit-log-plugin.html
import { buildEvent, type EventInput, type SourceKind } from '../../event/build.js';
import type { AuditEvent } from '../../event/types.generated.js';
import { privilegeFor } from '../../event/privilege.js';
import type { RawRecord } from '../../pipeline/types.js';
import { isRootAccount, parseQueryUser } from './account.js';
import { statusFacts } from './errors.js';
import { parseUtcTimestamp } from './local-time.js';
import { actionName, sqlFacts, tableFacts } from './sql-facts.js';

export interface RecordSource {
  kind: SourceKind;
  format: string;
  variant: string;
  /** Configured instance name, or null. */
  instance: string | null;
  /** action.service: 'mysql'. */
  service: string;
}

const TABLE_NAMES: Record<string, string> = {
  tableread: 'read',
  tableinsert: 'insert',
  tableupdate: 'update',
  tabledelete: 'delete',
};

/** `N_YYYY-MM-DDThh:mm:ss` (RECORD / RECORD_ID): a sequence number within the log file opened at that time. */
export function recordSequence(id: string | undefined): { stream: string; number: number } | null {
  if (!id) return null;
  const us = id.indexOf('_');
  if (us <= 0) return null;
  const n = Number(id.slice(0, us));
  return Number.isSafeInteger(n) ? { stream: id.slice(us + 1), number: n } : null;
}

/** Returns null when the record has no NAME (then it is not an audit record of these formats). */
export function mapAuditRecord(
  f: Record<string, string | undefined>,
  attributes: Record<string, string> | null,
  raw: RawRecord,
  src: RecordSource,
): AuditEvent | { error: string } {
  const name = f.NAME ?? '';
  if (!name) return { error: 'the record has no NAME' };
  const key = name.toLowerCase().replace(/\s+/g, ' ');
  const timestamp = f.TIMESTAMP ? parseUtcTimestamp(f.TIMESTAMP) : null; // TIMESTAMP: UTC
  if (f.TIMESTAMP && timestamp === null)
    return { error: `TIMESTAMP '${f.TIMESTAMP.slice(0, 40)}' is not a time this format writes` };

  // USER: `user[priv_user] @ host [ip]` on query records, the login name on connect records.
  const qu = parseQueryUser(f.USER ?? '');
  const account = f.PRIV_USER || qu.privUser || qu.user || null;
  const login = qu.user || null;
  const root = isRootAccount(account);
  const status = statusFacts(f.STATUS); // STATUS: 0 ok, else the MySQL error number
  const database = f.DB || null;
  const details: Record<string, unknown> = {};
  if (f.COMMAND_CLASS) details.command_class = f.COMMAND_CLASS;
  if (f.CONNECTION_TYPE) details.connection_type = f.CONNECTION_TYPE;
  if (f.STATUS_CODE !== undefined && f.STATUS_CODE !== '') details.status_code = f.STATUS_CODE;
  const osLogin = f.OS_LOGIN || f.OS_USER;
  if (osLogin) details.os_login = osLogin;
  if (f.PROXY_USER) details.proxy_user = f.PROXY_USER;
  if (status.error) details.error = status.error;
  if (status.denied) details.denied = true;
  const instance = src.instance;

  const k: KindContext = { f, key, name, timestamp, root, status, database, instance, details };
  const input = startStopInput(k) ?? connectionInput(k) ?? tableInput(k) ?? queryInput(k) ?? commandInput(k);
  if (!input.user)
    input.user = {
      name: account,
      type: root ? 'root' : 'unknown',
      session_user: login && login !== account ? login : null,
    };
  // Literal objects rather than spreads of the per-kind ones (copying objects of several shapes is
  // slow); buildEvent reads these keys only.
  const a = input.action,
    r = input.resource;
  input.action = { name: a?.name, statement: a?.statement, source_name: name, service: src.service }; // NAME
  input.resource = { type: r?.type, name: r?.name, implicit: r?.implicit, scope: { database, instance } }; // DB
  input.outcome_reason = status.reason;
  input.origin = { address: f.IP || f.HOST || qu.ip || qu.host || null, application: attributes?.program_name ?? null }; // IP, HOST
  input.sequence = recordSequence(f.RECORD_ID ?? f.RECORD);
  if (f.CONNECTION_ID) details.connection_id = f.CONNECTION_ID;
  if (attributes && Object.keys(attributes).length) details.connection_attributes = attributes;
  input.details = details;
  return buildEvent(input, {
    kind: src.kind,
    format: src.format,
    variant: src.variant,
    instance: src.instance,
    location: raw.location,
    raw_sha256: raw.sha256,
    record_id: f.RECORD_ID ?? f.RECORD ?? null,
  });
}

/** What each kind of record's mapper reads; `details` is filled in as it goes. */
interface KindContext {
  f: Record<string, string | undefined>;
  /** NAME, lower case, blanks collapsed. */
  key: string;
  name: string;
  timestamp: EventInput['timestamp'];
  root: boolean;
  status: ReturnType<typeof statusFacts>;
  database: string | null;
  instance: string | null;
  details: Record<string, unknown>;
}

/** The plugin's own start / stop record: written by the server, not by a user. */
function startStopInput({ f, key, timestamp, instance, details }: KindContext): EventInput | null {
  if (key !== 'audit' && key !== 'noaudit') return null;
  for (const k of ['SERVER_ID', 'MYSQL_VERSION', 'OS_VERSION', 'VERSION']) if (f[k]) details[k.toLowerCase()] = f[k];
  if (key === 'noaudit') details.audit_stopped = true;
  return {
    timestamp,
    category: 'other',
    action: { name: key === 'audit' ? 'audit_start' : 'audit_stop' },
    user: { name: null, type: 'system' },
    outcome: 'success',
    resource: instance ? { type: 'server', name: instance, implicit: true } : undefined,
  };
}

function connectionInput({ key, timestamp, root, status, database, instance }: KindContext): EventInput | null {
  if (key !== 'connect' && key !== 'quit' && key !== 'change user') return null;
  const failed = status.outcome === 'failure';
  return {
    timestamp,
    category: 'authentication',
    action: {
      name: key === 'connect' ? (failed ? 'login_failed' : 'login') : key === 'quit' ? 'logout' : 'change_user',
    },
    resource: database
      ? { type: 'database', name: database }
      : instance
        ? { type: 'server', name: instance, implicit: true }
        : undefined,
    outcome: status.outcome,
    privileged: privilegeFor({ category: 'authentication', root }),
  };
}

/** MySQL 5.x TableRead / TableInsert / TableUpdate / TableDelete: DB and TABLE. */
function tableInput({ f, key, timestamp, root, status, database, details }: KindContext): EventInput | null {
  // Own keys only: a record named like an Object method (NAME="Constructor") is not a table record.
  const op = Object.hasOwn(TABLE_NAMES, key.replace(/ /g, '')) ? TABLE_NAMES[key.replace(/ /g, '')] : undefined;
  if (!op) return null;
  const t = tableFacts(op, database, f.TABLE ?? null);
  if (t.grantTable) details.grant_table = true;
  return {
    timestamp,
    category: t.category,
    action: { name: t.action, statement: f.SQLTEXT ? sqlFacts(f.SQLTEXT).statement : null },
    resource: { type: 'table', name: database && f.TABLE ? `${database}.${f.TABLE}` : f.TABLE || null },
    outcome: status.outcome,
    privileged: privilegeFor({ category: t.category, ddl: t.ddl, root }),
  };
}

/** Query, Execute, Prepare, ...: SQLTEXT classified; COMMAND_CLASS is MySQL's sql_command. */
function queryInput({ f, name, timestamp, root, status, database, details }: KindContext): EventInput | null {
  if (f.SQLTEXT === undefined || f.SQLTEXT === '') return null;
  const s = sqlFacts(f.SQLTEXT, f.COMMAND_CLASS);
  if (s.auditDisabled) details.audit_logging_disabled = true;
  return {
    timestamp,
    category: s.category,
    action: { name: s.action ?? actionName(name), statement: s.statement },
    resource: s.resource
      ? { ...s.resource, implicit: true }
      : database
        ? { type: 'database', name: database, implicit: true }
        : undefined,
    outcome: status.outcome,
    permission_changes: s.permissionChanges,
    privileged: privilegeFor({
      category: s.category,
      ddl: s.ddl,
      root,
      extra: s.auditDisabled ? ['audit_disabled'] : [],
    }),
  };
}

/** Other commands (Init DB, Ping, Shutdown, Close stmt, ...): kept as what they say. */
function commandInput({ f, name, timestamp, root, status, database }: KindContext): EventInput {
  return {
    timestamp,
    category: 'other',
    action: { name: f.COMMAND_CLASS ? actionName(f.COMMAND_CLASS) : actionName(name) },
    resource: database ? { type: 'database', name: database, implicit: true } : undefined,
    outcome: status.outcome,
    privileged: privilegeFor({ category: 'other', root }),
  };
}
