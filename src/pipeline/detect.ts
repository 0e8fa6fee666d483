// Picks a format adapter for an input from its content (and name as a tie-breaker).
import { adapters } from '../sources/registry.js';
import type { FormatAdapter, InputSource } from './types.js';

export class DetectionError extends Error {
  constructor(message: string) { super(message); this.name = 'DetectionError'; }
}

export function detectFormat(input: Pick<InputSource, 'name' | 'head'>): { adapter: FormatAdapter; score: number } {
  const head = input.head.toString('utf8');
  let best: { adapter: FormatAdapter; score: number } | null = null;
  for (const adapter of adapters) {
    const score = adapter.sniff(head, input.name);
    if (score > (best?.score ?? 0)) best = { adapter, score };
  }
  if (!best || best.score < 0.5) {
    const why = input.head.length === 0 ? 'it is empty' : 'its content matches none of them';
    throw new DetectionError(
      `cannot tell the format of ${input.name}: tried ${adapters.map((a) => a.id).join(', ')}, and ${why}; name it with --format`,
    );
  }
  return best;
}
