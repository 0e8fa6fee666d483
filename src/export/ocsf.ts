// OCSF export: each normalized event as one or more OCSF 1.8.0 records (JSON Lines), the format
// SIEMs and security data lakes ingest (AWS Security Lake, Splunk, ...). Every record is validated
// against the JSON Schema of its class (schemas/ocsf/1.8.0/, see PROVENANCE.md there) before it is
// written; a record that does not validate is not written but counted with the reason.
//
// Classes (OCSF 1.8.0):
//   authentication                         → Authentication (3002)
//   permission_change with grant/revoke    → User Access Management (3005), one record per
//                                            (operation, grantee) when an event changes several
//   permission_change on an account        → Account Change (3001)
//   permission_change on anything else,
//   policy_change                          → Entity Management (3004)
//   database statements (postgresql, mysql,
//   mariadb sources, or any event with a SQL
//   statement)                             → Datastore Activity (6005)
//   other cloud API calls                  → API Activity (6003)
// Our own event id is metadata.uid (metadata.uid of a split record is `<id>/<n>`); our category and
// privilege are in metadata.labels; everything OCSF has no place for (category, privilege reasons,
// permission deltas, the raw record's location and sha256, source details) is kept in
// unmapped.audit_evidence. Where OCSF requires a value our event does not have (an actor with no
// name, a call with no caller address), the record says 'unknown'; the event's own null stays in
// unmapped. Events without a timestamp cannot be OCSF records (`time` is required): they are
// counted as not exported, never given an invented time.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createRequire } from 'node:module';
import type { Ajv, ValidateFunction } from 'ajv';
import type { AuditEvent } from '../event/types.generated.js';
import { packageFile } from '../event/schema.js';

export const OCSF_VERSION = '1.8.0';
const PRODUCT_VERSION: string = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')).version;

type Json = Record<string, unknown>;
export type OcsfRecord = Json & { class_uid: number; metadata: Json; time: number };

interface ClassInfo {
  uid: number;
  name: string;
  caption: string;
  category: number;
  categoryName: string;
  activities: Record<number, string>;
}
const IAM = [3, 'Identity & Access Management'] as const;
const APP = [6, 'Application Activity'] as const;
export const OCSF_CLASSES: Record<string, ClassInfo> = {
  authentication: {
    uid: 3002,
    name: 'authentication',
    caption: 'Authentication',
    category: IAM[0],
    categoryName: IAM[1],
    activities: {
      0: 'Unknown',
      1: 'Logon',
      2: 'Logoff',
      3: 'Authentication Ticket',
      4: 'Service Ticket Request',
      5: 'Service Ticket Renew',
      6: 'Preauth',
      7: 'Account Switch',
      99: 'Other',
    },
  },
  account_change: {
    uid: 3001,
    name: 'account_change',
    caption: 'Account Change',
    category: IAM[0],
    categoryName: IAM[1],
    activities: {
      0: 'Unknown',
      1: 'Create',
      2: 'Enable',
      3: 'Password Change',
      4: 'Password Reset',
      5: 'Disable',
      6: 'Delete',
      7: 'Attach Policy',
      8: 'Detach Policy',
      9: 'Lock',
      10: 'MFA Factor Enable',
      11: 'MFA Factor Disable',
      12: 'Unlock',
      99: 'Other',
    },
  },
  user_access: {
    uid: 3005,
    name: 'user_access',
    caption: 'User Access Management',
    category: IAM[0],
    categoryName: IAM[1],
    activities: { 0: 'Unknown', 1: 'Assign Privileges', 2: 'Revoke Privileges', 99: 'Other' },
  },
  entity_management: {
    uid: 3004,
    name: 'entity_management',
    caption: 'Entity Management',
    category: IAM[0],
    categoryName: IAM[1],
    activities: {
      0: 'Unknown',
      1: 'Create',
      2: 'Read',
      3: 'Update',
      4: 'Delete',
      5: 'Move',
      6: 'Enroll',
      7: 'Unenroll',
      8: 'Enable',
      9: 'Disable',
      10: 'Activate',
      11: 'Deactivate',
      12: 'Suspend',
      13: 'Resume',
      99: 'Other',
    },
  },
  api_activity: {
    uid: 6003,
    name: 'api_activity',
    caption: 'API Activity',
    category: APP[0],
    categoryName: APP[1],
    activities: { 0: 'Unknown', 1: 'Create', 2: 'Read', 3: 'Update', 4: 'Delete', 99: 'Other' },
  },
  datastore_activity: {
    uid: 6005,
    name: 'datastore_activity',
    caption: 'Datastore Activity',
    category: APP[0],
    categoryName: APP[1],
    activities: {
      0: 'Unknown',
      1: 'Read',
      2: 'Update',
      3: 'Connect',
      4: 'Query',
      5: 'Write',
      6: 'Create',
      7: 'Delete',
      8: 'List',
      9: 'Encrypt',
      10: 'Decrypt',
      99: 'Other',
    },
  },
};
const CLASS_BY_UID = new Map(Object.values(OCSF_CLASSES).map((c) => [c.uid, c]));

