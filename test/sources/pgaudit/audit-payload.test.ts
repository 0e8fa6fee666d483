// The AUDIT CSV parser: pgaudit's own quoting (append_valid_csv) round-trips, and the edge cases
// found in real logs are read as pgaudit means them.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { encodeAuditField, parseAuditCsv, parseAuditMessage } from '../../../src/sources/pgaudit/audit-payload.js';

describe('parseAuditCsv', () => {
  test('round-trips any field values encoded as pgaudit encodes them', () => {
    const field = fc.string({
      unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r', "'", '<', '>', '\t', 'é', '1'),
    });
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 12 }), (values) => {
        const text = values.map(encodeAuditField).join(',');
        expect(parseAuditCsv(text)).toEqual({ fields: values });
      }),
      { numRuns: 500 },
    );
  });

  test('an opening quote that never closes is an error, wherever the row is cut', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ',', ' ', '\n') }), (tail) => {
        const r = parseAuditCsv(`SESSION,1,1,READ,SELECT,,,"select ${tail.replace(/"/g, '')}`);
        expect('error' in r && r.error).toMatch(/never closes/);
      }),
    );
  });

  test('quoted commas, doubled quotes, markers, parameter lists', () => {
    expect(
      parseAuditCsv(`SESSION,3,1,ROLE,ALTER ROLE,,,"ALTER ROLE u SET pgaudit.log = 'ddl, ROLE'",<not logged>`),
    ).toEqual({
      fields: [
        'SESSION',
        '3',
        '1',
        'ROLE',
        'ALTER ROLE',
        '',
        '',
        "ALTER ROLE u SET pgaudit.log = 'ddl, ROLE'",
        '<not logged>',
      ],
    });
    const r = parseAuditCsv(
      'SESSION,35,2,DDL,CREATE TABLE,TABLE,public.do_table,"CREATE TABLE do_table (""weird name"" INT)",<none>',
    );
    expect('fields' in r && r.fields[7]).toBe('CREATE TABLE do_table ("weird name" INT)');
    const p = parseAuditCsv('SESSION,1,1,WRITE,INSERT,TABLE,public.t,"INSERT INTO t VALUES ($1, $2)",",,,1"');
    expect('fields' in p && p.fields[8]).toBe(',,,1');
    expect(parseAuditCsv('a,"b"c')).toEqual({ error: 'unexpected text after the closing quote of field 2' });
  });
});

describe('parseAuditMessage', () => {
  test('reads the nine fields and the optional ROWS', () => {
    const r = parseAuditMessage('AUDIT: OBJECT,4,2,READ,SELECT,TABLE,public.payroll,SELECT 1,<none>,12');
    expect(r).toEqual({
      record: {
        auditType: 'OBJECT',
        statementId: 4,
        substatementId: 2,
        auditClass: 'READ',
        command: 'SELECT',
        objectType: 'TABLE',
        objectName: 'public.payroll',
        statement: 'SELECT 1',
        statementMarker: null,
        parameter: '<none>',
        rows: 12,
      },
    });
  });
  test('an empty trailing ROWS field (CloudNativePG sample) is null', () => {
    const r = parseAuditMessage('AUDIT: SESSION,1,1,READ,SELECT,,,"SELECT NOT pg_is_in_recovery()",<none>,');
    expect(r && 'record' in r && r.record.rows).toBeNull();
  });
  test('<not logged> and <previously logged> statements are null with their marker kept', () => {
    const r = parseAuditMessage('AUDIT: SESSION,1,2,WRITE,INSERT,TABLE,t,<previously logged>,<previously logged>');
    expect(r && 'record' in r && [r.record.statement, r.record.statementMarker]).toEqual([null, '<previously logged>']);
  });
  test('not AUDIT text is null; malformed records are errors', () => {
    expect(parseAuditMessage('statement: SELECT 1')).toBeNull();
    expect(parseAuditMessage('AUDIT: SESSION,1,1,READ')).toEqual({
      error: 'pgaudit record has 4 fields, expected 9 (or 10 with pgaudit.log_rows)',
    });
    expect(parseAuditMessage('AUDIT: OTHER,1,1,READ,SELECT,,,x,y')).toMatchObject({
      error: expect.stringMatching(/AUDIT_TYPE/),
    });
    expect(parseAuditMessage('AUDIT: SESSION,x,1,READ,SELECT,,,x,y')).toMatchObject({
      error: expect.stringMatching(/not numbers/),
    });
  });
});
