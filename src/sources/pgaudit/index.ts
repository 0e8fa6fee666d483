// The pgaudit adapter: PostgreSQL server logs carrying pgaudit records, in every shape they are
// found: stderr with a log_line_prefix, csvlog, jsonlog, a psql transcript (pgaudit.log_client),
// stderr lines wrapped by a log shipper (IBM Cloud Databases), and Cloud SQL LogEntries.
// pgaudit: https://github.com/pgaudit/pgaudit#format ; PostgreSQL logs:
// https://www.postgresql.org/docs/current/runtime-config-logging.html
// Options read: logLinePrefix (stderr), timezone (time stamps in a zone PostgreSQL names but this
// tool does not know), instance.
import { recordLimit, splitLineBatches } from '../../pipeline/lines.js';
import { frameJsonBatches } from '../../pipeline/json-frames.js';
import { eachRecord, normalizeWith, singles } from '../../pipeline/batch.js';
import { rawFromLines, reject } from '../../pipeline/record.js';
import type {
  AdapterOptions,
  FormatAdapter,
  InputSource,
  NormalizeContext,
  Outcome,
  RawRecord,
  RecordNormalizer,
} from '../../pipeline/types.js';
import { chooseDialect, type Dialect } from './detect.js';
import { frameStderrBatches, parseStderrRecord } from './stderr.js';
import { frameCsvlogBatches, parseCsvlogRecord } from './csvlog.js';
import { parseJsonlogRecord } from './jsonlog.js';
import { frameTranscript, parseTranscriptRecord } from './transcript.js';
import { unwrapLine } from './wrapped.js';
import { normalizeCloudSql } from './cloudsql.js';
import { TimeReader, type LogLine } from './log-line.js';
import { ServerLogNormalizer, SKIP, type Parsed } from './server-log.js';
import { redactJsonRecord } from '../../redact/json.js';
import { redactTextRecord } from '../../redact/text.js';

/** The dialect chosen when framing travels with each record (a symbol: never serialized). */
const DIALECT = Symbol('pgaudit.dialect');
type Tagged = RawRecord & { [DIALECT]?: Dialect };

async function* lineBatches(input: InputSource, max: number): AsyncGenerator<RawRecord[]> {
  for await (const batch of splitLineBatches(input.chunks, { maxLineBytes: max }))
    yield batch.map((line) => rawFromLines(input.name, [line]));
}

function framer(input: InputSource, d: Dialect, options: AdapterOptions): AsyncIterable<RawRecord[]> {
  const max = recordLimit(options);
  switch (d.variant) {
    case 'cloudsql':
      return frameJsonBatches(input.chunks, { file: input.name, unwrap: ['entries'], maxRecordBytes: max });
    case 'csvlog':
      return frameCsvlogBatches(input.chunks, input.name, max);
    case 'psql-transcript':
      return singles(frameTranscript(input.chunks, input.name, max));
    case 'stderr':
      return frameStderrBatches(input.chunks, input.name, d.prefix!, max);
    default:
      return lineBatches(input, max); // jsonlog, wrapped-stderr: one record per line
  }
}

function dialectNotes(d: Dialect, ctx: NormalizeContext): void {
  if (d.variant === 'stderr' || d.variant === 'wrapped-stderr') {
    const src = d.prefix!.source;
    if (d.prefixHow === 'detected')
      ctx.note(`log_line_prefix '${src}' was detected from the log (pass --log-line-prefix to set it)`);
    if (d.prefixHow === 'fallback')
      ctx.note(
        'the log_line_prefix matches none of the common ones: only a leading time stamp is read (pass --log-line-prefix)',
      );
    if (d.variant === 'wrapped-stderr') ctx.note('stderr lines were unwrapped from syslog / JSON log-shipper lines');
  }
  if (d.variant === 'psql-transcript') {
    ctx.note(
      'a psql transcript (pgaudit.log_client): its audit lines carry no time, user, database or session, so timestamp and user are null; an ERROR right after an audit line marks it failed',
    );
  }
}

/**
 * Redaction. jsonlog records are redacted on the value parsed once (src/redact/json.ts), every
 * other shape by the text pass. Both in place: a lane (src/pipeline/lanes.ts) finds the outer
 * record of an inner one by the object's identity.
 */
function redactInPlace(raw: RawRecord, d: Dialect): void {
  if (raw.redactions !== undefined) return;
  if (d.variant === 'jsonlog') {
    let v: unknown;
    try {
      v = JSON.parse(raw.text);
    } catch {
      v = undefined;
    }
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const r = redactJsonRecord(raw, v);
      if (r !== raw) {
        raw.text = r.text;
        raw.redactions = r.redactions;
      }
      parsedJsonlog.set(raw, v as Record<string, unknown>);
      return;
    }
  }
  const r = redactTextRecord(raw);
  if (r !== raw) raw.text = r.text;
  raw.redactions = r.redactions;
}

