// Reading the Cloud Logging LogEntry / AuditLog JSON shape: safe accessors over parsed JSON and
// the facts encoded in `logName`. The JSON is what `gcloud logging read --format=json`, Cloud
// Storage sink exports and the REST `entries.list` response carry (proto3 JSON: camelCase keys,
// default values omitted).
// LogEntry: https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry
// AuditLog: https://cloud.google.com/logging/docs/reference/audit/auditlog/rest/Shared.Types/AuditLog
// Log names: https://cloud.google.com/logging/docs/audit/understanding-audit-logs

export type Json = Record<string, unknown>;

/** The protoPayload @type of a Cloud Audit Logs entry. */
export const AUDIT_LOG_TYPE = 'type.googleapis.com/google.cloud.audit.AuditLog';

export function obj(v: unknown): Json | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null;
}

/** A non-empty string, or null. */
export function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Walks nested objects by key; null as soon as a step is missing. */
export function at(v: unknown, ...keys: string[]): unknown {
  let cur: unknown = v;
  for (const k of keys) {
    const o = obj(cur);
    if (!o) return null;
    cur = o[k];
  }
  return cur ?? null;
}

/** The four Cloud Audit Logs kinds, named as the log ids name them. */
export type LogKind = 'activity' | 'data_access' | 'system_event' | 'policy';

/**
 * The audit log kind from `logName` (`projects/p/logs/cloudaudit.googleapis.com%2Factivity`, the
 * `/activity` spelling some exports use, and the same under organizations/folders/billingAccounts).
 * Null when the log is not one of the Cloud Audit Logs.
 */
export function logKindOf(logName: string | null): LogKind | null {
  if (!logName) return null;
  const m = /\/logs\/cloudaudit\.googleapis\.com(?:%2F|\/)(activity|data_access|system_event|policy)$/i.exec(logName);
  return m ? (m[1]!.toLowerCase() as LogKind) : null;
}

/**
 * The parent the log belongs to, from `logName`: a project id (`projects/<p>/logs/...`), or
 * `organizations/<id>`, `folders/<id>`, `billingAccounts/<id>` for logs held above projects.
 */
export function logParentOf(logName: string | null): string | null {
  if (!logName) return null;
  const m = /^(projects|organizations|folders|billingAccounts)\/([^/]+)\/logs\//.exec(logName);
  if (!m) return null;
  return m[1] === 'projects' ? m[2]! : `${m[1]}/${m[2]}`;
}

/** The last dot-separated segment of a method name (`google.iam.admin.v1.CreateRole` -> `CreateRole`). */
export function methodLeaf(methodName: string | null): string | null {
  if (!methodName) return null;
  const parts = methodName.split('.').filter(Boolean);
  return parts.length ? parts[parts.length - 1]! : null;
}

/** gRPC canonical status codes (google.rpc.Code), for outcome reasons. */
export const STATUS_CODE_NAMES: Record<number, string> = {
  0: 'OK',
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};
