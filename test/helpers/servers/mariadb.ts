// A throwaway MariaDB with the server_audit plugin for tests. install-db runs WITHOUT the audit
// options (the bootstrap would write thousands of events), then mariadbd starts with server_audit
// FORCE_PLUS_PERMANENT, CONNECT,QUERY,TABLE, file output in the temp dir. root is socket-only, so a
// password account `admin` is created for TCP clients (mysql2). Recipe in the design notes
// (live-testing.md, not read at test time).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import mysql from 'mysql2/promise';
import { freePort } from './free-port.js';
import { haltOnce } from './halt.js';
import { checkFiles, type Availability } from './availability.js';

const MARIADBD = '/usr/sbin/mariadbd';
const INSTALL_DB = '/usr/bin/mariadb-install-db';
const AUDIT_PLUGIN = '/usr/lib/mysql/plugin/server_audit.so';

export function mariadbAvailability(): Availability {
  return checkFiles('MariaDB', [MARIADBD, INSTALL_DB, AUDIT_PLUGIN]);
}

export const ADMIN_PASSWORD = 'Adm1n-pw-for-tests';

export interface MariaServer {
  port: number;
  dir: string;
  socket: string;
  auditFile: string;
  /** Connection options for the `admin` account over TCP. */
  admin(): mysql.ConnectionOptions;
  /** Runs statements as root over the socket (one connection). */
  sql(statements: string[]): Promise<unknown[]>;
  halt(): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export async function startMariaDB(): Promise<MariaServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ae-maria-'));
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const auditFile = join(dir, 'server_audit.log');
  const files = join(dir, 'files');
  mkdirSync(files);
  let child: ChildProcess | undefined;
  try {
    const port = await freePort();
    const root = process.getuid?.() === 0;
    const cnf = join(dir, 'my.cnf');
    writeFileSync(
      cnf,
      [
        '[mariadbd]',
        ...(root ? ['user=root'] : []),
        `datadir=${datadir}`,
        `socket=${socket}`,
        `port=${port}`,
        `pid-file=${join(dir, 'mariadbd.pid')}`,
        `log-error=${join(dir, 'error.log')}`,
        'bind-address=127.0.0.1',
        'skip-name-resolve',
        'skip-log-bin',
        `secure-file-priv=${files}`,
        'innodb_buffer_pool_size=16M',
        'innodb_log_file_size=8M',
        'performance_schema=OFF',
        '',
      ].join('\n'),
    );
    const init = spawnSync(
      INSTALL_DB,
      [`--defaults-file=${cnf}`, '--auth-root-authentication-method=socket', '--skip-test-db'],
      { encoding: 'utf8', cwd: dir },
    );
    if (init.status !== 0)
      throw new Error(
        `mariadb-install-db failed: ${(init.stderr || init.stdout || String(init.error)).trim().slice(-500)}`,
      );
    let stderr = '';
    child = spawn(
      MARIADBD,
      [
        `--defaults-file=${cnf}`,
        '--plugin-load-add=server_audit',
        '--server-audit=FORCE_PLUS_PERMANENT',
        '--server-audit-logging=ON',
        '--server-audit-events=CONNECT,QUERY,TABLE',
        '--server-audit-output-type=file',
        `--server-audit-file-path=${auditFile}`,
      ],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    live.add(child);
    const c = child;
    c.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 20_000) stderr += b.toString();
    });
    c.once('exit', () => live.delete(c));
    const viaSocket = async () =>
      mysql.createConnection({ socketPath: socket, user: 'root', multipleStatements: false });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null)
        throw new Error(`mariadbd exited during start: ${stderr.trim().slice(-800)}`);
      try {
        const conn = await viaSocket();
        await conn.end();
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`mariadbd did not answer in 30 s: ${stderr.trim().slice(-800)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const sql = async (statements: string[]) => {
      const conn = await viaSocket();
      try {
        const out: unknown[] = [];
        for (const s of statements) out.push((await conn.query(s))[0]);
        return out;
      } finally {
        await conn.end();
      }
    };
    await sql([
      `CREATE USER admin@'127.0.0.1' IDENTIFIED BY '${ADMIN_PASSWORD}'`,
      `GRANT ALL ON *.* TO admin@'127.0.0.1' WITH GRANT OPTION`,
    ]);
    const halt = haltOnce(c, 'SIGTERM');
    return {
      port,
      dir,
      socket,
      auditFile,
      sql,
      halt,
      admin: () => ({ host: '127.0.0.1', port, user: 'admin', password: ADMIN_PASSWORD }),
      async stop() {
        await halt();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
