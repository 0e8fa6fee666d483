// `audit-evidence check`: would this log pass an auditor's test? Streams events (normalized JSON
// Lines or raw logs) through the completeness rules, prints every per-row finding as it comes,
// then the report; exit 0 when the thresholds hold, 1 when they do not, 2 on usage/input errors.
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { Chalk } from 'chalk';
import { expandInputs, type FailedInput } from '../pipeline/input.js';
import { exitForInputs } from './normalize.js';
import { emptySummary } from '../pipeline/run.js';
import { TextWriter } from '../export/writer.js';
import { ReadProgress } from './progress.js';
import { readEvents, isZip, NORMALIZED, BUNDLE } from '../filter/read-events.js';
import { checklist, checklistText, ChecklistStats, type ChecklistLine } from '../checks/checklist.js';
import { openBundle } from '../bundle/zip-reader.js';
import { COMPLETENESS_FILE, EVENTS_FILE, MANIFEST_FILE, type EvidencePredicate } from '../bundle/manifest.js';
import { DEFAULT_RETENTION_MIN_DAYS } from '../retention/types.js';
import type { SourceInfo } from '../checks/types.js';
import { bundleIntegrity, checkLocalTrail, localSummary } from '../integrity/local.js';
import { digestCounts, digestVerdict, type IntegrityInput } from '../checks/rules/integrity-cloudtrail-digest.js';
import {
  CompletenessChecker,
  CheckOptionError,
  DEFAULT_FAIL_ON,
  DEFAULT_SHARED_IDENTITIES,
  RULES,
  PROFILE_IDS,
  type ProfileId,
} from '../checks/index.js';
import { findingLine, renderText, type Paint } from '../checks/report.js';
import { JUnitSpool } from '../checks/junit.js';
import { CATEGORIES } from '../checks/rules/category-empty.js';
import type { Category } from '../event/build.js';
import type { AuditEvent } from '../event/types.generated.js';
import {
  addEventInputOptions,
  inputSummaryLines,
  listOption,
  loadRosterOption,
  resolveWindow,
  type EventInputOptions,
} from './filter.js';
import { checkZone, maxRecordOption } from './options.js';
import { UserError, EXIT_OK, EXIT_FINDINGS } from './errors.js';

interface CheckCliOptions extends EventInputOptions {
  profile: ProfileId;
  sharedIdentities?: string;
  privileged?: boolean;
  requireCategories?: string[];
  minComplete?: string;
  failOn?: string[];
  json?: boolean;
  junit?: string;
  rows: boolean;
  minRetentionDays?: string;
}

/** What an evidence bundle among the inputs says about itself (its manifest and the checker's options as collect ran them). */
interface BundleFacts {
  path: string;
  predicate: EvidencePredicate;
  sources: SourceInfo[];
  minDays: number | null;
}

async function readBundleFacts(path: string): Promise<BundleFacts | null> {
  let b;
  try {
    b = await openBundle(path);
  } catch {
    return null;
  } // readEvents reports it
  try {
    if (!b.entries.has(MANIFEST_FILE)) return null;
    const st = JSON.parse((await b.read(MANIFEST_FILE)).toString('utf8')) as { predicate?: EvidencePredicate };
    if (!st.predicate || !Array.isArray(st.predicate.sources)) return null;
    let sources: SourceInfo[] = [];
    let minDays: number | null = null;
    if (b.entries.has(COMPLETENESS_FILE)) {
      const c = JSON.parse((await b.read(COMPLETENESS_FILE)).toString('utf8')) as {
        options?: { sources?: SourceInfo[]; retention_minimum_days?: number };
      };
      sources = Array.isArray(c.options?.sources) ? c.options!.sources! : [];
      minDays = typeof c.options?.retention_minimum_days === 'number' ? c.options.retention_minimum_days : null;
    }
    // Retention as the manifest records it (the same values collect gave its checker).
    for (const s of sources) {
      const m = st.predicate.sources.find((x) => x.name === s.name);
      if (m && m.retention !== undefined) s.retention = m.retention;
    }
    return { path, predicate: st.predicate, sources, minDays };
  } catch {
    return null;
  } finally {
    b.close();
  }
}

