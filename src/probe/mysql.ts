// The MariaDB / MySQL probe: as the dedicated probe login, one harmless action per category the
// server can log, each carrying the nonce:
//   authentication     connect as the probe login, and a login as ae_probe_<nonce>_nologin (an
//                      account that never exists) with a wrong password (a failed login)
//   permission_change  CREATE USER 'ae_probe_<nonce>'@'localhost' ACCOUNT LOCK; GRANT USAGE; DROP USER
//   change_execution   CREATE TEMPORARY TABLE ae_probe_<nonce> in the source's database (dropped
//                      with the session), or, without a database, DO 'ae_probe_<nonce>'
// Not probed: policy_change (SET GLOBAL changes the server for everyone; SET SESSION is not a
// policy change), data_exposure (INTO OUTFILE needs the FILE privilege and writes a file on the
// server), access_request (the server has none). Accounts named ae_probe_<hex> left by a crashed
// run are dropped at the start.
import mysql from 'mysql2/promise';
import type { AuditEvent } from '../event/types.generated.js';
import { mysqlConnection, type MysqlSourceConfig } from '../live/mysql/connection.js';
import { PROBE_PREFIX, type PlannedProbe, type ProbeConfig } from './types.js';
import { type PlanRun, sqlStep } from './postgres.js';

const has = (e: AuditEvent, s: string) => JSON.stringify(e).includes(s);