/** The jsonlog object parsed (and redacted) by redactInPlace, or the text when it did not parse. */
const parsedJsonlog = new WeakMap<RawRecord, Record<string, unknown>>();
function jsonlogValue(raw: RawRecord): string | Record<string, unknown> {
  return parsedJsonlog.get(raw) ?? raw.text;
}

function parse(d: Dialect, raw: RawRecord, times: TimeReader, ctx: NormalizeContext): Parsed {
  if (raw.text.trim() === '') return { skip: SKIP.blank };
  let line: LogLine | null;
  switch (d.variant) {
    case 'csvlog': {
      const r = parseCsvlogRecord(raw.text, times);
      if ('error' in r) return { reject: r.error };
      if (r.layout === 'pg12-no-application')
        ctx.note(
          'csvlog rows have 23 columns ending with backend_type (application_name missing, as some collectors write them): application is null',
        );
      line = r.line;
      break;
    }
    case 'jsonlog': {
      const r = parseJsonlogRecord(jsonlogValue(raw), times);
      if ('error' in r) return { reject: r.error };
      line = r.line;
      break;
    }
    case 'psql-transcript':
      line = parseTranscriptRecord(raw.text);
      if (!line) return { text: true };
      break;
    case 'wrapped-stderr': {
      const u = unwrapLine(raw.text);
      if (u === null) return { skip: 'text line that is not a log entry (a title or banner)' };
      if ('error' in u) return { reject: u.error };
      line = parseStderrRecord(u.text, d.prefix!, times);
      if (!line)
        return { reject: `the wrapped log line does not start with the log_line_prefix '${d.prefix!.source}'` };
      break;
    }
    default:
      line = parseStderrRecord(raw.text, d.prefix!, times);
      if (!line)
        return {
          reject: `line does not start with the log_line_prefix '${d.prefix!.source}' (a continuation of a record that began before this input, or another prefix: pass --log-line-prefix)`,
        };
  }
  if (line.invalidTime) return { reject: line.invalidTime };
  if (line.leapSecond)
    ctx.note('some time stamps carry a leap second (:60): kept as the last millisecond of that minute');
  if (line.timestamp === null && d.variant !== 'psql-transcript') {
    ctx.note(
      'some time stamps could not be read (a time zone this tool does not know, or no time in the prefix): their events have a null timestamp; pass --timezone, or add %m to log_line_prefix',
    );
  }
  return { line };
}

export const adapter: FormatAdapter = {
  id: 'pgaudit',
  kind: 'postgresql',
  title: 'PostgreSQL pgaudit logs',
  description:
    'PostgreSQL server logs with pgaudit "AUDIT:" records: stderr (log_line_prefix detected or --log-line-prefix), csvlog, jsonlog, psql transcripts, wrapped stderr lines, Cloud SQL pgaudit LogEntries',
  sniff(head: string): number {
    try {
      return chooseDialect(head).score;
    } catch {
      return 0;
    }
  },
  // normalize redacts each record itself: jsonlog on the parsed value, the other shapes by text.
  redaction: 'json',
  async *recordBatches(input: InputSource, options: AdapterOptions): AsyncGenerator<RawRecord[]> {
    const d = chooseDialect(input.head.toString('utf8'), options.logLinePrefix ?? null);
    for await (const batch of framer(input, d, options)) {
      for (const r of batch) (r as Tagged)[DIALECT] = d;
      yield batch;
    }
  },
  records: (input, options) => eachRecord(adapter.recordBatches!(input, options)),
  normalizer: (ctx) => new PgauditNormalizer(ctx),
  normalize: (records, ctx) => normalizeWith(adapter.normalizer!, records, ctx),
};

/** The dialect is the one the framer chose (or, for records from elsewhere, read off the first record). */
class PgauditNormalizer implements RecordNormalizer {
  private readonly times: TimeReader;
  private d: Dialect | null = null;
  private n: ServerLogNormalizer | null = null;

  constructor(private readonly ctx: NormalizeContext) {
    this.times = new TimeReader(ctx.options.timezone ?? null);
  }

  push(raw: RawRecord, out: Outcome[]): void {
    const ctx = this.ctx;
    if (!this.d || !this.n) {
      this.d = (raw as Tagged)[DIALECT] ?? chooseDialect(raw.text, ctx.options.logLinePrefix ?? null);
      this.n = new ServerLogNormalizer(ctx, {
        variant: this.d.variant,
        transcript: this.d.variant === 'psql-transcript',
      });
      dialectNotes(this.d, ctx);
    }
    const d = this.d;
    redactInPlace(raw, d);
    if (d.variant === 'cloudsql') out.push(normalizeCloudSql(raw, ctx));
    else if (raw.error) out.push(reject(raw, raw.error));
    else this.n.handle(raw, parse(d, raw, this.times, ctx), out);
  }

  end(out: Outcome[]): void {
    if (this.n) for (const o of this.n.finish()) out.push(o);
  }
}
