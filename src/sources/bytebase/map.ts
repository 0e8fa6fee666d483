// Maps one Bytebase audit log entry to an event. Three shapes carry the same facts:
//   - the API's AuditLog (`auditLogs:search` responses): name, createTime, user, method, severity,
//     resource, request, response, status, latency, serviceData, requestMetadata;
//   - a stored row of the metadata database's `audit_log` table: {id, created_at, payload}, the
//     payload being store.AuditLog (parent, method, resource, user, ... without a time);
//   - a bare stored payload (no id, no time): mapped, untimed.
// `request` and `response` are JSON text inside the JSON; they are parsed for the resource, the
// category and the binding deltas, never copied into the event (they stay in the raw record, with
// secrets redacted before this code sees them).
// AuditLog (API): https://github.com/bytebase/bytebase/blob/main/proto/v1/v1/audit_log_service.proto
// AuditLog (store): https://github.com/bytebase/bytebase/blob/main/proto/store/store/audit_log.proto
import { buildEvent, snakeCase, type SourceInput } from '../../event/build.js';
import { privilegeFor } from '../../event/privilege.js';
import { parseTimestampWithZone } from '../../event/time.js';
import type { PermissionChange } from '../../event/types.generated.js';
import { event, reject } from '../../pipeline/record.js';
import type { Outcome, RawRecord } from '../../pipeline/types.js';
import { redactSql } from '../../sql/redact.js';
import { STATUS_CODE_NAMES, arr, at, obj, str, type Json } from '../gcp-audit/payload.js';
import { type Classification, classify } from './categories.js';
import { iamFacts, type PolicySnapshot } from './iam.js';

export const FORMAT_ID = 'bytebase';

export interface MapContext {
  note(message: string): void;
  instance?: string | null;
  /** How the entry was read: api (AuditLog), rows (audit_log table rows), payload, or a live source's name. */
  variant?: string | null;
  /** The stored IAM policy per resource, from earlier SetIamPolicy entries of the same input (bounded). */
  policies: Map<string, PolicySnapshot>;
}

export const NOTES = {
  noUser:
    "rows without a user: Bytebase records no user for calls made before anyone signed in (the first account's own sign-up) and for some system calls; user.name is null, never guessed (check reports it as field.missing)",
  numericUser:
    'some rows name the user by numeric id (users/<id>), as older servers stored it; user.id keeps it and user.name is null (the search API resolves it to an e-mail address)',
  noTime:
    "entries without a time: a stored payload carries no time (the row's created_at holds it); export the rows with id and created_at, or use the API",
  badTime: 'entries whose time has no zone or is not a valid time: their timestamp is null, never guessed',
  noDelta:
    'SetIamPolicy entries without binding deltas: request and response both hold the policy after the change; the deltas are computed only from serviceData.policyDelta or from the previous SetIamPolicy of the same resource in the same input when its etag matches (the full policy set is counted in details.bindings_after)',
  validateOnly:
    "validate-only calls (validateOnly: true, e.g. testing an instance's connection) changed nothing: they are category other, with details.validate_only",
};

const MAX_POLICIES = 10_000;

/** Placeholder names Bytebase puts in requests: users/0, projects/hr/plans/-102, and `-` (any parent). */
function placeholder(name: string | null): boolean {
  return !name || name === '-' || /\/(?:0|-\d+)$/.test(name);
}

function parseJsonText(v: unknown): Json | null {
  if (obj(v)) return v as Json;
  if (typeof v !== 'string' || v === '') return null;
  try {
    return obj(JSON.parse(v));
  } catch {
    return null;
  }
}

