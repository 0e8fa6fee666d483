// MySQL / MariaDB account and user-field parsing shared by the three MySQL-family adapters.
//   - Accounts are written 'user'@'host', `user`@`host` or user@host in SQL and settings.
//   - MySQL Enterprise (XML) and Percona audit_log write query users as
//     `user[priv_user] @ host [ip]` (https://docs.percona.com/percona-server/8.0/audit-log-plugin.html).
// Pure functions; no I/O.

export interface Account {
  user: string;
  host: string | null;
}

function stripQuotes(s: string): string {
  const t = s.trim();
  if (t.length >= 2) {
    const q = t[0];
    if ((q === "'" || q === '"' || q === '`') && t[t.length - 1] === q) return t.slice(1, -1);
  }
  return t;
}

/**
 * Splits an account name into user and host: 'u'@'h', `u`@`h`, "u"@"h", u@h, or a bare user
 * (host null). The split is on the last '@' outside quotes, so a quoted user may contain '@'.
 */
export function splitAccount(text: string): Account {
  const s = text.trim();
  let q: string | null = null;
  let at = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q) {
      if (c === q) q = null;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') q = c;
    else if (c === '@') at = i;
  }
  if (at < 0) return { user: stripQuotes(s), host: null };
  return { user: stripQuotes(s.slice(0, at)), host: stripQuotes(s.slice(at + 1)) };
}

export interface QueryUser {
  /** The user name the client logged in with. */
  user: string;
  /** The account (mysql.user row) whose privileges apply; '' for anonymous. */
  privUser: string | null;
  host: string | null;
  ip: string | null;
}

/**
 * Parses `user[priv_user] @ host [ip]` (MySQL Enterprise XML and Percona audit_log USER of query
 * records). A value without that shape (connect records carry the bare user) is returned as user.
 */
export function parseQueryUser(text: string): QueryUser {
  const open = text.indexOf('[');
  const close = open >= 0 ? text.indexOf(']', open) : -1;
  const at = close >= 0 ? text.indexOf(' @ ', close) : -1;
  if (open < 0 || close < 0 || at < 0) return { user: text, privUser: null, host: null, ip: null };
  const rest = text.slice(at + 3);
  const ipOpen = rest.lastIndexOf('[');
  const ipClose = rest.lastIndexOf(']');
  const host = (ipOpen >= 0 ? rest.slice(0, ipOpen) : rest).trim();
  const ip = ipOpen >= 0 && ipClose > ipOpen ? rest.slice(ipOpen + 1, ipClose).trim() : '';
  return {
    user: text.slice(0, open),
    privUser: text.slice(open + 1, close),
    host: host || null,
    ip: ip || null,
  };
}

/** Account names that are the server's built-in superuser (MySQL/MariaDB root, RDS master admin is not). */
export function isRootAccount(user: string | null | undefined): boolean {
  return user === 'root';
}
