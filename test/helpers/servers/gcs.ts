// A local Google Cloud Storage server for tests: node:http on 127.0.0.1 speaking the GCS JSON API
// (https://storage.googleapis.com/storage/v1 and /upload/storage/v1) with in-memory buckets, so the
// real @google-cloud/storage client is exercised without Google:
//
//   new Storage({ apiEndpoint: server.endpoint, projectId: 'p' })   // no credentials are needed:
//   the client sends no auth to a custom endpoint unless useAuthWithCustomEndpoint is set.
//
// What it speaks:
//   Buckets  insert (POST /b?project=), get (GET /b/B), list (GET /b?project=), patch/update (PATCH/PUT /b/B:
//            labels, retentionPolicy {retentionPeriod} or null, versioning, iamConfiguration),
//            lockRetentionPolicy (POST /b/B/lockRetentionPolicy?ifMetagenerationMatch=N), delete,
//            getIamPolicy/setIamPolicy (GET/PUT /b/B/iam), testIamPermissions (all granted).
//   Objects  upload: uploadType=media, multipart (multipart/related: JSON metadata + media, as
//            file.save({resumable:false}) sends it) and resumable (POST → Location session URI, then
//            PUT with Content-Range: single request, multi-chunk with 308 + Range, and the `bytes */*`
//            status query); ifGenerationMatch (0 = only if absent) → 412 conditionNotMet;
//            get metadata (GET /b/B/o/O), download (alt=media, Range, x-goog-hash crc32c+md5 and
//            x-goog-stored-content-encoding so the client validates), list (prefix, delimiter,
//            maxResults + pageToken), patch (metadata, temporaryHold, eventBasedHold), delete.
//   Object resources carry size, md5Hash and crc32c (base64, as GCS), generation, metageneration,
//   timeCreated/updated, and retentionExpirationTime while the bucket has a retention policy.
//   Errors   GCS's JSON error body {error:{code,message,errors:[{domain,reason,message}]}}.
//
// What it ENFORCES (as GCS does):
//   - An object may not be deleted or overwritten (a new upload to its name) before
//     timeCreated + the bucket's retentionPeriod, nor while it has a temporary or event-based hold:
//     403 reason retentionPolicyNotMet (for holds: objectUnderActiveHold).
//   - A locked retention policy cannot be removed or shortened (403), and the bucket cannot be
//     deleted while it holds objects (409 conflict). Locking needs ifMetagenerationMatch equal to the
//     bucket's current metageneration (412 conditionNotMet otherwise), and a policy to lock (400).
//   - retentionExpirationTime is computed from the CURRENT policy, so lengthening it applies to
//     existing objects, exactly like GCS.
// Hook: onMutation(e) is called after every mutating request (success or refusal) with the Cloud
// Audit Logs method name (storage.buckets.update, storage.objects.create, storage.objects.delete, …),
// the resource name (projects/_/buckets/B[/objects/O]), the HTTP status and the caller's
// Authorization header, so a test can turn it into a Cloud Audit Log entry.
// Not spoken: ACLs (beyond ignoring predefinedAcl), compose, rewrite/copy, notifications, HMAC keys,
// XML API, signed URLs, object versioning semantics (versioning is stored, not applied).
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface GcsObject {
  name: string;
  bucket: string;
  generation: string;
  metageneration: number;
  body: Buffer;
  contentType: string;
  contentEncoding?: string;
  metadata?: Record<string, string>;
  timeCreated: Date;
  updated: Date;
  temporaryHold?: boolean;
  eventBasedHold?: boolean;
}

export interface GcsRetentionPolicy {
  retentionPeriod: number /* seconds */;
  effectiveTime: Date;
  isLocked: boolean;
}

export interface GcsBucket {
  name: string;
  projectNumber: string;
  location: string;
  storageClass: string;
  metageneration: number;
  timeCreated: Date;
  updated: Date;
  labels: Record<string, string>;
  retentionPolicy?: GcsRetentionPolicy;
  versioning?: { enabled: boolean };
  iamConfiguration?: Record<string, unknown>;
  iamPolicy: { bindings: Array<{ role: string; members: string[] }>; etag: string; version: number };
  objects: Map<string, GcsObject>;
}

