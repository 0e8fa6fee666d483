// The types and limits every check of `verify` shares, and the line reader they stream with.
import { createHash, type KeyObject } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DigestReport } from '../../integrity/cloudtrail-digest.js';
import { EntryLines } from '../entry-lines.js';
import type { EvidencePredicate } from '../manifest.js';
import type { OpenBundle } from '../zip-reader.js';

/** The step of the check a failure belongs to (so that a verdict never claims what that step refuted). */
export type Step =
  | 'container'
  | 'signature'
  | 'manifest'
  | 'files'
  | 'events'
  | 'completeness'
  | 'chain'
  | 'cloudtrail-digests';

export interface Failure {
  file: string;
  line?: number;
  message: string;
  step?: Step;
}

export interface VerifyResult {
  valid: boolean;
  failures: Failure[];
  warnings: string[];
  /** What was checked, for the report. */
  facts: {
    keyid: string | null;
    signer: 'given key' | 'bundled key (self-asserted)' | null;
    events: number;
    files: number;
    demo: boolean;
    period: EvidencePredicate['period'] | null;
    previous: string | null;
    /** CloudTrail digest checks re-run offline from the bundle's integrity files, per source. */
    integrity?: Array<{ source: string; report: DigestReport }>;
  };
  /** The signed predicate (what the bundle claims about its evidence), once it parsed and matched the schema. */
  predicate: EvidencePredicate | null;
  /** sha256 of manifest.intoto.json. */
  manifestSha256: string | null;
  /** What was found about the previous bundle, when --previous was given. */
  chain: {
    file: string;
    manifest_sha256: string | null;
    valid: boolean;
    gap: { start: string; end: string } | null;
    key_change: string | null;
  } | null;
}

export interface VerifyOptions {
  /** The signer's public key as the auditor received it. Without it the bundled key is used (self-asserted). */
  publicKey?: KeyObject | null;
  /** The previous bundle of the chain. */
  previous?: string | null;
  /** Stop listing failures of one kind after this many (default 20). */
  maxPerFile?: number;
}

/** Records a failure (a check's finding); `always` lists it even past the per-file limit. */
export type Fail = (file: string, message: string, line?: number, always?: boolean) => void;

/** Failures of a step that runs early, held back to be reported in their step's turn. */
export type Held = Array<{ file: string; message: string; line?: number }>;

/** What a check can see of the verification so far (set as the checks run). */
export interface State {
  step: Step;
  predicate: EvidencePredicate | null;
  manifestSha256: string | null;
  chain: VerifyResult['chain'];
}

/** What every check is handed: the open bundle, where findings go, and what the report says. */
export interface Ctx {
  b: OpenBundle;
  fail: Fail;
  warnings: string[];
  facts: VerifyResult['facts'];
}

export const MAX_MANIFEST = 256 * 1024 * 1024;
/** Failures held back from the single pass before its line checks stop. */
export const MAX_HELD = 10_000;

export function formatFailure(f: Failure): string {
  return `${f.file}${f.line !== undefined ? ` line ${f.line}` : ''}: ${f.message}`;
}

export async function digestOf(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of stream) h.update(c as Buffer);
  return h.digest('hex');
}

/** A pull-based line reader over one zip entry (hashing it on the way when it is a subject). */
export class LineReader extends EntryLines {
  constructor(b: OpenBundle, name: string, hashIt = false) {
    super(() => b.stream(name), name, hashIt);
  }
}
export type Line = { text: string; line: number };

/** What the single pass over the line files learned about their digests. */
export interface Streamed {
  readers: Map<string, LineReader>;
  readError: unknown;
}

/** A reader for a line file, hashing it when the manifest lists it (its digest is then checked from the same pass). */
export function reader(b: OpenBundle, name: string, subjects: Map<string, string>, streamed: Streamed): LineReader {
  const r = new LineReader(b, name, subjects.has(name));
  if (subjects.has(name)) streamed.readers.set(name, r);
  return r;
}
