// AWS CloudTrail adapter (--format cloudtrail). Reads:
//   - S3-delivered log files `{"Records":[...]}` (usually .json.gz; the pipeline gunzips), alone or
//     as whole `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/` trees;
//   - digest files (`CloudTrail-Digest`), recognised and counted as skipped;
//   - single event objects, JSON arrays (Stratus Red Team) and JSON Lines (Logstash exports);
//   - `aws cloudtrail lookup-events` output `{"Events":[{..., "CloudTrailEvent": "<json>"}]}`, and
//     the same Event objects one per line (JSON Lines) or alone.
// Record format: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
// LookupEvents: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
import { parseFramed, type JsonFrame } from '../../pipeline/json-frames.js';
import { frameJsonLineBatches } from '../../pipeline/json-lines.js';
import { eachRecord, normalizeWith } from '../../pipeline/batch.js';
import { event, reject, skip } from '../../pipeline/record.js';
import type { FormatAdapter, NormalizeContext, Outcome, RawRecord, RecordNormalizer } from '../../pipeline/types.js';
import { mapRecord, type MapContext } from './map.js';
import { embeddedValue, redactJsonRecord } from '../../redact/json.js';

type Obj = Record<string, unknown>;

const LOG_FILE_NAME = /(?:^|[\\/])\d{12}_CloudTrail(?:-Digest)?_[^\\/]*\.json(?:\.gz)?$/;

/** Detection from the head of an input. GCP LogEntry and MySQL audit JSON have none of these keys. */
export function sniffCloudTrail(head: string, name: string): number {
  const h = head.length > 8192 ? head.slice(0, 8192) : head;
  const t = h.trimStart();
  const c = t.charCodeAt(0);
  if (c !== 0x7b && c !== 0x5b) return 0; // '{' or '['
  const gcp = h.includes('"protoPayload"') || h.includes('"logName"');
  if (/^\{\s*"Records"\s*:\s*\[/.test(t)) return 0.97;
  if (h.includes('"CloudTrailEvent"')) return 0.95;
  if (h.includes('"digestPublicKeyFingerprint"') || (h.includes('"awsAccountId"') && h.includes('"digestStartTime"')))
    return 0.95;
  if (!gcp && h.includes('"eventVersion"') && (h.includes('"eventSource"') || h.includes('"eventName"'))) return 0.95;
  if (!gcp && h.includes('"eventSource"') && h.includes('"eventName"') && h.includes('"userIdentity"')) return 0.9;
  // S3 object names: <account>_CloudTrail_<region>_<time>_<id>.json.gz, <account>_CloudTrail-Digest_....json.gz
  if (LOG_FILE_NAME.test(name)) return 0.6;
  return 0;
}

function variantOf(f: Partial<JsonFrame>): string {
  if (f.container === 'wrapper') return f.wrapperKey === 'Events' ? 'lookup-events' : 'records';
  if (f.container === 'array') return 'array';
  return 'ndjson';
}

export const adapter: FormatAdapter = {
  id: 'cloudtrail',
  kind: 'aws',
  title: 'AWS CloudTrail',
  description:
    'AWS CloudTrail: S3 log files {"Records":[...]} (.json.gz, AWSLogs/ trees; digest files skipped), ' +
    'JSON arrays, JSON Lines and single events, aws cloudtrail lookup-events output',
  sniff: sniffCloudTrail,
  redaction: 'json',
  recordBatches(input, options) {
    // JSON Lines (Logstash exports, the bench) framed by lines; S3 files and arrays by the scanner.
    return frameJsonLineBatches(input.chunks, {
      file: input.name,
      unwrap: ['Records', 'Events'],
      maxRecordBytes: options.maxRecordBytes,
    });
  },
  records(input, options) {
    return eachRecord(adapter.recordBatches!(input, options));
  },
  normalizer: (ctx) => new CloudTrailNormalizer(ctx),
  normalize(records, ctx) {
    return normalizeWith(adapter.normalizer!, records, ctx);
  },
};

/** One record at a time: parse (once), redact on the value, unwrap LookupEvents elements, map. */
class CloudTrailNormalizer implements RecordNormalizer {
  private readonly mctx: MapContext;
  private logstash = false;

  constructor(private readonly ctx: NormalizeContext) {
    const instance = typeof ctx.options.instance === 'string' ? ctx.options.instance : null;
    this.mctx = { note: ctx.note, instance, variant: 'ndjson' };
  }

  push(raw0: RawRecord, out: Outcome[]): void {
    if (raw0.error) {
      out.push(reject(raw0, raw0.error));
      return;
    }
    let raw = raw0;
    const mctx = this.mctx;
    mctx.variant = variantOf(raw as Partial<JsonFrame>);
    let v: unknown;
    try {
      v = parseFramed(raw);
    } catch (e) {
      out.push(reject(raw, `invalid JSON: ${(e as Error).message}`));
      return;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      out.push(
        reject(
          raw,
          `not a CloudTrail event: a JSON ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}, not an object`,
        ),
      );
      return;
    }
    // Secrets out of the value (and, when there were any, the kept text) before anything reads it.
    raw = redactJsonRecord(raw, v);
    let rec = v as Obj;
    // LookupEvents Event objects also come one per line (`jq -c '.Events[]'`) or alone.
    if (
      mctx.variant !== 'lookup-events' &&
      typeof rec.CloudTrailEvent === 'string' &&
      rec.EventId !== undefined &&
      rec.eventVersion === undefined
    )
      mctx.variant = 'lookup-events';
    if (mctx.variant === 'lookup-events') {
      const inner = innerEvent(rec);
      if (typeof inner === 'string') {
        out.push(reject(raw, inner));
        return;
      }
      rec = inner;
    }
    if (!this.logstash && rec['@version'] !== undefined && rec['@timestamp'] !== undefined) {
      this.logstash = true;
      this.ctx.note(
        "records carry Logstash @timestamp/@version keys (a Logstash export); the user agent's [brackets] are removed",
      );
    }
    const r = mapRecord(rec, raw, mctx);
    if (r.kind === 'event') out.push(event(r.event, raw));
    else if (r.kind === 'skip') out.push(skip(raw, r.reason));
    else out.push(reject(raw, r.reason));
  }

  end(): void {}
}

/** The full record a LookupEvents element carries as a JSON string in CloudTrailEvent; a reason when it has none. */
function innerEvent(rec: Obj): Obj | string {
  const inner = rec.CloudTrailEvent;
  if (typeof inner !== 'string') return 'LookupEvents element without a CloudTrailEvent string';
  let p: unknown = embeddedValue(rec, 'CloudTrailEvent');
  if (p === undefined)
    try {
      p = JSON.parse(inner);
    } catch (e) {
      return `CloudTrailEvent is not valid JSON: ${(e as Error).message}`;
    }
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return 'CloudTrailEvent is not a JSON object';
  return p as Obj;
}
