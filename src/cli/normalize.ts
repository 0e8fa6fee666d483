// `audit-evidence normalize`: raw logs in, normalized events out (JSON Lines or CSV).
import { createWriteStream } from 'node:fs';
import { Command, Option } from 'commander';
import { expandInputs, type FailedInput } from '../pipeline/input.js';
import { ReadProgress } from './progress.js';
import {
  emptySummary,
  failedLines,
  formatSummaryLine,
  normalizeInputBatches,
  redactionLines,
  rejectLine,
  type RunSummary,
} from '../pipeline/run.js';
import type { RunOptions } from '../pipeline/run.js';
import { normalizeOneFileParallel, normalizeParallel, parseJobs, planParallel } from '../pipeline/parallel.js';
import { catalog, formatIds } from '../sources/registry.js';
import { TextWriter } from '../export/writer.js';
import { EventFormatter } from '../export/format.js';
import { rejectToJsonLine } from '../export/rejects.js';
import {
  checkZone,
  maxRecordOption,
  parseTimeOption,
  resolveOutputFormat,
  OUTPUT_FORMATS,
  type OutputFormat,
} from './options.js';
import { UserError } from './errors.js';

const MAX_REJECTS_SHOWN = 5;

export function normalizeCommand(): Command {
  return new Command('normalize')
    .description('Normalize raw audit logs into one event per audited action (JSON Lines or CSV).')
    .argument('[inputs...]', 'log files, directories, globs, or - for standard input (default: -)')
    .addOption(new Option('-f, --format <format>', `input format: auto or ${formatIds().join(', ')}`).default('auto'))
    .option('--log-line-prefix <prefix>', "PostgreSQL log_line_prefix of stderr logs (e.g. '%m [%p] %q%u@%d ')")
    .option('--timezone <zone>', 'zone of sources that write local time without a zone (IANA name or offset)')
    .option('--instance <name>', 'instance name to record on every event')
    .option('--since <time>', 'keep events at or after this time (RFC 3339 or YYYY-MM-DD)')
    .option('--until <time>', 'keep events before this time')
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
    .addOption(
      new Option(
        '--redact-parameters <mode>',
        'bind parameters (pgaudit log_parameter): matching (redacted when the statement names a secret-like column) or all',
      )
        .choices(['matching', 'all'])
        .default('matching'),
    )
    .option('--rejects <path>', 'write rejected records (location, reason, raw text) as JSON Lines to this file')
    .option(
      '--max-record-bytes <n>',
      'reject a record longer than this, keeping its first 4096 bytes and its hash (default 8 MiB)',
    )
    .option('-q, --quiet', 'print nothing on stderr but errors')
    .option(
      '-j, --jobs <n>',
      'worker threads: auto (default: one per core, for several files large enough to gain from it) or a number (1: this thread only; 2 or more also splits one large JSON Lines file into blocks); output is the same whatever the number',
      'auto',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ audit-evidence normalize /var/log/postgresql/postgresql-15-main.log --log-line-prefix '%m [%p] %q%u@%d '
  $ audit-evidence normalize --format cloudtrail AWSLogs/ --since 2024-05-01 --until 2024-05-08 --out events.jsonl
  $ zcat audit.log.gz | audit-evidence normalize - --out events.csv --rejects rejects.jsonl

Every record read ends as an event, a rejected record (with its location and reason) or a record
skipped on purpose (counted by reason); the summary on stderr says whether the counts reconcile.
Damaged input costs only the damaged records: each becomes a reject saying how far the damage
reached, and reading goes on. A file that cannot be read or placed (or a gzip cut short) is named
as failed and the other inputs are still read.
Exit codes: 0 every input read; 1 some inputs failed or stopped early, the others were read;
2 usage error, or no input could be read at all.`,
    )
    .action(async (inputs: string[], opts: NormalizeOptions) => {
      process.exitCode = await runNormalize(inputs, opts);
    });
}

interface NormalizeOptions {
  format: string;
  logLinePrefix?: string;
  timezone?: string;
  instance?: string;
  since?: string;
  until?: string;
  outputFormat?: OutputFormat;
  output?: OutputFormat;
  out?: string;
  rejects?: string;
  quiet?: boolean;
  jobs?: string;
  maxRecordBytes?: string;
  redactParameters?: 'matching' | 'all';
}

export async function runNormalize(inputArgs: string[], opts: NormalizeOptions): Promise<number> {
  const zone = checkZone(opts.timezone);
  const format = resolveOutputFormat(opts, OUTPUT_FORMATS);
  const since = opts.since ? parseTimeOption(opts.since, '--since', zone) : null;
  const until = opts.until ? parseTimeOption(opts.until, '--until', zone) : null;
  if (since && until && since >= until) throw new UserError('--since must be before --until');
  const jobs = parseJobs(opts.jobs ?? 'auto');
  if (jobs === null) throw new UserError(`--jobs must be a whole number of at least 1, or auto (got '${opts.jobs}')`);
  const failedDirs: FailedInput[] = [];
  const files = await expandInputs(inputArgs.length ? inputArgs : ['-'], failedDirs);
  if (files.length === 0 && failedDirs.length === 0)
    throw new UserError(`no input files found in ${inputArgs.join(' ')}`);
  const out = new TextWriter(opts.out && opts.out !== '-' ? createWriteStream(opts.out) : process.stdout);
  const rej = opts.rejects ? new TextWriter(createWriteStream(opts.rejects)) : null;
  const summary = emptySummary();
  summary.failed.push(...failedDirs);
  const shown: string[] = [];
  const say = (m: string) => {
    if (!opts.quiet) process.stderr.write(`audit-evidence: ${m}\n`);
  };
  const formatter = new EventFormatter(format);
  await out.write(formatter.header());
  const run: RunOptions = {
    format: opts.format,
    adapters: catalog,
    options: {
      logLinePrefix: opts.logLinePrefix,
      timezone: zone,
      instance: opts.instance ?? null,
      ...maxRecordOption(opts.maxRecordBytes),
    },
    since,
    until,
    redact: { parameters: opts.redactParameters ?? 'matching' },
    onInput: ({ input, format, how }) => {
      if (how === 'detected' && files.length > 0) say(`${input}: read as ${format} (detected)`);
    },
  };
  const plan = await planParallel(files, run.format, run.adapters, jobs, (opts.jobs ?? 'auto') === 'auto');
  const popts = { jobs, output: format, rejects: rej !== null, showRejects: MAX_REJECTS_SHOWN, formatter };
  if (plan.kind === 'split') {
    shown.push(...(await normalizeOneFileParallel(files[0]!, plan.plan, run, popts, { out, rejects: rej }, summary)));
  } else if (plan.kind === 'files') {
    shown.push(...(await normalizeParallel(files, run, popts, { out, rejects: rej }, summary)));
  } else {
    const progress = new ReadProgress('normalize');
    for await (const batch of normalizeInputBatches(files, run, summary)) {
      for (const o of batch) {
        progress.record(o.raw.text.length);
        if (o.kind === 'event') out.add(formatter.format(o.event));
        else if (o.kind === 'reject') {
          rej?.add(rejectToJsonLine(o));
          if (shown.length < MAX_REJECTS_SHOWN) shown.push(rejectLine(o));
        }
      }
      if (out.full()) await out.flush();
      if (rej?.full()) await rej.flush();
    }
    progress.done();
  }
  await out.end();
  await rej?.end();
  if (!opts.quiet) {
    for (const s of summary.inputs) for (const n of s.notes) say(`${s.input}: ${n}`);
    for (const l of redactionLines(summary)) say(l);
    for (const line of shown) say(`rejected ${line}`);
    if (summary.rejects > shown.length)
      say(
        `... and ${summary.rejects - shown.length} more rejected records${rej ? ` (all in ${opts.rejects})` : ' (write them all with --rejects FILE)'}`,
      );
  }
  // Not silenced by --quiet: the output holds fewer records than events.
  for (const line of formatter.notExportedLines()) process.stderr.write(`audit-evidence: ${line}\n`);
  process.stderr.write(`audit-evidence: ${formatSummaryLine(summary)}\n`);
  return exitForInputs(summary);
}

/**
 * The exit code after reading inputs: 0 when every input was read; 1 when some failed (or stopped
 * early on damage) but others were read; 2 when nothing could be read at all. Failed inputs are
 * printed (always, also with --quiet: they are errors).
 */
export function exitForInputs(
  summary: RunSummary,
  stderr: NodeJS.WritableStream = process.stderr,
  otherRead = false,
): number {
  if (summary.failed.length === 0) return 0;
  for (const line of failedLines(summary)) stderr.write(`audit-evidence: error: ${line}\n`);
  const anyRead = otherRead || summary.inputs.some((s) => s.damage || !summary.failed.some((f) => f.input === s.input));
  return anyRead ? 1 : 2;
}
