// `collect --probe` and `audit-evidence probe` as a user runs them (the built binary) on the cloud
// test servers: Bytebase's v1 REST API (which audits the probe's calls), AWS (IAM query API +
// CloudTrail LookupEvents), where CloudTrail delivers the TagRole record but never the
// PutRolePolicy one, and GCP (Cloud Storage JSON API + Cloud Logging gRPC). The bundle's predicate.probes, its completeness findings, its page and verify.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBytebaseApi, type BytebaseApi } from '../helpers/servers/bytebase-api.js';
import { startIam, type IamServer } from '../helpers/servers/iam.js';
import { startCloudTrail, deliverLater, type CtServer } from '../helpers/servers/cloudtrail.js';
import { startGcs, type GcsServer } from '../helpers/servers/gcs.js';
import { startGcpLogging, type GcpServer } from '../helpers/servers/gcp-logging.js';
import { gcsAuditEntry } from '../helpers/gcs-audit.js';
import { runCli } from '../helpers/cli.js';
import { openBundle } from '../../src/bundle/zip-reader.js';

const env = {
  AE_E2E_BB_TOKEN: 'bb-e2e-reader-token',
  AE_E2E_BB_KEY: 'bbs_e2e-probe-key-not-real',
  AUDIT_EVIDENCE_PROGRESS: 'never',
  AWS_ACCESS_KEY_ID: 'AKIDTESTONLY',
  AWS_SECRET_ACCESS_KEY: 'e2e-not-a-real-secret',
  AWS_PROFILE: '',
};
const PROBER = 'ae-prober@service.bytebase.com';

