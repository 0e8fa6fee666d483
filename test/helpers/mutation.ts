// Mutation harness for damaged input: takes a real fixture, applies one small defect of the kinds
// real log pipelines produce (a truncated file, a deleted / duplicated / joined line, a stray line
// from another program, a flipped byte, invalid UTF-8 or NUL, CRLF endings, a BOM, gzip and a
// truncated gzip), normalizes the mutant through the library pipeline and checks the promise:
// every original record whose lines the defect did not touch comes out as the same event (same
// raw text, hence the same raw hash), counts reconcile, and nothing throws.
import { gzipSync, gunzipSync, constants as zc } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { openStream } from '../../src/pipeline/input.js';
import { normalizeInputs, emptySummary, type RunSummary } from '../../src/pipeline/run.js';
import { catalog } from '../../src/sources/registry.js';
import type { AdapterOptions, Outcome } from '../../src/pipeline/types.js';

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const GARBAGE_LINES = [
  '{',
  ']',
  '"',
  '},',
  '<AUDIT_RECORD',
  'this is not a log line',
  '[',
  '}',
  '  {',
  'NULL',
  '2026-01-01 00:00:00 UTC',
  '"a","b"',
];

export type MutationKind =
  | 'truncate'
  | 'delete-line'
  | 'duplicate-line'
  | 'join-lines'
  | 'garbage-line'
  | 'flip-byte'
  | 'invalid-utf8'
  | 'nul'
  | 'crlf'
  | 'bom'
  | 'gzip'
  | 'gzip-members'
  | 'truncated-gzip';

export const KINDS: MutationKind[] = [
  'truncate',
  'delete-line',
  'duplicate-line',
  'join-lines',
  'garbage-line',
  'flip-byte',
  'invalid-utf8',
  'nul',
  'crlf',
  'bom',
  'gzip',
  'gzip-members',
  'truncated-gzip',
];

export interface Mutant {
  kind: MutationKind;
  /** What was done, for a failure message. */
  what: string;
  bytes: Buffer;
  /** 1-based line numbers (of the original) the mutation touched. */
  touched: (line: number) => boolean;
}

/** Line starts (byte offsets) of a text: lineStarts[k] is the offset of line k+1. */
function lineStarts(b: Buffer): number[] {
  const s = [0];
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) if (i + 1 < b.length) s.push(i + 1);
  return s;
}
const lineOf = (starts: number[], off: number): number => {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= off) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
};
const set = (...ls: number[]) => {
  const s = new Set(ls);
  return (l: number) => s.has(l);
};

