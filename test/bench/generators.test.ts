// Smoke test of the benchmark's input generators: deterministic from the seed, and shaped like
// the real logs (CloudTrail records ~1.2 KB with the fields adapters read, pgaudit AUDIT lines in
// csvlog and stderr, MariaDB server_audit rows). No timing here: speed is the benchmark's job.
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
// @ts-expect-error plain ESM script without types
import { lineMaker, prng, writeRecords, FORMATS } from '../../scripts/bench/gen.mjs';

function lines(format: string, n: number, seed = 1): string[] {
  const make = lineMaker(format, seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(make(i, n));
  return out;
}

describe('bench generators', () => {
  it('the PRNG is deterministic and uniform enough', () => {
    const a = prng(42);
    const b = prng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it.each(FORMATS as string[])('%s: same seed, same bytes; another seed, other bytes', (format) => {
    expect(lines(format, 200).join('')).toBe(lines(format, 200).join(''));
    expect(lines(format, 200, 2).join('')).not.toBe(lines(format, 200).join(''));
  });

  it('CloudTrail records are ~1.2 KB JSON with identities, admin names, errors and resources', () => {
    const recs = lines('cloudtrail-jsonl', 2000).map((l) => JSON.parse(l));
    const avg = lines('cloudtrail-jsonl', 2000).reduce((s, l) => s + l.length, 0) / 2000;
    expect(avg).toBeGreaterThan(900);
    expect(avg).toBeLessThan(1600);
    const types = new Set(recs.map((r) => r.userIdentity.type));
    expect(types).toEqual(new Set(['IAMUser', 'AssumedRole']));
    const names = new Set(recs.map((r) => r.eventName));
    for (const n of ['CreateUser', 'AttachUserPolicy', 'AssumeRole', 'ConsoleLogin']) expect(names).toContain(n);
    expect(recs.some((r) => r.errorCode)).toBe(true);
    expect(recs.some((r) => Array.isArray(r.resources))).toBe(true);
    for (const r of recs) {
      expect(r.eventTime).toMatch(/^2024-05-0\dT\d\d:\d\d:\d\dZ$/);
      expect(typeof r.eventSource).toBe('string');
    }
  });

  it('pgaudit csvlog and stderr carry AUDIT lines of several classes, connections and multi-line statements', () => {
    const csv = lines('pgaudit-csv', 3000).join('');
    for (const cls of ['ROLE', 'DDL', 'WRITE', 'READ'])
      expect(csv).toContain(`AUDIT: SESSION,`), expect(csv).toMatch(new RegExp(`AUDIT: SESSION,\\d+,1,${cls},`));
    expect(csv).toMatch(/connection authorized: user=/);
    expect(csv).toMatch(/"[^"]*\n[^"]*"/); // a quoted field spanning lines
    const log = lines('pgaudit-stderr', 3000).join('');
    expect(log).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC \[\d+\] \w+@\w+ LOG: {2}AUDIT: SESSION,/m);
    expect(log).toMatch(/\n\t/); // continuation lines of a multi-line statement
  });

  it('MariaDB server_audit rows have ten fields and escaped SQL', () => {
    const rows = lines('mariadb', 3000);
    const ops = new Set(rows.map((l) => l.split(',')[6]));
    for (const op of ['CONNECT', 'DISCONNECT', 'QUERY', 'READ', 'WRITE']) expect(ops).toContain(op);
    expect(rows.join('')).toContain("\\'");
    for (const l of rows) expect(l).toMatch(/^\d{8} \d\d:\d\d:\d\d,db-prod-1,\w+,[\d.]+,\d+,\d+,[A-Z_]+,/);
  });

  it('writeRecords streams the requested number of records', async () => {
    const s = new PassThrough();
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    const bytes = await writeRecords(s, 'mariadb', 5000, 1);
    s.end();
    const text = Buffer.concat(chunks).toString();
    expect(Buffer.byteLength(text)).toBe(bytes);
    expect(text.split('\n').length - 1).toBe(5000);
  });
});
