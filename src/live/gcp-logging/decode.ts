// protoPayload arrives over gRPC as a google.protobuf.Any: type_url plus the serialized AuditLog.
// This decodes it with the AuditLog definition (committed under ./protos, from googleapis; its
// imports come from google-gax's protos) and turns it into the proto3 JSON form the REST API and
// log exports carry, with "@type", so one mapping (the gcp-audit adapter) serves files and pulls.
// https://cloud.google.com/logging/docs/reference/audit/auditlog/rest/Shared.Types/AuditLog
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { toProto3JSON } from 'proto3-json-serializer';

const here = dirname(fileURLToPath(import.meta.url));

/** Our protos: beside this file when run from src, or in src/ when run from the built dist/. */
export function ownProtoDir(): string {
  const candidates = [join(here, 'protos'), join(here, '../../../src/live/gcp-logging/protos')];
  const found = candidates.find((d) => existsSync(join(d, 'google/cloud/audit/audit_log.proto')));
  if (!found) throw new Error(`google/cloud/audit/audit_log.proto not found (looked in ${candidates.join(', ')})`);
  return found;
}

export function gaxProtoDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('google-gax/package.json')), 'build', 'protos');
}

/** The protos of @google-cloud/logging's API package (google/logging/v2/log_entry.proto). */
export function loggingApiProtoDir(): string {
  const require = createRequire(import.meta.url);
  const fromLogging = createRequire(require.resolve('@google-cloud/logging'));
  return join(dirname(fromLogging.resolve('@google-cloud/logging-api/package.json')), 'build', 'protos');
}

let cached: protobuf.Root | null = null;

/** A protobufjs root with LogEntry, AuditLog and the payload types that can sit inside it (IAM AuditData). */
export function auditRoot(): protobuf.Root {
  if (cached) return cached;
  const dirs = [ownProtoDir(), loggingApiProtoDir(), gaxProtoDir()];
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => dirs.map((d) => join(d, target)).find((p) => existsSync(p)) ?? target;
  root.loadSync(
    [
      'google/cloud/audit/audit_log.proto',
      'google/iam/v1/logging/audit_data.proto',
      'google/logging/v2/log_entry.proto',
    ],
    { keepCase: false },
  );
  root.resolveAll();
  cached = root;
  return root;
}

export interface AnyLike {
  type_url?: string;
  typeUrl?: string;
  value?: Uint8Array | Buffer | string | null;
}

/** Decodes an Any to proto3 JSON with "@type" first. Throws when the type is unknown. */
export function anyToJson(any: AnyLike): Record<string, unknown> {
  const typeUrl = any.type_url ?? any.typeUrl ?? '';
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  if (!typeName) throw new Error('protoPayload has no type_url');
  let type: protobuf.Type;
  try {
    type = auditRoot().lookupType(typeName);
  } catch {
    throw new Error(`protoPayload type ${typeName} is not known`);
  }
  const bytes = typeof any.value === 'string' ? Buffer.from(any.value, 'base64') : (any.value ?? new Uint8Array());
  const msg = type.decode(bytes);
  const json = toProto3JSON(msg as unknown as protobuf.Message) as Record<string, unknown>;
  return { '@type': typeUrl, ...json };
}

/** Drops what the gRPC decoder fills in for unset fields (null messages, empty strings, empty maps). */
function unset(v: unknown): boolean {
  return (
    v === null ||
    v === undefined ||
    v === '' ||
    (typeof v === 'object' && !Buffer.isBuffer(v) && !Array.isArray(v) && Object.keys(v as object).length === 0)
  );
}

/**
 * A LogEntry as the gRPC client decodes it (camelCase fields, Timestamps as {seconds, nanos},
 * protoPayload as a raw Any with `type_url`) → the REST / export JSON form (RFC 3339 timestamps,
 * protoPayload decoded with "@type"). Unknown payload types are an error: a reject, never a guess.
 */
export function entryToRestJson(entry: Record<string, unknown>): Record<string, unknown> {
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) if (!unset(v) && k !== 'payload') clean[k] = v;
  const pp = clean.protoPayload as AnyLike | undefined;
  let payload: Record<string, unknown> | undefined;
  if (pp) {
    payload = anyToJson(pp);
    delete clean.protoPayload;
  }
  const LogEntry = auditRoot().lookupType('google.logging.v2.LogEntry');
  const json = toProto3JSON(LogEntry.fromObject(clean) as unknown as protobuf.Message) as Record<string, unknown>;
  if (payload) json.protoPayload = payload;
  if (json.labels && Object.keys(json.labels as object).length === 0) delete json.labels;
  if (json.traceSampled === false) delete json.traceSampled;
  return json;
}
