import { expect, test } from 'vitest';
import {
  sqlCommand,
  sqlCategory,
  parsePermissionChanges,
  statementResource,
  disablesAuditLogging,
} from '../../src/sql/classify.js';

test.each([
  ['CREATE TABLE t (a int)', 'CREATE TABLE', 'change_execution'],
  ['create or replace view v as select 1', 'CREATE VIEW', 'change_execution'],
  ['/* app */ GRANT SELECT ON t TO alice', 'GRANT', 'permission_change'],
  ['REVOKE r1 FROM bob', 'REVOKE', 'permission_change'],
  ["CREATE ROLE alice LOGIN PASSWORD '<REDACTED>'", 'CREATE ROLE', 'permission_change'],
  ["CREATE USER 'u'@'%' IDENTIFIED BY '<REDACTED>'", 'CREATE USER', 'permission_change'],
  ['RENAME USER a TO b', 'RENAME USER', 'permission_change'],
  ["SET PASSWORD FOR 'u'@'%' = '<REDACTED>'", 'SET PASSWORD', 'permission_change'],
  ['ALTER SYSTEM SET log_connections = on', 'ALTER SYSTEM', 'policy_change'],
  ['SET GLOBAL server_audit_logging=OFF', 'SET GLOBAL', 'policy_change'],
  ["SET pgaudit.log = 'none'", 'SET', 'policy_change'],
  ["ALTER ROLE app SET pgaudit.log = 'none'", 'ALTER ROLE', 'policy_change'],
  ['CREATE POLICY p ON t USING (true)', 'CREATE POLICY', 'policy_change'],
  ['ALTER TABLE t ENABLE ROW LEVEL SECURITY', 'ALTER TABLE', 'policy_change'],
  ['ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO r', 'ALTER DEFAULT PRIVILEGES', 'policy_change'],
  ['COPY t TO STDOUT', 'COPY', 'data_exposure'],
  ["COPY t TO '/tmp/x.csv'", 'COPY', 'data_exposure'],
  ['COPY t FROM STDIN', 'COPY', 'change_execution'],
  ["SELECT * FROM t INTO OUTFILE '/tmp/x'", 'SELECT', 'data_exposure'],
  ['INSERT INTO t VALUES (1)', 'INSERT', 'change_execution'],
  ['SELECT 1', 'SELECT', 'other'],
  ['SET search_path = x', 'SET', 'other'],
])('%s -> %s, %s', (sql, cmd, cat) => {
  expect(sqlCommand(sql)).toBe(cmd);
  expect(sqlCategory(null, sql)).toBe(cat);
});

test('permission deltas', () => {
  expect(parsePermissionChanges('GRANT SELECT, INSERT ON public.t TO alice, "Bob"')).toEqual([
    { operation: 'grant', principal: 'alice', privilege: 'SELECT', on: 'public.t' },
    { operation: 'grant', principal: 'alice', privilege: 'INSERT', on: 'public.t' },
    { operation: 'grant', principal: 'Bob', privilege: 'SELECT', on: 'public.t' },
    { operation: 'grant', principal: 'Bob', privilege: 'INSERT', on: 'public.t' },
  ]);
  expect(parsePermissionChanges("REVOKE ALL PRIVILEGES ON *.* FROM 'u'@'%'")).toEqual([
    { operation: 'revoke', principal: 'u@%', privilege: 'ALL PRIVILEGES', on: '*.*' },
  ]);
  expect(parsePermissionChanges('GRANT pg_read_all_data TO auditor WITH ADMIN OPTION')).toEqual([
    { operation: 'grant', principal: 'auditor', privilege: 'pg_read_all_data', on: null },
  ]);
});

test('resources from statements', () => {
  expect(statementResource('GRANT SELECT ON t TO alice')).toEqual({ type: 'role', name: 'alice' });
  expect(statementResource("ALTER ROLE bob PASSWORD '<REDACTED>'")).toEqual({ type: 'role', name: 'bob' });
  expect(statementResource("CREATE USER 'u'@'%' IDENTIFIED BY 'x'")).toEqual({ type: 'user', name: 'u@%' });
  expect(statementResource('ALTER SYSTEM SET log_connections = on')).toEqual({
    type: 'parameter',
    name: 'log_connections',
  });
  expect(statementResource("SET pgaudit.log = 'none'")).toEqual({ type: 'parameter', name: 'pgaudit.log' });
  expect(statementResource('SET GLOBAL server_audit_logging=OFF')).toEqual({
    type: 'parameter',
    name: 'server_audit_logging',
  });
  expect(statementResource('CREATE TABLE IF NOT EXISTS public.account (id int)')).toEqual({
    type: 'table',
    name: 'public.account',
  });
  expect(statementResource('drop table  pg_guardium_123')).toEqual({ type: 'table', name: 'pg_guardium_123' });
  expect(statementResource('insert into audit_trail values (1)')).toEqual({ type: 'table', name: 'audit_trail' });
  expect(statementResource("SELECT * FROM secrets INTO OUTFILE '/tmp/x'")).toEqual({ type: 'file', name: '/tmp/x' });
  expect(statementResource('select 1')).toBeNull();
});

