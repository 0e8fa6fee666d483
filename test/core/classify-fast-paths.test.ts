// The command-dispatched classifier (src/sql/classify.ts) must answer exactly as the general one
// it replaced: sqlCommand's word scanner, sqlCategory's fast cases, disablesAuditLogging's
// pre-check and statementResource's first-word dispatch. The general implementations are kept
// below, verbatim, as the oracle, and compared on generated SQL: keywords in any case, modifiers,
// quoted and qualified names, MySQL accounts, comments, parentheses and every kind of white space.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Category } from '../../src/event/build.js';
import {
  disablesAuditLogging,
  parsePermissionChanges,
  sqlCategory,
  sqlCommand,
  statementResource,
  stripLeadingComments,
} from '../../src/sql/classify.js';

// ---- the general implementations before the fast paths (oracle) --------------------------------
const TWO_WORD = new Set([
  'CREATE',
  'ALTER',
  'DROP',
  'RENAME',
  'SET',
  'SHOW',
  'GRANT',
  'REVOKE',
  'COMMENT',
  'SECURITY',
  'REFRESH',
  'INSTALL',
  'UNINSTALL',
  'REASSIGN',
  'IMPORT',
  'LOAD',
  'LOCK',
  'FLUSH',
  'CHANGE',
]);
const SKIP_MODIFIERS = new Set([
  'OR',
  'REPLACE',
  'TEMP',
  'TEMPORARY',
  'UNLOGGED',
  'GLOBAL',
  'LOCAL',
  'UNIQUE',
  'MATERIALIZED',
  'DEFINER',
  'ALGORITHM',
  'SQL',
  'SECURITY',
  'IF',
  'NOT',
  'EXISTS',
  'TRUSTED',
  'PROCEDURAL',
  'RECURSIVE',
  'DEFAULT',
  'ONLINE',
  'OFFLINE',
  'IGNORE',
  'AGGREGATE',
  'CONSTRAINT',
  'FOREIGN',
  'EVENT',
]);
function unquote(name: string): string {
  return name.trim().replace(/\\?['"`]/g, '');
}
const PERMISSION_COMMANDS =
  /^(GRANT|REVOKE|(CREATE|ALTER|DROP|RENAME) (ROLE|USER|GROUP)|(CREATE|ALTER|DROP) USER MAPPING|SET PASSWORD|SET DEFAULT ROLE|REASSIGN OWNED)$/;
const POLICY_COMMANDS =
  /^(ALTER SYSTEM|SET GLOBAL|(CREATE|ALTER|DROP) POLICY|ALTER DEFAULT PRIVILEGES|SECURITY LABEL|(INSTALL|UNINSTALL) (PLUGIN|SONAME|COMPONENT)|(CREATE|ALTER|DROP) (EXTENSION)|(CREATE|ALTER|DROP) (EVENT TRIGGER))$/;
const DDL = /^(CREATE|ALTER|DROP|TRUNCATE|RENAME|COMMENT|REFRESH|IMPORT) /;
const WRITES = /^(INSERT|UPDATE|DELETE|MERGE|REPLACE|LOAD DATA|TRUNCATE|CALL|DO|EXECUTE|COPY)$/;

/** Audit settings whose change is a policy change (pgaudit.*, log_*, server_audit_*, audit_log_*). */
const AUDIT_SETTING =
  /\b(pgaudit\.[a-z_]+|log_(?:statement|connections|disconnections|min_messages|min_duration_statement|line_prefix|destination)|server_audit_[a-z_]+|audit_log_[a-z_]+|general_log|sql_log_off|log_bin)\b/i;

function oldSqlCommand(sql: string): string | null {
  const s = stripLeadingComments(sql).replace(/^\(+\s*/, '');
  const words =
    s
      .match(/^[A-Za-z_]+(?:\s+[A-Za-z_=]+){0,6}/)?.[0]
      ?.toUpperCase()
      .split(/\s+/) ?? [];
  const first = words[0];
  if (!first) return null;
  if (first === 'WITH') return /\b(INSERT|UPDATE|DELETE|MERGE)\b/i.test(s) ? 'INSERT' : 'SELECT';
  if (first === 'ALTER' && words[1] === 'DEFAULT' && words[2] === 'PRIVILEGES') return 'ALTER DEFAULT PRIVILEGES';
  if (first === 'SET') {
    if (/^SET\s+@@(?:global|persist|persist_only)\./i.test(s)) return 'SET GLOBAL'; // MySQL SET @@global.x = ...
    if (words[1] === 'PASSWORD') return 'SET PASSWORD';
    if (words[1] === 'ROLE' || (words[1] === 'DEFAULT' && words[2] === 'ROLE'))
      return words[1] === 'ROLE' ? 'SET ROLE' : 'SET DEFAULT ROLE';
    if (words[1] === 'GLOBAL' || words[1] === 'PERSIST' || words[1] === 'PERSIST_ONLY') return 'SET GLOBAL';
    if (words[1] === 'SESSION' && words[2] === 'AUTHORIZATION') return 'SET SESSION AUTHORIZATION';
    return 'SET';
  }
  if (TWO_WORD.has(first)) {
    let i = 1;
    while (
      i < words.length &&
      SKIP_MODIFIERS.has(words[i]!) &&
      !(first === 'SHOW' || first === 'GRANT' || first === 'REVOKE')
    )
      i++;
    if (first === 'GRANT' || first === 'REVOKE' || first === 'SET') return first;
    const second = words[i];
    if (!second) return first;
    if (first === 'SECURITY' && second === 'LABEL') return 'SECURITY LABEL';
    if (first === 'LOAD' && second === 'DATA') return 'LOAD DATA';
    if (second === 'SYSTEM' && first === 'ALTER') return 'ALTER SYSTEM';
    if ((second === 'FOREIGN' || second === 'EVENT' || second === 'MATERIALIZED') && words[i + 1])
      return `${first} ${second} ${words[i + 1]}`;
    return `${first} ${second}`;
  }
  return first;
}

function oldSqlCategory(command: string | null, sql: string | null): Category {
  const cmd = (command ?? (sql ? oldSqlCommand(sql) : null) ?? '').toUpperCase().trim();
  const text = sql ?? '';
  if (/^(COPY)$/.test(cmd) && /\bTO\s+(STDOUT|PROGRAM|'|E')/i.test(text)) return 'data_exposure';
  if (/^(SELECT)$/.test(cmd) && /\bINTO\s+(OUTFILE|DUMPFILE)\b/i.test(text)) return 'data_exposure';
  if (/^COPY$/.test(cmd) && /\bCOPY\b[\s\S]*\bTO\b/i.test(text) && !/\bFROM\b\s+(STDIN|'|PROGRAM)/i.test(text))
    return 'data_exposure';
  if (PERMISSION_COMMANDS.test(cmd)) {
    // ALTER ROLE x SET pgaudit.log = 'none' changes audit policy, not permissions.
    if (/^ALTER (ROLE|USER)$/.test(cmd) && /\b(?:RE)?SET\s+/i.test(text) && AUDIT_SETTING.test(text))
      return 'policy_change';
    return 'permission_change';
  }
  if (POLICY_COMMANDS.test(cmd)) return 'policy_change';
  if (/^ALTER (DATABASE|ROLE|USER)$/.test(cmd) && AUDIT_SETTING.test(text)) return 'policy_change';
  if ((cmd === 'SET' || cmd === 'RESET') && /\bpgaudit\./i.test(text)) return 'policy_change';
  if (cmd === 'ALTER TABLE' && /\b(ENABLE|DISABLE|FORCE|NO FORCE)\s+ROW\s+LEVEL\s+SECURITY\b/i.test(text))
    return 'policy_change';
  // MySQL Enterprise / Percona audit filter functions: SELECT audit_log_filter_set_filter(...), ..._set_user, ..._remove_*
  if (cmd === 'SELECT' && /\baudit_log_filter_(?:set|remove|flush)\w*\s*\(/i.test(text)) return 'policy_change';
  if (DDL.test(`${cmd} `) || WRITES.test(cmd)) return 'change_execution';
  return 'other';
}

function oldDisablesAuditLogging(sql: string | null): boolean {
  if (!sql) return false;
  return (
    /\bpgaudit\.log\s*(=|TO)\s*'?\s*none\b/i.test(sql) ||
    /\bserver_audit_logging\s*=\s*'?(OFF|0|FALSE)\b/i.test(sql) ||
    /\baudit_log_disable\s*=\s*'?(ON|1|TRUE)\b/i.test(sql) ||
    /\baudit_log_policy\s*=\s*['"]?NONE\b/i.test(sql) || // Percona audit_log: log nothing
    /\bsql_log_off\s*=\s*'?(ON|1|TRUE)\b/i.test(sql) ||
    /\bUNINSTALL\s+(PLUGIN\s+(server_audit|audit_log)|SONAME\s+'?server_audit)/i.test(sql) ||
    /\bDROP\s+EXTENSION\s+(IF\s+EXISTS\s+)?pgaudit\b/i.test(sql)
  );
}

const ident = String.raw`((?:\\?['"\x60][^'"\x60]+\\?['"\x60]|[\w$.]+)(?:@(?:\\?['"\x60][^'"\x60]*\\?['"\x60]|[\w.%-]+))?(?:\.(?:"[^"]+"|\x60[^\x60]+\x60|[\w$]+))*)`;
const RESOURCE_RE_1 = new RegExp(
  String.raw`^(?:CREATE|ALTER|DROP|RENAME) (ROLE|USER|GROUP)(?: IF (?:NOT )?EXISTS)? ${ident}`,
  'i',
);
const RESOURCE_RE_2 = new RegExp(String.raw`^(?:CREATE|ALTER|DROP) POLICY(?: IF EXISTS)? ${ident} ON ${ident}`, 'i');
const RESOURCE_RE_3 = new RegExp(
  String.raw`^(?:CREATE|ALTER|DROP|TRUNCATE|COMMENT ON|RENAME)(?: OR REPLACE)?(?: (?:TEMP|TEMPORARY|UNLOGGED|UNIQUE|MATERIALIZED|GLOBAL|LOCAL|ONLINE|OFFLINE))*(?: (TABLE|VIEW|INDEX|SEQUENCE|SCHEMA|DATABASE|FUNCTION|PROCEDURE|TRIGGER|EXTENSION|TYPE|DOMAIN|EVENT|TABLESPACE|SERVER|PUBLICATION|SUBSCRIPTION|COLLATION|AGGREGATE|LANGUAGE|RULE|CONVERSION|STATISTICS|FOREIGN TABLE))?(?: IF (?:NOT )?EXISTS)?(?: ONLY)? ${ident}`,
  'i',
);
const RESOURCE_RE_4 = new RegExp(String.raw`^INSERT(?: IGNORE)? INTO ${ident}`, 'i');
const RESOURCE_RE_5 = new RegExp(String.raw`^REPLACE(?: INTO)? ${ident}`, 'i');
const RESOURCE_RE_6 = new RegExp(String.raw`^UPDATE(?: ONLY)? ${ident}`, 'i');
const RESOURCE_RE_7 = new RegExp(String.raw`^DELETE FROM(?: ONLY)? ${ident}`, 'i');
const RESOURCE_RE_8 = new RegExp(String.raw`^COPY ${ident}`, 'i');
const RESOURCE_RE_9 = new RegExp(String.raw`^LOAD DATA(?: LOCAL)? INFILE .+? INTO TABLE ${ident}`, 'i');
const RESOURCE_RE_10 = new RegExp(String.raw`^(?:SELECT|WITH) [\s\S]*? FROM ${ident}`, 'i');

function oldStatementResource(sql: string | null): { type: string; name: string } | null {
  if (!sql) return null;
  const s = stripLeadingComments(sql).replace(/\s+/g, ' ').trim();
  const cmd = oldSqlCommand(s) ?? '';
  let m: RegExpExecArray | null;
  if (cmd === 'GRANT' || cmd === 'REVOKE') {
    const deltas = parsePermissionChanges(s);
    if (deltas && deltas.length) {
      const principals = [...new Set(deltas.map((d) => d.principal))];
      return { type: 'role', name: principals.join(', ') };
    }
    return null;
  }
  if ((m = /^(?:CREATE|ALTER|DROP) USER MAPPING(?: IF (?:NOT )?EXISTS)? FOR (\S+) SERVER ([^\s;]+)/i.exec(s)))
    return { type: 'user_mapping', name: `${unquote(m[1]!)} ON ${unquote(m[2]!)}` };
  if ((m = RESOURCE_RE_1.exec(s))) {
    return { type: m[1]!.toUpperCase() === 'USER' ? 'user' : 'role', name: unquote(m[2]!) };
  }
  if ((m = /^SET PASSWORD(?: FOR (\S+))?/i.exec(s)))
    return { type: 'user', name: m[1] ? unquote(m[1]) : 'CURRENT_USER' };
  if ((m = /^SET DEFAULT ROLE .+? (?:FOR|TO) (\S+)/i.exec(s)))
    return { type: 'user', name: unquote(m[1]!.replace(/,$/, '')) };
  if ((m = /^(?:UN)?INSTALL (PLUGIN|SONAME|COMPONENT) (\S+)/i.exec(s)))
    return { type: m[1]!.toUpperCase() === 'COMPONENT' ? 'component' : 'plugin', name: unquote(m[2]!) };
  if ((m = /^USE ([\w$`]+)/i.exec(s))) return { type: 'database', name: unquote(m[1]!) };
  if ((m = /^CALL ([\w$.`]+)/i.exec(s))) return { type: 'procedure', name: unquote(m[1]!) };
  if ((m = /^ALTER SYSTEM (?:SET|RESET) ([\w.]+)/i.exec(s))) return { type: 'parameter', name: m[1]! };
  if ((m = /^SET (?:GLOBAL |PERSIST |PERSIST_ONLY |SESSION |LOCAL |@@global\.|@@)?([\w.]+)\s*(?:=|TO\b)/i.exec(s)))
    return { type: 'parameter', name: m[1]!.replace(/^@@(global\.)?/i, '') };
  if ((m = /^RESET ([\w.]+)/i.exec(s))) return { type: 'parameter', name: m[1]! };
  if ((m = RESOURCE_RE_2.exec(s))) return { type: 'policy', name: `${unquote(m[1]!)} ON ${unquote(m[2]!)}` };
  if ((m = RESOURCE_RE_3.exec(s))) {
    const type = (m[1] ?? (cmd === 'TRUNCATE' ? 'TABLE' : (cmd.split(' ')[1] ?? 'object')))
      .toLowerCase()
      .replace(/ /g, '_');
    return { type, name: unquote(m[2]!) };
  }
  if (
    (m = RESOURCE_RE_4.exec(s)) ||
    (m = RESOURCE_RE_5.exec(s)) ||
    (m = RESOURCE_RE_6.exec(s)) ||
    (m = RESOURCE_RE_7.exec(s)) ||
    (m = RESOURCE_RE_8.exec(s)) ||
    (m = RESOURCE_RE_9.exec(s))
  ) {
    return /^[\d.]+$/.test(m[1]!) ? null : { type: 'table', name: unquote(m[1]!) };
  }
  if ((m = /^SELECT [\s\S]*? INTO (OUTFILE|DUMPFILE) (\\?'[^']*\\?'|"[^"]*")/i.exec(s)))
    return { type: 'file', name: unquote(m[2]!) };
  if ((m = RESOURCE_RE_10.exec(s))) return /^[\d.]+$/.test(m[1]!) ? null : { type: 'table', name: unquote(m[1]!) };
  return null;
}

// ---- generated SQL -------------------------------------------------------------------------------
const keyword = fc.constantFrom(
  'SELECT',
  'WITH',
  'INSERT',
  'IGNORE',
  'INTO',
  'REPLACE',
  'UPDATE',
  'ONLY',
  'DELETE',
  'FROM',
  'COPY',
  'TO',
  'STDOUT',
  'STDIN',
  'PROGRAM',
  'LOAD',
  'DATA',
  'LOCAL',
  'INFILE',
  'TABLE',
  'GRANT',
  'REVOKE',
  'ON',
  'ALL',
  'PRIVILEGES',
  'OPTION',
  'FOR',
  'CREATE',
  'ALTER',
  'DROP',
  'RENAME',
  'TRUNCATE',
  'COMMENT',
  'OR',
  'TEMP',
  'UNIQUE',
  'MATERIALIZED',
  'ONLINE',
  'IF',
  'NOT',
  'EXISTS',
  'ROLE',
  'USER',
  'GROUP',
  'POLICY',
  'VIEW',
  'INDEX',
  'SCHEMA',
  'DATABASE',
  'FUNCTION',
  'PROCEDURE',
  'EXTENSION',
  'EVENT',
  'TRIGGER',
  'SERVER',
  'FOREIGN',
  'SYSTEM',
  'SET',
  'RESET',
  'PASSWORD',
  'DEFAULT',
  'GLOBAL',
  'PERSIST',
  'SESSION',
  'AUTHORIZATION',
  'INSTALL',
  'UNINSTALL',
  'PLUGIN',
  'SONAME',
  'COMPONENT',
  'USE',
  'CALL',
  'DO',
  'EXECUTE',
  'MERGE',
  'SHOW',
  'SECURITY',
  'LABEL',
  'OUTFILE',
  'DUMPFILE',
  'ENABLE',
  'DISABLE',
  'ROW',
  'LEVEL',
  'WHERE',
  'AS',
  'IDENTIFIED',
  'BY',
  'REASSIGN',
  'OWNED',
  'IMPORT',
  'REFRESH',
  'LOCK',
  'FLUSH',
  '=',
  ',',
  '(',
  ')',
  ';',
  '*',
  '1',
);
const name = fc.constantFrom(
  't',
  'public.accounts',
  'appdb.orders',
  '"Mixed Case"',
  '`db`.`t`',
  "'u'@'%'",
  "'app'@'10.0.0.1'",
  'alice',
  'r1',
  'f()',
  'pgaudit.log',
  "'none'",
  'server_audit_logging',
  'audit_log_policy',
  'sql_log_off',
  'log_connections',
  '@@global.general_log',
  '@@sql_log_off',
  "'/tmp/x.csv'",
  '"/tmp/y"',
  'audit_log_filter_set_filter(',
  'server_audit',
  'x$1',
  '_a',
  "E'x'",
  '0',
  'OFF',
  'ON',
);
const caseOf = (w: string, mode: number) =>
  mode === 0 ? w : mode === 1 ? w.toLowerCase() : w[0] + w.slice(1).toLowerCase();
const space = fc.constantFrom(
  ' ',
  ' ',
  ' ',
  '  ',
  '\n',
  '\t',
  '\r\n',
  ' \n\t ',
  '\u00a0',
  '\u2028',
  '\f',
  '\v',
  '\ufeff',
  '',
);
const lead = fc.constantFrom(
  '',
  '',
  '',
  ' ',
  '\n  ',
  '/* app */ ',
  '-- c\n',
  '# c\n',
  '(',
  '((',
  '( \n',
  '/* a */ /* b */\n',
  '/* open',
);
const token = fc.tuple(fc.oneof(keyword, keyword, name), fc.integer({ min: 0, max: 2 })).map(([w, m]) => caseOf(w, m));
const sqlText = fc
  .tuple(lead, fc.array(fc.tuple(token, space), { minLength: 0, maxLength: 12 }), fc.constantFrom('', ';', ' ', '\n'))
  .map(([l, parts, end]) => l + parts.map(([t, s]) => t + s).join('') + end);
// Hand-written shapes that reach deep into the patterns, with arbitrary text mixed in.
const shaped = fc
  .tuple(
    fc.constantFrom(
      'SELECT id FROM %s WHERE x = 1',
      "SELECT * FROM %s INTO OUTFILE '/tmp/o'",
      'SELECT a INTO DUMPFILE "/d" FROM %s',
      'WITH c AS (SELECT 1) INSERT INTO %s SELECT * FROM c',
      'WITH c AS (SELECT 1) SELECT * FROM %s',
      'INSERT IGNORE INTO %s VALUES (1)',
      'REPLACE INTO %s VALUES (1)',
      'REPLACE %s SET a = 1',
      'UPDATE ONLY %s SET a = 1',
      'DELETE FROM ONLY %s',
      'COPY %s TO STDOUT',
      "COPY %s FROM '/x'",
      "LOAD DATA LOCAL INFILE '/f' INTO TABLE %s",
      'GRANT SELECT, INSERT ON %s TO alice, "Bob" WITH GRANT OPTION',
      'REVOKE ALL PRIVILEGES ON *.* FROM %s',
      'GRANT r1 TO %s',
      "CREATE USER IF NOT EXISTS %s IDENTIFIED BY '<REDACTED>'",
      "ALTER ROLE %s SET pgaudit.log = 'none'",
      'DROP ROLE IF EXISTS %s',
      'RENAME USER %s TO b',
      "SET PASSWORD FOR %s = 'x'",
      "SET PASSWORD = 'x'",
      'SET DEFAULT ROLE r1, r2 TO %s',
      "INSTALL PLUGIN %s SONAME 'x.so'",
      "UNINSTALL SONAME 'server_audit'",
      'UNINSTALL COMPONENT %s',
      'USE %s',
      'CALL %s(1)',
      'ALTER SYSTEM SET %s = 1',
      'ALTER SYSTEM RESET %s',
      'SET GLOBAL %s = OFF',
      'SET @@global.%s = 1',
      'SET SESSION %s TO 1',
      'SET LOCAL %s = 1',
      'RESET %s',
      'CREATE POLICY p ON %s USING (true)',
      'DROP POLICY IF EXISTS p ON %s',
      'CREATE OR REPLACE TEMP VIEW %s AS SELECT 1',
      'CREATE UNIQUE INDEX IF NOT EXISTS i ON %s (a)',
      'TRUNCATE %s',
      'TRUNCATE TABLE ONLY %s',
      "COMMENT ON TABLE %s IS 'x'",
      'ALTER TABLE %s ENABLE ROW LEVEL SECURITY',
      'DROP EXTENSION IF EXISTS pgaudit',
      'CREATE EXTENSION %s',
      'ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO %s',
      "SELECT audit_log_filter_set_filter('f', %s)",
      "SET %s = 'none'",
      'ALTER DATABASE d SET %s = on',
      "SECURITY LABEL ON %s IS 'x'",
      'CREATE MATERIALIZED VIEW %s AS SELECT 1',
      'CREATE FOREIGN TABLE %s (a int)',
      'CREATE EVENT TRIGGER %s ON ddl_command_start',
      "CREATE USER MAPPING FOR %s SERVER s1 OPTIONS (user 'u')",
      'DROP USER MAPPING IF EXISTS FOR %s SERVER s1',
      'ALTER ROLE %s RESET pgaudit.log',
      "CREATE CONVERSION %s FOR 'latin1' TO 'utf8' FROM f",
      'SELECT 1, substring(%s from 2 for 3)',
      'SET ROLE %s',
      'SET SESSION AUTHORIZATION %s',
      'REASSIGN OWNED BY a TO %s',
      'DO $$ BEGIN END $$',
      'EXECUTE %s',
    ),
    name,
    fc.integer({ min: 0, max: 2 }),
    lead,
    space,
    fc.string({ maxLength: 12 }),
  )
  .map(
    ([tpl, n, mode, l, sp, junk]) =>
      l +
      caseOf(tpl, mode)
        .replace('%s', n)
        .replace(/ /g, (x) => (junk.length % 3 === 0 ? sp || x : x)) +
      (junk.length % 2 ? junk : ''),
  );
const anySql = fc.oneof(
  sqlText,
  shaped,
  shaped,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

const commands = [
  null,
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'COPY',
  'TRUNCATE',
  'CALL',
  'EXECUTE',
  'DO',
  'LOAD DATA',
  'REPLACE',
  'MERGE',
  'ALTER ROLE',
  'SET',
  'RESET',
  'ALTER TABLE',
  'GRANT',
  'CREATE TABLE',
  ' select ',
  'MISC',
];

describe('classify fast paths equal the general implementation', () => {
  it('sqlCommand', () => {
    fc.assert(
      fc.property(anySql, (sql) => {
        expect(sqlCommand(sql)).toBe(oldSqlCommand(sql));
      }),
      { numRuns: 5000 },
    );
  });
  it("sqlCategory, with and without the source's command", () => {
    fc.assert(
      fc.property(anySql, fc.constantFrom(...commands), (sql, cmd) => {
        expect(sqlCategory(null, sql)).toBe(oldSqlCategory(null, sql));
        expect(sqlCategory(cmd, sql)).toBe(oldSqlCategory(cmd, sql));
        expect(sqlCategory(cmd, null)).toBe(oldSqlCategory(cmd, null));
      }),
      { numRuns: 5000 },
    );
  });
  it('disablesAuditLogging', () => {
    fc.assert(
      fc.property(anySql, (sql) => {
        expect(disablesAuditLogging(sql)).toBe(oldDisablesAuditLogging(sql));
      }),
      { numRuns: 5000 },
    );
  });
  it('statementResource', () => {
    fc.assert(
      fc.property(anySql, (sql) => {
        expect(statementResource(sql)).toEqual(oldStatementResource(sql));
      }),
      { numRuns: 5000 },
    );
  });
  it('the generators reach the patterns (a guard against a vacuous property)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(anySql, (sql) => {
        seen.add(oldStatementResource(sql)?.type ?? 'null');
        seen.add(oldSqlCategory(null, sql));
      }),
      { numRuns: 3000 },
    );
    for (const t of [
      'table',
      'file',
      'role',
      'user',
      'parameter',
      'policy',
      'plugin',
      'database',
      'procedure',
      'view',
      'index',
      'data_exposure',
      'policy_change',
      'permission_change',
      'change_execution',
      'other',
    ])
      expect(seen).toContain(t);
  });
});

function oldStripLeadingComments(sql: string): string {
  let s = sql;
  for (;;) {
    const t = s.replace(/^\s+/, '');
    if (t.startsWith('/*')) {
      const end = t.indexOf('*/');
      s = end < 0 ? '' : t.slice(end + 2);
    } else if (t.startsWith('--') || t.startsWith('#')) {
      const end = t.indexOf('\n');
      s = end < 0 ? '' : t.slice(end + 1);
    } else return t;
  }
}

describe('the scanners know white space as regular expressions do', () => {
  it('every UTF-16 code unit, leading and between words', () => {
    const spaces: string[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      if (/\s/.test(ch)) spaces.push(ch);
      expect(stripLeadingComments(`${ch}x`)).toBe(oldStripLeadingComments(`${ch}x`));
      expect(sqlCommand(`ALTER${ch}USER`)).toBe(oldSqlCommand(`ALTER${ch}USER`));
    }
    expect(spaces.length).toBeGreaterThan(20);
    for (const ch of [...spaces, 'x', '_', '=', '(', '\u180e', '\u200b']) {
      for (const sql of [
        `${ch}${ch}-- c\nSELECT${ch}a FROM t`,
        `(${ch}ALTER${ch}DEFAULT PRIVILEGES`,
        `SET${ch}@@global.x=1`,
      ]) {
        expect(stripLeadingComments(sql)).toBe(oldStripLeadingComments(sql));
        expect(sqlCommand(sql)).toBe(oldSqlCommand(sql));
      }
      const r = `SELECT a${ch}FROM${ch}${ch}t${ch}`;
      expect(statementResource(r)).toEqual(oldStatementResource(r));
    }
  });
  it('stripLeadingComments on generated SQL', () => {
    fc.assert(
      fc.property(anySql, (sql) => {
        expect(stripLeadingComments(sql)).toBe(oldStripLeadingComments(sql));
      }),
      { numRuns: 3000 },
    );
  });
});
