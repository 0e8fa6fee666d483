// The Bytebase adapter over the real 93 rows of Bytebase's demo metadata database (as rows and as
// the search API returns them), the invented extra cases, secrets, and damaged input.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { normalizeFiles } from '../../helpers/golden.js';
import { runCli } from '../../helpers/cli.js';
import { emptySummary, normalizeOne } from '../../../src/pipeline/run.js';
import { openStream } from '../../../src/pipeline/input.js';
import { catalog, findAdapter } from '../../../src/sources/registry.js';
import { METHOD_CATEGORIES } from '../../../src/sources/bytebase/categories.js';

const FX = 'fixtures/bytebase';
const ROWS = `${FX}/audit_log.rows.jsonl`;
const API = `${FX}/search-response.jsonl`;
const INVENTED = `${FX}/invented-cases.jsonl`;

const countBy = <T>(xs: T[], f: (x: T) => string) =>
  xs.reduce<Record<string, number>>((m, x) => {
    const k = f(x);
    m[k] = (m[k] ?? 0) + 1;
    return m;
  }, {});
const short = (m: string | null) => (m ?? '').replace('/bytebase.v1.', '');

describe('bytebase: the 93 real rows', () => {
  test('every row is an event; categories per method as checked by hand', async () => {
    const n = await normalizeFiles([ROWS], 'bytebase');
    expect(n.events).toHaveLength(93);
    expect(n.rejects).toHaveLength(0);
    expect(countBy(n.events, (e) => e.category)).toEqual({
      authentication: 7,
      permission_change: 17,
      policy_change: 34,
      change_execution: 21,
      other: 14,
    });
    const byMethod = countBy(
      n.events,
      (e) => `${short(e.action.source_name)} ${e.category}${e.details.validate_only ? ' (validate only)' : ''}`,
    );
    expect(byMethod).toEqual({
      'AuthService/Login authentication': 7,
      'WorkspaceService/SetIamPolicy permission_change': 7,
      'ProjectService/SetIamPolicy permission_change': 2,
      'UserService/CreateUser permission_change': 6,
      'RoleService/UpdateRole permission_change': 1,
      'GroupService/CreateGroup permission_change': 1,
      'SettingService/UpdateSetting policy_change': 19,
      'OrgPolicyService/UpdatePolicy policy_change': 8,
      'RiskService/CreateRisk policy_change': 3,
      'RiskService/UpdateRisk policy_change': 1,
      'DatabaseCatalogService/UpdateDatabaseCatalog policy_change': 3,
      'DatabaseService/UpdateDatabase change_execution': 8,
      'DatabaseService/BatchUpdateDatabases change_execution': 6,
      'InstanceService/CreateInstance change_execution': 3,
      'InstanceService/AddDataSource change_execution': 1,
      'PlanService/CreatePlan change_execution': 1,
      'IssueService/CreateIssue change_execution': 1,
      'RolloutService/CreateRollout change_execution': 1,
      'SQLService/Query other': 5,
      'InstanceService/CreateInstance other (validate only)': 6,
      'InstanceService/AddDataSource other (validate only)': 3,
    });
  });

  test('four fields: every row has time, action and resource; the user is missing only on the first sign-up', async () => {
    const n = await normalizeFiles([ROWS], 'bytebase');
    expect(n.events.filter((e) => !e.timestamp || !e.action.name || !e.resource.name)).toEqual([]);
    const noUser = n.events.filter((e) => !e.user.name);
    expect(noUser.map((e) => e.source.record_id)).toEqual(['101']);
    expect(noUser[0]!.action.name).toBe('create_user');
    expect(n.summary.inputs[0]!.notes.some((x) => x.startsWith('rows without a user'))).toBe(true);
  });

  test('resources by hand: the resource type and name of each method', async () => {
    const n = await normalizeFiles([ROWS], 'bytebase');
    const seen = new Map<string, Set<string>>();
    for (const e of n.events) {
      const k = short(e.action.source_name);
      if (!seen.has(k)) seen.set(k, new Set());
      seen.get(k)!.add(`${e.resource.type} ${e.resource.name?.replace(/a6b014b9-[0-9a-f-]+/, 'W')}`);
    }
    const get = (k: string) => [...seen.get(k)!].sort();
    expect(get('AuthService/Login')).toEqual(['user demo@example.com']);
    expect(get('WorkspaceService/SetIamPolicy')).toEqual(['workspace workspaces/W']);
    expect(get('ProjectService/SetIamPolicy')).toEqual(['project projects/hr', 'project projects/metadb']);
    expect(get('UserService/CreateUser')).toEqual([
      'user users/api@service.bytebase.com',
      'user users/dba1@example.com',
      'user users/demo@example.com',
      'user users/dev1@example.com',
      'user users/qa1@example.com',
      'user users/qa2@example.com',
    ]);
    expect(get('RoleService/UpdateRole')).toEqual(['role roles/qa-custom-role']);
    expect(get('GroupService/CreateGroup')).toEqual(['group groups/qa-group@example.com']);
    expect(get('SettingService/UpdateSetting')).toEqual([
      'setting settings/bb.workspace.approval',
      'setting settings/bb.workspace.data-classification',
      'setting settings/bb.workspace.environment',
      'setting settings/bb.workspace.profile',
      'setting settings/bb.workspace.semantic-types',
      'setting settings/bb.workspace.watermark',
    ]);
    expect(get('OrgPolicyService/UpdatePolicy')).toEqual([
      'policy environments/prod/policies/data_source_query',
      'policy environments/prod/policies/disable_copy_data',
      'policy environments/prod/policies/tag',
      'policy environments/test/policies/tag',
      'policy policies/masking_rule',
    ]);
    expect(get('RiskService/CreateRisk')).toEqual(['risk risks/101', 'risk risks/102', 'risk risks/103']);
    expect(get('DatabaseCatalogService/UpdateDatabaseCatalog')).toEqual([
      'database_catalog instances/prod-sample-instance/databases/hr_prod/catalog',
    ]);
    expect(get('DatabaseService/BatchUpdateDatabases')).toEqual([
      'database instances/bytebase-meta/databases/bb',
      'database instances/prod-sample-instance/databases/hr_prod',
      'database instances/test-sample-instance/databases/hr_test',
    ]);
    expect(get('PlanService/CreatePlan')).toEqual(['plan projects/hr/plans/101']);
    expect(get('IssueService/CreateIssue')).toEqual(['issue projects/hr/issues/101']);
    expect(get('RolloutService/CreateRollout')).toEqual(['rollout projects/hr/rollouts/101']);
    expect(get('SQLService/Query')).toEqual([
      'database instances/bytebase-meta/databases/bb',
      'database instances/prod-sample-instance/databases/hr_prod',
    ]);
  });

  test('workspace SetIamPolicy deltas follow the etag chain; project ones come from serviceData', async () => {
    const n = await normalizeFiles([ROWS], 'bytebase');
    const iam = n.events.filter((e) => e.action.name === 'set_iam_policy');
    expect(iam.map((e) => [e.source.record_id, e.details.permission_changes_basis ?? null])).toEqual([
      ['106', null],
      ['108', 'previous_policy'],
      ['110', 'previous_policy'],
      ['123', 'previous_policy'],
      ['131', 'service_data'],
      ['153', 'service_data'],
      ['155', 'previous_policy'],
      ['157', 'previous_policy'],
      ['159', 'previous_policy'],
    ]);
    const e108 = iam.find((e) => e.source.record_id === '108')!;
    expect(e108.permission_changes).toEqual([
      {
        operation: 'grant',
        principal: 'user:dba1@example.com',
        privilege: 'roles/workspaceDBA',
        on: e108.resource.name,
      },
    ]);
  });

  test('the search API form gives the same events (without origin: the API does not return requestMetadata)', async () => {
    const rows = (await normalizeFiles([ROWS], 'bytebase')).events;
    const api = (await normalizeFiles([API], 'bytebase')).events;
    expect(api).toHaveLength(93);
    const strip = (e: (typeof rows)[number]) => ({
      ...e,
      id: null,
      origin: null,
      source: { ...e.source, location: null, raw_sha256: null, variant: null },
      details: { ...e.details, log_name: undefined, parent: undefined },
    });
    expect(api.map(strip)).toEqual(rows.map(strip));
    expect(api.every((e) => e.source.variant === 'search-response')).toBe(true);
    expect(api[1]!.details.log_name).toBe('workspaces/a6b014b9-d0d4-4974-9be6-53ec61ea5f48/auditLogs/102');
  });
});

