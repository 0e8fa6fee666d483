// time.outside-window: evidence for a period must hold only that period. A row whose time falls
// before --since or at/after --until (or outside --week) is reported.
import type { Rule } from '../rule.js';
import { rowFinding } from '../rule.js';

export const timeOutsideWindow: Rule = {
  id: 'time.outside-window',
  severity: 'error',
  title: 'Timestamp outside the window',
  description:
    'A row is dated outside the period being checked (--since/--until/--week), so the evidence does not match its period.',
  start(ctx) {
    const since = ctx.since?.getTime() ?? -Infinity;
    const until = ctx.until?.getTime() ?? Infinity;
    return {
      row(e, source) {
        if (e.timestamp === null || (since === -Infinity && until === Infinity)) return [];
        const t = Date.parse(e.timestamp);
        if (!Number.isFinite(t)) return [];
        if (t < since)
          return [
            rowFinding(
              timeOutsideWindow,
              e,
              source,
              `timestamp ${e.timestamp} is before the window start ${ctx.since!.toISOString()}`,
              'timestamp',
            ),
          ];
        if (t >= until)
          return [
            rowFinding(
              timeOutsideWindow,
              e,
              source,
              `timestamp ${e.timestamp} is at or after the window end ${ctx.until!.toISOString()}`,
              'timestamp',
            ),
          ];
        return [];
      },
    };
  },
};
