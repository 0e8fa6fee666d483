// Builds a complete AuditEvent from what an adapter knows. Adapters state only the fields their
// record gives; everything else is null (never guessed). Key order follows the schema so that
// output is byte-stable, and the id is derived from format, location and raw bytes.
import type {
  AuditEvent,
  User,
  Action,
  Resource,
  Origin,
  Privileged,
  Location,
  PermissionChange,
  AccessRequest,
  Sequence,
  Source,
} from './types.generated.js';
import { canonicalJson } from './canonical.js';
import { sha256Hex } from './hash.js';

export type Category = AuditEvent['category'];
export type EventOutcome = AuditEvent['outcome'];
export type UserType = User['type'];
export type SourceKind = Source['kind'];

export interface EventInput {
  timestamp: string | null;
  timestamp_zone_assumed?: string | null;
  user?: Partial<User>;
  action?: Partial<Action>;
  resource?: Partial<Omit<Resource, 'scope'>> & { scope?: Partial<Resource['scope']> };
  category: Category;
  outcome?: EventOutcome;
  outcome_reason?: string | null;
  origin?: Partial<Origin>;
  privileged?: Privileged;
  permission_changes?: PermissionChange[] | null;
  access_request?: (Partial<AccessRequest> & Pick<AccessRequest, 'state'>) | null;
  sequence?: (Partial<Sequence> & Pick<Sequence, 'stream' | 'number'>) | null;
  details?: Record<string, unknown>;
}

export interface SourceInput {
  kind: SourceKind;
  format: string;
  variant?: string | null;
  instance?: string | null;
  location: Partial<Location> & Pick<Location, 'file'>;
  /** sha256 of the raw record's bytes (see RawRecord.sha256). */
  raw_sha256: string;
  record_id?: string | null;
}

export function fullLocation(loc: Partial<Location> & Pick<Location, 'file'>): Location {
  return {
    file: loc.file,
    line: loc.line ?? null,
    line_end: loc.line_end ?? null,
    byte_offset: loc.byte_offset ?? null,
    index: loc.index ?? null,
    page: loc.page ?? null,
  };
}

export function eventId(format: string, location: Location, rawSha256: string): string {
  return sha256Hex(canonicalJson({ format, location, raw: rawSha256 }));
}

/**
 * eventId for a location made by fullLocation (exactly its six keys, none undefined): the same
 * canonical JSON text written directly, keys already in sorted order. The generic canonicalJson
 * (sort, filter, recursion) was ~6% of a CloudTrail normalize profile. The JSON text of the format
 * and the file name is kept from the previous event (a run reads one format, a file at a time).
 */
function fullLocationEventId(format: string, l: Location, rawSha256: string): string {
  if (format !== lastFormat) {
    lastFormat = format;
    lastFormatJson = JSON.stringify(format);
  }
  if (l.file !== lastFile) {
    lastFile = l.file;
    lastFileJson = JSON.stringify(l.file);
  }
  return sha256Hex(
    `{"format":${lastFormatJson},"location":{"byte_offset":${jsonNumber(l.byte_offset)},"file":${lastFileJson},"index":${jsonNumber(
      l.index,
    )},"line":${jsonNumber(l.line)},"line_end":${jsonNumber(l.line_end)},"page":${jsonNumber(l.page)}},"raw":${JSON.stringify(rawSha256)}}`,
  );
}
// Both start as the JSON text of undefined (undefined), so even an untyped caller's missing value
// gets the text JSON.stringify gives it.
let lastFormat: string | undefined;
let lastFormatJson: string | undefined;
let lastFile: string | undefined;
let lastFileJson: string | undefined;

/** JSON.stringify of a location number or null: a finite number's JSON text is its String(). */
function jsonNumber(v: number | null): string {
  if (v === null) return 'null';
  return Number.isFinite(v) ? `${v}` : JSON.stringify(v);
}

export function buildEvent(input: EventInput, src: SourceInput): AuditEvent {
  const location = fullLocation(src.location);
  const u = input.user ?? {};
  const a = input.action ?? {};
  const r = input.resource ?? {};
  const s = r.scope ?? {};
  const o = input.origin ?? {};
  const ar = input.access_request;
  const seq = input.sequence;
  return {
    schema_version: '1',
    id: fullLocationEventId(src.format, location, src.raw_sha256),
    timestamp: input.timestamp,
    timestamp_zone_assumed: input.timestamp_zone_assumed ?? null,
    user: {
      name: emptyToNull(u.name),
      type: u.type ?? 'unknown',
      id: emptyToNull(u.id),
      session_user: emptyToNull(u.session_user),
      role: emptyToNull(u.role),
      authenticated_by: emptyToNull(u.authenticated_by),
      delegation: u.delegation ?? [],
    },
    action: {
      name: emptyToNull(a.name),
      source_name: emptyToNull(a.source_name),
      service: emptyToNull(a.service),
      statement: a.statement ?? null,
    },
    resource: {
      type: emptyToNull(r.type),
      name: emptyToNull(r.name),
      implicit: r.implicit ?? false,
      scope: {
        database: emptyToNull(s.database),
        instance: emptyToNull(s.instance ?? src.instance),
        project: emptyToNull(s.project),
        account: emptyToNull(s.account),
        region: emptyToNull(s.region),
      },
    },
    category: input.category,
    outcome: input.outcome ?? 'unknown',
    outcome_reason: input.outcome_reason ?? null,
    origin: {
      address: emptyToNull(o.address),
      port: o.port ?? null,
      application: emptyToNull(o.application),
    },
    privileged: input.privileged ?? { value: false, reasons: [] },
    permission_changes: input.permission_changes ?? null,
    access_request: ar
      ? {
          state: ar.state,
          requester: ar.requester ?? null,
          approver: ar.approver ?? null,
          justification: ar.justification ?? null,
          expires: ar.expires ?? null,
          entitlement: ar.entitlement ?? null,
        }
      : null,
    sequence: seq ? { stream: seq.stream, number: seq.number, sub: seq.sub ?? null } : null,
    source: {
      kind: src.kind,
      format: src.format,
      variant: src.variant ?? null,
      instance: src.instance ?? null,
      location,
      raw_sha256: src.raw_sha256,
      record_id: src.record_id ?? null,
    },
    details: input.details ?? {},
  };
}

function emptyToNull(v: string | null | undefined): string | null {
  return v === undefined || v === null || v === '' ? null : v;
}

/**
 * Snake-cases an API method or command name: CreateUser -> create_user, ALTER SYSTEM -> alter_system.
 * Memoized (bounded): a log repeats few names, and the conversion is four regex replaces per call.
 */
const snakeCache = new Map<string, string>();
export function snakeCase(name: string): string {
  let s = snakeCache.get(name);
  if (s === undefined) {
    s = name
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .toLowerCase();
    if (snakeCache.size < 20_000) snakeCache.set(name, s);
  }
  return s;
}
