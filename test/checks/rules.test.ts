// One test (or a few) per rule, on events built with buildEvent.
import { describe, expect, test } from 'vitest';
import { CompletenessChecker, type CheckOptions, type Finding } from '../../src/checks/index.js';
import { looksLikeGroup } from '../../src/checks/rules/identity-ambiguous.js';
import { isPlaceholder } from '../../src/checks/rule.js';
import { timestampProblem } from '../../src/checks/rules/time-invalid.js';
import { ev } from './make-event.js';

function rowFindings(e: Parameters<CompletenessChecker['add']>[0], opts: CheckOptions = {}, rule?: string): Finding[] {
  const fs = new CompletenessChecker(opts).add(e);
  return rule ? fs.filter((f) => f.rule === rule) : fs;
}

describe('field.missing', () => {
  test('a complete row has no findings at all', () => {
    expect(rowFindings(ev())).toEqual([]);
  });

  test('null and placeholder values are missing, each with the field and a location', () => {
    const e = ev({ user: { name: '-', type: 'unknown' }, action: { name: null }, resource: { name: '<not logged>' } });
    const fs = rowFindings(e, {}, 'field.missing');
    expect(fs.map((f) => f.field)).toEqual(['user', 'action', 'resource']);
    expect(fs[0]!.message).toMatch(/^db\.log:\d+: user is missing \(user\.name is placeholder '-'\)$/);
    expect(fs[1]!.message).toContain('action.name is null');
    expect(fs.every((f) => f.severity === 'error' && f.eventId === e.id && f.location?.file === 'db.log')).toBe(true);
  });

  test('a null timestamp is missing', () => {
    expect(rowFindings(ev({ timestamp: null }), {}, 'field.missing').map((f) => f.field)).toEqual(['timestamp']);
  });

  test('placeholders', () => {
    for (const p of ['', ' ', '-', 'unknown', 'UNKNOWN', '<not logged>', '<none>', '[unknown]', null])
      expect(isPlaceholder(p)).toBe(true);
    for (const v of ['alice', 'postgres', '0', 'none-such']) expect(isPlaceholder(v)).toBe(false);
  });

  test('pci adds outcome and origin; iso27001 adds system identity and network address', () => {
    const e = ev({ outcome: 'unknown', origin: {} });
    expect(rowFindings(e, { profile: 'soc2' }, 'field.missing')).toEqual([]);
    expect(rowFindings(e, { profile: 'pci' }, 'field.missing').map((f) => f.field)).toEqual(['outcome', 'origin']);
    expect(rowFindings(e, { profile: 'iso27001' }, 'field.missing').map((f) => f.field)).toEqual(['system', 'address']);
    expect(
      rowFindings(
        ev({ resource: { name: 't', scope: { account: '123456789012' } } }),
        { profile: 'iso27001' },
        'field.missing',
      ),
    ).toEqual([]);
    expect(rowFindings(e, { profile: 'hipaa' }, 'field.missing')).toEqual([]);
  });

  test('the per-source summary says why, for the source format', () => {
    const c = new CompletenessChecker();
    c.add(ev({ user: { name: null } }));
    const r = c.finish();
    const s = r.findings.find((f) => f.rule === 'field.missing' && !f.location)!;
    expect(s.message).toMatch(/^1 of 1 rows from pgaudit lack user: .*log_line_prefix.*%u/);
  });
});

describe('time rules', () => {
  test('time.invalid: not RFC 3339 UTC, not a real date, implausible', () => {
    const now = new Date('2024-06-01T00:00:00Z');
    expect(timestampProblem('2024-05-01T12:00:00.000Z', now)).toBeNull();
    expect(timestampProblem('2024-05-01 12:00:00', now)).toMatch(/RFC 3339/);
    expect(timestampProblem('2024-02-30T12:00:00.000Z', now)).toMatch(/real date/);
    expect(timestampProblem('1970-01-01T00:00:00.000Z', now)).toMatch(/1990/);
    expect(timestampProblem('2024-06-03T00:00:00.000Z', now)).toMatch(/future/);
    const fs = rowFindings(ev({ timestamp: '1970-01-01T00:00:00.000Z' }), { now }, 'time.invalid');
    expect(fs).toHaveLength(1);
  });

  test('an invalid time makes the row incomplete', () => {
    const c = new CompletenessChecker({ now: new Date('2024-06-01T00:00:00Z') });
    c.add(ev({ timestamp: '2030-01-01T00:00:00.000Z' }));
    c.add(ev());
    const r = c.finish();
    expect([r.rows, r.completeRows, r.percentComplete, r.pass]).toEqual([2, 1, 50, false]);
  });

  test('time.outside-window: since inclusive, until exclusive', () => {
    const opts = { since: new Date('2024-05-01T00:00:00Z'), until: new Date('2024-05-02T00:00:00Z') };
    expect(rowFindings(ev({ timestamp: '2024-05-01T00:00:00.000Z' }), opts, 'time.outside-window')).toEqual([]);
    expect(
      rowFindings(ev({ timestamp: '2024-04-30T23:59:59.999Z' }), opts, 'time.outside-window')[0]!.message,
    ).toContain('before the window start');
    expect(
      rowFindings(ev({ timestamp: '2024-05-02T00:00:00.000Z' }), opts, 'time.outside-window')[0]!.message,
    ).toContain('at or after the window end');
    expect(rowFindings(ev({ timestamp: '2024-05-09T00:00:00.000Z' }), {}, 'time.outside-window')).toEqual([]);
  });
});