export interface GcsRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  at: number;
}

export interface GcsMutation {
  /** Cloud Audit Logs methodName, e.g. storage.objects.create. */
  methodName: string;
  /** projects/_/buckets/B or projects/_/buckets/B/objects/O (as in GCS audit logs). */
  resourceName: string;
  bucket: string;
  object?: string;
  status: number;
  /** GCS error reason when refused (retentionPolicyNotMet, conditionNotMet, …). */
  reason?: string;
  authorization?: string;
  at: Date;
  request: { method: string; path: string; query: Record<string, string> };
}

export type GcsFailure = { status: number; reason: string; message?: string };

export interface GcsServer {
  /** Pass as apiEndpoint to new Storage({ apiEndpoint, projectId }). */
  endpoint: string;
  buckets: Map<string, GcsBucket>;
  requests: GcsRequest[];
  /** Creates a bucket directly (no HTTP). retentionSeconds sets a retention policy; locked locks it. */
  createBucket(
    name: string,
    opts?: { retentionSeconds?: number; locked?: boolean; labels?: Record<string, string>; effectiveTime?: Date },
  ): GcsBucket;
  /** Stores an object directly (no HTTP, no retention check), e.g. with a chosen timeCreated. */
  putObject(
    bucket: string,
    name: string,
    body: Buffer | string,
    opts?: { contentType?: string; metadata?: Record<string, string>; timeCreated?: Date },
  ): GcsObject;
  getObject(bucket: string, name: string): GcsObject | undefined;
  /** The resource JSON the API returns for an object (what the client's getMetadata gives). */
  objectResource(o: GcsObject): Record<string, unknown>;
  /** Called after every mutating request (also refused ones); undefined removes the hook. */
  onMutation(fn: ((e: GcsMutation) => void) | undefined): void;
  /** Requests for which fn returns a failure get it instead of their normal answer. */
  failOn(fn: ((r: GcsRequest) => GcsFailure | undefined) | undefined): void;
  stop(): Promise<void>;
}

