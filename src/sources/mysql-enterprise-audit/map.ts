// Maps one MySQL Enterprise Audit JSON record (audit_log_format=JSON) to an AuditEvent. Pure.
// Format: https://dev.mysql.com/doc/refman/8.0/en/audit-log-file-formats.html#audit-log-file-json-format
// Keys: timestamp (YYYY-MM-DD hh:mm:ss, UTC), id, class, event, connection_id, account{user,host},
// login{user,os,ip,proxy}, and one of connection_data, general_data, table_access_data,
// startup_data, shutdown_data, global_variable_data, authentication_data, ...
import { buildEvent, type Category, type EventInput } from '../../event/build.js';
import type { AuditEvent } from '../../event/types.generated.js';
import { privilegeFor } from '../../event/privilege.js';
import type { RawRecord } from '../../pipeline/types.js';
import { isRootAccount } from '../mysql-common/account.js';
import { statusFacts } from '../mysql-common/errors.js';
import { parseUtcTimestamp } from '../mysql-common/local-time.js';
import { actionName, sqlFacts, tableFacts } from '../mysql-common/sql-facts.js';
import type { RecordSource } from '../mysql-common/audit-record.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;

const AUTHID_CHANGES = new Set([
  'auth_authid_create',
  'auth_authid_drop',
  'auth_authid_rename',
  'auth_credential_change',
]);

/** What every class's mapper reads; `details` and `application` are filled in as it goes. */
interface ClassContext {
  o: Obj;
  cls: string;
  ev: string | null;
  timestamp: EventInput['timestamp'];
  root: boolean;
  server: { type: string; name: string; implicit: boolean } | undefined;
  details: Record<string, unknown>;
  application: string | null;
}

/** The outcome of a `status` (0 ok, else an error number); the error and a denial go to details. */
function withStatus(c: ClassContext, status: unknown): ReturnType<typeof statusFacts> {
  const s = statusFacts(status as string | number | null | undefined);
  if (s.error) c.details.error = s.error;
  if (s.denied) c.details.denied = true;
  return s;
}

/** The event input of each record class (a Map: a class named like an Object method is just another class); other classes are kept as class_event (otherClass). */
const CLASS_MAPPERS = new Map<string, (c: ClassContext) => EventInput>([
  ['audit', auditClass],
  ['connection', connectionClass],
  ['general', generalClass],
  ['table_access', tableAccessClass],
  ['global_variable', globalVariableClass],
]);

export function mapEnterpriseJson(o: Obj, raw: RawRecord, src: RecordSource): AuditEvent | { error: string } {
  const cls = str(o.class);
  const ev = str(o.event);
  if (!cls) return { error: 'the record has no "class": not a MySQL Enterprise Audit JSON record' };
  const tsText = str(o.timestamp);
  const timestamp = tsText ? parseUtcTimestamp(tsText) : null; // timestamp: UTC
  if (tsText && timestamp === null) return { error: `timestamp '${tsText.slice(0, 40)}' is not YYYY-MM-DD hh:mm:ss` };

  const account = obj(o.account);
  const login = obj(o.login);
  const user = str(account.user) ?? str(login.user); // account.user; login.user on failed connects
  const loginUser = str(login.user);
  const root = isRootAccount(user);
  const details: Record<string, unknown> = {};
  if (o.connection_id !== undefined) details.connection_id = o.connection_id;
  if (o.id !== undefined) details.event_id = o.id;
  if (str(login.proxy)) details.proxy_user = str(login.proxy);
  if (str(login.os)) details.os_login = str(login.os);
  const instance = src.instance;
  const server = instance ? { type: 'server', name: instance, implicit: true } : undefined;

  const c: ClassContext = { o, cls, ev, timestamp, root, server, details, application: null };
  const input = (CLASS_MAPPERS.get(cls) ?? otherClass)(c);
  if (!input.user)
    input.user = {
      name: user,
      type: root ? 'root' : 'unknown',
      session_user: loginUser && loginUser !== user ? loginUser : null,
      id: user && str(account.host) ? `${user}@${str(account.host)}` : null,
    };
  // Literal objects rather than spreads of the per-class ones (copying objects of several shapes
  // was the largest part of this function's time); buildEvent reads these keys only.
  const a = input.action,
    r = input.resource;
  input.action = {
    name: a?.name,
    statement: a?.statement,
    source_name: ev ? `${cls}.${ev}` : cls,
    service: src.service,
  }; // class + event
  input.resource = {
    type: r?.type,
    name: r?.name,
    implicit: r?.implicit,
    scope: { database: r?.scope?.database, instance },
  };
  input.origin = { address: str(login.ip) ?? str(account.host), application: c.application }; // login.ip, else account.host
  input.details = details;
  const id = o.id !== undefined ? String(o.id) : null;
  return buildEvent(input, {
    kind: src.kind,
    format: src.format,
    variant: src.variant,
    instance,
    location: raw.location,
    raw_sha256: raw.sha256,
    record_id: id !== null && tsText ? `${id}_${tsText}` : id,
  });
}

