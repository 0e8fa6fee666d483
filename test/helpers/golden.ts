// Golden-file harness. A fixture `fixtures/<format>/<name>` is normalized through the library
// pipeline exactly as the CLI does, and compared with `<name>.expected.jsonl` (the events) and
// `<name>.expected-summary.json` (counts, rejects with locations and reasons, skips, notes).
// Optional `<name>.options.json` holds { "format": ..., "options": { ... } }.
// UPDATE_GOLDEN=1 rewrites the expected files; review the diff like code before committing.
import { existsSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeInputs, emptySummary } from '../../src/pipeline/run.js';
import { catalog } from '../../src/sources/registry.js';
import type { AuditEvent } from '../../src/event/types.generated.js';
import type { AdapterOptions } from '../../src/pipeline/types.js';

export const FIXTURES = 'fixtures';
const SIDE_FILES = /\.(expected\.jsonl|expected-summary\.json|options\.json|md|sql)$/; // .sql: the statements that produced a live fixture

export interface Normalized {
  events: AuditEvent[];
  rejects: Array<{ location: unknown; reason: string }>;
  skips: Array<{ location: unknown; reason: string }>;
  summary: ReturnType<typeof emptySummary>;
}

export async function normalizeFiles(
  files: string[],
  format = 'auto',
  options: AdapterOptions = {},
): Promise<Normalized> {
  const summary = emptySummary();
  const events: AuditEvent[] = [];
  const rejects: Normalized['rejects'] = [];
  const skips: Normalized['skips'] = [];
  for await (const o of normalizeInputs(files, { format, adapters: catalog, options }, summary)) {
    if (o.kind === 'event') events.push(o.event);
    else if (o.kind === 'reject') rejects.push({ location: o.raw.location, reason: o.reason });
    else skips.push({ location: o.raw.location, reason: o.reason });
  }
  return { events, rejects, skips, summary };
}

/** All fixture inputs under fixtures/<dir>/ (recursively), i.e. files that are not side files. */
export function fixtureInputs(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (!SIDE_FILES.test(name) && name !== 'PROVENANCE.md') out.push(p);
    }
  };
  walk(join(FIXTURES, dir));
  return out;
}

export function fixtureOptions(file: string): { format: string; options: AdapterOptions } {
  const p = `${file}.options.json`;
  if (!existsSync(p)) return { format: 'auto', options: {} };
  const o = JSON.parse(readFileSync(p, 'utf8'));
  return { format: o.format ?? 'auto', options: o.options ?? {} };
}

export function summaryForGolden(n: Normalized) {
  const s = n.summary.inputs[0]!;
  return {
    format: s.format,
    read: s.read,
    events: s.events,
    rejects: n.rejects,
    skipped: s.skipped,
    untimed: s.untimed,
    redacted: s.redacted,
    notes: s.notes,
    reconciled: s.reconciled,
  };
}

/** Normalizes `file` and returns actual vs expected (writing expected when UPDATE_GOLDEN=1). */
export async function golden(file: string) {
  const { format, options } = fixtureOptions(file);
  const n = await normalizeFiles([file], format, options);
  const eventsText = n.events.map((e) => JSON.stringify(e)).join('\n') + (n.events.length ? '\n' : '');
  const summaryText = `${JSON.stringify(summaryForGolden(n), null, 2)}\n`;
  const ep = `${file}.expected.jsonl`;
  const sp = `${file}.expected-summary.json`;
  if (process.env.UPDATE_GOLDEN === '1') {
    writeFileSync(ep, eventsText);
    writeFileSync(sp, summaryText);
  }
  return {
    normalized: n,
    actualEvents: eventsText
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l)),
    expectedEvents: existsSync(ep)
      ? readFileSync(ep, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : null,
    actualSummary: JSON.parse(summaryText),
    expectedSummary: existsSync(sp) ? JSON.parse(readFileSync(sp, 'utf8')) : null,
  };
}
