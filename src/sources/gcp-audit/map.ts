// Maps one Cloud Logging LogEntry (parsed JSON) to an outcome: an event for Cloud Audit Logs
// entries, a counted skip for other entries (jsonPayload, textPayload, other protoPayload types),
// a reject for values that are not LogEntry objects. Pure: no I/O, no clock. The file adapter
// (index.ts) and the live Cloud Logging pull both call `mapLogEntry` per entry; the live pull
// decodes protoPayload into the same proto3 JSON that `gcloud logging read --format=json` prints.
// LogEntry: https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry
// AuditLog: https://cloud.google.com/logging/docs/reference/audit/auditlog/rest/Shared.Types/AuditLog
// Understanding audit logs: https://cloud.google.com/logging/docs/audit/understanding-audit-logs
import { buildEvent, snakeCase } from '../../event/build.js';
import { privilegeFor } from '../../event/privilege.js';
import { isLeapSecond, parseTimestampWithZone, timestampProblem } from '../../event/time.js';
import { event, reject, skip } from '../../pipeline/record.js';
import type { Outcome, RawRecord } from '../../pipeline/types.js';
import { redactSql } from '../../sql/redact.js';
import { classify } from './categories.js';
import { identityOf } from './identity.js';
import {
  AUDIT_LOG_TYPE,
  STATUS_CODE_NAMES,
  arr,
  at,
  logKindOf,
  logParentOf,
  methodLeaf,
  obj,
  str,
  type Json,
  type LogKind,
} from './payload.js';

export const FORMAT_ID = 'gcp-audit';

export interface MapContext {
  /** Records a one-off note for the run summary. */
  note(message: string): void;
  /** Configured instance name of the source (options.instance), used when the entry names none. */
  instance?: string | null;
  /** How the entry was read: json-array, entries-list, json-lines, json-object, or a live source's name. */
  variant?: string | null;
}

export const NOTES = {
  noUser:
    'events without a user: their authenticationInfo names no principal (Cloud Audit Logs redacts some callers, and System Event entries are written by Google systems); user.name is null, never guessed',
  noTimestamp:
    'events without a timestamp: the LogEntry has no valid `timestamp`; receiveTimestamp (when Cloud Logging received it) is kept in details, not used in its place',
  noKind:
    'some entries are not in a Cloud Audit Logs log (logName is not cloudaudit.googleapis.com/activity, data_access, system_event or policy): their details.log_kind is null and their category comes from the method alone',
  pgaudit:
    'Cloud SQL pgaudit entries (cloudsql.instances.query with request.auditClass) were mapped as generic audit entries (user and database from request.user / request.database); --format pgaudit reads their class, statement ids and outcome',
  impliedResource:
    'some entries have no resourceName: their resource is taken from authorizationInfo[0] and marked implicit',
};

/** The SQL the request carries, redacted: Spanner, BigQuery (legacy and newer metadata), Cloud SQL pgaudit. */
export function statementOf(p: Json): string | null {
  const candidates: unknown[] = [
    at(p, 'request', 'sql'), // Spanner ExecuteSql / ExecuteStreamingSql / PartitionQuery
    at(p, 'serviceData', 'jobCompletedEvent', 'job', 'jobConfiguration', 'query', 'query'), // BigQuery AuditData v1
    at(p, 'serviceData', 'jobInsertRequest', 'resource', 'jobConfiguration', 'query', 'query'),
    at(p, 'metadata', 'jobChange', 'job', 'jobConfig', 'queryConfig', 'query'), // BigQueryAuditMetadata
    at(p, 'metadata', 'jobInsertion', 'job', 'jobConfig', 'queryConfig', 'query'),
    at(p, 'request', 'statement'), // Cloud SQL pgaudit entries
  ];
  for (const c of candidates) {
    const s = str(c);
    if (s) return redactSql(s);
  }
  // Spanner UpdateDatabaseDdl: request.statements[] (strings); ExecuteBatchDml: statements[].sql.
  const list = arr(at(p, 'request', 'statements'))
    .map((x) => (typeof x === 'string' ? x : str(obj(x)?.['sql'])))
    .filter((x): x is string => !!x);
  return list.length ? redactSql(list.join(';\n')) : null;
}