test('audit logging turned off', () => {
  expect(disablesAuditLogging("SET pgaudit.log = 'none'")).toBe(true);
  expect(disablesAuditLogging('set global server_audit_logging=OFF')).toBe(true);
  expect(disablesAuditLogging("SET pgaudit.log = 'all'")).toBe(false);
});

test('MySQL / MariaDB syntax', () => {
  expect(sqlCommand('SET @@global.server_audit_logging = OFF')).toBe('SET GLOBAL');
  expect(sqlCategory(null, 'SET @@global.server_audit_logging = OFF')).toBe('policy_change');
  expect(disablesAuditLogging('SET @@global.server_audit_logging = OFF')).toBe(true);
  expect(sqlCategory(null, "SELECT audit_log_filter_set_user('%', 'log_none')")).toBe('policy_change');
  expect(sqlCategory(null, "INSTALL PLUGIN server_audit SONAME 'server_audit'")).toBe('policy_change');
  expect(statementResource("INSTALL PLUGIN server_audit SONAME 'server_audit'")).toEqual({
    type: 'plugin',
    name: 'server_audit',
  });
  expect(disablesAuditLogging('UNINSTALL PLUGIN server_audit')).toBe(true);
  expect(disablesAuditLogging('SET GLOBAL audit_log_policy = "NONE"')).toBe(true);
  expect(disablesAuditLogging("SET GLOBAL audit_log_policy = 'LOGINS'")).toBe(false);
  expect(parsePermissionChanges("GRANT SELECT ON `appdb`.* TO 'alice'@'%'")).toEqual([
    { operation: 'grant', principal: 'alice@%', privilege: 'SELECT', on: 'appdb.*' },
  ]);
  expect(parsePermissionChanges("GRANT alice_role TO 'alice'@'%'")).toEqual([
    { operation: 'grant', principal: 'alice@%', privilege: 'alice_role', on: null },
  ]);
  expect(statementResource('CREATE TABLE `appdb`.`t` (id int)')).toEqual({ type: 'table', name: 'appdb.t' });
  expect(statementResource("RENAME USER 'alice'@'%' TO 'alice2'@'%'")).toEqual({ type: 'user', name: 'alice@%' });
  expect(sqlCategory(null, "SET DEFAULT ROLE r1 FOR 'alice'@'%'")).toBe('permission_change');
  expect(statementResource("SET DEFAULT ROLE r1 FOR 'alice'@'%'")).toEqual({ type: 'user', name: 'alice@%' });
  expect(statementResource('/* ApplicationName=DBeaver */ use guardium_qa')).toEqual({
    type: 'database',
    name: 'guardium_qa',
  });
  expect(statementResource("CALL GetOrders('Marcus')")).toEqual({ type: 'procedure', name: 'GetOrders' });
});

// Audit findings on the pgaudit regression transcript (fixtures/pgaudit/pgaudit-pgaudit__expected_pgaudit.out).
test('ALTER ROLE ... RESET of an audit setting is a policy change, like ALTER ROLE ... SET', () => {
  // line 644: "ALTER ROLE regress_user1 RESET pgaudit.log" was permission_change
  expect(sqlCategory('ALTER ROLE', 'ALTER ROLE regress_user1 RESET pgaudit.log')).toBe('policy_change');
  expect(sqlCategory('ALTER ROLE', "ALTER ROLE regress_user1 SET pgaudit.log = 'none'")).toBe('policy_change');
  expect(sqlCategory('ALTER ROLE', 'ALTER ROLE bob SUPERUSER')).toBe('permission_change');
});

test('USER MAPPING: a permission change for create, alter and drop; the resource is the mapping, not a user named MAPPING', () => {
  // lines 2570-2574: CREATE/ALTER were permission_change on user:MAPPING, DROP was change_execution
  for (const cmd of ['CREATE USER MAPPING', 'ALTER USER MAPPING', 'DROP USER MAPPING'])
    expect(sqlCategory(cmd, null)).toBe('permission_change');
  expect(
    statementResource(
      "CREATE USER MAPPING FOR regress_user1 SERVER fdw_server OPTIONS (user 'regress_user1', password <REDACTED>",
    ),
  ).toEqual({ type: 'user_mapping', name: 'regress_user1 ON fdw_server' });
  expect(statementResource('DROP USER MAPPING FOR regress_user1 SERVER fdw_server')).toEqual({
    type: 'user_mapping',
    name: 'regress_user1 ON fdw_server',
  });
});

test('DDL on conversions, statistics and foreign tables names the object, not the object type', () => {
  // line 2263: "CREATE CONVERSION public.conversion_test ..." was conversion:CONVERSION
  expect(
    statementResource(
      "CREATE CONVERSION public.conversion_test FOR 'latin1' TO 'utf8' FROM pg_catalog.iso8859_1_to_utf8",
    ),
  ).toEqual({ type: 'conversion', name: 'public.conversion_test' });
  expect(statementResource('CREATE FOREIGN TABLE ft (a int) SERVER s')).toEqual({ type: 'foreign_table', name: 'ft' });
});

test('a number after FROM is not a table', () => {
  // line 2076: "SELECT 1, substring('Thomas' from 2 for 3)" was table:2
  expect(statementResource("SELECT 1,\n\t   substring('Thomas' from 2 for 3)")).toBeNull();
  expect(statementResource('SELECT * FROM 2024sales')).toEqual({ type: 'table', name: '2024sales' });
});
