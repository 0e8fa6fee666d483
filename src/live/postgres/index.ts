// Live source `postgres`: reads the server's own log files over SQL (no file shipping), records the
// logging settings and the admin roster, and normalizes the log through the pgaudit adapter, the
// same code that reads log files given on the command line.
// Functions used: https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-ADMIN-GENFILE
import pg from 'pg';
import type { LiveSourceOpener, SourceConfig } from '../../collect/source.js';
import type { Outcome } from '../../pipeline/types.js';
import { openStream } from '../../pipeline/input.js';
import { normalizeOne } from '../../pipeline/run.js';
import { findAdapter } from '../../sources/registry.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { withRoster } from '../roster.js';
import { asOwnSession, isPgOwnSession, COLLECTOR_APPLICATION, OWN_SESSION, type PgSession } from '../own-session.js';
import { pgConnection, type PostgresSourceConfig } from './connection.js';
import { collectorOff, readSettings, settingWarnings } from './settings.js';
import { postgresRetention } from '../../retention/postgres.js';
import { readRoster } from './roster.js';
import { chooseFormat, filesForWindow, listLogFiles, readLogFile } from './log-files.js';

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
  const c = cfg as unknown as PostgresSourceConfig;
  const res = new LiveResult();
  const progress = new ProgressLine(c.name, ctx.progress);
  res.how = 'PostgreSQL server log files read over SQL';

  async function* run(): AsyncGenerator<Outcome> {
    let conn;
    try {
      conn = pgConnection(c);
    } catch (e) {
      res.fail((e as Error).message);
      return;
    }
    const scrub = (m: string) => conn.scrubber.scrub(m);
    const client = new pg.Client(conn.config);
    // A server that goes away between queries makes the client emit 'error'; without a listener
    // that would crash the process instead of failing the next query.
    client.on('error', () => {
      /* the pending or next query fails and is reported */
    });
    let connected = false;
    let role = conn.user;
    let ownSession: PgSession | null = null;
    try {
      progress.update(`connecting to ${conn.display}`, true);
      await client.connect();
      connected = true;
      const me = (
        await client.query(`SELECT current_user AS u, pg_backend_pid()::text AS pid,
          to_hex(trunc(extract(epoch FROM backend_start))::bigint) || '.' || to_hex(pid) AS session_id, backend_start AS since
        FROM pg_stat_activity WHERE pid = pg_backend_pid()`)
      ).rows[0];
      role = String(me.u);
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
      ownSession = own;
      res.retention = postgresRetention(settings, `pg_settings on ${conn.display}`, null);
      if (collectorOff(settings)) {
        res.fail(
          `logging_collector is off on ${conn.display}: the server writes its log to stderr (for example /var/log/postgresql), which SQL cannot read; collect those files with a file source (type: files, format: pgaudit) instead`,
        );
        return;
      }
      const priv = (
        await client.query(`SELECT pg_has_role(current_user, 'pg_monitor', 'MEMBER') AS monitor,
          has_function_privilege('pg_read_binary_file(text,bigint,bigint,boolean)', 'EXECUTE') AS readfile,
          has_function_privilege('pg_stat_file(text,boolean)', 'EXECUTE') AS statfile,
          has_function_privilege('pg_current_logfile(text)', 'EXECUTE') AS curfile`)
      ).rows[0];
      if (!priv.monitor || !priv.readfile || !priv.statfile || !priv.curfile) throw new PrivilegeError('precheck');
      res.roster = await readRoster(client, `live:${c.name}`, c.name);
      const files = await listLogFiles(client);
      const oldest = [...files].sort((a, b) => a.modification.getTime() - b.modification.getTime())[0] ?? null;
      res.retention = postgresRetention(settings, `pg_settings and pg_ls_logdir() on ${conn.display}`, oldest);
      const format = chooseFormat(files, c.log_format ?? 'auto');
      for (const w of settingWarnings(settings, format)) res.warn(w);
      const logDir = String(settings.log_directory ?? 'log').replace(/\/+$/, '');
      if (format === null) {
        res.how = `pg_ls_logdir() on ${conn.display} as ${role}: no ${c.log_format && c.log_format !== 'auto' ? c.log_format + ' ' : ''}log files in ${logDir}`;
        res.done();
        return;
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
      const adapter = findAdapter('pgaudit');
      if (!adapter) throw new Error('the pgaudit adapter is not registered');
      for (const [i, f] of chosen.entries()) {
        const path = `${logDir}/${f.name}`;
        res.position = `file ${path} at byte 0`;
        const st = (await client.query('SELECT size FROM pg_stat_file($1, true) AS s', [path])).rows[0];
        if (!st || st.size === null) {
          res.warn(`log file ${path} was removed (rotated away) before it could be read`);
          continue;
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
          summary,
        );
        for await (let o of outcomes) {
          if (o.kind === 'event' && ownSession && isPgOwnSession(o.event, ownSession)) o = asOwnSession(o);
          res.count(o);
          o = withRoster(o, res.roster);
          if (res.records % 500 === 0)
            progress.update(`file ${i + 1}/${chosen.length} ${f.name}: ${res.records} records`);
          yield o;
          if (ctx.signal?.aborted) {
            res.fail('the pull was interrupted');
            return;
          }
        }
      }
      res.position = null;
      progress.update(`done: ${res.records} records from ${chosen.length} file(s)`, true);
      res.done();
    } catch (e) {
      const err = e as Error & { code?: string };
      if (e instanceof PrivilegeError || err.code === '42501') {
        res.fail(
          `the role ${role} may not read the server's log files over SQL; as a superuser run: ${privilegeAdvice(role)}`,
        );
      } else {
        const where = connected ? '' : ` connecting to ${conn.display}`;
        res.fail(scrub(`PostgreSQL pull failed${where}: ${err.message}`));
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  return { outcomes: run(), result: () => res.result() };
};
