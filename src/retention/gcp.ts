// Where Google Cloud keeps the audit logs a gcp-logging source reads, and for how long, from the
// Logging configuration API (ConfigServiceV2 ListBuckets and ListSinks, the real client):
//   Admin Activity and System Event logs always go to the _Required bucket: 400 days, not changeable.
//   Data Access and Policy Denied logs go, through the _Default sink, to the _Default bucket: its
//   retentionDays (30 unless changed). Other sinks may route copies to user buckets (retentionDays
//   read), BigQuery datasets or Cloud Storage buckets (named; their retention is set there and is
//   not read here) or Pub/Sub (not a store).
// A kind is kept as long as the longest store it reaches whose retention is known; the source as
// long as its shortest kind. Unknown stays unknown.
// https://cloud.google.com/logging/docs/routing/overview#buckets
import type { Logging } from '@google-cloud/logging';
import { retention, type Retention } from './types.js';

export type GcpLogKind = 'activity' | 'data_access' | 'system_event' | 'policy';

interface Bucket {
  name: string;
  retention_days: number | null;
  locked: boolean;
}
interface Sink {
  name: string;
  destination: string;
  filter: string;
  disabled: boolean;
  exclusions: string[];
}

const REQUIRED_DAYS = 400;
const LOG_ID: Record<GcpLogKind, string> = {
  activity: 'cloudaudit.googleapis.com%2Factivity',
  data_access: 'cloudaudit.googleapis.com%2Fdata_access',
  system_event: 'cloudaudit.googleapis.com%2Fsystem_event',
  policy: 'cloudaudit.googleapis.com%2Fpolicy',
};
const REQUIRED_KINDS = new Set<GcpLogKind>(['activity', 'system_event']);

/** Whether a sink's filter (Logging query language, read loosely) lets this audit log kind through. */
function sinkTakes(sink: Sink, kind: GcpLogKind): boolean | null {
  if (sink.disabled) return false;
  const f = sink.filter.replace(/%2F/gi, '/');
  const id = LOG_ID[kind].replace('%2F', '/');
  const excluded = sink.exclusions.some(
    (x) => x.replace(/%2F/gi, '/').includes(id) || /cloudaudit\.googleapis\.com(?!\/)/.test(x),
  );
  if (excluded) return false;
  if (f.trim() === '') return true;
  const negated = new RegExp(
    `NOT\\s+(LOG_ID\\(\\s*"?${id.replace(/[./]/g, '\\$&')}"?\\s*\\)|logName\\s*[:=]\\s*"?[^"\\s]*${id.replace(/[./]/g, '\\$&')})`,
    'i',
  );
  if (negated.test(f)) return false;
  if (f.includes(id)) return true;
  // Only exclusions (NOT LOG_ID(...) AND NOT ...), as the _Default sink: everything else goes through.
  if (
    f
      .replace(/NOT\s+LOG_ID\(\s*"[^"]*"\s*\)/gi, '')
      .replace(/\bAND\b/gi, '')
      .trim() === ''
  )
    return true;
  if (/cloudaudit\.googleapis\.com/.test(f) && !/cloudaudit\.googleapis\.com\/\w/.test(f)) return true;
  return null; // a filter that names other logs, or one too complex to read here
}

function describeDestination(d: string): {
  kind: 'bucket' | 'bigquery' | 'storage' | 'pubsub' | 'other';
  name: string;
} {
  const m = /^logging\.googleapis\.com\/(.+)$/.exec(d);
  if (m) return { kind: 'bucket', name: m[1]! };
  if (d.startsWith('bigquery.googleapis.com/'))
    return { kind: 'bigquery', name: d.slice('bigquery.googleapis.com/'.length) };
  if (d.startsWith('storage.googleapis.com/'))
    return { kind: 'storage', name: d.slice('storage.googleapis.com/'.length) };
  if (d.startsWith('pubsub.googleapis.com/')) return { kind: 'pubsub', name: d.slice('pubsub.googleapis.com/'.length) };
  return { kind: 'other', name: d };
}

const num = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));