const DB_KINDS = new Set(['postgresql', 'mysql', 'mariadb']);
const CLOUD_PROVIDER: Record<string, string> = { aws: 'AWS', gcp: 'GCP' };
const SEVERITY: Record<number, string> = { 1: 'Informational', 2: 'Low', 3: 'Medium' };

/** The first word of an action name (`create_user` → create), for verb-based activity ids. */
function verb(e: AuditEvent): string {
  return (e.action.name ?? e.action.source_name ?? '').toLowerCase().split(/[_\s.]/)[0] ?? '';
}

function activityFromVerb(v: string, table: Record<string, number>): number {
  return Object.hasOwn(table, v) ? table[v]! : 99;
}

const API_VERBS: Record<string, number> = {
  create: 1,
  put: 1,
  insert: 1,
  add: 1,
  attach: 1,
  run: 1,
  start: 1,
  generate: 1,
  upload: 1,
  import: 1,
  copy: 1,
  get: 2,
  list: 2,
  describe: 2,
  lookup: 2,
  search: 2,
  read: 2,
  select: 2,
  query: 2,
  head: 2,
  batch_get: 2,
  download: 2,
  test: 2,
  update: 3,
  set: 3,
  modify: 3,
  patch: 3,
  replace: 3,
  change: 3,
  enable: 3,
  disable: 3,
  stop: 3,
  restore: 3,
  rotate: 3,
  tag: 3,
  untag: 3,
  delete: 4,
  remove: 4,
  detach: 4,
  terminate: 4,
  drop: 4,
  purge: 4,
  destroy: 4,
  deregister: 4,
};
const DB_VERBS: Record<string, number> = {
  select: 4,
  show: 8,
  describe: 8,
  explain: 4,
  fetch: 1,
  read: 1,
  query: 4,
  update: 2,
  alter: 2,
  rename: 2,
  comment: 2,
  grant: 2,
  revoke: 2,
  set: 2,
  connect: 3,
  login: 3,
  insert: 5,
  copy: 5,
  write: 5,
  merge: 5,
  upsert: 5,
  replace: 5,
  load: 5,
  call: 99,
  create: 6,
  delete: 7,
  drop: 7,
  truncate: 7,
};
const ENTITY_VERBS: Record<string, number> = {
  create: 1,
  put: 1,
  add: 1,
  install: 1,
  get: 2,
  describe: 2,
  list: 2,
  update: 3,
  set: 3,
  alter: 3,
  modify: 3,
  change: 3,
  audit: 3,
  upload: 3,
  grant: 3,
  revoke: 3,
  write: 3,
  rename: 3,
  delete: 4,
  drop: 4,
  remove: 4,
  uninstall: 4,
  leave: 4,
  move: 5,
  enable: 8,
  disable: 9,
  start: 10,
  stop: 11,
};

