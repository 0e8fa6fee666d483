// Placeholder for an adapter that is being built: registered so that ids, help and detection
// messages are stable, but it never claims an input and refuses to run.
import type { FormatAdapter } from '../pipeline/types.js';
import type { SourceKind } from '../event/build.js';

export function plannedAdapter(id: string, kind: SourceKind, title: string): FormatAdapter {
  return {
    id, kind, title, description: `${title} (not available yet)`,
    sniff: () => 0,
    // eslint-disable-next-line require-yield
    async *records() { throw new Error(`the ${id} format is not available yet`); },
    // eslint-disable-next-line require-yield
    async *normalize() { throw new Error(`the ${id} format is not available yet`); },
  };
}
