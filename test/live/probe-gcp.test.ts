// The GCP probe with the real clients: @google-cloud/storage labels the dedicated bucket and sets
// its IAM policy to itself against the local GCS JSON API server, whose mutation hook becomes the
// Admin Activity audit log entry Cloud Storage writes (storage.buckets.update /
// storage.setIamPermissions, resourceName projects/_/buckets/<name>, the caller's principalEmail);
// the local Cloud Logging gRPC server serves it to ListLogEntries after a delay, and the probe reads
// it back through the gcp-logging source (@google-cloud/logging). Also: entries that never come.
import { afterEach, describe, expect, test } from 'vitest';
import { startGcs, type GcsServer } from '../helpers/servers/gcs.js';
import { startGcpLogging, type GcpServer } from '../helpers/servers/gcp-logging.js';
import { gcsAuditEntry, PROBER_PRINCIPAL as PRINCIPAL } from '../helpers/gcs-audit.js';
import { probeSource } from '../../src/probe/run.js';
import type { SourceProbeReport } from '../../src/probe/types.js';

const byName = (r: SourceProbeReport) => Object.fromEntries(r.results.map((x) => [`${x.category}:${x.name}`, x]));
describe('probe on GCP (Cloud Storage JSON API + Cloud Logging gRPC, local servers)', () => {
  let gcs: GcsServer | undefined;
  let logging: GcpServer | undefined;
  const timers: NodeJS.Timeout[] = [];
  afterEach(async () => {
    timers.forEach(clearTimeout);
    await Promise.all([gcs?.stop(), logging?.stop()]);
    gcs = undefined;
    logging = undefined;
  });

  async function servers(delayMs: number | null) {
    logging = await startGcpLogging({ pages: [[]] });
    gcs = await startGcs();
    gcs.createBucket('acme-ae-probe', { labels: { owner: 'compliance' } });
    gcs.createBucket('acme-prod-data', { labels: { env: 'prod' } });
    const l = logging;
    gcs.onMutation((m) => {
      if (delayMs !== null)
        timers.push(setTimeout(() => l.script.pages[l.script.pages.length - 1]!.push(gcsAuditEntry(m)), delayMs));
    });
  }
  const source = (extra: Record<string, unknown> = {}, probe: Record<string, unknown> = {}) => ({
    name: 'gcp-probe',
    type: 'gcp-logging',
    resources: ['projects/acme-prod'],
    api_endpoint: '127.0.0.1',
    port: logging!.port,
    insecure: true,
    iam_roster: false,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    ...extra,
    probe: { bucket: 'acme-ae-probe', storage_endpoint: gcs!.endpoint, wait: 10, ...probe },
  });

  test('the label and the IAM policy set to itself are found in Admin Activity after the delay; the label is removed; the other bucket is untouched', async () => {
    await servers(1500);
    const lines: string[] = [];
    const r = await probeSource(source(), { pollMs: 400, progress: (m) => lines.push(m) });
    console.log(lines.join('\n'));
    console.log(
      JSON.stringify(
        r.results.map((x) => [
          x.category,
          x.name,
          x.status,
          x.delay_ms,
          x.event?.user,
          x.event?.action,
          x.event?.resource,
          x.reason,
        ]),
      ),
    );
    const c = byName(r);
    const label = c['change_execution:label the dedicated bucket']!;
    const iam = c['permission_change:IAM policy set to itself']!;
    for (const x of [label, iam]) {
      expect(x.status, x.reason ?? '').toBe('found');
      expect(x.event!.user).toBe(PRINCIPAL);
      expect(x.event!.resource).toBe('projects/_/buckets/acme-ae-probe');
      expect(x.event!.timestamp).toBeTruthy();
      expect(x.delay_ms).toBeGreaterThanOrEqual(1000);
    }
    expect(label.action).toBe(
      `storage.buckets.update acme-ae-probe: label ae-probe=${r.nonce} set, then removed (matched by method, bucket and time)`,
    );
    expect(r.role).toBe('bucket acme-ae-probe');
    for (const k of [
      'authentication:sign-in',
      'policy_change:policy change',
      'data_exposure:data exposure',
      'access_request:access request',
    ])
      expect(c[k]!.status).toBe('not_probed');
    expect(gcs!.buckets.get('acme-ae-probe')!.labels).toEqual({ owner: 'compliance' });
    expect(gcs!.buckets.get('acme-prod-data')!.labels).toEqual({ env: 'prod' });
    expect(gcs!.buckets.get('acme-ae-probe')!.iamPolicy.bindings).toEqual([]);
    expect(gcs!.requests.every((q) => !q.path.includes('acme-prod-data'))).toBe(true);
    expect(r.cleanup.dropped).toEqual([`label ae-probe=${r.nonce} on bucket acme-ae-probe`]);
    expect(lines.some((l) => /gcp-probe: probe: 0 of 2 actions found in the log after \d+ s, waiting/.test(l))).toBe(
      true,
    );
  }, 60_000);

  test('entries that never come: not found after the wait, naming the likely setting; log_kinds without activity is named', async () => {
    await servers(null);
    const r = await probeSource(source({}, { wait: 2 }), { pollMs: 400 });
    const x = byName(r)['change_execution:label the dedicated bucket']!;
    expect(x.status).toBe('not_found');
    expect(x.likely_setting).toMatch(/the source reads projects\/acme-prod: the bucket's project must be one of them/);
    const r2 = await probeSource(source({ log_kinds: ['data_access'] }, { wait: 1 }), { pollMs: 400 });
    expect(byName(r2)['permission_change:IAM policy set to itself']!.likely_setting).toMatch(
      /log_kinds lacks activity/,
    );
  }, 60_000);

  test('a leftover label is removed; a bucket that does not exist is refused; no probe.bucket, no probe; no public endpoint behind a test one', async () => {
    await servers(0);
    gcs!.buckets.get('acme-ae-probe')!.labels['ae-probe'] = 'deadbeef';
    const r = await probeSource(source({}, { wait: 2 }), { pollMs: 300 });
    expect(r.cleanup.leftovers_removed).toEqual(['label ae-probe=deadbeef on bucket acme-ae-probe']);
    expect(gcs!.buckets.get('acme-ae-probe')!.labels).toEqual({ owner: 'compliance' });
    await expect(probeSource(source({}, { bucket: 'no-such-bucket' }))).rejects.toThrow(
      /the dedicated bucket no-such-bucket \(probe.bucket\) could not be read: HTTP 404/,
    );
    await expect(probeSource({ ...source(), probe: { wait: 2 } })).rejects.toThrow(
      /probe\.bucket names the dedicated bucket/,
    );
    await expect(probeSource(source({}, { storage_endpoint: undefined }))).rejects.toThrow(
      /never calls the public Cloud Storage API/,
    );
  }, 60_000);
});
