// The SOC 2 administrator-activity checklist an auditor works through, eight lines, each answered
// met / not met / unknown with the evidence or the reason. "met" is never said without evidence:
// when the facts are not at hand (a check over plain log files has no roster, no retention, no
// signature) the line says unknown and what would answer it. Computed from the bundle's manifest
// (when there is one) and counts over the events (ChecklistStats, streaming: constant memory), so
// collect (the HTML page) and check (text and --json) give the same answer for the same bundle.
import type { AuditEvent } from '../event/types.generated.js';
import type { EvidencePredicate } from '../bundle/manifest.js';
import type { Retention } from '../retention/types.js';
import { formatDays } from '../retention/types.js';
import { FIELDS } from './profiles.js';

export type ChecklistStatus = 'met' | 'not met' | 'unknown';

export interface ChecklistLine {
  /** 1..8 */
  n: number;
  id: string;
  /** The checklist's wording. */
  text: string;
  status: ChecklistStatus;
  /** The evidence (met) or the reason (not met / unknown), as short sentences. */
  evidence: string[];
}

const FOUR = ['user', 'action', 'timestamp', 'resource'] as const;
type Four = (typeof FOUR)[number];
const BREAK_GLASS_REASONS = ['root_identity', 'superuser', 'break_glass'];

/** Counts over the events that the checklist needs; add() every event once. */
export class ChecklistStats {
  rows = 0;
  fourComplete = 0;
  missing: Record<Four, number> = { user: 0, action: 0, timestamp: 0, resource: 0 };
  privileged = 0;
  privilegedByCategory: Record<string, number> = {};
  /** Events privileged because of their action (reason admin_action), by category. */
  adminActions = 0;
  adminActionsByCategory: Record<string, number> = {};
  breakGlass = 0;
  breakGlassComplete = 0;
  untimed = 0;
  first: string | null = null;
  last: string | null = null;

  add(e: AuditEvent): void {
    this.rows++;
    let complete = true;
    for (const f of FOUR)
      if (FIELDS[f].missing(e) !== null) {
        this.missing[f]++;
        complete = false;
      }
    if (complete) this.fourComplete++;
    if (e.timestamp === null) this.untimed++;
    else {
      if (this.first === null || e.timestamp < this.first) this.first = e.timestamp;
      if (this.last === null || e.timestamp > this.last) this.last = e.timestamp;
    }
    if (e.privileged.value) {
      this.privileged++;
      this.privilegedByCategory[e.category] = (this.privilegedByCategory[e.category] ?? 0) + 1;
      if (e.privileged.reasons.includes('admin_action')) {
        this.adminActions++;
        this.adminActionsByCategory[e.category] = (this.adminActionsByCategory[e.category] ?? 0) + 1;
      }
      if (e.user.type === 'root' || e.privileged.reasons.some((r) => BREAK_GLASS_REASONS.includes(r))) {
        this.breakGlass++;
        if (complete) this.breakGlassComplete++;
      }
    }
  }
}

export interface ChecklistInput {
  stats: ChecklistStats;
  /** The bundle's manifest predicate, or null for a check over log files / event files. */
  predicate: EvidencePredicate | null;
  /** Days the sources must keep their records (retention.minimum_days). */
  retentionMinDays: number;
  /** check --admins: the roster given on the command line (not read from the systems). */
  givenRoster?: { entries: number; from: string } | null;
  /** Retention read live from the configured sources (check --config), when there is no bundle. */
  liveRetention?: Array<{ name: string; retention: Retention | null }> | null;
}

const n = (x: number) => x.toLocaleString('en-US');
const DAY = 86_400_000;

function line(num: number, id: string, text: string, status: ChecklistStatus, evidence: string[]): ChecklistLine {
  return { n: num, id, text, status, evidence };
}

function missingText(m: Record<Four, number>): string {
  return FOUR.filter((f) => m[f] > 0)
    .map((f) => `${n(m[f])} without ${f}`)
    .join(', ');
}

export function checklist(i: ChecklistInput): ChecklistLine[] {
  const out: ChecklistLine[] = [];
  adminRolesEnumerable(i, out);
  privilegedActionsTyped(i, out);
  fourFields(i, out);
  queryable(i, out);
  weekExported(i, out);
  breakGlassLogged(i, out);
  retentionTamperEvident(i, out);
  siemIngestion(i, out);
  return out;
}

