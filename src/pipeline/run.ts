// The normalization pipeline: inputs -> adapter.records -> redaction -> adapter.normalize ->
// validation -> time window -> outcomes, as async iterables end to end. It keeps the counts that
// let a run prove it lost nothing: read = events + rejects + skipped, per input and in total.
import { validateEvent } from '../event/schema.js';
import { redactSecrets, redactTextRecord } from '../redact/text.js';
import { makePolicy, setPolicy, type Policy, type RedactionSettings } from '../redact/policy.js';
import { detectFormat, DetectionError } from './detect.js';
import { openInput, InputError, describeDamage, type FailedInput } from './input.js';
import { describeLocation, rawRecord } from './record.js';
import { singles } from './batch.js';
import type {
  AdapterCatalog,
  AdapterOptions,
  FormatAdapter,
  InputDamage,
  InputSource,
  NormalizeContext,
  Outcome,
  RawRecord,
} from './types.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface RunOptions {
  /** 'auto' or an adapter id. */
  format: string;
  /** The adapters to choose from (src/sources/registry.ts's `catalog`). */
  adapters: AdapterCatalog;
  options: AdapterOptions;
  /** Inclusive start and exclusive end of the time window; events outside are skipped and counted. */
  since?: Date | null;
  until?: Date | null;
  /** The redact section of the config (extra names, patterns, parameters); or a policy made from it. */
  redact?: RedactionSettings | Policy | null;
  /** Called once per input when its format is chosen. */
  onInput?: (info: { input: string; format: string; how: 'named' | 'detected' }) => void;
}

export interface InputSummary {
  input: string;
  format: string;
  how: 'named' | 'detected';
  read: number;
  events: number;
  rejects: number;
  skipped: Record<string, number>;
  /** Events whose timestamp was null (kept, since the window cannot be applied to them). */
  untimed: number;
  /** Raw records whose kept text had secrets redacted. */
  redacted: number;
  /** Secret values redacted in them. */
  redactions: number;
  notes: string[];
  firstEvent: string | null;
  lastEvent: string | null;
  reconciled: boolean;
  /** Set when the input stopped early on damage (truncated or corrupt gzip, read error). */
  damage?: string | null;
}

export interface RunSummary {
  inputs: InputSummary[];
  /** Inputs that could not be read or placed (not found, unreadable, format unknown, reading failed): the others were read. */
  failed: FailedInput[];
  read: number;
  events: number;
  rejects: number;
  skipped: Record<string, number>;
  skippedTotal: number;
  reconciled: boolean;
}

export const OUTSIDE_WINDOW = 'outside the time window';

export function emptySummary(): RunSummary {
  return { inputs: [], failed: [], read: 0, events: 0, rejects: 0, skipped: {}, skippedTotal: 0, reconciled: true };
}

export function resolveAdapter(format: string, catalog: AdapterCatalog): FormatAdapter | null {
  if (format === 'auto') return null;
  const a = catalog.find(format);
  if (!a) throw new UsageError(`unknown format '${format}': use auto or one of ${catalog.ids().join(', ')}`);
  return a;
}

/** Normalizes the given inputs (paths, '-' or opened sources) in order, filling `summary`. */
export async function* normalizeInputs(
  inputs: Array<string | InputSource>,
  run: RunOptions,
  summary: RunSummary = emptySummary(),
): AsyncGenerator<Outcome> {
  for await (const batch of normalizeInputBatches(inputs, run, summary)) for (const o of batch) yield o;
}

/** normalizeInputs in batches: the outcomes of the records of each chunk read, as one array (never empty). */
export async function* normalizeInputBatches(
  inputs: Array<string | InputSource>,
  run: RunOptions,
  summary: RunSummary = emptySummary(),
): AsyncGenerator<Outcome[]> {
  const named = resolveAdapter(run.format, run.adapters);
  for (const item of inputs) {
    // Each input is isolated: one that cannot be opened, placed or read to its end is a failed
    // input (named, with the reason, in summary.failed) and the next one is read.
    const name = typeof item === 'string' ? item : item.name;
    let input: InputSource;
    let adapter: FormatAdapter;
    try {
      input = typeof item === 'string' ? await openInput(item) : item;
      adapter = named ?? detectFormat(input, run.adapters).adapter;
    } catch (e) {
      summary.failed.push({ input: name, reason: failureReason(e) });
      continue;
    }
    const how = named ? 'named' : 'detected';
    run.onInput?.({ input: input.name, format: adapter.id, how });
    try {
      yield* normalizeOneBatches(adapter, input, run, summary, how);
    } catch (e) {
      summary.failed.push({ input: name, reason: failureReason(e) });
    }
  }
}

