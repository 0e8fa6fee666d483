// Connection secrets never reach messages, `how` texts or recorded settings.
import { describe, expect, test } from 'vitest';
import { Scrubber, urlWithoutPassword } from '../../src/live/secrets.js';
import { pgConnection } from '../../src/live/postgres/connection.js';
import { mysqlConnection } from '../../src/live/mysql/connection.js';

describe('secrets', () => {
  test('scrubs given secrets, their URL-encoded form, and any user:password@ in a URL', () => {
    const s = new Scrubber(['p@ss w0rd', undefined, 'ab']);
    expect(s.scrub('failed with p@ss w0rd and p%40ss%20w0rd')).toBe('failed with ***** and *****');
    expect(s.scrub('connect postgres://u:other@h:5432/db failed')).toBe('connect postgres://u:*****@h:5432/db failed');
    expect(s.scrub('ab stays: too short to be a password')).toContain('ab stays');
  });
  test('URLs lose their password and secret-looking parameters', () => {
    expect(urlWithoutPassword('postgresql://reader:s3cret@db:5432/postgres?sslpassword=x&sslmode=require')).toBe(
      'postgresql://reader@db:5432/postgres?sslpassword=*****&sslmode=require',
    );
  });
  test('postgres: PG* environment fills what the config leaves out; the password stays out of display', () => {
    const c = pgConnection(
      { name: 'p', type: 'postgres', password_env: 'X_PW' },
      { X_PW: 'hunter22', PGHOST: 'db.internal', PGUSER: 'reader', PGDATABASE: 'app' },
    );
    expect(c.display).toBe('postgresql://reader@db.internal:5432/app');
    expect(c.config.password).toBe('hunter22');
    expect(c.scrubber.scrub('bad password hunter22')).toBe('bad password *****');
    expect(() => pgConnection({ name: 'p', type: 'postgres', password_env: 'NOPE' }, {})).toThrow(
      /NOPE \(password_env\) is not set/,
    );
  });
  test('mysql: URL from the environment, password out of display', () => {
    const c = mysqlConnection(
      { name: 'm', type: 'mysql', url_env: 'MY_URL' },
      { MY_URL: 'mysql://reader:pa55word@db:3307/mysql' },
    );
    expect(c.display).toBe('mysql://reader@db:3307/mysql');
    expect(c.options).toMatchObject({ host: 'db', port: 3307, user: 'reader', password: 'pa55word' });
    expect(c.scrubber.scrub('Access denied (using password: pa55word)')).not.toContain('pa55word');
  });
});
