// The core contract between inputs, format adapters and sinks.
import type { AuditEvent, Location } from '../event/types.generated.js';
import type { SourceKind } from '../event/build.js';

export type LocationInput = Partial<Location> & Pick<Location, 'file'>;

/** One raw record exactly as read, with where it was read. */
export interface RawRecord {
  /** The record's text exactly as read (a multi-line record keeps its line breaks). */
  text: string;
  location: LocationInput;
  /** sha256 (hex) of the record's UTF-8 bytes. */
  sha256: string;
  /** Set by a framer when the bytes could not be framed as a record (truncated, not JSON, ...). */
  error?: string;
  /**
   * Set once the record went through redaction: the number of secret values replaced in `text`
   * (0: none). When > 0, `text` is the redacted text and `sha256` still the hash of the original
   * bytes (src/redact/). Undefined: not redacted yet (the pipeline's text pass will).
   */
  redactions?: number;
}

export type Outcome =
  | { kind: 'event'; event: AuditEvent; raw: RawRecord }
  | { kind: 'reject'; raw: RawRecord; reason: string }
  /** timestamp: the record's time when known (a record folded into another's event), so that the time window applies to it. */
  | { kind: 'skip'; raw: RawRecord; reason: string; timestamp?: string | null };

/** A readable input: a file (decompressed when gzip), or standard input. */
export interface InputSource {
  /** Path as the user gave it (or as found under a directory), '-' for stdin, or a live source name. */
  name: string;
  /** The first bytes (up to 64 KiB, decompressed) for format detection. */
  head: Buffer;
  /** The whole content, decompressed, as a stream of chunks. Can be consumed once. */
  chunks: AsyncIterable<Buffer>;
  gzip: boolean;
  /**
   * Set when reading stopped early on damage (a truncated or corrupt gzip stream, a read error):
   * the chunks end where the damage is, and the pipeline adds one reject saying where.
   */
  damage?: InputDamage | null;
}

export interface InputDamage {
  message: string;
  /** Bytes of the file (compressed) read when the damage was found; null for plain input. */
  compressedOffset: number | null;
  /** Bytes (decompressed) delivered before the damage. */
  offset: number;
}

/** Options an adapter may read; each adapter documents the ones it understands. */
export interface AdapterOptions {
  /** PostgreSQL log_line_prefix for stderr logs. */
  logLinePrefix?: string;
  /** IANA zone or offset for sources that write local time with no zone. */
  timezone?: string;
  /** Configured instance name of the source. */
  instance?: string | null;
  /** A record longer than this (characters) is rejected, keeping its first bytes and hash (default 8 MiB). */
  maxRecordBytes?: number;
  [key: string]: unknown;
}

export interface NormalizeContext {
  options: AdapterOptions;
  /** Name of the input being read (for locations and messages). */
  input: string;
  /** Records a one-off note for the run summary (deduplicated by text), e.g. why users are null. */
  note(message: string): void;
}

/**
 * A format adapter: one per log format. `records` is the only I/O (framing bytes into raw
 * records); `normalize` maps raw records to outcomes, exactly one outcome per raw record, and may
 * keep state across records of one input (multi-line joins, error correlation).
 */
export interface FormatAdapter {
  id: string;
  kind: SourceKind;
  title: string;
  /** File name patterns and content cues, for --help and detection messages. */
  description: string;
  /** 0 (certainly not) to 1 (certainly): how well the head of an input matches this format. */
  sniff(head: string, name: string): number;
  records(input: InputSource, options: AdapterOptions): AsyncIterable<RawRecord>;
  /**
   * 'json': normalize redacts each record on the value it parses (src/redact/json.ts
   * redactJsonRecord, or redactTextRecord for records it does not parse as JSON), so the pipeline
   * runs no text pass before it. Default: the pipeline redacts each record's text before normalize.
   */
  redaction?: 'json';
  normalize(records: AsyncIterable<RawRecord>, ctx: NormalizeContext): AsyncIterable<Outcome>;
  /**
   * Optional batch form of `records`: the records framed from each chunk read, as one array (never
   * empty). The pipeline prefers it: no await per record. An adapter that has it derives `records`
   * from it (src/pipeline/batch.ts), so both frame the same records.
   */
  recordBatches?(input: InputSource, options: AdapterOptions): AsyncIterable<RawRecord[]>;
  /**
   * Optional synchronous form of `normalize`, for one input: the pipeline prefers it (no await per
   * record). An adapter that has it derives `normalize` from it (src/pipeline/batch.ts).
   */
  normalizer?(ctx: NormalizeContext): RecordNormalizer;
}

/**
 * `normalize` as a state machine: push() appends the outcomes one record brings (its own, and any
 * held records it resolves) to `out`, in order; end() appends those still held when the input ends.
 * Over the whole input, exactly one outcome per record pushed.
 */
export interface RecordNormalizer {
  push(raw: RawRecord, out: Outcome[]): void;
  end(out: Outcome[]): void;
}

/**
 * The format adapters a run chooses from, handed to the pipeline by its caller (the CLI and the
 * library hand it src/sources/registry.ts's `catalog`): the pipeline imports no format itself.
 */
export interface AdapterCatalog {
  /** Detection tries them in this order. */
  readonly adapters: readonly FormatAdapter[];
  find(id: string): FormatAdapter | undefined;
  ids(): string[];
  /**
   * URL of the module that exports this catalog as `catalog`: worker threads (--jobs), which cannot
   * be handed functions, import it from there.
   */
  readonly module: string;
}