function failureReason(e: unknown): string {
  if (e instanceof InputError || e instanceof DetectionError) return e.message;
  return `internal error while reading: ${(e as Error)?.message ?? String(e)} (a bug: please report it)`;
}

/** Inputs listed as failed, for messages: "a.gz (cannot read a.gz: ...)". */
export function failedLines(sum: RunSummary): string[] {
  return sum.failed.map((f) => (f.reason.includes(f.input) ? f.reason : `${f.input}: ${f.reason}`));
}

/** Normalizes one opened input with one adapter (used by live sources too). */
export async function* normalizeOne(
  adapter: FormatAdapter,
  input: InputSource,
  run: RunOptions,
  summary: RunSummary,
  how: 'named' | 'detected' = 'named',
): AsyncGenerator<Outcome> {
  for await (const batch of normalizeOneBatches(adapter, input, run, summary, how)) for (const o of batch) yield o;
}

/** The judged outcomes of one input so far, and how they are judged. */
interface Stage {
  s: InputSummary;
  ctx: NormalizeContext;
  judge: (o: Outcome) => Outcome;
  outcomes: number;
}

/** normalizeOne in batches: the outcomes of each chunk's records as one array (never empty). */
export async function* normalizeOneBatches(
  adapter: FormatAdapter,
  input: InputSource,
  run: RunOptions,
  summary: RunSummary,
  how: 'named' | 'detected' = 'named',
): AsyncGenerator<Outcome[]> {
  const s = inputSummary(input.name, adapter.id, how);
  summary.inputs.push(s);
  const ctx: NormalizeContext = { options: run.options, input: input.name, note: noteTaker(s) };
  if (run.redact !== undefined) setPolicy(policyOf(run.redact));
  const st: Stage = { s, ctx, judge: judgeOf(s, run), outcomes: 0 };
  try {
    yield* adapter.normalizer ? batchOutcomes(adapter, input, run, st) : recordOutcomes(adapter, input, run, st);
    if (input.damage) {
      st.outcomes++;
      yield [damageReject(input, input.damage, s, summary)];
    }
    if (how === 'named' && s.read >= 2 && s.rejects * 2 > s.read) wrongFormatNote(adapter, input, s, ctx, run.adapters);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(
      redactSecrets(`reading ${input.name} as ${adapter.id} failed after ${s.read} records: ${(e as Error).message}`),
    );
  } finally {
    finish(s, summary, st.outcomes);
  }
}

/**
 * An adapter with a normalizer: each batch of records through the text pass (line formats: before
 * the adapter sees a record, so no event field can carry a secret; JSON formats redact on the value
 * they parse, src/redact/json.ts), the normalizer and the judgement in one synchronous loop.
 */
async function* batchOutcomes(
  adapter: FormatAdapter,
  input: InputSource,
  run: RunOptions,
  st: Stage,
): AsyncGenerator<Outcome[]> {
  const n = adapter.normalizer!(st.ctx);
  const text = adapter.redaction !== 'json';
  const batches = adapter.recordBatches
    ? adapter.recordBatches(input, run.options)
    : singles(adapter.records(input, run.options));
  for await (const batch of batches)
    for (let from = 0; from < batch.length; from += SLICE) {
      const out: Outcome[] = [];
      let failed = false;
      let error: unknown;
      try {
        const to = Math.min(batch.length, from + SLICE);
        for (let i = from; i < to; i++) {
          st.s.read++;
          n.push(text ? redactTextRecord(batch[i]!) : batch[i]!, out);
        }
      } catch (e) {
        // The outcomes of the records before the failure are kept, as they were one at a time.
        failed = true;
        error = e;
      }
      if (out.length > 0) yield judged(out, st);
      if (failed) throw error;
    }
  const out: Outcome[] = [];
  n.end(out);
  if (out.length > 0) yield judged(out, st);
}

