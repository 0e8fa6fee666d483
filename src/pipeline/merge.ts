// Adding up the counts of the parts of a run (files read by workers, blocks of one split file).
// Its own module so that parallel.ts and split.ts, which both need it, do not import each other.
import type { RunSummary } from './run.js';

/** Adds the counts of one part of a run (one or more inputs) to a run summary. */
export function mergeSummary(into: RunSummary, part: RunSummary): void {
  into.inputs.push(...part.inputs);
  into.failed.push(...(part.failed ?? []));
  into.read += part.read;
  into.events += part.events;
  into.rejects += part.rejects;
  for (const [k, v] of Object.entries(part.skipped)) into.skipped[k] = (into.skipped[k] ?? 0) + v;
  into.skippedTotal += part.skippedTotal;
  into.reconciled &&= part.reconciled;
}
