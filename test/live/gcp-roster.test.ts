// The GCP admin roster through the real @google-cloud/resource-manager clients (Projects, Folders,
// Organizations getIamPolicy, policy version 3) against the local gRPC server: owners, editors,
// *.admin roles, a conditional binding, a group, a custom role listed as not judged, a denied
// folder warned about; the gcp-logging source marks its admins' events privileged (roster:).
import { afterEach, describe, expect, test } from 'vitest';
import { auditEntries, startGcpLogging, type GcpServer } from '../helpers/servers/gcp-logging.js';
import type { IamPolicies } from '../helpers/servers/gcp-logging-config.js';
import { drain } from '../helpers/live-run.js';
import { openGcpLogging } from '../../src/live/gcp-logging/index.js';
import { ADMIN_ROLE, adminPermissions } from '../../src/roster/gcp-iam.js';
import { createServer } from 'node:http';

const since = new Date('2024-05-01T00:00:00Z');
const until = new Date('2024-05-08T00:00:00Z');
let server: GcpServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

const IAM: IamPolicies = {
  requests: [],
  policies: {
    'organizations/42': {
      bindings: [
        { role: 'roles/resourcemanager.organizationAdmin', members: ['user:root-admin@acme.example'] },
        { role: 'roles/viewer', members: ['domain:acme.example'] },
      ],
    },
    'projects/acme-prod': {
      bindings: [
        { role: 'roles/owner', members: ['user:alice@acme.example'] },
        { role: 'roles/editor', members: ['serviceAccount:deployer@acme-prod.iam.gserviceaccount.com'] },
        { role: 'roles/logging.admin', members: ['group:sre@acme.example'] },
        {
          role: 'roles/iam.securityAdmin',
          members: ['user:carol@acme.example'],
          condition: { title: 'until end of May', expression: 'request.time < timestamp("2024-06-01T00:00:00Z")' },
        },
        { role: 'roles/compute.viewer', members: ['user:bob@acme.example'] },
        { role: 'projects/acme-prod/roles/policyWriter', members: ['user:dave@acme.example'] },
      ],
    },
  },
};
const cfg = (s: GcpServer, extra: Record<string, unknown> = {}) => ({
  name: 'gcp',
  type: 'gcp-logging',
  resources: ['organizations/42', 'folders/7', 'projects/acme-prod'],
  api_endpoint: '127.0.0.1',
  resource_manager_endpoint: '127.0.0.1',
  port: s.port,
  insecure: true,
  page_size: 50,
  ...extra,
});