/**
 * Records normalized per step: the outcomes of a step are alive together until the sink has taken
 * them, so a step stays well below what a young-generation collection can scavenge cheaply (a whole
 * 256 KiB chunk's events at once, ~2,500 MariaDB records, were promoted to the old generation and
 * cost five times the GC time).
 */
const SLICE = 64;

/** An adapter with only the per-record contract: its outcomes one at a time. */
async function* recordOutcomes(
  adapter: FormatAdapter,
  input: InputSource,
  run: RunOptions,
  st: Stage,
): AsyncGenerator<Outcome[]> {
  const structured = adapter.redaction === 'json';
  async function* counted(): AsyncGenerator<RawRecord> {
    for await (const raw of adapter.records(input, run.options)) {
      st.s.read++;
      yield structured ? raw : redactTextRecord(raw);
    }
  }
  for await (const o of adapter.normalize(counted(), st.ctx)) {
    st.outcomes++;
    yield [st.judge(o)];
  }
}

function judged(out: Outcome[], st: Stage): Outcome[] {
  for (let i = 0; i < out.length; i++) out[i] = st.judge(out[i]!);
  st.outcomes += out.length;
  return out;
}

function inputSummary(input: string, format: string, how: 'named' | 'detected'): InputSummary {
  return {
    input,
    format,
    how,
    read: 0,
    events: 0,
    rejects: 0,
    skipped: {},
    untimed: 0,
    redacted: 0,
    redactions: 0,
    notes: [],
    firstEvent: null,
    lastEvent: null,
    reconciled: true,
  };
}

/** The context's note(): adapters repeat the same note per record; each is redacted and kept once. */
function noteTaker(s: InputSummary): (m: string) => void {
  const notes = new Set<string>();
  /** Messages as given. */
  const given = new Set<string>();
  return (m: string) => {
    if (given.has(m)) return;
    if (given.size < 10_000) given.add(m);
    m = redactSecrets(m);
    if (!notes.has(m)) {
      notes.add(m);
      s.notes.push(m);
    }
  };
}

/**
 * The pipeline's judgement of each outcome of the adapter, counted in `s`: its raw record
 * redacted (any the adapter did not redact gets the text pass) and its reason too, its event
 * validated against the schema (a reject otherwise), the time window applied.
 */
function judgeOf(s: InputSummary, run: RunOptions): (o: Outcome) => Outcome {
  const sinceMs = run.since ? run.since.getTime() : -Infinity;
  const untilMs = run.until ? run.until.getTime() : Infinity;
  /** No window: no event time needs parsing (Date.parse per event was ~1% of a run). */
  const windowed = run.since != null || run.until != null;
  const outside = (o: Outcome): Outcome => {
    bump(s.skipped, OUTSIDE_WINDOW);
    return { kind: 'skip', raw: o.raw, reason: OUTSIDE_WINDOW };
  };
  const settle = (o: Outcome): Outcome => {
    let raw = o.raw;
    if (raw.redactions === undefined) raw = redactTextRecord(raw);
    if (raw.redactions) {
      s.redacted++;
      s.redactions += raw.redactions;
    }
    if (o.kind === 'event') return raw === o.raw ? o : { ...o, raw };
    const reason = redactSecrets(o.reason);
    return raw === o.raw && reason === o.reason ? o : { ...o, raw, reason };
  };
  return (o0: Outcome): Outcome => {
    const o = settle(o0);
    if (o.kind === 'reject') {
      s.rejects++;
      return o;
    }
    if (o.kind === 'skip') {
      const t = o.timestamp ? Date.parse(o.timestamp) : NaN;
      if (t < sinceMs || t >= untilMs) return outside(o);
      bump(s.skipped, o.reason);
      return o;
    }
    const problems = validateEvent(o.event);
    if (problems) {
      s.rejects++;
      const reason = `normalized event does not match the schema (${problems.slice(0, 3).join('; ')})`;
      return { kind: 'reject', raw: o.raw, reason: redactSecrets(reason) };
    }
    const ts = o.event.timestamp;
    if (ts === null) s.untimed++;
    else {
      if (windowed) {
        const t = Date.parse(ts);
        if (t < sinceMs || t >= untilMs) return outside(o);
      }
      if (s.firstEvent === null || ts < s.firstEvent) s.firstEvent = ts;
      if (s.lastEvent === null || ts > s.lastEvent) s.lastEvent = ts;
    }
    s.events++;
    return o;
  };
}