/** Every admin role in the system is enumerable. */
function adminRolesEnumerable(i: ChecklistInput, out: ChecklistLine[]): void {
  const p = i.predicate;
  const text = 'Every admin role in the system is enumerable';
  if (p) {
    const per = p.sources.map((src) => {
      const origins = [...new Set(src.roster.map((r) => r.origin.replace(/, read .*$/, '')))];
      return { name: src.name, count: src.roster.length, origins };
    });
    const configRoster = p.config.roster_from.length ? p.config.roster_from : [];
    const without = per.filter((x) => x.count === 0);
    const ev = per.filter((x) => x.count > 0).map((x) => `${x.name}: ${x.count} (${x.origins.join('; ')})`);
    if (configRoster.length)
      ev.push(`configuration roster (${configRoster.join(', ')}): listed by hand, applies to every source`);
    if (p.sources.length === 0)
      out.push(line(1, 'admin-roles-enumerable', text, 'unknown', ['the bundle has no sources']));
    else if (without.length === 0) out.push(line(1, 'admin-roles-enumerable', text, 'met', ev));
    else if (configRoster.length)
      out.push(
        line(1, 'admin-roles-enumerable', text, 'met', [
          ...ev,
          `${without.map((x) => x.name).join(', ')}: no roster read from the source; only the configuration roster covers ${without.length === 1 ? 'it' : 'them'}`,
        ]),
      );
    else
      out.push(
        line(1, 'admin-roles-enumerable', text, 'not met', [
          `no admin roster for ${without.map((x) => x.name).join(', ')} (files cannot list their system's administrators: read the source live, or list them in the config's admins section)`,
          ...ev,
        ]),
      );
  } else if (i.givenRoster && i.givenRoster.entries > 0) {
    out.push(
      line(1, 'admin-roles-enumerable', text, 'met', [
        `${n(i.givenRoster.entries)} principals from ${i.givenRoster.from} (given on the command line, not read from the systems)`,
      ]),
    );
  } else {
    out.push(
      line(1, 'admin-roles-enumerable', text, 'unknown', [
        'check read log files, not the systems: check a bundle from collect (rosters read from each source), or pass --admins FILE',
      ]),
    );
  }
}

/** Every privileged action has an entry type. */
function privilegedActionsTyped(i: ChecklistInput, out: ChecklistLine[]): void {
  const s = i.stats;
  const text = 'Every privileged action has an entry type';
  // Privileged ACTIONS: events whose action is admin-class (reason admin_action). Events privileged
  // only by who did them (a superuser's SET ROLE) are not privileged actions and may be 'other'.
  const cats = Object.entries(s.adminActionsByCategory).sort((a, b) => b[1] - a[1]);
  const untyped = s.adminActionsByCategory.other ?? 0;
  const list = cats.map(([c, k]) => `${c} ${n(k)}`).join(', ');
  const byWho = s.privileged - s.adminActions;
  const whoNote = byWho
    ? [`${n(byWho)} more events are privileged only by who did them (root, superuser, roster), not by their action`]
    : [];
  if (s.adminActions === 0)
    out.push(
      line(2, 'privileged-actions-typed', text, 'unknown', [
        `no admin-class actions among ${n(s.rows)} events, so no entry type could be seen`,
        ...whoNote,
      ]),
    );
  else if (untyped === 0)
    out.push(
      line(2, 'privileged-actions-typed', text, 'met', [
        `${n(s.adminActions)} admin-class actions, each with an entry type (category): ${list}`,
        ...whoNote,
      ]),
    );
  else
    out.push(
      line(2, 'privileged-actions-typed', text, 'not met', [
        `${n(untyped)} of ${n(s.adminActions)} admin-class actions have no entry type (category other)`,
        `by category: ${list}`,
        ...whoNote,
      ]),
    );
}

/** Four fields on every row. */
function fourFields(i: ChecklistInput, out: ChecklistLine[]): void {
  const s = i.stats;
  const text = 'Every row has user, action, time and resource';
  if (s.rows === 0) out.push(line(3, 'four-fields', text, 'unknown', ['no events']));
  else if (s.fourComplete === s.rows)
    out.push(
      line(3, 'four-fields', text, 'met', [
        `${n(s.rows)} of ${n(s.rows)} rows carry user, action, timestamp and resource`,
      ]),
    );
  else
    out.push(
      line(3, 'four-fields', text, 'not met', [
        `${n(s.fourComplete)} of ${n(s.rows)} rows carry all four; ${missingText(s.missing)}`,
      ]),
    );
}

