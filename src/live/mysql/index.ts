// Live source `mysql`: MySQL and MariaDB over SQL. Records the audit plugin's configuration and
// health and the admin roster from the server; reads the audit records through MySQL Enterprise's
// audit_log_read() or, for MariaDB (whose server_audit plugin cannot be read over SQL), from the
// audit file paired with the connection. Records are normalized by the same adapters that read
// audit files given on the command line.
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import mysql from 'mysql2/promise';
import type { LiveSourceOpener, SourceConfig, SourceRunContext } from '../../collect/source.js';
import type { FormatAdapter, Outcome } from '../../pipeline/types.js';
import { openInput, openStream } from '../../pipeline/input.js';
import { normalizeOne, type RunSummary } from '../../pipeline/run.js';
import { describeLocation } from '../../pipeline/record.js';
import { catalog, findAdapter } from '../../sources/registry.js';
import { isValidZone } from '../../event/time.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { withRoster } from '../roster.js';
import { MysqlOwnSession, OWN_SESSION, SESSION_TAG } from '../own-session.js';
import { mysqlConnection, type MysqlConnection, type MysqlSourceConfig } from './connection.js';
import { enterpriseRetention, mariadbRetention, type AuditFileStat } from '../../retention/mariadb.js';
import { enterpriseStatusWarnings, enterpriseWarnings, mariadbWarnings, type Vars } from './settings.js';
import { readRoster } from './roster.js';
import { readAuditLog } from './audit-log-read.js';

async function vars(conn: mysql.Connection, sql: string): Promise<Vars> {
  const [rows] = await conn.query(sql);
  const out: Vars = {};
  for (const r of rows as Array<{ Variable_name: string; Value: string }>) out[r.Variable_name] = String(r.Value ?? '');
  return out;
}

/** Size and last write of the audit file and each rotated copy that exists. */
async function auditFileStats(path: string, rotations: number): Promise<AuditFileStat[]> {
  const out: AuditFileStat[] = [];
  for (const p of [path, ...Array.from({ length: Math.min(rotations, 999) }, (_, i) => `${path}.${i + 1}`)]) {
    try {
      const st = await stat(p);
      out.push({ path: p, size: st.size, modified: st.mtime });
    } catch {
      /* not there */
    }
  }
  return out;
}

/** The MariaDB audit files to read, oldest first: rotated copies (path.N ... path.1) then the live file. */
export async function mariadbAuditFiles(path: string, rotations: number, since: Date): Promise<string[]> {
  const out: string[] = [];
  for (let i = Math.min(rotations, 999); i >= 1; i--) {
    const p = `${path}.${i}`;
    try {
      const st = await stat(p);
      // A rotated file last written before the period holds nothing in it.
      if (st.mtime.getTime() + 1000 >= since.getTime()) out.push(p);
    } catch {
      /* not there */
    }
  }
  out.push(path);
  return out;
}

export const openMysql: LiveSourceOpener = (cfg: SourceConfig, ctx, summary) => {
  const pull = new MysqlPull(cfg as unknown as MysqlSourceConfig, ctx, summary);
  return { outcomes: pull.run(), result: () => pull.res.result() };
};

/** What the session's first statement says of the server and of the session itself. */
type ServerInfo = Record<string, string>;

/** One pull: connect, learn the server and the flavor, the roster, then the flavor's records. */
class MysqlPull {
  readonly res = new LiveResult();
  private readonly progress: ProgressLine;
  /** Open while the server is talked to (the MariaDB branch closes it before reading the file). */
  private db: mysql.Connection | null = null;

  constructor(
    private readonly c: MysqlSourceConfig,
    private readonly ctx: SourceRunContext,
    private readonly summary: RunSummary,
  ) {
    this.progress = new ProgressLine(c.name, ctx.progress);
    this.res.how = 'MySQL/MariaDB audit records';
  }

