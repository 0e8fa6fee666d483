// The MariaDB server_audit line parser: examples from the plugin's documented format and a
// property test that encodes generated fields exactly as the plugin does and parses them back.
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { parseServerAuditLine, encodeServerAuditString } from '../../../src/sources/mariadb-audit/parse.js';
import { splitHostPort } from '../../../src/sources/mariadb-audit/map.js';

test('a QUERY line with commas, escaped quotes and new lines inside the SQL', () => {
  const r = parseServerAuditLine(
    "20220121 11:14:53,h,root,localhost,21,47,QUERY,MariaDB,'insert into t values (\\'a,b\\',1)\\n;',1064",
  );
  expect(r.ok && r.record).toMatchObject({
    timestamp: '20220121 11:14:53',
    operation: 'QUERY',
    database: 'MariaDB',
    object: "insert into t values ('a,b',1)\n;",
    quoted: true,
    retcode: '1064',
    connectionType: null,
  });
});

test('TABLE, RENAME, Aurora and AUDIT_CONFIG shapes', () => {
  const t = parseServerAuditLine('20261122 22:20:04,vm,root,localhost,4,2,WRITE,mysql,db,');
  expect(t.ok && t.record).toMatchObject({ database: 'mysql', object: 'db', quoted: false, retcode: '' });
  const rn = parseServerAuditLine('20240312 09:00:20,db1,root,localhost,40,520,RENAME,shop,orders|shop.orders_2023,');
  expect(rn.ok && rn.record.object).toBe('orders|shop.orders_2023');
  const a = parseServerAuditLine('1728313381000000,ip-10-22-1-51,rdsadmin,localhost,821,0,CONNECT,,,0,SOCKET');
  expect(a.ok && a.record).toMatchObject({ timestamp: '1728313381000000', connectionType: 'SOCKET', extra: [] });
  const c = parseServerAuditLine('20250601 08:00:03,db12,root,localhost,92,1002,AUDIT_CONFIG,,events=CONNECT,QUERY,0');
  expect(c.ok && c.record).toMatchObject({ object: 'events=CONNECT,QUERY', retcode: '0' });
});

test('broken lines are errors, never exceptions', () => {
  expect(
    parseServerAuditLine("20240312 11:00:03,db1,app,h,60,702,QUERY,shop,'INSERT INTO t VALUES (\\'cut"),
  ).toMatchObject({ ok: false });
  expect(parseServerAuditLine('20240312 12:00:02,db1,app,h,70,801,QUERY,shop')).toEqual({
    ok: false,
    error: expect.stringContaining('found 8'),
  });
  expect(parseServerAuditLine('2024-03-12 12:00:04,db1,app,h,70,803,QUERY,shop,x,0')).toMatchObject({ ok: false });
  expect(parseServerAuditLine("20240312 12:00:02,db1,app,h,x,801,QUERY,shop,'s',0")).toMatchObject({ ok: false });
  expect(parseServerAuditLine('')).toMatchObject({ ok: false });
});

test('host:port (MariaDB 12) is split, IPv6 is not', () => {
  expect(splitHostPort('192.0.2.10:53122')).toEqual({ address: '192.0.2.10', port: 53122 });
  expect(splitHostPort('::1')).toEqual({ address: '::1', port: null });
  expect(splitHostPort('localhost')).toEqual({ address: 'localhost', port: null });
});

const word = fc.stringMatching(/^[A-Za-z0-9_.%-]{0,12}$/);
const digits = fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }).map(String);
const timestamp = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => d.toISOString().replace(/^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d).*$/, '$1$2$3 $4'));
// Any text, including quotes, backslashes, commas and control characters the plugin escapes.
const sql = fc.string({
  unit: fc.constantFrom(
    'a',
    'Z',
    ' ',
    ',',
    "'",
    '\\',
    '\n',
    '\t',
    '\r',
    '\b',
    '\f',
    '"',
    '|',
    'é',
    '😀',
    '0',
    '(',
    ')',
  ),
  maxLength: 60,
});

test('property: fields encoded as the plugin writes them parse back unchanged', () => {
  fc.assert(
    fc.property(
      timestamp,
      word,
      word,
      word,
      digits,
      digits,
      fc.constantFrom('QUERY', 'QUERY_DDL', 'QUERY_DCL'),
      word,
      sql,
      fc.integer({ min: 0, max: 9999 }),
      fc.constantFrom(null, 'SOCKET', 'TCP/IP', ''),
      (ts, server, user, host, conn, query, op, db, text, ret, ctype) => {
        const line = [
          ts,
          server,
          user,
          host,
          conn,
          query,
          op,
          db,
          encodeServerAuditString(text),
          String(ret),
          ...(ctype === null ? [] : [ctype]),
        ].join(',');
        const r = parseServerAuditLine(line);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.record).toEqual({
          timestamp: ts,
          serverhost: server,
          username: user,
          host,
          connectionId: conn,
          queryId: query,
          operation: op,
          database: db,
          object: text,
          quoted: true,
          retcode: String(ret),
          connectionType: ctype,
          extra: [],
        });
        expect(line.includes('\n')).toBe(false); // the plugin's escaping keeps a record on one line
      },
    ),
    { numRuns: 1000 },
  );
});

test('property: TABLE events (unquoted objects, empty retcode) parse back', () => {
  fc.assert(
    fc.property(
      timestamp,
      word,
      digits,
      digits,
      fc.constantFrom('READ', 'WRITE', 'CREATE', 'ALTER', 'DROP'),
      word,
      word,
      (ts, user, conn, query, op, db, table) => {
        const r = parseServerAuditLine(`${ts},srv,${user},localhost,${conn},${query},${op},${db},${table},`);
        expect(r.ok && r.record).toMatchObject({
          operation: op,
          database: db,
          object: table,
          quoted: false,
          retcode: '',
        });
      },
    ),
    { numRuns: 300 },
  );
});