describe('identity rules', () => {
  test('identity.shared: default list, ARN tail, configurable list', () => {
    expect(rowFindings(ev({ user: { name: 'postgres', type: 'unknown' } }), {}, 'identity.shared')).toHaveLength(1);
    expect(rowFindings(ev({ user: { name: 'RdsAdmin' } }), {}, 'identity.shared')).toHaveLength(1);
    expect(
      rowFindings(
        ev({ user: { name: 'arn:aws:iam::123456789012:user/admin' } }, { kind: 'aws', format: 'cloudtrail' }),
        {},
        'identity.shared',
      ),
    ).toHaveLength(1);
    expect(rowFindings(ev(), {}, 'identity.shared')).toEqual([]);
    expect(rowFindings(ev(), { sharedIdentities: ['alice'] }, 'identity.shared')).toHaveLength(1);
    expect(rowFindings(ev({ user: { name: 'postgres' } }), { sharedIdentities: ['app'] }, 'identity.shared')).toEqual(
      [],
    );
  });

  test('identity.shared: cloud service identities with no human behind them', () => {
    const gcp = { kind: 'gcp' as const, format: 'gcp-audit' };
    const sa = 'deployer@proj.iam.gserviceaccount.com';
    expect(rowFindings(ev({ user: { name: sa, type: 'service' } }, gcp), {}, 'identity.shared')[0]!.message).toContain(
      'no person behind it',
    );
    expect(
      rowFindings(
        ev({ user: { name: sa, type: 'service', delegation: ['bob@example.com'] } }, gcp),
        {},
        'identity.shared',
      ),
    ).toEqual([]);
    // a database service account is not a cloud identity: not flagged for that reason
    expect(rowFindings(ev({ user: { name: 'app', type: 'service' } }), {}, 'identity.shared')).toEqual([]);
  });

  test('identity.ambiguous: unknown type with a group-like name', () => {
    expect(looksLikeGroup('dba_team')).toBe(true);
    expect(looksLikeGroup('group:ops@example.com')).toBe(true);
    expect(looksLikeGroup('admins')).toBe(true);
    expect(looksLikeGroup('alice')).toBe(false);
    expect(looksLikeGroup('steam')).toBe(false);
    expect(rowFindings(ev({ user: { name: 'dba_team', type: 'unknown' } }), {}, 'identity.ambiguous')).toHaveLength(1);
    expect(rowFindings(ev({ user: { name: 'dba_team', type: 'human' } }), {}, 'identity.ambiguous')).toEqual([]);
  });
});

test('resource.implicit is a warning on derived names only', () => {
  const fs = rowFindings(ev({ resource: { name: 'public.t', implicit: true } }), {}, 'resource.implicit');
  expect(fs).toHaveLength(1);
  expect(fs[0]!.severity).toBe('warning');
  expect(rowFindings(ev(), {}, 'resource.implicit')).toEqual([]);
});

test('audit.disabled and privileged.break-glass', () => {
  const off = ev({
    category: 'policy_change',
    action: { name: 'alter_system', statement: "ALTER SYSTEM SET pgaudit.log = 'none'" },
    details: { audit_logging_disabled: true },
    privileged: { value: true, reasons: ['admin_action', 'audit_disabled'] },
  });
  expect(rowFindings(off, {}, 'audit.disabled')[0]!.message).toMatch(
    /audit logging was turned off by 'alice' at 2024-05-01T12:00:00.000Z/,
  );
  const root = ev(
    { user: { name: 'root', type: 'root' }, privileged: { value: true, reasons: ['root_identity'] } },
    { kind: 'aws', format: 'cloudtrail' },
  );
  expect(rowFindings(root, {}, 'privileged.break-glass')[0]!.message).toContain("root identity 'root' ran 'update'");
  const su = ev({ privileged: { value: true, reasons: ['superuser'] } });
  expect(rowFindings(su, {}, 'privileged.break-glass')[0]!.message).toContain("superuser 'alice'");
  expect(rowFindings(ev(), {}, 'privileged.break-glass')).toEqual([]);
});

