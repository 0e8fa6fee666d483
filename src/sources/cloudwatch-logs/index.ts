// CloudWatch Logs as files (--format cloudwatch-logs): where RDS and Aurora publish their audit
// records. Reads
//   - subscription payloads {"messageType":"DATA_MESSAGE","owner","logGroup","logStream",
//     "subscriptionFilters","logEvents":[{"id","timestamp","message"}]}, one or many back to back
//     (as a Lambda or Firehose consumer receives them; gzip or not), CONTROL_MESSAGE payloads skipped;
//   - `aws logs filter-log-events` output {"events":[{"logStreamName","timestamp","message",
//     "ingestionTime","eventId"}],...} (the log group is not in that output: --log-group names it,
//     else each message is recognised by its shape);
//   - the same event objects one per line (with a "logGroup" key, as the cloudwatch-logs live source writes them).
// Each log event is one raw record (its JSON text exactly as read); its message goes, by log group,
// to the adapter that reads it, in one running lane per log stream so that multi-line and session
// state work as on a file:
//   /aws/rds/instance|cluster/<id>/postgresql  → pgaudit, RDS's log_line_prefix %t:%r:%u@%d:[%p]:
//   /aws/rds/instance|cluster/<id>/audit       → mariadb-audit (MariaDB/MySQL server_audit, Aurora
//                                                 MySQL advanced auditing with epoch-µs times)
//   other RDS groups (error, slowquery, general, …) → skipped and counted: not audit logs.
// Payload format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
// RDS log groups: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html
import { frameJson, parseJsonObject } from '../../pipeline/json-frames.js';
import { sha256Hex } from '../../event/hash.js';
import { Lanes } from '../../pipeline/lanes.js';
import { rawRecord, reject, skip } from '../../pipeline/record.js';
import type {
  AdapterOptions,
  FormatAdapter,
  InputSource,
  NormalizeContext,
  Outcome,
  RawRecord,
} from '../../pipeline/types.js';
import { adapter as pgaudit } from '../pgaudit/index.js';
import { adapter as mariadbAudit } from '../mariadb-audit/index.js';

/** RDS's log_line_prefix for PostgreSQL (fixed by RDS): time, remote host(port), user@db, [pid]. */
export const RDS_PG_PREFIX = '%t:%r:%u@%d:[%p]:';

const GROUP = Symbol('cloudwatch.group');
type Tagged = RawRecord & {
  [GROUP]?: { group: string | null; stream: string | null; kind: 'event' | 'control' | 'other' };
};

type Target = { adapter: FormatAdapter; options: Partial<AdapterOptions>; id: string | null } | { skip: string };

/** Where a log group's messages go. */
export function targetFor(group: string | null, message: string): Target {
  const m = group ? /^\/aws\/rds\/(?:instance|cluster)\/([^/]+)\/([^/]+)$/.exec(group) : null;
  if (m) {
    if (m[2] === 'postgresql') return { adapter: pgaudit, options: { logLinePrefix: RDS_PG_PREFIX }, id: m[1] };
    if (m[2] === 'audit') return { adapter: mariadbAudit, options: {}, id: m[1] };
    return { skip: `not an audit log (CloudWatch log group ${group}: the RDS ${m[2]} log)` };
  }
  // Unknown group (or none, as in filter-log-events output): recognise the message.
  if (
    pgaudit.sniff(message, '') >= 0.5 ||
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]{2,5}:[^:]*:[^@]*@[^:]*:\[\d+\]:/.test(message)
  ) {
    return { adapter: pgaudit, options: { logLinePrefix: RDS_PG_PREFIX }, id: null };
  }
  if (mariadbAudit.sniff(message, '') >= 0.5) return { adapter: mariadbAudit, options: {}, id: null };
  return {
    skip: group
      ? `not an audit log (CloudWatch log group ${group})`
      : 'CloudWatch log event whose message is not an audit record',
  };
}

