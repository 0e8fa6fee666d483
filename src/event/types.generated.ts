/* Generated from schemas/event.schema.json by scripts/gen-types.mjs. Do not edit by hand: edit the schema and run `npm run gen:types`. */

/**
 * One normalized audit event: the four fields an auditor samples (user, action, timestamp, affected resource) plus category, outcome, origin, privilege and the exact provenance of the raw record it came from. A field that the raw record does not give is null, never guessed; the row is kept.
 */
export interface AuditEvent {
/**
 * Version of this schema the event conforms to.
 */
schema_version: "1"
/**
 * Deterministic identifier: sha256 (hex) over the source format, the record's location and its raw bytes. The same raw record read from the same place always gets the same id.
 */
id: string
/**
 * When the audited action happened, RFC 3339 in UTC with millisecond precision (e.g. 2024-05-01T12:00:00.000Z). Null when the raw record carries no time.
 */
timestamp: (string | null)
/**
 * The IANA time zone (or UTC offset) that was assumed to convert the source's local time to UTC, when the raw timestamp carried no zone (MariaDB server_audit, MySQL audit files). Null when the source stated its zone.
 */
timestamp_zone_assumed: (string | null)
user: User
action: Action
resource: Resource
/**
 * Which of the six admin-activity categories this event belongs to; 'other' when none applies.
 */
category: ("authentication" | "permission_change" | "policy_change" | "access_request" | "data_exposure" | "change_execution" | "other")
/**
 * Whether the action succeeded. 'unknown' when the source does not say.
 */
outcome: ("success" | "failure" | "unknown")
/**
 * Error code or message that explains a failure (SQLSTATE, MySQL error number, AWS errorCode, gRPC status), when known.
 */
outcome_reason: (string | null)
origin: Origin
privileged: Privileged
/**
 * For permission changes: who gained or lost which privilege or role, one entry per delta (SQL GRANT/REVOKE, IAM policy binding deltas). Null when not a permission change or the deltas are not known.
 */
permission_changes: (PermissionChange[] | null)
/**
 * For access request decisions (Privileged Access Manager grants, approvals): the decision, justification and expiry. Null otherwise.
 */
access_request: (null | AccessRequest)
/**
 * The source's own record numbering, used to detect gaps (pgaudit statement id within a session). Null when the source does not number its records.
 */
sequence: (null | Sequence)
source: Source
/**
 * Source-specific facts kept for the auditor that have no place above (pgaudit class and object type, GCP log kind, CloudTrail eventType, MFA use, ...). Keys are snake_case.
 */
details: {
[k: string]: unknown
}
}
/**
 * The attributable identity that performed the action.
 */
export interface User {
/**
 * The identity an auditor reads: database role or account (user@host for MySQL accounts is split: host goes to origin), IAM user/role ARN or session, GCP principal email. Null when the record does not say who.
 */
name: (string | null)
/**
 * human: a person; service: a service account, AWS service or application identity; root: an account root or database superuser account used directly; system: the server itself (background workers, checkpointer); unknown: cannot be told.
 */
type: ("human" | "service" | "root" | "system" | "unknown")
/**
 * A stable identifier for the identity when the source has one distinct from the name (AWS principalId or ARN, GCP principalSubject, MySQL account user@host).
 */
id: (string | null)
/**
 * The login identity behind the acting one: the session user behind a SET ROLE, the proxy user, the human behind an assumed-role session when known.
 */
session_user: (string | null)
/**
 * The role assumed or in effect: AWS sessionIssuer role ARN, the database role set with SET ROLE.
 */
role: (string | null)
/**
 * How the identity authenticated, when recorded: access key id, service-account key name, MFA, console password, socket, ...
 */
authenticated_by: (string | null)
/**
 * Delegation chain, first principal first (GCP serviceAccountDelegationInfo, AWS invokedBy). Empty when none.
 */
delegation: string[]
}
/**
 * What was done.
 */
export interface Action {
/**
 * Normalized action name, lower snake_case. SQL: the command (create_role, grant, alter_system, copy, select). Authentication: login, login_failed, logout. Cloud APIs: the method name in snake case (create_user, stop_logging, set_iam_policy).
 */
name: (string | null)
/**
 * The action exactly as the source names it (pgaudit COMMAND, server_audit operation, CloudTrail eventName, GCP methodName).
 */
source_name: (string | null)
/**
 * The service that handled the action: CloudTrail eventSource, GCP serviceName, 'postgresql', 'mariadb', 'mysql'.
 */
service: (string | null)
/**
 * The SQL statement or API request summary when there is one, with secrets (passwords, keys) redacted. Null when none was logged.
 */
statement: (string | null)
}
/**
 * The affected resource and where it lives.
 */
