// Unit tests of the pure GCP Cloud Audit Logs mapping (map.ts, identity.ts, categories.ts) and the
// adapter's detection. Golden fixtures cover whole files; these pin single rules.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { mapLogEntry, type MapContext } from '../../../src/sources/gcp-audit/map.js';
import { adapter } from '../../../src/sources/gcp-audit/index.js';
import { principalType, identityOf } from '../../../src/sources/gcp-audit/identity.js';
import { logKindOf, logParentOf } from '../../../src/sources/gcp-audit/payload.js';
import { rawRecord } from '../../../src/pipeline/record.js';
import { validateEvent } from '../../../src/event/schema.js';
import type { AuditEvent } from '../../../src/event/types.generated.js';

const AL = 'type.googleapis.com/google.cloud.audit.AuditLog';

function ctx(notes: string[] = []): MapContext {
  return {
    note: (m) => {
      notes.push(m);
    },
    instance: null,
    variant: 'test',
  };
}

function map(entry: unknown, notes: string[] = []) {
  const raw = rawRecord(JSON.stringify(entry), { file: 't.json', line: 1 });
  return mapLogEntry(entry, raw, ctx(notes));
}

function ev(entry: unknown, notes: string[] = []): AuditEvent {
  const o = map(entry, notes);
  if (o.kind !== 'event') throw new Error(`expected an event, got ${o.kind}: ${'reason' in o ? o.reason : ''}`);
  expect(validateEvent(o.event)).toBeNull();
  return o.event;
}

function entry(pp: Record<string, unknown>, over: Record<string, unknown> = {}) {
  return {
    protoPayload: { '@type': AL, ...pp },
    insertId: 'abc123',
    logName: 'projects/p1/logs/cloudaudit.googleapis.com%2Factivity',
    resource: { type: 'project', labels: { project_id: 'p1' } },
    timestamp: '2024-05-01T12:00:00.123456789Z',
    ...over,
  };
}

describe('log names', () => {
  test('log kinds, URL-encoded or not', () => {
    expect(logKindOf('projects/p/logs/cloudaudit.googleapis.com%2Factivity')).toBe('activity');
    expect(logKindOf('projects/p/logs/cloudaudit.googleapis.com/data_access')).toBe('data_access');
    expect(logKindOf('organizations/1/logs/cloudaudit.googleapis.com%2fsystem_event')).toBe('system_event');
    expect(logKindOf('folders/9/logs/cloudaudit.googleapis.com%2Fpolicy')).toBe('policy');
    expect(logKindOf('projects/p/logs/stdout')).toBeNull();
  });
  test('parent: project id, or organization/folder path', () => {
    expect(logParentOf('projects/p-1/logs/x')).toBe('p-1');
    expect(logParentOf('organizations/123/logs/x')).toBe('organizations/123');
    expect(logParentOf('nonsense')).toBeNull();
  });
});

