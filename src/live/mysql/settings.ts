// The audit plugin's configuration and health, kept as evidence, and what it cannot capture.
// MariaDB server_audit: https://mariadb.com/kb/en/mariadb-audit-plugin-options-and-system-variables/
//   and status variables: https://mariadb.com/kb/en/mariadb-audit-plugin-status-variables/
// MySQL Enterprise Audit: https://dev.mysql.com/doc/refman/8.0/en/audit-log-reference.html

export type Vars = Record<string, string>;

/** MariaDB's server_audit_events: an empty value means every class. */
export function auditEventClasses(v: string | undefined): Set<string> {
  const s = new Set(
    (v ?? '')
      .split(',')
      .map((x) => x.trim().toUpperCase())
      .filter(Boolean),
  );
  if (s.size === 0) return new Set(['CONNECT', 'QUERY', 'TABLE']);
  return s;
}

/** Warnings for a MariaDB server_audit configuration (variables and status). */
export function mariadbWarnings(vars: Vars, status: Vars): string[] {
  const w: string[] = [];
  if (Object.keys(vars).length === 0) {
    w.push('the server_audit plugin is not loaded: the server writes no audit records');
    return w;
  }
  if ((vars.server_audit_logging ?? '').toUpperCase() !== 'ON')
    w.push('server_audit_logging is OFF: the server is not writing audit records now');
  const failed = Number(status.Server_audit_writes_failed ?? '0');
  if (failed > 0)
    w.push(
      `Server_audit_writes_failed is ${failed}: the plugin failed to write ${failed} audit record(s) since the server started; those records are lost`,
    );
  if (status.Server_audit_last_error) w.push(`Server_audit_last_error: ${status.Server_audit_last_error}`);
  const c = auditEventClasses(vars.server_audit_events);
  const has = (x: string) => c.has(x);
  if (!has('CONNECT'))
    w.push(
      `server_audit_events ('${vars.server_audit_events}') lacks CONNECT: no authentication events (logins, failed logins) are recorded`,
    );
  if (!has('QUERY')) {
    if (has('QUERY_DDL') || has('QUERY_DCL')) {
      w.push(
        `server_audit_events ('${vars.server_audit_events}') has no QUERY: SET GLOBAL (policy changes, including audit settings), ALTER USER ... IDENTIFIED BY and SET PASSWORD go unrecorded`,
      );
    }
    if (!has('QUERY_DCL'))
      w.push(
        `server_audit_events ('${vars.server_audit_events}') lacks QUERY and QUERY_DCL: GRANT, REVOKE and user changes (permission changes) are not recorded`,
      );
    if (!has('QUERY_DDL'))
      w.push(
        `server_audit_events ('${vars.server_audit_events}') lacks QUERY and QUERY_DDL: schema changes are not recorded as statements`,
      );
    if (!has('QUERY_DML') && !has('TABLE'))
      w.push(
        `server_audit_events ('${vars.server_audit_events}') records no data access (no QUERY, QUERY_DML or TABLE): SELECT ... INTO OUTFILE and reads of sensitive tables are not recorded`,
      );
  }
  if (vars.server_audit_excl_users)
    w.push(`server_audit_excl_users excludes these users from the audit log: ${vars.server_audit_excl_users}`);
  if (vars.server_audit_incl_users)
    w.push(`server_audit_incl_users limits the audit log to these users: ${vars.server_audit_incl_users}`);
  if ((vars.server_audit_output_type ?? '').toLowerCase() === 'syslog')
    w.push(
      'server_audit_output_type is syslog: the records are in the system log, not in a file this source can read; collect them from syslog',
    );
  const limit = Number(vars.server_audit_query_log_limit ?? '0');
  if (limit > 0 && limit < 4096)
    w.push(`server_audit_query_log_limit is ${limit}: longer statements are truncated in the audit log`);
  return w;
}

/** Warnings for MySQL Enterprise Audit's configuration. */
export function enterpriseWarnings(vars: Vars): string[] {
  const w: string[] = [];
  if (Object.keys(vars).length === 0) {
    w.push('the audit_log plugin is not loaded: the server writes no audit records');
    return w;
  }
  if (vars.audit_log_format && vars.audit_log_format.toUpperCase() !== 'JSON') {
    w.push(
      `audit_log_format is ${vars.audit_log_format}: audit_log_read() reads only JSON logs; set audit_log_format=JSON or collect the files with a file source`,
    );
  }
  if (vars.audit_log_policy && !['ALL'].includes(vars.audit_log_policy.toUpperCase()))
    w.push(`audit_log_policy is ${vars.audit_log_policy}: not every event class is logged`);
  if (vars.audit_log_connection_policy && vars.audit_log_connection_policy.toUpperCase() !== 'ALL')
    w.push(`audit_log_connection_policy is ${vars.audit_log_connection_policy}: not every connection event is logged`);
  if (vars.audit_log_statement_policy && vars.audit_log_statement_policy.toUpperCase() !== 'ALL')
    w.push(`audit_log_statement_policy is ${vars.audit_log_statement_policy}: not every statement is logged`);
  if (vars.audit_log_exclude_accounts)
    w.push(`audit_log_exclude_accounts excludes: ${vars.audit_log_exclude_accounts}`);
  if (vars.audit_log_include_accounts)
    w.push(`audit_log_include_accounts limits logging to: ${vars.audit_log_include_accounts}`);
  if ((vars.audit_log_strategy ?? '').toUpperCase() === 'ASYNCHRONOUS')
    w.push(
      'audit_log_strategy is ASYNCHRONOUS: records can be lost when the buffer is full (see Audit_log_events_lost)',
    );
  return w;
}

export function enterpriseStatusWarnings(status: Vars): string[] {
  const w: string[] = [];
  const lost = Number(status.Audit_log_events_lost ?? '0');
  if (lost > 0) w.push(`Audit_log_events_lost is ${lost}: that many audit events were dropped`);
  const wf = Number(status.Audit_log_write_waits ?? '0');
  if (wf > 0) w.push(`Audit_log_write_waits is ${wf}: clients waited for the audit log buffer`);
  return w;
}
