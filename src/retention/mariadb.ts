// MariaDB server_audit's own retention. The plugin rotates its file by size: when it passes
// server_audit_file_rotate_size bytes it is renamed to .1 (older copies move up) and only
// server_audit_file_rotations old copies are kept; the oldest is deleted. So the log holds about
// (rotations + 1) x rotate_size bytes, and how many days that is depends on how fast the server
// writes: estimated here from the files on disk (bytes written since the oldest copy was closed).
// https://mariadb.com/kb/en/mariadb-audit-plugin-options-and-system-variables/
import { retention, formatDays, type Retention } from './types.js';

export interface AuditFileStat {
  path: string;
  size: number;
  modified: Date;
}

export function mariadbRetention(
  vars: Record<string, string>,
  files: AuditFileStat[],
  readFrom: string,
  now = new Date(),
): Retention {
  const rotations = Number(vars.server_audit_file_rotations ?? '9');
  const size = Number(vars.server_audit_file_rotate_size ?? '1000000');
  const facts: Record<string, unknown> = {
    server_audit_output_type: vars.server_audit_output_type ?? null,
    server_audit_file_rotations: Number.isFinite(rotations) ? rotations : null,
    server_audit_file_rotate_size: Number.isFinite(size) ? size : null,
    files: files.map((f) => ({ path: f.path, size: f.size, last_written: f.modified.toISOString() })),
  };
  const unknown = (why: string) => retention(null, why, readFrom, facts, { now });
  if (Object.keys(vars).length === 0)
    return unknown('the server_audit plugin is not loaded: the server keeps no audit log');
  if ((vars.server_audit_output_type ?? 'file').toLowerCase() === 'syslog')
    return unknown(
      'server_audit_output_type is syslog: the system log decides how long the records are kept, which the server cannot tell',
    );
  if (!Number.isFinite(rotations) || !Number.isFinite(size) || size <= 0)
    return unknown('server_audit_file_rotations or server_audit_file_rotate_size could not be read');
  if (rotations === 0)
    return unknown(
      'server_audit_file_rotations is 0: the file is never rotated and grows without limit; how long it is kept depends on what removes it, which the server cannot tell',
    );
  const capacity = (rotations + 1) * size;
  facts.capacity_bytes = capacity;
  const rotated = files
    .filter((f) => /\.\d+$/.test(f.path))
    .sort((a, b) => a.modified.getTime() - b.modified.getTime());
  if (rotated.length === 0) {
    return unknown(
      `the log keeps at most ${rotations + 1} files of ${size} bytes (${capacity} bytes) but has not rotated yet, so how many days that is cannot be estimated`,
    );
  }
  // Bytes written since the oldest rotated copy was closed, over that time: the write rate.
  const oldest = rotated[0]!;
  const since = now.getTime() - oldest.modified.getTime();
  const written = files.filter((f) => f !== oldest).reduce((a, f) => a + f.size, 0);
  if (since <= 0 || written <= 0)
    return unknown(
      `the log keeps at most ${capacity} bytes; the files on disk do not show a write rate to turn that into days`,
    );
  const perDay = written / (since / 86_400_000);
  const days = capacity / perDay;
  facts.bytes_per_day = Math.round(perDay);
  return retention(
    days,
    `size-based rotation keeps ${rotations + 1} files of ${size} bytes (${capacity} bytes); at the rate written since ${oldest.path} was closed (${Math.round(perDay)} bytes a day) that is about ${formatDays(days)}`,
    readFrom,
    facts,
    { now, estimated: true },
  );
}

/**
 * MySQL Enterprise Audit: audit_log_prune_seconds (> 0) deletes rotated files older than that;
 * audit_log_max_size (> 0) prunes by total size; neither means the server deletes nothing.
 * https://dev.mysql.com/doc/refman/8.0/en/audit-log-logging-configuration.html#audit-log-pruning
 */
export function enterpriseRetention(vars: Record<string, string>, readFrom: string, now = new Date()): Retention {
  const prune = Number(vars.audit_log_prune_seconds ?? '0');
  const max = Number(vars.audit_log_max_size ?? '0');
  const facts = {
    audit_log_prune_seconds: Number.isFinite(prune) ? prune : null,
    audit_log_max_size: Number.isFinite(max) ? max : null,
    audit_log_rotate_on_size: vars.audit_log_rotate_on_size ?? null,
  };
  if (Object.keys(vars).length === 0)
    return retention(null, 'the audit_log plugin is not loaded: the server keeps no audit log', readFrom, facts, {
      now,
    });
  if (prune > 0)
    return retention(
      prune / 86400,
      `audit_log_prune_seconds is ${prune}: rotated audit files older than ${formatDays(prune / 86400)} are deleted`,
      readFrom,
      facts,
      { now },
    );
  if (max > 0)
    return retention(
      null,
      `audit_log_max_size is ${max}: rotated files are pruned by total size, so how many days are kept depends on the write rate`,
      readFrom,
      facts,
      { now },
    );
  return retention(
    null,
    'neither audit_log_prune_seconds nor audit_log_max_size is set: the server deletes no audit files; what removes them is outside the server',
    readFrom,
    facts,
    { now },
  );
}
