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
import { frameJsonLines } from '../../pipeline/json-lines.js';
import { event, reject, skip } from '../../pipeline/record.js';
import type { FormatAdapter, Outcome, RawRecord } from '../../pipeline/types.js';
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
  records(input, options) {
    // JSON Lines (Logstash exports, the bench) framed by lines; S3 files and arrays by the scanner.
    return frameJsonLines(input.chunks, {
      file: input.name,
      unwrap: ['Records', 'Events'],
      maxRecordBytes: options.maxRecordBytes,
    });
  },
  async *normalize(records: AsyncIterable<RawRecord>, ctx): AsyncIterable<Outcome> {
    const instance = typeof ctx.options.instance === 'string' ? ctx.options.instance : null;
    const mctx: MapContext = { note: ctx.note, instance, variant: 'ndjson' };
    let logstash = false;
    for await (const raw0 of records) {
      if (raw0.error) {
        yield reject(raw0, raw0.error);
        continue;
      }
      let raw = raw0;
      const f = raw as Partial<JsonFrame>;
      mctx.variant = variantOf(f);
      let v: unknown;
      try {
        v = parseFramed(raw);
      } catch (e) {
        yield reject(raw, `invalid JSON: ${(e as Error).message}`);
        continue;
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        yield reject(
          raw,
          `not a CloudTrail event: a JSON ${v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v}, not an object`,
        );
        continue;
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
        // Each LookupEvents element carries the full record as a JSON string in CloudTrailEvent.
        const inner = rec.CloudTrailEvent;
        if (typeof inner !== 'string') {
          yield reject(raw, 'LookupEvents element without a CloudTrailEvent string');
          continue;
        }
        let p: unknown = embeddedValue(rec, 'CloudTrailEvent');
        if (p === undefined)
          try {
            p = JSON.parse(inner);
          } catch (e) {
            yield reject(raw, `CloudTrailEvent is not valid JSON: ${(e as Error).message}`);
            continue;
          }
        if (p === null || typeof p !== 'object' || Array.isArray(p)) {
          yield reject(raw, 'CloudTrailEvent is not a JSON object');
          continue;
        }
        rec = p as Obj;
      }
      if (!logstash && rec['@version'] !== undefined && rec['@timestamp'] !== undefined) {
        logstash = true;
        ctx.note(
          "records carry Logstash @timestamp/@version keys (a Logstash export); the user agent's [brackets] are removed",
        );
      }
      const r = mapRecord(rec, raw, mctx);
      if (r.kind === 'event') yield event(r.event, raw);
      else if (r.kind === 'skip') yield skip(raw, r.reason);
      else yield reject(raw, r.reason);
    }
  },
};