function ocsfUser(
  u: AuditEvent['user'] | { name: string | null; id?: string | null; type?: string },
  e: AuditEvent,
): Json {
  const out: Json = {};
  if (u.name) out.name = u.name;
  if ('id' in u && u.id) out.uid = u.id;
  const typeId = ({ human: 1, root: 2, system: 3, service: 4 } as Record<string, number>)[u.type ?? ''];
  if (u.type) {
    out.type_id = typeId ?? 0;
    out.type = { 1: 'User', 2: 'Admin', 3: 'System', 4: 'Service', 0: 'Unknown' }[typeId ?? 0];
  }
  if (e.source.kind === 'aws' && e.resource.scope.account)
    out.account = { uid: e.resource.scope.account, type_id: 10, type: 'AWS Account' };
  else if (e.source.kind === 'gcp' && e.resource.scope.project)
    out.account = { uid: e.resource.scope.project, type_id: 11, type: 'GCP Project' };
  if (out.name === undefined && out.uid === undefined && out.account === undefined) out.name = 'unknown';
  return out;
}

function endpoint(e: AuditEvent): Json {
  const a = e.origin.address;
  const out: Json = {};
  if (a && isIP(a)) out.ip = a;
  else if (a)
    out.name = a; // 'local' (Unix socket), a host name, GCP's 'private' / 'gce-internal-ip'
  else out.name = 'unknown';
  if (e.origin.port !== null && e.origin.port >= 0 && e.origin.port <= 65535) out.port = e.origin.port;
  return out;
}

function dstEndpoint(e: AuditEvent): Json | undefined {
  const name = e.resource.scope.instance ?? e.source.instance;
  return name ? { name } : undefined;
}

function severityOf(e: AuditEvent): number {
  if (e.privileged.value && (e.category === 'permission_change' || e.category === 'policy_change')) return 3;
  if (e.privileged.value || e.outcome === 'failure') return 2;
  return 1;
}

function unmapped(e: AuditEvent): Json {
  return {
    audit_evidence: {
      schema_version: e.schema_version,
      id: e.id,
      category: e.category,
      privileged: e.privileged,
      user: {
        type: e.user.type,
        role: e.user.role,
        session_user: e.user.session_user,
        authenticated_by: e.user.authenticated_by,
        delegation: e.user.delegation,
      },
      action: { name: e.action.name, source_name: e.action.source_name, service: e.action.service },
      resource: e.resource,
      outcome: e.outcome,
      origin: e.origin,
      permission_changes: e.permission_changes,
      access_request: e.access_request,
      sequence: e.sequence,
      timestamp_zone_assumed: e.timestamp_zone_assumed,
      source: e.source,
      details: e.details,
    },
  };
}

const ACCOUNT_TYPES = /^(user|role|service_account|AWS::IAM::User|AWS::IAM::Role|AWS::STS::FederatedUser)$/i;

interface Mapped {
  cls: ClassInfo;
  activity: number;
  activityName?: string;
  fields: Json;
}

/** Which class (and class-specific fields) one event maps to; several when a grant must be split. */
function classify(e: AuditEvent): Mapped[] {
  const v = verb(e);
  const isDb = DB_KINDS.has(e.source.kind) || e.action.statement !== null;
  const res = e.resource;
  if (e.category === 'authentication') return [authentication(e)];
  if (e.category === 'permission_change' && e.permission_changes && e.permission_changes.length > 0)
    return userAccess(e, e.permission_changes);
  if (e.category === 'permission_change' && res.type && ACCOUNT_TYPES.test(res.type) && res.name)
    return [accountChange(e, res.name, res.type)];
  if (e.category === 'permission_change' || e.category === 'policy_change') return [entityManagement(e, v)];
  if (isDb) return [datastoreActivity(e, v)];
  return [apiActivity(e, v)];
}

