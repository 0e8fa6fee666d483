// Which of the six categories a Cloud Audit Logs entry belongs to, and the structured facts that go
// with the category (binding deltas, access-request decisions, audit logging turned off).
// Signals: ../shared/design/sources.md "Category signals" (GCP column). Vendor references:
//   IAM audit logging: https://cloud.google.com/iam/docs/audit-logging
//   Privileged Access Manager: https://cloud.google.com/iam/docs/audit-logging/audit-logging-pam
//     and the Grant resource: https://cloud.google.com/iam/docs/reference/pam/rest/v1/folders.locations.entitlements.grants
//   Access Approval: https://cloud.google.com/assured-workloads/access-approval/docs/audit-logs
//   Logging (sinks, buckets, exclusions): https://cloud.google.com/logging/docs/audit/configure-data-access
//   Organization Policy: https://cloud.google.com/resource-manager/docs/organization-policy/audit-logging
//   Cloud SQL: https://cloud.google.com/sql/docs/postgres/audit-logging
import type { AccessRequest, PermissionChange } from '../../event/types.generated.js';
import type { Category } from '../../event/build.js';
import { parsePermissionChanges, sqlCategory, sqlCommand } from '../../sql/classify.js';
import { auditConfigDeltas, bindingDeltas, publicMembersInPolicy } from './iam-delta.js';
import { arr, at, obj, str, type Json, type LogKind } from './payload.js';

export interface ClassifyInput {
  payload: Json;
  kind: LogKind | null;
  service: string | null;
  method: string | null;
  /** Last segment of the method name. */
  leaf: string | null;
  statement: string | null;
  resourceName: string | null;
  /** The acting principal (for requester/approver). */
  actor: string | null;
}

export interface Classification {
  category: Category;
  permission_changes: PermissionChange[] | null;
  access_request: (Partial<AccessRequest> & Pick<AccessRequest, 'state'>) | null;
  /** The action turns audit logging off or narrows it. */
  auditDisabled: boolean;
  /** The action is DDL (admin-class by the common privilege rule). */
  ddl: boolean;
  details: Json;
  /** One-off notes for the run summary. */
  notes: string[];
}

/** Read-only API verbs: their entries are reads, whatever log holds them. */
// (CamelCase gRPC verbs, and the legacy lowercase ones such as `jobservice.getqueryresults`,
// `storage.objects.list`, `compute.instances.aggregatedList`.)
const READ_VERB =
  /^(Get|List|Search|Query|Lookup|Check|Test|BatchGet|Read|Fetch|Describe|Aggregated|Watch|Validate)|^(get|list|search|lookup|read|watch|aggregatedlist|testiampermissions)/i;

const PAM_DECISIONS: Record<string, AccessRequest['state']> = {
  CreateGrant: 'requested',
  ApproveGrant: 'approved',
  DenyGrant: 'denied',
  RevokeGrant: 'revoked',
  WithdrawGrant: 'withdrawn',
};
const ACCESS_APPROVAL_DECISIONS: Record<string, AccessRequest['state']> = {
  ApproveApprovalRequest: 'approved',
  DismissApprovalRequest: 'denied',
  InvalidateApprovalRequest: 'revoked',
};

/** An entitlement name from a grant name (`.../entitlements/<e>/grants/<g>` -> `.../entitlements/<e>`). */
function entitlementOf(name: string | null): string | null {
  if (!name) return null;
  const m = /^(.*\/entitlements\/[^/]+)(?:\/grants\/[^/]+)?$/.exec(name);
  return m ? m[1]! : null;
}

