// Runs a live source the way collect does: drain its outcomes, then ask for its result.
import type { LiveSourceOpener, SourceConfig, SourceResult, SourceRunContext } from '../../src/collect/source.js';
import { emptySummary, type RunSummary } from '../../src/pipeline/run.js';
import type { Outcome } from '../../src/pipeline/types.js';
import type { AuditEvent } from '../../src/event/types.generated.js';

export interface Drained {
  outcomes: Outcome[];
  events: AuditEvent[];
  result: SourceResult;
  summary: RunSummary;
  ms: number;
  progress: string[];
}

export async function drain(
  open: LiveSourceOpener,
  cfg: SourceConfig,
  ctx: Partial<SourceRunContext> = {},
  onOutcome?: (o: Outcome, n: number) => void | Promise<void>,
): Promise<Drained> {
  const summary = emptySummary();
  const progress: string[] = [];
  const t0 = Date.now();
  const run = open(
    cfg,
    {
      since: new Date(Date.now() - 3600_000),
      until: new Date(Date.now() + 3600_000),
      progress: (m) => progress.push(m),
      ...ctx,
    },
    summary,
  );
  const outcomes: Outcome[] = [];
  for await (const o of run.outcomes) {
    outcomes.push(o);
    await onOutcome?.(o, outcomes.length);
  }
  const events = outcomes
    .filter((o): o is Extract<Outcome, { kind: 'event' }> => o.kind === 'event')
    .map((o) => o.event);
  return { outcomes, events, result: run.result(), summary, ms: Date.now() - t0, progress };
}
