// SQL redaction by tokens: every password-bearing form, in any spacing and order, and the
// fallback that redacts every literal of a statement that does not tokenize.
import { describe, expect, it, afterEach } from 'vitest';
import fc from 'fast-check';
import { redactSql, redactParameters, touchesSecretName } from '../../src/redact/sql.js';
import { makePolicy, setPolicy } from '../../src/redact/policy.js';

afterEach(() => setPolicy(null));
const R = '<REDACTED>';

describe('redactSql', () => {
  it.each([
    ["ALTER ROLE a PASSWORD 'x1'", `ALTER ROLE a PASSWORD '${R}'`],
    ["ALTER ROLE a PASSWORD /*c*/ 'x1'", `ALTER ROLE a PASSWORD /*c*/ '${R}'`],
    [
      "ALTER ROLE a ENCRYPTED PASSWORD\n  -- why\n  'x1' VALID UNTIL 'infinity'",
      `ALTER ROLE a ENCRYPTED PASSWORD\n  -- why\n  '${R}' VALID UNTIL 'infinity'`,
    ],
    ['ALTER ROLE a PASSWORD $$x1$$', `ALTER ROLE a PASSWORD '${R}'`],
    ['ALTER ROLE a PASSWORD $t$x1$t$', `ALTER ROLE a PASSWORD '${R}'`],
    ["ALTER ROLE a PASSWORD E'x\\'1'", `ALTER ROLE a PASSWORD '${R}'`],
    ["ALTER ROLE a PASSWORD 'C:\\'", `ALTER ROLE a PASSWORD '${R}'`],
    [
      "CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password 'x1')",
      `CREATE USER MAPPING FOR bob SERVER s OPTIONS (user 'bob', password '${R}')`,
    ],
    [
      "ALTER USER MAPPING FOR bob SERVER s OPTIONS (SET sslkey '/k', ADD sslpassword 'x1')",
      `ALTER USER MAPPING FOR bob SERVER s OPTIONS (SET sslkey '${R}', ADD sslpassword '${R}')`,
    ],
    [
      "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'h', password 'x1')",
      `CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'h', password '${R}')`,
    ],
    [
      "CREATE SUBSCRIPTION s CONNECTION 'host=h password=x1' PUBLICATION p",
      `CREATE SUBSCRIPTION s CONNECTION '${R}' PUBLICATION p`,
    ],
    ["SELECT dblink_connect('c', 'host=h password=x1')", `SELECT dblink_connect('${R}', '${R}')`],
    ["SELECT * FROM dblink('dbname=d password=x1', 'SELECT 1')", `SELECT * FROM dblink('${R}', 'SELECT 1')`],
    [
      "ALTER USER 'u'@'%' IDENTIFIED BY 'new1' REPLACE 'old1'",
      `ALTER USER 'u'@'%' IDENTIFIED BY '${R}' REPLACE '${R}'`,
    ],
    ["SET PASSWORD FOR 'bob' @ 'localhost' = 'x1'", `SET PASSWORD FOR 'bob' @ 'localhost' = '${R}'`],
    ["SET PASSWORD FOR bob = PASSWORD('x1')", `SET PASSWORD FOR bob = PASSWORD('${R}')`],
    ["ALTER USER u IDENTIFIED BYY 'x1'", `ALTER USER u IDENTIFIED BYY '${R}'`],
    [
      "CREATE USER 'c'@'%' IDENTIFIED WITH 'caching_sha2_password' AS 'x1'",
      `CREATE USER 'c'@'%' IDENTIFIED WITH 'caching_sha2_password' AS '${R}'`,
    ],
    [
      "CREATE USER a IDENTIFIED BY 'x1', b IDENTIFIED BY \"x2\" REQUIRE SSL COMMENT 'keep'",
      `CREATE USER a IDENTIFIED BY '${R}', b IDENTIFIED BY "${R}" REQUIRE SSL COMMENT 'keep'`,
    ],
    [
      "CREATE USER u IDENTIFIED VIA ed25519 USING PASSWORD('x1')",
      `CREATE USER u IDENTIFIED VIA ed25519 USING PASSWORD('${R}')`,
    ],
    [
      "CHANGE MASTER TO MASTER_HOST='h', MASTER_PASSWORD = 'x1'",
      `CHANGE MASTER TO MASTER_HOST='h', MASTER_PASSWORD = '${R}'`,
    ],
    ["ALTER USER u IDENTIFIED BY _utf8mb4'x1'", `ALTER USER u IDENTIFIED BY '${R}'`],
    ["SELECT pg_read_file('/etc/ssl/server.key')", "SELECT pg_read_file('/etc/ssl/server.key')"],
    ["UPDATE users SET password = 'x1' WHERE name = 'bob'", `UPDATE users SET password = '${R}' WHERE name = 'bob'`],
    ["SELECT 'it''s' FROM t", "SELECT 'it''s' FROM t"],
    ["ALTER ROLE a PASSWORD 'x1", `ALTER ROLE a PASSWORD '${R}`],
    ["SELECT 'a', 'b' FROM t WHERE password = 'x1", `SELECT '${R}', '${R}' FROM t WHERE password = '${R}`],
    ['ALTER USER u PASSWORD EXPIRE', 'ALTER USER u PASSWORD EXPIRE'],
  ])('%s', (sql, want) => expect(redactSql(sql)).toBe(want));

  it('property: a password literal never survives, whatever the spacing and comments', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9!#%&*+,.:;<>?@^_~ -]{4,20}$/);
    const gap = fc.constantFrom(' ', '  ', '\n', '\t', ' /* x */ ', ' -- c\n', '/**/');
    const make = fc.constantFrom(
      (p: string, g: string) => `ALTER ROLE r${g}PASSWORD${g}'${p.replace(/'/g, "''")}'`,
      (p: string, g: string) => `ALTER USER 'u'@'h'${g}IDENTIFIED${g}BY${g}'${p.replace(/'/g, "''")}'`,
      (p: string, g: string) => `SET PASSWORD FOR 'u'${g}@${g}'h'${g}=${g}'${p.replace(/'/g, "''")}'`,
      (p: string, g: string) =>
        `CREATE USER MAPPING FOR u SERVER s OPTIONS (user 'u',${g}password${g}'${p.replace(/'/g, "''")}')`,
      (p: string, g: string) => `ALTER ROLE r PASSWORD${g}$q$${p}$q$`,
    );
    fc.assert(
      fc.property(secret, gap, make, (p, g, f) => {
        fc.pre(!/\$q\$|\*\/|\/\*|--/.test(p));
        expect(redactSql(f(p, g))).not.toContain(p);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parameters', () => {
  it('redacted when the statement names a secret column or function; kept otherwise; all with parameters: all', () => {
    expect(touchesSecretName('INSERT INTO users (name, pw) VALUES ($1, $2)')).toBe(true);
    expect(redactParameters('INSERT INTO users (name, pw) VALUES ($1, $2)', 'alice,SECRET')).toBe(R);
    expect(redactParameters('SELECT set_password($1)', 'x')).toBe(R);
    expect(redactParameters('SELECT * FROM t WHERE id = $1', '42')).toBe('42');
    expect(redactParameters('SELECT * FROM t WHERE id = $1', '<none>')).toBe('<none>');
    setPolicy(makePolicy({ parameters: 'all' }));
    expect(redactParameters('SELECT * FROM t WHERE id = $1', '42')).toBe(R);
  });
});
