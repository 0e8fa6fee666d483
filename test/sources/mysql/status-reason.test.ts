// Audit finding: fixtures/mariadb-audit/mariadb10.11-live__server_audit.log line 16
// "20261122 22:20:05,vm,alice,127.0.0.1,5,0,FAILED_CONNECT,,,1045" had outcome_reason "1045": a bare
// number, where pgaudit says "28P01: password authentication failed ..." and CloudTrail "AccessDenied: ...".
import { expect, test } from 'vitest';
import { statusFacts } from '../../../src/sources/mysql-common/errors.js';

test('a known MySQL error number is stated with its name', () => {
  expect(statusFacts('1045')).toEqual({
    outcome: 'failure',
    reason: '1045: ER_ACCESS_DENIED_ERROR',
    error: 'ER_ACCESS_DENIED_ERROR',
    denied: true,
  });
  expect(statusFacts(1064).reason).toBe('1064: ER_PARSE_ERROR');
});

test('an unknown number stays a number; 0 is success; empty is unknown', () => {
  expect(statusFacts(9999)).toEqual({ outcome: 'failure', reason: '9999', error: null, denied: false });
  expect(statusFacts(0)).toEqual({ outcome: 'success', reason: null, error: null, denied: false });
  expect(statusFacts('').outcome).toBe('unknown');
});
