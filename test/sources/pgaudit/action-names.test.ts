// Audit finding: the same operation must carry the same action name in every adapter.
// fixtures/pgaudit/pg15-live__postgresql.csv line 25 "AUDIT: SESSION,16,1,READ,SELECT,TABLE,public.accounts,
// COPY public.accounts TO STDOUT ..." was action `select`; line 15 "GRANT pg_read_server_files, pg_monitor
// TO auditor" (command GRANT ROLE) was `grant_role` where MariaDB's "GRANT alice_role TO 'alice'@'%'" is `grant`.
import { expect, test } from 'vitest';
import { auditActionName } from '../../../src/sources/pgaudit/map.js';

test('COPY is `copy` whichever command pgaudit logs it under', () => {
  expect(auditActionName('SELECT', 'COPY public.accounts TO STDOUT WITH (FORMAT csv);')).toBe('copy');
  expect(auditActionName('SELECT', 'COPY (SELECT * FROM public.accounts) TO STDOUT')).toBe('copy');
  expect(auditActionName('INSERT', 'COPY test.account_copy from stdin')).toBe('copy');
  expect(auditActionName('SELECT', 'SELECT * FROM t')).toBe('select');
  expect(auditActionName('SELECT', null)).toBe('select');
});

test('granting or revoking a role is `grant` / `revoke`, as in the MySQL-family adapters', () => {
  expect(auditActionName('GRANT ROLE', 'GRANT pg_monitor TO monitor_only;')).toBe('grant');
  expect(auditActionName('REVOKE ROLE', 'REVOKE regress_user1 FROM regress_user2')).toBe('revoke');
  expect(auditActionName('GRANT', 'GRANT SELECT ON t TO alice')).toBe('grant');
  expect(auditActionName('CREATE ROLE', 'CREATE ROLE r')).toBe('create_role');
});
