// Feeding records one at a time into other adapters' normalizers. A container format (CloudWatch
// Logs payloads, Cloud Logging entries) holds records of several formats and streams; each stream
// gets a "lane": the inner adapter's own normalize(), kept running across records so that its
// state (multi-line joins, sessions, held records) works as it does on a file. push() hands a lane
// one record and returns the outcomes the lane produces before it asks for the next; finish()
// ends every lane and returns what they still held. Outcomes carry the container's raw record
// (the record as read), never the inner text: the inner adapter sees `inner`, the bundle keeps `outer`.
import type { FormatAdapter, NormalizeContext, Outcome, RawRecord } from './types.js';

class Lane {
  private q: RawRecord[] = [];
  private closed = false;
  private wake: (() => void) | null = null;
  private onStarve: (() => void) | null = null;
  private pending: Promise<IteratorResult<Outcome>> | null = null;
  private readonly it: AsyncIterator<Outcome>;

  constructor(adapter: FormatAdapter, ctx: NormalizeContext) {
    this.it = adapter.normalize(this.source(), ctx)[Symbol.asyncIterator]();
  }

  private async *source(): AsyncGenerator<RawRecord> {
    for (;;) {
      if (this.q.length) {
        yield this.q.shift()!;
        continue;
      }
      if (this.closed) return;
      this.onStarve?.();
      await new Promise<void>((res) => {
        this.wake = res;
      });
    }
  }

  /** Outcomes produced until the normalizer waits for more input (or ends). */
  async *pump(): AsyncGenerator<Outcome> {
    for (;;) {
      const starved = new Promise<'starved'>((res) => {
        this.onStarve = () => res('starved');
      });
      this.pending ??= this.it.next();
      const r = await Promise.race([this.pending, starved]);
      if (r === 'starved') return;
      this.pending = null;
      if (r.done) return;
      yield r.value;
    }
  }

  push(r: RawRecord): void {
    this.q.push(r);
    this.wake?.();
    this.wake = null;
  }

  async *close(): AsyncGenerator<Outcome> {
    this.closed = true;
    this.wake?.();
    this.wake = null;
    for (;;) {
      this.pending ??= this.it.next();
      const r = await this.pending;
      this.pending = null;
      if (r.done) return;
      yield r.value;
    }
  }
}

export class Lanes {
  private readonly lanes = new Map<string, Lane>();
  private readonly outer = new Map<RawRecord, RawRecord>();

  /** At most `max` lanes run at once; the least recently used one is finished to make room. */
  constructor(private readonly max = 256) {}

  /** Feeds `inner` (standing for `outer`) to the lane `key`, started with `adapter` and `ctx` if new. */
  async *push(
    key: string,
    adapter: FormatAdapter,
    ctx: NormalizeContext,
    inner: RawRecord,
    outer: RawRecord,
  ): AsyncGenerator<Outcome> {
    let lane = this.lanes.get(key);
    if (lane)
      this.lanes.delete(key); // re-inserted last: Map order is the recency order
    else {
      if (this.lanes.size >= this.max) {
        const [oldKey, old] = this.lanes.entries().next().value as [string, Lane];
        this.lanes.delete(oldKey);
        for await (const o of old.close()) yield this.restore(o);
      }
      lane = new Lane(adapter, ctx);
    }
    this.lanes.set(key, lane);
    this.outer.set(inner, outer);
    lane.push(inner);
    for await (const o of lane.pump()) yield this.restore(o);
  }

  async *finish(): AsyncGenerator<Outcome> {
    for (const lane of this.lanes.values()) for await (const o of lane.close()) yield this.restore(o);
    this.lanes.clear();
  }

  /** The outcome with the outer raw record (and the event naming it). */
  private restore(o: Outcome): Outcome {
    const outer = this.outer.get(o.raw);
    if (!outer) return o;
    this.outer.delete(o.raw);
    if (o.kind !== 'event') return { ...o, raw: outer };
    return {
      kind: 'event',
      raw: outer,
      event: { ...o.event, source: { ...o.event.source, raw_sha256: outer.sha256 } },
    };
  }
}
