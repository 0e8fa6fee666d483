// Small helpers adapters share to build raw records and outcomes.
import { createHash } from 'node:crypto';
import { sha256Hex } from '../event/hash.js';
import type { AuditEvent } from '../event/types.generated.js';
import type { LocationInput, Outcome, RawRecord } from './types.js';
import { KEPT_HEAD, oversizeReason, type Line } from './lines.js';

export function rawRecord(text: string, location: LocationInput, error?: string): RawRecord {
  const r: RawRecord = { text, location, sha256: sha256Hex(text) };
  if (error) r.error = error;
  return r;
}

/** A raw record made of consecutive lines (joined with '\n'). */
export function rawFromLines(file: string, lines: Line[], error?: string): RawRecord {
  const first = lines[0]!;
  if (lines.length === 1 && first.oversize) return oversizeRecord(file, first);
  const last = lines[lines.length - 1]!;
  let text = first.text;
  for (let k = 1; k < lines.length; k++) text += `\n${lines[k]!.text}`;
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

/**
 * The reject record of a line longer than the limit (--max-record-bytes): its first characters,
 * the hash of all of it, and the reason.
 */
export function oversizeRecord(file: string, l: Line): RawRecord {
  const o = l.oversize!;
  return {
    text: l.text,
    location: { file, line: l.line, line_end: l.line, byte_offset: l.byteOffset },
    sha256: o.sha256,
    error: oversizeReason(o),
  };
}

/**
 * A record made of several lines that grew past the limit: the lines so far and those that follow
 * are hashed as they come (joined with '\n', as rawFromLines joins them) and only the first
 * characters are kept, so the record is never held whole.
 */
export class OversizeLines {
  private readonly hash = createHash('sha256');
  private head = '';
  private chars = 0;
  private lastLine: number;
  private readonly first: Line;
  constructor(
    private readonly file: string,
    lines: Line[],
    private readonly limit: number,
  ) {
    this.first = lines[0]!;
    this.lastLine = this.first.line;
    let sep = false;
    for (const l of lines) {
      this.add(l, sep);
      sep = true;
    }
  }
  add(l: Line, sep = true): void {
    const t = sep ? `\n${l.text}` : l.text;
    this.hash.update(t);
    this.chars += t.length + (l.oversize ? l.oversize.chars - l.text.length : 0);
    if (this.head.length < KEPT_HEAD) this.head += t.slice(0, KEPT_HEAD - this.head.length);
    this.lastLine = l.line;
  }
  record(): RawRecord {
    return {
      text: this.head,
      location: { file: this.file, line: this.first.line, line_end: this.lastLine, byte_offset: this.first.byteOffset },
      sha256: this.hash.digest('hex'),
      error: oversizeReason({ chars: this.chars, limit: this.limit }),
    };
  }
}