/** Queryable by user, action, resource and time. */
function queryable(i: ChecklistInput, out: ChecklistLine[]): void {
  const s = i.stats;
  const text = 'The log can be queried by user, action, resource and time';
  const how =
    'user.name, action.name, resource.name and timestamp are separate fields of every row of events.jsonl and events.csv; audit-evidence filter --user --action --resource --since --until selects on them';
  if (s.rows === 0) out.push(line(4, 'queryable', text, 'unknown', ['no events']));
  else if (s.fourComplete === s.rows) out.push(line(4, 'queryable', text, 'met', [`${n(s.rows)} rows: ${how}`]));
  else
    out.push(
      line(4, 'queryable', text, 'not met', [
        `${n(s.rows - s.fourComplete)} rows cannot be found by every key (${missingText(s.missing)})`,
        how,
      ]),
    );
}

/** A week exported without post-processing. */
function weekExported(i: ChecklistInput, out: ChecklistLine[]): void {
  const s = i.stats;
  const p = i.predicate;
  const text = 'A week of activity is exported without post-processing';
  if (p) {
    const days = (Date.parse(p.period.end) - Date.parse(p.period.start)) / DAY;
    const bad = p.sources.filter((x) => x.status !== 'complete' && x.status !== 'empty');
    const ev = `collect wrote ${n(p.events.count)} events for ${p.period.start} to ${p.period.end} (${formatDays(days)}) straight into events.jsonl and events.csv, signed; ${p.sources.length} sources`;
    if (days < 7)
      out.push(
        line(5, 'week-exported', text, 'not met', [`the period is ${formatDays(days)}, shorter than a week`, ev]),
      );
    else if (bad.length)
      out.push(
        line(5, 'week-exported', text, 'not met', [
          `not every source was read completely: ${bad.map((x) => `${x.name} ${x.status}`).join(', ')}`,
          ev,
        ]),
      );
    else if (!p.totals.counts_reconcile)
      out.push(
        line(5, 'week-exported', text, 'not met', [
          'the counts (read = events + rejected + skipped) do not reconcile for every source',
          ev,
        ]),
      );
    else
      out.push(
        line(5, 'week-exported', text, 'met', [
          ev,
          'every source read to the end (complete or empty) and the counts reconcile',
        ]),
      );
  } else {
    out.push(
      line(5, 'week-exported', text, 'unknown', [
        `check read log files (${s.first && s.last ? `events from ${s.first} to ${s.last}` : 'no timed events'}); a week is exported by collect --week into a signed bundle`,
      ]),
    );
  }
}

/** Break-glass logged alike. */
function breakGlassLogged(i: ChecklistInput, out: ChecklistLine[]): void {
  const s = i.stats;
  const text = 'Break-glass access is logged like any other';
  if (s.breakGlass === 0)
    out.push(
      line(6, 'break-glass-logged', text, 'unknown', [
        `no break-glass activity (an account root, a database superuser used directly, an admin mode) among ${n(s.rows)} events, so nothing shows how it is logged; collect --probe performs one as proof`,
      ]),
    );
  else if (s.breakGlassComplete === s.breakGlass)
    out.push(
      line(6, 'break-glass-logged', text, 'met', [
        `${n(s.breakGlass)} break-glass events in the same log, each with user, action, timestamp and resource, flagged by rule privileged.break-glass`,
      ]),
    );
  else
    out.push(
      line(6, 'break-glass-logged', text, 'not met', [
        `${n(s.breakGlass - s.breakGlassComplete)} of ${n(s.breakGlass)} break-glass events lack one of user, action, timestamp or resource`,
      ]),
    );
}

