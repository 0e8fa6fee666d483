// Picks a format adapter for an input from its content (and name as a tie-breaker).
import type { AdapterCatalog, FormatAdapter, InputSource } from './types.js';

export class DetectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DetectionError';
  }
}

/**
 * An input with no bytes at all (an empty rotated log, a file opened by a logger but not yet
 * written). Nothing to read is not an error: it reads as zero records, and the summary says so.
 */
export const EMPTY_INPUT: FormatAdapter = {
  id: 'empty',
  kind: 'postgresql',
  title: 'empty input',
  description: 'an input with no bytes: read as zero records',
  sniff: () => 0,
  async *records() {
    /* nothing to frame */
  },
  // eslint-disable-next-line require-yield
  async *normalize(_records, ctx) {
    ctx.note('the input is empty: no records');
  },
};

const MAX_SKIPPED_LINES = 5;

/** The adapter of `catalog` whose sniff scores the input highest (at least 0.5). */
export function detectFormat(
  input: Pick<InputSource, 'name' | 'head'>,
  catalog: AdapterCatalog,
): { adapter: FormatAdapter; score: number } {
  if (input.head.length === 0) return { adapter: EMPTY_INPUT, score: 1 };
  const full = input.head.toString('utf8');
  let best: { adapter: FormatAdapter; score: number } | null = null;
  // From a sample: when the head as it is matches no format, the first lines may be a stray line,
  // a banner or damage; up to MAX_SKIPPED_LINES of them are skipped (the reader rejects them).
  let head = full;
  for (let skipped = 0; skipped <= MAX_SKIPPED_LINES; skipped++) {
    for (const adapter of catalog.adapters) {
      const score = adapter.sniff(head, input.name);
      if (score > (best?.score ?? 0)) best = { adapter, score };
    }
    if (best && best.score >= 0.5) break;
    const nl = head.indexOf('\n');
    if (nl < 0 || nl + 1 >= head.length) break;
    head = head.slice(nl + 1);
  }
  if (!best || best.score < 0.5) {
    const why = 'its content matches none of them';
    throw new DetectionError(
      `cannot tell the format of ${input.name}: tried ${catalog.adapters.map((a) => a.id).join(', ')}, and ${why}; name it with --format`,
    );
  }
  return best;
}