  async *run(): AsyncGenerator<Outcome> {
    const { c, res } = this;
    let conn: MysqlConnection;
    try {
      conn = mysqlConnection(c);
    } catch (e) {
      res.fail((e as Error).message);
      return;
    }
    try {
      this.progress.update(`connecting to ${conn.display}`, true);
      const db = await mysql.createConnection(conn.options);
      this.db = db;
      db.on('error', () => {
        /* surfaced by the next query */
      });
      const { info, own } = await this.identify(db);
      const sa = await vars(db, "SHOW GLOBAL VARIABLES LIKE 'server\\_audit%'");
      const al = await vars(db, "SHOW GLOBAL VARIABLES LIKE 'audit\\_log%'");
      const flavor = this.flavorOf(info, sa, al);
      this.describe(conn, info, own, flavor);
      const roster = await readRoster(db, `live:${c.name}`, c.name);
      res.roster = roster.entries;
      if (roster.onlySelf)
        res.warn(
          `the account ${info.me} sees only its own privileges, so the admin roster is incomplete: GRANT SELECT ON mysql.* TO ${info.me}`,
        );
      const read =
        flavor === 'mariadb' ? yield* this.mariadb(db, conn, info, own, sa) : yield* this.enterprise(db, conn, own, al);
      if (!read) return;
      res.position = null;
      this.progress.update(`done: ${res.records} records`, true);
      res.done();
    } catch (e) {
      const err = e as Error & { code?: string; errno?: number };
      const hint =
        err.code === 'ER_SPECIFIC_ACCESS_DENIED_ERROR' ||
        err.code === 'ER_TABLEACCESS_DENIED_ERROR' ||
        err.errno === 1227
          ? ' (the reading account needs: GRANT PROCESS ON *.* TO the account, GRANT SELECT ON mysql.* (for the roster), and for MySQL Enterprise GRANT AUDIT_ADMIN)'
          : '';
      res.fail(conn.scrubber.scrub(`MySQL pull failed: ${err.message}${hint}`));
    } finally {
      await this.db?.end().catch(() => undefined);
    }
  }

  /**
   * The server and this session. The first statement of the session carries the collector's tag,
   * so that this session and the sessions of earlier runs can be told apart from everyone else's
   * in the audit log.
   */
  private async identify(db: mysql.Connection): Promise<{ info: ServerInfo; own: MysqlOwnSession }> {
    const [[info]] =
      (await db.query(`SELECT /* ${SESSION_TAG} */ @@version AS version, @@version_comment AS comment, @@datadir AS datadir,
        @@system_time_zone AS system_tz, @@time_zone AS tz, CURRENT_USER() AS me, USER() AS login, CONNECTION_ID() AS conn_id`)) as unknown as [
        [ServerInfo],
      ];
    const own = new MysqlOwnSession(String(info.conn_id), String(info.login ?? '').replace(/@.*$/, ''));
    return { info, own };
  }

  /** The config's flavor, else the audit plugin loaded, else the version. */
  private flavorOf(info: ServerInfo, sa: Vars, al: Vars): string {
    const { c } = this;
    return c.flavor && c.flavor !== 'auto'
      ? c.flavor
      : Object.keys(sa).length > 0
        ? 'mariadb'
        : Object.keys(al).length > 0
          ? 'mysql-enterprise'
          : /mariadb/i.test(info.version)
            ? 'mariadb'
            : 'mysql-enterprise';
  }

  private describe(conn: MysqlConnection, info: ServerInfo, own: MysqlOwnSession, flavor: string): void {
    const { res } = this;
    res.settings = {
      connection: conn.display,
      reading_account: info.me,
      version: info.version,
      version_comment: info.comment,
      flavor,
      system_time_zone: info.system_tz,
      time_zone: info.tz,
    };
    res.settings.collector_session = {
      recognized_by: `this run's session by its connection id ${own.connectionId}; earlier runs' sessions by the comment /* ${SESSION_TAG} */ in their first statement, as the user ${own.user} (from that statement on, with the login just before it)`,
      skipped_as: OWN_SESSION,
      connection_id: own.connectionId,
      user: own.user,
      tag: SESSION_TAG,
    };
  }

  /**
   * MariaDB: server_audit's settings and health over SQL, then the audit file paired with the
   * connection (and its rotated copies) read here. False when the pull must stop.
   */
  private async *mariadb(
    db: mysql.Connection,
    conn: MysqlConnection,
    info: ServerInfo,
    own: MysqlOwnSession,
    sa: Vars,
  ): AsyncGenerator<Outcome, boolean> {
    const { c, ctx, res } = this;
    const st = await vars(db, "SHOW GLOBAL STATUS LIKE 'server\\_audit%'");
    res.settings.server_audit_variables = sa;
    res.settings.server_audit_status = st;
    for (const w of mariadbWarnings(sa, st)) res.warn(w);
    const named = c.audit_file ?? (st.Server_audit_current_log || sa.server_audit_file_path || 'server_audit.log');
    const path = isAbsolute(named) ? named : join(info.datadir, named);
    res.settings.audit_file = path;
    const zone = this.auditZone(info);
    await db.end().catch(() => undefined);
    this.db = null;
    const files = await mariadbAuditFiles(path, Number(sa.server_audit_file_rotations ?? '0'), ctx.since);
    res.retention = mariadbRetention(
      sa,
      await auditFileStats(path, Number(sa.server_audit_file_rotations ?? '0')),
      `SHOW GLOBAL VARIABLES on ${conn.display} and the audit files at ${path}`,
    );
    res.how = `SQL on ${conn.display} for the server_audit configuration and admin roster; records from the audit file paired with the connection: ${files.join(', ')}`;
    try {
      await stat(path);
    } catch {
      res.fail(
        `cannot read the MariaDB audit file ${path} on this machine: the server writes it on its own host; mount or copy it here and give its path as audit_file in the source's config`,
      );
      return false;
    }
    const adapter = findAdapter('mariadb-audit');
    if (!adapter) throw new Error('the mariadb-audit adapter is not registered');
    for (const f of files) if (!(yield* this.readMariadbFile(adapter, f, zone, own))) return false;
    return true;
  }