describe('identity', () => {
  test('principal types', () => {
    expect(principalType('robot@proj.iam.gserviceaccount.com')).toBe('service');
    expect(principalType('service-123@gcp-sa-logging.iam.gserviceaccount.com')).toBe('service');
    expect(principalType('123-compute@developer.gserviceaccount.com')).toBe('service');
    expect(principalType('serviceAccount:x@y.com')).toBe('service');
    expect(principalType('alice@example.com')).toBe('human');
    expect(principalType('user:alice@example.com')).toBe('human');
    expect(principalType('system:kube-controller-manager')).toBe('system');
    expect(principalType('system@google.com')).toBe('system');
    expect(principalType('principal://iam.googleapis.com/locations/global/workforcePools/p/subject/alice')).toBe(
      'human',
    );
    expect(principalType(null)).toBe('unknown');
  });
  test('delegation chain, first principal first; the first is the session user', () => {
    const id = identityOf(
      {
        principalEmail: 'sa2@p.iam.gserviceaccount.com',
        serviceAccountKeyName: '//iam.googleapis.com/projects/p/serviceAccounts/sa2/keys/k1',
        serviceAccountDelegationInfo: [
          { firstPartyPrincipal: { principalEmail: 'alice@example.com' } },
          { principalSubject: 'serviceAccount:sa1@p.iam.gserviceaccount.com' },
        ],
      },
      'activity',
    );
    expect(id.user).toMatchObject({
      name: 'sa2@p.iam.gserviceaccount.com',
      type: 'service',
      session_user: 'alice@example.com',
      authenticated_by: '//iam.googleapis.com/projects/p/serviceAccounts/sa2/keys/k1',
      delegation: ['alice@example.com', 'serviceAccount:sa1@p.iam.gserviceaccount.com'],
    });
  });
  test('third-party callers: the subject is the name, claims kept in details', () => {
    const id = identityOf(
      {
        principalSubject: 'principal://iam.googleapis.com/locations/global/workforcePools/p/subject/bob',
        thirdPartyPrincipal: { thirdPartyClaims: { sub: 'bob' } },
      },
      'data_access',
    );
    expect(id.user.name).toMatch(/^principal:/);
    expect(id.user.type).toBe('human');
    expect(id.details['third_party_principal']).toEqual({ thirdPartyClaims: { sub: 'bob' } });
  });
  test('a redacted or missing principal is null, with a note', () => {
    const notes: string[] = [];
    const e = ev(entry({ authenticationInfo: {}, methodName: 'x.v1.S.Get', serviceName: 's.googleapis.com' }), notes);
    expect(e.user.name).toBeNull();
    expect(notes.some((n) => /no principal/.test(n))).toBe(true);
  });
  test('system events: user type system', () => {
    const e = ev(
      entry(
        { methodName: 'compute.instances.preempted', serviceName: 'compute.googleapis.com' },
        { logName: 'projects/p1/logs/cloudaudit.googleapis.com%2Fsystem_event' },
      ),
    );
    expect(e.user.type).toBe('system');
    expect(e.category).toBe('change_execution');
    expect(e.details['log_kind']).toBe('system_event');
  });
});

