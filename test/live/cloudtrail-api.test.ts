// The cloudtrail live source through the real @aws-sdk/client-cloudtrail against a local AWS JSON
// 1.1 server: NextToken paging, pacing to 2 requests/s, ThrottlingException retried, and errors
// from page 3 (partial, with the reason and the page reached).
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ctRecords, startCloudTrail, type CtServer } from '../helpers/servers/cloudtrail.js';
import { drain } from '../helpers/live-run.js';
import { openCloudTrail } from '../../src/live/cloudtrail-api/index.js';
import { progressEnabled } from '../../src/live/progress.js';

const since = new Date(Date.now() - 7 * 86400_000);
const until = new Date();
const day = new Date(Date.now() - 2 * 86400_000).toISOString().slice(0, 10);

let server: CtServer | null = null;
beforeAll(() => {
  // The standard chain's first link: environment credentials (never real ones).
  process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTONLY';
  process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-not-real';
  delete process.env.AWS_PROFILE;
});
afterEach(async () => {
  await server?.stop();
  server = null;
});
const cfg = (s: CtServer, extra: Record<string, unknown> = {}) => ({
  name: 'ct-test',
  type: 'cloudtrail',
  regions: ['us-east-1'],
  endpoint: s.endpoint,
  max_results: 3,
  requests_per_second: 50,
  retry: { baseDelayMs: 20, maxDelayMs: 50 },
  ...extra,
});

describe('cloudtrail live source', () => {
  test('progress lines: on a terminal only, never in CI, unless forced', () => {
    expect(progressEnabled({ isTTY: true }, {})).toBe(true);
    expect(progressEnabled({ isTTY: true }, { CI: 'true' })).toBe(false);
    expect(progressEnabled({ isTTY: false }, {})).toBe(false);
    expect(progressEnabled({ isTTY: false }, { CI: 'true', AUDIT_EVIDENCE_PROGRESS: 'always' })).toBe(true);
    expect(progressEnabled({ isTTY: true }, { AUDIT_EVIDENCE_PROGRESS: 'never' })).toBe(false);
  });

  test('every page, paced to 2 requests/s, throttling retried, events with all four fields', async () => {
    server = await startCloudTrail({
      pages: [ctRecords(3, 0, day), ctRecords(3, 3, day), ctRecords(2, 6, day)],
      throttleOnPages: [2],
    });
    const progress: string[] = [];
    process.env.AUDIT_EVIDENCE_PROGRESS = 'always'; // progress is off when stderr is not a terminal
    const d = await drain(openCloudTrail, cfg(server, { requests_per_second: 2 }), {
      since,
      until,
      progress: (m) => progress.push(m),
    });
    delete process.env.AUDIT_EVIDENCE_PROGRESS;
    console.log(`cloudtrail live pull: ${d.events.length} events in ${d.ms} ms`);
    expect(d.result.status, d.result.reason ?? '').toBe('complete');
    expect(d.events).toHaveLength(8);
    expect(server.requests.map((r) => r.body.NextToken ?? '')).toEqual(['', 'tok-2', 'tok-2', 'tok-3']);
    expect(server.requests[0].target).toBe('CloudTrail_20131101.LookupEvents');
    expect(server.requests[0].body.StartTime).toBe(
      Math.floor(since.getTime() / 1000) + (since.getTime() % 1000) / 1000,
    );
    expect(server.requests[0].auth).toMatch(/AWS4-HMAC-SHA256 Credential=AKIDTESTONLY\//);
    // Paced: 4 requests at 2/s take at least 1.5 s. Measured from the start of the pull, not from the first
    // request the server sees: under load the first request arrives late (connect, signing) while the
    // pacer's schedule counts from when it sent it, so a server-side span can be shorter than the pacing.
    expect(d.ms).toBeGreaterThanOrEqual(1400);
    expect(d.result.warnings.join('\n')).toMatch(/1 × ThrottlingException/);
    expect(progress.join('\n')).toMatch(/events, \d+ pages so far \(paced to 2 requests\/s\)/);
    const attach = d.events.find((e) => e.source.record_id === 'evt-0');
    expect(attach?.user.name).toMatch(/alice/);
    expect(attach?.category).toBe('permission_change');
    expect(JSON.stringify(attach?.resource)).toMatch(/bob|AdministratorAccess/);
    const stop = d.events.find((e) => e.source.record_id === 'evt-1');
    expect(stop?.category).toBe('policy_change');
    expect(stop?.privileged.reasons).toContain('audit_disabled');
    const denied = d.events.find((e) => e.source.record_id === 'evt-2');
    expect(denied?.outcome).toBe('failure');
    for (const e of d.events) {
      expect(e.timestamp).toBeTruthy();
      expect(e.action.name).toBeTruthy();
      expect(e.source.instance).toBe('ct-test');
    }
    expect(JSON.stringify(d.result)).not.toContain('test-secret-not-real');
  });

  test('errors from page 3 on: partial, with the reason and the page reached', async () => {
    server = await startCloudTrail({
      pages: [ctRecords(3, 0, day), ctRecords(3, 3, day), ctRecords(3, 6, day), ctRecords(3, 9, day)],
      failFromPage: 3,
      errorType: 'InvalidNextTokenException',
    });
    const d = await drain(openCloudTrail, cfg(server), { since, until });
    expect(d.result.status).toBe('partial');
    expect(d.events).toHaveLength(6);
    expect(d.result.reason).toMatch(/us-east-1 on page 3 after 6 events \(InvalidNextTokenException\)/);
    expect(d.result.lastPosition).toBe('region us-east-1, page 3 (NextToken tok-3)');
  });

  test('throttling that never clears: retried with backoff, then partial', async () => {
    server = await startCloudTrail({
      pages: [ctRecords(3, 0, day), ctRecords(3, 3, day)],
      failFromPage: 2,
      errorType: 'ThrottlingException',
    });
    const d = await drain(openCloudTrail, cfg(server, { retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 } }), {
      since,
      until,
    });
    expect(d.result.status).toBe('partial');
    expect(server.requests).toHaveLength(4);
    expect(d.result.warnings.join('\n')).toMatch(/2 × ThrottlingException/);
  });

  test('two regions; nothing in the period is empty; an error on page 1 is failed', async () => {
    server = await startCloudTrail({ pages: [[]] });
    const d = await drain(openCloudTrail, cfg(server, { regions: ['us-east-1', 'eu-west-1'] }), { since, until });
    expect(d.result.status).toBe('empty');
    expect(server.requests).toHaveLength(2);
    server.script.failFromPage = 1;
    server.script.errorType = 'AccessDeniedException';
    const f = await drain(openCloudTrail, cfg(server), { since, until });
    expect(f.result.status).toBe('failed');
    expect(f.result.reason).toMatch(/AccessDeniedException/);
  });
});
