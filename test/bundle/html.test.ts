// report/summary.html without a browser: the SVG builders (zero days, bar heights, labels), the
// verdict and its red banner for every status that is not complete/empty, escaping of hostile
// values, and validity by html-validate. The page in a real browser: report-browser.test.ts.
import { describe, it, expect } from 'vitest';
import { summaryHtml, verdictProblems, periodWords, type SummaryData } from '../../src/bundle/html.js';
import { barHeight, dayChartSvg, silentHours, zeroRuns, DAY_CHART } from '../../src/bundle/svg.js';
import { demoCuts, demoPart, demoShifts, DEMO_WEEK, DEMO_SILENT_DAY } from '../../src/collect/demo.js';
import { periodDays } from '../../src/collect/window.js';
import type { EvidencePredicate, SourceEntry } from '../../src/bundle/manifest.js';
import { validateHtml } from '../helpers/html-validate.js';

function source(name: string, over: Partial<SourceEntry> = {}): SourceEntry {
  return {
    name,
    type: 'file',
    kind: 'postgresql',
    format: 'pgaudit',
    how: `files: /var/log/${name}/*.log`,
    status: 'complete',
    status_reason: null,
    last_position: null,
    records_read: 10,
    events: 10,
    rejects: 0,
    skipped: {},
    outside_period: 0,
    raw_records: 10,
    raw_file: `raw/${name}/records.jsonl`,
    first_event: '2026-11-23T10:00:00.000Z',
    last_event: '2026-11-24T10:00:00.000Z',
    untimed_events: 0,
    counts_reconcile: true,
    settings: {},
    roster: [],
    warnings: [],
    demo_time_shift_days: null,
    ...over,
  };
}

function predicate(sources: SourceEntry[], over: Partial<EvidencePredicate> = {}): EvidencePredicate {
  const events = sources.reduce((a, s) => a + s.events, 0);
  return {
    bundle_format: 1,
    demo: false,
    period: { start: '2026-11-23T00:00:00.000Z', end: '2026-11-30T00:00:00.000Z', timezone: 'UTC', how: 'week' },
    generated_at: '2026-11-30T00:05:00.000Z',
    collector: { name: 'audit-evidence', version: '0.1.0' },
    signer: { keyid: 'ab'.repeat(32), ephemeral: false, warning: null },
    config: { file: 'audit-evidence.yaml', sha256: null, profile: 'soc2', shared_identities: null, roster_from: [] },
    sources,
    totals: { records_read: events, events, rejects: 0, skipped: 0, outside_period: 0, counts_reconcile: true },
    events: {
      file: 'events.jsonl',
      count: events,
      merkle_root: 'cd'.repeat(32),
      tree: 'RFC 6962: leaf = SHA-256(0x00 || line), node = SHA-256(0x01 || left || right), one leaf per line of events.jsonl without its line break',
      by_category: { authentication: events },
      privileged: 1,
    },
    completeness: {
      report: 'report/completeness.json',
      profile: 'soc2',
      fields: [],
      pass: true,
      rows: events,
      complete_rows: events,
      percent_complete: 100,
      missing: {},
      failed_because: [],
      finding_counts: {},
    },
    previous_bundle: null,
    ...over,
  };
}

const DAYS = periodDays(new Date('2026-11-23T00:00:00Z'), new Date('2026-11-30T00:00:00Z'), 'UTC');

function data(p: EvidencePredicate, over: Partial<SummaryData> = {}): SummaryData {
  return {
    predicate: p,
    categoriesBySource: Object.fromEntries(p.sources.map((s) => [s.name, { authentication: s.events }])),
    days: DAYS,
    daysBySource: Object.fromEntries(p.sources.map((s) => [s.name, s.events ? { '2026-11-23': s.events } : {}])),
    hoursBySource: null,
    sample: [
      {
        line: 1,
        timestamp: '2026-11-23T10:00:00.000Z',
        user: 'dba',
        action: 'grant',
        resource: 'db',
        category: 'permission_change',
        outcome: 'success',
        source: p.sources[0]?.name ?? null,
        reasons: ['admin_action'],
      },
    ],
    privilegedByCategory: { permission_change: 1 },
    sampleLimit: 10,
    findings: [],
    ...over,
  };
}