describe('actions, outcomes, resources', () => {
  test('action names are the snake-cased last method segment', () => {
    expect(
      ev(entry({ methodName: 'google.iam.admin.v1.CreateServiceAccountKey', serviceName: 'iam.googleapis.com' })).action
        .name,
    ).toBe('create_service_account_key');
    expect(
      ev(entry({ methodName: 'SetIamPolicy', serviceName: 'cloudresourcemanager.googleapis.com' })).action.name,
    ).toBe('set_iam_policy');
    expect(
      ev(entry({ methodName: 'jobservice.jobcompleted', serviceName: 'bigquery.googleapis.com' })).action.name,
    ).toBe('jobcompleted');
  });
  test('timestamp keeps milliseconds of a nanosecond RFC 3339 time', () => {
    expect(ev(entry({ methodName: 'a.B' })).timestamp).toBe('2024-05-01T12:00:00.123Z');
  });
  test('status.code names the failure', () => {
    const e = ev(entry({ methodName: 'a.Delete', status: { code: 9, message: 'busy' } }));
    expect(e.outcome).toBe('failure');
    expect(e.outcome_reason).toBe('FAILED_PRECONDITION: busy');
  });
  test('an empty status is success', () => {
    expect(ev(entry({ methodName: 'a.Create', status: {} })).outcome).toBe('success');
  });
  test('authorizationInfo granted=false is a denial even with no status', () => {
    const e = ev(
      entry({ methodName: 'a.Get', authorizationInfo: [{ permission: 'x.y.get', resource: 'r1', granted: false }] }),
    );
    expect(e.outcome).toBe('failure');
    expect(e.outcome_reason).toBe('PERMISSION_DENIED: x.y.get on r1');
  });
  test('policy (denied) log entries are failures', () => {
    const e = ev(
      entry(
        { methodName: 'storage.objects.get', metadata: { violationReason: 'NO_MATCHING_ACCESS_LEVEL' } },
        { logName: 'projects/p1/logs/cloudaudit.googleapis.com%2Fpolicy' },
      ),
    );
    expect(e.outcome).toBe('failure');
    expect(e.outcome_reason).toBe('denied by policy: NO_MATCHING_ACCESS_LEVEL');
  });
  test('no resourceName: the authorization resource, marked implicit', () => {
    const e = ev(
      entry({
        methodName: 'a.Get',
        authorizationInfo: [{ permission: 'p', resource: 'projects/p1/things/t', granted: true }],
      }),
    );
    expect(e.resource).toMatchObject({ name: 'projects/p1/things/t', implicit: true });
  });
  test('project from logName when the resource labels have none', () => {
    const e = ev(
      entry(
        { methodName: 'a.B', resourceName: 'x' },
        {
          resource: { type: 'organization', labels: {} },
          logName: 'organizations/42/logs/cloudaudit.googleapis.com%2Factivity',
        },
      ),
    );
    expect(e.resource.scope.project).toBe('organizations/42');
  });
  test('SQL in Spanner DDL statements[] is the statement, redacted', () => {
    const e = ev(
      entry({
        serviceName: 'spanner.googleapis.com',
        methodName: 'google.spanner.admin.database.v1.DatabaseAdmin.UpdateDatabaseDdl',
        request: { statements: ['CREATE ROLE r', 'GRANT SELECT ON TABLE t TO ROLE r'] },
      }),
    );
    expect(e.action.statement).toBe('CREATE ROLE r;\nGRANT SELECT ON TABLE t TO ROLE r');
    expect(e.privileged.value).toBe(true);
  });
});

