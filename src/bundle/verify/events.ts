// The single pass: events.jsonl line by line (JSON, canonical form, schema, demo shift, period,
// Merkle root, count), and alongside it events.csv, events.ocsf.jsonl and the raw files (each an
// object of its own module, fed the events in turn), then rejects.jsonl and the counts. Every
// file is inflated once, hashed as it is read; the completeness check is fed the same events.
import type { CompletenessChecker } from '../../checks/index.js';
import { validateEvent } from '../../event/schema.js';
import type { AuditEvent } from '../../event/types.generated.js';
import { isCanonicalLine } from '../canonical-line.js';
import { EVENTS_FILE, type EvidencePredicate } from '../manifest.js';
import { MerkleBuilder } from '../merkle.js';
import type { OpenBundle } from '../zip-reader.js';
import { checkCounts, Tally } from './counts.js';
import { CsvCheck } from './csv.js';
import { OcsfCheck } from './ocsf.js';
import { RawCheck } from './raw.js';
import { checkRejects } from './rejects.js';
import { type Fail, type Line, type LineReader, reader, type Streamed } from './types.js';

/** Runs the single pass; returns the number of event lines. `stop.now` ends the line checks early. */
export async function checkEvents(
  b: OpenBundle,
  p: EvidencePredicate,
  fail: Fail,
  subjects: Map<string, string>,
  streamed: Streamed,
  checker: CompletenessChecker | null,
  stop: { now: boolean },
): Promise<number> {
  if (!b.entries.has(EVENTS_FILE)) return 0;
  const merkle = new MerkleBuilder();
  const tally = new Tally(p);
  const raw = new RawCheck(b, subjects, streamed, tally, fail, stop);
  const csv = await CsvCheck.open(b, subjects, streamed, fail);
  const ocsf = new OcsfCheck(b, p, subjects, streamed, fail);
  const period = { start: Date.parse(p.period.start), end: Date.parse(p.period.end) };
  const sources = new Set(p.sources.map((s) => s.name));

  const ev = reader(b, EVENTS_FILE, subjects, streamed);
  for (let l = await ev.next(); l && !stop.now; l = await ev.next()) {
    merkle.add(l.text);
    const e = checkEventLine(l, p, period, checker, fail);
    if (!e) continue;
    await csv.event(e, l.line);
    await ocsf.event(e, l.line);
    const source = e.source.instance ?? '';
    if (!sources.has(source)) {
      fail(EVENTS_FILE, `names a source '${source}' that the manifest does not list`, l.line);
      continue;
    }
    tally.addEvent(e, source);
    await raw.event(e, l.line, source);
  }
  checkLineEnds(ev, fail);
  await csv.finish();
  await ocsf.finish(stop);
  await raw.finish(p);

  if (merkle.count !== p.events.count)
    fail(EVENTS_FILE, `has ${merkle.count} events; the manifest says ${p.events.count}`);
  const root = merkle.root();
  if (root !== p.events.merkle_root)
    fail(EVENTS_FILE, `the Merkle root recomputes to ${root}; the manifest says ${p.events.merkle_root}`);

  const rejects = await checkRejects(b, subjects, streamed, raw.rejects, fail, stop);
  checkCounts(b, p, tally, rejects, fail);
  return merkle.count;
}

/** One line of events.jsonl on its own; the event when it is one the other files can be compared with. */
function checkEventLine(
  l: Line,
  p: EvidencePredicate,
  period: { start: number; end: number },
  checker: CompletenessChecker | null,
  fail: Fail,
): AuditEvent | null {
  let e: AuditEvent;
  try {
    e = JSON.parse(l.text);
  } catch {
    fail(EVENTS_FILE, 'is not JSON', l.line);
    return null;
  }
  // The completeness check runs again on every line that parses (as collect ran it on every event).
  if (checker)
    try {
      checker.add(e);
    } catch {
      /* a malformed event: reported by the events check */
    }
  if (!isCanonicalLine(e, l.text)) fail(EVENTS_FILE, 'is not in canonical JSON form (the line was edited)', l.line);
  const problems = validateEvent(e);
  if (problems) {
    fail(EVENTS_FILE, `does not match the event schema (${problems.slice(0, 3).join('; ')})`, l.line);
    return null;
  }
  if (!p.demo && e.details?.demo_time_shift_days !== undefined)
    fail(
      EVENTS_FILE,
      'carries details.demo_time_shift_days (a demo event with a shifted timestamp), but predicate.demo is false',
      l.line,
    );
  if (e.timestamp !== null) {
    const t = Date.parse(e.timestamp);
    if (t < period.start || t >= period.end)
      fail(EVENTS_FILE, `its timestamp ${e.timestamp} is outside the period`, l.line);
  }
  return e;
}

/**
 * collect ends every line with LF alone. A CR before it is dropped from the line (and so from the
 * Merkle leaf) here, but not by VERIFY.md's Python recipe: the two would disagree on the root.
 */
function checkLineEnds(ev: LineReader, fail: Fail): void {
  if (ev.crLines > 0)
    fail(
      EVENTS_FILE,
      `has ${ev.crLines} line${ev.crLines === 1 ? '' : 's'} ending in CR LF; collect writes LF line endings only`,
    );
  if (ev.unterminated) fail(EVENTS_FILE, 'its last line has no line break; collect ends every line with one', ev.line);
}