/**
 * A truncated or corrupt gzip stream (or a read error): the records before it were read; one
 * reject says where the input stopped (counted as a record read).
 */
function damageReject(input: InputSource, damage: InputDamage, s: InputSummary, summary: RunSummary): Outcome {
  const reason = describeDamage(input.name, damage);
  s.read++;
  s.rejects++;
  s.damage = reason;
  summary.failed.push({ input: input.name, reason: `${reason} (stopped early)` });
  return { kind: 'reject', raw: rawRecord('', { file: input.name, byte_offset: damage.offset }), reason };
}

/** A forced --format that rejects most records: say which format the file looks like. */
function wrongFormatNote(
  adapter: FormatAdapter,
  input: InputSource,
  s: InputSummary,
  ctx: NormalizeContext,
  catalog: AdapterCatalog,
): void {
  let looks: string | null = null;
  try {
    const d = detectFormat(input, catalog);
    if (d.adapter.id !== adapter.id && d.adapter.id !== 'empty') looks = d.adapter.id;
  } catch {
    /* matches none */
  }
  ctx.note(
    `${s.rejects} of ${s.read} records were rejected: the format is probably not ${adapter.id}${looks ? `; the file looks like ${looks} (try --format ${looks}, or auto)` : ' (the file matches none of the formats)'}`,
  );
}

function finish(s: InputSummary, summary: RunSummary, outcomes: number): void {
  const skippedTotal = Object.values(s.skipped).reduce((a, b) => a + b, 0);
  s.reconciled = outcomes === s.read && s.read === s.events + s.rejects + skippedTotal;
  if (!s.reconciled)
    s.notes.push(
      `counts do not reconcile: ${s.read} records read, ${outcomes} outcomes (a bug in the ${s.format} adapter)`,
    );
  summary.read += s.read;
  summary.events += s.events;
  summary.rejects += s.rejects;
  for (const [k, v] of Object.entries(s.skipped)) bump(summary.skipped, k, v);
  summary.skippedTotal += skippedTotal;
  summary.reconciled &&= s.reconciled;
}

function policyOf(r: RunOptions['redact']): Policy | null {
  if (!r) return null;
  return 'extraNames' in r ? r : makePolicy(r);
}

function bump(m: Record<string, number>, k: string, n = 1): void {
  m[k] = (m[k] ?? 0) + n;
}

/** One line for the terminal: counts, and whether they reconcile. */
export function formatSummaryLine(sum: RunSummary): string {
  const skipped =
    sum.skippedTotal === 0
      ? '0 skipped'
      : `${sum.skippedTotal} skipped (${Object.entries(sum.skipped)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')})`;
  const files = sum.inputs.length === 1 ? '1 input' : `${sum.inputs.length} inputs`;
  const failed =
    sum.failed.length === 0
      ? ''
      : `; ${sum.failed.length} input${sum.failed.length === 1 ? '' : 's'} FAILED or stopped early`;
  return `read ${sum.read} records from ${files}: ${sum.events} events, ${sum.rejects} rejected, ${skipped}; ${
    sum.reconciled ? 'counts reconcile' : 'COUNTS DO NOT RECONCILE'
  }${failed}`;
}

/** One line per input whose kept text had secrets redacted ('' when none). */
export function redactionLines(sum: RunSummary): string[] {
  return sum.inputs
    .filter((s) => s.redacted > 0)
    .map(
      (s) =>
        `${s.input}: secrets redacted in ${s.redacted} record${s.redacted === 1 ? '' : 's'} (${s.redactions} value${s.redactions === 1 ? '' : 's'})`,
    );
}

export function rejectLine(o: Extract<Outcome, { kind: 'reject' }>): string {
  return `${describeLocation(o.raw.location)}: ${o.reason}`;
}
