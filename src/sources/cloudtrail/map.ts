// Maps one parsed CloudTrail record to an event. Record fields:
//   https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
// Digest files (log file integrity validation) are recognised and skipped:
//   https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-validation-digest-file-structure.html
import { buildEvent, snakeCase, type EventInput, type SourceInput } from '../../event/build.js';
import { isLeapSecond, parseTimestampWithZone, timestampProblem } from '../../event/time.js';
import { privilegeFor } from '../../event/privilege.js';
import type { RawRecord } from '../../pipeline/types.js';
import { baseEventName, classify, isDenied, serviceOf } from './categories.js';
import { mapIdentity } from './identity.js';
import { mapResource, type ResourceResult } from './resource.js';
import { iamPermissionChanges } from './permission-changes.js';
import type { AuditEvent } from '../../event/types.generated.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
/** A value worth stating in details: not absent, null or empty. */
const given = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

export const DIGEST_SKIP = 'CloudTrail digest file, not events';

/** A CloudTrail digest file's top-level object. */
export function isDigest(o: Obj): boolean {
  return 'digestPublicKeyFingerprint' in o || ('awsAccountId' in o && 'digestStartTime' in o);
}

/** Calls whose target is the account as a whole (no request parameter names it). */
const ACCOUNT_LEVEL = new Set([
  'organizations:LeaveOrganization',
  'iam:UpdateAccountPasswordPolicy',
  'iam:DeleteAccountPasswordPolicy',
  'iam:CreateAccountAlias',
  'iam:DeleteAccountAlias',
  'iam:SetSecurityTokenServicePreferences',
  'ec2:EnableEbsEncryptionByDefault',
  'ec2:DisableEbsEncryptionByDefault',
  's3:PutAccountPublicAccessBlock',
  's3control:PutPublicAccessBlock',
  's3control:DeletePublicAccessBlock',
  'securityhub:DisableSecurityHub',
]);

const ISO_START = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ENCODED = 'Encoded authorization failure message:';
const MAX_REASON = 300;

/** `errorCode: errorMessage`, with EC2's encoded authorization blob and very long messages cut. */
export function outcomeReason(code: string | null, message: string | null): string | null {
  let m = message;
  if (m) {
    const i = m.indexOf(ENCODED);
    if (i >= 0) {
      const blob = m.length - i - ENCODED.length;
      m = `${m.slice(0, i + ENCODED.length)} (${blob > 0 ? blob - 1 : 0} characters omitted; decode with sts decode-authorization-message)`;
    } else if (m.length > MAX_REASON) {
      m = `${m.slice(0, MAX_REASON)}… (${m.length - MAX_REASON} more characters)`;
    }
  }
  if (code && m) return `${code}: ${m}`;
  return code ?? m;
}

/** Logstash's CloudTrail pipeline writes the user agent as `[agent]`. */
function cleanAgent(ua: string | null): string | null {
  if (ua && ua.length > 1 && ua.charCodeAt(0) === 0x5b && ua.charCodeAt(ua.length - 1) === 0x5d)
    return ua.slice(1, -1) || null;
  return ua;
}

const two = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);

/** eventTime to the event timestamp (UTC, milliseconds); null when it is not an ISO 8601 time. */
export function toIso(s: string | null): string | null {
  if (!s || !ISO_START.test(s)) return null;
  const q = quickIso(s);
  if (q !== null) return q;
  if (timestampProblem(s) !== null) return null;
  if (isLeapSecond(s)) {
    const d = parseTimestampWithZone(s);
    return d ? d.toISOString() : null;
  }
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/**
 * CloudTrail's own form, 2024-05-01T10:00:00Z (whole seconds, UTC, a day that exists in every
 * month, no leap second): its ISO text with no Date round trip; null for any other form.
 */
function quickIso(s: string): string | null {
  if (s.length === 20 && s.charCodeAt(19) === 0x5a && s.charCodeAt(16) === 0x3a && ISO_SECONDS.test(s)) {
    const mo = two(s, 5);
    const d = two(s, 8);
    const h = two(s, 11);
    const mi = two(s, 14);
    const sec = two(s, 17);
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= 28 && h < 24 && mi < 60 && sec < 60) return `${s.slice(0, 19)}.000Z`;
  }
  return null;
}

export interface MapContext {
  note(msg: string): void;
  instance: string | null;
  variant: string;
}

export type MapResult =
  | { kind: 'event'; event: AuditEvent }
  | { kind: 'reject'; reason: string }
  | { kind: 'skip'; reason: string };

const LEAP_NOTE =
  'some eventTime values carry a leap second (:60): kept as the last millisecond of that minute (details.leap_second)';

/**
 * The timestamp of a record with no usable eventTime: Logstash's @timestamp when eventTime is
 * absent (its cloudtrail codec moves eventTime there), else null; either way a run note says so.
 */
