// server_audit TABLE records are held per connection and folded into the event of their QUERY
// (same connection, same query id); the others stay events of their own, in the order read; exact
// duplicates are kept and reported. Outcomes in order, kinds, reasons and folded tables.
import { describe, expect, it } from 'vitest';
import { emptySummary, normalizeOne } from '../../../src/pipeline/run.js';
import { catalog } from '../../../src/sources/registry.js';
import { adapter } from '../../../src/sources/mariadb-audit/index.js';
import type { InputSource, Outcome } from '../../../src/pipeline/types.js';

function source(text: string): InputSource {
  const b = Buffer.from(text);
  return {
    name: 'server_audit.log',
    head: b.subarray(0, 65536),
    gzip: false,
    chunks: (async function* () {
      yield b;
    })(),
  };
}

async function run(lines: string[]) {
  const summary = emptySummary();
  const out: Outcome[] = [];
  for await (const o of normalizeOne(
    adapter,
    source(`${lines.join('\n')}\n`),
    { format: 'mariadb-audit', adapters: catalog, options: { timezone: 'UTC' } },
    summary,
  ))
    out.push(o);
  return { out, summary };
}

const L = (conn: number, qid: number, op: string, db: string, obj: string, rc = '0', host = 'db1') =>
  `20240501 00:00:0${qid % 10},${host},app,10.0.0.1,${conn},${qid},${op},${db},${obj},${rc}`;

describe('server_audit TABLE folding', () => {
  it('folds TABLE records into their QUERY, releases the others in order, and reports duplicates', async () => {
    const lines = [
      L(1, 5, 'READ', 'appdb', 'orders', ''), // 1: folded into line 3
      L(1, 5, 'WRITE', 'appdb', 'audit', ''), // 2: folded into line 3
      L(1, 5, 'QUERY', 'appdb', "'UPDATE orders SET x = 1'"), // 3: event with tables
      L(2, 7, 'READ', 'appdb', 'customers', ''), // 4: released by line 5 (another query id)
      L(2, 8, 'QUERY', 'appdb', "'SELECT 1'"), // 5
      L(3, 9, 'WRITE', 'appdb', 't9', ''), // 6: held to the end
      L(2, 8, 'QUERY', 'appdb', "'SELECT 1'"), // 7: duplicate of line 5
      L(4, 1, 'READ', 'appdb', 'a', '', 'db2'), // 8: another server, same connection number
      L(4, 1, 'QUERY', 'appdb', "'SELECT a'", '0', 'db1'), // 9: not folded (other server)
      L(4, 1, 'QUERY', 'appdb', "'SELECT a'", '0', 'db2'), // 10: folds line 8
      L(5, 0, 'CONNECT', 'appdb', ''), // 11
    ];
    const { out, summary } = await run(lines);
    const view = out.map((o) => ({
      kind: o.kind,
      line: o.raw.location.line,
      reason: o.kind === 'event' ? undefined : o.reason,
      tables: o.kind === 'event' ? (o.event.details as Record<string, unknown>).tables : undefined,
    }));
    expect(view).toEqual([
      { kind: 'skip', line: 1, reason: 'TABLE record folded into its QUERY event', tables: undefined },
      { kind: 'skip', line: 2, reason: 'TABLE record folded into its QUERY event', tables: undefined },
      {
        kind: 'event',
        line: 3,
        reason: undefined,
        tables: [
          { operation: 'READ', table: 'appdb.orders' },
          { operation: 'WRITE', table: 'appdb.audit' },
        ],
      },
      { kind: 'event', line: 4, reason: undefined, tables: undefined },
      { kind: 'event', line: 5, reason: undefined, tables: undefined },
      { kind: 'event', line: 7, reason: undefined, tables: undefined },
      { kind: 'event', line: 9, reason: undefined, tables: undefined },
      { kind: 'skip', line: 8, reason: 'TABLE record folded into its QUERY event', tables: undefined },
      { kind: 'event', line: 10, reason: undefined, tables: [{ operation: 'READ', table: 'appdb.a' }] },
      { kind: 'event', line: 11, reason: undefined, tables: undefined },
      { kind: 'event', line: 6, reason: undefined, tables: undefined },
    ]);
    expect(
      summary.inputs[0]!.notes.some(
        (n) => n.includes('1 record is an exact duplicate') && n.includes('line 7 repeats line 5'),
      ),
    ).toBe(true);
    expect(summary.reconciled).toBe(true);
  });
});