// CRC32C (Castagnoli), as GCS computes it; the client validates downloads and uploads against it.
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();
export function crc32c(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC32C_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
const crc32cB64 = (b: Buffer) => {
  const x = Buffer.alloc(4);
  x.writeUInt32BE(crc32c(b));
  return x.toString('base64');
};
const md5B64 = (b: Buffer) => createHash('md5').update(b).digest('base64');

class GcsError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export async function startGcs(opts: { now?: () => Date; projectNumber?: string } = {}): Promise<GcsServer> {
  const now = opts.now ?? (() => new Date());
  const projectNumber = opts.projectNumber ?? '123456789012';
  const buckets = new Map<string, GcsBucket>();
  const requests: GcsRequest[] = [];
  const sessions = new Map<
    string,
    {
      bucket: string;
      name: string;
      meta: Record<string, unknown>;
      query: Record<string, string>;
      parts: Buffer[];
      received: number;
    }
  >();
  let hook: ((e: GcsMutation) => void) | undefined;
  let failFn: ((r: GcsRequest) => GcsFailure | undefined) | undefined;
  let gen = Date.now() * 1000;
  let endpoint = '';
  let pendingMut: Omit<GcsMutation, 'status' | 'at' | 'request' | 'authorization' | 'reason'> | undefined;

  function createBucket(
    name: string,
    o: { retentionSeconds?: number; locked?: boolean; labels?: Record<string, string>; effectiveTime?: Date } = {},
  ): GcsBucket {
    const t = now();
    const b: GcsBucket = {
      name,
      projectNumber,
      location: 'US',
      storageClass: 'STANDARD',
      metageneration: 1,
      timeCreated: t,
      updated: t,
      labels: { ...(o.labels ?? {}) },
      objects: new Map(),
      iamPolicy: { bindings: [], etag: 'CAE=', version: 1 },
      ...(o.retentionSeconds !== undefined
        ? {
            retentionPolicy: {
              retentionPeriod: o.retentionSeconds,
              effectiveTime: o.effectiveTime ?? t,
              isLocked: !!o.locked,
            },
          }
        : {}),
    };
    buckets.set(name, b);
    return b;
  }

  const expiry = (b: GcsBucket, o: GcsObject): Date | undefined =>
    b.retentionPolicy ? new Date(o.timeCreated.getTime() + b.retentionPolicy.retentionPeriod * 1000) : undefined;

  function bucketResource(b: GcsBucket): Record<string, unknown> {
    return {
      kind: 'storage#bucket',
      id: b.name,
      name: b.name,
      selfLink: `${endpoint}/storage/v1/b/${b.name}`,
      projectNumber: b.projectNumber,
      metageneration: String(b.metageneration),
      location: b.location,
      locationType: 'multi-region',
      storageClass: b.storageClass,
      etag: `CA${b.metageneration}=`,
      timeCreated: b.timeCreated.toISOString(),
      updated: b.updated.toISOString(),
      ...(Object.keys(b.labels).length ? { labels: b.labels } : {}),
      ...(b.retentionPolicy
        ? {
            retentionPolicy: {
              retentionPeriod: String(b.retentionPolicy.retentionPeriod),
              effectiveTime: b.retentionPolicy.effectiveTime.toISOString(),
              ...(b.retentionPolicy.isLocked ? { isLocked: true } : {}),
            },
          }
        : {}),
      ...(b.versioning ? { versioning: b.versioning } : {}),
      iamConfiguration: b.iamConfiguration ?? {
        uniformBucketLevelAccess: { enabled: true },
        publicAccessPrevention: 'enforced',
      },
    };
  }

  function objectResource(o: GcsObject): Record<string, unknown> {
    const b = buckets.get(o.bucket);
    const exp = b ? expiry(b, o) : undefined;
    const enc = encodeURIComponent(o.name);
    return {
      kind: 'storage#object',
      id: `${o.bucket}/${o.name}/${o.generation}`,
      name: o.name,
      bucket: o.bucket,
      selfLink: `${endpoint}/storage/v1/b/${o.bucket}/o/${enc}`,
      mediaLink: `${endpoint}/download/storage/v1/b/${o.bucket}/o/${enc}?generation=${o.generation}&alt=media`,
      generation: o.generation,
      metageneration: String(o.metageneration),
      contentType: o.contentType,
      ...(o.contentEncoding ? { contentEncoding: o.contentEncoding } : {}),
      storageClass: 'STANDARD',
      size: String(o.body.length),
      md5Hash: md5B64(o.body),
      crc32c: crc32cB64(o.body),
      etag: `C${o.generation.slice(-6)}${o.metageneration}`,
      timeCreated: o.timeCreated.toISOString(),
      updated: o.updated.toISOString(),
      timeStorageClassUpdated: o.timeCreated.toISOString(),
      ...(o.metadata && Object.keys(o.metadata).length ? { metadata: o.metadata } : {}),
      ...(exp ? { retentionExpirationTime: exp.toISOString() } : {}),
      ...(o.temporaryHold !== undefined ? { temporaryHold: o.temporaryHold } : {}),
      ...(o.eventBasedHold !== undefined ? { eventBasedHold: o.eventBasedHold } : {}),
    };
  }

  function getBucket(name: string): GcsBucket {
    const b = buckets.get(name);
    if (!b) throw new GcsError(404, 'notFound', 'The specified bucket does not exist.');
    return b;
  }
  function getObj(b: GcsBucket, name: string): GcsObject {
    const o = b.objects.get(name);
    if (!o) throw new GcsError(404, 'notFound', `No such object: ${b.name}/${name}`);
    return o;
  }
  /** GCS's refusal to delete or replace an object under retention or a hold. */
  function assertMutable(b: GcsBucket, o: GcsObject, verb: 'deleted' | 'overwritten') {
    if (o.temporaryHold || o.eventBasedHold)
      throw new GcsError(
        403,
        'objectUnderActiveHold',
        `Object '${b.name}/${o.name}' is under active Event-Based hold or Temporary hold and cannot be ${verb}, overwritten or archived until hold is removed.`,
      );
    const exp = expiry(b, o);
    if (exp && exp.getTime() > now().getTime()) {
      throw new GcsError(
        403,
        'retentionPolicyNotMet',
        `Object '${b.name}/${o.name}' is subject to bucket's retention policy or object retention and cannot be deleted or overwritten until ${exp.toISOString()}`,
      );
    }
  }
  function checkGeneration(b: GcsBucket, name: string, q: Record<string, string>) {
    const cur = b.objects.get(name);
    if (q.ifGenerationMatch !== undefined) {
      const want = q.ifGenerationMatch;
      if ((want === '0' && cur) || (want !== '0' && cur?.generation !== want))
        throw new GcsError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
    }
    if (q.ifGenerationNotMatch !== undefined && cur?.generation === q.ifGenerationNotMatch)
      throw new GcsError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
  }

  function storeObject(
    b: GcsBucket,
    name: string,
    body: Buffer,
    meta: Record<string, unknown>,
    q: Record<string, string>,
  ): GcsObject {
    if (!name) throw new GcsError(400, 'required', 'Required');
    checkGeneration(b, name, q);
    const cur = b.objects.get(name);
    if (cur) assertMutable(b, cur, 'overwritten');
    if (typeof meta.md5Hash === 'string' && meta.md5Hash !== md5B64(body))
      throw new GcsError(400, 'invalid', 'Provided MD5 hash does not match calculated MD5 hash.');
    if (typeof meta.crc32c === 'string' && meta.crc32c !== crc32cB64(body))
      throw new GcsError(400, 'invalid', 'Provided CRC32C does not match calculated CRC32C.');
    const t = now();
    const o: GcsObject = {
      name,
      bucket: b.name,
      generation: String(++gen),
      metageneration: 1,
      body,
      contentType: typeof meta.contentType === 'string' ? meta.contentType : 'application/octet-stream',
      ...(typeof meta.contentEncoding === 'string' ? { contentEncoding: meta.contentEncoding } : {}),
      ...(meta.metadata && typeof meta.metadata === 'object'
        ? {
            metadata: Object.fromEntries(
              Object.entries(meta.metadata as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
            ),
          }
        : {}),
      ...(typeof meta.temporaryHold === 'boolean' ? { temporaryHold: meta.temporaryHold } : {}),
      ...(typeof meta.eventBasedHold === 'boolean' ? { eventBasedHold: meta.eventBasedHold } : {}),
      timeCreated: t,
      updated: t,
    };
    b.objects.set(name, o);
    return o;
  }

  /** Splits a multipart/related body into its parts' (headers, body). */
  function multipart(body: Buffer, contentType: string): Array<{ headers: Record<string, string>; body: Buffer }> {
    const m = /boundary="?([^";]+)"?/i.exec(contentType);
    if (!m) throw new GcsError(400, 'invalid', 'multipart upload without a boundary');
    const delim = Buffer.from(`--${m[1]}`);
    const parts: Array<{ headers: Record<string, string>; body: Buffer }> = [];
    let i = body.indexOf(delim);
    while (i >= 0) {
      const start = i + delim.length;
      if (body.subarray(start, start + 2).toString() === '--') break;
      const next = body.indexOf(delim, start);
      if (next < 0) break;
      let part = body.subarray(start, next);
      if (part.subarray(0, 2).toString() === '\r\n') part = part.subarray(2);
      if (part.subarray(part.length - 2).toString() === '\r\n') part = part.subarray(0, part.length - 2);
      const sep = part.indexOf('\r\n\r\n');
      const headText = sep >= 0 ? part.subarray(0, sep).toString('latin1') : '';
      const headers: Record<string, string> = {};
      for (const line of headText.split('\r\n')) {
        const c = line.indexOf(':');
        if (c > 0) headers[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
      }
      parts.push({ headers, body: sep >= 0 ? part.subarray(sep + 4) : part });
      i = next;
    }
    return parts;
  }

  const send = (res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}) => {
    const body = Buffer.from(JSON.stringify(json));
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': String(body.length),
      ...headers,
    });
    res.end(body);
  };
  const sendError = (res: ServerResponse, status: number, reason: string, message: string) =>
    send(res, status, { error: { code: status, message, errors: [{ message, domain: 'global', reason }] } });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = v;
      const method = req.method ?? 'GET';
      const r: GcsRequest = { method, path: url.pathname, query, headers: req.headers, at: Date.now() };
      requests.push(r);
      let mutation: Omit<GcsMutation, 'status' | 'at' | 'request' | 'authorization' | 'reason'> | undefined;
      const finish = (status: number, reason?: string) => {
        if (mutation && hook) {
          hook({
            ...mutation,
            status,
            ...(reason ? { reason } : {}),
            ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
            at: now(),
            request: { method, path: url.pathname, query },
          });
        }
      };
      try {
        const f = failFn?.(r);
        if (f) {
          sendError(res, f.status, f.reason, f.message ?? f.reason);
          return;
        }
        const body = Buffer.concat(chunks);
        pendingMut = undefined;
        mutation = route(method, url.pathname, query, req, res, body);
        finish(res.statusCode);
      } catch (e) {
        // route() sets pendingMut before anything that can refuse, so a refused mutation reaches the hook too.
        mutation = pendingMut;
        if (e instanceof GcsError) {
          sendError(res, e.status, e.reason, e.message);
          finish(e.status, e.reason);
          return;
        }
        sendError(res, 500, 'backendError', (e as Error).message);
        finish(500, 'backendError');
      }
    });
  });

  type Mut = Omit<GcsMutation, 'status' | 'at' | 'request' | 'authorization' | 'reason'> | undefined;
  const bucketMut = (methodName: string, bucket: string): Mut => ({
    methodName,
    bucket,
    resourceName: `projects/_/buckets/${bucket}`,
  });
  const objectMut = (methodName: string, bucket: string, object: string): Mut => ({
    methodName,
    bucket,
    object,
    resourceName: `projects/_/buckets/${bucket}/objects/${object}`,
  });

  /** Answers one request; returns the mutation it was (for the hook), or undefined for reads. A thrown
   *  GcsError is answered by the caller; mutations set pendingMut first so a refusal is reported too. */
  function route(
    method: string,
    path: string,
    q: Record<string, string>,
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
  ): Mut {
    const json = (): Record<string, unknown> => {
      if (!body.length) return {};
      try {
        return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new GcsError(400, 'parseError', 'Parse Error');
      }
    };
    let m: RegExpExecArray | null;

    // Resumable session PUTs: /upload/storage/v1/b/B/o?uploadType=resumable&upload_id=X
    if (path.startsWith('/upload/storage/v1/b/') && q.upload_id && (method === 'PUT' || method === 'POST')) {
      const s = sessions.get(q.upload_id);
      if (!s) throw new GcsError(404, 'notFound', 'No such upload session');
      pendingMut = objectMut('storage.objects.create', s.bucket, s.name);
      const cr = String(req.headers['content-range'] ?? '');
      const rm = /^bytes (\*|(\d+)-(\d+|\*))\/(\d+|\*)$/.exec(cr);
      const total = rm && rm[4] !== '*' ? Number(rm[4]) : undefined;
      if (rm && rm[1] !== '*') {
        const from = Number(rm[2]);
        if (from !== s.received)
          throw new GcsError(400, 'invalid', `Content-Range starts at ${from}, ${s.received} bytes received`);
        s.parts.push(body);
        s.received += body.length;
      } else if (!rm && body.length) {
        s.parts.push(body);
        s.received += body.length;
      }
      const complete = total !== undefined ? s.received >= total : rm ? rm[3] === '*' && rm[1] !== '*' : true;
      if (!complete) {
        res.writeHead(
          308,
          s.received ? { range: `bytes=0-${s.received - 1}`, 'content-length': '0' } : { 'content-length': '0' },
        );
        res.end();
        return undefined; // an incomplete chunk is not yet a mutation
      }
      const b = getBucket(s.bucket);
      const o = storeObject(b, s.name, Buffer.concat(s.parts), s.meta, s.query);
      sessions.delete(q.upload_id);
      send(res, 200, objectResource(o));
      return pendingMut;
    }
    // Uploads: /upload/storage/v1/b/B/o?uploadType=media|multipart|resumable
    if ((m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path)) && method === 'POST') {
      const b = getBucket(decodeURIComponent(m[1]));
      if (q.uploadType === 'resumable') {
        const meta = json();
        const name = String(q.name ?? meta.name ?? '');
        pendingMut = objectMut('storage.objects.create', b.name, name);
        checkGeneration(b, name, q);
        const cur = b.objects.get(name);
        if (cur) assertMutable(b, cur, 'overwritten');
        if (req.headers['x-upload-content-type'] && !meta.contentType)
          meta.contentType = String(req.headers['x-upload-content-type']);
        const id = randomUUID();
        sessions.set(id, { bucket: b.name, name, meta, query: q, parts: [], received: 0 });
        res.writeHead(200, {
          location: `${endpoint}/upload/storage/v1/b/${b.name}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`,
          'content-length': '0',
        });
        res.end();
        return undefined; // the object is created when the session completes
      }
      let meta: Record<string, unknown> = {};
      let data = body;
      if (q.uploadType === 'multipart') {
        const parts = multipart(body, String(req.headers['content-type'] ?? ''));
        if (parts.length < 2)
          throw new GcsError(400, 'invalid', 'multipart upload needs a metadata part and a media part');
        meta = JSON.parse(parts[0].body.toString('utf8')) as Record<string, unknown>;
        data = parts[1].body;
        if (!meta.contentType && parts[1].headers['content-type']) meta.contentType = parts[1].headers['content-type'];
      } else if (req.headers['content-type']) meta.contentType = String(req.headers['content-type']);
      const name = String(q.name ?? meta.name ?? '');
      pendingMut = objectMut('storage.objects.create', b.name, name);
      const o = storeObject(b, name, data, meta, q);
      send(res, 200, objectResource(o));
      return pendingMut;
    }
    // Downloads via mediaLink
    if ((m = /^\/download\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path)) && method === 'GET') {
      const b = getBucket(decodeURIComponent(m[1]));
      download(getObj(b, decodeURIComponent(m[2])), req, res);
      return undefined;
    }
    if (!path.startsWith('/storage/v1/')) throw new GcsError(404, 'notFound', `Not Found: ${path}`);
    const rest = path.slice('/storage/v1'.length);

    if (rest === '/b' && method === 'GET') {
      send(res, 200, { kind: 'storage#buckets', items: [...buckets.values()].map(bucketResource) });
      return undefined;
    }
    if (rest === '/b' && method === 'POST') {
      const meta = json();
      const name = String(meta.name ?? '');
      pendingMut = bucketMut('storage.buckets.create', name);
      if (!name) throw new GcsError(400, 'required', 'Required');
      if (buckets.has(name))
        throw new GcsError(
          409,
          'conflict',
          'Your previous request to create the named bucket succeeded and you already own it.',
        );
      const rp = meta.retentionPolicy as { retentionPeriod?: string | number } | undefined;
      const b = createBucket(name, {
        labels: (meta.labels as Record<string, string>) ?? {},
        ...(rp?.retentionPeriod !== undefined ? { retentionSeconds: Number(rp.retentionPeriod) } : {}),
      });
      if (meta.versioning) b.versioning = meta.versioning as { enabled: boolean };
      send(res, 200, bucketResource(b));
      return pendingMut;
    }
    if ((m = /^\/b\/([^/]+)$/.exec(rest))) {
      const b = getBucket(decodeURIComponent(m[1]));
      if (method === 'GET') {
        send(res, 200, bucketResource(b));
        return undefined;
      }
      if (method === 'PATCH' || method === 'PUT') {
        pendingMut = bucketMut('storage.buckets.update', b.name);
        if (q.ifMetagenerationMatch !== undefined && q.ifMetagenerationMatch !== String(b.metageneration))
          throw new GcsError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
        const meta = json();
        if ('retentionPolicy' in meta) {
          const rp = meta.retentionPolicy as { retentionPeriod?: string | number } | null;
          const cur = b.retentionPolicy;
          if (
            cur?.isLocked &&
            (!rp || rp.retentionPeriod === undefined || Number(rp.retentionPeriod) < cur.retentionPeriod)
          ) {
            throw new GcsError(
              403,
              'forbidden',
              `Cannot remove or reduce the locked retention policy of bucket ${b.name}.`,
            );
          }
          if (!rp || rp.retentionPeriod === undefined || rp.retentionPeriod === null) delete b.retentionPolicy;
          else {
            const secs = Number(rp.retentionPeriod);
            if (!Number.isInteger(secs) || secs < 0 || secs > 3_155_760_000)
              throw new GcsError(400, 'invalid', 'Invalid argument: retentionPeriod');
            b.retentionPolicy = { retentionPeriod: secs, effectiveTime: now(), isLocked: cur?.isLocked ?? false };
          }
        }
        if ('labels' in meta) {
          const labels = meta.labels as Record<string, string | null> | null;
          if (method === 'PUT' || labels === null) b.labels = {};
          for (const [k, v] of Object.entries(labels ?? {})) {
            if (v === null) delete b.labels[k];
            else b.labels[k] = String(v);
          }
        }
        if ('versioning' in meta) b.versioning = meta.versioning as { enabled: boolean };
        if ('iamConfiguration' in meta) b.iamConfiguration = meta.iamConfiguration as Record<string, unknown>;
        b.metageneration++;
        b.updated = now();
        send(res, 200, bucketResource(b));
        return pendingMut;
      }
      if (method === 'DELETE') {
        pendingMut = bucketMut('storage.buckets.delete', b.name);
        if (b.objects.size) throw new GcsError(409, 'conflict', 'The bucket you tried to delete is not empty.');
        buckets.delete(b.name);
        res.writeHead(204);
        res.end();
        return pendingMut;
      }
    }
    if ((m = /^\/b\/([^/]+)\/lockRetentionPolicy$/.exec(rest)) && method === 'POST') {
      const b = getBucket(decodeURIComponent(m[1]));
      pendingMut = bucketMut('storage.buckets.update', b.name);
      if (q.ifMetagenerationMatch === undefined)
        throw new GcsError(400, 'required', 'Required parameter: ifMetagenerationMatch');
      if (q.ifMetagenerationMatch !== String(b.metageneration))
        throw new GcsError(412, 'conditionNotMet', 'At least one of the pre-conditions you specified did not hold.');
      if (!b.retentionPolicy) throw new GcsError(400, 'invalid', `Bucket ${b.name} has no retention policy to lock.`);
      b.retentionPolicy.isLocked = true;
      b.metageneration++;
      b.updated = now();
      send(res, 200, bucketResource(b));
      return pendingMut;
    }
    if ((m = /^\/b\/([^/]+)\/iam$/.exec(rest))) {
      const b = getBucket(decodeURIComponent(m[1]));
      if (method === 'GET') {
        send(res, 200, { kind: 'storage#policy', resourceId: `projects/_/buckets/${b.name}`, ...b.iamPolicy });
        return undefined;
      }
      if (method === 'PUT') {
        pendingMut = bucketMut('storage.setIamPermissions', b.name);
        const p = json() as { bindings?: Array<{ role: string; members: string[] }> };
        b.iamPolicy = {
          bindings: p.bindings ?? [],
          etag: Buffer.from(randomUUID()).toString('base64').slice(0, 8),
          version: 1,
        };
        send(res, 200, { kind: 'storage#policy', resourceId: `projects/_/buckets/${b.name}`, ...b.iamPolicy });
        return pendingMut;
      }
    }
    if ((m = /^\/b\/([^/]+)\/iam\/testPermissions$/.exec(rest)) && method === 'GET') {
      getBucket(decodeURIComponent(m[1]));
      const perms = new URL(`http://x/?${new URLSearchParams(q)}`).searchParams.getAll('permissions');
      send(res, 200, { kind: 'storage#testIamPermissionsResponse', permissions: perms });
      return undefined;
    }
    if ((m = /^\/b\/([^/]+)\/o$/.exec(rest)) && method === 'GET') {
      const b = getBucket(decodeURIComponent(m[1]));
      const prefix = q.prefix ?? '';
      const names = [...b.objects.keys()].filter((n) => n.startsWith(prefix)).sort();
      const items: GcsObject[] = [];
      const prefixes = new Set<string>();
      for (const n of names) {
        if (q.delimiter) {
          const i = n.indexOf(q.delimiter, prefix.length);
          if (i >= 0) {
            prefixes.add(n.slice(0, i + q.delimiter.length));
            continue;
          }
        }
        items.push(b.objects.get(n)!);
      }
      const start = q.pageToken ? Number(Buffer.from(q.pageToken, 'base64').toString()) : 0;
      const size = Number(q.maxResults ?? 1000);
      const page = items.slice(start, start + size);
      send(res, 200, {
        kind: 'storage#objects',
        items: page.map(objectResource),
        ...(prefixes.size ? { prefixes: [...prefixes] } : {}),
        ...(start + size < items.length ? { nextPageToken: Buffer.from(String(start + size)).toString('base64') } : {}),
      });
      return undefined;
    }
    if ((m = /^\/b\/([^/]+)\/o\/(.+)$/.exec(rest))) {
      const b = getBucket(decodeURIComponent(m[1]));
      const name = decodeURIComponent(m[2]);
      if (method === 'GET') {
        const o = getObj(b, name);
        if (q.generation && q.generation !== o.generation)
          throw new GcsError(404, 'notFound', `No such object: ${b.name}/${name}`);
        if (q.alt === 'media') download(o, req, res);
        else send(res, 200, objectResource(o));
        return undefined;
      }
      if (method === 'DELETE') {
        pendingMut = objectMut('storage.objects.delete', b.name, name);
        const o = getObj(b, name);
        checkGeneration(b, name, q);
        assertMutable(b, o, 'deleted');
        b.objects.delete(name);
        res.writeHead(204);
        res.end();
        return pendingMut;
      }
      if (method === 'PATCH' || method === 'PUT') {
        pendingMut = objectMut('storage.objects.update', b.name, name);
        const o = getObj(b, name);
        const meta = json();
        if ('metadata' in meta) {
          const md = meta.metadata as Record<string, string | null> | null;
          if (method === 'PUT' || md === null) o.metadata = {};
          for (const [k, v] of Object.entries(md ?? {})) {
            o.metadata ??= {};
            if (v === null) delete o.metadata[k];
            else o.metadata[k] = String(v);
          }
        }
        if (typeof meta.temporaryHold === 'boolean') o.temporaryHold = meta.temporaryHold;
        if (typeof meta.eventBasedHold === 'boolean') o.eventBasedHold = meta.eventBasedHold;
        if (typeof meta.contentType === 'string') o.contentType = meta.contentType;
        o.metageneration++;
        o.updated = now();
        send(res, 200, objectResource(o));
        return pendingMut;
      }
    }
    throw new GcsError(404, 'notFound', `Not Found: ${method} ${path}`);
  }

  function download(o: GcsObject, req: IncomingMessage, res: ServerResponse) {
    const headers: Record<string, string> = {
      'content-type': o.contentType,
      'x-goog-generation': o.generation,
      'x-goog-metageneration': String(o.metageneration),
      'x-goog-hash': `crc32c=${crc32cB64(o.body)},md5=${md5B64(o.body)}`,
      'x-goog-stored-content-length': String(o.body.length),
      'x-goog-stored-content-encoding': o.contentEncoding ?? 'identity',
      'accept-ranges': 'bytes',
      'last-modified': o.updated.toUTCString(),
    };
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range && (range[1] || range[2])) {
      const size = o.body.length;
      let start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      let end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` });
        res.end();
        return;
      }
      if (end < start) end = start;
      start = Math.max(0, start);
      const part = o.body.subarray(start, end + 1);
      // GCS sends the whole object's hashes with a range; the client does not validate ranges.
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${end}/${size}`,
        'content-length': String(part.length),
      });
      res.end(part);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(o.body.length) });
    res.end(o.body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  endpoint = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  return {
    endpoint,
    buckets,
    requests,
    createBucket,
    objectResource,
    putObject(bucket, name, body, o = {}) {
      const b = getBucket(bucket);
      const t = o.timeCreated ?? now();
      const obj: GcsObject = {
        name,
        bucket,
        generation: String(++gen),
        metageneration: 1,
        body: Buffer.isBuffer(body) ? body : Buffer.from(body),
        contentType: o.contentType ?? 'application/octet-stream',
        ...(o.metadata ? { metadata: o.metadata } : {}),
        timeCreated: t,
        updated: t,
      };
      b.objects.set(name, obj);
      return obj;
    },
    getObject: (bucket, name) => buckets.get(bucket)?.objects.get(name),
    onMutation(fn) {
      hook = fn;
    },
    failOn(fn) {
      failFn = fn;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
