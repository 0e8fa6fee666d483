// The admin roster of a PostgreSQL server: roles with administrative attributes, and members
// (direct or inherited) of the predefined pg_* roles that carry server-level power.
// https://www.postgresql.org/docs/15/predefined-roles.html
import type pg from 'pg';
import type { RosterEntry } from '../../privilege/roster.js';

export const ADMIN_PREDEFINED_ROLES = [
  'pg_read_server_files',
  'pg_write_server_files',
  'pg_execute_server_program',
  'pg_signal_backend',
  'pg_read_all_data',
  'pg_write_all_data',
  'pg_monitor',
  'pg_checkpoint',
  'pg_create_subscription',
];

const ATTRIBUTES: Array<[string, string]> = [
  ['rolsuper', 'superuser'],
  ['rolcreaterole', 'createrole'],
  ['rolcreatedb', 'createdb'],
  ['rolreplication', 'replication'],
  ['rolbypassrls', 'bypassrls'],
];

export async function readRoster(client: pg.Client, origin: string, instance: string): Promise<RosterEntry[]> {
  const out: RosterEntry[] = [];
  const attrs = await client.query<Record<string, string | boolean>>(
    `SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls
       FROM pg_roles WHERE rolname NOT LIKE 'pg\\_%' ORDER BY rolname`,
  );
  for (const r of attrs.rows) {
    for (const [col, reason] of ATTRIBUTES)
      if (r[col] === true) out.push({ principal: String(r.rolname), reason, origin, instance });
  }
  // pg_has_role(..., 'MEMBER') follows inherited membership; superusers are members of everything
  // and are already listed, so they are left out here.
  const members = await client.query<{ member: string; role: string }>(
    `SELECT m.rolname AS member, r.rolname AS role
       FROM pg_roles m CROSS JOIN pg_roles r
      WHERE r.rolname = ANY($1::text[]) AND m.rolname NOT LIKE 'pg\\_%' AND NOT m.rolsuper
        AND pg_has_role(m.oid, r.oid, 'MEMBER')
      ORDER BY m.rolname, r.rolname`,
    [ADMIN_PREDEFINED_ROLES],
  );
  for (const r of members.rows) out.push({ principal: r.member, reason: `member of ${r.role}`, origin, instance });
  return out;
}