export function sniffCloudWatch(head: string): number {
  const h = head.length > 8192 ? head.slice(0, 8192) : head;
  if (!/^\s*\{/.test(h)) return 0;
  if (/"messageType"\s*:\s*"(?:DATA|CONTROL)_MESSAGE"/.test(h) && h.includes('"logEvents"')) return 0.98;
  if (/^\s*\{\s*"events"\s*:\s*\[/.test(h) && h.includes('"logStreamName"') && h.includes('"eventId"')) return 0.97;
  if (/^\s*\{\s*"logStreamName"\s*:/.test(h) && h.includes('"eventId"') && h.includes('"message"')) return 0.9;
  return 0;
}

async function* once(b: Buffer): AsyncGenerator<Buffer> {
  yield b;
}

/** The log events of one subscription payload, each a raw record at its own location. */
async function* payloadEvents(
  f: RawRecord,
  file: string,
  group: string | null,
  stream: string | null,
): AsyncGenerator<Tagged> {
  const baseLine = f.location.line ?? 1;
  const baseByte = f.location.byte_offset ?? 0;
  for await (const e of frameJson(once(Buffer.from(f.text)), { file, unwrap: ['logEvents'] })) {
    if (e.container !== 'wrapper' && !e.error) continue; // the payload's other keys
    const r: Tagged = rawRecord(
      e.text,
      {
        file,
        line: baseLine + (e.location.line ?? 1) - 1,
        line_end: baseLine + (e.location.line_end ?? e.location.line ?? 1) - 1,
        byte_offset: baseByte + (e.location.byte_offset ?? 0),
        index: e.location.index ?? null,
      },
      e.error,
    );
    r[GROUP] = { group, stream, kind: 'event' };
    yield r;
  }
}

const PAYLOAD_HEAD = /^\s*\{\s*"messageType"\s*:\s*"DATA_MESSAGE"/;
const jsonString = (head: string, key: string): string | null => {
  const m = new RegExp(`"${key}"\\s*:\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(head);
  if (!m) return null;
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return null;
  }
};

/**
 * A payload that could not be framed or parsed whole. When its text is all there (its hash is the
 * hash of the bytes read, so it was not cut at the size limit) and it opens as a DATA_MESSAGE, its
 * complete log events are read one by one and only the damaged stretch is a reject, named as inside
 * that payload. Anything else stays one reject, as before.
 */
async function* salvagePayload(f: RawRecord, file: string, fixedGroup: string | null): AsyncGenerator<RawRecord> {
  const events = f.text.indexOf('"logEvents"');
  if (events < 0 || !PAYLOAD_HEAD.test(f.text) || sha256Hex(f.text) !== f.sha256) {
    yield f;
    return;
  }
  const head = f.text.slice(0, events);
  const group = jsonString(head, 'logGroup') ?? fixedGroup;
  const stream = jsonString(head, 'logStream');
  const out: Tagged[] = [];
  for await (const r of payloadEvents(f, file, group, stream)) out.push(r);
  if (!out.some((r) => !r.error)) {
    yield f;
    return;
  }
  const good = out.filter((r) => !r.error).length;
  let damaged = 0;
  for (const r of out) {
    if (r.error) {
      damaged++;
      // The inner framer counted lines and bytes from the payload's start: say them from the file's.
      const inner = r.error.replace(
        /\(line (\d+), byte (\d+)\)/,
        (_m, l: string, b: string) =>
          `(line ${(f.location.line ?? 1) + Number(l) - 1}, byte ${(f.location.byte_offset ?? 0) + Number(b)})`,
      );
      r.error = `${inner} (inside a damaged CloudWatch Logs payload; its ${good} complete log events were read)`;
    }
    yield r;
  }
  if (damaged === 0) {
    // Every log event was whole: the damage is in what follows the last one (the payload's closing
    // brackets or keys after "logEvents"). That stretch is the reject.
    const last = out[out.length - 1];
    const at = f.text.lastIndexOf(last.text) + last.text.length;
    const tail = f.text.slice(at);
    yield {
      ...f,
      text: tail,
      sha256: sha256Hex(tail),
      location: { ...f.location, line: last.location.line_end ?? last.location.line },
      error: `${f.error}: the end of a CloudWatch Logs payload, after its ${good} complete log event(s), is damaged`,
    };
  }
}

export const adapter: FormatAdapter = {
  id: 'cloudwatch-logs',
  kind: 'aws',
  title: 'Amazon CloudWatch Logs (RDS / Aurora audit logs)',
  description:
    'CloudWatch Logs subscription payloads ({"messageType":"DATA_MESSAGE","logGroup",...,"logEvents":[...]}, back to back, gzip or not) and aws logs filter-log-events output; ' +
    'each message read by its log group: RDS PostgreSQL (pgaudit), RDS/Aurora MySQL and MariaDB audit logs',
  sniff: sniffCloudWatch,
  async *records(input: InputSource, options: AdapterOptions): AsyncGenerator<RawRecord> {
    const fixedGroup = typeof options.logGroup === 'string' ? options.logGroup : null;
    for await (const f of frameJson(input.chunks, {
      file: input.name,
      unwrap: ['events'],
      maxRecordBytes: options.maxRecordBytes,
    })) {
      if (f.error) {
        // A damaged subscription payload (truncated, a flipped byte) still holds complete log
        // events: each is its own record, so only the damaged one is lost.
        yield* salvagePayload(f, input.name, fixedGroup);
        continue;
      }
      if (f.container === 'wrapper') {
        // filter-log-events output: each element of "events" is a log event.
        (f as Tagged)[GROUP] = { group: fixedGroup, stream: null, kind: 'event' };
        yield f;
        continue;
      }
      const parsed = parseJsonObject(f);
      if ('error' in parsed) {
        yield* salvagePayload({ ...f, error: `not a JSON object (${parsed.error})` }, input.name, fixedGroup);
        continue;
      }
      const v = parsed.value;
      if (v.messageType === 'CONTROL_MESSAGE') {
        (f as Tagged)[GROUP] = { group: null, stream: null, kind: 'control' };
        yield f;
        continue;
      }
      if (v.messageType === 'DATA_MESSAGE' && Array.isArray(v.logEvents)) {
        const group = typeof v.logGroup === 'string' ? v.logGroup : fixedGroup;
        const stream = typeof v.logStream === 'string' ? v.logStream : null;
        let n = 0;
        for await (const r of payloadEvents(f, input.name, group, stream)) {
          n++;
          yield r;
        }
        if (n === 0) {
          (f as Tagged)[GROUP] = { group, stream, kind: 'other' };
          yield { ...f, error: 'a DATA_MESSAGE payload with no log events' };
        }
        continue;
      }
      if (typeof v.message === 'string') {
        (f as Tagged)[GROUP] = {
          group: typeof v.logGroup === 'string' ? v.logGroup : fixedGroup,
          stream: null,
          kind: 'event',
        };
        yield f;
        continue;
      }
      (f as Tagged)[GROUP] = { group: null, stream: null, kind: 'other' };
      yield f;
    }
  },
  async *normalize(records: AsyncIterable<RawRecord>, ctx: NormalizeContext): AsyncGenerator<Outcome> {
    const lanes = new Lanes();
    const contexts = new Map<string, NormalizeContext>();
    for await (const raw of records) {
      const tag = (raw as Tagged)[GROUP];
      if (raw.error) {
        yield reject(raw, raw.error);
        continue;
      }
      if (tag?.kind === 'control') {
        yield skip(raw, 'CloudWatch Logs control message (no log events)');
        continue;
      }
      if (!tag || tag.kind !== 'event') {
        yield reject(raw, 'not a CloudWatch Logs payload, log event or filter-log-events output');
        continue;
      }
      const parsed = parseJsonObject(raw);
      if ('error' in parsed) {
        yield reject(raw, `log event is not a JSON object (${parsed.error})`);
        continue;
      }
      const ev = parsed.value;
      if (typeof ev.message !== 'string') {
        yield reject(raw, 'log event without a message string');
        continue;
      }
      const stream = tag.stream ?? (typeof ev.logStreamName === 'string' ? ev.logStreamName : null);
      const target = targetFor(tag.group, ev.message);
      if ('skip' in target) {
        yield skip(raw, target.skip);
        continue;
      }
      const key = `${target.adapter.id}\u0000${tag.group ?? ''}\u0000${stream ?? ''}`;
      let sub = contexts.get(key);
      if (!sub) {
        sub = {
          options: { ...ctx.options, ...target.options, instance: ctx.options.instance ?? target.id },
          input: ctx.input,
          note: ctx.note,
        };
        contexts.set(key, sub);
        if (target.adapter === pgaudit)
          ctx.note(`RDS PostgreSQL messages read with RDS's log_line_prefix '${RDS_PG_PREFIX}'`);
      }
      // The inner record: the message as the database wrote it, at the log event's location.
      let text = ev.message.replace(/\n$/, '');
      if (target.adapter === pgaudit) {
        // log_error_verbosity = verbose adds a 'LOCATION:' line (PostgreSQL's source file and line)
        // after each message; it stays in the raw record and is not part of the event.
        const cut = text.replace(/\n[^\n]*:LOCATION: {2}[^\n]*$/, '');
        if (cut !== text) {
          text = cut;
          ctx.note(
            'verbose LOCATION: lines (PostgreSQL source locations, log_error_verbosity = verbose) are kept in the raw records, not in the events',
          );
        }
      }
      const inner = rawRecord(text, raw.location);
      yield* lanes.push(key, target.adapter, sub, inner, raw);
    }
    yield* lanes.finish();
  },
};