describe('sequence.gap', () => {
  const seq = (stream: string, number: number, sub = 1) => ev({ sequence: { stream, number, sub } });
  test('consecutive numbers and repeats pass; a jump is a gap naming the missing count', () => {
    const c = new CompletenessChecker();
    const fs = [seq('s1', 1), seq('s1', 2), seq('s1', 2, 2), seq('s2', 7), seq('s1', 5), seq('s2', 8)]
      .flatMap((e) => c.add(e))
      .filter((f) => f.rule === 'sequence.gap');
    expect(fs).toHaveLength(1);
    expect(fs[0]!.message).toMatch(/stream 's1' jump from 2 to 5: 2 records are missing/);
  });
  test('a lower number starts the stream over (a recycled pid), not a gap', () => {
    const c = new CompletenessChecker();
    expect(
      [seq('p', 10), seq('p', 1), seq('p', 2)].flatMap((e) => c.add(e)).filter((f) => f.rule === 'sequence.gap'),
    ).toEqual([]);
  });
  test('formats whose numbers count unaudited work are not checked', () => {
    const c = new CompletenessChecker();
    const m = (n: number) =>
      ev({ sequence: { stream: '21', number: n } }, { kind: 'mariadb', format: 'mariadb-audit' });
    expect([m(1), m(40)].flatMap((e) => c.add(e)).filter((f) => f.rule === 'sequence.gap')).toEqual([]);
  });
});

describe('category.empty', () => {
  test('names the likely configuration cause per source', () => {
    const c = new CompletenessChecker();
    c.add(ev());
    c.add(ev({}, { kind: 'aws', format: 'cloudtrail' }));
    c.add(ev({}, { kind: 'gcp', format: 'gcp-audit' }));
    c.add(ev({}, { kind: 'mariadb', format: 'mariadb-audit' }));
    const fs = c.finish().findings.filter((f) => f.rule === 'category.empty');
    const msg = (src: string, cat: string) => fs.find((f) => f.source === src && f.field === cat)!;
    expect(msg('pgaudit', 'authentication').message).toContain('log_connections');
    expect(msg('pgaudit', 'permission_change').message).toContain("pgaudit.log lacks 'role'");
    expect(msg('pgaudit', 'access_request').severity).toBe('info');
    expect(msg('mariadb-audit', 'authentication').message).toContain('server_audit_events lacks CONNECT');
    expect(msg('cloudtrail', 'data_exposure').message).toContain('data events are off');
    expect(msg('gcp-audit', 'data_exposure').message).toContain('Data Access audit logs are off');
    expect(fs.find((f) => f.source === 'pgaudit' && f.field === 'change_execution')).toBeUndefined();
  });

  test('known settings refine the advice; a described source with no events is an error', () => {
    const c = new CompletenessChecker({
      sources: [
        {
          name: 'pg-prod',
          kind: 'postgresql',
          format: 'pgaudit',
          instance: 'prod',
          settings: { log_connections: 'on', 'pgaudit.log': 'ddl,role' },
        },
        { name: 'pg-empty', kind: 'postgresql', format: 'pgaudit', instance: 'empty' },
      ],
    });
    c.add(ev({}, { instance: 'prod' }));
    const r = c.finish();
    const fs = r.findings.filter((f) => f.rule === 'category.empty');
    expect(fs.find((f) => f.source === 'pg-prod' && f.field === 'authentication')!.message).toContain(
      'log_connections is on',
    );
    expect(fs.find((f) => f.source === 'pg-prod' && f.field === 'permission_change')!.severity).toBe('info');
    expect(fs.find((f) => f.source === 'pg-empty')!.message).toContain('produced no events at all');
    expect(Object.keys(r.categories)).toEqual(['pg-prod', 'pg-empty']);
  });
});

test('input.rejected counts and fails by default', () => {
  const c = new CompletenessChecker();
  c.add(ev());
  const f = c.reject({ file: 'x.log', line: 3 }, 'truncated record', 'pgaudit');
  expect(f.message).toBe('x.log:3: record rejected: truncated record');
  const r = c.finish();
  expect(r.rejected).toBe(1);
  expect(r.pass).toBe(false);
  expect(r.failedBecause).toContain('1 input.rejected finding (a rule that fails the check)');
});