export async function readGcpRouting(
  logging: Logging,
  resources: string[],
): Promise<{ buckets: Bucket[]; sinks: Sink[]; errors: string[] }> {
  const buckets: Bucket[] = [];
  const sinks: Sink[] = [];
  const errors: string[] = [];
  const config = logging.configService as unknown as {
    listBuckets(r: object, o: object): Promise<[Array<Record<string, unknown>>]>;
    listSinks(r: object, o: object): Promise<[Array<Record<string, unknown>>]>;
  };
  for (const parent of resources) {
    try {
      const [list] = await config.listBuckets(
        { parent: `${parent}/locations/-` },
        { autoPaginate: true, retry: null, timeout: 30_000 },
      );
      for (const b of list)
        buckets.push({ name: String(b.name), retention_days: num(b.retentionDays), locked: b.locked === true });
    } catch (e) {
      errors.push(`ListBuckets on ${parent}: ${(e as Error).message}`);
    }
    try {
      const [list] = await config.listSinks({ parent }, { autoPaginate: true, retry: null, timeout: 30_000 });
      for (const s of list) {
        sinks.push({
          name: `${parent}/sinks/${String(s.name)}`,
          destination: String(s.destination ?? ''),
          filter: String(s.filter ?? ''),
          disabled: s.disabled === true,
          exclusions: ((s.exclusions ?? []) as Array<Record<string, unknown>>)
            .filter((x) => x.disabled !== true)
            .map((x) => String(x.filter ?? '')),
        });
      }
    } catch (e) {
      errors.push(`ListSinks on ${parent}: ${(e as Error).message}`);
    }
  }
  return { buckets, sinks, errors };
}

/** The retention of the audit log kinds a source reads, from the buckets and sinks of its resources. */
export function gcpRetention(
  kinds: GcpLogKind[],
  routing: { buckets: Bucket[]; sinks: Sink[]; errors: string[] },
  readFrom: string,
  now = new Date(),
): Retention {
  const facts: Record<string, unknown> = {
    log_kinds: kinds,
    buckets: routing.buckets,
    sinks: routing.sinks,
    errors: routing.errors,
  };
  if (routing.errors.length && routing.buckets.length === 0 && routing.sinks.length === 0) {
    return retention(
      null,
      `the Logging configuration could not be read (${routing.errors.join('; ')}); the reading account needs logging.buckets.list and logging.sinks.list (roles/logging.viewer)`,
      readFrom,
      facts,
      { now },
    );
  }
  const perKind: Array<{ kind: GcpLogKind; days: number | null; stores: string[] }> = [];
  for (const kind of kinds) {
    const stores: string[] = [];
    let best: number | null = null;
    if (REQUIRED_KINDS.has(kind)) {
      const req = routing.buckets.find((b) => b.name.endsWith('/buckets/_Required'));
      best = req?.retention_days ?? REQUIRED_DAYS;
      stores.push(`_Required bucket ${best} days`);
    }
    for (const s of routing.sinks) {
      const takes = sinkTakes(s, kind);
      if (takes === false) continue;
      const d = describeDestination(s.destination);
      const sinkName = s.name.split('/sinks/')[1];
      const maybe = takes === null ? ' (its filter may not include these logs)' : '';
      if (d.kind === 'bucket') {
        const b = routing.buckets.find((x) => x.name === d.name);
        const days = b?.retention_days ?? null;
        const short = d.name.split('/buckets/')[1] ?? d.name;
        stores.push(
          `sink ${sinkName} to bucket ${short}: ${days === null ? 'retention not readable' : `${days} days`}${b?.locked ? ' (locked)' : ''}${maybe}`,
        );
        if (days !== null && takes === true) best = Math.max(best ?? 0, days);
      } else if (d.kind === 'pubsub') {
        stores.push(`sink ${sinkName} to Pub/Sub ${d.name} (a stream, not a store)${maybe}`);
      } else {
        stores.push(
          `sink ${sinkName} to ${d.kind === 'bigquery' ? 'BigQuery' : d.kind === 'storage' ? 'Cloud Storage' : 'destination'} ${d.name}: retention set there, not read${maybe}`,
        );
      }
    }
    perKind.push({ kind, days: best, stores });
  }
  const text = perKind
    .map((k) => `${k.kind}: ${k.stores.join('; ') || 'no bucket or sink found that keeps it'}`)
    .join(' | ');
  facts.per_kind = perKind;
  if (perKind.some((k) => k.days === null)) {
    const unknownKinds = perKind.filter((k) => k.days === null).map((k) => k.kind);
    return retention(
      null,
      `no store with a readable retention keeps ${unknownKinds.join(', ')} (${text})${routing.errors.length ? `; not read: ${routing.errors.join('; ')}` : ''}`,
      readFrom,
      facts,
      { now },
    );
  }
  const shortest = perKind.reduce((a, k) => (k.days! < a.days! ? k : a));
  return retention(
    shortest.days,
    `${shortest.kind} logs are kept longest ${shortest.days} days (${text})`,
    readFrom,
    facts,
    { now },
  );
}