function pamGrant(i: ClassifyInput, state: AccessRequest['state']): Pick<Classification, 'access_request' | 'details'> {
  const p = i.payload;
  // CreateGrant: request {parent: entitlement, grant: {requestedDuration, justification}}; the
  // decisions: request {name: grant, reason}; their response is the Grant after the call.
  const grant = obj(at(p, 'response')) ?? obj(at(p, 'request', 'grant')) ?? {};
  const reqGrant = obj(at(p, 'request', 'grant')) ?? {};
  const grantName = str(at(p, 'request', 'name')) ?? str(grant['name']) ?? i.resourceName;
  const justification =
    str(at(reqGrant, 'justification', 'unstructuredJustification')) ??
    str(at(grant, 'justification', 'unstructuredJustification'));
  const requester =
    state === 'requested' || state === 'withdrawn' ? (i.actor ?? str(grant['requester'])) : str(grant['requester']);
  const approver = state === 'approved' || state === 'denied' || state === 'revoked' ? i.actor : null;
  // Expiry as the Grant gives it: the requested duration (e.g. "3600s").
  const duration = str(reqGrant['requestedDuration']) ?? str(grant['requestedDuration']);
  const roles = arr(at(grant, 'privilegedAccess', 'gcpIamAccess', 'roleBindings'))
    .map((b) => str(obj(b)?.['role']))
    .filter(Boolean);
  const details: Json = {};
  const grantState = str(grant['state']);
  if (grantState) details['grant_state'] = grantState;
  const reason = str(at(p, 'request', 'reason'));
  if (reason) details['decision_reason'] = reason;
  if (roles.length) details['requested_roles'] = roles;
  if (grantName && /\/grants\//.test(grantName)) details['grant'] = grantName;
  return {
    access_request: {
      state,
      requester,
      approver,
      justification,
      expires: duration,
      entitlement: str(at(p, 'request', 'parent')) ?? entitlementOf(grantName),
    },
    details,
  };
}

function accessApproval(
  i: ClassifyInput,
  state: AccessRequest['state'],
): Pick<Classification, 'access_request' | 'details'> {
  const r = obj(i.payload['response']) ?? {};
  // ApprovalRequest: requestedResourceName, requestedReason {type, detail}, requestedExpiration.
  const reason = obj(r['requestedReason']);
  return {
    access_request: {
      state,
      requester: null, // Google personnel asking for access are not named in the log
      approver: i.actor,
      justification: reason ? [str(reason['type']), str(reason['detail'])].filter(Boolean).join(': ') || null : null,
      expires:
        str(at(r, 'approve', 'expireTime')) ??
        str(r['requestedExpiration']) ??
        str(at(i.payload, 'request', 'expireTime')),
      entitlement: str(r['requestedResourceName']),
    },
    details: {},
  };
}

/** Logging config changes that turn audit logs off: deleting or disabling a sink, excluding audit logs. */
function loggingDisablesAudit(i: ClassifyInput): boolean {
  const leaf = i.leaf ?? '';
  const req = obj(i.payload['request']) ?? {};
  if (leaf === 'DeleteSink') return true;
  const sink = obj(req['sink']);
  if (sink && sink['disabled'] === true) return true;
  const exclusions = [
    obj(req['exclusion']),
    ...arr(sink?.['exclusions']).map(obj),
    ...arr(at(req, 'bucket', 'exclusions')).map(obj),
  ];
  if ((/Exclusion$/.test(leaf) && leaf !== 'DeleteExclusion') || sink) {
    for (const ex of exclusions) {
      if (!ex || ex['disabled'] === true) continue;
      if (/cloudaudit\.googleapis\.com|protoPayload|LOG_ID\(/i.test(str(ex['filter']) ?? '')) return true;
    }
  }
  // DeleteLog on an audit log removes the audit records themselves.
  if (leaf === 'DeleteLog' && /cloudaudit\.googleapis\.com/.test(str(req['logName']) ?? i.resourceName ?? ''))
    return true;
  return false;
}

/** Cloud SQL instance updates that switch pgaudit off (database flags). */
function cloudSqlDisablesAudit(p: Json): boolean {
  const flags = [
    ...arr(at(p, 'request', 'body', 'settings', 'databaseFlags')),
    ...arr(at(p, 'request', 'settings', 'databaseFlags')),
  ];
  return flags.some((f) => {
    const o = obj(f);
    const name = str(o?.['name']);
    const value = (str(o?.['value']) ?? '').toLowerCase();
    return (name === 'cloudsql.enable_pgaudit' && value === 'off') || (name === 'pgaudit.log' && value === 'none');
  });
}

function base(category: Category): Classification {
  return {
    category,
    permission_changes: null,
    access_request: null,
    auditDisabled: false,
    ddl: false,
    details: {},
    notes: [],
  };
}

/** The input with the names the rules test, spelled once. */
interface Facts {
  i: ClassifyInput;
  service: string;
  leaf: string;
  method: string;
  isRead: boolean;
  p: Json;
}

/** The rules, in the order they are tried: the first that returns a classification wins (else the log kind decides). */
const RULES: ((f: Facts) => Classification | null)[] = [
  privilegedAccess,
  accessApprovalRule,
  credentials,
  iamPolicy,
  loggingConfig,
  // Organization policy (v2 API, and the v1 Resource Manager methods).
  (f) =>
    (f.service === 'orgpolicy.googleapis.com' && !f.isRead) || /^(SetOrgPolicy|ClearOrgPolicy)$/.test(f.leaf)
      ? base('policy_change')
      : null,
  auditConfig,
  // IAM: roles, service accounts and their keys, workload identity: permission changes.
  (f) => (f.service === 'iam.googleapis.com' && !f.isRead ? base('permission_change') : null),
  cloudSqlAdmin,
  // Exports that move data out of the store.
  (f) => exportOrExtract(f.i),
  sqlStatement,
];

export function classify(i: ClassifyInput): Classification {
  const leaf = i.leaf ?? '';
  const f: Facts = {
    i,
    service: i.service ?? '',
    leaf,
    method: i.method ?? '',
    isRead: READ_VERB.test(leaf),
    p: i.payload,
  };
  for (const rule of RULES) {
    const c = rule(f);
    if (c) return c;
  }
  return byLogKind(f);
}

/** Privileged Access Manager grant lifecycle: access request decisions. */
function privilegedAccess({ i, service, leaf, isRead }: Facts): Classification | null {
  if (service !== 'privilegedaccessmanager.googleapis.com') return null;
  // Own keys only: a method named like an Object method (constructor) is no decision.
  const state = Object.hasOwn(PAM_DECISIONS, leaf) ? PAM_DECISIONS[leaf] : undefined;
  if (state) {
    const c = base('access_request');
    Object.assign(c, pamGrant(i, state));
    return c;
  }
  // Entitlements say who may request which role: access policy.
  if (/Entitlement$/.test(leaf) && !isRead) return base('policy_change');
  return null;
}

function accessApprovalRule({ i, service, leaf, isRead }: Facts): Classification | null {
  if (service !== 'accessapproval.googleapis.com') return null;
  // Own keys only: a method named like an Object method (constructor) is no decision.
  const state = Object.hasOwn(ACCESS_APPROVAL_DECISIONS, leaf) ? ACCESS_APPROVAL_DECISIONS[leaf] : undefined;
  if (state) {
    const c = base('access_request');
    Object.assign(c, accessApproval(i, state));
    return c;
  }
  if (/AccessApprovalSettings$/.test(leaf) && !isRead) return base('policy_change');
  return null;
}

/** Service-account impersonation and token exchange: authentication. */
function credentials({ service, leaf }: Facts): Classification | null {
  if (
    service === 'iamcredentials.googleapis.com' &&
    /^(GenerateAccessToken|GenerateIdToken|SignJwt|SignBlob)$/.test(leaf)
  )
    return base('authentication');
  if (service === 'sts.googleapis.com') return base('authentication');
  if (service === 'login.googleapis.com') return base('authentication');
  return null;
}

/** IAM policy on any resource: binding deltas; public bindings are exposure. */
function iamPolicy({ i, leaf, method, p }: Facts): Classification | null {
  if (!/^(SetIamPolicy|setIamPolicy|setIamPermissions)$/.test(leaf) && !/\.setIamPolicy$/.test(method)) return null;
  const deltas = bindingDeltas(p, i.resourceName);
  const audit = auditConfigDeltas(p);
  let c: Classification;
  if (deltas) {
    c = base(deltas.publicGrants.length ? 'data_exposure' : 'permission_change');
    c.permission_changes = deltas.changes;
    c.details['binding_deltas_from'] = deltas.source;
    if (deltas.publicGrants.length) c.details['public_access'] = deltas.publicGrants;
  } else {
    const pub = publicMembersInPolicy(p);
    c = base(pub.length ? 'data_exposure' : audit ? 'policy_change' : 'permission_change');
    if (pub.length) c.details['public_access'] = pub;
    if (!audit)
      c.notes.push(
        'some SetIamPolicy entries log no binding deltas (serviceData.policyDelta): their permission_changes are null',
      );
  }
  if (audit) {
    c.details['audit_config_deltas'] = audit.deltas;
    if (audit.reducesLogging) c.auditDisabled = true;
  }
  return c;
}

/** Logging configuration: sinks, buckets, views, exclusions, settings. */
function loggingConfig({ i, service, method, isRead }: Facts): Classification | null {
  if (
    service !== 'logging.googleapis.com' ||
    isRead ||
    !/ConfigServiceV2|LoggingServiceV2\.DeleteLog|Sink|Bucket|Exclusion|Settings|CmekSettings/.test(method)
  )
    return null;
  const c = base('policy_change');
  c.auditDisabled = loggingDisablesAudit(i);
  return c;
}

/** Audit configuration changed through UpdateSettings-like calls carrying auditConfigDeltas. */
function auditConfig({ p }: Facts): Classification | null {
  const audit = auditConfigDeltas(p);
  if (!audit) return null;
  const c = base('policy_change');
  c.details['audit_config_deltas'] = audit.deltas;
  c.auditDisabled = audit.reducesLogging;
  return c;
}

/** Cloud SQL Admin API (legacy method names `cloudsql.<collection>.<verb>`). */
function cloudSqlAdmin({ service, method, p }: Facts): Classification | null {
  if (service !== 'cloudsql.googleapis.com' && !method.startsWith('cloudsql.')) return null;
  if (/^cloudsql\.users\.(create|update|delete|insert|patch)$/.test(method)) return base('permission_change');
  if (/^cloudsql\.instances\.export$/.test(method)) return base('data_exposure');
  if (/^cloudsql\.instances\.(update|patch)$/.test(method) && cloudSqlDisablesAudit(p)) {
    const c = base('policy_change');
    c.auditDisabled = true;
    return c;
  }
  return null;
}

/** SQL carried by the request (Spanner, BigQuery, Cloud SQL): the shared SQL rules. */
function sqlStatement({ i, leaf }: Facts): Classification | null {
  if (!i.statement) return null;
  const cmd = sqlCommand(i.statement);
  const cat = sqlCategory(cmd, i.statement);
  const c = base(cat);
  c.ddl = /^(CREATE|ALTER|DROP|TRUNCATE|RENAME) /.test(`${cmd ?? ''} `) || /UpdateDatabaseDdl$/.test(leaf);
  if (cat === 'permission_change') c.permission_changes = parsePermissionChanges(i.statement);
  if (cmd) c.details['sql_command'] = cmd;
  // Reads stay 'other'; DML in a Data Access log is a data change.
  if (cat !== 'other' || i.kind !== 'activity') return c;
  c.category = 'change_execution';
  return c;
}

/** What is left: by log kind. */
function byLogKind({ i, isRead, p }: Facts): Classification {
  switch (i.kind) {
    case 'activity':
      return base('change_execution');
    case 'system_event':
      return base('change_execution');
    case 'data_access':
      return base('other');
    case 'policy':
      return base(isRead ? 'other' : 'change_execution');
    default: {
      // Log kind unknown (no cloudaudit logName): use the permission types checked, if any.
      const types = arr(p['authorizationInfo']).map((a) => str(obj(a)?.['permissionType']));
      if (!isRead && (types.includes('ADMIN_WRITE') || types.includes('DATA_WRITE'))) return base('change_execution');
      return base('other');
    }
  }
}

/**
 * Data leaving its store: BigQuery extract jobs (legacy `jobCompletedEvent` and the newer
 * `metadata.jobChange`/`jobInsertion`), `EXPORT DATA` statements, Cloud Storage object downloads
 * (`storage.objects.get` in Data Access logs, like S3 GetObject data events), Firestore/Datastore
 * and Spanner exports. Other reads of data (queries, document reads) stay 'other': a Data Access
 * log records every read, and sources.md keeps exposure for exports and public access.
 */
function exportOrExtract(i: ClassifyInput): Classification | null {
  const p = i.payload;
  const leaf = i.leaf ?? '';
  const legacyJob = at(p, 'serviceData', 'jobCompletedEvent');
  const legacyName = str(at(legacyJob, 'eventName'));
  const legacyExtract = obj(at(legacyJob, 'job', 'jobConfiguration', 'extract'));
  const newJob = at(p, 'metadata', 'jobChange', 'job') ?? at(p, 'metadata', 'jobInsertion', 'job');
  const newType = str(at(newJob, 'jobConfig', 'type'));
  const statementType =
    str(at(legacyJob, 'job', 'jobConfiguration', 'query', 'statementType')) ??
    str(at(newJob, 'jobConfig', 'queryConfig', 'statementType'));
  if (
    legacyName === 'extract_job_completed' ||
    legacyExtract ||
    newType === 'EXPORT' ||
    obj(at(newJob, 'jobConfig', 'extractConfig')) ||
    statementType === 'EXPORT_DATA'
  ) {
    const c = base('data_exposure');
    const dest = arr(legacyExtract?.['destinationUris']).concat(
      arr(at(newJob, 'jobConfig', 'extractConfig', 'destinationUris')),
    );
    if (dest.length) c.details['destination_uris'] = dest;
    return c;
  }
  if (i.method === 'storage.objects.get' && i.kind === 'data_access') return base('data_exposure');
  if (
    /^(ExportDocuments|ExportEntities|ExportDatabase)$/.test(leaf) ||
    /^cloudsql\.instances\.export$/.test(i.method ?? '')
  )
    return base('data_exposure');
  return null;
}