interface OutcomeFacts {
  outcome: 'success' | 'failure';
  reason: string | null;
}

/** status.code (absent or 0 = ok), then authorizationInfo[].granted === false, then BigQuery job errors. */
function outcomeOf(p: Json, kind: LogKind | null): OutcomeFacts {
  const status = obj(p['status']);
  const code = typeof status?.['code'] === 'number' ? (status['code'] as number) : Number(status?.['code'] ?? 0) || 0;
  const message = str(status?.['message']);
  if (code !== 0) {
    const name = STATUS_CODE_NAMES[code] ?? `code ${code}`;
    return { outcome: 'failure', reason: message && message !== name ? `${name}: ${message}` : name };
  }
  const denied = arr(p['authorizationInfo'])
    .map(obj)
    .filter((a): a is Json => !!a && a['granted'] === false);
  if (denied.length) {
    const what = denied.map((a) => [str(a['permission']), str(a['resource'])].filter(Boolean).join(' on ')).join('; ');
    return { outcome: 'failure', reason: `PERMISSION_DENIED: ${what || 'authorization not granted'}` };
  }
  const jobError =
    obj(at(p, 'serviceData', 'jobCompletedEvent', 'job', 'jobStatus', 'error')) ??
    obj(at(p, 'metadata', 'jobChange', 'job', 'jobStatus', 'errorResult'));
  const jobMessage = str(jobError?.['message']);
  if (jobMessage) {
    const c = jobError?.['code'];
    const name = typeof c === 'number' ? (STATUS_CODE_NAMES[c] ?? `code ${c}`) : null;
    return { outcome: 'failure', reason: name ? `${name}: ${jobMessage}` : jobMessage };
  }
  if (kind === 'policy') {
    const why = str(at(p, 'metadata', 'violationReason'));
    return { outcome: 'failure', reason: why ? `denied by policy: ${why}` : 'denied by policy' };
  }
  return { outcome: 'success', reason: null };
}

function resourceScope(e: Json, p: Json, resourceName: string | null, logName: string | null, ctx: MapContext) {
  const labels = obj(at(e, 'resource', 'labels')) ?? {};
  const locations = arr(at(p, 'resourceLocation', 'currentLocations')).length
    ? arr(at(p, 'resourceLocation', 'currentLocations'))
    : arr(at(p, 'resourceLocation', 'originalLocations'));
  const locs = locations.filter((x): x is string => typeof x === 'string');
  const rn = resourceName ?? '';
  const cloudSqlInstance = str(labels['database_id'])?.split(':')[1] ?? null; // cloudsql_database: "project:instance"
  return {
    scope: {
      project: str(labels['project_id']) ?? logParentOf(logName), // resource.labels.project_id, else logName
      region:
        str(labels['location']) ??
        str(labels['region']) ??
        str(labels['zone']) ??
        (locs.length === 1 ? locs[0]! : null),
      // The instance name in resourceName first (resource.labels.instance_id is a numeric id on Compute Engine).
      instance:
        /(?:^|\/)instances\/([^/]+)/.exec(rn)?.[1] ??
        str(labels['instance_id']) ??
        cloudSqlInstance ??
        ctx.instance ??
        null,
      database: /(?:^|\/)databases\/([^/]+)/.exec(rn)?.[1] ?? /(?:^|\/)datasets\/([^/]+)/.exec(rn)?.[1] ?? null,
    },
    locations: locs,
    labels,
  };
}

/**
 * Maps one LogEntry. `entry` is the parsed JSON value of `raw.text` (or, for live pulls, the entry
 * decoded to the same JSON). Returns exactly one outcome carrying `raw`.
 */