  /** The zone of server_audit's local times: the config's, the server's system zone, or collect --timezone. */
  private auditZone(info: ServerInfo): string | undefined {
    const { c, ctx, res } = this;
    const zone = c.timezone ?? (isValidZone(info.system_tz) ? info.system_tz : ctx.timezone);
    if (!zone)
      res.warn(
        `server_audit writes server local time without a zone and the server's system_time_zone ('${info.system_tz}') is not a zone name: set timezone in the source's config`,
      );
    res.settings.timestamp_zone = zone ?? null;
    res.settings.timestamp_zone_from = c.timezone
      ? 'config'
      : zone === info.system_tz
        ? 'server @@system_time_zone'
        : zone
          ? 'collect --timezone'
          : null;
    return zone ?? undefined;
  }

  /** One MariaDB audit file through the mariadb-audit adapter. False when the pull must stop. */
  private async *readMariadbFile(
    adapter: FormatAdapter,
    f: string,
    zone: string | undefined,
    own: MysqlOwnSession,
  ): AsyncGenerator<Outcome, boolean> {
    const { c, ctx, res } = this;
    res.position = `file ${f} at its start`;
    const input = await openInput(f);
    const outcomes = normalizeOne(
      adapter,
      input,
      {
        adapters: catalog,
        format: 'mariadb-audit',
        options: { instance: c.name, timezone: zone },
        since: ctx.since,
        until: ctx.until,
      },
      this.summary,
    );
    for await (let o of own.filter(outcomes)) {
      res.count(o);
      o = withRoster(o, res.roster);
      res.position = `file ${describeLocation(o.raw.location)}`;
      if (res.records % 500 === 0) this.progress.update(`${f}: ${res.records} records`);
      yield o;
      if (ctx.signal?.aborted) {
        res.fail('the pull was interrupted');
        return false;
      }
    }
    return true;
  }

  /** MySQL Enterprise Audit: the plugin's settings and health, then audit_log_read() batches. False when the pull must stop. */
  private async *enterprise(
    db: mysql.Connection,
    conn: MysqlConnection,
    own: MysqlOwnSession,
    al: Vars,
  ): AsyncGenerator<Outcome, boolean> {
    const { c, ctx, res } = this;
    const st = await vars(db, "SHOW GLOBAL STATUS LIKE 'Audit\\_log%'");
    res.settings.audit_log_variables = al;
    res.retention = enterpriseRetention(al, `SHOW GLOBAL VARIABLES on ${conn.display}`);
    res.settings.audit_log_status = st;
    for (const w of [...enterpriseWarnings(al), ...enterpriseStatusWarnings(st)]) res.warn(w);
    if (Object.keys(al).length === 0) {
      res.fail(
        `MySQL Enterprise Audit (the audit_log plugin) is not loaded on ${conn.display}: there is nothing to read`,
      );
      return false;
    }
    const max = c.max_array_length ?? 1000;
    res.how = `SQL on ${conn.display}: audit_log_read() from ${ctx.since.toISOString()} in batches of ${max} events, following bookmarks, up to ${ctx.until.toISOString()}`;
    const adapter = findAdapter('mysql-enterprise-audit');
    if (!adapter) throw new Error('the mysql-enterprise-audit adapter is not registered');
    const call = async (arg: string) => {
      const [rows] = await db.query('SELECT audit_log_read(?) AS r', [arg]);
      const v = (rows as Array<{ r: string | Buffer | null }>)[0]?.r ?? null;
      return v === null ? null : String(v);
    };
    const chunks = readAuditLog(call, ctx.since, ctx.until, max, (bm, batch) => {
      res.touched = true;
      res.position = `audit_log_read() batch ${batch}, bookmark ${bm ? JSON.stringify(bm) : 'none'}`;
      this.progress.update(`batch ${batch}: ${res.records} records`);
    });
    const input = await openStream(`${c.name}:audit_log_read()`, chunks);
    for await (const o of own.filter(
      normalizeOne(
        adapter,
        input,
        {
          adapters: catalog,
          format: 'mysql-enterprise-audit',
          options: { instance: c.name },
          since: ctx.since,
          until: ctx.until,
        },
        this.summary,
      ),
    )) {
      res.count(o);
      yield o;
      if (ctx.signal?.aborted) {
        res.fail('the pull was interrupted');
        return false;
      }
    }
    return true;
  }
}
