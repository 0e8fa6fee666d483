// MySQL / MariaDB server error numbers that an audit record's status / retcode can carry, with
// their symbolic names (https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html,
// https://mariadb.com/kb/en/mariadb-error-codes/). Only the ones an auditor reads are named; any
// other non-zero number is still a failure, reported by number.

const NAMES: Record<number, string> = {
  1044: 'ER_DBACCESS_DENIED_ERROR',
  1045: 'ER_ACCESS_DENIED_ERROR',
  1046: 'ER_NO_DB_ERROR',
  1049: 'ER_BAD_DB_ERROR',
  1064: 'ER_PARSE_ERROR',
  1142: 'ER_TABLEACCESS_DENIED_ERROR',
  1143: 'ER_COLUMNACCESS_DENIED_ERROR',
  1146: 'ER_NO_SUCH_TABLE',
  1227: 'ER_SPECIFIC_ACCESS_DENIED_ERROR',
  1251: 'ER_NOT_SUPPORTED_AUTH_MODE',
  1370: 'ER_PROCACCESS_DENIED_ERROR',
  1396: 'ER_CANNOT_USER',
  1698: 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
  1820: 'ER_MUST_CHANGE_PASSWORD',
  1862: 'ER_MUST_CHANGE_PASSWORD_LOGIN',
  1959: 'ER_INVALID_ROLE',
  3118: 'ER_ACCOUNT_HAS_BEEN_LOCKED',
  4151: 'ER_ACCOUNT_HAS_BEEN_LOCKED',
};

/** Errors that mean "you are not allowed": the denials an auditor samples. */
const DENIALS = new Set([1044, 1045, 1142, 1143, 1227, 1370, 1698, 3118, 4151]);

export interface StatusFacts {
  outcome: 'success' | 'failure' | 'unknown';
  reason: string | null;
  /** Symbolic error name, when known. */
  error: string | null;
  denied: boolean;
}

/** Reads a status / retcode field: '' or absent = unknown, 0 = success, other = failure. */
export function statusFacts(value: string | number | null | undefined): StatusFacts {
  if (value === null || value === undefined || value === '')
    return { outcome: 'unknown', reason: null, error: null, denied: false };
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return { outcome: 'unknown', reason: String(value), error: null, denied: false };
  if (n === 0) return { outcome: 'success', reason: null, error: null, denied: false };
  // "1045: ER_ACCESS_DENIED_ERROR", like pgaudit's "28P01: ..." and CloudTrail's "AccessDenied: ...":
  // a bare number says nothing to the person reading the evidence.
  const name = NAMES[n] ?? null;
  return { outcome: 'failure', reason: name ? `${n}: ${name}` : String(n), error: name, denied: DENIALS.has(n) };
}
