// google.logging.v2.ConfigServiceV2 ListBuckets and ListSinks (from logging_config.proto, as the
// real client sends them), added to the local Cloud Logging gRPC server so the real
// @google-cloud/logging config client reads buckets and sinks with their retention. Page tokens are
// honoured (page_size entries a page); a parent listed in `denied` answers PERMISSION_DENIED.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { gaxProtoDir } from '../../../src/live/gcp-logging/decode.js';

export interface FakeBucket {
  name: string;
  retention_days: number;
  locked?: boolean;
  lifecycle_state?: string;
}
export interface FakeSink {
  parent: string;
  name: string;
  destination: string;
  filter?: string;
  disabled?: boolean;
  exclusions?: Array<{ name: string; filter: string; disabled?: boolean }>;
}
export interface LoggingConfigScript {
  buckets: FakeBucket[];
  sinks: FakeSink[];
  denied?: string[];
  requests?: Array<{ method: string; parent: string }>;
}

function loggingProtoDir(): string {
  const require = createRequire(import.meta.url);
  const req2 = createRequire(require.resolve('@google-cloud/logging'));
  return join(dirname(req2.resolve('@google-cloud/logging-api/package.json')), 'build', 'protos');
}

function page<T>(items: T[], token: string, size: number): { items: T[]; next: string } {
  const start = token ? Number(token.replace('p', '')) : 0;
  const n = size > 0 ? size : 50;
  return { items: items.slice(start, start + n), next: start + n < items.length ? `p${start + n}` : '' };
}

export function addLoggingConfigService(server: grpc.Server, script: LoggingConfigScript): void {
  const def = protoLoader.loadSync('google/logging/v2/logging_config.proto', {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: [loggingProtoDir(), gaxProtoDir()],
  });
  const proto = grpc.loadPackageDefinition(def) as unknown as {
    google: { logging: { v2: { ConfigServiceV2: { service: grpc.ServiceDefinition } } } };
  };
  const service = proto.google.logging.v2.ConfigServiceV2.service;
  const unimplemented = (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
    cb({ code: grpc.status.UNIMPLEMENTED, details: 'not in the test server' } as grpc.ServiceError);
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const name of Object.keys(service)) handlers[name] = unimplemented;
  const denied = (parent: string, cb: grpc.sendUnaryData<unknown>): boolean => {
    if (!script.denied?.some((d) => parent === d || parent.startsWith(`${d}/`))) return false;
    cb({ code: grpc.status.PERMISSION_DENIED, details: `Permission denied on ${parent}` } as grpc.ServiceError);
    return true;
  };
  handlers.ListBuckets = (
    call: grpc.ServerUnaryCall<{ parent: string; page_token?: string; page_size?: number }, unknown>,
    cb: grpc.sendUnaryData<unknown>,
  ) => {
    const { parent } = call.request;
    script.requests?.push({ method: 'ListBuckets', parent });
    if (denied(parent, cb)) return;
    const owner = parent.replace(/\/locations\/-$/, '');
    const p = page(
      script.buckets.filter((b) => b.name.startsWith(`${owner}/locations/`)),
      call.request.page_token ?? '',
      call.request.page_size ?? 0,
    );
    cb(null, {
      buckets: p.items.map((b) => ({
        name: b.name,
        retention_days: b.retention_days,
        locked: b.locked ?? false,
        lifecycle_state: b.lifecycle_state ?? 'ACTIVE',
      })),
      next_page_token: p.next,
    });
  };
  handlers.ListSinks = (
    call: grpc.ServerUnaryCall<{ parent: string; page_token?: string; page_size?: number }, unknown>,
    cb: grpc.sendUnaryData<unknown>,
  ) => {
    const { parent } = call.request;
    script.requests?.push({ method: 'ListSinks', parent });
    if (denied(parent, cb)) return;
    const p = page(
      script.sinks.filter((s) => s.parent === parent),
      call.request.page_token ?? '',
      call.request.page_size ?? 0,
    );
    cb(null, {
      sinks: p.items.map((s) => ({
        name: s.name,
        destination: s.destination,
        filter: s.filter ?? '',
        disabled: s.disabled ?? false,
        exclusions: s.exclusions ?? [],
      })),
      next_page_token: p.next,
    });
  };
  server.addService(service, handlers);
}

