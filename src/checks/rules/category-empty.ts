// category.empty: a source with no event at all of an admin-activity category in the window. Most
// often the source is configured not to log it, and an auditor will read "no events" as "not
// captured". The advice names the setting that most likely causes it, per source format; a
// category the source has no native events for is reported as info only.
import type { Category } from '../../event/build.js';
import type { Rule, SourceStats } from '../rule.js';
import { sourceFinding } from '../rule.js';
import type { Finding, Severity } from '../types.js';

export const CATEGORIES: readonly Category[] = [
  'authentication',
  'permission_change',
  'policy_change',
  'access_request',
  'data_exposure',
  'change_execution',
];

type Advice = { severity: Severity; cause: string };
const w = (cause: string): Advice => ({ severity: 'warning', cause });
const none = (cause: string): Advice => ({ severity: 'info', cause });

const MYSQL_NO_ACCESS = none(
  'MySQL-family servers log no access-request decisions; denials appear as failed statements (errors 1044, 1142)',
);

/** Advice per adapter id and category. */
const ADVICE: Record<string, Partial<Record<Category, Advice>>> = {
  pgaudit: {
    authentication: w(
      'log_connections / log_disconnections are off, or their lines go to another log: pgaudit itself never logs logins',
    ),
    permission_change: w(
      "pgaudit.log lacks 'role' (GRANT, REVOKE, CREATE/ALTER/DROP ROLE), or nobody changed permissions in the window",
    ),
    policy_change: w(
      "pgaudit.log lacks 'ddl' and 'misc' (ALTER SYSTEM, row-level security policies, pgaudit settings), or no policy changed in the window",
    ),
    access_request: none(
      'PostgreSQL logs no access-request decisions; denials appear as failed statements (SQLSTATE 42501)',
    ),
    data_exposure: w(
      "pgaudit.log lacks 'read' (COPY ... TO, reads of sensitive objects), or nothing was read or exported in the window",
    ),
    change_execution: w("pgaudit.log lacks 'ddl', 'write' and 'function'"),
  },
  'mariadb-audit': {
    authentication: w('server_audit_events lacks CONNECT (connects, failed connects and disconnects are not logged)'),
    permission_change: w(
      'server_audit_events lacks QUERY or QUERY_DCL (GRANT, REVOKE, CREATE USER are logged as queries), or nobody changed permissions in the window',
    ),
    policy_change: w(
      'server_audit_events lacks QUERY (SET GLOBAL and audit settings are logged as queries), or no policy changed in the window',
    ),
    access_request: MYSQL_NO_ACCESS,
    data_exposure: w('server_audit_events lacks QUERY or TABLE (SELECT ... INTO OUTFILE, reads of sensitive tables)'),
    change_execution: w('server_audit_events lacks QUERY, QUERY_DDL and QUERY_DML'),
  },
  'mysql-enterprise-audit': {
    authentication: w("the audit log filter does not log the 'connection' class"),
    permission_change: w(
      "the audit log filter does not log the 'general' class (GRANT, REVOKE, CREATE USER), or nobody changed permissions in the window",
    ),
    policy_change: w("the audit log filter does not log the 'general' class, or no policy changed in the window"),
    access_request: MYSQL_NO_ACCESS,
    data_exposure: w("the audit log filter does not log 'table_access' reads or the 'general' class"),
    change_execution: w("the audit log filter does not log the 'general' or 'table_access' classes"),
  },
  'percona-audit': {
    authentication: w('audit_log_policy is QUERIES or NONE (use ALL or LOGINS to log connections)'),
    permission_change: w(
      'audit_log_policy is LOGINS or NONE (use ALL or QUERIES), or nobody changed permissions in the window',
    ),
    policy_change: w('audit_log_policy is LOGINS or NONE (use ALL or QUERIES), or no policy changed in the window'),
    access_request: MYSQL_NO_ACCESS,
    data_exposure: w('audit_log_policy is LOGINS or NONE, or audit_log_include_commands excludes select'),
    change_execution: w('audit_log_policy is LOGINS or NONE, or audit_log_include_commands excludes DDL and DML'),
  },
  cloudtrail: {
    authentication: w(
      'sign-in events (ConsoleLogin) are global and recorded in us-east-1: the trail may exclude global service events or that region',
    ),
    permission_change: w(
      'IAM is a global service recorded in us-east-1: the trail may exclude global service events (IncludeGlobalServiceEvents), or nobody changed IAM in the window',
    ),
    policy_change: w('the trail may record read-only management events only, or no policy changed in the window'),
    access_request: none('CloudTrail has no native access-request decisions; denials appear as AccessDenied errors'),
    data_exposure: w(
      'data events are off: trails record management events only unless event selectors add S3 and Lambda data events',
    ),
    change_execution: w('the trail records read-only management events only (ReadWriteType ReadOnly)'),
  },
  'gcp-audit': {
    authentication: w(
      'Cloud Audit Logs hold no sign-ins: Google Workspace / Cloud Identity login audit logs are exported separately',
    ),
    permission_change: w(
      'no SetIamPolicy in the window, or the sink does not export the Admin Activity logs of every project',
    ),
    policy_change: w(
      'no policy change in the window, or the sink does not export Admin Activity logs of the organization and folders',
    ),
    access_request: none('Privileged Access Manager or Access Approval is not used, or its logs are not exported'),
    data_exposure: w('Data Access audit logs are off (they are off by default for every service but BigQuery)'),
    change_execution: w('the sink does not export Admin Activity logs'),
  },
  bytebase: {
    authentication: w(
      'no sign-in was recorded: Bytebase audits AuthService/Login; the period may hold none, or the rows were filtered (parent, method) before they were read',
    ),
    permission_change: w('no SetIamPolicy, role, group or user change in the window'),
    policy_change: w('no setting, org policy, SQL review or risk change in the window'),
    access_request: none('no issue approval, rejection, grant request or access grant in the window'),
    data_exposure: none('no export, masking exemption or unmasked sensitive read in the window'),
    change_execution: w('no plan, rollout, task run or admin-mode SQL in the window'),
  },
};

