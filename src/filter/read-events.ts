// Reads events for `check` and `filter` from either kind of input, per file: normalized JSON Lines
// (what `normalize` writes: every line an event with schema_version, validated with the shared
// ajv instance; a line that is not one is an input error naming file:line), or raw audit logs,
// normalized on the fly through the same pipeline as `normalize`. Streaming throughout.
import type { RedactionSettings } from '../redact/policy.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { openInput, openStream, InputError } from '../pipeline/input.js';
import { openBundle } from '../bundle/zip-reader.js';
import { EVENTS_FILE } from '../bundle/manifest.js';
import { splitLines } from '../pipeline/lines.js';
import { emptySummary, normalizeInputs, type RunSummary } from '../pipeline/run.js';
import { catalog } from '../sources/registry.js';
import type { AdapterOptions, InputSource, LocationInput } from '../pipeline/types.js';
import { validateEvent } from '../event/schema.js';
import type { AuditEvent } from '../event/types.generated.js';

export type EventItem =
  | { kind: 'event'; event: AuditEvent }
  | { kind: 'reject'; location: LocationInput; reason: string; format: string };

export interface ReadOptions {
  /** 'auto' (normalized JSONL or any raw format, per file) or an adapter id (raw input only). */
  format: string;
  options: AdapterOptions;
  /** Passed to the pipeline for raw input: events outside are skipped and counted there. */
  since?: Date | null;
  until?: Date | null;
  /** Redaction additions (README "What is redacted"), for raw input. */
  redact?: RedactionSettings | null;
  onInput?: (info: { input: string; format: string; how: 'named' | 'detected' }) => void;
}

export const NORMALIZED = 'normalized';
/** The format reported for an evidence bundle's events.jsonl. */
export const BUNDLE = 'evidence bundle events (not verified here: audit-evidence verify checks the bundle)';

/** A file that starts with a zip local header (an evidence bundle). */
export function isZip(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32LE(0) === 0x04034b50;
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** True when the first non-blank line of the head is a JSON object carrying schema_version. */
export function looksNormalized(head: Buffer): boolean {
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    if (!t.startsWith('{')) return false;
    try {
      const o = JSON.parse(t) as Record<string, unknown>;
      return typeof o === 'object' && o !== null && 'schema_version' in o && 'source' in o;
    } catch {
      // A first line longer than the head cannot be parsed here: fall back to a textual check.
      return /^\{"schema_version":"\d+"/.test(t);
    }
  }
  return false;
}

async function* readNormalized(input: InputSource): AsyncGenerator<EventItem> {
  for await (const line of splitLines(input.chunks)) {
    const t = line.text.trim();
    if (!t) continue;
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch (e) {
      throw new InputError(
        `${input.name}:${line.line}: not a JSON value (${(e as Error).message}), though the file reads as normalized events`,
      );
    }
    const problems = validateEvent(value);
    if (problems)
      throw new InputError(`${input.name}:${line.line}: not a normalized event (${problems.slice(0, 3).join('; ')})`);
    yield { kind: 'event', event: value as AuditEvent };
  }
}

/**
 * Yields the events (and raw-input rejects) of every input in order. `summary` receives the
 * pipeline's counts for raw inputs; normalized inputs are counted in `normalized`.
 */
export async function* readEvents(
  paths: string[],
  run: ReadOptions,
  summary: RunSummary = emptySummary(),
  normalized = { inputs: 0, events: 0 },
): AsyncGenerator<EventItem> {
  for (const path of paths) {
    if (path !== '-' && isZip(path)) {
      // An evidence bundle: its events.jsonl, read as normalized events (the bundle is not verified here).
      let b;
      try {
        b = await openBundle(path);
      } catch (e) {
        throw new InputError(`${path}: ${(e as Error).message}`);
      }
      try {
        if (!b.entries.has(EVENTS_FILE))
          throw new InputError(
            `${path} is a zip without ${EVENTS_FILE}: not an evidence bundle (give the bundle audit-evidence collect wrote, or its unzipped events.jsonl)`,
          );
        run.onInput?.({ input: `${path}:${EVENTS_FILE}`, format: BUNDLE, how: 'detected' });
        normalized.inputs++;
        const input = await openStream(`${path}:${EVENTS_FILE}`, await b.stream(EVENTS_FILE));
        for await (const item of readNormalized(input)) {
          normalized.events++;
          yield item;
        }
      } finally {
        b.close();
      }
      continue;
    }
    let input;
    try {
      input = await openInput(path);
    } catch (e) {
      // Isolated: the other inputs are still read; the caller reports the failure.
      summary.failed.push({ input: path, reason: (e as Error).message });
      continue;
    }
    if (run.format === 'auto' && looksNormalized(input.head)) {
      run.onInput?.({ input: input.name, format: NORMALIZED, how: 'detected' });
      normalized.inputs++;
      for await (const item of readNormalized(input)) {
        normalized.events++;
        yield item;
      }
      continue;
    }
    let format = run.format;
    for await (const o of normalizeInputs(
      [input],
      {
        adapters: catalog,
        format: run.format,
        options: run.options,
        since: run.since,
        until: run.until,
        redact: run.redact,
        onInput: (i) => {
          format = i.format;
          run.onInput?.(i);
        },
      },
      summary,
    )) {
      if (o.kind === 'event') yield { kind: 'event', event: o.event };
      else if (o.kind === 'reject') yield { kind: 'reject', location: o.raw.location, reason: o.reason, format };
    }
  }
}