describe('bytebase: invented cases', () => {
  test('admin mode is break glass; grant requests and approvals are access requests; exposure', async () => {
    const n = await normalizeFiles([INVENTED], 'bytebase');
    const by = new Map(n.events.map((e) => [e.source.record_id, e]));
    expect(by.get('9001')!.privileged.reasons).toEqual(['admin_action', 'break_glass']);
    expect(by.get('9001')!.category).toBe('change_execution');
    expect(by.get('9002')!.access_request).toMatchObject({
      state: 'requested',
      requester: 'dev1@example.com',
      entitlement: 'roles/projectQuerier',
    });
    expect(by.get('9003')!.access_request).toMatchObject({
      state: 'approved',
      approver: 'demo@example.com',
      requester: 'dev1@example.com',
    });
    expect(by.get('9004')!.access_request).toMatchObject({ state: 'denied' });
    expect(['9005', '9006', '9007'].map((id) => by.get(id)!.category)).toEqual([
      'data_exposure',
      'data_exposure',
      'data_exposure',
    ]);
    expect(by.get('9007')!.details.unmasked_sensitive_columns).toEqual(['amount']);
    expect(by.get('9011')).toMatchObject({
      outcome: 'failure',
      user: { name: 'dev1@example.com' },
      category: 'authentication',
    });
    expect(by.get('9012')!.category).toBe('authentication');
    expect(by.get('9013')!.user.type).toBe('service');
    expect(by.get('9015')!.permission_changes).toEqual([
      {
        operation: 'grant',
        principal: 'user:qa1@example.com',
        privilege: 'roles/projectReleaser',
        on: 'projects/sales',
      },
      {
        operation: 'revoke',
        principal: 'user:qa1@example.com',
        privilege: 'roles/projectDeveloper',
        on: 'projects/sales',
      },
    ]);
    expect(by.get('9016')!.user).toMatchObject({ name: null, id: 'users/105' });
    expect(by.get('9018')!.timestamp).toBeNull(); // no zone: never guessed
    expect(n.rejects.map((r) => r.reason)).toEqual([
      'payload is not a JSON object (an audit_log row holds the entry in its payload column)',
      expect.stringContaining('truncated record at end of input'),
    ]);
  });

  test('secrets in request and response never reach events, rejects or raw records (redaction marker)', async () => {
    const secrets = [
      'Pa55-word-ro',
      'MIIEvQ',
      'ssh-Secret-9',
      'ssh-key-material',
      'auth-key-material',
      'master-Secret-1',
      'Snow-Flake-Pw',
      'wrong-Passw0rd',
      'oauth-code-123',
      '123456',
      '654321',
      'Sup3rS3cret!',
    ];
    const text = readFileSync(INVENTED, 'utf8');
    for (const s of secrets) expect(text).toContain(s); // the fixture does carry them
    const adapter = findAdapter('bytebase')!;
    const summary = emptySummary();
    const input = await openStream(
      INVENTED,
      (async function* () {
        yield Buffer.from(text);
      })(),
    );
    let out = '';
    for await (const o of normalizeOne(
      adapter,
      input,
      { format: 'bytebase', adapters: catalog, options: {} },
      summary,
    )) {
      out += o.raw.text + '\n' + (o.kind === 'event' ? JSON.stringify(o.event) : o.reason) + '\n';
    }
    for (const s of secrets) expect(out, s).not.toContain(s);
    expect(out).toContain('\\"password\\":\\"<REDACTED>\\"');
    expect(out).toContain('\\"sslKey\\":\\"<REDACTED>\\"');
    expect(summary.inputs[0]!.redacted).toBe(6);
  });
});

