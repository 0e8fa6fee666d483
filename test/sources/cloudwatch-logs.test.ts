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
    // The last payload is cut inside its second log event: its first, complete log event is still
    // read (a damaged payload costs the damaged log event only); the cut one is a reject with its
    // location; everything before it is read.
    expect(mixed.events.map((e) => e.action.name)).toEqual(['delete', 'grant']);
    expect(mixed.rejects).toHaveLength(1);
    expect(mixed.rejects[0]!.reason).toMatch(
      /inside a damaged CloudWatch Logs payload; its 1 complete log events were read/,
    );
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
        // Every event of the whole file whose log event ends well before the cut is read as the same
        // event (raw hash and action: an event id also covers the file's name). The complete log
        // events salvaged from the payload that was cut may add events the whole file does not have:
        // an Aurora TABLE record whose QUERY record was cut off is its own event instead of being
        // folded into the QUERY's (at most the fixture's 4 TABLE records).
        const key = (e: (typeof whole.events)[number]) => `${e.source.raw_sha256} ${e.action.name}`;
        const got = new Set(r.events.map(key));
        const before = whole.events.filter(
          (e) => ((e.source.location as { byte_offset?: number }).byte_offset ?? 0) < cut - 2048,
        );
        expect(before.map(key).filter((k) => !got.has(k))).toEqual([]);
        const wholeKeys = new Set(whole.events.map(key));
        const unfolded = r.events.filter((e) => !wholeKeys.has(key(e)));
        expect(unfolded.length).toBeLessThanOrEqual(4);
        for (const e of unfolded) expect(e.source.variant).toBe('aurora');
        for (const x of r.rejects) expect(x.reason).toBeTruthy();
      }),
      { numRuns: 25, examples: [[104534], [103793], [102614]] },
    );
  });

  test('property: a byte flipped inside one log event of a payload costs that log event only', async () => {
    const text = readFileSync(RDS);
    const whole = await normalizeFiles([RDS]);
    const audit = text.indexOf('"logGroup":"/aws/rds/cluster/myaudb/audit"');
    // The Aurora audit payload's log events: each from its '{"id":' to the next.
    const starts: number[] = [];
    for (let i = text.indexOf('{"id":', audit); i >= 0; i = text.indexOf('{"id":', i + 1)) starts.push(i);
    const hashes = (r: { events: { source: { raw_sha256: string } }[] }) => r.events.map((e) => e.source.raw_sha256);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: starts.length - 2 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.constantFrom(0x22, 0x7b, 0x7d, 0x5d, 0x00, 0x5c),
        async (k, off, byte) => {
          const at = starts[k]! + (off % (starts[k + 1]! - starts[k]! - 1));
          const bad = Buffer.from(text);
          bad[at] = byte;
          const r = await normalizeFiles([file(bad)]);
          expect(r.summary.reconciled).toBe(true);
          // Every event of the intact file whose raw record does not span the flipped byte is still there.
          const kept = new Set(hashes(r));
          const lost = whole.events.filter((e) => !kept.has(e.source.raw_sha256));
          expect(lost.length).toBeLessThanOrEqual(2); // the damaged log event (and a record folded with it)
          expect(r.rejects.length + r.events.length).toBeGreaterThanOrEqual(whole.events.length - 1);
        },
      ),
      { numRuns: 40, seed: 20261207 },
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