/** Refines the advice when the source's settings are known (from a config file or a live pull). */
function refine(s: SourceStats, cat: Category, a: Advice): Advice {
  const set = s.info?.settings ?? {};
  const on = (v: unknown) => v === true || (typeof v === 'string' && /^(on|true|1|yes)$/i.test(v));
  if (s.format === 'pgaudit' && cat === 'authentication' && on(set.log_connections)) {
    return w(
      'log_connections is on, yet no connection lines were read: they may be written to another log file, or nobody connected in the window',
    );
  }
  const pgauditLog = set['pgaudit.log'];
  if (s.format === 'pgaudit' && typeof pgauditLog === 'string') {
    const classes = pgauditLog.toLowerCase();
    const need: Partial<Record<Category, string>> = {
      permission_change: 'role',
      data_exposure: 'read',
      change_execution: 'write',
    };
    const cls = need[cat];
    if (cls && (classes.includes(cls) || classes.includes('all')) && !classes.includes(`-${cls}`)) {
      return {
        severity: 'info',
        cause: `pgaudit.log ('${pgauditLog}') includes '${cls}': nothing of this kind happened in the window`,
      };
    }
  }
  return a;
}

function describeSource(s: SourceStats): string {
  if (s.files.length === 0) return s.key;
  const more = s.files.length > 1 ? ` and ${s.files.length - 1} more file${s.files.length > 2 ? 's' : ''}` : '';
  return `${s.key} (${s.files[0]}${more})`;
}

export function emptyCategoryAdvice(s: SourceStats, cat: Category): Advice {
  const base =
    (s.format ? ADVICE[s.format]?.[cat] : undefined) ??
    w('no event of this kind was read; check that the source is configured to log it');
  return refine(s, cat, base);
}

export const categoryEmpty: Rule = {
  id: 'category.empty',
  severity: 'warning',
  title: 'Category with no events',
  description:
    'A source has no event at all of an admin-activity category in the window; the report names the configuration that most likely causes it.',
  start(ctx) {
    return {
      finish(sources) {
        const out: Finding[] = [];
        for (const s of sources.values()) {
          if (s.events === 0) {
            out.push(
              sourceFinding(
                categoryEmpty,
                s.key,
                `source ${describeSource(s)} produced no events at all in the window`,
                'error',
              ),
            );
            continue;
          }
          for (const cat of CATEGORIES) {
            if ((s.categories[cat] ?? 0) > 0) continue;
            const proof = (ctx.options.probes ?? [])
              .find((r) => r.source === s.key)
              ?.results.find((x) => x.category === cat && x.status === 'found');
            if (proof) {
              out.push({
                ...sourceFinding(
                  categoryEmpty,
                  s.key,
                  `source ${describeSource(s)} has no ${cat.replace('_', ' ')} events in the window, but the probe proved they are logged (${proof.action} at ${proof.performed_at}, found as event ${proof.event!.id.slice(0, 12)})`,
                  'info',
                ),
                field: cat,
              });
              continue;
            }
            const a = emptyCategoryAdvice(s, cat);
            out.push({
              ...sourceFinding(
                categoryEmpty,
                s.key,
                `source ${describeSource(s)} has no ${cat.replace('_', ' ')} events: ${a.cause}`,
                a.severity,
              ),
              field: cat,
            });
          }
        }
        return out;
      },
    };
  },
};
