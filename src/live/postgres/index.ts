// Live source `postgres`: reads the server's own log files over SQL (no file shipping), records the
// logging settings and the admin roster, and normalizes the log through the pgaudit adapter, the
// same code that reads log files given on the command line.
// Functions used: https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-ADMIN-GENFILE
import pg from 'pg';
import type { LiveSourceOpener, SourceConfig, SourceRunContext } from '../../collect/source.js';
import type { FormatAdapter, Outcome } from '../../pipeline/types.js';
import { openStream } from '../../pipeline/input.js';
import { normalizeOne, type RunSummary } from '../../pipeline/run.js';
import { catalog, findAdapter } from '../../sources/registry.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { withRoster } from '../roster.js';
import { asOwnSession, isPgOwnSession, COLLECTOR_APPLICATION, OWN_SESSION, type PgSession } from '../own-session.js';
import { pgConnection, type PgConnection, type PostgresSourceConfig } from './connection.js';
import { collectorOff, readSettings, settingWarnings, type PgSettings } from './settings.js';
import { postgresRetention } from '../../retention/postgres.js';
import { readRoster } from './roster.js';
import { chooseFormat, filesForWindow, listLogFiles, readLogFile, type LogFile, type LogFormat } from './log-files.js';

export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** The exact GRANTs a log-reading role needs (least privilege), for the error message. */
export function privilegeAdvice(role: string): string {
  const r = quoteIdent(role);
  return `GRANT pg_monitor TO ${r}; GRANT EXECUTE ON FUNCTION pg_read_binary_file(text,bigint,bigint,boolean), pg_stat_file(text,boolean), pg_current_logfile(text) TO ${r};`;
}

class PrivilegeError extends Error {}

export const openPostgres: LiveSourceOpener = (cfg: SourceConfig, ctx, summary) => {
  const pull = new PostgresPull(cfg as unknown as PostgresSourceConfig, ctx, summary);
  return { outcomes: pull.run(), result: () => pull.res.result() };
};

/** The log files to read: their format, folder and names. */
interface Plan {
  format: LogFormat;
  logDir: string;
  chosen: LogFile[];
}

/** One pull: connect, learn the session, settings and privileges, choose the log files, read each. */
class PostgresPull {
  readonly res = new LiveResult();
  private readonly progress: ProgressLine;
  private role = '';
  private ownSession: PgSession | null = null;

  constructor(
    private readonly c: PostgresSourceConfig,
    private readonly ctx: SourceRunContext,
    private readonly summary: RunSummary,
  ) {
    this.progress = new ProgressLine(c.name, ctx.progress);
    this.res.how = 'PostgreSQL server log files read over SQL';
  }