export async function probeMysql(
  src: MysqlSourceConfig,
  probe: ProbeConfig & { user: string },
  nonce: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PlanRun> {
  const name = `${PROBE_PREFIX}${nonce}`;
  const conn = mysqlConnection({ ...src, user: probe.user, password_env: probe.password_env }, env);
  const scrub = (m: string) => conn.scrubber.scrub(m);
  const run: Run = { planned: [], dropped: [], leftovers: [], errors: [], scrub, name };
  // server_audit writes whole seconds: an event of the probe's login is at or after the second it began.
  const since = (d: Date) => (e: AuditEvent) =>
    !!e.timestamp && Date.parse(e.timestamp) >= Math.floor(d.getTime() / 1000) * 1000 - 1000;

  const loginAt = new Date();
  let c: mysql.Connection;
  try {
    c = await mysql.createConnection({ ...conn.options, multipleStatements: false });
  } catch (e) {
    throw new Error(scrub(`the probe could not log in as ${probe.user} to ${conn.display}: ${(e as Error).message}`));
  }
  run.planned.push({
    category: 'authentication',
    name: 'login',
    action: `connect as ${probe.user}`,
    performed_at: loginAt,
    matches: (e) =>
      e.category === 'authentication' &&
      e.action.name === 'login' &&
      e.outcome !== 'failure' &&
      e.user.name === probe.user &&
      since(loginAt)(e),
    likely_setting: 'server_audit_events lacks CONNECT (or the audit_log filter does not log the connection class)',
  });
  await dropLeftovers(c, run);
  try {
    await categoryProbes(c, run, !!src.database);
  } finally {
    await dropOwn(c, run, !!src.database);
  }
  run.planned.push(await failedLogin(conn.options, name, nonce));
  const no = (category: PlannedProbe['category'], why: string): PlannedProbe => ({
    category,
    name: category.replace('_', ' '),
    action: null,
    performed_at: null,
    notProbed: why,
    matches: () => false,
    likely_setting: '',
  });
  run.planned.push(
    no(
      'policy_change',
      'no harmless policy change exists: SET GLOBAL changes the server for every session, and SET SESSION is not a policy change',
    ),
  );
  run.planned.push(
    no(
      'data_exposure',
      'SELECT ... INTO OUTFILE needs the FILE privilege and writes a file on the server: not harmless',
    ),
  );
  run.planned.push(no('access_request', 'MySQL and MariaDB have no access-request decisions to perform'));
  const { planned, dropped, leftovers, errors } = run;
  return { planned, dropped, leftovers, errors };
}

/** What one probe run performed and found. */
interface Run extends PlanRun {
  scrub: (m: string) => string;
  /** ae_probe_<nonce>: the account and table the run creates. */
  name: string;
}

/** Performs one statement as a probe of a category (a failure is recorded with the probe). */
function step(
  c: mysql.Connection,
  run: Run,
  category: PlannedProbe['category'],
  label: string,
  sql: string,
  matches: (e: AuditEvent) => boolean,
  likely: string,
): Promise<void> {
  return sqlStep((q) => c.query(q), run, category, label, sql, matches, likely);
}

/** Accounts named ae_probe_<hex> left by a crashed run. */
async function dropLeftovers(c: mysql.Connection, run: Run): Promise<void> {
  try {
    const [old] = (await c.query(
      "SELECT User, Host FROM mysql.user WHERE User RLIKE '^ae_probe_[0-9a-f]{8,32}$' AND User <> ?",
      [run.name],
    )) as [Array<{ User: string; Host: string }>, unknown];
    for (const r of old) {
      try {
        await c.query('DROP USER ?@?', [r.User, r.Host]);
        run.leftovers.push(`user '${r.User}'@'${r.Host}'`);
      } catch (e) {
        run.errors.push(run.scrub(`could not drop leftover user ${r.User}: ${(e as Error).message}`));
      }
    }
  } catch (e) {
    run.errors.push(run.scrub(`could not look for leftovers (SELECT on mysql.user): ${(e as Error).message}`));
  }
}

/** One harmless statement per category the server can log, each naming the nonce. */
async function categoryProbes(c: mysql.Connection, run: Run, database: boolean): Promise<void> {
  const { name, planned, errors, scrub } = run;
  const inQuery = (cat: string) => (e: AuditEvent) => e.category === cat && has(e, name);
  await step(
    c,
    run,
    'permission_change',
    'create user, grant usage, drop user',
    `CREATE USER '${name}'@'localhost' ACCOUNT LOCK`,
    inQuery('permission_change'),
    'server_audit_events lacks QUERY or QUERY_DCL (CREATE USER, GRANT and DROP USER are logged as queries)',
  );
  if (!planned[planned.length - 1]!.error) {
    await c
      .query(`GRANT USAGE ON *.* TO '${name}'@'localhost'`)
      .catch((e) => errors.push(scrub(`GRANT USAGE: ${(e as Error).message}`)));
  }
  if (database) {
    await step(
      c,
      run,
      'change_execution',
      'temporary table',
      `CREATE TEMPORARY TABLE ${name} (x INT)`,
      inQuery('change_execution'),
      'server_audit_events lacks QUERY or QUERY_DDL',
    );
  } else {
    await step(
      c,
      run,
      'change_execution',
      'statement',
      `DO '${name}'`,
      inQuery('change_execution'),
      'server_audit_events lacks QUERY',
    );
  }
}

/** Drops the account this run created (its temporary table goes with the session) and ends the session. */
async function dropOwn(c: mysql.Connection, run: Run, database: boolean): Promise<void> {
  const { name } = run;
  try {
    const [r] = (await c.query('SELECT 1 FROM mysql.user WHERE User = ?', [name])) as [unknown[], unknown];
    if (r.length) {
      await c.query(`DROP USER '${name}'@'localhost'`);
      run.dropped.push(`user '${name}'@'localhost'`);
    }
  } catch (e) {
    try {
      await c.query(`DROP USER IF EXISTS '${name}'@'localhost'`);
      run.dropped.push(`user '${name}'@'localhost'`);
    } catch {
      run.errors.push(run.scrub(`could not drop user ${name}: ${(e as Error).message}`));
    }
  }
  if (database) run.dropped.push(`temporary table ${name} (with the session)`);
  await c.end().catch(() => undefined);
}

/** A failed login: an account that never exists, with a wrong password. */
async function failedLogin(options: mysql.ConnectionOptions, name: string, nonce: string): Promise<PlannedProbe> {
  const ghost = `${name}_nologin`;
  const badAt = new Date();
  let badError: string | null = null;
  try {
    const b = await mysql.createConnection({ ...options, user: ghost, password: `wrong-${nonce}` });
    await b.end();
    badError = `the login as ${ghost} unexpectedly succeeded`;
  } catch {
    /* expected */
  }
  return {
    category: 'authentication',
    name: 'failed login',
    action: `connect as ${ghost} (an account that does not exist) with a wrong password`,
    performed_at: badAt,
    error: badError,
    matches: (e) => e.category === 'authentication' && e.outcome === 'failure' && has(e, ghost),
    likely_setting: 'server_audit_events lacks CONNECT (failed connects are CONNECT events)',
  };
}
