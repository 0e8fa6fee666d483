// Finding and reading the server's log files over SQL: pg_ls_logdir() lists them, pg_stat_file
// checks each before reading, and pg_read_binary_file(path, offset, length, missing_ok) streams it
// in 1 MiB chunks, so a large log is never held in memory.
// https://www.postgresql.org/docs/15/functions-admin.html#FUNCTIONS-ADMIN-GENFILE
import type pg from 'pg';
import { isValidZone, parseZonedLocal } from '../../event/time.js';

export type LogFormat = 'jsonlog' | 'csvlog' | 'stderr';

export interface LogFile {
  name: string;
  size: number;
  modification: Date;
  format: LogFormat;
}

export const CHUNK = 1024 * 1024;

export function formatOf(name: string): LogFormat {
  if (name.endsWith('.json')) return 'jsonlog';
  if (name.endsWith('.csv')) return 'csvlog';
  return 'stderr';
}

export async function listLogFiles(client: pg.Client): Promise<LogFile[]> {
  const r = await client.query<{ name: string; size: string; modification: Date }>(
    'SELECT name, size, modification FROM pg_ls_logdir()',
  );
  return r.rows.map((x) => ({
    name: x.name,
    size: Number(x.size),
    modification: x.modification,
    format: formatOf(x.name),
  }));
}

/** The format to read: the configured one, else the first of jsonlog, csvlog, stderr that has files. */
export function chooseFormat(files: LogFile[], wanted: 'auto' | LogFormat): LogFormat | null {
  if (wanted !== 'auto') return files.some((f) => f.format === wanted) ? wanted : null;
  for (const f of ['jsonlog', 'csvlog', 'stderr'] as const) if (files.some((x) => x.format === f)) return f;
  return null;
}

/**
 * When log_filename is built from strftime fields PostgreSQL fills at file creation (%Y %m %d %H %M
 * %S, the default 'postgresql-%Y-%m-%d_%H%M%S.log'), the name says when the file was opened, in
 * log_timezone. Returns that time, or null when the name cannot tell.
 */
export function nameTime(name: string, logFilename: string | null, zone: string | null): Date | null {
  if (!logFilename || !zone || !isValidZone(zone)) return null;
  const fields: string[] = [];
  let re = '';
  for (let i = 0; i < logFilename.length; i++) {
    const ch = logFilename[i];
    if (ch === '%' && i + 1 < logFilename.length) {
      const f = logFilename[++i];
      if (f === '%') {
        re += '%';
        continue;
      }
      if (!'YmdHMS'.includes(f)) return null;
      fields.push(f);
      re += f === 'Y' ? '(\\d{4})' : '(\\d{2})';
    } else re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  if (!fields.includes('Y') || !fields.includes('m') || !fields.includes('d')) return null;
  // The same name is written with .csv / .json in place of a .log suffix.
  const base = name.replace(/\.(csv|json)$/, '');
  const m = new RegExp(`^${re.replace(/\\\.log$/, '')}(?:\\.log)?$`).exec(base);
  if (!m) return null;
  const v: Record<string, number> = { Y: 0, m: 1, d: 1, H: 0, M: 0, S: 0 };
  fields.forEach((f, i) => {
    v[f] = Number(m[i + 1]);
  });
  return parseZonedLocal(v.Y, v.m, v.d, v.H, v.M, v.S, 0, zone);
}

/**
 * The files of one format that may hold records in [since, until): ordered by modification time
 * then name, a file holds records written from when it was opened (the time in its name when
 * log_filename gives one, else the previous file's last write) up to its own modification time.
 * One second of slack covers the whole-second resolution of both.
 */
export function filesForWindow(
  files: LogFile[],
  format: LogFormat,
  since: Date,
  until: Date,
  logFilename: string | null = null,
  zone: string | null = null,
): LogFile[] {
  const same = files
    .filter((f) => f.format === format)
    .sort(
      (a, b) => a.modification.getTime() - b.modification.getTime() || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
  const out: LogFile[] = [];
  let prevEnd = -Infinity;
  for (const f of same) {
    const opened = nameTime(f.name, logFilename, zone);
    const start = opened ? opened.getTime() - 1000 : prevEnd;
    const end = f.modification.getTime() + 1000;
    if (end >= since.getTime() && start < until.getTime()) out.push(f);
    prevEnd = f.modification.getTime() - 1000;
  }
  return out;
}

/** Streams one log file in chunks; `onChunk` hears of each chunk's end offset (the position reached). */
export async function* readLogFile(
  client: pg.Client,
  path: string,
  onChunk: (offset: number) => void,
  chunk = CHUNK,
): AsyncGenerator<Buffer> {
  let offset = 0;
  for (;;) {
    const r = await client.query<{ data: Buffer | null }>('SELECT pg_read_binary_file($1, $2, $3, true) AS data', [
      path,
      offset,
      chunk,
    ]);
    const data = r.rows[0]?.data ?? null;
    if (data === null) return; // removed (rotated away) since it was listed
    if (data.length > 0) {
      offset += data.length;
      onChunk(offset);
      yield data;
    }
    if (data.length < chunk) return;
  }
}