export function mapLogEntry(entry: unknown, raw: RawRecord, ctx: MapContext): Outcome {
  const e = obj(entry);
  if (!e) return reject(raw, 'not a JSON object: a LogEntry is an object');
  const audit = auditPayload(e, raw);
  if ('outcome' in audit) return audit.outcome;
  const p = audit.payload;

  const logName = str(e['logName']);
  const kind = logKindOf(logName);
  if (!kind) ctx.note(NOTES.noKind);
  const service = str(p['serviceName']);
  const method = str(p['methodName']);
  const leaf = methodLeaf(method);
  if (method === 'cloudsql.instances.query' && obj(p['request'])?.['auditClass'] !== undefined) ctx.note(NOTES.pgaudit);

  // timestamp: RFC 3339 with up to nanoseconds, always UTC ("Z").
  const tsText = str(e['timestamp']);
  const impossible = tsText ? timestampProblem(tsText) : null;
  if (impossible !== null)
    return reject(raw, `timestamp '${tsText!.slice(0, 40)}' is not a time that exists: ${impossible}`);
  const ts = tsText ? parseTimestampWithZone(tsText) : null;
  const timestamp = ts && Number.isFinite(ts.getTime()) ? ts.toISOString() : null;
  if (!timestamp) ctx.note(NOTES.noTimestamp);

  // Cloud SQL pgaudit entries (cloudsql.instances.query) have no authenticationInfo: the acting
  // database user is protoPayload.request.user, the database request.database.
  const sqlRequest = method === 'cloudsql.instances.query' ? obj(p['request']) : null;
  const id = actorOf(p, kind, str(sqlRequest?.['user']), ctx);

  const { resourceName, implicit } = resourceNameOf(p, ctx);
  const where = resourceScope(e, p, resourceName, logName, ctx);
  if (!where.scope.database) where.scope.database = str(sqlRequest?.['database']); // request.database

  const statement = statementOf(p);
  const cls = classify({
    payload: p,
    kind,
    service,
    method,
    leaf,
    statement,
    resourceName,
    actor: id.user.name ?? null,
  });
  for (const n of cls.notes) ctx.note(n);
  const result = outcomeOf(p, kind);

  const details = entryDetails(e, p, kind, tsText, where);
  Object.assign(details, id.details, cls.details);
  if (cls.auditDisabled) details['audit_logging_disabled'] = true;

  const extra: string[] = cls.auditDisabled ? ['audit_disabled'] : [];
  // A public IAM binding is exposure, and still an IAM administration action.
  if (cls.details['public_access'] && cls.permission_changes) extra.push('admin_action');

  const ev = buildEvent(
    {
      timestamp,
      user: id.user,
      action: { name: leaf ? snakeCase(leaf) : null, source_name: method, service, statement },
      resource: { type: str(at(e, 'resource', 'type')), name: resourceName, implicit, scope: where.scope },
      category: cls.category,
      outcome: result.outcome,
      outcome_reason: result.reason,
      origin: {
        address: str(at(p, 'requestMetadata', 'callerIp')),
        application: str(at(p, 'requestMetadata', 'callerSuppliedUserAgent')),
      },
      privileged: privilegeFor({ category: cls.category, ddl: cls.ddl, extra }),
      permission_changes: cls.permission_changes,
      access_request: cls.access_request,
      details,
    },
    {
      kind: 'gcp',
      format: FORMAT_ID,
      variant: ctx.variant ?? null,
      instance: ctx.instance ?? null,
      location: raw.location,
      raw_sha256: raw.sha256,
      record_id: str(e['insertId']),
    },
  );
  return event(ev, raw);
}