export function mutate(orig: Buffer, kind: MutationKind, rnd: () => number): Mutant {
  const starts = lineStarts(orig);
  const nLines = starts.length;
  const int = (n: number) => Math.floor(rnd() * n);
  const lineBytes = (k: number) => [starts[k - 1]!, k < nLines ? starts[k]! : orig.length] as const; // [start, end) incl. newline
  switch (kind) {
    case 'truncate': {
      const b = 1 + int(orig.length - 1);
      const l = lineOf(starts, b);
      // A cut right after a newline leaves line l untouched only if it is wholly before the cut.
      return {
        kind,
        what: `truncated at byte ${b}`,
        bytes: orig.subarray(0, b),
        touched: (x) => x >= (starts[l - 1] === b ? l : l),
      };
    }
    case 'delete-line': {
      const k = 1 + int(nLines);
      const [s, e] = lineBytes(k);
      return {
        kind,
        what: `deleted line ${k}`,
        bytes: Buffer.concat([orig.subarray(0, s), orig.subarray(e)]),
        touched: set(k - 1, k, k + 1),
      };
    }
    case 'duplicate-line': {
      const k = 1 + int(nLines);
      const [s, e] = lineBytes(k);
      let line = orig.subarray(s, e);
      if (line[line.length - 1] !== 10) line = Buffer.concat([line, Buffer.from('\n')]);
      const rest = orig.subarray(e);
      const head = orig.subarray(0, e);
      const headNl = head.length && head[head.length - 1] !== 10 ? Buffer.from('\n') : Buffer.alloc(0);
      return {
        kind,
        what: `duplicated line ${k}`,
        bytes: Buffer.concat([head, headNl, line, rest]),
        touched: set(k, k + 1),
      };
    }
    case 'join-lines': {
      if (nLines < 2) return mutate(orig, 'flip-byte', rnd);
      const k = 1 + int(nLines - 1);
      const nl = starts[k]! - 1;
      const cr = nl > 0 && orig[nl - 1] === 13 ? 1 : 0;
      return {
        kind,
        what: `joined lines ${k} and ${k + 1}`,
        bytes: Buffer.concat([orig.subarray(0, nl - cr), orig.subarray(nl + 1)]),
        touched: set(k, k + 1),
      };
    }
    case 'garbage-line': {
      const k = 1 + int(nLines + 1); // insert before line k (k = nLines + 1: at the end)
      const g = GARBAGE_LINES[int(GARBAGE_LINES.length)]!;
      const at = k <= nLines ? starts[k - 1]! : orig.length;
      const pre = orig.subarray(0, at);
      const sep = pre.length && pre[pre.length - 1] !== 10 ? '\n' : '';
      return {
        kind,
        what: `inserted line ${JSON.stringify(g)} before line ${k}`,
        bytes: Buffer.concat([pre, Buffer.from(`${sep}${g}\n`), orig.subarray(at)]),
        touched: set(k - 1, k),
      };
    }
    case 'flip-byte':
    case 'invalid-utf8':
    case 'nul': {
      const b = int(orig.length);
      const l = lineOf(starts, b);
      const out = Buffer.from(orig);
      let what: string;
      if (kind === 'flip-byte') {
        const bit = 1 << int(8);
        out[b] = out[b]! ^ bit;
        what = `flipped bit ${bit} of byte ${b}`;
        return { kind, what, bytes: out, touched: set(l, l + 1, l - 1) }; // a flipped newline joins or splits lines
      }
      const ins = kind === 'nul' ? Buffer.from([0]) : Buffer.from([0xff, 0xc3]);
      what = `inserted ${kind === 'nul' ? 'NUL' : 'invalid UTF-8'} at byte ${b}`;
      return { kind, what, bytes: Buffer.concat([orig.subarray(0, b), ins, orig.subarray(b)]), touched: set(l) };
    }
    case 'crlf':
      return {
        kind,
        what: 'CRLF line endings',
        bytes: Buffer.from(orig.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1'),
        touched: () => false,
      };
    case 'bom':
      return {
        kind,
        what: 'UTF-8 BOM added',
        bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), orig]),
        touched: () => false,
      };
    case 'gzip':
      return { kind, what: 'gzip', bytes: gzipSync(orig), touched: () => false };
    case 'gzip-members': {
      const k = 1 + int(nLines);
      const at = starts[k - 1]!;
      return {
        kind,
        what: `two gzip members split before line ${k}`,
        bytes: Buffer.concat([gzipSync(orig.subarray(0, at)), gzipSync(orig.subarray(at))]),
        touched: () => false,
      };
    }
    case 'truncated-gzip': {
      const z = gzipSync(orig);
      const b = 10 + int(Math.max(1, z.length - 18)); // cut inside the deflate data
      const cut = z.subarray(0, b);
      let got = 0;
      try {
        got = gunzipSync(cut, { finishFlush: zc.Z_SYNC_FLUSH }).length;
      } catch {
        got = 0;
      }
      const l = got >= orig.length ? nLines + 1 : lineOf(starts, got);
      return {
        kind,
        what: `gzip truncated at compressed byte ${b} (${got} bytes decompress)`,
        bytes: cut,
        touched: (x) => x >= l,
      };
    }
  }
}

export interface RunResult {
  outcomes: Outcome[];
  summary: RunSummary;
  error: Error | null;
}

