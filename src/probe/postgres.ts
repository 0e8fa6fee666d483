// The PostgreSQL probe: as the dedicated probe login, one harmless action per category the server
// can log, each carrying the nonce, and nothing that outlives the probe:
//   authentication     connect (application_name ae_probe_<nonce>), and a login as the role
//                      ae_probe_<nonce>_nologin, which never exists (a failed login)
//   permission_change  CREATE ROLE ae_probe_<nonce> NOLOGIN; GRANT / REVOKE pg_read_all_settings
//   policy_change      CREATE POLICY ae_probe_<nonce> on a temporary table (row-level security)
//   change_execution   CREATE TEMPORARY TABLE ae_probe_<nonce> (dropped with the session)
//   data_exposure      COPY (SELECT 'ae_probe_<nonce>') TO STDOUT
// The role is dropped at the end; roles named ae_probe_<hex> left by a crashed run are dropped at
// the start. Temporary objects vanish with the session even after a crash.
import pg from 'pg';
import type { AuditEvent } from '../event/types.generated.js';
import { pgConnection, type PostgresSourceConfig } from '../live/postgres/connection.js';
import { PROBE_PREFIX, type PlannedProbe, type ProbeConfig } from './types.js';

const has = (e: AuditEvent, nonce: string) => JSON.stringify(e).includes(nonce);

export interface PlanRun {
  planned: PlannedProbe[];
  dropped: string[];
  leftovers: string[];
  errors: string[];
}