describe('categories', () => {
  test('SetIamPolicy deltas: grant/revoke; allUsers is exposure', () => {
    const e = ev(
      entry({
        serviceName: 'storage.googleapis.com',
        methodName: 'storage.setIamPermissions',
        resourceName: 'projects/_/buckets/b',
        serviceData: {
          policyDelta: {
            bindingDeltas: [
              { action: 'ADD', role: 'roles/storage.objectViewer', member: 'allUsers' },
              { action: 'REMOVE', role: 'roles/owner', member: 'user:x@y.com' },
            ],
          },
        },
      }),
    );
    expect(e.category).toBe('data_exposure');
    expect(e.permission_changes).toEqual([
      {
        operation: 'grant',
        principal: 'allUsers',
        privilege: 'roles/storage.objectViewer',
        on: 'projects/_/buckets/b',
      },
      { operation: 'revoke', principal: 'user:x@y.com', privilege: 'roles/owner', on: 'projects/_/buckets/b' },
    ]);
    expect(e.privileged.reasons).toContain('admin_action');
  });
  test('removing a public binding is a permission change, not exposure', () => {
    const e = ev(
      entry({
        methodName: 'SetIamPolicy',
        serviceData: {
          policyDelta: { bindingDeltas: [{ action: 'REMOVE', role: 'roles/viewer', member: 'allAuthenticatedUsers' }] },
        },
      }),
    );
    expect(e.category).toBe('permission_change');
  });
  test('SetIamPolicy without deltas: permission change with null deltas and a note', () => {
    const notes: string[] = [];
    const e = ev(
      entry({
        methodName: 'SetIamPolicy',
        request: { policy: { bindings: [{ role: 'roles/viewer', members: ['user:a@b.c'] }] } },
      }),
      notes,
    );
    expect(e.category).toBe('permission_change');
    expect(e.permission_changes).toBeNull();
    expect(notes.some((n) => /no binding deltas/.test(n))).toBe(true);
  });
  test('PAM decisions are access requests', () => {
    const g = 'projects/p1/locations/global/entitlements/e1/grants/g1';
    const e = ev(
      entry({
        serviceName: 'privilegedaccessmanager.googleapis.com',
        methodName: 'google.cloud.privilegedaccessmanager.v1.PrivilegedAccessManager.DenyGrant',
        authenticationInfo: { principalEmail: 'approver@example.com' },
        resourceName: g,
        request: { name: g, reason: 'no ticket' },
        response: {
          name: g,
          requester: 'req@example.com',
          requestedDuration: '3600s',
          justification: { unstructuredJustification: 'why' },
          state: 'DENIED',
        },
      }),
    );
    expect(e.category).toBe('access_request');
    expect(e.access_request).toEqual({
      state: 'denied',
      requester: 'req@example.com',
      approver: 'approver@example.com',
      justification: 'why',
      expires: '3600s',
      entitlement: 'projects/p1/locations/global/entitlements/e1',
    });
    expect(e.details['decision_reason']).toBe('no ticket');
  });
  test('impersonation is authentication', () => {
    expect(ev(entry({ serviceName: 'iamcredentials.googleapis.com', methodName: 'SignJwt' })).category).toBe(
      'authentication',
    );
  });
  test('deleting a sink turns audit logging off', () => {
    const e = ev(
      entry({ serviceName: 'logging.googleapis.com', methodName: 'google.logging.v2.ConfigServiceV2.DeleteSink' }),
    );
    expect(e.category).toBe('policy_change');
    expect(e.details['audit_logging_disabled']).toBe(true);
    expect(e.privileged.reasons).toEqual(['admin_action', 'audit_disabled']);
  });
  test('an exclusion of unrelated logs is a policy change that does not disable audit logging', () => {
    const e = ev(
      entry({
        serviceName: 'logging.googleapis.com',
        methodName: 'google.logging.v2.ConfigServiceV2.CreateExclusion',
        request: { exclusion: { filter: 'resource.type="k8s_container" severity<WARNING' } },
      }),
    );
    expect(e.category).toBe('policy_change');
    expect(e.details['audit_logging_disabled']).toBeUndefined();
  });
  test('reading sinks is not a policy change', () => {
    expect(
      ev(
        entry(
          { serviceName: 'logging.googleapis.com', methodName: 'google.logging.v2.ConfigServiceV2.ListSinks' },
          { logName: 'projects/p1/logs/cloudaudit.googleapis.com%2Fdata_access' },
        ),
      ).category,
    ).toBe('other');
  });
  test('Cloud SQL: users are permission changes; switching pgaudit off is a policy change', () => {
    expect(ev(entry({ serviceName: 'cloudsql.googleapis.com', methodName: 'cloudsql.users.update' })).category).toBe(
      'permission_change',
    );
    const e = ev(
      entry({
        serviceName: 'cloudsql.googleapis.com',
        methodName: 'cloudsql.instances.patch',
        request: { body: { settings: { databaseFlags: [{ name: 'cloudsql.enable_pgaudit', value: 'off' }] } } },
      }),
    );
    expect(e.category).toBe('policy_change');
    expect(e.details['audit_logging_disabled']).toBe(true);
  });
  test('Data Access reads stay other; BigQuery extract jobs are exposure', () => {
    const da = { logName: 'projects/p1/logs/cloudaudit.googleapis.com%2Fdata_access' };
    expect(
      ev(entry({ serviceName: 'firestore.googleapis.com', methodName: 'google.firestore.v1.Firestore.RunQuery' }, da))
        .category,
    ).toBe('other');
    expect(
      ev(
        entry(
          {
            serviceName: 'bigquery.googleapis.com',
            methodName: 'jobservice.jobcompleted',
            serviceData: {
              jobCompletedEvent: {
                eventName: 'extract_job_completed',
                job: { jobConfiguration: { extract: { destinationUris: ['gs://b/x'] } } },
              },
            },
          },
          da,
        ),
      ).category,
    ).toBe('data_exposure');
  });
});

