// The auditor's checklist (src/checks/checklist.ts): eight lines, met / not met / unknown, never
// "met" without evidence. Over the real golden fixtures (every expected.jsonl), over hand-made
// manifests for the cases the fixtures do not reach, and as a property over random subsets of the
// real events: line 3 is met exactly when every row carries the four fields, and no line is ever
// met with an empty evidence list.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { globSync } from 'tinyglobby';
import { checklist, checklistSummary, checklistText, ChecklistStats } from '../../src/checks/checklist.js';
import { FIELDS } from '../../src/checks/profiles.js';
import type { AuditEvent } from '../../src/event/types.generated.js';
import type { EvidencePredicate } from '../../src/bundle/manifest.js';
import { retention } from '../../src/retention/types.js';
import { ev } from './make-event.js';

const golden: AuditEvent[] = globSync('fixtures/**/*.expected.jsonl')
  .sort()
  .flatMap((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent),
  );

const stats = (events: AuditEvent[]) => {
  const s = new ChecklistStats();
  for (const e of events) s.add(e);
  return s;
};
const four = (e: AuditEvent) =>
  (['user', 'action', 'timestamp', 'resource'] as const).every((f) => FIELDS[f].missing(e) === null);

function predicate(
  over: Partial<EvidencePredicate> = {},
  sources: Array<Partial<EvidencePredicate['sources'][number]>> = [{}],
): EvidencePredicate {
  return {
    bundle_format: 1,
    demo: false,
    period: { start: '2024-05-01T00:00:00.000Z', end: '2024-05-08T00:00:00.000Z', timezone: 'UTC', how: 'week' },
    generated_at: '2024-05-08T01:00:00.000Z',
    collector: { name: 'audit-evidence', version: '0' },
    signer: { keyid: 'k1', ephemeral: false, warning: null },
    config: { file: 'c.yaml', sha256: null, profile: 'soc2', shared_identities: null, roster_from: [] },
    sources: sources.map((s, i) => ({
      name: `s${i}`,
      type: 'postgres',
      kind: 'postgresql',
      format: 'pgaudit',
      how: 'live',
      status: 'complete',
      status_reason: null,
      last_position: null,
      records_read: 1,
      events: 1,
      rejects: 0,
      skipped: {},
      outside_period: 0,
      raw_records: 1,
      raw_file: 'raw',
      first_event: null,
      last_event: null,
      untimed_events: 0,
      counts_reconcile: true,
      settings: {},
      roster: [
        {
          principal: 'postgres',
          reason: 'superuser',
          origin: `live:s${i} pg_roles, read 2024-05-08T00:00:00Z`,
          instance: null,
        },
      ],
      warnings: [],
      demo_time_shift_days: null,
      retention: retention(400, 'a 400-day bucket', 'x', {}),
      ...s,
    })),
    totals: { records_read: 1, events: 1, rejects: 0, skipped: 0, outside_period: 0, counts_reconcile: true },
    events: {
      file: 'events.jsonl',
      count: 1,
      merkle_root: 'r',
      tree: 'RFC 6962: leaf = SHA-256(0x00 || line), node = SHA-256(0x01 || left || right), one leaf per line of events.jsonl without its line break',
      by_category: {},
      privileged: 0,
    },
    completeness: {
      report: 'r',
      profile: 'soc2',
      fields: [],
      pass: true,
      rows: 1,
      complete_rows: 1,
      percent_complete: 100,
      missing: {},
      failed_because: [],
      finding_counts: {},
    },
    previous_bundle: null,
    ...over,
  } as EvidencePredicate;
}

const byId = (lines: ReturnType<typeof checklist>) => Object.fromEntries(lines.map((l) => [l.id, l]));

