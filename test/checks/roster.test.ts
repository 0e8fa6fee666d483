import { expect, test } from 'vitest';
import { applyRoster, parseRoster, RosterError } from '../../src/privilege/roster.js';
import { ev } from './make-event.js';

test('text rosters: one principal per line, # comments, optional reason', () => {
  const r = parseRoster('# DBAs\nalice\n  bob , on-call DBA  # pager\n\n', 'admins.txt');
  expect(r.entries).toEqual([
    { principal: 'alice', reason: 'listed in admins.txt', origin: 'file:admins.txt' },
    { principal: 'bob', reason: 'on-call DBA', origin: 'file:admins.txt' },
  ]);
  expect(() => parseRoster('alice\n,why\n', 'a.txt')).toThrow(
    new RosterError('a.txt:2: the line names no principal before the comma'),
  );
});

test('JSON rosters', () => {
  const r = parseRoster(
    '{"principals": ["alice", {"principal": "Bob", "reason": "dba", "instance": "prod"}]}',
    'admins.json',
  );
  expect(r.entries[1]).toEqual({ principal: 'Bob', reason: 'dba', origin: 'file:admins.json', instance: 'prod' });
  expect(() => parseRoster('{"admins": []}', 'x.json')).toThrow(/needs a "principals" array/);
  expect(() => parseRoster('{"principals": [3]}', 'x.json')).toThrow(/principals\[0\]/);
  expect(() => parseRoster('{oops', 'x.json')).toThrow(/not valid JSON/);
});

test('applyRoster marks listed users privileged (case-insensitive, by session user too)', () => {
  const roster = parseRoster('ALICE,dba', 'a.txt');
  expect(applyRoster(ev(), roster).privileged).toEqual({ value: true, reasons: ['roster:dba'] });
  expect(applyRoster(ev({ user: { name: 'app', session_user: 'alice' } }), roster).privileged.value).toBe(true);
  expect(applyRoster(ev({ user: { name: 'carol' } }), roster).privileged.value).toBe(false);
});