export async function probePostgres(
  src: PostgresSourceConfig,
  probe: ProbeConfig & { user: string },
  nonce: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PlanRun> {
  const name = `${PROBE_PREFIX}${nonce}`;
  const conn = pgConnection(probeConnection(src, probe, env), env);
  const scrub = (m: string) => conn.scrubber.scrub(m);
  const run: Run = { planned: [], dropped: [], leftovers: [], errors: [], scrub, name, nonce };

  // Authentication: a successful login (this connection) ...
  const client = new pg.Client({ ...conn.config, application_name: name });
  client.on('error', () => {
    /* the next query fails and is reported */
  });
  const loginAt = new Date();
  try {
    await client.connect();
  } catch (e) {
    throw new Error(scrub(`the probe could not log in as ${probe.user} to ${conn.display}: ${(e as Error).message}`));
  }
  run.planned.push({
    category: 'authentication',
    name: 'login',
    action: `connect as ${probe.user} (application_name ${name})`,
    performed_at: loginAt,
    matches: (e) =>
      e.category === 'authentication' &&
      e.action.name === 'login' &&
      e.outcome !== 'failure' &&
      e.user.name === probe.user &&
      has(e, nonce),
    likely_setting:
      'log_connections = off (PostgreSQL logs logins only with log_connections = on; pgaudit never logs them)',
  });
  try {
    await dropLeftovers(client, run);
    await categoryProbes(client, run);
  } finally {
    await dropOwn(client, run);
  }
  // ... and a failed one: a role that never exists, with a wrong password.
  run.planned.push(await failedLogin(conn.config, name, nonce));
  run.planned.push({
    category: 'access_request',
    name: 'access request',
    action: null,
    performed_at: null,
    notProbed: 'PostgreSQL has no access-request decisions to perform',
    matches: () => false,
    likely_setting: '',
  });
  const { planned, dropped, leftovers, errors } = run;
  return { planned, dropped, leftovers, errors };
}

/** What one probe run performed and found. */
interface Run extends PlanRun {
  scrub: (m: string) => string;
  /** ae_probe_<nonce>: the role, table and policy the run creates. */
  name: string;
  nonce: string;
}

/** The probe's connection: host, port and database from the source (its URL too), the login from the probe section. */
function probeConnection(
  src: PostgresSourceConfig,
  probe: ProbeConfig & { user: string },
  env: NodeJS.ProcessEnv,
): PostgresSourceConfig {
  const probeCfg: PostgresSourceConfig = {
    ...src,
    user: probe.user,
    password_env: probe.password_env,
    url: undefined,
    url_env: undefined,
  };
  if (src.url || src.url_env) {
    const url = src.url ?? (src.url_env ? env[src.url_env] : undefined);
    if (url) {
      try {
        const u = new URL(url);
        probeCfg.host ??= decodeURIComponent(u.hostname) || undefined;
        probeCfg.port ??= u.port ? Number(u.port) : undefined;
        probeCfg.database ??= decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined;
      } catch {
        /* pg reports it */
      }
    }
  }
  return probeCfg;
}

/** Performs one statement as a probe of a category (a failure is recorded with the probe). */
function step(
  client: pg.Client,
  run: Run,
  category: PlannedProbe['category'],
  label: string,
  sql: string,
  matches: (e: AuditEvent) => boolean,
  likely: string,
): Promise<void> {
  return sqlStep((q) => client.query(q), run, category, label, sql, matches, likely);
}

/** Leftovers of an earlier run that stopped halfway: only roles named exactly like ours. */
async function dropLeftovers(client: pg.Client, run: Run): Promise<void> {
  const old = await client.query(
    `SELECT rolname FROM pg_roles WHERE rolname ~ '^ae_probe_[0-9a-f]{8,32}$' AND rolname <> $1`,
    [run.name],
  );
  for (const r of old.rows) {
    try {
      await client.query(`DROP ROLE ${r.rolname}`);
      run.leftovers.push(`role ${r.rolname}`);
    } catch (e) {
      run.errors.push(run.scrub(`could not drop leftover role ${r.rolname}: ${(e as Error).message}`));
    }
  }
}

/** One harmless statement per category pgaudit can log, each naming the nonce. */
async function categoryProbes(client: pg.Client, run: Run): Promise<void> {
  const { name, nonce, planned, errors, scrub } = run;
  const inStatement = (cat: string) => (e: AuditEvent) => e.category === cat && has(e, nonce);
  await step(
    client,
    run,
    'permission_change',
    'create role, grant, revoke',
    `CREATE ROLE ${name} NOLOGIN`,
    inStatement('permission_change'),
    "pgaudit.log lacks 'role' (CREATE/ALTER/DROP ROLE, GRANT and REVOKE are in the role class)",
  );
  if (!planned[planned.length - 1]!.error) {
    await client
      .query(`GRANT pg_read_all_settings TO ${name}`)
      .catch((e) => errors.push(scrub(`GRANT: ${(e as Error).message}`)));
    await client
      .query(`REVOKE pg_read_all_settings FROM ${name}`)
      .catch((e) => errors.push(scrub(`REVOKE: ${(e as Error).message}`)));
  }
  await step(
    client,
    run,
    'change_execution',
    'temporary table',
    `CREATE TEMPORARY TABLE ${name} (x int)`,
    inStatement('change_execution'),
    "pgaudit.log lacks 'ddl' (CREATE, ALTER and DROP of tables are in the ddl class)",
  );
  await step(
    client,
    run,
    'policy_change',
    'row-level security policy',
    `CREATE POLICY ${name} ON pg_temp.${name} USING (true)`,
    inStatement('policy_change'),
    "pgaudit.log lacks 'ddl' (CREATE POLICY is in the ddl class)",
  );
  await step(
    client,
    run,
    'data_exposure',
    'copy to client',
    `COPY (SELECT '${name}') TO STDOUT`,
    inStatement('data_exposure'),
    "pgaudit.log lacks 'read' (COPY ... TO is in the read class)",
  );
}

/** Drops what this run created (the temporary table and its policy go with the session) and ends the session. */
async function dropOwn(client: pg.Client, run: Run): Promise<void> {
  const { name } = run;
  try {
    const r = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    if (r.rowCount) {
      await client.query(`DROP ROLE ${name}`);
      run.dropped.push(`role ${name}`);
    }
  } catch (e) {
    run.errors.push(run.scrub(`could not drop role ${name}: ${(e as Error).message}`));
  }
  run.dropped.push(`temporary table ${name} and its policy (with the session)`);
  await client.end().catch(() => undefined);
}

/** A failed login: a role that never exists, with a wrong password. */
async function failedLogin(config: pg.ClientConfig, name: string, nonce: string): Promise<PlannedProbe> {
  const ghost = `${name}_nologin`;
  const badAt = new Date();
  const bad = new pg.Client({ ...config, user: ghost, password: `wrong-${nonce}`, application_name: name });
  bad.on('error', () => undefined);
  let badError: string | null = null;
  try {
    await bad.connect();
    badError = `the login as ${ghost} unexpectedly succeeded`;
  } catch {
    /* expected */
  }
  await bad.end().catch(() => undefined);
  return {
    category: 'authentication',
    name: 'failed login',
    action: `connect as ${ghost} (a role that does not exist) with a wrong password`,
    performed_at: badAt,
    error: badError,
    matches: (e) => e.category === 'authentication' && e.outcome === 'failure' && has(e, ghost),
    likely_setting:
      'log_connections = off, or failed logins are logged to a file the source does not read (FATAL lines go to the server log)',
  };
}

/**
 * Performs one SQL statement as the probe of a category and records it (a failure is recorded
 * with the probe, scrubbed): the PostgreSQL and MySQL probes share it.
 */
export async function sqlStep(
  query: (sql: string) => Promise<unknown>,
  run: PlanRun & { scrub: (m: string) => string },
  category: PlannedProbe['category'],
  label: string,
  sql: string,
  matches: (e: AuditEvent) => boolean,
  likely: string,
): Promise<void> {
  const at = new Date();
  try {
    await query(sql);
    run.planned.push({ category, name: label, action: sql, performed_at: at, matches, likely_setting: likely });
  } catch (e) {
    run.planned.push({
      category,
      name: label,
      action: sql,
      performed_at: at,
      error: run.scrub((e as Error).message),
      matches,
      likely_setting: likely,
    });
  }
}
