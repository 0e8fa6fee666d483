// Maps one parsed MariaDB server_audit record to an AuditEvent. Pure: the caller passes the time
// conversion and the options. Field meanings: https://mariadb.com/kb/en/mariadb-audit-plugin-log-format/
// and ../shared/design/sources.md (field map, category signals).
import { buildEvent, snakeCase, type Category, type EventInput } from '../../event/build.js';
import type { AuditEvent } from '../../event/types.generated.js';
import { privilegeFor } from '../../event/privilege.js';
import type { RawRecord } from '../../pipeline/types.js';
import { isRootAccount } from '../mysql-common/account.js';
import { statusFacts } from '../mysql-common/errors.js';
import { sqlFacts, tableFacts } from '../mysql-common/sql-facts.js';
import { upperCase } from '../../sql/classify.js';
import type { ServerAuditRecord } from './parse.js';

export const FORMAT = 'mariadb-audit';

export interface MapContext {
  /** Configured instance name (options.instance); the record's serverhost is used when absent. */
  instance: string | null;
  /** The event's UTC timestamp, already converted. */
  timestamp: string | null;
  /** The zone assumed to convert a zone-less local timestamp; null for epoch timestamps. */
  zoneAssumed: string | null;
  /** 'server_audit' (local time) or 'aurora' (epoch microseconds, Amazon Aurora / RDS exports). */
  variant: string;
}

const CONNECTION_OPS = new Set(['CONNECT', 'DISCONNECT', 'FAILED_CONNECT', 'CHANGE_USER', 'CHANGE_USER_DONE']);
const TABLE_OPS = new Set(['READ', 'WRITE', 'CREATE', 'ALTER', 'RENAME', 'DROP']);

/** Splits MariaDB 12's `host:port` client field; IPv6 addresses (several colons) are left whole. */
export function splitHostPort(host: string): { address: string | null; port: number | null } {
  const c = host.indexOf(':');
  if (c > 0 && c === host.lastIndexOf(':')) {
    const p = host.slice(c + 1);
    if (/^\d{1,5}$/.test(p)) return { address: host.slice(0, c), port: Number(p) };
  }
  return { address: host || null, port: null };
}

