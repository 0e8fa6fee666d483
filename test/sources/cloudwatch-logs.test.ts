// The cloudwatch-logs format: subscription payloads back to back (plain and gzip), filter-log-events
// output, dispatch by log group to pgaudit (RDS prefix, verbose LOCATION lines) and mariadb-audit
// (Aurora), control messages skipped, a damaged payload costing that payload only; LookupEvents Event
// objects as JSON Lines.
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { normalizeFiles } from '../helpers/golden.js';

const dir = mkdtempSync(join(tmpdir(), 'ae-cw-'));
const RDS = 'fixtures/cloudwatch-logs/centralized-logging-with-opensearch__rds.log';
const PG = 'fixtures/cloudwatch-logs/constructed__rds-postgresql-pgaudit.json';
let n = 0;
const file = (data: string | Buffer, ext = '.json') => {
  const p = join(dir, `f${n++}${ext}`);
  writeFileSync(p, data);
  return p;
};

describe('cloudwatch-logs', () => {
  test('gzip and plain payload files give the same outcomes; every log event is one record', async () => {
    const plain = await normalizeFiles([RDS]);
    const gz = await normalizeFiles([file(gzipSync(readFileSync(RDS)), '.gz')]);
    const key = (e: {
      source: { record_id: string | null; raw_sha256: string };
      timestamp: string | null;
      action: { name: string | null };
    }) => [e.source.record_id, e.source.raw_sha256, e.timestamp, e.action.name];
    expect(gz.events.map(key)).toEqual(plain.events.map(key));
    expect(plain.summary.inputs[0]!.format).toBe('cloudwatch-logs');
    expect(plain.summary.read).toBe(68 + 67 + 2 + 23);
    // 23 Aurora audit records, 4 of them TABLE records folded into their QUERY event (one event per
    // audited action): 19 events, the 4 counted as skipped.
    expect(plain.events).toHaveLength(19);
    expect(plain.skips.filter((s) => s.reason === 'TABLE record folded into its QUERY event')).toHaveLength(4);
    expect(plain.summary.reconciled).toBe(true);
    for (const e of plain.events) {
      expect(e.source.format).toBe('mariadb-audit');
      expect(e.source.instance).toBe('myaudb');
    }
  });

  test('each gzip member a payload (as Firehose writes), back to back', async () => {
    const text = readFileSync(RDS, 'utf8');
    const payloads: string[] = [];
    let depth = 0;
    let start = 0;
    let inStr = false;
    let esc = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inStr) {
        if (esc) esc = false;
        else if (c === '\\') esc = true;
        else if (c === '"') inStr = false;
        continue;
      }
      if (c === '"') inStr = true;
      else if (c === '{') {
        if (depth++ === 0) start = i;
      } else if (c === '}' && --depth === 0) payloads.push(text.slice(start, i + 1));
    }
    expect(payloads).toHaveLength(4);
    const multi = await normalizeFiles([file(Buffer.concat(payloads.map((p) => gzipSync(p))), '.gz')]);
    expect(multi.events).toHaveLength(19);
    expect(multi.summary.read).toBe(160);
  });

  test('filter-log-events output, with and without the log group; a control message; a damaged payload', async () => {
    const pg = JSON.parse(readFileSync(PG, 'utf8'));
    const events = {
      events: pg.logEvents.map((e: Record<string, unknown>) => ({
        logStreamName: 'testdb.0',
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime: e.timestamp,
        eventId: e.id,
      })),
      searchedLogStreams: [],
    };
    const fle = await normalizeFiles([file(JSON.stringify(events, null, 2))]);
    expect(fle.summary.inputs[0]!.format).toBe('cloudwatch-logs');
    expect(fle.events).toHaveLength(1);
    expect(fle.events[0]!.action.name).toBe('delete');
    const control = JSON.stringify({
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
      logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }],
    });
    const mixed = await normalizeFiles([
      file(
        `${control}${readFileSync(PG, 'utf8')}{"messageType":"DATA_MESSAGE","logGroup":"/aws/rds/instance/x/postgresql","logEvents":[{"id":"1","timestamp":1,"message":"2020-10-22 11:53:26 UTC:h(1):u@d:[1]:LOG:  AUDIT: SESSION,1,1,ROLE,GRANT,,,GRANT x TO y,<none>"},{"id":"2","timestamp":`,
      ),
    ]);
    expect(mixed.skips.map((s) => s.reason)).toContain('CloudWatch Logs control message (no log events)');
    // The last payload is cut inside its second log event: the payload cannot be framed and is one
    // reject with its location (its first, complete event goes with it); everything before it is read.
    expect(mixed.events).toHaveLength(1);
    expect(mixed.events[0]!.action.name).toBe('delete');
    expect(mixed.rejects).toHaveLength(1);
    expect(mixed.rejects[0]!.reason).toBeTruthy();
    expect((mixed.rejects[0]!.location as { byte_offset: number }).byte_offset).toBeGreaterThan(0);
    expect(mixed.summary.reconciled).toBe(true);
  });

  test('property: a payload file cut anywhere costs only the records after the cut, with a location and a reason', async () => {
    const text = readFileSync(RDS);
    const whole = await normalizeFiles([RDS]);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: text.length - 1 }), async (cut) => {
        const r = await normalizeFiles([file(text.subarray(0, cut))]).catch((e: Error) => ({ error: e.message }));
        if ('error' in r) {
          expect(r.error).toMatch(/cannot tell the format|cannot read/);
          return;
        }
        expect(r.summary.reconciled).toBe(true);
        // The events read are a prefix of the whole file's events.
        expect(r.events.map((e) => e.id)).toEqual(whole.events.slice(0, r.events.length).map((e) => e.id));
        for (const x of r.rejects) expect(x.reason).toBeTruthy();
      }),
      { numRuns: 25 },
    );
  });

  test('LookupEvents Event objects as JSON Lines read like the {"Events":[...]} output', async () => {
    const wrapped = await normalizeFiles(['fixtures/cloudtrail/lookup-events.json']);
    const lines = await normalizeFiles(['fixtures/cloudtrail/lookup-events.jsonl']);
    expect(lines.events).toHaveLength(3);
    expect(
      lines.events.map((e) => [e.source.record_id, e.user.name, e.action.name, e.timestamp, e.category, e.outcome]),
    ).toEqual(
      wrapped.events.map((e) => [e.source.record_id, e.user.name, e.action.name, e.timestamp, e.category, e.outcome]),
    );
  });
});
