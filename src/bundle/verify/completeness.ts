// The completeness figures: completeness.json agrees with the manifest and, when this version
// wrote the bundle, the same check re-run on events.jsonl (fed during the single pass) gives the
// same report.
import { type CheckOptions, CompletenessChecker } from '../../checks/index.js';
import type { IntegrityInput } from '../../checks/rules/integrity-cloudtrail-digest.js';
import { canonicalJson } from '../../event/canonical.js';
import type { RosterEntry } from '../../privilege/roster.js';
import { COLLECTOR_VERSION, COMPLETENESS_FILE, EVENTS_FILE, type EvidencePredicate } from '../manifest.js';
import type { OpenBundle } from '../zip-reader.js';
import { type Fail, type Held, MAX_MANIFEST } from './types.js';

export interface Completeness {
  /** The checker to feed with the events, when the check is re-run. */
  checker: CompletenessChecker | null;
  report: Record<string, unknown> | null;
  /** An error reading the report, raised in the completeness step's turn. */
  error: unknown;
}

/** Reads the completeness report and, when this version wrote the bundle, sets up the same check again. */
export async function prepareCompleteness(
  b: OpenBundle,
  p: EvidencePredicate,
  held: Held,
  warnings: string[],
): Promise<Completeness> {
  const none: Completeness = { checker: null, report: null, error: null };
  if (!b.entries.has(COMPLETENESS_FILE)) return none;
  const fail: Fail = (file, message, line) => held.push({ file, message, line });
  let doc: { options?: Record<string, unknown>; report?: Record<string, unknown> };
  try {
    let bytes: Buffer;
    try {
      bytes = await b.read(COMPLETENESS_FILE, MAX_MANIFEST);
    } catch (e) {
      return { ...none, error: e };
    }
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    fail(COMPLETENESS_FILE, 'is not JSON');
    return none;
  }
  const rep = doc.report ?? {};
  compareWithManifest(rep, p, fail);
  // Run the same check again over events.jsonl when this version wrote the bundle (rules may differ across versions).
  if (p.collector.version !== COLLECTOR_VERSION) {
    warnings.push(
      `the bundle was written by version ${p.collector.version}; the completeness check was not re-run (only its counts were compared)`,
    );
    return none;
  }
  try {
    return { checker: new CompletenessChecker(checkOptions(doc.options ?? {}, p)), report: rep, error: null };
  } catch (e) {
    return { ...none, error: e };
  }
}

/** The report's figures are the manifest's, and it checked every event. */
function compareWithManifest(rep: Record<string, unknown>, p: EvidencePredicate, fail: Fail): void {
  const c = p.completeness;
  const pairs: Array<[string, unknown, unknown]> = [
    ['rows', rep.rows, c.rows],
    ['completeRows', rep.completeRows, c.complete_rows],
    ['percentComplete', rep.percentComplete, c.percent_complete],
    ['pass', rep.pass, c.pass],
    ['profile', rep.profile, c.profile],
  ];
  for (const [k, got, want] of pairs)
    if (got !== want)
      fail(COMPLETENESS_FILE, `report.${k} is ${JSON.stringify(got)}; the manifest says ${JSON.stringify(want)}`);
  if (c.rows !== p.events.count)
    fail(COMPLETENESS_FILE, `checked ${c.rows} rows; the bundle has ${p.events.count} events`);
}

/** The options collect ran the check with, as completeness.json records them. */
function checkOptions(o: Record<string, unknown>, p: EvidencePredicate): CheckOptions {
  return {
    profile: o.profile as CheckOptions['profile'],
    since: new Date(String(o.since)),
    until: new Date(String(o.until)),
    sharedIdentities: (o.shared_identities as string[] | null) ?? undefined,
    sources: o.sources as CheckOptions['sources'],
    roster: { entries: Array.isArray(o.roster) ? (o.roster as RosterEntry[]) : [] },
    retentionMinDays: typeof o.retention_minimum_days === 'number' ? o.retention_minimum_days : undefined,
    ...(Array.isArray(o.probes) ? { probes: o.probes as CheckOptions['probes'] } : {}),
    // The digest reports as the manifest records them (the digests check re-checks those against the integrity/ files).
    integrity: p.sources
      .filter((s) => s.settings?.cloudtrail_digests)
      .map((s) => ({
        source: s.name,
        cloudtrail_digests: s.settings!.cloudtrail_digests as IntegrityInput['cloudtrail_digests'],
      })),
  };
}

/** The re-run check's report is the bundled one. */
export function compareRecomputed(checker: CompletenessChecker, rep: Record<string, unknown>, fail: Fail): void {
  const again = checker.finish();
  const same = (x: unknown, y: unknown) => canonicalJson(x) === canonicalJson(y);
  for (const k of [
    'rows',
    'completeRows',
    'percentComplete',
    'missing',
    'categories',
    'findingCounts',
    'pass',
    'privileged',
  ] as const) {
    if (!same(again[k], rep[k]))
      fail(
        COMPLETENESS_FILE,
        `report.${k} does not recompute from ${EVENTS_FILE} (${JSON.stringify(rep[k])} in the bundle, ${JSON.stringify(again[k])} recomputed)`,
      );
  }
}
