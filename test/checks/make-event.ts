// Builds events for the check tests through the real builder (buildEvent), with complete defaults
// so each test states only what it is about.
import { buildEvent, type EventInput, type SourceInput } from '../../src/event/build.js';
import type { AuditEvent } from '../../src/event/types.generated.js';

let line = 0;

export function ev(input: Partial<EventInput> = {}, src: Partial<SourceInput> = {}): AuditEvent {
  line++;
  return buildEvent(
    {
      timestamp: '2024-05-01T12:00:00.000Z',
      category: 'change_execution',
      user: { name: 'alice', type: 'human' },
      action: { name: 'update', service: 'postgresql' },
      resource: { type: 'table', name: 'public.accounts' },
      outcome: 'success',
      origin: { address: '10.0.0.5' },
      ...input,
    },
    {
      kind: 'postgresql',
      format: 'pgaudit',
      location: { file: 'db.log', line },
      raw_sha256: line.toString(16).padStart(64, '0'),
      ...src,
    },
  );
}