export function checkCommand(): Command {
  const c = new Command('check')
    .description(
      'Check that every row has user, action, time and resource, that nothing is missing, and gate CI on the result.',
    )
    .argument(
      '[inputs...]',
      'normalized JSON Lines or raw log files, directories, globs, or - for standard input (default: -)',
    );
  addEventInputOptions(c)
    .addOption(new Option('--profile <id>', 'field profile').choices(PROFILE_IDS).default('soc2'))
    .option(
      '--shared-identities <list>',
      `shared accounts, comma-separated, or @FILE (one per line); 'default' stands for the built-in list (${DEFAULT_SHARED_IDENTITIES.slice(0, 5).join(', ')}, ...)`,
    )
    .option('--privileged', 'check administrator activity only (admin-class actions, root/superuser, --admins roster)')
    .option(
      '--require-categories <list>',
      `categories every source must have events of (${CATEGORIES.join(', ')})`,
      listOption,
    )
    .option('--min-complete <percent>', 'percent of rows that must be complete (default 100)')
    .option(
      '--fail-on <rules>',
      "rule ids whose findings fail the check; 'default' = the built-in set, 'none' = nothing",
      listOption,
    )
    .option('--json', 'print the report as JSON (with every per-row finding) instead of text')
    .option('--junit <file>', 'also write a JUnit XML file (one test suite per rule)')
    .option('--no-rows', 'do not print per-row findings, only the report')
    .option(
      '--min-retention-days <n>',
      "days every source must keep its records, for rule retention.short and the checklist (default: the bundle's retention.minimum_days, else 365)",
    )
    .addHelpText(
      'after',
      `
Rules: ${RULES.map((r) => r.id).join(', ')}.
retention.short needs to know how long each source keeps its records: check an evidence bundle
(BUNDLE.zip: the retention collect read from each source is in its manifest); over plain log files
it has nothing to say. It is a warning: add --fail-on default,retention.short to gate on it.

The report ends with the auditor's checklist (eight lines, each met / not met / unknown with the
evidence or the reason; "checklist" in --json), one per bundle and one for the other inputs.

Default --fail-on set: ${DEFAULT_FAIL_ON.join(', ')}.

CloudTrail digests (rule integrity.cloudtrail-digest): when the inputs hold a local copy of a trail
(aws s3 sync output with CloudTrail-Digest/ folders), each log file's SHA-256 is checked against its
digest and the digests against each other's hashes; a changed, missing or undigested log file fails
the check, named. The digests' signatures are not in such a copy (S3 metadata), and check says they
were not checked. A bundle's digest check is re-run from its integrity/ files.

Examples:
  $ audit-evidence check --format pgaudit --log-line-prefix '%m [%p] %q%u@%d ' logs/*.log
  $ audit-evidence check events.jsonl --profile pci --week --junit check.xml
  $ audit-evidence check AWSLogs/ --require-categories authentication,permission_change --fail-on default,identity.shared
  $ audit-evidence check evidence-2024-05-01_2024-05-08.zip --fail-on default,retention.short --json

Exit codes: 0 the thresholds hold and every input was read; 1 they do not, or some inputs failed
or stopped early on damage (the others were read); 2 usage error, or no input could be read.`,
    )
    .action(async (inputs: string[], opts: CheckCliOptions) => {
      process.exitCode = await runCheck(inputs, opts);
    });
  return c;
}

/** Colours only on a terminal; NO_COLOR turns them off, FORCE_COLOR on (FORCE_COLOR wins, as in Node). */
export function paintFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Paint {
  let level: 0 | 1 | 2 | 3;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '')
    level = force === '0' || force === 'false' ? 0 : ['1', '2', '3'].includes(force) ? (Number(force) as 1 | 2 | 3) : 1;
  else if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') level = 0;
  else level = stream.isTTY ? 1 : 0;
  const ch = new Chalk({ level });
  return { red: ch.red, yellow: ch.yellow, green: ch.green, bold: ch.bold, dim: ch.dim };
}

