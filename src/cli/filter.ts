// `audit-evidence filter`: select events by who, what, which resource, category, outcome,
// privilege and time, from normalized JSON Lines or raw logs; write JSON Lines or CSV.
// Also home of the input and window options `check` shares.
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { expandInputs } from '../pipeline/input.js';
import { emptySummary, formatSummaryLine, rejectLine, type RunSummary, redactionLines } from '../pipeline/run.js';
import { formatIds } from '../sources/registry.js';
import { TextWriter } from '../export/writer.js';
import { EventFormatter } from '../export/format.js';
import { applyRoster, parseRoster, RosterError, type Roster } from '../privilege/roster.js';
import { readEvents, NORMALIZED, BUNDLE } from '../filter/read-events.js';
import { buildSelector } from '../filter/select.js';
import { lastWeek, weekFrom, type Window } from '../filter/window.js';
import { CATEGORIES } from '../checks/rules/category-empty.js';
import type { Category, EventOutcome } from '../event/build.js';
import {
  checkZone,
  maxRecordOption,
  parseTimeOption,
  resolveOutputFormat,
  OUTPUT_FORMATS,
  type OutputFormat,
} from './options.js';
import { UserError } from './errors.js';

/** Options shared by check and filter for reading events and choosing a window. */
export interface EventInputOptions {
  format: string;
  logLinePrefix?: string;
  timezone?: string;
  instance?: string;
  since?: string;
  until?: string;
  week?: string | boolean;
  admins?: string;
  redactParameters?: 'matching' | 'all';
  maxRecordBytes?: string;
}

export function addEventInputOptions(c: Command): Command {
  return c
    .addOption(
      new Option(
        '-f, --format <format>',
        `input format: auto (normalized JSON Lines or any raw format) or ${formatIds().join(', ')}`,
      ).default('auto'),
    )
    .option('--log-line-prefix <prefix>', "PostgreSQL log_line_prefix of stderr logs (e.g. '%m [%p] %q%u@%d ')")
    .option(
      '--timezone <zone>',
      'zone of sources that write local time without a zone, and of --since/--until/--week dates (default UTC)',
    )
    .option('--instance <name>', 'instance name to record on every event read from raw logs')
    .option('--since <time>', 'window start, inclusive (RFC 3339 or YYYY-MM-DD)')
    .option('--until <time>', 'window end, exclusive')
    .option('--week [start]', 'the last 7 full days (in --timezone), or the 7 days from the given date')
    .option(
      '--admins <file>',
      'admin roster: one principal per line (# comments, optional "principal,reason"), or JSON {"principals":[...]}',
    )
    .addOption(
      new Option(
        '--redact-parameters <mode>',
        'bind parameters of raw logs (pgaudit log_parameter): matching (redacted when the statement names a secret-like column) or all',
      )
        .choices(['matching', 'all'])
        .default('matching'),
    )
    .option(
      '--max-record-bytes <n>',
      'reject a raw record longer than this, keeping its first 4096 characters and its hash (default 8 MiB)',
    );
}

export function resolveWindow(o: EventInputOptions, zone: string | undefined, now = new Date()): Window {
  if (o.week !== undefined && (o.since || o.until))
    throw new UserError('--week cannot be combined with --since or --until');
  if (o.week !== undefined) {
    if (o.week === true) return lastWeek(now, zone ?? 'UTC');
    return weekFrom(parseTimeOption(String(o.week), '--week', zone), zone ?? 'UTC');
  }
  const since = o.since ? parseTimeOption(o.since, '--since', zone) : null;
  const until = o.until ? parseTimeOption(o.until, '--until', zone) : null;
  if (since && until && since >= until) throw new UserError('--since must be before --until');
  return { since, until };
}