describe('collect --probe on the cloud test servers (Bytebase API, AWS IAM + CloudTrail)', () => {
  let bb: BytebaseApi;
  let iam: IamServer;
  let ct: CtServer;
  let gcs: GcsServer;
  let logging: GcpServer;
  let dir: string;
  let cfg: string;
  const timers: NodeJS.Timeout[] = [];
  beforeAll(async () => {
    bb = await startBytebaseApi([], env.AE_E2E_BB_TOKEN, { accounts: { [PROBER]: env.AE_E2E_BB_KEY }, delayMs: 800 });
    ct = await startCloudTrail({ pages: [[]] });
    iam = await startIam(
      {
        users: [],
        groups: [],
        policies: [],
        roles: [
          { RoleName: 'ae-probe-target', RoleId: 'AROAPROBE', Arn: 'arn:aws:iam::111122223333:role/ae-probe-target' },
        ],
      },
      {
        onWrite: (r) => {
          if (r.eventName === 'TagRole' || r.eventName === 'UntagRole') timers.push(deliverLater(ct, r, 1500));
        },
      },
    );
    logging = await startGcpLogging({ pages: [[]] });
    gcs = await startGcs();
    gcs.createBucket('acme-ae-probe');
    gcs.onMutation((m) => {
      timers.push(setTimeout(() => logging.script.pages[0]!.push(gcsAuditEntry(m)), 1000));
    });
    dir = mkdtempSync(join(tmpdir(), 'ae-probe-cloud-'));
    cfg = join(dir, 'audit-evidence.yaml');
    writeFileSync(
      cfg,
      `sources:
  - name: bytebase-live
    type: bytebase
    url: ${bb.url}
    token_env: AE_E2E_BB_TOKEN
    probe: { user: ${PROBER}, password_env: AE_E2E_BB_KEY, wait: 10 }
  - name: aws-live
    type: cloudtrail
    regions: [us-east-1]
    endpoint: ${ct.endpoint}
    iam_endpoint: ${iam.endpoint}
    probe: { iam_role: ae-probe-target, wait: 6, poll: 1 }
  - name: gcp-live
    type: gcp-logging
    resources: [projects/acme-prod]
    api_endpoint: 127.0.0.1
    port: ${logging.port}
    insecure: true
    iam_roster: false
    probe: { bucket: acme-ae-probe, storage_endpoint: ${gcs.endpoint}, wait: 10, poll: 1 }
`,
    );
  }, 60_000);
  afterAll(async () => {
    timers.forEach(clearTimeout);
    await Promise.all([bb?.stop(), iam?.stop(), ct?.stop(), gcs?.stop(), logging?.stop()]);
  });

  test('the bundle records each probe, completeness fails on the undelivered permission change, the page shows it, verify accepts it', async () => {
    const zip = join(dir, 'probe.zip');
    const since = new Date(Date.now() - 3600_000).toISOString();
    const until = new Date(Date.now() - 1000).toISOString();
    const r = await runCli(['collect', '--since', since, '--until', until, '--config', cfg, '--out', zip, '--probe'], {
      env,
    });
    console.log(
      r.stderr
        .split('\n')
        .filter((l) => l.includes('probe'))
        .join('\n'),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /probe: bytebase-live permission_change +custom role created and deleted: FOUND after \d+\.\d s: event [0-9a-f]{12} \(user ae-prober@service\.bytebase\.com, action create_role, resource roles\/aeprobe[0-9a-f]{8}/,
    );
    expect(r.stderr).toMatch(/probe: bytebase-live authentication +login: FOUND after/);
    expect(r.stderr).toMatch(
      /probe: aws-live change_execution +tag the dedicated role: FOUND after \d+\.\d s: event [0-9a-f]{12} \(user ae-prober, action tag_role, resource ae-probe-target/,
    );
    expect(r.stderr).toMatch(
      /probe: aws-live permission_change +deny-all inline policy on the dedicated role: NOT FOUND not found after \d+ s; likely: CloudTrail had not delivered the event/,
    );
    expect(r.stderr).toMatch(/aws-live: probe: 1 of 2 actions found in the log after \d+ s, waiting/);
    expect(r.stderr).toMatch(
      /probe: gcp-live change_execution +label the dedicated bucket: FOUND after \d+\.\d s: event [0-9a-f]{12} \(user ae-prober@acme-prod\.iam\.gserviceaccount\.com, action update, resource projects\/_\/buckets\/acme-ae-probe/,
    );
    expect(r.stderr).toMatch(/probe: gcp-live permission_change +IAM policy set to itself: FOUND after/);
    expect(r.stderr).toMatch(/completeness \(soc2\): FAIL/);
    expect(JSON.stringify(r)).not.toContain(env.AE_E2E_BB_KEY);

    const b = await openBundle(zip);
    try {
      const st = JSON.parse((await b.read('manifest.intoto.json')).toString());
      const probes = st.predicate.probes as Array<{
        source: string;
        type: string;
        role: string;
        results: Array<{ category: string; status: string }>;
      }>;
      expect(probes.map((p) => [p.source, p.type, p.role])).toEqual([
        ['bytebase-live', 'bytebase', PROBER],
        ['aws-live', 'cloudtrail', 'IAM role ae-probe-target'],
        ['gcp-live', 'gcp-logging', 'bucket acme-ae-probe'],
      ]);
      const status = (s: string, c: string) =>
        probes
          .find((p) => p.source === s)!
          .results.filter((x) => x.category === c)
          .map((x) => x.status);
      expect(status('bytebase-live', 'policy_change')).toEqual(['found']);
      expect(status('bytebase-live', 'access_request')).toEqual(['not_probed']);
      expect(status('aws-live', 'permission_change')).toEqual(['not_found']);
      expect(st.predicate.completeness.failed_because.join(' ')).toMatch(/probe\.not-found/);
      const report = JSON.parse((await b.read('report/completeness.json')).toString()).report;
      const nf = report.findings.filter((f: { rule: string }) => f.rule === 'probe.not-found');
      expect(nf.map((f: { source: string; message: string }) => f.message)).toEqual([
        expect.stringMatching(
          /^probe on aws-live: permission change \(deny-all inline policy on the dedicated role\): iam:PutRolePolicy ae-probe-target ae-probe-[0-9a-f]{8} \(Deny \* on \*\), then iam:DeleteRolePolicy at \S+ was not found after \d+ s; likely: CloudTrail had not delivered/,
        ),
      ]);
      console.log(
        report.findings
          .filter((f: { rule: string }) => f.rule.startsWith('probe.'))
          .map((f: { rule: string; message: string }) => `${f.rule}: ${f.message}`)
          .join('\n'),
      );
      const html = (await b.read('report/summary.html')).toString();
      const at = html.indexOf('<h2 id="probes">');
      expect(at).toBeGreaterThan(0);
      const section = html.slice(at, html.indexOf('</section>', at));
      expect(section).toMatch(
        /bytebase-live \(bytebase\): as <code>ae-prober@service\.bytebase\.com<\/code>.*<b class="badge ok">4 proven, 0 not proven<\/b>/,
      );
      expect(section).toMatch(
        /aws-live \(cloudtrail\): as <code>IAM role ae-probe-target<\/code>.*<b class="badge bad">1 proven, 1 not proven<\/b>/,
      );
      expect(section).toMatch(
        /gcp-live \(gcp-logging\): as <code>bucket acme-ae-probe<\/code>.*<b class="badge ok">2 proven, 0 not proven<\/b>/,
      );
      console.log(
        section
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .slice(0, 6000),
      );
    } finally {
      b.close();
    }

    const v = await runCli(['verify', zip], { env });
    expect(v.stdout + v.stderr).toMatch(/VALID/);
    // The CI gate: the signed bundle is valid, but not complete while a probe was not found.
    const g = await runCli(['verify', '--require-complete', zip], { env });
    console.log(g.stdout + g.stderr);
    expect(g.code).toBe(1);
    expect(g.stderr).toMatch(/--require-complete: the evidence is not complete: exit 1/);
  }, 180_000);
});