  async *run(): AsyncGenerator<Outcome> {
    const { res } = this;
    let conn: PgConnection;
    try {
      conn = pgConnection(this.c);
    } catch (e) {
      res.fail((e as Error).message);
      return;
    }
    const client = new pg.Client(conn.config);
    // A server that goes away between queries makes the client emit 'error'; without a listener
    // that would crash the process instead of failing the next query.
    client.on('error', () => {
      /* the pending or next query fails and is reported */
    });
    let connected = false;
    this.role = conn.user;
    try {
      this.progress.update(`connecting to ${conn.display}`, true);
      await client.connect();
      connected = true;
      const settings = await this.openSession(client, conn);
      if (!settings) return;
      await this.checkPrivileges(client);
      res.roster = await readRoster(client, `live:${this.c.name}`, this.c.name);
      const plan = await this.plan(client, conn, settings);
      if (!plan) return;
      const adapter = findAdapter('pgaudit');
      if (!adapter) throw new Error('the pgaudit adapter is not registered');
      for (let i = 0; i < plan.chosen.length; i++)
        if (!(yield* this.readFile(client, adapter, settings, plan, i))) return;
      res.position = null;
      this.progress.update(`done: ${res.records} records from ${plan.chosen.length} file(s)`, true);
      res.done();
    } catch (e) {
      const err = e as Error & { code?: string };
      if (e instanceof PrivilegeError || err.code === '42501') {
        res.fail(
          `the role ${this.role} may not read the server's log files over SQL; as a superuser run: ${privilegeAdvice(this.role)}`,
        );
      } else {
        const where = connected ? '' : ` connecting to ${conn.display}`;
        res.fail(conn.scrubber.scrub(`PostgreSQL pull failed${where}: ${err.message}`));
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Who this session is (so its own statements are told apart), the logging settings and what they
   * say of retention. Null (the failure said) when the server logs to stderr, out of SQL's reach.
   */
  private async openSession(client: pg.Client, conn: PgConnection): Promise<PgSettings | null> {
    const { res } = this;
    const me = (
      await client.query(`SELECT current_user AS u, pg_backend_pid()::text AS pid,
          to_hex(trunc(extract(epoch FROM backend_start))::bigint) || '.' || to_hex(pid) AS session_id, backend_start AS since
        FROM pg_stat_activity WHERE pid = pg_backend_pid()`)
    ).rows[0];
    const role = String(me.u);
    this.role = role;
    const own: PgSession = {
      role,
      pid: String(me.pid),
      sessionId: String(me.session_id),
      since: new Date(me.since).toISOString(),
    };
    const settings = await readSettings(client);
    res.settings = { connection: conn.display, reading_role: role, ...settings };
    res.settings.collector_session = {
      recognized_by: `this run's session by its session id ${own.sessionId} (or, in logs without a session id, its process id ${own.pid} from ${own.since}); earlier runs' sessions by application_name '${COLLECTOR_APPLICATION}' with the role ${role}, where the log carries the application name (csvlog, jsonlog, or %a in log_line_prefix)`,
      skipped_as: OWN_SESSION,
      application_name: COLLECTOR_APPLICATION,
      role,
      session_id: own.sessionId,
      pid: own.pid,
    };
    this.ownSession = own;
    res.retention = postgresRetention(settings, `pg_settings on ${conn.display}`, null);
    if (!collectorOff(settings)) return settings;
    res.fail(
      `logging_collector is off on ${conn.display}: the server writes its log to stderr (for example /var/log/postgresql), which SQL cannot read; collect those files with a file source (type: files, format: pgaudit) instead`,
    );
    return null;
  }

  /** The role may read the log files over SQL: pg_monitor and the three file functions. */
  private async checkPrivileges(client: pg.Client): Promise<void> {
    const priv = (
      await client.query(`SELECT pg_has_role(current_user, 'pg_monitor', 'MEMBER') AS monitor,
          has_function_privilege('pg_read_binary_file(text,bigint,bigint,boolean)', 'EXECUTE') AS readfile,
          has_function_privilege('pg_stat_file(text,boolean)', 'EXECUTE') AS statfile,
          has_function_privilege('pg_current_logfile(text)', 'EXECUTE') AS curfile`)
    ).rows[0];
    if (!priv.monitor || !priv.readfile || !priv.statfile || !priv.curfile) throw new PrivilegeError('precheck');
  }

  /**
   * The log files that may cover the period, in the format read, with the settings' warnings.
   * Null (the source done, empty) when there is no log file of that format.
   */
  private async plan(client: pg.Client, conn: PgConnection, settings: PgSettings): Promise<Plan | null> {
    const { c, ctx, res } = this;
    const role = this.role;
    const files = await listLogFiles(client);
    const oldest = [...files].sort((a, b) => a.modification.getTime() - b.modification.getTime())[0] ?? null;
    res.retention = postgresRetention(settings, `pg_settings and pg_ls_logdir() on ${conn.display}`, oldest);
    const format = chooseFormat(files, c.log_format ?? 'auto');
    for (const w of settingWarnings(settings, format)) res.warn(w);
    const logDir = String(settings.log_directory ?? 'log').replace(/\/+$/, '');
    if (format === null) {
      res.how = `pg_ls_logdir() on ${conn.display} as ${role}: no ${c.log_format && c.log_format !== 'auto' ? c.log_format + ' ' : ''}log files in ${logDir}`;
      res.done();
      return null;
    }
    const chosen = filesForWindow(files, format, ctx.since, ctx.until, settings.log_filename, settings.log_timezone);
    const current = (await client.query('SELECT pg_current_logfile($1) AS f', [format])).rows[0]?.f ?? null;
    res.settings.current_logfile = current;
    res.settings.log_format_read = format;
    res.settings.log_files_read = chosen.map((f) => `${logDir}/${f.name}`);
    res.how = `SQL on ${conn.display} as ${role}: pg_ls_logdir() found ${files.length} log files; read ${chosen.length} ${format} file(s) that may cover the period (by modification time) with pg_read_binary_file in 1 MiB chunks: ${chosen.map((f) => f.name).join(', ') || 'none'}`;
    if (
      format !== 'jsonlog' &&
      files.some((f) => f.format === 'jsonlog') === false &&
      (settings.log_destination ?? '').includes('jsonlog')
    ) {
      res.warn('log_destination includes jsonlog but no .json files were found; reading ' + format);
    }
    return { format, logDir, chosen };
  }

  /** One log file, read in chunks over SQL, through the pgaudit adapter. False when the pull must stop. */
  private async *readFile(
    client: pg.Client,
    adapter: FormatAdapter,
    settings: PgSettings,
    { format, logDir, chosen }: Plan,
    i: number,
  ): AsyncGenerator<Outcome, boolean> {
    const { c, ctx, res, progress } = this;
    const f = chosen[i]!;
    const path = `${logDir}/${f.name}`;
    res.position = `file ${path} at byte 0`;
    const st = (await client.query('SELECT size FROM pg_stat_file($1, true) AS s', [path])).rows[0];
    if (!st || st.size === null) {
      res.warn(`log file ${path} was removed (rotated away) before it could be read`);
      return true;
    }
    const chunks = readLogFile(client, path, (offset) => {
      res.position = `file ${path} at byte ${offset}`;
      res.touched = true;
      progress.update(
        `file ${i + 1}/${chosen.length} ${f.name}: ${(offset / 1048576).toFixed(1)} MiB, ${res.records} records`,
      );
    });
    const input = await openStream(`${c.name}:${path}`, chunks);
    const outcomes = normalizeOne(
      adapter,
      input,
      {
        adapters: catalog,
        format: 'pgaudit',
        options: {
          instance: c.name,
          logLinePrefix: settings.log_line_prefix ?? undefined,
          timezone: settings.log_timezone ?? undefined,
          variant: format,
        },
        since: ctx.since,
        until: ctx.until,
      },
      this.summary,
    );
    const own = this.ownSession;
    for await (let o of outcomes) {
      if (o.kind === 'event' && own && isPgOwnSession(o.event, own)) o = asOwnSession(o);
      res.count(o);
      o = withRoster(o, res.roster);
      if (res.records % 500 === 0) progress.update(`file ${i + 1}/${chosen.length} ${f.name}: ${res.records} records`);
      yield o;
      if (ctx.signal?.aborted) {
        res.fail('the pull was interrupted');
        return false;
      }
    }
    return true;
  }
}
