// A throwaway PostgreSQL 15 with pgaudit for tests: its own temp dir (owned by the `postgres`
// system user when we are root, since the server refuses to run as root), a free port, its own
// socket dir, the `postgres` binary spawned directly as our child (pg_ctl's daemon lingers), ready
// when postmaster.pid line 8 says so, stopped with SIGINT (fast shutdown). Logs go to
// stderr, csvlog and jsonlog files through the logging collector, which the live source reads
// back over SQL. Recipe: ../../../../shared/design/live-testing.md (not read at test time).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import pg from 'pg';
import { freePort } from './free-port.js';
import { haltOnce } from './halt.js';
import { checkFiles, type Availability } from './availability.js';

const BIN = '/usr/lib/postgresql/15/bin';
const PGAUDIT = '/usr/lib/postgresql/15/lib/pgaudit.so';

export function postgresAvailability(): Availability {
  return checkFiles('PostgreSQL', [join(BIN, 'postgres'), join(BIN, 'initdb'), PGAUDIT]);
}

export interface PgServer {
  port: number;
  dir: string;
  /** Connection settings for the bootstrap superuser `postgres` over TCP (trust). */
  superuser(database?: string): pg.ClientConfig;
  /** Runs SQL as the superuser in a fresh connection. */
  sql(text: string, database?: string): Promise<pg.QueryResult>;
  /** Stops the server (fast shutdown) and waits for it; does not remove the dir. */
  halt(): Promise<void>;
  /** Stops the server and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

interface Ids {
  uid: number;
  gid: number;
}

function postgresIds(): Ids | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root but there is no postgres system user to run the server as');
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

function chownTree(p: string, ids: Ids): void {
  chownSync(p, ids.uid, ids.gid);
  if (statSync(p).isDirectory()) for (const e of readdirSync(p)) chownTree(join(p, e), ids);
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export interface PgOptions {
  /** Extra postgresql.conf lines. */
  conf?: string[];
}

export async function startPostgres(opts: PgOptions = {}): Promise<PgServer> {
  const ids = postgresIds();
  const dir = mkdtempSync(join(tmpdir(), 'ae-pg-'));
  const data = join(dir, 'data');
  const sock = join(dir, 'sock');
  let child: ChildProcess | undefined;
  const cleanup = () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    spawnSync('mkdir', ['-p', sock]);
    if (ids) chownTree(dir, ids);
    const asPg = ids ? { uid: ids.uid, gid: ids.gid } : {};
    const init = spawnSync(
      join(BIN, 'initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...asPg, cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' } },
    );
    if (init.status !== 0)
      throw new Error(`initdb failed: ${(init.stderr || init.stdout || String(init.error)).trim().slice(-500)}`);
    const port = await freePort();
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        '',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${sock}'`,
        "shared_preload_libraries = 'pgaudit'",
        "pgaudit.log = 'role,ddl,write,misc_set,read'",
        'pgaudit.log_catalog = off',
        'pgaudit.log_parameter = off',
        'log_connections = on',
        'log_disconnections = on',
        "log_destination = 'stderr,csvlog,jsonlog'",
        'logging_collector = on',
        "log_directory = 'log'",
        "log_line_prefix = '%m [%p] %q%u@%d '",
        "log_timezone = 'UTC'",
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'shared_buffers = 16MB',
        'max_connections = 30',
        ...(opts.conf ?? []),
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(data, 'pg_hba.conf'),
      [
        'local all all trust',
        // Password accounts first: first match wins, so these are checked before the trust line.
        'host all alice 127.0.0.1/32 scram-sha-256',
        'host all auditreader 127.0.0.1/32 scram-sha-256',
        'host all all 127.0.0.1/32 trust',
        '',
      ].join('\n'),
    );
    if (ids) chownTree(data, ids);
    let stderr = '';
    child = spawn(join(BIN, 'postgres'), ['-D', data], {
      ...asPg,
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
    });
    live.add(child);
    const c = child;
    c.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 20_000) stderr += b.toString();
    });
    c.once('exit', () => live.delete(c));
    await waitReady(join(data, 'postmaster.pid'), c, () => stderr);
    const halt = haltOnce(c, 'SIGINT');
    const superuser = (database = 'postgres'): pg.ClientConfig => ({
      host: '127.0.0.1',
      port,
      user: 'postgres',
      database,
    });
    return {
      port,
      dir,
      superuser,
      halt,
      async sql(text, database) {
        const client = new pg.Client(superuser(database));
        await client.connect();
        try {
          return await client.query(text);
        } finally {
          await client.end();
        }
      },
      async stop() {
        await halt();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}

async function waitReady(pidFile: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`postgres exited during start: ${stderr().trim().slice(-800)}`);
    try {
      const lines = readFileSync(pidFile, 'utf8').split('\n');
      if (lines[7]?.trim() === 'ready') return;
    } catch {
      /* not written yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`postgres did not become ready in 30 s: ${stderr().trim().slice(-800)}`);
}
