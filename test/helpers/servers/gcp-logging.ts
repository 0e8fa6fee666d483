// A local gRPC server that speaks google.logging.v2.LoggingServiceV2.ListLogEntries (from the
// logging.proto that ships with @google-cloud/logging's API package), with page_token /
// next_page_token paging, AuditLog payloads packed as google.protobuf.Any, and scripted failures,
// so the real @google-cloud/logging client can be exercised end to end without Google.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { auditRoot, gaxProtoDir } from '../../../src/live/gcp-logging/decode.js';
import {
  addLoggingConfigService,
  addResourceManagerServices,
  type IamPolicies,
  type LoggingConfigScript,
} from './gcp-logging-config.js';

export interface FakeAuditEntry {
  logName: string;
  insertId: string;
  timestamp: Date;
  resource: { type: string; labels: Record<string, string> };
  severity?: string;
  /** AuditLog in protobufjs object form (camelCase). */
  auditLog?: Record<string, unknown>;
  /** A text entry instead (Cloud SQL's postgres.log server log lines). */
  textPayload?: string;
}

export interface GcpServerScript {
  pages: FakeAuditEntry[][];
  /** From this page on (1-based), every call fails with `errorCode`. */
  failFromPage?: number;
  errorCode?: grpc.status;
  /** Pages that fail once with UNAVAILABLE before answering (retried by the source). */
  transientOnPages?: number[];
  /** Buckets and sinks served by ConfigServiceV2 (ListBuckets, ListSinks); without it, UNIMPLEMENTED. */
  config?: LoggingConfigScript;
  /** IAM policies served by Resource Manager v3 GetIamPolicy (projects, folders, organizations). */
  iam?: IamPolicies;
}

export interface GcpServer {
  port: number;
  requests: Array<{
    resource_names: string[];
    filter: string;
    page_token: string;
    page_size: number;
    order_by: string;
  }>;
  script: GcpServerScript;
  stop(): Promise<void>;
}

function loggingProtoDir(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@google-cloud/logging');
  const req2 = createRequire(entry);
  return join(dirname(req2.resolve('@google-cloud/logging-api/package.json')), 'build', 'protos');
}

const ts = (d: Date) => ({ seconds: String(Math.floor(d.getTime() / 1000)), nanos: (d.getTime() % 1000) * 1e6 });

export async function startGcpLogging(script: GcpServerScript): Promise<GcpServer> {
  const def = protoLoader.loadSync('google/logging/v2/logging.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: [loggingProtoDir(), gaxProtoDir()],
  });
  const proto = grpc.loadPackageDefinition(def) as unknown as {
    google: { logging: { v2: { LoggingServiceV2: { service: grpc.ServiceDefinition } } } };
  };
  const AuditLog = auditRoot().lookupType('google.cloud.audit.AuditLog');
  const requests: GcpServer['requests'] = [];
  const failedOnce = new Set<number>();
  const server = new grpc.Server();
  const unimplemented = (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
    cb({ code: grpc.status.UNIMPLEMENTED, details: 'not in the test server' } as grpc.ServiceError);
  server.addService(proto.google.logging.v2.LoggingServiceV2.service, {
    DeleteLog: unimplemented,
    WriteLogEntries: unimplemented,
    ListMonitoredResourceDescriptors: unimplemented,
    ListLogs: unimplemented,
    TailLogEntries: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
    ListLogEntries(
      call: grpc.ServerUnaryCall<GcpServer['requests'][number], unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) {
      const req = call.request;
      requests.push(req);
      const page = req.page_token ? Number(req.page_token.replace('page-', '')) : 1;
      if (script.failFromPage !== undefined && page >= script.failFromPage) {
        cb({
          code: script.errorCode ?? grpc.status.PERMISSION_DENIED,
          details: `scripted failure on page ${page}`,
        } as grpc.ServiceError);
        return;
      }
      if (script.transientOnPages?.includes(page) && !failedOnce.has(page)) {
        failedOnce.add(page);
        cb({ code: grpc.status.UNAVAILABLE, details: 'scripted transient failure' } as grpc.ServiceError);
        return;
      }
      const entries = (script.pages[page - 1] ?? []).map((e) => ({
        log_name: e.logName,
        insert_id: e.insertId,
        timestamp: ts(e.timestamp),
        receive_timestamp: ts(e.timestamp),
        severity: e.severity ?? 'NOTICE',
        resource: { type: e.resource.type, labels: e.resource.labels },
        ...(e.textPayload !== undefined
          ? { text_payload: e.textPayload }
          : {
              // The field is type_url: typeUrl would silently send an empty type.
              proto_payload: {
                type_url: 'type.googleapis.com/google.cloud.audit.AuditLog',
                value: Buffer.from(AuditLog.encode(AuditLog.fromObject(e.auditLog ?? {})).finish()),
              },
            }),
      }));
      cb(null, { entries, next_page_token: page < script.pages.length ? `page-${page + 1}` : '' });
    },
  });
  if (script.config) addLoggingConfigService(server, script.config);
  if (script.iam) addResourceManagerServices(server, script.iam);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    port,
    requests,
    script,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** Cloud Audit Log entries: a SetIamPolicy by alice, then instance deletions by bob (one denied). */
export function auditEntries(n: number, start = 0, day = '2024-05-02'): FakeAuditEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const k = start + i;
    return {
      logName: 'projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity',
      insertId: `ins-${k}`,
      timestamp: new Date(Date.parse(`${day}T10:00:00Z`) + k * 1000),
      resource: { type: 'project', labels: { project_id: 'acme-prod' } },
      auditLog:
        k === 0
          ? {
              serviceName: 'cloudresourcemanager.googleapis.com',
              methodName: 'SetIamPolicy',
              resourceName: 'projects/acme-prod',
              authenticationInfo: { principalEmail: 'alice@acme.example' },
              requestMetadata: { callerIp: '203.0.113.9' },
              metadata: {
                fields: { '@type': { stringValue: 'type.googleapis.com/google.cloud.audit.IamPolicyDelta' } },
              },
              response: { fields: { bindings: { listValue: { values: [] } } } },
            }
          : {
              serviceName: 'compute.googleapis.com',
              methodName: 'v1.compute.instances.delete',
              resourceName: `projects/acme-prod/zones/europe-west1-b/instances/vm-${k}`,
              authenticationInfo: { principalEmail: 'bob@acme.example' },
              requestMetadata: { callerIp: '198.51.100.7' },
              ...(k === 1 ? { status: { code: 7, message: 'PERMISSION_DENIED' } } : {}),
            },
    };
  });
}
