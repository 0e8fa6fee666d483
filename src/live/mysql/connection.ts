// Connection settings for the MySQL / MariaDB live source. The password never sits in the config
// file: give it through `password_env` (or in a URL taken from `url_env`).
import type { ConnectionOptions } from 'mysql2/promise';
import { Scrubber, urlWithoutPassword } from '../secrets.js';

export interface MysqlSourceConfig {
  name: string;
  type: 'mysql';
  /** mysql://user@host:port/db */
  url?: string;
  url_env?: string;
  host?: string;
  port?: number;
  user?: string;
  database?: string;
  socket?: string;
  password_env?: string;
  /** auto (from the server's variables), mariadb (server_audit file) or mysql-enterprise (audit_log_read()). */
  flavor?: 'auto' | 'mariadb' | 'mysql-enterprise';
  /** MariaDB: the audit file as this machine sees it; default: Server_audit_current_log / server_audit_file_path + datadir. */
  audit_file?: string;
  /** MariaDB: the zone of server_audit timestamps (server local time); default: the server's system_time_zone. */
  timezone?: string;
  /** MySQL Enterprise: events per audit_log_read() call. */
  max_array_length?: number;
  connect_timeout?: number;
}

export interface MysqlConnection {
  options: ConnectionOptions;
  display: string;
  scrubber: Scrubber;
}

export function mysqlConnection(cfg: MysqlSourceConfig, env: NodeJS.ProcessEnv = process.env): MysqlConnection {
  const url = cfg.url ?? (cfg.url_env ? env[cfg.url_env] : undefined);
  if (cfg.url_env && !url) throw new Error(`environment variable ${cfg.url_env} (url_env) is not set`);
  const password = cfg.password_env ? env[cfg.password_env] : undefined;
  if (cfg.password_env && password === undefined)
    throw new Error(`environment variable ${cfg.password_env} (password_env) is not set`);
  const options: ConnectionOptions = {
    connectTimeout: (cfg.connect_timeout ?? 15) * 1000,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  };
  let urlPassword: string | undefined;
  let display: string;
  if (url) {
    const u = new URL(url);
    urlPassword = decodeURIComponent(u.password) || undefined;
    Object.assign(options, {
      host: u.hostname,
      port: u.port ? Number(u.port) : 3306,
      user: decodeURIComponent(u.username),
      password: urlPassword,
      database: u.pathname.slice(1) || undefined,
    });
    display = urlWithoutPassword(url);
  } else {
    display = cfg.socket
      ? `mysql://${cfg.user ?? ''}@localhost (socket ${cfg.socket})`
      : `mysql://${cfg.user ?? ''}@${cfg.host ?? 'localhost'}:${cfg.port ?? 3306}/${cfg.database ?? ''}`;
  }
  if (cfg.host !== undefined) options.host = cfg.host;
  if (cfg.port !== undefined) options.port = cfg.port;
  if (cfg.user !== undefined) options.user = cfg.user;
  if (cfg.database !== undefined) options.database = cfg.database;
  if (cfg.socket !== undefined) options.socketPath = cfg.socket;
  if (password !== undefined) options.password = password;
  const scrubber = new Scrubber([password, urlPassword]);
  return { options, display: scrubber.scrub(display), scrubber };
}