describe('the checklist over the real golden fixtures', () => {
  test('counts, and the lines a check over log files can and cannot answer', () => {
    expect(golden.length).toBeGreaterThan(2000);
    const s = stats(golden);
    const lines = checklist({ stats: s, predicate: null, retentionMinDays: 365 });
    console.log(checklistText(lines, `checklist over ${golden.length} golden events (no bundle)`).join('\n'));
    expect(lines.map((l) => l.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const l = byId(lines);
    // Without a bundle there is no roster, no export and no signature: unknown, with what would answer it.
    expect(l['admin-roles-enumerable'].status).toBe('unknown');
    expect(l['week-exported'].status).toBe('unknown');
    expect(l['retention-tamper-evident'].status).toBe('unknown');
    // The fixtures include rows without a user or resource, and untimed ones: line 3, 4 and 8 say so.
    expect(s.rows).toBe(golden.length);
    expect(s.fourComplete).toBe(golden.filter(four).length);
    expect(s.fourComplete).toBeLessThan(s.rows);
    expect(l['four-fields'].status).toBe('not met');
    expect(l['four-fields'].evidence[0]).toMatch(
      new RegExp(`^${s.fourComplete.toLocaleString('en-US')} of ${s.rows.toLocaleString('en-US')} rows carry all four`),
    );
    expect(l.queryable.status).toBe('not met');
    expect(s.untimed).toBe(golden.filter((e) => e.timestamp === null).length);
    expect(l['siem-ingestion'].status).toBe(s.untimed ? 'not met' : 'met');
    // Break-glass: root identities and superusers are in the corpus.
    expect(s.breakGlass).toBeGreaterThan(0);
    expect(['met', 'not met']).toContain(l['break-glass-logged'].status);
    // Privileged actions: every admin-class action in the corpus has a category.
    expect(s.adminActions).toBeGreaterThan(100);
    expect(l['privileged-actions-typed']).toMatchObject({ status: 'met' });
  });

  test('property: line 3 is met exactly when every row has the four fields; "met" always carries evidence', () => {
    fc.assert(
      fc.property(fc.subarray(golden, { minLength: 0, maxLength: 200 }), fc.boolean(), (sub, withBundle) => {
        const lines = checklist({
          stats: stats(sub),
          predicate: withBundle ? predicate() : null,
          retentionMinDays: 365,
        });
        const l = byId(lines);
        if (sub.length === 0) expect(l['four-fields'].status).toBe('unknown');
        else expect(l['four-fields'].status === 'met').toBe(sub.every(four));
        for (const x of lines) {
          expect(x.evidence.length).toBeGreaterThan(0);
          expect(x.evidence.every((e) => e.trim().length > 0)).toBe(true);
        }
        // Without a bundle, lines 1, 5 and 7 can never be met (no roster, no export, no signature).
        if (!withBundle)
          for (const id of ['admin-roles-enumerable', 'week-exported', 'retention-tamper-evident'])
            expect(l[id].status).not.toBe('met');
      }),
      { numRuns: 200 },
    );
  });
});

describe('the checklist from a bundle manifest', () => {
  const good = [
    ev({ category: 'permission_change', privileged: { value: true, reasons: ['admin_action'] } } as never),
    ev(),
  ];

  test('everything present: eight lines met, each with its evidence', () => {
    const s = stats(good);
    s.breakGlass = 1;
    s.breakGlassComplete = 1; // a break-glass row, counted as add() would
    const lines = checklist({
      stats: s,
      predicate: predicate({
        ocsf: { file: 'events.ocsf.jsonl', version: '1.8.0', records: 2, events_not_exported: 0, not_exported: {} },
      }),
      retentionMinDays: 365,
    });
    expect(lines.map((l) => `${l.n} ${l.status}`)).toEqual([
      '1 met',
      '2 met',
      '3 met',
      '4 met',
      '5 met',
      '6 met',
      '7 met',
      '8 met',
    ]);
    const l = byId(lines);
    expect(l['admin-roles-enumerable'].evidence).toEqual(['s0: 1 (live:s0 pg_roles)']);
    expect(l['retention-tamper-evident'].evidence).toEqual([
      's0: keeps 400 days (a 400-day bucket)',
      expect.stringMatching(/^tamper-evident: Ed25519 \(DSSE\) signature by key k1/),
    ]);
    expect(l['siem-ingestion'].evidence[0]).toMatch(/^events\.ocsf\.jsonl: 2 OCSF 1\.8\.0 records/);
    expect(checklistSummary(lines)).toMatch(/^auditor's checklist: 8 met, 0 not met, 0 unknown/);
  });

  test('each line falls when its evidence does', () => {
    const s = stats(good);
    const l = byId(
      checklist({
        stats: s,
        retentionMinDays: 365,
        predicate: predicate(
          {
            signer: { keyid: 'e', ephemeral: true, warning: 'x' },
            period: {
              start: '2024-05-01T00:00:00.000Z',
              end: '2024-05-03T00:00:00.000Z',
              timezone: 'UTC',
              how: 'since-until',
            },
          },
          [
            { roster: [] },
            { retention: retention(30, 'the _Default bucket keeps 30 days', 'x', {}) },
            { retention: retention(null, 'unreadable', 'x', {}), status: 'partial' },
          ],
        ),
      }),
    );
    expect(l['admin-roles-enumerable']).toMatchObject({
      status: 'not met',
      evidence: [
        expect.stringMatching(/^no admin roster for s0 /),
        's1: 1 (live:s1 pg_roles)',
        's2: 1 (live:s2 pg_roles)',
      ],
    });
    expect(l['week-exported']).toMatchObject({
      status: 'not met',
      evidence: [expect.stringMatching(/the period is 2 days, shorter than a week/), expect.any(String)],
    });
    expect(l['retention-tamper-evident'].status).toBe('not met');
    expect(l['retention-tamper-evident'].evidence.join('\n')).toMatch(
      /s1: keeps 30 days, less than 365 days[\s\S]*s2: retention unknown: unreadable[\s\S]*EPHEMERAL key/,
    );
    expect(l['break-glass-logged'].status).toBe('unknown');
    // a roster from the configuration covers sources that list none (said so)
    const cfg = byId(
      checklist({
        stats: s,
        retentionMinDays: 365,
        predicate: predicate(
          {
            config: {
              file: 'c',
              sha256: null,
              profile: 'soc2',
              shared_identities: null,
              roster_from: ['file:admins.txt'],
            },
          },
          [{ roster: [] }],
        ),
      }),
    );
    expect(cfg['admin-roles-enumerable']).toMatchObject({
      status: 'met',
      evidence: [
        'configuration roster (file:admins.txt): listed by hand, applies to every source',
        's0: no roster read from the source; only the configuration roster covers it',
      ],
    });
    // unknown retention alone is unknown, not met
    const unk = byId(
      checklist({
        stats: s,
        retentionMinDays: 365,
        predicate: predicate({}, [{ retention: retention(null, 'cannot tell', 'x', {}) }]),
      }),
    );
    expect(unk['retention-tamper-evident'].status).toBe('unknown');
  });

  test('privileged only by identity is not a privileged action; untyped admin actions are not met', () => {
    const s = stats([
      ev({
        category: 'other',
        user: { name: 'postgres', type: 'service' },
        privileged: { value: true, reasons: ['superuser'] },
      } as never),
      ev({ category: 'other', privileged: { value: true, reasons: ['admin_action'] } } as never),
      ev({ category: 'policy_change', privileged: { value: true, reasons: ['admin_action'] } } as never),
    ]);
    const l = byId(checklist({ stats: s, predicate: null, retentionMinDays: 365 }))['privileged-actions-typed'];
    expect(l.status).toBe('not met');
    expect(l.evidence).toEqual([
      '1 of 2 admin-class actions have no entry type (category other)',
      'by category: other 1, policy_change 1',
      '1 more events are privileged only by who did them (root, superuser, roster), not by their action',
    ]);
  });
});
