// Verifies an evidence bundle offline: the DSSE signature over the manifest, every subject's
// digest, no missing or extra files, SHA256SUMS, the events (schema, canonical form, period,
// Merkle root, count), the raw record behind every event (and no raw event record without its
// event), the CSV and rejects against the events, the per-source counts, the completeness figures,
// the chain to the previous bundle, and the CloudTrail digests when present. Each check is a module
// of this folder that reports its findings through the `fail` it is handed; this file runs them in
// order and assembles the result. Streams every file (yauzl lazy entries); memory stays bounded by
// the number of sources. Each failure names the file and, where it can, the line.
//
// Every file is inflated once: events.jsonl, events.csv, rejects.jsonl and the raw files are hashed
// while their lines are checked (EntryLines), and the completeness check is re-run on the events
// as they are parsed for the events check. That pass runs before the digest step; its failures are
// held back and reported in the order of the steps below, so the report reads as it always did.
import type { EvidencePredicate } from '../manifest.js';
import { EntryReadError, openBundle } from '../zip-reader.js';
import { checkChain } from './chain.js';
import { checkCloudTrailDigests } from './cloudtrail-digests.js';
import { type Completeness, compareRecomputed, prepareCompleteness } from './completeness.js';
import { checkContainer } from './container.js';
import { checkEvents } from './events.js';
import { checkFiles, checkSums, checkVerifyDoc } from './files.js';
import { checkSources, readStatement, subjectsOf } from './manifest.js';
import { checkSignature, checkSigner } from './signature.js';
import {
  type Ctx,
  type Failure,
  type Held,
  MAX_HELD,
  type State,
  type Streamed,
  type VerifyOptions,
  type VerifyResult,
} from './types.js';

export { KeyError } from '../keys.js';
export { type Failure, formatFailure, type Step, type VerifyOptions, type VerifyResult } from './types.js';

export async function verifyBundle(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const failures: Failure[] = [];
  const perFile = new Map<string, number>();
  const max = opts.maxPerFile ?? 20;
  const state: State = { step: 'container', predicate: null, manifestSha256: null, chain: null };
  const ctx: Ctx = {
    b: await openBundle(path),
    warnings: [],
    facts: { keyid: null, signer: null, events: 0, files: 0, demo: false, period: null, previous: null },
    fail: (file, message, line, always = false) => {
      const n = (perFile.get(file) ?? 0) + 1;
      perFile.set(file, n);
      if (n <= max || always) failures.push({ file, line, message, step: state.step });
      else if (n === max + 1)
        failures.push({ file, message: `more failures in this file are not listed`, step: state.step });
    },
  };
  const done = (): VerifyResult => ({
    valid: failures.length === 0,
    failures,
    warnings: ctx.warnings,
    facts: ctx.facts,
    predicate: state.predicate,
    manifestSha256: state.manifestSha256,
    chain: state.chain,
  });

  try {
    await checkBundle(ctx, path, opts, state);
    return done();
  } catch (e) {
    // One damaged entry (encrypted, unknown method, bad DEFLATE data, wrong size, an endless line)
    // makes the bundle INVALID, naming the file; the checks after it are not run.
    if (!(e instanceof EntryReadError)) throw e;
    const message = `cannot be read from the zip (${e.reason})`;
    if (!failures.some((f) => f.file === e.entry && f.message === message)) ctx.fail(e.entry, message);
    return done();
  } finally {
    ctx.b.close();
  }
}

