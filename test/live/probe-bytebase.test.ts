// The Bytebase probe against the local v1 REST server: the probe account signs in, creates and
// deletes a custom role and a review config named aeprobe<nonce>, exports nothing from the audit
// log; the server writes an AuditLog row for each audited call (as Bytebase's audit interceptor
// does) that the search returns 1.5 s later; the probe reads it back through the bytebase source.
import { afterEach, describe, expect, test } from 'vitest';
import { startBytebaseApi, type BytebaseApi } from '../helpers/servers/bytebase-api.js';
import { probeSource } from '../../src/probe/run.js';
import type { SourceProbeReport } from '../../src/probe/types.js';

const TOKEN = 'bb-reader-token-probe-test';
const PROBER = 'ae-prober@service.bytebase.com';
const KEY = 'bbs_probe-key-not-real-1234';
process.env.AE_BB_PROBE_TOKEN = TOKEN;
process.env.AE_BB_PROBE_KEY = KEY;

const byName = (r: SourceProbeReport) => Object.fromEntries(r.results.map((x) => [`${x.category}:${x.name}`, x]));
const source = (api: BytebaseApi, extra: Record<string, unknown> = {}, probe: Record<string, unknown> = {}) => ({
  name: 'bb-probe',
  type: 'bytebase',
  url: api.url,
  token_env: 'AE_BB_PROBE_TOKEN',
  page_size: 50,
  ...extra,
  probe: { user: PROBER, password_env: 'AE_BB_PROBE_KEY', wait: 10, ...probe },
});

