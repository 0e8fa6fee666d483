// log_line_prefix: compiled escapes read back the values a server wrote, and common prefixes are
// detected from a log's first lines.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { compilePrefix, detectPrefix, matchPrefix } from '../../../src/sources/pgaudit/prefix.js';

const ident = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);
const app = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ._<>-]{0,20}[A-Za-z0-9]$/);
const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join('.'));
const time = fc
  .date({ min: new Date('2000-01-01'), max: new Date('2099-01-01'), noInvalidDate: true })
  .map((d) => `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 23)} UTC`);

describe('compilePrefix', () => {
  test('round-trip: values written through a prefix are read back', () => {
    const prefixes = [
      '%m [%p] %q%u@%d/%a ',
      '%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ',
      '%m:%r:%u@%d:[%p]:',
      '%m %c %x %v %e [%i] %u %d ',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...prefixes),
        time,
        fc.nat(99999),
        ident,
        ident,
        app,
        ip,
        fc.nat(65535),
        fc.constantFrom('LOG', 'ERROR', 'FATAL', 'WARNING'),
        fc.string({ maxLength: 40 }),
        (prefix, m, pid, u, d, a, h, port, sev, msg) => {
          const values: Record<string, string> = {
            m,
            p: String(pid),
            u,
            d,
            a,
            h,
            r: `${h}(${port})`,
            l: '7',
            c: '6632a8e0.1f4',
            x: '0',
            v: '3/44',
            e: '42501',
            i: 'CREATE ROLE',
          };
          const line =
            prefix.replace(/%([a-zA-Z%])/g, (_s, k: string) => (k === 'q' ? '' : k === '%' ? '%' : values[k]!)) +
            `${sev}:  ${msg}`;
          const got = matchPrefix(compilePrefix(prefix), line);
          expect(got).not.toBeNull();
          for (const k of compilePrefix(prefix).letters) expect(got!.values[k]).toBe(values[k]!.trim());
          expect(got!.severity).toBe(sev);
          expect(line.slice(got!.messageStart)).toBe(msg.replace(/^ +/, ''));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('%q: non-session lines stop the prefix there', () => {
    const p = compilePrefix("'%m [%p] %q%u@%d '");
    expect(p.source).toBe('%m [%p] %q%u@%d ');
    expect(matchPrefix(p, '2024-05-01 09:00:00.000 UTC [100] LOG:  checkpoint starting: time')?.values).toEqual({
      m: '2024-05-01 09:00:00.000 UTC',
      p: '100',
    });
    expect(matchPrefix(p, '2024-05-01 09:00:00.000 UTC [101] bob@db LOG:  x')?.values.u).toBe('bob');
  });

  test('padding, %%, unknown escapes, and a line without the prefix', () => {
    const p = compilePrefix('%-10u|%%|%Z|%5p ');
    const m = matchPrefix(p, 'bob       |%|whatever|   42 LOG:  hi');
    expect(m?.values).toMatchObject({ u: 'bob', p: '42' });
    expect(matchPrefix(p, 'no prefix here')).toBeNull();
  });
});

describe('detectPrefix', () => {
  test('picks the most specific prefix that matches the lines', () => {
    const live = [
      '2026-11-22 22:17:16.028 UTC [17517] LOG:  starting PostgreSQL 15.18',
      '2026-11-22 22:17:35.477 UTC [17759] [unknown]@[unknown]/[unknown] LOG:  connection received: host=[local]',
      '2026-11-22 22:17:35.492 UTC [17759] postgres@postgres/psql LOG:  AUDIT: SESSION,1,1,ROLE,CREATE ROLE,,,CREATE ROLE bob,<none>',
    ];
    expect(detectPrefix(live).prefix.source).toBe('%m [%p] %q%u@%d/%a ');
    expect(
      detectPrefix(['2023-02-03 20:29:44.139 GMT [143] LOG:  AUDIT: SESSION,1,1,DDL,CREATE TABLE,,,x,<none>']).prefix
        .source,
    ).toBe('%m [%p] ');
    expect(detectPrefix(['2024-05-01 14:00:00 UTC:10.2.0.4(53422):app@orders:[500]:LOG:  hi']).prefix.source).toBe(
      '%t:%r:%u@%d:[%p]:',
    );
    expect(
      detectPrefix([
        '2022-08-10 11:34:19 UTC [pgAdmin 4 - CONN:3040112] [00000] [8077]: [1-1] user=admin,db=ibmclouddb,client=10.163.20.125 LOG:  AUDIT: x',
      ]).prefix.source,
    ).toBe('%t [%a] [%e] [%p]: [%l-1] user=%u,db=%d,client=%h ');
  });
  test('an unknown prefix falls back to the leading time stamp', () => {
    const d = detectPrefix(['2024-05-01 10:00:00.000 UTC <<weird>> LOG:  AUDIT: SESSION,1,1,READ,SELECT,,,x,<none>']);
    expect(d.fallback).toBe(true);
  });
});