/** The checks, in the order their findings are reported; returns early where the rest cannot run. */
async function checkBundle(ctx: Ctx, path: string, opts: VerifyOptions, state: State): Promise<void> {
  const { b, fail, warnings } = ctx;
  ctx.facts.files = b.entries.size;
  if (!checkContainer(b, path, fail)) return;

  // 1. The signature, over the payload the envelope carries; the manifest file must be that payload.
  state.step = 'signature';
  const signed = await checkSignature(ctx, opts, state);
  if (!signed) return;

  // 2. The statement (as signed) and its predicate.
  state.step = 'manifest';
  const st = readStatement(ctx, signed.payload, state);
  if (!st) return;
  const p = st.predicate;
  state.step = 'signature';
  await checkSigner(ctx, opts, p, signed.key);
  state.step = 'manifest';
  checkSources(p, fail);
  const subjects = subjectsOf(st, fail);

  // The single pass over events, CSV, rejects and raw files (steps 6 and 7 report what it found).
  const pass = await singlePass(ctx, p, subjects);

  // 3. Every subject present with its digest; nothing extra.
  state.step = 'files';
  await checkFiles(ctx, subjects, pass.streamed);
  // 4. SHA256SUMS agrees with the manifest, line by line.
  await checkSums(ctx, subjects);
  // 5. VERIFY.md is the text this version writes for this bundle (only when the versions match).
  await checkVerifyDoc(ctx, p);

  // 6. Events, raw records, CSV, OCSF, rejects, counts (checked in the pass above).
  state.step = 'events';
  for (const h of pass.heldEvents) fail(h.file, h.message, h.line);
  if (pass.stoppedAt !== null)
    fail(
      pass.stoppedAt,
      `the line checks stopped after ${MAX_HELD} problems; the lines, counts and raw records after that point were not checked`,
      undefined,
      true,
    );
  if (pass.streamed.readError !== null) throw pass.streamed.readError;
  ctx.facts.events = pass.eventCount;

  // 7. The completeness figures.
  state.step = 'completeness';
  const { completeness } = pass;
  if (completeness.error !== null) throw completeness.error;
  for (const h of pass.heldCompleteness) fail(h.file, h.message, h.line);
  if (completeness.checker && completeness.report) compareRecomputed(completeness.checker, completeness.report, fail);

  // 8. The chain.
  state.step = 'chain';
  if (opts.previous) await checkChain(ctx, opts.previous, p, state, signed.key, opts.maxPerFile, verifyBundle);
  else if (p.previous_bundle)
    warnings.push(
      `the bundle is chained to a previous bundle (${p.previous_bundle.file}, manifest sha256 ${p.previous_bundle.manifest_sha256}); pass --previous to check the link`,
    );

  // 9. CloudTrail digest validation, re-run offline from the integrity files.
  state.step = 'cloudtrail-digests';
  await checkCloudTrailDigests(ctx, p);
}

/** What the single pass found, held back for the steps that report it. */
interface Pass {
  streamed: Streamed;
  eventCount: number;
  heldEvents: Held;
  /** The file the line checks stopped in after MAX_HELD problems, or null. */
  stoppedAt: string | null;
  completeness: Completeness;
  heldCompleteness: Held;
}

/**
 * The single pass over events, CSV, OCSF, rejects and raw files, with the completeness check fed
 * the same events. Held failures are capped: a file of millions of bad lines (30 MB of line breaks
 * took 4 minutes and GBs of held messages) stops the line checks once the bundle is plainly invalid.
 */
async function singlePass(ctx: Ctx, p: EvidencePredicate, subjects: Map<string, string>): Promise<Pass> {
  const pass: Pass = {
    streamed: { readers: new Map(), readError: null },
    eventCount: 0,
    heldEvents: [],
    stoppedAt: null,
    completeness: { checker: null, report: null, error: null },
    heldCompleteness: [],
  };
  pass.completeness = await prepareCompleteness(ctx.b, p, pass.heldCompleteness, ctx.warnings);
  const stop = { now: false };
  try {
    pass.eventCount = await checkEvents(
      ctx.b,
      p,
      (file, message, line) => {
        if (pass.heldEvents.length < MAX_HELD) pass.heldEvents.push({ file, message, line });
        else if (!stop.now) {
          stop.now = true;
          pass.stoppedAt = file;
        }
      },
      subjects,
      pass.streamed,
      pass.completeness.checker,
      stop,
    );
  } catch (e) {
    pass.streamed.readError = e;
  }
  return pass;
}