describe('GCP IAM admin roster', () => {
  test('admin roles', () => {
    for (const r of [
      'roles/owner',
      'roles/editor',
      'roles/logging.admin',
      'roles/iam.securityAdmin',
      'roles/resourcemanager.folderAdmin',
      'roles/cloudsql.admin',
    ])
      expect(ADMIN_ROLE.test(r), r).toBe(true);
    for (const r of [
      'roles/viewer',
      'roles/logging.viewer',
      'roles/compute.instanceAdmin.v1x',
      'projects/p/roles/admin',
    ])
      expect(ADMIN_ROLE.test(r), r).toBe(false);
  });

  test('getIamPolicy on the organization, folder and project: who administers them, with role, resource and condition', async () => {
    server = await startGcpLogging({ pages: [auditEntries(3)], iam: IAM });
    const d = await drain(openGcpLogging, cfg(server), { since, until });
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    expect(IAM.requests!.map((r) => [r.resource, r.version])).toEqual([
      ['organizations/42', 3],
      ['folders/7', 3],
      ['projects/acme-prod', 3],
    ]);
    const roster = d.result.roster!.map((e) => `${e.principal}: ${e.reason}`);
    expect(roster).toEqual([
      'root-admin@acme.example: gcp roles/resourcemanager.organizationAdmin on organizations/42',
      'alice@acme.example: gcp roles/owner on projects/acme-prod',
      'deployer@acme-prod.iam.gserviceaccount.com: gcp roles/editor on projects/acme-prod',
      'group:sre@acme.example: gcp roles/logging.admin on projects/acme-prod, a group (members not expanded)',
      'carol@acme.example: gcp roles/iam.securityAdmin on projects/acme-prod (conditional: until end of May)',
    ]);
    expect(d.result.roster![0]!.origin).toMatch(/^live:gcp Resource Manager getIamPolicy, read \d{4}-/);
    const w = d.result.warnings.join('\n');
    expect(w).toMatch(/IAM policies not read for folders\/7 \(7 PERMISSION_DENIED/);
    expect(w).toMatch(
      /custom roles not judged for the admin roster \(their permissions could not be had\): projects\/acme-prod\/roles\/policyWriter \(not in custom_roles, and IAM is not read: api_endpoint is overridden and iam_endpoint is not set\)/,
    );
    // alice's SetIamPolicy is marked privileged by the roster.
    const alice = d.events.filter((e) => e.user.name === 'alice@acme.example');
    expect(alice.length).toBeGreaterThan(0);
    for (const e of alice) expect(e.privileged.reasons).toContain('roster:gcp roles/owner on projects/acme-prod');
    const bob = d.events.filter((e) => e.user.name === 'bob@acme.example');
    for (const e of bob) expect(e.privileged.reasons.some((r) => r.startsWith('roster:'))).toBe(false);
  });

  test('custom roles judged by their permissions: from IAM roles.get (a local IAM REST server) or from the config', async () => {
    const iamHits: string[] = [];
    const roles: Record<string, string[]> = {
      '/v1/projects/acme-prod/roles/policyWriter': [
        'resourcemanager.projects.getIamPolicy',
        'resourcemanager.projects.setIamPolicy',
      ],
      '/v1/projects/acme-prod/roles/reader': ['storage.objects.get', 'storage.objects.list'],
    };
    const iamServer = createServer((req, res) => {
      iamHits.push(`${req.method} ${req.url} auth=${req.headers.authorization ? 'yes' : 'no'}`);
      const perms = roles[req.url ?? ''];
      if (!perms) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 404, message: 'not found', status: 'NOT_FOUND' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ name: req.url!.slice(4), title: 'x', includedPermissions: perms, stage: 'GA', etag: 'BwX=' }),
      );
    });
    await new Promise<void>((r) => iamServer.listen(0, '127.0.0.1', r));
    const iamUrl = `http://127.0.0.1:${(iamServer.address() as { port: number }).port}`;
    try {
      const policies = {
        requests: [],
        policies: {
          'projects/acme-prod': {
            bindings: [
              ...IAM.policies['projects/acme-prod']!.bindings!,
              { role: 'projects/acme-prod/roles/reader', members: ['user:erin@acme.example'] },
              { role: 'organizations/42/roles/gone', members: ['user:frank@acme.example'] },
            ],
          },
        },
      };
      server = await startGcpLogging({ pages: [auditEntries(1)], iam: policies });
      const d = await drain(openGcpLogging, cfg(server, { resources: ['projects/acme-prod'], iam_endpoint: iamUrl }), {
        since,
        until,
      });
      const roster = d.result.roster!.map((e) => `${e.principal}: ${e.reason}`);
      expect(roster).toContain(
        'dave@acme.example: gcp projects/acme-prod/roles/policyWriter (custom role: can change who has access (resourcemanager.projects.setIamPolicy)) on projects/acme-prod',
      );
      expect(roster.some((r) => r.startsWith('erin@'))).toBe(false);
      const facts = (
        d.result.settings as {
          iam_roster: {
            custom_roles_judged: Array<{ role: string; admin: boolean; why: string; permissions_from: string }>;
            custom_roles_not_judged: Array<{ role: string; why: string }>;
          };
        }
      ).iam_roster;
      expect(facts.custom_roles_judged.map((x) => [x.role, x.admin, x.permissions_from])).toEqual([
        [
          'projects/acme-prod/roles/policyWriter',
          true,
          `IAM roles.get ${iamUrl}/v1/projects/acme-prod/roles/policyWriter`,
        ],
        ['projects/acme-prod/roles/reader', false, `IAM roles.get ${iamUrl}/v1/projects/acme-prod/roles/reader`],
      ]);
      expect(facts.custom_roles_judged[1]!.why).toBe(
        'none of its 2 permissions changes access, acts as a service account or touches audit logs',
      );
      expect(facts.custom_roles_not_judged).toEqual([
        {
          role: 'organizations/42/roles/gone',
          on: 'projects/acme-prod',
          members: ['user:frank@acme.example'],
          why: 'IAM roles.get answered HTTP 404',
        },
      ]);
      expect(d.result.warnings.join('\n')).toMatch(
        /custom roles not judged for the admin roster \(their permissions could not be had\): organizations\/42\/roles\/gone \(IAM roles.get answered HTTP 404\)/,
      );
      expect(iamHits.every((h) => h.endsWith('auth=no'))).toBe(true); // no credentials to an overridden endpoint
      // From the config instead (IAM not reachable): the same judgement, named as from the config.
      const c2 = await drain(
        openGcpLogging,
        cfg(server, {
          resources: ['projects/acme-prod'],
          custom_roles: { 'projects/acme-prod/roles/policyWriter': ['logging.sinks.delete'] },
        }),
        { since, until },
      );
      expect(c2.result.roster!.map((e) => e.reason)).toContain(
        'gcp projects/acme-prod/roles/policyWriter (custom role: can hide or erase audit logs (logging.sinks.delete)) on projects/acme-prod',
      );
      const j = (c2.result.settings as { iam_roster: { custom_roles_judged: Array<{ permissions_from: string }> } })
        .iam_roster.custom_roles_judged;
      expect(j[0]!.permissions_from).toBe('config custom_roles');
    } finally {
      await new Promise<void>((r) => iamServer.close(() => r()));
    }
  });

  test('adminPermissions: what makes a custom role admin', () => {
    expect(adminPermissions(['storage.buckets.setIamPolicy'])).toMatch(/^can change who has access/);
    expect(adminPermissions(['iam.roles.update'])).toMatch(/^can define roles/);
    expect(adminPermissions(['iam.serviceAccountKeys.create'])).toMatch(/^can act as a service account/);
    expect(adminPermissions(['logging.buckets.update'])).toMatch(/^can hide or erase audit logs/);
    expect(
      adminPermissions(['compute.instances.list', 'storage.objects.get', 'iam.roles.get', 'logging.logEntries.list']),
    ).toBeNull();
  });

  test('not read when the Logging endpoint is overridden without a Resource Manager endpoint, or when switched off', async () => {
    server = await startGcpLogging({ pages: [auditEntries(1)], iam: { ...IAM, requests: [] } });
    const d = await drain(openGcpLogging, cfg(server, { resource_manager_endpoint: undefined }), { since, until });
    expect((d.result.settings as { iam_roster: unknown }).iam_roster).toEqual({
      read: false,
      why: 'api_endpoint is overridden and resource_manager_endpoint is not set',
    });
    const off = await drain(openGcpLogging, cfg(server, { iam_roster: false }), { since, until });
    expect(off.result.roster).toEqual([]);
  });
});