/** A project routed as Google sets it up: _Required 400 days, _Default with `defaultDays`. */
export function defaultRouting(project: string, defaultDays = 30): LoggingConfigScript {
  return {
    buckets: [
      { name: `projects/${project}/locations/global/buckets/_Required`, retention_days: 400, locked: true },
      { name: `projects/${project}/locations/global/buckets/_Default`, retention_days: defaultDays },
    ],
    sinks: [
      {
        parent: `projects/${project}`,
        name: '_Required',
        destination: `logging.googleapis.com/projects/${project}/locations/global/buckets/_Required`,
        filter:
          'LOG_ID("cloudaudit.googleapis.com/activity") OR LOG_ID("externalaudittrail.googleapis.com/activity") OR LOG_ID("cloudaudit.googleapis.com/system_event") OR LOG_ID("externalaudittrail.googleapis.com/system_event") OR LOG_ID("cloudaudit.googleapis.com/access_transparency") OR LOG_ID("externalaudittrail.googleapis.com/access_transparency")',
      },
      {
        parent: `projects/${project}`,
        name: '_Default',
        destination: `logging.googleapis.com/projects/${project}/locations/global/buckets/_Default`,
        filter:
          'NOT LOG_ID("cloudaudit.googleapis.com/activity") AND NOT LOG_ID("externalaudittrail.googleapis.com/activity") AND NOT LOG_ID("cloudaudit.googleapis.com/system_event") AND NOT LOG_ID("externalaudittrail.googleapis.com/system_event") AND NOT LOG_ID("cloudaudit.googleapis.com/access_transparency") AND NOT LOG_ID("externalaudittrail.googleapis.com/access_transparency")',
      },
    ],
  };
}

/** IAM policies by resource name (projects/x, folders/1, organizations/2), served by Resource Manager v3 GetIamPolicy. */
export interface IamPolicies {
  policies: Record<
    string,
    {
      bindings: Array<{ role: string; members: string[]; condition?: { title: string; expression: string } }>;
      version?: number;
      etag?: string;
    }
  >;
  requests?: Array<{ resource: string; version: number | null }>;
}

function resourceManagerProtoDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@google-cloud/resource-manager/package.json')), 'build', 'protos');
}

export function addResourceManagerServices(server: grpc.Server, iam: IamPolicies): void {
  for (const [file, svc] of [
    ['projects', 'Projects'],
    ['folders', 'Folders'],
    ['organizations', 'Organizations'],
  ] as const) {
    const def = protoLoader.loadSync(`google/cloud/resourcemanager/v3/${file}.proto`, {
      keepCase: true,
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
      includeDirs: [resourceManagerProtoDir(), gaxProtoDir()],
    });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      google: { cloud: { resourcemanager: { v3: Record<string, { service: grpc.ServiceDefinition }> } } };
    };
    const service = pkg.google.cloud.resourcemanager.v3[svc]!.service;
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const name of Object.keys(service))
      handlers[name] = (_c: unknown, cb: grpc.sendUnaryData<unknown>) =>
        cb({ code: grpc.status.UNIMPLEMENTED, details: 'not in the test server' } as grpc.ServiceError);
    handlers.GetIamPolicy = (
      call: grpc.ServerUnaryCall<{ resource: string; options?: { requested_policy_version?: number } }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      const { resource } = call.request;
      iam.requests?.push({ resource, version: call.request.options?.requested_policy_version ?? null });
      const p = iam.policies[resource];
      if (!p) {
        cb({
          code: grpc.status.PERMISSION_DENIED,
          details: `The caller does not have permission resourcemanager.*.getIamPolicy on ${resource}`,
        } as grpc.ServiceError);
        return;
      }
      cb(null, {
        version: p.version ?? 3,
        etag: Buffer.from(p.etag ?? 'BwX1'),
        bindings: p.bindings.map((b) => ({
          role: b.role,
          members: b.members,
          ...(b.condition ? { condition: b.condition } : {}),
        })),
      });
    };
    server.addService(service, handlers);
  }
}
