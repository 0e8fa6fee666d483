// Small helpers adapters share to build raw records and outcomes.
import { sha256Hex } from '../event/hash.js';
import type { AuditEvent } from '../event/types.generated.js';
import type { LocationInput, Outcome, RawRecord } from './types.js';
import type { Line } from './lines.js';

export function rawRecord(text: string, location: LocationInput, error?: string): RawRecord {
  const r: RawRecord = { text, location, sha256: sha256Hex(text) };
  if (error) r.error = error;
  return r;
}

/** A raw record made of consecutive lines (joined with '\n'). */
export function rawFromLines(file: string, lines: Line[], error?: string): RawRecord {
  const first = lines[0]!;
  const last = lines[lines.length - 1]!;
  const text = lines.length === 1 ? first.text : lines.map((l) => l.text).join('\n');
  return rawRecord(text, { file, line: first.line, line_end: last.line, byte_offset: first.byteOffset }, error);
}

export const event = (ev: AuditEvent, raw: RawRecord): Outcome => ({ kind: 'event', event: ev, raw });
export const reject = (raw: RawRecord, reason: string): Outcome => ({ kind: 'reject', raw, reason });
export const skip = (raw: RawRecord, reason: string): Outcome => ({ kind: 'skip', raw, reason });

/** Describes a location for messages: "file:12", "file:12-14", "file (byte 300, record 4)". */
export function describeLocation(l: LocationInput): string {
  const parts: string[] = [];
  if (l.line != null) parts.push(l.line_end != null && l.line_end !== l.line ? `${l.line}-${l.line_end}` : `${l.line}`);
  let s = parts.length ? `${l.file}:${parts[0]}` : l.file;
  const extra: string[] = [];
  if (l.line == null && l.byte_offset != null) extra.push(`byte ${l.byte_offset}`);
  if (l.index != null) extra.push(`record ${l.index + 1}`);
  if (l.page != null) extra.push(`page ${l.page}`);
  if (extra.length) s += ` (${extra.join(', ')})`;
  return s;
}
