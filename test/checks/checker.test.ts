// The checker as a whole: thresholds, the gate, bounded examples, privileged narrowing, the
// roster, and real corpus fixtures normalized by the pipeline.
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { CompletenessChecker, DEFAULT_FAIL_ON, RULES, resolveFailOn } from '../../src/checks/index.js';
import { parseRoster } from '../../src/privilege/roster.js';
import { normalizeFiles } from '../helpers/golden.js';
import { ev } from './make-event.js';

test('rule ids are stable and unique', () => {
  expect(RULES.map((r) => r.id)).toEqual([
    'audit.disabled',
    'privileged.break-glass',
    'field.missing',
    'time.invalid',
    'time.outside-window',
    'identity.shared',
    'identity.ambiguous',
    'resource.implicit',
    'category.empty',
    'sequence.gap',
    'input.rejected',
    'retention.short',
    'probe.not-found',
    'probe.found',
    'integrity.cloudtrail-digest',
  ]);
  expect(DEFAULT_FAIL_ON).toEqual([
    'audit.disabled',
    'time.outside-window',
    'sequence.gap',
    'input.rejected',
    'probe.not-found',
    'integrity.cloudtrail-digest',
  ]);
});

describe('the gate', () => {
  test('a complete log passes; the report lists the profile fields and counts', () => {
    const c = new CompletenessChecker({ profile: 'pci' });
    for (let i = 0; i < 3; i++) c.add(ev({ category: i === 0 ? 'authentication' : 'change_execution' }));
    const r = c.finish();
    expect(r).toMatchObject({
      profile: 'pci',
      fields: ['user', 'action', 'timestamp', 'resource', 'outcome', 'origin'],
      rows: 3,
      completeRows: 3,
      percentComplete: 100,
      pass: true,
      failedBecause: [],
    });
    expect(r.categories.pgaudit).toMatchObject({ authentication: 1, change_execution: 2, data_exposure: 0 });
  });

  test('--min-complete lowers the bar; percent is floored so 99.99 never shows as 100', () => {
    const rows = [ev(), ev(), ev({ user: { name: null } })];
    const strict = new CompletenessChecker();
    rows.forEach((e) => strict.add(e));
    expect(strict.finish()).toMatchObject({ pass: false, percentComplete: 66.66, missing: { user: 1 } });
    const lax = new CompletenessChecker({ minComplete: 60 });
    rows.forEach((e) => lax.add(e));
    expect(lax.finish().pass).toBe(true);
  });

  test('--fail-on: default, none, explicit ids; unknown ids are rejected', () => {
    expect(resolveFailOn(['none'])).toEqual([]);
    expect(resolveFailOn(['default', 'identity.shared'])).toEqual([...DEFAULT_FAIL_ON, 'identity.shared']);
    expect(() => resolveFailOn(['no.such'])).toThrow(/unknown rule 'no.such'/);
    const shared = ev({ user: { name: 'postgres' } });
    const a = new CompletenessChecker();
    a.add(shared);
    expect(a.finish().pass).toBe(true);
    const b = new CompletenessChecker({ failOn: ['identity.shared'] });
    b.add(shared);
    expect(b.finish().failedBecause).toEqual(['1 identity.shared finding (a rule that fails the check)']);
  });

  test('--require-categories fails per source that lacks one; info findings never fail', () => {
    const c = new CompletenessChecker({ requireCategories: ['authentication'], failOn: ['category.empty'] });
    c.add(ev());
    const r = c.finish();
    expect(r.failedBecause).toContain('source pgaudit has no authentication events (required by --require-categories)');
    // access_request is info for pgaudit (no native events) and does not count
    expect(r.failedBecause.find((w) => w.includes('category.empty'))).toMatch(/^4 category.empty findings/);
    expect(() => new CompletenessChecker({ requireCategories: ['logins' as never] })).toThrow(/unknown category/);
  });

  test('no events at all fails', () => {
    expect(new CompletenessChecker().finish().failedBecause).toEqual([
      'no events were read, so nothing shows the log is captured',
    ]);
  });
});

test('memory: examples are capped per rule while counts stay exact', () => {
  const c = new CompletenessChecker({ examplesPerRule: 5 });
  let returned = 0;
  for (let i = 0; i < 500; i++) returned += c.add(ev({ user: { name: null } })).length;
  const r = c.finish();
  expect(returned).toBe(500);
  expect(r.findingCounts['field.missing']).toBe(501); // 500 rows + 1 source summary
  expect(r.findings.filter((f) => f.rule === 'field.missing' && f.location).length).toBe(5);
});

