// The admin roster of a MySQL / MariaDB server: accounts holding global privileges that amount to
// administration, from information_schema.USER_PRIVILEGES (which shows every account only to a
// reader with SELECT on the mysql schema (GRANT SELECT ON mysql.*): both servers check database-level
// SELECT on `mysql` before listing other accounts; otherwise only the reader itself).
// https://dev.mysql.com/doc/refman/8.0/en/information-schema-user-privileges-table.html
import type { Connection } from 'mysql2/promise';
import type { RosterEntry } from '../../privilege/roster.js';

export const ADMIN_PRIVILEGES = [
  'SUPER',
  'CREATE USER',
  'FILE',
  'SHUTDOWN',
  'RELOAD',
  'PROCESS',
  'GRANT OPTION',
  'CREATE TABLESPACE',
  'REPLICATION SLAVE ADMIN',
  'BINLOG ADMIN',
  'CONNECTION ADMIN',
  'READ_ONLY ADMIN',
  'SET USER',
  'FEDERATED ADMIN',
  'SYSTEM_VARIABLES_ADMIN',
  'AUDIT_ADMIN',
  'ROLE_ADMIN',
  'SYSTEM_USER',
  'ENCRYPTION_KEY_ADMIN',
  'SERVICE_CONNECTION_ADMIN',
];

/** 'user'@'host' → [user, host]. */
export function splitGrantee(g: string): [string, string] {
  const m = /^'((?:[^']|'')*)'@'((?:[^']|'')*)'$/.exec(g);
  return m ? [m[1].replace(/''/g, "'"), m[2].replace(/''/g, "'")] : [g, ''];
}

export async function readRoster(
  conn: Connection,
  origin: string,
  instance: string,
): Promise<{ entries: RosterEntry[]; onlySelf: boolean }> {
  const [rows] = await conn.query(
    `SELECT GRANTEE AS grantee, PRIVILEGE_TYPE AS priv, IS_GRANTABLE AS grantable FROM information_schema.USER_PRIVILEGES
      WHERE PRIVILEGE_TYPE IN (?) OR IS_GRANTABLE = 'YES' ORDER BY GRANTEE, PRIVILEGE_TYPE`,
    [ADMIN_PRIVILEGES],
  );
  const byAccount = new Map<string, Set<string>>();
  const seen = new Set<string>();
  for (const r of rows as Array<{ grantee: string; priv: string; grantable: string }>) {
    seen.add(r.grantee);
    const privs = byAccount.get(r.grantee) ?? new Set<string>();
    if (ADMIN_PRIVILEGES.includes(r.priv)) privs.add(r.priv);
    if (r.grantable === 'YES') privs.add('GRANT OPTION');
    byAccount.set(r.grantee, privs);
  }
  const entries: RosterEntry[] = [];
  for (const [grantee, privs] of byAccount) {
    const [user] = splitGrantee(grantee);
    if (!user) continue;
    entries.push({ principal: user, reason: `${[...privs].sort().join(', ')} (${grantee})`, origin, instance });
  }
  const [[me]] = (await conn.query('SELECT CURRENT_USER() AS u')) as unknown as [[{ u: string }]];
  const [meUser, meHost] = me.u.split('@');
  const self = `'${meUser}'@'${meHost}'`;
  const onlySelf = seen.size <= 1 && (seen.size === 0 || seen.has(self));
  return { entries, onlySelf };
}