/** Plural collection → resource type. */
const TYPES: Record<string, string> = {
  instances: 'instance',
  databases: 'database',
  projects: 'project',
  workspaces: 'workspace',
  settings: 'setting',
  policies: 'policy',
  roles: 'role',
  users: 'user',
  groups: 'group',
  plans: 'plan',
  issues: 'issue',
  rollouts: 'rollout',
  stages: 'stage',
  tasks: 'task',
  taskRuns: 'task_run',
  risks: 'risk',
  environments: 'environment',
  reviewConfigs: 'review_config',
  identityProviders: 'identity_provider',
  serviceAccounts: 'service_account',
  workloadIdentities: 'workload_identity',
  accessGrants: 'access_grant',
  worksheets: 'worksheet',
  sheets: 'sheet',
  databaseGroups: 'database_group',
  changelogs: 'changelog',
  revisions: 'revision',
  releases: 'release',
  webhooks: 'webhook',
  auditLogs: 'audit_log',
};

/** A collection's resource type; own keys only (a collection named like an Object method is not in the table). */
const typeOf = (collection: string): string | null =>
  Object.hasOwn(TYPES, collection) ? (TYPES[collection] ?? null) : null;

export function resourceType(name: string | null): string | null {
  if (!name) return null;
  if (!name.includes('/')) return name.includes('@') ? 'user' : null;
  const parts = name.split('/');
  if (parts.length % 2 === 1) {
    // instances/x/databases/y/catalog
    const last = parts[parts.length - 1]!;
    const parent = typeOf(parts[parts.length - 3] ?? '');
    return parent ? `${parent}_${snakeCase(last)}` : snakeCase(last);
  }
  const coll = parts[parts.length - 2]!;
  return typeOf(coll) ?? snakeCase(coll.replace(/s$/, ''));
}

/** Nested request messages whose `name` is the resource (UpdateSetting's setting, UpdatePolicy's policy, ...). */
const NESTED = [
  'setting',
  'policy',
  'role',
  'group',
  'user',
  'risk',
  'instance',
  'database',
  'catalog',
  'plan',
  'issue',
  'rollout',
  'project',
  'reviewConfig',
  'identityProvider',
  'serviceAccount',
  'workloadIdentity',
  'accessGrant',
  'worksheet',
  'sheet',
  'databaseGroup',
  'webhook',
  'environment',
];

interface ResourceFacts {
  name: string | null;
  implicit: boolean;
  others: string[];
}

function resourceOf(
  stated: string | null,
  request: Json | null,
  response: Json | null,
  parent: string | null,
): ResourceFacts {
  const userName = (o: Json | null): string | null => {
    const email = str(o?.['email']);
    return email ? `users/${email}` : null;
  };
  if (stated && !placeholder(stated)) return { name: stated, implicit: false, others: [] };
  // Created users: the stated name is users/0; the response names the account.
  if (stated?.startsWith('users/') || obj(request?.['user'])) {
    const u = userName(response) ?? userName(obj(request?.['user']));
    if (u) return { name: u, implicit: true, others: [] };
  }
  const candidates: string[] = [];
  for (const k of ['name', 'resource']) {
    const v = str(request?.[k]);
    if (v && v !== '-') candidates.push(v);
  }
  for (const k of NESTED) {
    const v = str(at(request, k, 'name'));
    if (v) candidates.push(v);
  }
  // Batch requests: {requests: [{database: {name}}, ...]}
  const batch: string[] = [];
  for (const r of arr(request?.['requests'])) {
    for (const k of NESTED) {
      const v = str(at(r, k, 'name'));
      if (v) {
        batch.push(v);
        break;
      }
    }
  }
  const real = candidates.find((c) => !placeholder(c));
  if (real) return { name: real, implicit: true, others: [] };
  const created = str(response?.['name']);
  if (created && !placeholder(created)) return { name: created, implicit: true, others: [] };
  // BatchRunTasks and friends: {tasks: ["projects/p/rollouts/1/stages/2/tasks/3", ...]}
  for (const k of ['tasks', 'taskRuns', 'names'])
    for (const t of arr(request?.[k])) if (typeof t === 'string' && t) batch.push(t);
  if (batch.length) return { name: batch[0]!, implicit: true, others: batch.slice(1) };
  const reqParent = str(request?.['parent']);
  if (reqParent && !placeholder(reqParent)) return { name: reqParent, implicit: true, others: [] };
  if (stated && stated !== '-') return { name: stated, implicit: false, others: [] };
  return { name: parent, implicit: parent !== null, others: [] };
}