function fallbackTimestamp(rec: Obj, ctx: MapContext, flags: Record<string, unknown>): string | null {
  let timestamp: string | null = null;
  if (rec.eventTime === undefined && typeof rec['@timestamp'] === 'string') {
    timestamp = toIso(rec['@timestamp'] as string);
    if (timestamp) {
      flags.time_source = '@timestamp';
      ctx.note('timestamps come from Logstash @timestamp: the Logstash cloudtrail codec moves eventTime there');
    }
  }
  if (timestamp === null)
    ctx.note(
      `some records have no usable eventTime (${rec.eventTime === undefined ? 'absent' : JSON.stringify(rec.eventTime)}): their timestamp is null`,
    );
  return timestamp;
}

/** readOnly: boolean in current records, sometimes a string in exports; absent in some old ones. */
function readOnlyOf(ro: unknown): boolean | undefined {
  return ro === true || ro === 'true' ? true : ro === false || ro === 'false' ? false : undefined;
}

/**
 * Outcome: errorCode (absent = success); ConsoleLogin / CheckMfa answer in
 * responseElements.<eventName>, Identity Center sign-in steps in serviceEventDetails.<eventName>,
 * both "Success" | "Failure" (`signinResult`).
 */
function outcomeOf(errorCode: string | null, signinResult: string | null): EventInput['outcome'] {
  return errorCode || signinResult === 'Failure' ? 'failure' : 'success';
}

/** The outcome reason that goes with outcomeOf. */
function reasonOf(errorCode: string | null, errorMessage: string | null, signinResult: string | null): string | null {
  if (errorCode) return outcomeReason(errorCode, errorMessage);
  if (signinResult === 'Failure') return outcomeReason(null, errorMessage) ?? 'Failure';
  return null;
}

/**
 * A sign-in, a session request or an account-wide setting acts on the account itself (the one
 * that received the event), which the record names in recipientAccountId: such a call with no
 * named resource gets the account as its resource.
 */
function accountAsResource(res: ResourceResult, category: string, service: string, base: string | null): void {
  if (
    !res.resource.name &&
    res.resource.scope?.account &&
    (category === 'authentication' || ACCOUNT_LEVEL.has(`${service}:${base}`))
  ) {
    res.resource = {
      type: 'AWS::::Account',
      name: res.resource.scope.account,
      implicit: true,
      scope: res.resource.scope,
    };
  }
}

/**
 * The record's own small facts an auditor uses (snake_case keys), in their fixed order. Named
 * stores, not a put(key, value) closure: one keyed store site shared by every key is megamorphic
 * (and the closure was made per record).
 */
function recordFacts(
  details: Record<string, unknown>,
  rec: Obj,
  leapTime: string | null,
  readOnly: boolean | undefined,
  errorCode: string | null,
): void {
  let v: unknown;
  if (leapTime !== null) details.leap_second = leapTime;
  if (given((v = rec.eventType))) details.event_type = v;
  if (given((v = rec.eventCategory))) details.event_category = v;
  if (given((v = rec.eventVersion))) details.event_version = v;
  if (given(readOnly)) details.read_only = readOnly;
  if (given((v = rec.managementEvent))) details.management_event = v;
  if (given((v = rec.recipientAccountId))) details.recipient_account_id = v;
  if (given((v = rec.requestID))) details.request_id = v;
  if (given((v = rec.sharedEventID))) details.shared_event_id = v;
  if (given((v = rec.vpcEndpointId))) details.vpc_endpoint_id = v;
  if (given((v = rec.sessionCredentialFromConsole))) details.session_credential_from_console = v;
  if (errorCode) details.error_code = errorCode;
}

/** Sessions and identities created by the call (to follow them into later events), and snapshot sharing. */
function createdFacts(details: Record<string, unknown>, re: Obj | null, rp: Obj | null, base: string | null): void {
  let v: unknown;
  if (given((v = str(obj(re?.assumedRoleUser)?.arn)))) details.assumed_role_user = v;
  if (given((v = str(obj(re?.federatedUser)?.arn)))) details.federated_user = v;
  if (
    (base === 'ModifyDBSnapshotAttribute' || base === 'ModifyDBClusterSnapshotAttribute') &&
    given((v = rp?.valuesToAdd))
  )
    details.shared_with = v;
}

/** A call that turns audit logging off (or tried to): a privilege reason and a flag. */
function auditOff(extra: string[], outcome: EventInput['outcome'], flags: Record<string, unknown>): void {
  extra.push('audit_disabled');
  if (outcome === 'failure') flags.audit_logging_disable_attempted = true;
  else flags.audit_logging_disabled = true;
}

/** Insights events report unusual call rates of eventName: their type and state. */
function insightFacts(details: Record<string, unknown>, rec: Obj): void {
  let v: unknown;
  const ins = obj(rec.insightDetails);
  if (given((v = ins?.insightType))) details.insight_type = v;
  if (given((v = ins?.state))) details.insight_state = v;
}