describe('entries that are not audit logs', () => {
  test('jsonPayload / textPayload / other protoPayload types are skipped by reason', () => {
    expect(map({ jsonPayload: {}, logName: 'x' })).toMatchObject({
      kind: 'skip',
      reason: 'not an audit log entry (jsonPayload)',
    });
    expect(map({ textPayload: 'hi' })).toMatchObject({ kind: 'skip', reason: 'not an audit log entry (textPayload)' });
    expect(
      map({ protoPayload: { '@type': 'type.googleapis.com/google.appengine.logging.v1.RequestLog' } }),
    ).toMatchObject({ kind: 'skip' });
  });
  test('values that are not LogEntry objects are rejected', () => {
    expect(map([1, 2]).kind).toBe('reject');
    expect(map({ foo: 1 }).kind).toBe('reject');
  });
  test('protoPayload without @type is read (legacy BigQuery AuditData entries have none)', () => {
    const e = entry({ methodName: 'jobservice.insert' });
    delete (e.protoPayload as Record<string, unknown>)['@type'];
    expect(map(e).kind).toBe('event');
  });
});

describe('detection', () => {
  const head = (f: string) => readFileSync(`fixtures/gcp-audit/${f}`, 'utf8').slice(0, 65536);
  test('corpus and doc-built files sniff at 0.9 or more', () => {
    for (const f of [
      'google-cloudevents__LogEntryData-bigqueryjobcompleted.json',
      'universal-connectors__firestore_logs.json',
      'pam-grant-lifecycle.jsonl',
      'entries-list-response.json',
    ]) {
      expect(adapter.sniff(head(f), f), f).toBeGreaterThanOrEqual(0.9);
    }
  });
  test('Cloud SQL pgaudit entries are left to the pgaudit adapter (at most 0.6)', () => {
    expect(adapter.sniff(head('universal-connectors__cloudsql-pgaudit-a.log'), 'a.log')).toBeLessThanOrEqual(0.6);
  });
  test('other content scores 0', () => {
    expect(
      adapter.sniff('2024-05-01 12:00:00 UTC LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,select 1,<not logged>', 'x.log'),
    ).toBe(0);
    expect(adapter.sniff('{"Records":[{"eventVersion":"1.08","eventSource":"iam.amazonaws.com"}]}', 'x.json')).toBe(0);
  });
});

describe('properties', () => {
  const jsonValue = fc.jsonValue({ maxDepth: 4 });
  test('any JSON value maps to exactly one outcome, and events always match the schema', () => {
    fc.assert(
      fc.property(
        jsonValue,
        fc.record(
          {
            protoPayload: fc.oneof(
              fc.constant(undefined),
              fc.dictionary(
                fc.constantFrom(
                  '@type',
                  'methodName',
                  'serviceName',
                  'resourceName',
                  'status',
                  'authenticationInfo',
                  'authorizationInfo',
                  'request',
                  'response',
                  'serviceData',
                  'metadata',
                  'requestMetadata',
                ),
                jsonValue,
              ),
            ),
            logName: fc.oneof(
              fc.constant(undefined),
              fc.constantFrom(
                'projects/p/logs/cloudaudit.googleapis.com%2Factivity',
                'projects/p/logs/cloudaudit.googleapis.com%2Fpolicy',
                'x',
              ),
              fc.string(),
            ),
            timestamp: fc.oneof(fc.constant(undefined), fc.string(), fc.constant('2024-01-01T00:00:00Z')),
            insertId: fc.oneof(fc.constant(undefined), fc.string()),
          },
          { requiredKeys: [] },
        ),
        (v, e) => {
          for (const input of [v, e]) {
            const o = map(input);
            expect(['event', 'reject', 'skip']).toContain(o.kind);
            if (o.kind === 'event') expect(validateEvent(o.event)).toBeNull();
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
