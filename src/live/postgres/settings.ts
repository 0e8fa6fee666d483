// The server's logging settings, read from pg_settings and kept as provenance, and what they mean
// for completeness: which event categories the configuration cannot capture at all.
// Settings: https://www.postgresql.org/docs/15/runtime-config-logging.html
// pgaudit.log classes: https://github.com/pgaudit/pgaudit#pgauditlog
import type pg from 'pg';

export const SETTING_NAMES = [
  'server_version',
  'log_destination',
  'logging_collector',
  'log_directory',
  'log_filename',
  'log_line_prefix',
  'log_timezone',
  'log_connections',
  'log_disconnections',
  'log_statement',
  'log_rotation_age',
  'log_rotation_size',
  'log_truncate_on_rotation',
  'shared_preload_libraries',
  'pgaudit.log',
  'pgaudit.log_catalog',
  'pgaudit.log_parameter',
  'pgaudit.log_relation',
  'pgaudit.log_statement_once',
  'pgaudit.role',
] as const;

export type PgSettings = Record<string, string | null>;

export async function readSettings(client: pg.Client): Promise<PgSettings> {
  const r = await client.query<{ name: string; setting: string }>(
    'SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])',
    [SETTING_NAMES as unknown as string[]],
  );
  const out: PgSettings = {};
  for (const n of SETTING_NAMES) out[n] = null;
  for (const row of r.rows) out[row.name] = row.setting;
  return out;
}

const ALL_CLASSES = ['read', 'write', 'function', 'role', 'ddl', 'misc', 'misc_set'];

/** The classes pgaudit.log enables ('all' expands; '-class' removes; misc includes misc_set). */
export function pgauditClasses(setting: string | null): Set<string> {
  const out = new Set<string>();
  if (!setting) return out;
  for (const raw of setting.split(',')) {
    const t = raw.trim().toLowerCase();
    if (!t) continue;
    const neg = t.startsWith('-');
    const name = neg ? t.slice(1) : t;
    const names = name === 'all' ? ALL_CLASSES : name === 'misc' ? ['misc', 'misc_set'] : name === 'none' ? [] : [name];
    for (const n of names) {
      if (neg) out.delete(n);
      else out.add(n);
    }
  }
  return out;
}

const on = (v: string | null) => v === 'on' || v === 'true';

/** Warnings about categories this configuration cannot capture. */
export function settingWarnings(s: PgSettings, format: string | null): string[] {
  const w: string[] = [];
  if (!on(s.log_connections)) w.push('log_connections is off: no authentication (connection) events can be captured');
  if (!on(s.log_disconnections)) w.push('log_disconnections is off: session ends are not recorded');
  if (s['pgaudit.log'] === null) {
    w.push(
      'pgaudit is not loaded (no pgaudit.log setting): only connection lines and errors are in the log, no audited statements',
    );
  } else {
    const c = pgauditClasses(s['pgaudit.log']);
    if (c.size === 0) w.push(`pgaudit.log is '${s['pgaudit.log']}': pgaudit records no statements`);
    else {
      if (!c.has('role'))
        w.push(
          `pgaudit.log ('${s['pgaudit.log']}') lacks role: GRANT, REVOKE and CREATE/ALTER/DROP ROLE (permission changes) are not recorded`,
        );
      if (!c.has('ddl'))
        w.push(`pgaudit.log ('${s['pgaudit.log']}') lacks ddl: schema changes (change execution) are not recorded`);
      if (!c.has('misc_set') && !c.has('misc'))
        w.push(
          `pgaudit.log ('${s['pgaudit.log']}') lacks misc_set: SET and ALTER SYSTEM (policy changes) are not recorded`,
        );
      if (!c.has('write')) w.push(`pgaudit.log ('${s['pgaudit.log']}') lacks write: data changes are not recorded`);
      if (!c.has('read'))
        w.push(`pgaudit.log ('${s['pgaudit.log']}') lacks read: SELECT and COPY TO (data exposure) are not recorded`);
    }
  }
  if (format === 'stderr' && s.log_line_prefix !== null && !s.log_line_prefix.includes('%u')) {
    w.push(
      `log_line_prefix ('${s.log_line_prefix}') lacks %u: events read from the stderr log have no user (add csvlog or jsonlog to log_destination)`,
    );
  }
  return w;
}

export function collectorOff(s: PgSettings): boolean {
  return s.logging_collector !== null && !on(s.logging_collector);
}