describe('periodDays', () => {
  it('lists every calendar day of the period in its zone, DST days included', () => {
    expect(DAYS).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
    ]);
    // Europe/Berlin leaves summer time on 2026-10-25: the week still has seven days.
    const berlin = periodDays(new Date('2026-10-19T22:00:00Z'), new Date('2026-10-26T23:00:00Z'), 'Europe/Berlin');
    expect(berlin).toEqual([
      '2026-10-20',
      '2026-10-21',
      '2026-10-22',
      '2026-10-23',
      '2026-10-24',
      '2026-10-25',
      '2026-10-26',
    ]);
    expect(periodDays(new Date('2026-11-23T12:00:00Z'), new Date('2026-11-24T06:00:00Z'), 'UTC')).toEqual([
      '2026-11-23',
      '2026-11-24',
    ]);
  });
});

describe('the per-day SVG chart', () => {
  const chart = (counts: Record<string, number>, days = DAYS) =>
    dayChartSvg({
      id: 't',
      days,
      title: 'Events per day',
      description: 'test',
      rows: [
        { label: 'All sources', counts, total: true },
        { label: 'pg', counts },
      ],
    });

  it('draws every day of the period, zero days included and marked', () => {
    const svg = chart({ '2026-11-23': 5, '2026-11-25': 10 });
    for (const day of DAYS) expect(svg).toContain(`data-day="${day}"`);
    // Each row has one group per day: 7 days × 2 rows.
    expect(svg.match(/class="day-bar"/g)).toHaveLength(14);
    expect(svg.match(/data-count="0"/g)).toHaveLength(10);
    // Days with no events from any source are hatched, once per day.
    expect(svg.match(/class="none-band"/g)).toHaveLength(5);
    expect(svg).not.toContain('class="none-band" data-day="2026-11-23"');
    expect(svg).toContain('>none</text>');
    expect(svg).not.toMatch(/url\(|<script|href/);
  });

  it('bar heights are proportional to the row maximum, at least 2 px, and labelled with the count', () => {
    expect(barHeight(10, 10)).toBe(DAY_CHART.barMax);
    expect(barHeight(5, 10)).toBe(Math.round(DAY_CHART.barMax / 2));
    expect(barHeight(1, 1000)).toBe(2);
    expect(barHeight(0, 10)).toBe(0);
    const svg = chart({ '2026-11-23': 5, '2026-11-25': 10 });
    const heights = [...svg.matchAll(/<rect class="bar" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="(\d+)"/g)].map(
      (m) => Number(m[1]),
    );
    expect(heights).toEqual([
      Math.round(DAY_CHART.barMax / 2),
      DAY_CHART.barMax,
      Math.round(DAY_CHART.barMax / 2),
      DAY_CHART.barMax,
    ]);
    expect(svg).toMatch(/<text class="count"[^>]*>5<\/text>/);
    expect(svg).toMatch(/<text class="count"[^>]*>10<\/text>/);
    expect(svg).toMatch(/<text class="day"[^>]*>Mon<\/text>/);
    expect(svg).toMatch(/<text class="date"[^>]*>11-23<\/text>/);
    expect(svg).toMatch(/<text class="sum"[^>]*>15<\/text>/);
  });

  it('keeps a column for each day of a 31-day period and escapes labels', () => {
    const days = periodDays(new Date('2026-10-01T00:00:00Z'), new Date('2026-11-01T00:00:00Z'), 'UTC');
    expect(days).toHaveLength(31);
    const svg = dayChartSvg({
      id: 'x',
      days,
      title: '<b>',
      description: '&',
      rows: [{ label: '<script>alert(1)</script>', counts: { '2026-10-05': 3 } }],
    });
    for (const day of days) expect(svg).toContain(`data-day="${day}"`);
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
  });

  it('flags silent hours only for a source that is usually busy', () => {
    const busy = new Array(48).fill(3);
    busy[5] = 0;
    busy[6] = 0;
    busy[30] = 0;
    expect(zeroRuns(busy)).toEqual([
      [5, 6],
      [30, 30],
    ]);
    expect(silentHours(busy)).toEqual({
      busyHours: 45,
      runs: [
        [5, 6],
        [30, 30],
      ],
    });
    const quiet = new Array(48).fill(0);
    quiet[3] = 1;
    expect(silentHours(quiet)).toBeNull();
    expect(silentHours(new Array(48).fill(1))).toBeNull();
  });
});

describe('the verdict', () => {
  it('is green only when every source is complete or empty, completeness passed and the counts reconcile', async () => {
    const html = summaryHtml(
      data(
        predicate([
          source('pg'),
          source('idle', { status: 'empty', status_reason: 'no events in the period', events: 0, records_read: 0 }),
        ]),
      ),
    );
    expect(html).toContain('<b class="badge ok">COMPLETE</b> Every source was read to the end');
    expect(html).toContain('<b class="badge warn">EMPTY</b> <b>idle</b>');
    expect(html).not.toContain('banner bad');
    expect(await validateHtml(html)).toEqual([]);
  });

  for (const status of ['failed', 'partial', 'unreadable', 'some-future-status']) {
    it(`shows a red banner for a ${status} source, and the counts are not green`, async () => {
      const p = predicate([
        source('pg'),
        source('aws-prod', {
          status: status as SourceEntry['status'],
          status_reason: 'AccessDenied: not authorized to call LookupEvents',
          events: 0,
          records_read: 0,
        }),
      ]);
      const html = summaryHtml(data(p));
      const banner = /<div class="banner bad" role="alert">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? '';
      expect(banner).toContain(
        `<b class="badge bad">${status.toUpperCase()}</b> source <b>aws-prod</b>: <span class="wrap">AccessDenied`,
      );
      expect(html.indexOf('banner bad')).toBeLessThan(html.indexOf('<h2 id="sources-h"'));
      expect(html).not.toContain('badge ok">RECONCILE');
      expect(html).toContain('badge warn">ONLY WHAT WAS READ');
      expect(html).not.toContain('Every source was read to the end');
      // In the chart its zeros mean "not read", and its row says so.
      expect(html).toContain(`<text class="flag" x="0"`);
      expect(html).toContain(`>${status.toUpperCase()}: not fully read</text>`);
      expect(await validateHtml(html)).toEqual([]);
    });
  }

  it('lists a failed completeness check with its reasons and the failing rule ids and counts', () => {
    const p = predicate([source('pg')], {
      completeness: {
        report: 'report/completeness.json',
        profile: 'soc2',
        fields: [],
        pass: false,
        rows: 10,
        complete_rows: 10,
        percent_complete: 100,
        missing: {},
        failed_because: ['1 audit.disabled finding (rule in --fail-on)'],
        finding_counts: { 'audit.disabled': 1, 'identity.shared': 4, 'field.missing': 0 },
      },
    });
    const problems = verdictProblems(p);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(
      '<b class="badge bad">FAIL</b> completeness (soc2): 1 audit.disabled finding (rule in --fail-on); rules with errors: <code>audit.disabled</code> 1',
    );
    expect(problems[0]).not.toContain('identity.shared');
  });

  it('says when the counts do not reconcile', () => {
    const p = predicate([source('pg', { counts_reconcile: false })]);
    p.totals.counts_reconcile = false;
    expect(verdictProblems(p).join('')).toContain('MISMATCH');
  });

  it('gives the period as dates with the zone, the last day inclusive', () => {
    expect(
      periodWords({ start: '2026-11-23T00:00:00.000Z', end: '2026-11-30T00:00:00.000Z', timezone: 'UTC', how: 'week' })
        .short,
    ).toBe('2026-11-23 to 2026-11-29 (UTC)');
    expect(
      periodWords({
        start: '2026-11-22T23:00:00.000Z',
        end: '2026-11-29T23:00:00.000Z',
        timezone: 'Europe/Berlin',
        how: 'week',
      }).long,
    ).toBe(
      'Monday 2026-11-23 to Sunday 2026-11-29: 7 days, zone Europe/Berlin (from 2026-11-23 00:00 inclusive to 2026-11-30 00:00 exclusive)',
    );
    expect(
      periodWords({
        start: '2026-11-23T06:30:00.000Z',
        end: '2026-11-23T18:00:00.000Z',
        timezone: 'UTC',
        how: 'since-until',
      }).short,
    ).toBe('2026-11-23 06:30 to 2026-11-23 18:00 (UTC)');
  });
});

describe('silent hours on the page', () => {
  it('lists the hours with no events of a source that usually has events every hour, and marks their day', async () => {
    const hours = new Array(7 * 24).fill(2);
    for (let h = 26; h <= 29; h++) hours[h] = 0; // 2026-11-24 02:00 to 06:00
    const html = summaryHtml(data(predicate([source('busy')]), { hoursBySource: { busy: hours } }));
    expect(html).toContain('<b>busy</b> has events in 164 of 168 hours, but none in: 2026-11-24 02:00–06:00 (4 h)');
    expect(html).toMatch(/<text class="note"[^>]*>4 h silent<\/text>/);
    expect(await validateHtml(html)).toEqual([]);
  });
});

describe('escaping and validity', () => {
  it('keeps a <script> in a user name, a source name, a reason and a finding as text, and the page stays valid', async () => {
    const evil = '<script>alert(1)</script>';
    const p = predicate([
      source('pg'),
      source('bad', {
        status: 'failed',
        status_reason: `file ${evil} & "quotes"`,
        skipped: { [evil]: 3 },
        how: evil,
        warnings: [evil],
      }),
    ]);
    const html = summaryHtml(
      data(p, {
        sample: [
          {
            line: 7,
            timestamp: '2026-11-23T10:00:00.000Z',
            user: evil,
            action: evil,
            resource: evil,
            category: 'permission_change',
            outcome: 'success',
            source: 'pg',
            reasons: ['superuser'],
          },
        ],
        findings: [
          {
            rule: 'identity.shared',
            severity: 'warning',
            message: `user ${evil} is shared`,
            source: 'pg',
            location: { file: evil, line: 3 } as never,
          },
        ],
      }),
    );
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<b class="badge mark">BREAK-GLASS</b>');
    expect(await validateHtml(html)).toEqual([]);
  });

  it('has a lang, table headers with scope, no scripts and nothing external', () => {
    const html = summaryHtml(data(predicate([source('pg')])));
    expect(html).toMatch(/<html lang="en">/);
    expect(html.match(/<th(?![^>]*scope=)[ >]/g)).toBeNull();
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=|href=/i);
  });

  it('groups the administrator sample by category, permission and policy changes first', () => {
    const row = (line: number, category: string) => ({
      line,
      timestamp: '2026-11-23T10:00:00.000Z',
      user: 'u',
      action: 'a',
      resource: 'r',
      category,
      outcome: 'success',
      source: 'pg',
      reasons: ['admin_action'],
    });
    const html = summaryHtml(
      data(predicate([source('pg')]), {
        sample: [row(1, 'authentication'), row(2, 'policy_change'), row(3, 'permission_change')],
        privilegedByCategory: { authentication: 40, policy_change: 1, permission_change: 1 },
        sampleLimit: 1,
      }),
    );
    const order = [...html.matchAll(/<tr class="cat"><th scope="rowgroup" colspan="8">([A-Za-z ]+) <span/g)].map(
      (m) => m[1],
    );
    expect(order).toEqual(['Permission changes', 'Policy changes', 'Authentication']);
    expect(html).toContain('Authentication <span class="small">40 events, the first 1 shown</span>');
  });
});