export async function loadRosterOption(path: string | undefined): Promise<Roster | undefined> {
  if (!path) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UserError(
      `cannot read the --admins file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  try {
    return parseRoster(text, path);
  } catch (e) {
    if (e instanceof RosterError) throw new UserError(`--admins: ${e.message}`);
    throw e;
  }
}

/** Splits repeatable, comma-separated option values: --user a,b --user c → [a, b, c]. */
export function listOption(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

export function inputSummaryLines(summary: RunSummary, normalized: { inputs: number; events: number }): string[] {
  const lines: string[] = [];
  for (const s of summary.inputs) for (const n of s.notes) lines.push(`${s.input}: ${n}`);
  lines.push(...redactionLines(summary));
  if (summary.inputs.length) lines.push(formatSummaryLine(summary));
  if (normalized.inputs)
    lines.push(
      `read ${normalized.events} normalized events from ${normalized.inputs} input${normalized.inputs === 1 ? '' : 's'}`,
    );
  return lines;
}

const OUTCOMES: EventOutcome[] = ['success', 'failure', 'unknown'];

interface FilterOptions extends EventInputOptions {
  user?: string[];
  action?: string[];
  resource?: string[];
  category?: string[];
  outcome?: string[];
  privileged?: boolean;
  outputFormat?: OutputFormat;
  output?: OutputFormat;
  out?: string;
  quiet?: boolean;
}

export function filterCommand(): Command {
  const c = new Command('filter')
    .description(
      'Select events by user, action, resource, category, outcome, privilege and time; write JSON Lines or CSV.',
    )
    .argument(
      '[inputs...]',
      'normalized JSON Lines or raw log files, directories, globs, or - for standard input (default: -)',
    );
  addEventInputOptions(c)
    .option(
      '--user <glob>',
      'user name, id or session user (glob: * and ?; comma-separated or repeated = any)',
      listOption,
    )
    .option('--action <glob>', "action name or the source's own action name (glob)", listOption)
    .option('--resource <glob>', "resource name (glob), e.g. 'public.*' or 'arn:aws:s3:::payroll*'", listOption)
    .option('--category <name>', `category: ${CATEGORIES.join(', ')}, other`, listOption)
    .option('--outcome <name>', 'outcome: success, failure, unknown', listOption)
    .option('--privileged', 'only administrator activity (admin-class actions, root/superuser, --admins roster)')
    .option('-o, --out <file>', 'write the events to this file instead of standard output')
    .addOption(
      new Option(
        '--output-format <kind>',
        "jsonl, csv or ocsf (OCSF 1.8.0 JSON Lines, each record validated against its class schema); default: from the --out file's extension (.csv, .ocsf.jsonl, .jsonl), else jsonl",
      ).choices([...OUTPUT_FORMATS]),
    )
    .addOption(
      new Option('--output <kind>', 'deprecated: the old name of --output-format')
        .choices([...OUTPUT_FORMATS])
        .hideHelp(),
    )
    .option('-q, --quiet', 'print nothing on stderr but errors')
    .addHelpText(
      'after',
      `
Examples:
  # a week of admin activity by alice on the payroll tables, as a spreadsheet
  $ audit-evidence filter events.jsonl --week 2024-05-06 --privileged --user alice --resource 'payroll.*' --out alice.csv
  # failed logins from raw PostgreSQL logs
  $ audit-evidence filter --format pgaudit --log-line-prefix '%m [%p] %q%u@%d ' pg.log --category authentication --outcome failure

Globs are case-insensitive. Exit codes: 0 done (even when nothing matched), 2 usage error or unreadable input.`,
    )
    .action(async (inputs: string[], opts: FilterOptions) => {
      process.exitCode = await runFilter(inputs, opts);
    });
  return c;
}

export async function runFilter(inputArgs: string[], opts: FilterOptions): Promise<number> {
  const zone = checkZone(opts.timezone);
  const format = resolveOutputFormat(opts, OUTPUT_FORMATS);
  const window = resolveWindow(opts, zone);
  for (const cat of opts.category ?? []) {
    if (!([...CATEGORIES, 'other'] as string[]).includes(cat))
      throw new UserError(`--category: unknown category '${cat}': use ${CATEGORIES.join(', ')}, other`);
  }
  for (const o of opts.outcome ?? []) {
    if (!(OUTCOMES as string[]).includes(o))
      throw new UserError(`--outcome: unknown outcome '${o}': use ${OUTCOMES.join(', ')}`);
  }
  const roster = await loadRosterOption(opts.admins);
  const select = buildSelector({
    users: opts.user,
    actions: opts.action,
    resources: opts.resource,
    categories: opts.category as Category[] | undefined,
    outcomes: opts.outcome as EventOutcome[] | undefined,
    privileged: opts.privileged ? true : undefined,
    window,
  });
  const files = await expandInputs(inputArgs.length ? inputArgs : ['-']);
  if (files.length === 0) throw new UserError(`no input files found in ${inputArgs.join(' ')}`);
  const say = (m: string) => {
    if (!opts.quiet) process.stderr.write(`audit-evidence: ${m}\n`);
  };
  const out = new TextWriter(opts.out && opts.out !== '-' ? createWriteStream(opts.out) : process.stdout);
  const formatter = new EventFormatter(format);
  await out.write(formatter.header());
  const summary = emptySummary();
  const normalized = { inputs: 0, events: 0 };
  let matched = 0;
  let rejected = 0;
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
      since: window.since,
      until: window.until,
      redact: { parameters: opts.redactParameters ?? 'matching' },
      onInput: ({ input, format, how }) => {
        if (how === 'detected' && format !== NORMALIZED)
          say(`${input}: read as ${format}${format === BUNDLE ? '' : ' (detected)'}`);
      },
    },
    summary,
    normalized,
  )) {
    if (item.kind === 'reject') {
      if (rejected++ < 5)
        say(
          `rejected ${rejectLine({ kind: 'reject', raw: { text: '', location: item.location, sha256: '' }, reason: item.reason })}`,
        );
      continue;
    }
    const e = roster ? applyRoster(item.event, roster) : item.event;
    if (!select(e)) continue;
    matched++;
    await out.write(formatter.format(e));
  }
  await out.end();
  if (!opts.quiet) {
    for (const l of inputSummaryLines(summary, normalized)) say(l);
    if (rejected > 5) say(`... and ${rejected - 5} more rejected records (normalize --rejects FILE lists them all)`);
  }
  // Not silenced by --quiet: the output holds fewer records than matched events.
  for (const line of formatter.notExportedLines()) process.stderr.write(`audit-evidence: ${line}\n`);
  say(`${matched} event${matched === 1 ? '' : 's'} matched`);
  return 0;
}