async function sharedIdentities(value: string | undefined): Promise<string[] | undefined> {
  if (value === undefined) return undefined;
  const out: string[] = [];
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (item === 'default') out.push(...DEFAULT_SHARED_IDENTITIES);
    else if (item.startsWith('@')) {
      let text: string;
      try {
        text = await readFile(item.slice(1), 'utf8');
      } catch {
        throw new UserError(`--shared-identities: cannot read ${item.slice(1)}`);
      }
      out.push(
        ...text
          .split(/\r?\n/)
          .map((l) => l.replace(/#.*$/, '').trim())
          .filter(Boolean),
      );
    } else out.push(item);
  }
  return out;
}

export async function runCheck(inputArgs: string[], opts: CheckCliOptions): Promise<number> {
  const zone = checkZone(opts.timezone);
  const window = resolveWindow(opts, zone);
  const { minComplete, minRetention } = thresholds(opts);
  const roster = await loadRosterOption(opts.admins);
  const { files, failedDirs, bundles } = await findInputs(inputArgs);
  const retentionMinDays =
    minRetention ?? [...bundles.values()].find((b) => b.minDays !== null)?.minDays ?? DEFAULT_RETENTION_MIN_DAYS;
  // CloudTrail digest reports (rule integrity.cloudtrail-digest), found after the events are read.
  const integrity: IntegrityInput[] = [];
  const checker = await makeChecker(opts, window, roster, bundles, integrity, minComplete, retentionMinDays);
  const paint = opts.json ? paintFor(process.stdout, { NO_COLOR: '1' }) : paintFor(process.stdout);
  const out = new TextWriter(process.stdout);
  const say = (m: string) => {
    process.stderr.write(`audit-evidence: ${m}\n`);
  };
  const spool = opts.junit ? await JUnitSpool.create() : null;
  const summary = emptySummary();
  summary.failed.push(...failedDirs);
  const normalized = { inputs: 0, events: 0 };
  const rows = new RowWriter(opts, out, paint, spool);
  const stats = new StatsByInput(bundles, !!opts.privileged);
  if (opts.json) await out.write('{"rowFindings":[');
  try {
    await checkInputs(files, opts, zone, checker, rows, stats, summary, normalized, say);
    await checkDigests(files, window, integrity, say);
  } catch (e) {
    await spool?.discard();
    if (opts.json) await out.flush();
    throw e;
  }
  const report = checker.finish();
  for (const l of inputSummaryLines(summary, normalized)) say(l);
  const checklists = stats.checklists(bundles, retentionMinDays, roster, opts.admins);
  if (opts.json) {
    const inputs = summary.inputs.map((s) => ({
      input: s.input,
      format: s.format,
      read: s.read,
      events: s.events,
      rejects: s.rejects,
      skipped: s.skipped,
      notes: s.notes,
      reconciled: s.reconciled,
      redacted_records: s.redacted,
      redacted_values: s.redactions ?? 0,
    }));
    await out.write(
      `${rows.first ? '' : '\n'}],\n"report":${JSON.stringify(report)},\n"inputs":${JSON.stringify(inputs)},\n"failedInputs":${JSON.stringify(summary.failed)},\n"checklist":${JSON.stringify(checklists)}}\n`,
    );
  } else {
    await out.write(`${rows.printed ? '\n' : ''}${renderText(report, paint)}`);
    for (const c of checklists)
      await out.write(
        `\n${checklistText(c.lines, `Auditor's checklist for ${c.input}${c.bundle ? ' (from its manifest and events; the bundle is not verified here: audit-evidence verify)' : ''}${opts.privileged ? ' (administrator events only)' : ''}`).join('\n')}\n`,
      );
  }
  await out.end();
  if (spool && opts.junit) {
    await spool.write(opts.junit, report);
    say(`JUnit report written to ${opts.junit}`);
  }
  // Inputs that failed (or stopped early on damage) make the run exit 1 even when the checks pass
  // (the evidence is incomplete); 2 when no input could be read at all.
  const inputs = exitForInputs(summary, process.stderr, normalized.inputs > 0);
  if (inputs !== 0) return inputs;
  return report.pass ? EXIT_OK : EXIT_FINDINGS;
}

/** --min-complete and --min-retention-days, checked. */
function thresholds(opts: CheckCliOptions): { minComplete?: number; minRetention?: number } {
  let minComplete: number | undefined;
  if (opts.minComplete !== undefined) {
    minComplete = Number(opts.minComplete);
    if (opts.minComplete.trim() === '' || !Number.isFinite(minComplete) || minComplete < 0 || minComplete > 100) {
      throw new UserError(`--min-complete takes a percentage from 0 to 100, not '${opts.minComplete}'`);
    }
  }
  let minRetention: number | undefined;
  if (opts.minRetentionDays !== undefined) {
    minRetention = Number(opts.minRetentionDays);
    if (!/^\d+$/.test(opts.minRetentionDays.trim()) || minRetention < 1 || minRetention > 36500)
      throw new UserError(
        `--min-retention-days takes a whole number of days from 1 to 36500, not '${opts.minRetentionDays}'`,
      );
  }
  return { minComplete, minRetention };
}

/**
 * The input files (folders expanded; '-' for standard input), the folders that could not be read,
 * and the evidence bundles among the inputs: their sources (with the retention collect read) go to
 * the checker, so retention.short runs as it did in collect; each gets its own checklist.
 */
async function findInputs(
  inputArgs: string[],
): Promise<{ files: string[]; failedDirs: FailedInput[]; bundles: Map<string, BundleFacts> }> {
  const failedDirs: FailedInput[] = [];
  const files = await expandInputs(inputArgs.length ? inputArgs : ['-'], failedDirs);
  if (files.length === 0 && failedDirs.length === 0)
    throw new UserError(`no input files found in ${inputArgs.join(' ')}`);
  const bundles = new Map<string, BundleFacts>();
  for (const f of files) {
    if (f === '-' || !isZip(f)) continue;
    const facts = await readBundleFacts(f);
    if (facts) bundles.set(f, facts);
  }
  return { files, failedDirs, bundles };
}

async function makeChecker(
  opts: CheckCliOptions,
  window: ReturnType<typeof resolveWindow>,
  roster: Awaited<ReturnType<typeof loadRosterOption>>,
  bundles: Map<string, BundleFacts>,
  integrity: IntegrityInput[],
  minComplete: number | undefined,
  retentionMinDays: number,
): Promise<CompletenessChecker> {
  const checkSources = [...bundles.values()].flatMap((b) => b.sources);
  try {
    return new CompletenessChecker({
      integrity,
      profile: opts.profile,
      since: window.since,
      until: window.until,
      sharedIdentities: await sharedIdentities(opts.sharedIdentities),
      roster,
      requireCategories: opts.requireCategories as Category[] | undefined,
      minComplete,
      failOn: opts.failOn,
      privilegedOnly: !!opts.privileged,
      retentionMinDays,
      ...(checkSources.length ? { sources: checkSources } : {}),
    });
  } catch (e) {
    if (e instanceof CheckOptionError) throw new UserError(e.message);
    throw e;
  }
}

type RowFinding = ReturnType<CompletenessChecker['add']>[number];

/** Writes each row finding as it comes: to the JUnit spool, and as JSON or (--rows) a text line. */
class RowWriter {
  first = true;
  printed = false;
  constructor(
    private readonly opts: CheckCliOptions,
    private readonly out: TextWriter,
    private readonly paint: Paint,
    private readonly spool: JUnitSpool | null,
  ) {}

  async emit(f: RowFinding): Promise<void> {
    await this.spool?.add(f);
    if (this.opts.json) {
      await this.out.write(`${this.first ? '' : ','}\n${JSON.stringify(f)}`);
      this.first = false;
    } else if (this.opts.rows) {
      await this.out.write(`${findingLine(f, this.paint)}\n`);
      this.printed = true;
    }
  }
}

/** Checklist counts per bundle, and one set for every other input. */
class StatsByInput {
  readonly statsFor = new Map<string, ChecklistStats>();
  readonly otherStats = new ChecklistStats();
  current = this.otherStats;

  constructor(
    private readonly bundles: Map<string, BundleFacts>,
    private readonly privilegedOnly: boolean,
  ) {}

  /** An input starts: a bundle's events count for that bundle. */
  input(bundlePath: string | null): void {
    if (bundlePath !== null && this.bundles.has(bundlePath)) {
      if (!this.statsFor.has(bundlePath)) this.statsFor.set(bundlePath, new ChecklistStats());
      this.current = this.statsFor.get(bundlePath)!;
    } else this.current = this.otherStats;
  }

  add(e: AuditEvent): void {
    if (!this.privilegedOnly || e.privileged.value) this.current.add(e);
  }

  checklists(
    bundles: Map<string, BundleFacts>,
    retentionMinDays: number,
    roster: Awaited<ReturnType<typeof loadRosterOption>>,
    admins: string | undefined,
  ): Array<{ input: string; bundle: boolean; lines: ChecklistLine[] }> {
    const checklists: Array<{ input: string; bundle: boolean; lines: ChecklistLine[] }> = [];
    for (const [path, st] of this.statsFor) {
      checklists.push({
        input: path,
        bundle: true,
        lines: checklist({ stats: st, predicate: bundles.get(path)!.predicate, retentionMinDays }),
      });
    }
    if (this.otherStats.rows > 0 || this.statsFor.size === 0) {
      checklists.push({
        input: this.statsFor.size ? 'the other inputs' : 'the inputs',
        bundle: false,
        lines: checklist({
          stats: this.otherStats,
          predicate: null,
          retentionMinDays,
          givenRoster: roster && admins ? { entries: roster.entries.length, from: `--admins ${admins}` } : null,
        }),
      });
    }
    return checklists;
  }
}

/**
 * Streams every input through the pipeline into the checker. The window is not given to the
 * pipeline: rows outside it must reach the checker, which reports them (time.outside-window)
 * instead of silently dropping them.
 */
async function checkInputs(
  files: string[],
  opts: CheckCliOptions,
  zone: string | undefined,
  checker: CompletenessChecker,
  rows: RowWriter,
  stats: StatsByInput,
  summary: ReturnType<typeof emptySummary>,
  normalized: { inputs: number; events: number },
  say: (m: string) => void,
): Promise<void> {
  const progress = new ReadProgress('check');
  for await (const item of readEvents(
    files,
    {
      format: opts.format,
      options: {
        logLinePrefix: opts.logLinePrefix,
        timezone: zone,
        instance: opts.instance ?? null,
        ...maxRecordOption(opts.maxRecordBytes),
      },
      redact: { parameters: opts.redactParameters ?? 'matching' },
      onInput: ({ input, format, how }) => {
        if (how === 'detected' && format !== NORMALIZED)
          say(`${input}: read as ${format}${format === BUNDLE ? '' : ' (detected)'}`);
        stats.input(format === BUNDLE ? input.slice(0, input.length - `:${EVENTS_FILE}`.length) : null);
      },
    },
    summary,
    normalized,
  )) {
    progress.record(0);
    if (item.kind === 'reject') await rows.emit(checker.reject(item.location, item.reason, item.format));
    else {
      stats.add(item.event);
      for (const f of checker.add(item.event)) await rows.emit(f);
    }
  }
  progress.done();
}

/**
 * CloudTrail digests: a local copy of a trail among the inputs (CloudTrail-Digest/ files) is
 * checked against its log files; a bundle's integrity/ material is re-checked.
 */
async function checkDigests(
  files: string[],
  window: ReturnType<typeof resolveWindow>,
  integrity: IntegrityInput[],
  say: (m: string) => void,
): Promise<void> {
  const local = await checkLocalTrail(
    files.filter((f) => f !== '-'),
    { start: window.since ?? null, end: window.until ?? null },
  );
  if (local) {
    const s = localSummary(local);
    integrity.push(s);
    say(
      `${local.source}: CloudTrail digests checked offline: ${digestVerdict(s.cloudtrail_digests)}: ${digestCounts(s.cloudtrail_digests)}`,
    );
    for (const u of local.unreadable) say(`cannot read ${u}`);
  }
  for (const f of files) {
    if (f === '-' || !isZip(f)) continue;
    const r = await bundleIntegrity(f);
    integrity.push(...r.inputs);
    for (const n of r.notes) say(n);
  }
}