/** protoPayload when it is an AuditLog; else the outcome: skipped (another kind of entry) or rejected. */
function auditPayload(e: Json, raw: RawRecord): { payload: Json } | { outcome: Outcome } {
  const payload = e['protoPayload'];
  if (payload === undefined || payload === null) {
    if (e['jsonPayload'] !== undefined) return { outcome: skip(raw, 'not an audit log entry (jsonPayload)') };
    if (e['textPayload'] !== undefined) return { outcome: skip(raw, 'not an audit log entry (textPayload)') };
    if (e['logName'] !== undefined || e['insertId'] !== undefined)
      return { outcome: skip(raw, 'not an audit log entry (no protoPayload)') };
    return { outcome: reject(raw, 'not a Cloud Logging LogEntry: no protoPayload, logName or insertId') };
  }
  const p = obj(payload);
  if (!p) return { outcome: reject(raw, 'protoPayload is not an object') };
  const type = str(p['@type']);
  if (type && type !== AUDIT_LOG_TYPE) return { outcome: skip(raw, `not an audit log entry (protoPayload ${type})`) };
  return { payload: p };
}

/** Who acted: authenticationInfo, else the Cloud SQL request's database user. */
function actorOf(
  p: Json,
  kind: LogKind | null,
  sqlUser: string | null,
  ctx: MapContext,
): ReturnType<typeof identityOf> {
  const id = identityOf(p['authenticationInfo'], kind);
  if (!id.user.name && sqlUser) {
    id.user.name = sqlUser;
    id.missing = null;
  }
  if (!id.user.name) ctx.note(NOTES.noUser);
  return id;
}

/** resourceName; else the first authorization check's resource (implicit). */
function resourceNameOf(p: Json, ctx: MapContext): { resourceName: string | null; implicit: boolean } {
  const resourceName = str(p['resourceName']);
  if (resourceName) return { resourceName, implicit: false };
  const a0 = obj(arr(p['authorizationInfo'])[0]);
  const implied = str(at(a0, 'resourceAttributes', 'name')) ?? str(a0?.['resource']);
  if (!implied) return { resourceName: implied, implicit: false };
  ctx.note(NOTES.impliedResource);
  return { resourceName: implied, implicit: true };
}

/** The entry's own facts for details (identity and classification details follow them). */
function entryDetails(
  e: Json,
  p: Json,
  kind: LogKind | null,
  tsText: string | null,
  where: ReturnType<typeof resourceScope>,
): Json {
  const details: Json = { log_kind: kind, log_name: str(e['logName']) };
  const severity = str(e['severity']);
  if (severity) details['severity'] = severity;
  const operation = obj(e['operation']);
  if (operation) details['operation'] = operation; // operation {id, producer, first, last}: long-running calls
  const received = str(e['receiveTimestamp']);
  if (received) details['receive_timestamp'] = received;
  if (tsText && isLeapSecond(tsText)) details['leap_second'] = tsText;
  const authz = arr(p['authorizationInfo'])
    .map(obj)
    .filter((a): a is Json => !!a)
    .map((a) => ({
      permission: str(a['permission']),
      resource: str(a['resource']),
      granted: typeof a['granted'] === 'boolean' ? a['granted'] : null,
      permission_type: str(a['permissionType']),
    }));
  if (authz.length) details['authorization'] = authz;
  if (Object.keys(where.labels).length) details['resource_labels'] = where.labels;
  if (where.locations.length > 1) details['resource_locations'] = where.locations;
  const network = str(at(p, 'requestMetadata', 'callerNetwork'));
  if (network) details['caller_network'] = network;
  const items = p['numResponseItems'];
  if (items !== undefined) details['num_response_items'] = items;
  const metaType = str(at(p, 'metadata', '@type'));
  if (metaType) details['metadata_type'] = metaType;
  if (kind === 'policy') {
    const why = str(at(p, 'metadata', 'violationReason'));
    if (why) details['violation_reason'] = why;
    const perimeter = str(at(p, 'metadata', 'securityPolicyInfo', 'servicePerimeterName'));
    if (perimeter) details['service_perimeter'] = perimeter;
  }
  return details;
}
