// What a MySQL / MariaDB audit record's SQL text or table event means for the auditor: action,
// category, resource, permission deltas, and whether it turns audit logging off. Shared by the
// server_audit, MySQL Enterprise Audit and Percona audit_log adapters (and by live pulls), so the
// same statement gets the same event whichever plugin logged it. Category rules are those of
// ../shared/design/sources.md "Category signals", implemented in src/sql/classify.ts.
import type { Category } from '../../event/build.js';
import { snakeCase } from '../../event/build.js';
import type { PermissionChange } from '../../event/types.generated.js';
import {
  disablesAuditLogging,
  parsePermissionChanges,
  sqlCategory,
  sqlCommand,
  statementResource,
} from '../../sql/classify.js';
import { redactSql } from '../../sql/redact.js';

export interface SqlFacts {
  /** The statement with secrets redacted. */
  statement: string;
  /** Upper-case command ('CREATE USER', 'SET GLOBAL'), null when the text has none. */
  command: string | null;
  /** Normalized action name (snake case of the command, or of the source's own command name). */
  action: string | null;
  category: Category;
  resource: { type: string; name: string } | null;
  permissionChanges: PermissionChange[] | null;
  auditDisabled: boolean;
  /** DDL on data objects (admin-class by the privilege rule). */
  ddl: boolean;
}

const DDL = /^(CREATE|ALTER|DROP|TRUNCATE|RENAME) /;

/** snake_case of command and event names, shared by the MySQL-family adapters (snakeCase is memoized). */
export const actionName = snakeCase;

/**
 * Classifies one SQL statement. `sourceCommand` is the plugin's own command name (MySQL
 * `sql_command`, Percona `COMMAND_CLASS`), used for the action only when the text names none.
 */
export function sqlFacts(sql: string, sourceCommand?: string | null): SqlFacts {
  const statement = redactSql(sql);
  const command = sqlCommand(statement);
  const auditDisabled = disablesAuditLogging(statement);
  let category = sqlCategory(command, statement);
  if (auditDisabled) category = 'policy_change';
  const permissionChanges = command === 'GRANT' || command === 'REVOKE' ? parsePermissionChanges(statement) : null;
  const resource = statementResource(statement);
  const ddl = category === 'change_execution' && command !== null && DDL.test(`${command} `);
  const action = command ? actionName(command) : sourceCommand ? actionName(sourceCommand) : null;
  return { statement, command, action, category, resource, permissionChanges, auditDisabled, ddl };
}

/**
 * The grant tables of the `mysql` schema. A write to one of them is a permission change even when
 * the statement that caused it was not logged: with server_audit_events=QUERY_DDL,QUERY_DCL,
 * MariaDB logs `ALTER USER ... IDENTIFIED BY` and `SET PASSWORD` only as a WRITE on
 * mysql.global_priv (see fixtures/mariadb-audit/PROVENANCE.md).
 */
export const GRANT_TABLES: ReadonlySet<string> = new Set([
  'user',
  'global_priv',
  'db',
  'tables_priv',
  'columns_priv',
  'procs_priv',
  'proxies_priv',
  'roles_mapping',
  'default_roles',
  'role_edges',
  'global_grants',
  'password_history',
]);
/** Grant tables that hold credentials (password hashes): reading them exposes secrets. */
export const CREDENTIAL_TABLES: ReadonlySet<string> = new Set(['user', 'global_priv', 'password_history']);

export interface TableFacts {
  action: string;
  category: Category;
  ddl: boolean;
  grantTable: boolean;
}

/**
 * A table access event (MariaDB TABLE events READ/WRITE/CREATE/ALTER/RENAME/DROP, MySQL
 * table_access read/insert/update/delete). `op` is the plugin's operation, any case.
 */
export function tableFacts(op: string, db: string | null, table: string | null): TableFacts {
  const o = op.toLowerCase();
  // db.length first: only 'mysql' in some case lower-cases to 'mysql', and most tables are not in it.
  const grantTable =
    db !== null && db.length === 5 && db.toLowerCase() === 'mysql' && GRANT_TABLES.has((table ?? '').toLowerCase());
  const credentials = grantTable && CREDENTIAL_TABLES.has((table ?? '').toLowerCase());
  switch (o) {
    case 'read':
      return { action: 'read', category: credentials ? 'data_exposure' : 'other', ddl: false, grantTable };
    case 'write':
    case 'insert':
    case 'update':
    case 'delete':
      return { action: o, category: grantTable ? 'permission_change' : 'change_execution', ddl: false, grantTable };
    case 'create':
    case 'alter':
    case 'drop':
    case 'rename':
      return {
        action: `${o}_table`,
        category: grantTable ? 'permission_change' : 'change_execution',
        ddl: true,
        grantTable,
      };
    default:
      return { action: snakeCase(o), category: 'other', ddl: false, grantTable };
  }
}
