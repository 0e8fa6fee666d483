// Streaming one source through the pipeline: each outcome (event, reject, skip) goes to the
// temporary files, the completeness check and the tallies as it arrives; nothing is held. A stage
// of runCollect.
import type { DeflatedEntry, DeflatedFile } from '../bundle/deflated-file.js';
import type { CompletenessChecker } from '../checks/index.js';
import { fullLocation } from '../event/build.js';
import type { AuditEvent } from '../event/types.generated.js';
import { emptySummary, OUTSIDE_WINDOW, type RunSummary } from '../pipeline/run.js';
import type { Outcome } from '../pipeline/types.js';
import { applyRoster, type Roster } from '../privilege/roster.js';
import { redactSecrets } from '../redact/text.js';
import { CollectError } from './errors.js';
import { collectHint } from './hints.js';
import type { Outputs } from './outputs.js';
import type { SourceConfig, SourceRun, SourceRunContext } from './source.js';
import { openSource } from './sources.js';
import { bump, type RunTally, type SourceTally } from './tally.js';

/** Redaction counts per source, for the manifest. */
export type RedactedBy = Record<string, { records: number; values: number }>;

/** What every source of a run writes into. */
export interface CollectRun {
  ctx: SourceRunContext;
  outputs: Outputs;
  tally: RunTally;
  checker: CompletenessChecker;
  redactedBy: RedactedBy;
  roster: Roster;
  demo: boolean;
  signal?: AbortSignal;
  say: (m: string) => void;
}

/** A source read to its end (or to its error). */
export interface StreamedSource {
  summary: RunSummary;
  s: SourceTally;
  run: SourceRun | null;
  /** The error that ended the source early, redacted. */
  error: string | null;
  /** Where and why the first record was rejected, for an 'unreadable' verdict. */
  firstReject: string | null;
  raw: DeflatedEntry;
}

/** A source being read. */
type Reading = Omit<StreamedSource, 'raw'>;

/** Opens the i-th source and streams its outcomes; an interrupt ends the run, another error ends only the source. */
export async function streamSource(r: CollectRun, cfg: SourceConfig, i: number): Promise<StreamedSource> {
  if (r.signal?.aborted) throw new CollectError('interrupted');
  r.say(`${cfg.name}: collecting (${cfg.type})`);
  const summary: RunSummary = emptySummary();
  const raw = r.outputs.rawFile(i);
  const s = r.tally.source(cfg.name);
  const got: Reading = { summary, s, run: null, error: null, firstReject: null };
  try {
    got.run = openSource(cfg, r.ctx, summary, r.demo);
    for await (const out of got.run.outcomes) {
      if (r.signal?.aborted) throw new CollectError('interrupted');
      s.c.read++;
      if (out.raw.redactions) {
        const red = (r.redactedBy[cfg.name] ??= { records: 0, values: 0 });
        red.records++;
        red.values += out.raw.redactions;
      }
      if (out.kind === 'event') await addEvent(r, out, s, raw, cfg.name);
      else if (out.kind === 'reject') await addReject(r, out, got, raw, cfg.name);
      else {
        bump(s.c.skipped, out.reason);
        if (out.reason === OUTSIDE_WINDOW) s.c.outside++;
        else if (addRaw(raw, out, `skip: ${out.reason}`)) await raw.flush();
      }
    }
  } catch (e) {
    if (r.signal?.aborted || (e instanceof CollectError && e.message === 'interrupted'))
      throw new CollectError('interrupted');
    got.error = redactSecrets((e as Error).message);
  }
  return { ...got, raw: await raw.close() };
}

/**
 * Adds the outcome's raw record to the source's raw file; true when the batch is full (flush it).
 * `redacted`: the number of secret values replaced in `text`; `sha256` stays the hash of the record's original bytes.
 */
function addRaw(raw: DeflatedFile, out: Outcome, disposition: string): boolean {
  return raw.add(
    `${JSON.stringify(out.raw.redactions ? { sha256: out.raw.sha256, location: fullLocation(out.raw.location), disposition, text: out.raw.text, redacted: out.raw.redactions } : { sha256: out.raw.sha256, location: fullLocation(out.raw.location), disposition, text: out.raw.text })}\n`,
  );
}

async function addEvent(
  r: CollectRun,
  out: Extract<Outcome, { kind: 'event' }>,
  s: SourceTally,
  raw: DeflatedFile,
  name: string,
): Promise<void> {
  let ev: AuditEvent = applyRoster(out.event, r.roster);
  if (ev.source.instance === null) ev = { ...ev, source: { ...ev.source, instance: name } };
  if (ev.source.raw_sha256 !== out.raw.sha256) s.c.mismatched++;
  await r.outputs.addEvent(ev);
  if (addRaw(raw, out, 'event')) await raw.flush();
  r.checker.add(ev);
  r.tally.event(ev, s, r.outputs.eventLines);
}

async function addReject(
  r: CollectRun,
  out: Extract<Outcome, { kind: 'reject' }>,
  got: Reading,
  raw: DeflatedFile,
  name: string,
): Promise<void> {
  got.s.c.rejects++;
  const why = collectHint(out.reason, name);
  if (got.firstReject === null)
    got.firstReject = `${out.raw.location.file}${out.raw.location.line ? ` line ${out.raw.location.line}` : ''}: ${why}`;
  await r.outputs.rejects.write(
    `${JSON.stringify(out.raw.redactions ? { source: name, location: fullLocation(out.raw.location), reason: why, raw_sha256: out.raw.sha256, raw: out.raw.text, raw_redacted: out.raw.redactions } : { source: name, location: fullLocation(out.raw.location), reason: why, raw_sha256: out.raw.sha256, raw: out.raw.text })}\n`,
  );
  if (addRaw(raw, out, 'reject')) await raw.flush();
}