describe('bytebase: damaged input', () => {
  const lines = readFileSync(ROWS, 'utf8').split('\n').filter(Boolean);
  test('a cut or corrupted line never costs the records before it, and every record is accounted for', async () => {
    const adapter = findAdapter('bytebase')!;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: lines.length - 1 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.constantFrom('cut', 'garble', 'drop-brace'),
        async (i, at, how) => {
          const l = lines[i]!;
          const k = Math.min(at, l.length - 1);
          const bad =
            how === 'cut' ? l.slice(0, k) : how === 'garble' ? l.slice(0, k) + '\u0000#' + l.slice(k + 2) : l.slice(1);
          const text = [...lines.slice(0, i), bad, ...lines.slice(i + 1)].join('\n') + '\n';
          const summary = emptySummary();
          const input = await openStream(
            'x.jsonl',
            (async function* () {
              yield Buffer.from(text);
            })(),
          );
          const outs = [];
          for await (const o of normalizeOne(
            adapter,
            input,
            { format: 'bytebase', adapters: catalog, options: {} },
            summary,
          ))
            outs.push(o);
          expect(summary.reconciled).toBe(true);
          const events = outs.filter((o) => o.kind === 'event');
          const ids = new Set(events.map((o) => (o.kind === 'event' ? o.event.source.record_id : null)));
          // Every record before the damage is read; what the framer recovers after it is the
          // framer's business (src/pipeline/json-frames.ts), but nothing is lost silently.
          for (let j = 0; j < i; j++) expect(ids.has(String(JSON.parse(lines[j]!).id))).toBe(true);
          expect(outs.filter((o) => o.kind === 'reject').length + events.length).toBeGreaterThan(i);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('bytebase: the method table', () => {
  test('README lists every method of the table with its category', () => {
    const readme = readFileSync('docs/formats.md', 'utf8'); // the method table moved from README.md
    for (const [m, cat] of Object.entries(METHOD_CATEGORIES))
      expect(readme, m).toMatch(new RegExp(`\\| \`${m.replace('/', '\\/')}\`[^\\n]*\\| ${cat} `));
  });

  test('the CLI detects the format and names the user-less row', async () => {
    const r = await runCli(['normalize', ROWS]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('read as bytebase (detected)');
    expect(r.stdout.trim().split('\n')).toHaveLength(93);
    const c = await runCli(['check', '--format', 'bytebase', ROWS]);
    expect(c.stdout + c.stderr).toMatch(/field\.missing[\s\S]*user/);
  });
});
