// Cloud SQL for PostgreSQL pgaudit entries: a Cloud Logging LogEntry (data_access audit log,
// methodName cloudsql.instances.query) whose protoPayload.request carries the pgaudit fields as
// JSON: auditType, auditClass, command, objectType, object, statement, parameter, statementId,
// substatementId, user, database, databaseSessionId, chunkIndex, chunkCount.
// https://cloud.google.com/sql/docs/postgres/pg-audit ; LogEntry:
// https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry
import { parseTimestampWithZone, timestampProblem } from '../../event/time.js';
import { buildEvent, snakeCase } from '../../event/build.js';
import { parseJsonObject } from '../../pipeline/json-frames.js';
import { event, reject, skip } from '../../pipeline/record.js';
import type { NormalizeContext, Outcome, RawRecord } from '../../pipeline/types.js';
import { privilegeFor } from '../../event/privilege.js';
import { parsePermissionChanges, statementResource, disablesAuditLogging } from '../../sql/classify.js';
import { redactSql } from '../../sql/redact.js';
import { redactParameters } from '../../redact/sql.js';
import type { AuditRecord } from './audit-payload.js';
import { auditCategory, functionNotTable, roleAttributeChanges, userType, BOOTSTRAP_SUPERUSER } from './map.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
const int = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null;

export const NOT_PGAUDIT_ENTRY = 'Cloud Logging entry that is not a Cloud SQL pgaudit record';

/** True when the text looks like a Cloud SQL pgaudit LogEntry (for detection). */
export function looksCloudSql(head: string): boolean {
  return head.includes('cloudsql.instances.query') && /"auditClass"\s*:/.test(head);
}

/** The LogEntry, its protoPayload and request, or what to do with a record that is not one. */
function readEntry(raw: RawRecord): { e: Obj; pp: Obj; req: Obj } | { outcome: Outcome } {
  if (raw.error) return { outcome: reject(raw, raw.error) };
  const parsed = parseJsonObject(raw);
  if ('error' in parsed) return { outcome: reject(raw, `Cloud SQL entry is not a JSON object (${parsed.error})`) };
  const e = parsed.value;
  const pp = obj(e.protoPayload);
  const req = obj(pp?.request);
  if (!pp || !req || pp.methodName !== 'cloudsql.instances.query' || typeof req.auditClass !== 'string')
    return { outcome: skip(raw, NOT_PGAUDIT_ENTRY) };
  return { e, pp, req };
}

/** The pgaudit fields of request.* (statement redacted; a marker such as '<not logged>' kept apart). */
function auditRecordOf(req: Obj, sid: number, sub: number | null, command: string): AuditRecord {
  const rawStatement = str(req.statement); // request.statement
  const statement =
    rawStatement === null || rawStatement === '<not logged>' || rawStatement === '<previously logged>'
      ? null
      : redactSql(rawStatement);
  return {
    auditType: str(req.auditType) ?? 'SESSION',
    statementId: sid,
    substatementId: sub ?? 1,
    auditClass: req.auditClass as string,
    command,
    objectType: str(req.objectType),
    objectName: str(req.object),
    statement,
    statementMarker: statement === null ? rawStatement : null,
    parameter: str(req.parameter),
    rows: int(req.rows),
  };
}

function noteCloudSql(ctx: NormalizeContext, chunkCount: number | null, user: string | null): void {
  if (chunkCount !== null && chunkCount > 1)
    ctx.note(
      'Cloud SQL split long statements into chunks (chunkIndex/chunkCount): each chunk is its own event with part of the statement',
    );
  if (user === BOOTSTRAP_SUPERUSER)
    ctx.note(
      `'${BOOTSTRAP_SUPERUSER}' is the bootstrap superuser, a shared administrator account: its events are typed root and marked privileged (superuser)`,
    );
}