export interface Resource {
/**
 * Kind of resource: table, view, role, user, database, parameter, function, bucket, trail, ARN resource type, GCP resource type, ...
 */
type: (string | null)
/**
 * The resource's name, as qualified as the source gives it (schema.table, role name, ARN, GCP resourceName). Null when the record names none.
 */
name: (string | null)
/**
 * True when the name was derived rather than stated by the source (parsed from SQL text, taken from the connection's database, from request parameters).
 */
implicit: boolean
/**
 * Where the resource lives. Every key is present; null when not known or not applicable.
 */
scope: {
/**
 * Database name (PostgreSQL %d, MySQL schema).
 */
database: (string | null)
/**
 * Server, cluster or instance name (the configured source instance name, server host).
 */
instance: (string | null)
/**
 * GCP project (or folder/organization) id.
 */
project: (string | null)
/**
 * AWS account id.
 */
account: (string | null)
/**
 * Cloud region or location.
 */
region: (string | null)
}
}
/**
 * Where the action came from.
 */
export interface Origin {
/**
 * Client network address (IP, host name, 'local' for a Unix socket, or an AWS service name).
 */
address: (string | null)
/**
 * Client port when recorded.
 */
port: (number | null)
/**
 * Client application or user agent.
 */
application: (string | null)
}
/**
 * Whether this is administrator activity, and why.
 */
export interface Privileged {
/**
 * True when the action is admin-class or the user is on the admin roster.
 */
value: boolean
/**
 * Why: 'admin_action' (the action is admin-class), 'root_identity', 'superuser', 'roster:<entry>' (listed in the admin roster), 'break_glass'.
 */
reasons: string[]
}
/**
 * One privilege or role delta.
 */
export interface PermissionChange {
/**
 * grant (gained) or revoke (lost).
 */
operation: ("grant" | "revoke")
/**
 * Who gained or lost it.
 */
principal: (string | null)
/**
 * The privilege or role.
 */
privilege: (string | null)
/**
 * The object the privilege applies to, when stated.
 */
on: (string | null)
}
/**
 * An access request decision.
 */
export interface AccessRequest {
/**
 * requested, approved, denied, revoked, expired, activated or withdrawn.
 */
state: ("requested" | "approved" | "denied" | "revoked" | "expired" | "activated" | "withdrawn")
/**
 * Who asked.
 */
requester: (string | null)
/**
 * Who decided.
 */
approver: (string | null)
/**
 * The justification given.
 */
justification: (string | null)
/**
 * When the access ends (RFC 3339) or its duration as given.
 */
expires: (string | null)
/**
 * The entitlement or role requested.
 */
entitlement: (string | null)
}
/**
 * The source's record numbering.
 */
export interface Sequence {
/**
 * The numbering stream (pgaudit: the session id; MySQL: the connection id).
 */
stream: string
/**
 * The record number within the stream (pgaudit STATEMENT_ID).
 */
number: number
/**
 * Sub-number (pgaudit SUBSTATEMENT_ID).
 */
sub: (number | null)
}
/**
 * Provenance: which source and format the event came from and where its raw record is.
 */
export interface Source {
/**
 * The system: postgresql, mysql, mariadb, gcp, aws, bytebase.
 */
kind: ("postgresql" | "mysql" | "mariadb" | "gcp" | "aws" | "bytebase")
/**
 * The adapter id that read the record: pgaudit, mariadb-audit, mysql-enterprise-audit, percona-audit, gcp-audit, cloudtrail, bytebase.
 */
format: string
/**
 * The sub-format within the adapter (pgaudit: stderr, csvlog, jsonlog; cloudtrail: records, lookup-events, ndjson).
 */
variant: (string | null)
/**
 * The configured instance name for this source, or null.
 */
instance: (string | null)
location: Location
/**
 * sha256 (hex) of the raw record's exact bytes as read.
 */
raw_sha256: string
/**
 * The source's own record id (CloudTrail eventID, GCP insertId, MySQL record id, pgaudit session/statement/substatement), when it has one.
 */
record_id: (string | null)
}
/**
 * Where the raw record was read.
 */
export interface Location {
/**
 * Path of the input file as given, '-' for standard input, or a live source's name.
 */
file: string
/**
 * First line of the record (1-based), for text files.
 */
line: (number | null)
/**
 * Last line of a multi-line record.
 */
line_end: (number | null)
/**
 * Byte offset of the record's first byte in the (decompressed) input.
 */
byte_offset: (number | null)
/**
 * 0-based index of the record among the JSON values of its container (array element).
 */
index: (number | null)
/**
 * API page number (1-based) for live pulls.
 */
page: (number | null)
}