/** "[::1]:56517" → ::1 and 56517; "10.1.2.3:443" → 10.1.2.3 and 443; anything else as given. */
export function splitAddress(v: string | null): { address: string | null; port: number | null } {
  if (!v) return { address: null, port: null };
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:\s]+):(\d+)$/.exec(v);
  if (m) return { address: m[1]!, port: Number(m[2]) };
  return { address: v.replace(/^\[|\]$/g, ''), port: null };
}

function userOf(
  u: string | null,
  ctx: MapContext,
): { name: string | null; id: string | null; type: 'human' | 'service' | 'system' | 'unknown' } {
  if (!u) {
    ctx.note(NOTES.noUser);
    return { name: null, id: null, type: 'unknown' };
  }
  const v = u.replace(/^users\//, '');
  if (/^\d+$/.test(v)) {
    ctx.note(NOTES.numericUser);
    return { name: null, id: u, type: 'unknown' };
  }
  const lower = v.toLowerCase();
  // Service accounts and workload identities live in these reserved domains; support@bytebase.com
  // is the built-in system bot.
  const type = /@(?:service|workload)\.bytebase\.com$/.test(lower)
    ? 'service'
    : lower === 'support@bytebase.com'
      ? 'system'
      : 'human';
  return { name: v, id: null, type };
}

/** A time that states its zone, as UTC; null otherwise. */
function timeOf(v: unknown): string | null {
  const t = str(v);
  if (!t || !/(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(t.trim())) return null;
  const d = parseTimestampWithZone(t.replace(/([+-]\d{2})$/, '$1:00'));
  return d && Number.isFinite(d.getTime()) ? d.toISOString() : null;
}

/** The entry's facts in one shape, whichever form it came in. */
interface Entry {
  shape: 'api' | 'rows' | 'payload';
  p: Json;
  time: unknown;
  recordId: string | null;
  logName: string | null;
  parent: string | null;
}

export function entryOf(v: unknown): Entry | { error: string } {
  const o = obj(v);
  if (!o) return { error: 'not a JSON object: a Bytebase audit log entry is an object' };
  // Rows: (id bigint, created_at, payload) up to 3.x; (resource_id text, workspace, created_at, payload) in newer servers.
  if ('payload' in o && ('created_at' in o || 'id' in o || 'resource_id' in o || 'createdAt' in o)) {
    const p = parseJsonText(o['payload']);
    if (!p) return { error: 'payload is not a JSON object (an audit_log row holds the entry in its payload column)' };
    const id = o['id'] ?? o['resource_id'];
    return {
      shape: 'rows',
      p,
      time: o['created_at'] ?? o['createdAt'],
      recordId: id === undefined || id === null ? null : String(id),
      logName: null,
      parent: str(p['parent']),
    };
  }
  if (typeof o['method'] !== 'string') return { error: 'not a Bytebase audit log entry: no method' };
  const name = str(o['name']);
  if (name || o['createTime'] !== undefined) {
    const m = name ? /^(.*)\/auditLogs\/([^/]+)$/.exec(name) : null;
    return {
      shape: 'api',
      p: o,
      time: o['createTime'],
      recordId: m?.[2] ?? null,
      logName: name,
      parent: m?.[1] ?? str(o['parent']),
    };
  }
  return { shape: 'payload', p: o, time: null, recordId: null, logName: null, parent: str(o['parent']) };
}

export function mapAuditLog(value: unknown, raw: RawRecord, ctx: MapContext): Outcome {
  const en = entryOf(value);
  if ('error' in en) return reject(raw, en.error);
  const p = en.p;
  const method = str(p['method']);
  if (!method) return reject(raw, 'not a Bytebase audit log entry: method is empty');
  const m = /^\/bytebase\.v1\.([A-Za-z]+)\/([A-Za-z]+)$/.exec(method);
  const key = m ? `${m[1]}/${m[2]}` : null;
  const leaf = m ? m[2]! : (method.split(/[./]/).filter(Boolean).pop() ?? null);
  const service = m ? `bytebase.${snakeCase(m[1]!.replace(/Service$/, ''))}` : 'bytebase';

  const timestamp = timeOf(en.time);
  if (!timestamp) ctx.note(en.time === null || en.time === undefined ? NOTES.noTime : NOTES.badTime);

  // A sign-in names the account it signs in to as its resource: a failed one has no user, and the
  // account tried is the user an auditor looks for (stated by the entry, not guessed).
  const loginAccount = key === 'AuthService/Login' && !str(p['user']) ? str(p['resource']) : null;
  const user = userOf(str(p['user']) ?? (loginAccount && !loginAccount.includes('/') ? loginAccount : null), ctx);
  const request = parseJsonText(p['request']);
  const response = parseJsonText(p['response']);
  const serviceData = p['serviceData'] ?? p['service_data'] ?? null;
  const statementText = key?.startsWith('SQLService/') ? str(request?.['statement']) : null;
  const statement = statementText ? redactSql(statementText) : null;

  const res = resourceOf(str(p['resource']), request, response, en.parent);
  const cls = classify({ key, leaf, request, response, statement, actor: user.name });
  const details = entryDetails(en, request, serviceData, res, !!loginAccount && !!user.name);
  Object.assign(details, cls.details);

  let category = cls.category;
  let reason = cls.reason;
  if (request?.['validateOnly'] === true) {
    details['validate_only'] = true;
    if (category !== 'other') {
      category = 'other';
      reason = 'validate-only call: nothing was changed';
      ctx.note(NOTES.validateOnly);
    }
  }
  if (reason) details['category_reason'] = reason;

  const permissionChanges = permissionDeltas({ key, leaf, request, response, serviceData, res, cls, p, ctx, details });
  const status = statusOf(p);
  const origin = splitAddress(str(at(p, 'requestMetadata', 'callerIp')) ?? str(at(p, 'request_metadata', 'caller_ip')));

  const src: SourceInput = {
    kind: 'bytebase',
    format: FORMAT_ID,
    variant: ctx.variant ?? en.shape,
    instance: ctx.instance ?? null,
    location: raw.location,
    raw_sha256: raw.sha256,
    record_id: en.recordId,
  };
  const ev = buildEvent(
    {
      timestamp,
      user: { name: user.name, id: user.id, type: user.type },
      action: { name: leaf ? snakeCase(leaf) : null, source_name: method, service, statement },
      resource: {
        type: resourceType(res.name),
        name: res.name,
        implicit: res.implicit,
        scope: scopeOf(res.name, en.parent, ctx.instance ?? null),
      },
      category,
      outcome: status.code ? 'failure' : 'success',
      outcome_reason: status.reason,
      origin: {
        address: origin.address,
        port: origin.port,
        application:
          str(at(p, 'requestMetadata', 'callerSuppliedUserAgent')) ??
          str(at(p, 'request_metadata', 'caller_supplied_user_agent')),
      },
      privileged: privilegeFor({ category, extra: category === 'other' ? [] : cls.extra }),
      permission_changes: permissionChanges,
      access_request: category === 'access_request' ? cls.access_request : null,
      details,
    },
    src,
  );
  return event(ev, raw);
}

/** Project, instance and database named in the resource (the project also in the parent). */
function scopeOf(
  name: string | null,
  parent: string | null,
  instance: string | null,
): { project: string | null; instance: string | null; database: string | null } {
  const scopeFrom = name ?? '';
  return {
    project:
      /(?:^|\/)projects\/([^/]+)/.exec(scopeFrom)?.[1] ?? /(?:^|\/)projects\/([^/]+)/.exec(parent ?? '')?.[1] ?? null,
    instance: /(?:^|\/)instances\/([^/]+)/.exec(scopeFrom)?.[1] ?? instance,
    database: /(?:^|\/)databases\/([^/]+)/.exec(scopeFrom)?.[1] ?? null,
  };
}

/** The entry's own facts for details (the classification's details follow them). */
function entryDetails(
  en: Entry,
  request: Json | null,
  serviceData: unknown,
  res: ResourceFacts,
  userFromResource: boolean,
): Json {
  const p = en.p;
  const details: Json = {};
  if (en.logName) details['log_name'] = en.logName;
  if (en.parent) details['parent'] = en.parent;
  const severity = str(p['severity']);
  if (severity) details['severity'] = severity;
  const latency = str(p['latency']);
  if (latency) details['latency'] = latency;
  const mask = str(request?.['updateMask']);
  if (mask) details['update_mask'] = mask;
  if (userFromResource) details['user_from'] = 'resource (the account signed in to)';
  if (res.others.length) details['other_resources'] = res.others;
  const sdType = str(obj(serviceData)?.['@type']);
  if (sdType) details['service_data_type'] = sdType;
  const mcp = obj(p['mcpDelegation'] ?? p['mcp_delegation']);
  if (mcp) details['mcp_delegation'] = mcp;
  return details;
}

/** Outcome: google.rpc.Status; absent or code 0 is success. */
function statusOf(p: Json): { code: number; reason: string | null } {
  const status = obj(p['status']);
  const code = typeof status?.['code'] === 'number' ? (status['code'] as number) : Number(status?.['code'] ?? 0) || 0;
  const message = str(status?.['message']);
  const codeName = code ? (STATUS_CODE_NAMES[code] ?? `code ${code}`) : null;
  return { code, reason: codeName ? (message ? `${codeName}: ${message}` : codeName) : null };
}

interface DeltaInput {
  key: string | null;
  leaf: string | null;
  request: Json | null;
  response: Json | null;
  serviceData: unknown;
  res: ResourceFacts;
  cls: Classification;
  p: Json;
  ctx: MapContext;
  details: Json;
}

/** Permission deltas: SetIamPolicy (see iam.ts), group membership and role permissions on create. */
function permissionDeltas(d: DeltaInput): PermissionChange[] | null {
  const { key, leaf, request, response, serviceData, res, cls, p, ctx, details } = d;
  let permissionChanges: PermissionChange[] | null = null;
  if (leaf === 'SetIamPolicy') {
    const on = res.name;
    const prev = on ? ctx.policies.get(on) : undefined;
    const f = iamFacts(request, response, serviceData, on, prev);
    permissionChanges = f.changes;
    if (f.basis) details['permission_changes_basis'] = f.basis;
    else ctx.note(NOTES.noDelta);
    if (f.after) {
      details['bindings_after'] = f.after.bindings.size;
      if (on && cls.category !== 'other' && !(p['status'] && obj(p['status'])?.['code'])) {
        if (!ctx.policies.has(on) && ctx.policies.size >= MAX_POLICIES)
          ctx.policies.delete(ctx.policies.keys().next().value!);
        ctx.policies.set(on, f.after);
      }
    }
    if (f.publicMembers.length) details['public_members'] = f.publicMembers;
  } else if (key === 'GroupService/CreateGroup') {
    const g = obj(request?.['group']);
    const on = str(response?.['name']) ?? str(g?.['name']);
    const members = arr(g?.['members'])
      .map(obj)
      .filter((x): x is Json => !!x);
    if (members.length)
      permissionChanges = members.map((x) => ({
        operation: 'grant',
        principal: str(x['member']),
        privilege: str(x['role']) ? `group ${str(x['role'])!.toLowerCase()}` : 'group member',
        on,
      }));
  } else if (key === 'RoleService/CreateRole') {
    const r = obj(request?.['role']);
    const on = str(response?.['name']) ?? str(r?.['name']);
    const perms = arr(r?.['permissions']).filter((x): x is string => typeof x === 'string');
    if (perms.length)
      permissionChanges = perms.map((x) => ({ operation: 'grant', principal: on, privilege: x, on: null }));
  } else if (key === 'RoleService/UpdateRole') {
    const perms = arr(at(response, 'permissions')).length
      ? arr(at(response, 'permissions'))
      : arr(at(request, 'role', 'permissions'));
    details['permissions_after'] = perms.length;
  }
  return permissionChanges;
}