function detailsOf(
  a: AuditRecord,
  e: Obj,
  req: Obj,
  rawStatement: string | null,
  stream: string | null,
  chunkCount: number | null,
  disables: boolean,
): Record<string, unknown> {
  const details: Record<string, unknown> = {
    audit_type: a.auditType,
    class: a.auditClass,
    object_type: a.objectType,
    parameter: redactParameters(rawStatement, a.parameter),
    rows: a.rows,
    session_id: stream,
    pid: null,
    backend_type: null,
    sqlstate: null,
    chunk_index: int(req.chunkIndex),
    chunk_count: chunkCount,
    insert_id: str(e.insertId),
    log_name: str(e.logName),
  };
  if (a.statementMarker) details.statement_not_logged = a.statementMarker;
  if (disables) details.audit_logging_disabled = true;
  return details;
}

/** The object pgaudit named, else the one the statement names (implicit), else none. */
function resourceTarget(a: AuditRecord) {
  if (a.objectName)
    return {
      type: a.objectType ? a.objectType.toLowerCase().replace(/\s+/g, '_') : null,
      name: a.objectName,
      implicit: false,
    };
  const fromSql = functionNotTable(statementResource(a.statement), a.statement);
  return fromSql ? { ...fromSql, implicit: true } : {};
}

export function normalizeCloudSql(raw: RawRecord, ctx: NormalizeContext): Outcome {
  const entry = readEntry(raw);
  if ('outcome' in entry) return entry.outcome;
  const { e, pp, req } = entry;
  const sid = int(req.statementId);
  const sub = int(req.substatementId);
  const command = str(req.command);
  if (sid === null || !command) return reject(raw, 'Cloud SQL pgaudit entry has no statementId or command');
  const ts = str(e.timestamp); // timestamp
  const impossible = ts ? timestampProblem(ts) : null;
  if (impossible !== null)
    return reject(raw, `timestamp '${ts!.slice(0, 40)}' is not a time that exists: ${impossible}`);
  const t = ts ? (parseTimestampWithZone(ts) ?? new Date(ts)) : null;
  const timestamp = t && Number.isFinite(t.getTime()) ? t.toISOString() : null;
  const rawStatement = str(req.statement); // request.statement
  const a = auditRecordOf(req, sid, sub, command);
  const statement = a.statement;
  const category = auditCategory(a);
  const user = str(req.user); // request.user
  const database = str(req.database); // request.database
  const labels = obj(obj(e.resource)?.labels) ?? {};
  const instance = str(pp.resourceName)?.replace(/^instances\//, '') ?? str(labels.database_id);
  const stream = req.databaseSessionId !== undefined ? str(req.databaseSessionId) : null;
  const disables = disablesAuditLogging(statement);
  const chunkCount = int(req.chunkCount);
  noteCloudSql(ctx, chunkCount, user);
  const status = obj(pp.status);
  const code = status ? int(status.code) : null;
  const ev = buildEvent(
    {
      timestamp,
      user: { name: user, type: userType(user, null) },
      action: { name: snakeCase(command), source_name: command, service: 'postgresql', statement },
      resource: {
        ...resourceTarget(a),
        scope: { database, instance, project: str(labels.project_id), region: str(labels.region) },
      },
      category,
      outcome: code === null ? 'unknown' : code === 0 ? 'success' : 'failure',
      outcome_reason: code ? (str(status?.message) ?? `status ${code}`) : null,
      privileged: privilegeFor({
        category,
        ddl: a.auditClass === 'DDL',
        superuser: user === BOOTSTRAP_SUPERUSER,
        extra: disables ? ['audit_disabled'] : [],
      }),
      permission_changes:
        category === 'permission_change'
          ? (parsePermissionChanges(statement) ?? roleAttributeChanges(statement))
          : null,
      sequence: stream ? { stream, number: sid, sub } : null,
      details: detailsOf(a, e, req, rawStatement, stream, chunkCount, disables),
    },
    {
      kind: 'postgresql',
      format: 'pgaudit',
      variant: 'cloudsql',
      instance: ctx.options.instance ?? null,
      location: raw.location,
      raw_sha256: raw.sha256,
      record_id: stream ? `${stream}/${sid}/${sub ?? ''}` : str(e.insertId),
    },
  );
  return event(ev, raw);
}