function safeInt(s: string): number | null {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** What differs by operation: set by one of the functions below, then built into the event once. */
interface OpParts {
  category: Category;
  action: string | null;
  statement: string | null;
  resource: EventInput['resource'];
  outcome: EventInput['outcome'];
  permissionChanges: EventInput['permission_changes'];
  privileged: EventInput['privileged'];
}

/** The facts every operation shares, for the functions below. */
interface RecordFacts {
  rec: ServerAuditRecord;
  op: string;
  instance: string | null;
  database: string | null;
  root: boolean;
  status: ReturnType<typeof statusFacts>;
  details: Record<string, unknown>;
}

/** CONNECT / FAILED_CONNECT (retcode = the error, e.g. 1045) / DISCONNECT / CHANGE_USER. */
function connectionParts(f: RecordFacts): OpParts {
  const { rec, op, database, instance, status, root } = f;
  const action =
    op === 'FAILED_CONNECT' || (op === 'CONNECT' && status.outcome === 'failure')
      ? 'login_failed'
      : op === 'CONNECT'
        ? 'login'
        : op === 'DISCONNECT'
          ? 'logout'
          : snakeCase(op);
  if (op.startsWith('CHANGE_USER') && rec.object) f.details.new_user = rec.object.replace(/^`|`$/g, '');
  return {
    category: 'authentication',
    action,
    statement: null,
    // The login's target: the database named at connect time, else the server itself.
    resource: database
      ? { type: 'database', name: database, scope: { database, instance } }
      : { type: 'server', name: instance, implicit: true, scope: { database, instance } },
    outcome: op === 'FAILED_CONNECT' && status.outcome !== 'failure' ? 'failure' : status.outcome,
    permissionChanges: null,
    privileged: privilegeFor({ category: 'authentication', root }),
  };
}

/** QUERY (and the QUERY_DDL / QUERY_DML / QUERY_DCL names some builds write): object = the SQL. */
function queryParts(f: RecordFacts): OpParts {
  const { rec, database, instance, status, root, details } = f;
  const q = sqlFacts(rec.object);
  if (q.command) details.sql_command = q.command;
  if (q.auditDisabled) details.audit_logging_disabled = true;
  return {
    category: q.category,
    action: q.action ?? 'query',
    statement: q.statement,
    resource: q.resource
      ? { type: q.resource.type, name: q.resource.name, implicit: true, scope: { database, instance } }
      : database
        ? { type: 'database', name: database, implicit: true, scope: { database, instance } }
        : { scope: { database, instance } },
    outcome: status.outcome,
    permissionChanges: q.permissionChanges,
    privileged: privilegeFor({
      category: q.category,
      ddl: q.ddl,
      root,
      extra: q.auditDisabled ? ['audit_disabled'] : [],
    }),
  };
}

/** TABLE events: database,object = db,table; RENAME: object = table|new_db.new_table. */
function tableParts(f: RecordFacts): OpParts {
  const { rec, op, database, instance, status, root, details } = f;
  let table = rec.object;
  if (op === 'RENAME') {
    const bar = table.indexOf('|');
    if (bar >= 0) {
      details.renamed_to = table.slice(bar + 1);
      table = table.slice(0, bar);
    }
  }
  const t = tableFacts(op, database, table);
  if (t.grantTable) details.grant_table = true;
  return {
    category: t.category,
    action: t.action,
    statement: null,
    resource: {
      type: 'table',
      name: database && table ? `${database}.${table}` : table || null,
      scope: { database, instance },
    },
    outcome: status.outcome,
    permissionChanges: null,
    privileged: privilegeFor({ category: t.category, ddl: t.ddl, root }),
  };
}

/** The plugin's own settings changed: object = variable=value (server_audit_ prefix omitted). */
function auditConfigParts(f: RecordFacts): OpParts {
  const { rec, database, instance, status, root, details } = f;
  const eq = rec.object.indexOf('=');
  const variable = eq >= 0 ? rec.object.slice(0, eq) : rec.object;
  const value = eq >= 0 ? rec.object.slice(eq + 1) : null;
  details.value = value;
  const disabled = /^(server_audit_)?logging$/i.test(variable) && /^(OFF|0|FALSE)$/i.test(value ?? '');
  if (disabled) details.audit_logging_disabled = true;
  return {
    category: 'policy_change',
    action: 'audit_config',
    statement: null,
    resource: { type: 'parameter', name: variable || null, scope: { database, instance } },
    outcome: status.outcome,
    permissionChanges: null,
    privileged: privilegeFor({ category: 'policy_change', root, extra: disabled ? ['audit_disabled'] : [] }),
  };
}

/** An operation this version does not know: kept, with what the record says. */
function otherParts(f: RecordFacts): OpParts {
  const { rec, op, database, instance, status, root, details } = f;
  if (rec.object) details.object = rec.object;
  return {
    category: 'other',
    action: snakeCase(op),
    statement: null,
    resource: database
      ? { type: 'database', name: database, scope: { database, instance } }
      : { scope: { database, instance } },
    outcome: status.outcome,
    permissionChanges: null,
    privileged: privilegeFor({ category: 'other', root }),
  };
}

function opParts(f: RecordFacts): OpParts {
  const op = f.op;
  if (CONNECTION_OPS.has(op)) return connectionParts(f);
  if (op.startsWith('QUERY')) return queryParts(f);
  if (TABLE_OPS.has(op)) return tableParts(f);
  if (op === 'AUDIT_CONFIG') return auditConfigParts(f);
  return otherParts(f);
}

export function mapServerAudit(rec: ServerAuditRecord, raw: RawRecord, mc: MapContext): AuditEvent {
  const op = upperCase(rec.operation);
  const instance = mc.instance ?? (rec.serverhost || null);
  const root = isRootAccount(rec.username);
  const origin = splitHostPort(rec.host); // host: client host name or IP
  const database = rec.database || null; // database: the session's current database
  const status = statusFacts(rec.retcode); // retcode: 0 ok, MySQL error number, '' for TABLE events
  const queryNo = safeInt(rec.queryId);
  const details: Record<string, unknown> = { server_host: rec.serverhost };
  if (rec.connectionType !== null && rec.connectionType !== '') details.connection_type = rec.connectionType;
  if (rec.extra.some((x) => x !== '')) details.extra_fields = rec.extra;
  if (status.error) details.error = status.error;
  if (status.denied) details.denied = true;
  const { category, action, statement, resource, outcome, permissionChanges, privileged } = opParts({
    rec,
    op,
    instance,
    database,
    root,
    status,
    details,
  });

  const input: EventInput = {
    timestamp: mc.timestamp,
    timestamp_zone_assumed: mc.zoneAssumed,
    user: { name: rec.username || null, type: root ? 'root' : 'unknown' }, // username
    action: { name: action, statement, source_name: rec.operation, service: 'mariadb' }, // operation
    resource, // scope: database, serverhost
    category,
    outcome,
    outcome_reason: status.reason,
    origin: { address: origin.address, port: origin.port }, // host
    privileged,
    permission_changes: permissionChanges,
    sequence: queryNo === null ? null : { stream: rec.connectionId, number: queryNo }, // connectionid, queryid
    details,
  };
  return buildEvent(input, {
    kind: 'mariadb',
    format: FORMAT,
    variant: mc.variant,
    instance: mc.instance,
    location: raw.location,
    raw_sha256: raw.sha256,
    record_id: `${rec.serverhost}/${rec.connectionId}/${rec.queryId}/${raw.location.line ?? raw.location.index ?? ''}`,
  });
}