test('--privileged narrows the rows checked; categories still cover every event; the roster marks admins', () => {
  const roster = parseRoster('# admins\nbob,dba on call\n', 'admins.txt');
  const c = new CompletenessChecker({ privilegedOnly: true, roster });
  expect(c.add(ev({ user: { name: null } }))).toEqual([]); // not privileged: not checked
  const bob = c.add(ev({ user: { name: 'bob' }, resource: { name: null } }));
  expect(bob.map((f) => f.rule)).toEqual(['field.missing']);
  c.add(ev({ category: 'permission_change', privileged: { value: true, reasons: ['admin_action'] } }));
  const r = c.finish();
  expect(r).toMatchObject({ rows: 2, completeRows: 1, privileged: 2, privilegedOnly: true });
  expect(r.sources.pgaudit).toMatchObject({ events: 3, rows: 2 });
  expect(r.categories.pgaudit!.change_execution).toBe(2);
});

// Real corpus fixtures, normalized by the real pipeline, then checked.
const REAL = [
  'fixtures/mariadb-audit/universal-connectors__mariadb-server_audit.log',
  'fixtures/cloudtrail/stratus-red-team__aws.defense-evasion.cloudtrail-stop.json',
  'fixtures/gcp-audit/google-cloudevents__LogEntryData-pubsubCreateTopic.json',
  'fixtures/mysql-enterprise-audit/universal-connectors__mysql-enterprise-audit_json.log',
  'fixtures/pgaudit/immudb-log-audit__pgaudit.log',
].filter((f) => existsSync(f));

describe.each(REAL)('real fixture %s', (file) => {
  test('every row is counted, every missing field has a finding, and the report reconciles', async () => {
    const n = await normalizeFiles([file]);
    const c = new CompletenessChecker();
    const perRow = n.events.flatMap((e) => c.add(e));
    for (const r of n.rejects) c.reject({ ...(r.location as { file: string }) }, r.reason);
    const rep = c.finish();
    expect(rep.rows).toBe(n.events.length);
    const incomplete = new Set(
      perRow.filter((f) => f.rule === 'field.missing' || f.rule === 'time.invalid').map((f) => f.eventId),
    );
    expect(rep.completeRows).toBe(n.events.length - incomplete.size);
    for (const [field, count] of Object.entries(rep.missing)) {
      expect(perRow.filter((f) => f.rule === 'field.missing' && f.field === field)).toHaveLength(count);
      expect(count).toBe(
        n.events.filter((e) =>
          field === 'user'
            ? !e.user.name
            : field === 'resource'
              ? !e.resource.name
              : field === 'action'
                ? !e.action.name
                : !e.timestamp,
        ).length,
      );
    }
    for (const f of perRow) expect(f.message.startsWith(`${file}:`) || f.message.startsWith(`${file} (`)).toBe(true);
    expect(rep.pass).toBe(rep.failedBecause.length === 0);
  });
});

test('real: CloudTrail StopLogging is audit.disabled and fails the gate', async () => {
  const file = 'fixtures/cloudtrail/stratus-red-team__aws.defense-evasion.cloudtrail-stop.json';
  if (!existsSync(file)) return;
  const n = await normalizeFiles([file]);
  const c = new CompletenessChecker();
  n.events.forEach((e) => c.add(e));
  const r = c.finish();
  expect(r.findingCounts['audit.disabled']).toBeGreaterThan(0);
  expect(r.pass).toBe(false);
  expect(r.failedBecause.some((w) => w.includes('audit.disabled'))).toBe(true);
});

test('real: the MariaDB sample is incomplete where QUERY rows name no object', async () => {
  const file = 'fixtures/mariadb-audit/universal-connectors__mariadb-server_audit.log';
  if (!existsSync(file)) return;
  const n = await normalizeFiles([file]);
  const c = new CompletenessChecker();
  n.events.forEach((e) => c.add(e));
  const r = c.finish();
  expect(r.missing).toEqual({ resource: n.events.filter((e) => e.resource.name === null).length });
  expect(r.findingCounts['privileged.break-glass']).toBe(
    n.events.filter(
      (e) =>
        e.user.type === 'root' ||
        e.privileged.reasons.includes('superuser') ||
        e.privileged.reasons.includes('root_identity'),
    ).length,
  );
  expect(r.findingCounts['sequence.gap']).toBe(0);
});
