// The batch forms of the adapter contract (types.ts: recordBatches, normalizer) and the per-record
// forms derived from them, so an adapter writes its framing and its normalization once. Batches
// take the await off every record: the pipeline awaits once per chunk read, and the records of a
// chunk go through redaction, normalization, validation and output in synchronous loops.
import type { NormalizeContext, Outcome, RawRecord, RecordNormalizer } from './types.js';

/** The records of batches, one at a time (`records` of an adapter that has `recordBatches`). */
export async function* eachRecord<T extends RawRecord>(batches: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const b of batches) for (const r of b) yield r;
}

/** Records one per batch (a framer with no batch form, read by a normalizer). */
export async function* singles(records: AsyncIterable<RawRecord>): AsyncGenerator<RawRecord[]> {
  for await (const r of records) yield [r];
}

/** `normalize` from a normalizer: the outcomes of each record as it comes, then those held at the end. */
export async function* normalizeWith(
  make: (ctx: NormalizeContext) => RecordNormalizer,
  records: AsyncIterable<RawRecord>,
  ctx: NormalizeContext,
): AsyncGenerator<Outcome> {
  const n = make(ctx);
  const out: Outcome[] = [];
  for await (const raw of records) {
    n.push(raw, out);
    for (let i = 0; i < out.length; i++) yield out[i]!;
    out.length = 0;
  }
  n.end(out);
  yield* out;
}