export function mapRecord(rec: Obj, raw: RawRecord, ctx: MapContext): MapResult {
  if (isDigest(rec)) return { kind: 'skip', reason: DIGEST_SKIP };
  const eventName = str(rec.eventName); // eventName
  const eventSource = str(rec.eventSource); // eventSource
  if (!eventName && !eventSource) {
    return { kind: 'reject', reason: 'not a CloudTrail event: the object has neither eventName nor eventSource' };
  }

  // Time: eventTime (UTC). Logstash's cloudtrail codec moves it to @timestamp and deletes it.
  const eventTime = str(rec.eventTime);
  // The usual form is read directly (quickIso); any other is checked for a date that does not
  // exist and for a leap second first.
  let timestamp = eventTime !== null ? quickIso(eventTime) : null;
  let leap = false;
  if (timestamp === null && eventTime !== null) {
    const impossible = timestampProblem(eventTime);
    if (impossible !== null)
      return {
        kind: 'reject',
        reason: `eventTime '${eventTime.slice(0, 40)}' is not a time that exists: ${impossible}`,
      };
    leap = isLeapSecond(eventTime);
    if (leap) ctx.note(LEAP_NOTE);
    timestamp = toIso(eventTime);
  }
  return { kind: 'event', event: toEvent(rec, raw, ctx, eventName, eventSource, timestamp, leap ? eventTime : null) };
}

/**
 * The event of a CloudTrail record that has a name or a source and whose eventTime, if any, is a
 * time that exists (`timestamp` is null when it is absent or unreadable; `leapTime` is eventTime
 * when it carries a leap second).
 */
function toEvent(
  rec: Obj,
  raw: RawRecord,
  ctx: MapContext,
  eventName: string | null,
  eventSource: string | null,
  eventTimestamp: string | null,
  leapTime: string | null,
): AuditEvent {
  const service = eventSource ? serviceOf(eventSource) : '';
  const base = eventName ? baseEventName(eventName) : null;
  // Facts decided along the way; appended after the record's own facts so key order is stable.
  const details: Record<string, unknown> = {};
  const flags: Record<string, unknown> = {};
  const timestamp = eventTimestamp ?? fallbackTimestamp(rec, ctx, flags);

  const id = mapIdentity(rec, base ?? '');
  if (id.missing) ctx.note(`user is null where ${id.missing}`);

  const readOnly = readOnlyOf(rec.readOnly);
  const rp = obj(rec.requestParameters);
  const cls = classify(service, base ?? '', readOnly, rp);
  if (cls.basis === 'read_only_inferred') {
    flags.read_only_inferred = true;
    ctx.note(
      'records without readOnly (older eventVersion exports) are classed by their name: Describe/Get/List... as reads, others as writes',
    );
  }

  const errorCode = str(rec.errorCode);
  const re = obj(rec.responseElements);
  const signinResult = base ? (str(re?.[base]) ?? str(obj(rec.serviceEventDetails)?.[base])) : null;
  let outcome = outcomeOf(errorCode, signinResult);
  const reason = reasonOf(errorCode, str(rec.errorMessage), signinResult);
  if (errorCode && isDenied(errorCode)) flags.denied = true;

  const res = mapResource(rec, service);
  accountAsResource(res, cls.category, service, base);

  const extra: string[] = [];
  if (cls.auditOff) auditOff(extra, outcome, flags);

  recordFacts(details, rec, leapTime, readOnly, errorCode);
  Object.assign(details, id.details, res.details, flags);
  createdFacts(details, re, rp, base);
  if (cls.basis === 'refined') details.category_basis = 'request_parameters';

  // Insights events report unusual call rates of eventName; they are not that call.
  let action = base ? snakeCase(base) : null;
  let category = cls.category;
  if (rec.eventType === 'AwsCloudTrailInsight') {
    action = 'cloudtrail_insight';
    category = 'other';
    outcome = 'unknown';
    insightFacts(details, rec);
  }

  return buildEvent(
    {
      timestamp,
      user: id.user,
      action: { name: action, source_name: eventName, service: eventSource, statement: null },
      resource: res.resource,
      category,
      outcome,
      outcome_reason: reason,
      origin: { address: str(rec.sourceIPAddress), application: cleanAgent(str(rec.userAgent)) },
      privileged: privilegeFor({ category, root: id.root, extra }),
      // requestParameters.userName/roleName/groupName + policyArn/policyName of IAM grants
      permission_changes: category === 'permission_change' ? iamPermissionChanges(service, base, rp) : null,
      details,
    },
    sourceOf(rec, raw, ctx),
  );
}

/** The event's source: where the record came from. */
function sourceOf(rec: Obj, raw: RawRecord, ctx: MapContext): SourceInput {
  return {
    kind: 'aws',
    format: 'cloudtrail',
    variant: ctx.variant,
    instance: ctx.instance,
    location: raw.location,
    raw_sha256: raw.sha256,
    record_id: str(rec.eventID),
  };
}