export async function runBytes(
  name: string,
  bytes: Buffer,
  format: string,
  options: AdapterOptions,
  chunk = 65536,
  reopen = true,
): Promise<RunResult> {
  const summary = emptySummary();
  const outcomes: Outcome[] = [];
  async function* chunks() {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  }
  try {
    // Like a file (openInput), the bytes can be read again: gzip damage salvages every byte before it.
    const input = await openStream(name, chunks(), reopen ? { reopen: chunks } : {});
    for await (const o of normalizeInputs([input], { format, adapters: catalog, options }, summary)) outcomes.push(o);
    return { outcomes, summary, error: null };
  } catch (e) {
    return { outcomes, summary, error: e as Error };
  }
}

export interface Original {
  file: string;
  format: string;
  options: AdapterOptions;
  bytes: Buffer;
  /** Events of the clean file: raw text and line range. */
  events: Array<{ text: string; line: number; lineEnd: number }>;
}

export async function loadOriginal(file: string, options: AdapterOptions, format: string): Promise<Original> {
  let bytes = readFileSync(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  const r = await runBytes(file, bytes, format, options);
  if (r.error) throw r.error;
  const fmt = r.summary.inputs[0]?.format ?? format;
  const events = r.outcomes
    .filter((o) => o.kind === 'event')
    .map((o) => ({
      text: o.raw.text,
      line: o.raw.location.line ?? 0,
      lineEnd: o.raw.location.line_end ?? o.raw.location.line ?? 0,
    }));
  return { file, format: fmt, options, bytes, events };
}

export interface Verdict {
  ok: boolean;
  problems: string[];
  /** Original events whose lines were not touched (each must come out unchanged). */
  checked: number;
  lost: number;
  /** Original events whose lines were touched. */
  touched: number;
  /** Of the touched: still the same event, and what the mutant's other outcomes were. */
  touchedSurvived: number;
  rejects: number;
  skips: number;
  /** Events whose text is no original record's (a changed record that still parsed). */
  changedEvents: number;
}

const norm = (t: string) => t.replace(/\r\n/g, '\n').replace(/\r$/, '');

export async function check(o: Original, m: Mutant, chunk: number): Promise<Verdict> {
  const r = await runBytes(o.file, m.bytes, o.format, o.options, chunk);
  const problems: string[] = [];
  if (r.error) problems.push(`threw ${r.error.name}: ${r.error.message}`);
  if (!r.summary.reconciled) problems.push('counts do not reconcile');
  const got = new Map<string, number>();
  for (const x of r.outcomes)
    if (x.kind === 'event') {
      const k = norm(x.raw.text);
      got.set(k, (got.get(k) ?? 0) + 1);
    }
  const origTexts = new Set(o.events.map((e) => norm(e.text)));
  let checked = 0;
  let lost = 0;
  let touched = 0;
  let touchedSurvived = 0;
  const need = new Map<string, number>();
  for (const e of o.events) {
    let hit = false;
    for (let l = e.line; l <= e.lineEnd; l++)
      if (m.touched(l)) {
        hit = true;
        break;
      }
    const k = norm(e.text);
    if (hit) {
      touched++;
      if ((got.get(k) ?? 0) > 0) touchedSurvived++;
      continue;
    }
    checked++;
    need.set(k, (need.get(k) ?? 0) + 1);
  }
  for (const [k, n] of need) {
    const have = got.get(k) ?? 0;
    if (have < n) {
      lost += n - have;
      if (problems.length < 5) problems.push(`lost ${n - have} untouched record(s): ${k.slice(0, 120)}`);
    }
  }
  let changedEvents = 0;
  for (const x of r.outcomes) if (x.kind === 'event' && !origTexts.has(norm(x.raw.text))) changedEvents++;
  return {
    ok: problems.length === 0,
    problems,
    checked,
    lost,
    touched,
    touchedSurvived,
    rejects: r.outcomes.filter((x) => x.kind === 'reject').length,
    skips: r.outcomes.filter((x) => x.kind === 'skip').length,
    changedEvents,
  };
}
