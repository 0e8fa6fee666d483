// probe.not-found / probe.found: the logging probe (audit-evidence probe, collect --probe) performed
// an admin action of a category on a source on purpose. Found in the log, it is proof that the
// category is logged with its four fields; not found within the wait, logging of that category is
// broken, whatever the configuration claims, and the gate fails.
import type { Rule } from '../rule.js';
import { sourceFinding } from '../rule.js';
import type { Finding } from '../types.js';

export const probeNotFound: Rule = {
  id: 'probe.not-found',
  severity: 'error',
  title: 'Probe action not found in the log',
  description:
    "An admin action the probe performed on purpose did not appear in the source's log within the wait: that category is not logged (the finding names the likely setting).",
  start(ctx) {
    return {
      finish() {
        const out: Finding[] = [];
        for (const r of ctx.options.probes ?? []) {
          for (const x of r.results) {
            if (x.status === 'not_found') {
              out.push({
                ...sourceFinding(
                  probeNotFound,
                  r.source,
                  `probe on ${r.source}: ${x.category.replace('_', ' ')} (${x.name}): ${x.action} at ${x.performed_at} was ${x.reason}; likely: ${x.likely_setting}`,
                ),
                field: x.category,
              });
            } else if (x.status === 'failed') {
              out.push({
                ...sourceFinding(
                  probeNotFound,
                  r.source,
                  `probe on ${r.source}: ${x.category.replace('_', ' ')} (${x.name}) could not be performed, so it proves nothing: ${x.reason}`,
                  'warning',
                ),
                field: x.category,
              });
            }
          }
        }
        return out;
      },
    };
  },
};

export const probeFound: Rule = {
  id: 'probe.found',
  severity: 'info',
  title: 'Probe action found in the log (proof)',
  description:
    "An admin action the probe performed on purpose was found in the source's log with its four fields: proof that the category is logged.",
  start(ctx) {
    return {
      finish() {
        const out: Finding[] = [];
        for (const r of ctx.options.probes ?? []) {
          for (const x of r.results) {
            if (x.status !== 'found' || !x.event) continue;
            out.push({
              ...sourceFinding(
                probeFound,
                r.source,
                `probe on ${r.source}: ${x.category.replace('_', ' ')} (${x.name}) is logged: ${x.action} at ${x.performed_at} was found as event ${x.event.id.slice(0, 12)} after ${((x.delay_ms ?? 0) / 1000).toFixed(1)} s (user ${x.event.user}, action ${x.event.action}, resource ${x.event.resource}, ${x.event.timestamp})`,
              ),
              field: x.category,
            });
          }
        }
        return out;
      },
    };
  },
};
