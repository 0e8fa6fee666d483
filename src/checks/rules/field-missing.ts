// field.missing: a row lacks a field its profile requires (null, empty, or a placeholder such as
// '-', 'unknown', '<not logged>'). Per row it says which field and what was there; at the end it
// says, per source, how many rows lack each field and the most likely reason for that source.
import type { Rule } from '../rule.js';
import { rowFinding, sourceFinding } from '../rule.js';
import type { Finding } from '../types.js';

/** Why a field is usually missing, by adapter id and field. The advice an operator can act on. */
const WHY: Record<string, Record<string, string>> = {
  pgaudit: {
    user: "stderr logs carry the user only through log_line_prefix: add %u (for example '%m [%p] %q%u@%d ')",
    timestamp: 'stderr logs carry the time only through log_line_prefix: add %m or %t',
    resource:
      'pgaudit names no object for ROLE and MISC statements and none could be read from the statement; object auditing (pgaudit.role) or pgaudit.log_relation = on names more',
    outcome:
      'pgaudit logs a statement when it runs and never its result; a failure shows only as a later ERROR line of the same session, which needs %c (or %p) in log_line_prefix',
    origin: 'stderr logs carry the client address only through log_line_prefix: add %h or %r',
    address: 'stderr logs carry the client address only through log_line_prefix: add %h or %r',
    system: 'PostgreSQL logs do not name the server: pass --instance',
  },
  'mariadb-audit': {
    user: 'the connection had no user name yet (a failed or anonymous connect)',
    resource:
      'QUERY events name no object and none could be read from the SQL text; add TABLE to server_audit_events to log the tables each query touches',
    system: 'server_audit does not name the server in every format: pass --instance',
    outcome: 'the record has no return code',
  },
  'mysql-enterprise-audit': {
    resource:
      'the record names no table and none could be read from the query text; the audit filter can log table_access events',
    system: 'audit records do not name the server: pass --instance',
  },
  'percona-audit': {
    resource: 'the record names no table and none could be read from the SQL text',
    system: 'audit records do not name the server: pass --instance',
  },
  cloudtrail: {
    resource:
      "the event's resources[] is empty and its requestParameters name no resource (typical of read-only and console events)",
    user: 'the event has no userIdentity ARN or name (AWS service events, or a redacted caller)',
    origin: 'the event has no sourceIPAddress',
    address: 'the event has no sourceIPAddress',
  },
  'gcp-audit': {
    user: 'Google omits or redacts principalEmail for some callers (for example a caller outside the organization, or a read by a service agent)',
    resource: 'the entry has no protoPayload.resourceName',
    origin: 'the entry has no requestMetadata.callerIp (calls from inside Google Cloud often have none)',
    address: 'the entry has no requestMetadata.callerIp (calls from inside Google Cloud often have none)',
  },
  bytebase: {
    user: 'Bytebase recorded no user for this call (calls before anyone signed in, such as the first sign-up, have none)',
    resource: 'the entry names no resource and its request none',
    origin:
      'the entry has no requestMetadata (the search API never returns it: read the audit_log table over SQL for origins)',
    address:
      'the entry has no requestMetadata.callerIp (the search API never returns it: read the audit_log table over SQL for origins)',
    system: 'Bytebase entries do not name the Bytebase server: pass --instance',
  },
};

export function whyMissing(format: string | null, field: string): string | null {
  return (format && WHY[format]?.[field]) ?? null;
}

export const fieldMissing: Rule = {
  id: 'field.missing',
  severity: 'error',
  title: 'Required field missing',
  description:
    'A row lacks a field its profile requires (null, empty, or a placeholder such as -, unknown, <not logged>), so an auditor cannot use it.',
  incomplete: true,
  start(ctx) {
    return {
      row(e, source) {
        const out: Finding[] = [];
        for (const f of ctx.profile.fields) {
          const why = f.missing(e);
          if (why === null) continue;
          out.push(rowFinding(fieldMissing, e, source, `${f.name} is missing (${f.reads} is ${why})`, f.name));
        }
        return out;
      },
      finish(sources) {
        const out: Finding[] = [];
        for (const s of sources.values()) {
          for (const f of ctx.profile.fields) {
            const n = s.missing[f.name] ?? 0;
            if (n === 0) continue;
            const hint = whyMissing(s.format, f.name);
            out.push(
              sourceFinding(
                fieldMissing,
                s.key,
                `${n} of ${s.rows} rows from ${s.key} lack ${f.name}${hint ? `: ${hint}` : ''}`,
                'error',
                null,
                f.name,
              ),
            );
          }
        }
        return out;
      },
    };
  },
};