describe('probe on Bytebase (local v1 REST server with audit rows)', () => {
  let api: BytebaseApi | undefined;
  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });

  test('login, role, review config and export are found with their four fields after the delivery delay; everything created is deleted', async () => {
    api = await startBytebaseApi([], TOKEN, { accounts: { [PROBER]: KEY }, delayMs: 1500 });
    const lines: string[] = [];
    const r = await probeSource(source(api), { pollMs: 400, progress: (m) => lines.push(m) });
    console.log(
      JSON.stringify(
        r.results.map((x) => [x.category, x.name, x.status, x.delay_ms, x.event?.action, x.event?.resource, x.reason]),
      ),
    );
    const c = byName(r);
    for (const k of [
      'authentication:login',
      'permission_change:custom role created and deleted',
      'policy_change:SQL review config created and deleted',
      'data_exposure:audit log export',
    ]) {
      expect(c[k]?.status, `${k}: ${c[k]?.reason}`).toBe('found');
      expect(c[k]!.event!.user).toBe(PROBER); // the calls were made with the probe account's session
      expect(c[k]!.event!.timestamp).toBeTruthy();
      expect(c[k]!.event!.action).toBeTruthy();
      expect(c[k]!.delay_ms).toBeGreaterThanOrEqual(1000); // the server's delay was waited for
    }
    expect(c['permission_change:custom role created and deleted']!.event!.resource).toBe(`roles/aeprobe${r.nonce}`);
    expect(c['policy_change:SQL review config created and deleted']!.event!.resource).toBe(
      `reviewConfigs/aeprobe${r.nonce}`,
    );
    expect(c['authentication:failed login']!.status).toBe('not_probed');
    expect(c['access_request:access request']!.status).toBe('not_probed');
    expect(c['change_execution:change execution']!.status).toBe('not_probed');
    expect(r.cleanup.dropped).toEqual([`roles/aeprobe${r.nonce}`, `reviewConfigs/aeprobe${r.nonce}`]);
    expect([...api.objects]).toEqual([]);
    expect(r.reads).toBeGreaterThan(1);
    expect(lines.some((l) => /bb-probe: probe: \d of 4 actions found in the log after \d+ s, waiting/.test(l))).toBe(
      true,
    );
    // Only audited calls the probe is allowed to make, and the key and session token are never in the report.
    expect(api.audited.map((a) => a.method)).toEqual([
      'AuthService/Login',
      'RoleService/CreateRole',
      'RoleService/DeleteRole',
      'ReviewConfigService/CreateReviewConfig',
      'ReviewConfigService/DeleteReviewConfig',
      'AuditLogService/ExportAuditLogs',
      'AuthService/Logout',
    ]);
    expect(JSON.stringify(r)).not.toContain(KEY);
    expect(JSON.stringify(r)).not.toMatch(/bb-session-/);
  });

  test('leftovers of a run that stopped halfway are deleted, other roles are left alone', async () => {
    api = await startBytebaseApi([], TOKEN, { accounts: { [PROBER]: KEY } });
    api.objects.add('roles/aeprobe0badc0de');
    api.objects.add('roles/aeprobekeepme');
    api.objects.add('roles/dba-oncall');
    api.objects.add('reviewConfigs/aeprobe12345678');
    const r = await probeSource(source(api), { pollMs: 200 });
    expect(r.cleanup.leftovers_removed.sort()).toEqual(['reviewConfigs/aeprobe12345678', 'roles/aeprobe0badc0de']);
    expect([...api.objects].sort()).toEqual(['roles/aeprobekeepme', 'roles/dba-oncall']);
  });

  test('a source that reads only a project: the workspace-level actions are not found, naming why; the export in the project is found', async () => {
    api = await startBytebaseApi([], TOKEN, { accounts: { [PROBER]: KEY }, delayMs: 300 });
    const r = await probeSource(source(api, { projects: ['demo'] }, { wait: 3 }), { pollMs: 300 });
    const c = byName(r);
    console.log(JSON.stringify(r.results.map((x) => [x.category, x.name, x.status, x.reason, x.likely_setting])));
    const role = c['permission_change:custom role created and deleted']!;
    expect(role.status).toBe('not_found');
    expect(role.reason).toMatch(/^not found after \d+ s/);
    expect(role.likely_setting).toMatch(
      /the source reads only demo: workspace-level calls are logged under workspaces\/<id>/,
    );
    expect(c['authentication:login']!.status).toBe('not_found');
    expect(c['authentication:login']!.likely_setting).toMatch(/reads only demo/);
    expect(c['data_exposure:audit log export']!.status).toBe('found');
    expect(c['data_exposure:audit log export']!.action).toMatch(/ExportAuditLogs on projects\/demo/);
  });

  test('a server that does not audit role changes: not found, the likely setting named; a token-only probe does not sign in', async () => {
    api = await startBytebaseApi([], TOKEN, {
      accounts: {},
      unaudited: ['RoleService/CreateRole', 'RoleService/DeleteRole'],
      tokenUser: 'ae-reader@service.bytebase.com',
    });
    const r = await probeSource(
      source(api, {}, { password_env: undefined, user: 'ae-reader@service.bytebase.com', wait: 2 }),
      { pollMs: 300 },
    );
    const c = byName(r);
    expect(c['authentication:login']!.status).toBe('not_probed');
    expect(c['permission_change:custom role created and deleted']!.status).toBe('not_found');
    expect(c['permission_change:custom role created and deleted']!.likely_setting).toMatch(
      /RoleService is not audited/,
    );
    expect(c['policy_change:SQL review config created and deleted']!.status).toBe('found');
    expect(c['policy_change:SQL review config created and deleted']!.event!.user).toBe(
      'ae-reader@service.bytebase.com',
    );
  });

  test('a wrong probe key: the probe refuses in one sentence without the key', async () => {
    api = await startBytebaseApi([], TOKEN, { accounts: { [PROBER]: 'the-right-one' } });
    await expect(probeSource(source(api))).rejects.toThrow(
      /could not sign in to http:\/\/127\.0\.0\.1:\d+ as ae-prober@service\.bytebase\.com: HTTP 401/,
    );
    await expect(probeSource(source(api))).rejects.not.toThrow(new RegExp(KEY));
    expect(api.audited.map((a) => a.method)).toEqual(['AuthService/Login', 'AuthService/Login']);
  });
});