describe('the demo week', () => {
  it('cuts a source at its longest pauses and keeps order and spacing inside each part', () => {
    const t = [0, 1000, 2000, 60000, 61000, 200000, 200500];
    const cuts = demoCuts(t, 3);
    expect(cuts).toEqual([60000, 200000]);
    expect(t.map((x) => demoPart(x, cuts))).toEqual([0, 0, 0, 1, 1, 2, 2]);
    expect(demoCuts(t, 1)).toEqual([]);
  });

  it('moves each part by whole days onto its day of the week, leaving the silent day empty', () => {
    const since = Date.parse('2026-11-23T00:00:00Z');
    const until = Date.parse('2026-11-30T00:00:00Z');
    const first = Date.parse('2019-03-04T22:17:35Z');
    const shifts = demoShifts([first, first + 60000], [0, 5], since, until);
    expect(shifts.every(Number.isInteger)).toBe(true);
    expect(new Date(first + shifts[0] * 86400000).toISOString()).toBe('2026-11-23T22:17:35.000Z');
    expect(new Date(first + 60000 + shifts[1] * 86400000).toISOString()).toBe('2026-11-28T22:18:35.000Z');
    const used = new Set(Object.values(DEMO_WEEK).flat());
    expect([...used].sort()).toEqual([0, 1, 2, 4, 5, 6]);
    expect(used.has(DEMO_SILENT_DAY)).toBe(false);
  });
});