/** Retention at least 12 months, and tamper-evident. */
function retentionTamperEvident(i: ChecklistInput, out: ChecklistLine[]): void {
  const p = i.predicate;
  const text = `Retention is at least ${i.retentionMinDays} days and the record is tamper-evident`;
  const rets = p ? p.sources.map((x) => ({ name: x.name, retention: x.retention ?? null })) : (i.liveRetention ?? null);
  const reasons: string[] = [];
  let status: ChecklistStatus = 'met';
  const worse = (x: ChecklistStatus) => {
    if (x === 'not met' || (x === 'unknown' && status === 'met')) status = x;
  };
  if (!rets || rets.length === 0) {
    worse('unknown');
    reasons.push(
      'retention: not read (check read log files: check the bundle collect wrote, which records how long each source keeps its records)',
    );
  } else {
    // Sources with the same answer are listed together (five file sources give one line, not five).
    const groups = new Map<string, string[]>();
    const add = (text: string, name: string) => {
      groups.set(text, [...(groups.get(text) ?? []), name]);
    };
    for (const r of rets) {
      const k = r.retention;
      if (!k || k.days === null) {
        worse('unknown');
        add(`retention unknown: ${k?.basis ?? 'not read'}`, r.name);
      } else if (k.days < i.retentionMinDays) {
        worse('not met');
        add(
          `keeps ${k.estimated ? 'about ' : ''}${formatDays(k.days)}, less than ${i.retentionMinDays} days (${k.basis})`,
          r.name,
        );
      } else add(`keeps ${k.estimated ? 'about ' : ''}${formatDays(k.days)} (${k.basis})`, r.name);
    }
    for (const [text, names] of groups) reasons.push(`${names.join(', ')}: ${text}`);
  }
  if (p) {
    if (p.signer.ephemeral) {
      worse('not met');
      reasons.push(
        `tamper-evidence: signed with an EPHEMERAL key (id ${p.signer.keyid}): anyone could re-sign a changed copy`,
      );
    } else
      reasons.push(
        `tamper-evident: Ed25519 (DSSE) signature by key ${p.signer.keyid} over the manifest, sha256 of every file, Merkle root over the events (audit-evidence verify)`,
      );
  } else {
    worse('unknown');
    reasons.push('tamper-evidence: log files carry no signature; collect signs a bundle');
  }
  out.push(line(7, 'retention-tamper-evident', text, status, reasons));
}

/** SIEM ingestion. */
function siemIngestion(i: ChecklistInput, out: ChecklistLine[]): void {
  const s = i.stats;
  const p = i.predicate;
  const text = 'The log can be ingested into a SIEM (OCSF)';
  if (p?.ocsf) {
    out.push(
      line(8, 'siem-ingestion', text, 'met', [
        `${p.ocsf.file}: ${n(p.ocsf.records)} OCSF ${p.ocsf.version} records, each validated against its class schema${
          p.ocsf.events_not_exported
            ? `; ${n(p.ocsf.events_not_exported)} events not exportable (${Object.entries(p.ocsf.not_exported)
                .map(([k, v]) => `${k}: ${n(v)}`)
                .join(', ')})`
            : ''
        }`,
      ]),
    );
  } else if (s.rows === 0) {
    out.push(line(8, 'siem-ingestion', text, 'unknown', ['no events']));
  } else {
    const exportable = s.rows - s.untimed;
    const how = `audit-evidence normalize ${p ? 'events.jsonl ' : ''}--output-format ocsf writes OCSF 1.8.0${p ? ' (bundle.ocsf: true puts it in the bundle)' : ''}`;
    if (exportable === s.rows)
      out.push(
        line(8, 'siem-ingestion', text, 'met', [
          `possible, not in ${p ? 'the bundle' : 'the input'}: ${how}; all ${n(s.rows)} events have the timestamp OCSF requires`,
        ]),
      );
    else
      out.push(
        line(8, 'siem-ingestion', text, 'not met', [
          `${n(s.untimed)} of ${n(s.rows)} events have no timestamp and cannot be exported to OCSF`,
          how,
        ]),
      );
  }
}

const MARK: Record<ChecklistStatus, string> = { met: 'MET', 'not met': 'NOT MET', unknown: 'UNKNOWN' };

/** Text lines for check's report and collect's stderr. */
export function checklistText(
  lines: ChecklistLine[],
  title = "Auditor's checklist (SOC 2 administrator activity)",
): string[] {
  const out = [`${title}:`];
  for (const l of lines) {
    out.push(`  ${l.n}. ${MARK[l.status].padEnd(7)} ${l.text}`);
    for (const e of l.evidence) out.push(`       ${e}`);
  }
  const count = (st: ChecklistStatus) => lines.filter((l) => l.status === st).length;
  out.push(`  ${count('met')} met, ${count('not met')} not met, ${count('unknown')} unknown`);
  return out;
}

/** One line: "checklist: 5 met, 1 not met (1), 2 unknown (6, 7); ..." */
export function checklistSummary(lines: ChecklistLine[]): string {
  const of = (st: ChecklistStatus) => lines.filter((l) => l.status === st);
  const part = (st: ChecklistStatus) => {
    const x = of(st);
    return `${x.length} ${st}${x.length && st !== 'met' ? ` (${x.map((l) => `${l.n}. ${l.id}`).join(', ')})` : ''}`;
  };
  return `auditor's checklist: ${part('met')}, ${part('not met')}, ${part('unknown')}; the lines with their evidence are in report/summary.html and audit-evidence check BUNDLE.zip`;
}
