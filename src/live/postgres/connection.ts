// Connection settings for the PostgreSQL live source: a URL (`url`), or separate fields, with the
// standard libpq environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) filling
// what the config leaves out (node-postgres reads them itself). The password is never part of the
// config file: give it in the URL's environment (`url_env`), in `password_env`, or in PGPASSWORD.
import type pg from 'pg';
import { Scrubber, urlWithoutPassword } from '../secrets.js';
import { COLLECTOR_APPLICATION } from '../own-session.js';

export interface PostgresSourceConfig {
  name: string;
  type: 'postgres';
  /** postgres://user@host:port/db (a password here is accepted but discouraged). */
  url?: string;
  /** Name of an environment variable that holds the connection URL. */
  url_env?: string;
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  /** Name of an environment variable that holds the password. */
  password_env?: string;
  /** Which log files to read: auto (jsonlog, then csvlog, then stderr), or one of them. */
  log_format?: 'auto' | 'jsonlog' | 'csvlog' | 'stderr';
  /** Seconds to wait for the connection. */
  connect_timeout?: number;
}

export interface PgConnection {
  config: pg.ClientConfig;
  /** postgresql://user@host:port/db without any password. */
  display: string;
  scrubber: Scrubber;
  user: string;
}

export function pgConnection(cfg: PostgresSourceConfig, env: NodeJS.ProcessEnv = process.env): PgConnection {
  const url = cfg.url ?? (cfg.url_env ? env[cfg.url_env] : undefined);
  if (cfg.url_env && !url) throw new Error(`environment variable ${cfg.url_env} (url_env) is not set`);
  const password = cfg.password_env ? env[cfg.password_env] : undefined;
  if (cfg.password_env && password === undefined)
    throw new Error(`environment variable ${cfg.password_env} (password_env) is not set`);
  let urlPassword: string | undefined;
  if (url) {
    try {
      urlPassword = decodeURIComponent(new URL(url).password) || undefined;
    } catch {
      /* reported by pg */
    }
  }
  const config: pg.ClientConfig = {
    ...(url ? { connectionString: url } : {}),
    ...(cfg.host !== undefined ? { host: cfg.host } : {}),
    ...(cfg.port !== undefined ? { port: cfg.port } : {}),
    ...(cfg.user !== undefined ? { user: cfg.user } : {}),
    ...(cfg.database !== undefined ? { database: cfg.database } : {}),
    ...(password !== undefined ? { password } : {}),
    application_name: COLLECTOR_APPLICATION,
    connectionTimeoutMillis: (cfg.connect_timeout ?? 15) * 1000,
  };
  let user = cfg.user ?? env.PGUSER ?? '';
  let display: string;
  if (url) {
    display = urlWithoutPassword(url);
    try {
      user ||= decodeURIComponent(new URL(url).username);
    } catch {
      /* keep */
    }
  } else {
    const host = cfg.host ?? env.PGHOST ?? 'localhost';
    const port = cfg.port ?? (env.PGPORT ? Number(env.PGPORT) : 5432);
    display = `postgresql://${encodeURIComponent(user || '(PGUSER)')}@${host}:${port}/${encodeURIComponent(cfg.database ?? env.PGDATABASE ?? user)}`;
  }
  const scrubber = new Scrubber([password, urlPassword, env.PGPASSWORD]);
  return { config, display: scrubber.scrub(display), scrubber, user: user || '(the connecting role)' };
}