/** Authentication: logon, logoff, user change, or other. */
function authentication(e: AuditEvent): Mapped {
  const name = e.action.name ?? '';
  let activity = 99;
  if (/^(login|login_failed|console_login|user_authentication|credential_challenge|federate|connect)$/.test(name))
    activity = 1;
  else if (/^(logout|disconnect)$/.test(name)) activity = 2;
  else if (/^(change_user|assume_role.*)$/.test(name)) activity = 7;
  const fields: Json = { user: ocsfUser(e.user, e), service: { name: e.action.service ?? e.source.kind } };
  const dst = dstEndpoint(e);
  if (dst) fields.dst_endpoint = dst;
  if (typeof e.details.mfa === 'boolean') fields.is_mfa = e.details.mfa;
  return { cls: OCSF_CLASSES.authentication!, activity, fields };
}

/** User Access Management: one record per (operation, grantee), since a record names one user. */
function userAccess(e: AuditEvent, changes: NonNullable<AuditEvent['permission_changes']>): Mapped[] {
  const groups = new Map<
    string,
    { op: 'grant' | 'revoke'; principal: string | null; privileges: Set<string>; on: Set<string> }
  >();
  for (const p of changes) {
    const key = `${p.operation}\u0000${p.principal ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { op: p.operation, principal: p.principal, privileges: new Set(), on: new Set() }));
    if (p.privilege) g.privileges.add(p.privilege);
    if (p.on) g.on.add(p.on);
  }
  return [...groups.values()].map((g) => {
    const fields: Json = {
      user: g.principal ? { name: g.principal } : { name: 'unknown' },
      privileges: g.privileges.size ? [...g.privileges] : [e.action.source_name ?? e.action.name ?? 'unknown'],
    };
    const on = [...g.on];
    if (on.length === 1) fields.resource = { name: on[0] };
    if (on.length) fields.resources = on.map((name) => ({ name }));
    return { cls: OCSF_CLASSES.user_access!, activity: g.op === 'grant' ? 1 : 2, fields };
  });
}

/** Account Change: an account or role created, deleted, its password set, a policy attached or detached. */
function accountChange(e: AuditEvent, name: string, type: string): Mapped {
  const action = e.action.name ?? '';
  let activity = 99;
  if (/^(create_user|create_role|create_login_profile|create_service_account)$/.test(action)) activity = 1;
  else if (/^(drop_user|drop_role|delete_user|delete_role|delete_login_profile|delete_service_account)$/.test(action))
    activity = 6;
  else if (/^(set_password|update_login_profile|change_password)$/.test(action)) activity = 3;
  else if (/^attach_.*policy$/.test(action)) activity = 7;
  else if (/^detach_.*policy$/.test(action)) activity = 8;
  return { cls: OCSF_CLASSES.account_change!, activity, fields: { user: { name, type } } };
}

/** Entity Management: any other permission or policy change, on the entity it names. */
function entityManagement(e: AuditEvent, v: string): Mapped {
  const res = e.resource;
  const type = res.type ?? undefined;
  const typeId = !type
    ? 0
    : /polic/i.test(type)
      ? 5
      : /^(organization|account|AWS::::Account)$/i.test(type)
        ? 4
        : /^(user|AWS::IAM::User)$/i.test(type)
          ? 2
          : /group/i.test(type)
            ? 3
            : 99;
  const entity: Json = { name: res.name ?? type ?? e.action.name ?? 'unknown', type_id: typeId };
  if (type) entity.type = type;
  return { cls: OCSF_CLASSES.entity_management!, activity: activityFromVerb(v, ENTITY_VERBS), fields: { entity } };
}

/** Datastore Activity: a database event, on its database or table, with its statement. */
function datastoreActivity(e: AuditEvent, v: string): Mapped {
  const res = e.resource;
  const fields: Json = {};
  const database = res.scope.database ?? (res.type === 'database' ? res.name : null);
  if (database) fields.database = { name: database, type_id: 1, type: 'Relational' };
  if (res.type === 'table' && res.name) fields.table = { name: res.name };
  if (!fields.database && !fields.table)
    fields.database = { name: res.scope.instance ?? e.source.instance ?? 'unknown', type_id: 1, type: 'Relational' };
  fields.type_id = fields.table ? 3 : 1;
  fields.type = fields.table ? 'Table' : 'Database';
  if (e.action.statement !== null)
    fields.query_info = {
      name: e.action.source_name ?? e.action.name ?? 'statement',
      query_string: e.action.statement,
    };
  const dst = dstEndpoint(e);
  if (dst) fields.dst_endpoint = dst;
  return { cls: OCSF_CLASSES.datastore_activity!, activity: activityFromVerb(v, DB_VERBS), fields };
}

/** API Activity: everything else (a cloud API call), with its operation and resources. */
function apiActivity(e: AuditEvent, v: string): Mapped {
  const res = e.resource;
  const api: Json = { operation: e.action.source_name ?? e.action.name ?? 'unknown' };
  if (e.action.service) api.service = { name: e.action.service };
  const requestId = e.details.request_id;
  if (typeof requestId === 'string' && requestId) api.request = { uid: requestId };
  if (e.outcome === 'failure' && e.outcome_reason) api.response = { error: e.outcome_reason };
  const fields: Json = { api };
  if (res.name || res.type)
    fields.resources = [
      { ...(res.name ? { name: res.name } : { uid: res.type }), ...(res.type ? { type: res.type } : {}) },
    ];
  return { cls: OCSF_CLASSES.api_activity!, activity: activityFromVerb(v, API_VERBS), fields };
}

export type OcsfResult = { kind: 'records'; records: OcsfRecord[] } | { kind: 'not_exported'; reason: string };

/** Maps one event to its OCSF record(s) (not yet validated: see `validateOcsf`). */
export function eventToOcsf(e: AuditEvent): OcsfResult {
  if (!e.timestamp) return { kind: 'not_exported', reason: 'no timestamp (OCSF requires time)' };
  const time = Date.parse(e.timestamp);
  const mapped = classify(e);
  const provider = CLOUD_PROVIDER[e.source.kind];
  const labels = [
    `category:${e.category}`,
    `outcome:${e.outcome}`,
    ...(e.privileged.value ? ['privileged', ...e.privileged.reasons.map((r) => `privileged:${r}`)] : []),
  ];
  const severityId = severityOf(e);
  const records = mapped.map((m, i): OcsfRecord => {
    const metadata: Json = {
      version: OCSF_VERSION,
      product: { name: 'audit-evidence', vendor_name: 'audit-evidence', version: PRODUCT_VERSION },
      uid: mapped.length > 1 ? `${e.id}/${i + 1}` : e.id,
      log_name: e.source.format,
      log_provider: e.source.kind,
      labels,
      profiles: provider ? ['cloud'] : [],
    };
    if (e.source.variant) metadata.log_version = e.source.variant;
    if (e.source.location.file) metadata.log_source = e.source.location.file;
    if (e.action.source_name) metadata.event_code = e.action.source_name;
    if (e.source.record_id) metadata.original_event_uid = e.source.record_id;
    if (e.sequence) {
      metadata.correlation_uid = e.sequence.stream;
      metadata.sequence = e.sequence.number;
    }
    const activityName = m.cls.activities[m.activity] ?? 'Other';
    const rec: OcsfRecord = {
      metadata,
      time,
      category_uid: m.cls.category,
      category_name: m.cls.categoryName,
      class_uid: m.cls.uid,
      class_name: m.cls.caption,
      activity_id: m.activity,
      activity_name: m.activity === 99 ? (e.action.source_name ?? e.action.name ?? 'Other') : activityName,
      type_uid: m.cls.uid * 100 + m.activity,
      type_name: `${m.cls.caption}: ${m.activity === 99 ? 'Other' : activityName}`,
      severity_id: severityId,
      severity: SEVERITY[severityId]!,
      status_id: e.outcome === 'success' ? 1 : e.outcome === 'failure' ? 2 : 0,
      status: e.outcome === 'success' ? 'Success' : e.outcome === 'failure' ? 'Failure' : 'Unknown',
      message: `${e.user.name ?? 'unknown user'} ${e.action.name ?? e.action.source_name ?? 'unknown action'}${e.resource.name ? ` ${e.resource.name}` : ''} (${e.outcome})`,
    };
    if (e.outcome_reason) rec.status_detail = e.outcome_reason;
    if (m.cls.uid !== 3002) {
      const actor: Json = { user: ocsfUser(e.user, e) };
      if (e.origin.application && !provider) actor.app_name = e.origin.application;
      rec.actor = actor;
    }
    rec.src_endpoint = endpoint(e);
    if (provider && e.origin.application) rec.http_request = { user_agent: e.origin.application };
    if (provider) {
      const cloud: Json = { provider };
      if (e.resource.scope.region) cloud.region = e.resource.scope.region;
      if (e.source.kind === 'aws' && e.resource.scope.account)
        cloud.account = { uid: e.resource.scope.account, type_id: 10, type: 'AWS Account' };
      if (e.source.kind === 'gcp' && e.resource.scope.project) cloud.project_uid = e.resource.scope.project;
      rec.cloud = cloud;
    }
    Object.assign(rec, m.fields);
    rec.unmapped = unmapped(e);
    return rec;
  });
  return { kind: 'records', records };
}

// ---- validation against the class schemas ---------------------------------------------------
// Made on first use: a run that writes no OCSF never loads ajv (start-up cost).
let ajvInstance: Ajv | null = null;
const ocsfAjv = (): Ajv => {
  if (ajvInstance) return ajvInstance;
  const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return (ajvInstance = new AjvClass({ allErrors: true, strict: false }));
};
const validators = new Map<string, ValidateFunction>();

/** The schema file (below schemas/ocsf/<version>/) that validates a record of this class and profile set. */
export function ocsfSchemaFile(classUid: number, cloud: boolean): string {
  const cls = CLASS_BY_UID.get(classUid);
  if (!cls) throw new Error(`OCSF class ${classUid} is not one this export writes`);
  return `schemas/ocsf/${OCSF_VERSION}/${cls.name}${cloud ? '.cloud' : ''}.schema.json`;
}

function validatorFor(record: OcsfRecord): ValidateFunction {
  const profiles = record.metadata.profiles as string[] | undefined;
  const file = ocsfSchemaFile(record.class_uid, Array.isArray(profiles) && profiles.includes('cloud'));
  let v = validators.get(file);
  if (!v) {
    v = ocsfAjv().compile(JSON.parse(readFileSync(packageFile(file), 'utf8')));
    validators.set(file, v);
  }
  return v;
}

/** Validates a record against its class's OCSF JSON Schema; null when valid, else the problems. */
export function validateOcsf(record: OcsfRecord): string[] | null {
  const v = validatorFor(record);
  if (v(record)) return null;
  return (v.errors ?? []).slice(0, 5).map((err) => `${err.instancePath || '/'} ${err.message ?? 'is invalid'}`);
}

/**
 * The OCSF JSON Lines for one event, validated: `lines` is the text to write (empty when the event
 * cannot be exported), `notExported` the reason when it cannot.
 */
export function eventToOcsfLines(e: AuditEvent): { lines: string; notExported: string | null } {
  const r = eventToOcsf(e);
  if (r.kind === 'not_exported') return { lines: '', notExported: r.reason };
  let lines = '';
  for (const rec of r.records) {
    const problems = validateOcsf(rec);
    if (problems)
      return {
        lines: '',
        notExported: `its OCSF ${CLASS_BY_UID.get(rec.class_uid)?.caption ?? rec.class_uid} record does not match the OCSF ${OCSF_VERSION} schema: ${problems.join('; ')}`,
      };
    lines += `${JSON.stringify(rec)}\n`;
  }
  return { lines, notExported: null };
}