/** startup / shutdown of the audit log itself: system records. */
function auditClass({ o, ev, timestamp, server, details }: ClassContext): EventInput {
  const d = obj(o.startup_data ?? o.shutdown_data);
  for (const k of ['server_id', 'mysql_version', 'os_version']) if (d[k] !== undefined) details[k] = d[k];
  if (ev !== 'startup') details.audit_stopped = true;
  return {
    timestamp,
    category: 'other',
    action: { name: ev === 'startup' ? 'audit_start' : 'audit_stop' },
    user: { name: null, type: 'system' },
    outcome: 'success',
    resource: server,
  };
}

function connectionClass(c: ClassContext): EventInput {
  const { o, ev, timestamp, root, server, details } = c;
  const d = obj(o.connection_data);
  const s = withStatus(c, d.status); // connection_data.status: 0 ok, 1045 access denied, ...
  if (str(d.connection_type)) details.connection_type = str(d.connection_type);
  const attrs = obj(d.connection_attributes);
  c.application = str(attrs.program_name);
  if (str(attrs._client_name)) details.client_name = str(attrs._client_name);
  if (Object.keys(attrs).length) details.connection_attributes = attrs;
  const db = str(d.db);
  const input: EventInput = {
    timestamp,
    category: 'authentication',
    action: {
      name:
        ev === 'connect'
          ? s.outcome === 'failure'
            ? 'login_failed'
            : 'login'
          : ev === 'disconnect'
            ? 'logout'
            : actionName(ev ?? 'connection'),
    },
    resource: db ? { type: 'database', name: db } : server,
    outcome: s.outcome,
    outcome_reason: s.reason,
    privileged: privilegeFor({ category: 'authentication', root }),
  };
  if (db) input.resource = { ...input.resource, scope: { database: db } };
  return input;
}

function generalClass(c: ClassContext): EventInput {
  const { o, ev, timestamp, root, details } = c;
  const d = obj(o.general_data);
  const s = withStatus(c, d.status); // general_data.status
  const query = str(d.query);
  if (str(d.sql_command)) details.sql_command = str(d.sql_command);
  if (str(d.command)) details.command = str(d.command);
  if (!query)
    return {
      timestamp,
      category: 'other',
      action: { name: actionName(str(d.sql_command) ?? str(d.command) ?? ev ?? 'general') },
      outcome: s.outcome,
      outcome_reason: s.reason,
      privileged: privilegeFor({ category: 'other', root }),
    };
  const f = sqlFacts(query, str(d.sql_command));
  if (f.auditDisabled) details.audit_logging_disabled = true;
  return {
    timestamp,
    category: f.category,
    action: { name: f.action ?? actionName(str(d.sql_command) ?? 'query'), statement: f.statement },
    resource: f.resource ? { ...f.resource, implicit: true } : undefined,
    outcome: s.outcome,
    outcome_reason: s.reason,
    permission_changes: f.permissionChanges,
    privileged: privilegeFor({
      category: f.category,
      ddl: f.ddl,
      root,
      extra: f.auditDisabled ? ['audit_disabled'] : [],
    }),
  };
}

function tableAccessClass({ o, ev, timestamp, root, details }: ClassContext): EventInput {
  const d = obj(o.table_access_data);
  const db = str(d.db),
    table = str(d.table);
  const t = tableFacts(ev ?? 'read', db, table); // event: read / insert / update / delete
  if (t.grantTable) details.grant_table = true;
  if (str(d.sql_command)) details.sql_command = str(d.sql_command);
  const query = str(d.query);
  return {
    timestamp,
    category: t.category,
    action: { name: t.action, statement: query ? sqlFacts(query).statement : null },
    resource: { type: 'table', name: db && table ? `${db}.${table}` : table, scope: { database: db } },
    outcome: 'unknown',
    privileged: privilegeFor({ category: t.category, ddl: t.ddl, root }),
  };
}

function globalVariableClass({ o, ev, timestamp, root, details }: ClassContext): EventInput {
  const d = obj(o.global_variable_data);
  const variable = str(d.variable_name);
  const value = str(d.variable_value);
  details.value = value;
  const set = ev === 'set';
  const disabled =
    set &&
    /^(server_audit_logging|audit_log_disable)$/i.test(variable ?? '') &&
    (variable === 'audit_log_disable' ? /^(ON|1|TRUE)$/i.test(value ?? '') : /^(OFF|0|FALSE)$/i.test(value ?? ''));
  if (disabled) details.audit_logging_disabled = true;
  const category: Category = set ? 'policy_change' : 'other';
  return {
    timestamp,
    category,
    action: { name: set ? 'set_global' : 'get_global' },
    resource: variable ? { type: 'parameter', name: variable } : undefined,
    outcome: 'unknown',
    privileged: privilegeFor({ category, root, extra: disabled ? ['audit_disabled'] : [] }),
  };
}

/** authentication, command, query, stored_program, message, parse: kept as class_event. */
function otherClass(c: ClassContext): EventInput {
  const { o, cls, ev, timestamp, root, details } = c;
  const category: Category = cls === 'authentication' && AUTHID_CHANGES.has(ev ?? '') ? 'permission_change' : 'other';
  const d = obj(o[`${cls}_data`]);
  const s = withStatus(c, d.status);
  if (Object.keys(d).length) details[`${cls}_data`] = d;
  return {
    timestamp,
    category,
    action: { name: actionName(`${cls}_${ev ?? ''}`) },
    outcome: s.outcome,
    outcome_reason: s.reason,
    privileged: privilegeFor({ category, root }),
  };
}
