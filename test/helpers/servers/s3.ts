// A local S3 server for tests: node:http on 127.0.0.1, speaking the S3 REST API (path-style
// addressing: http://127.0.0.1:PORT/<bucket>/<key>) with in-memory buckets, so the real
// @aws-sdk/client-s3 (forcePathStyle: true, any credentials) is exercised without AWS.
//
// What it speaks:
//   Buckets  CreateBucket (x-amz-bucket-object-lock-enabled: true turns on versioning + Object Lock),
//            Put/GetBucketVersioning, ListObjectsV2 (prefix, delimiter → CommonPrefixes, max-keys
//            default 1000, continuation-token paging, start-after, encoding-type=url),
//            ListObjectVersions (prefix only, no paging), Put/Get/DeleteBucketLifecycleConfiguration
//            (the XML is stored and returned as sent), Put/GetObjectLockConfiguration.
//   Objects  PutObject (x-amz-meta-* user metadata, Content-Type/Encoding, Content-MD5 checked →
//            BadDigest, If-None-Match: * → 412 PreconditionFailed when the key exists, aws-chunked
//            bodies as the SDK sends them decoded, x-amz-object-lock-mode + -retain-until-date and
//            x-amz-object-lock-legal-hold), GetObject (Range: bytes=a-b, a-, -n → 206/416; versionId; If-Match → 412),
//            HeadObject (ETag = quoted MD5, x-amz-meta-*, lock headers), DeleteObject (versionId),
//            Get/PutObjectRetention, GetObjectLegalHold. No CopyObject, multipart, ACLs or policies.
//   Errors   S3's XML error bodies (<Error><Code>…</Code><Message>…</Message>…</Error>); HEAD errors
//            have no body, as in S3.
//
// What it ENFORCES (as S3 does):
//   - Object Lock needs a versioned bucket; lock headers on a bucket without Object Lock → 400
//     InvalidRequest; a retain-until date in the past → 400 InvalidArgument; mode and date together.
//   - A bucket's default retention (ObjectLockConfiguration Rule) applies to new versions that carry
//     no lock headers.
//   - DeleteObject of a VERSION (versionId) under active retention is refused: COMPLIANCE always
//     (403 AccessDenied), GOVERNANCE unless x-amz-bypass-governance-retention: true; a legal hold
//     refuses it too. PutObjectRetention may not shorten or weaken COMPLIANCE retention (403), nor
//     GOVERNANCE without the bypass header.
//   - Overwriting or deleting a KEY in a versioned (so every Object Lock) bucket does NOT destroy a
//     locked version, exactly like S3: PutObject adds a new version, DeleteObject without versionId
//     adds a delete marker; the locked version stays readable by versionId. S3 does not refuse such
//     an overwrite, so neither does this server; a writer that must not overwrite sends
//     If-None-Match: * (refused with 412 PreconditionFailed when the key exists, as S3 does).
//   - slowDown(n): the next n requests are answered 503 SlowDown (the SDK retries them);
//     failOn(fn): a test-chosen request gets a chosen error, or its body is cut after N bytes.
// Signatures are not checked (requests are recorded with their Authorization header instead).
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface S3Version {
  key: string;
  versionId: string;
  body: Buffer;
  etag: string; // quoted MD5 hex, as S3 returns it for single-part uploads
  lastModified: Date;
  meta: Record<string, string>; // user metadata, lower-case names without x-amz-meta-
  contentType: string;
  contentEncoding?: string;
  deleteMarker: boolean;
  retention?: { mode: 'COMPLIANCE' | 'GOVERNANCE'; until: Date };
  legalHold?: boolean;
}

export interface S3Bucket {
  name: string;
  versioning?: 'Enabled' | 'Suspended';
  objectLock?: { enabled: true; rule?: { mode: 'COMPLIANCE' | 'GOVERNANCE'; days?: number; years?: number } };
  lifecycle?: string;
  /** key → versions, oldest first; the last one is current. */
  keys: Map<string, S3Version[]>;
}

export interface S3Request {
  method: string;
  path: string;
  bucket: string;
  key: string;
  query: Record<string, string>;
  headers: IncomingMessage['headers'];
  at: number;
}

export type S3Failure = { status: number; code: string; message?: string } | { cutAfterBytes: number };

export interface S3Server {
  endpoint: string;
  buckets: Map<string, S3Bucket>;
  requests: S3Request[];
  /** Creates a bucket directly (objectLock: versioning + Object Lock enabled). */
  createBucket(name: string, opts?: { objectLock?: boolean; versioning?: boolean }): S3Bucket;
  /** Stores an object directly (no HTTP), as if PutObject had been called. Returns the version. */
  putObject(
    bucket: string,
    key: string,
    body: Buffer | string,
    opts?: {
      meta?: Record<string, string>;
      contentType?: string;
      contentEncoding?: string;
      lastModified?: Date;
      retention?: S3Version['retention'];
    },
  ): S3Version;
  /** The current (latest, non-delete-marker) version of a key, if any. */
  getObject(bucket: string, key: string): S3Version | undefined;
  /** Removes a key and all its versions directly (tests simulating tampering by someone with root). */
  removeObject(bucket: string, key: string): void;
  /** The next n requests are answered 503 SlowDown. */
  slowDown(n: number): void;
  /** Requests for which fn returns a failure get it instead of their normal answer. */
  failOn(fn: ((r: S3Request) => S3Failure | undefined) | undefined): void;
  stop(): Promise<void>;
}

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function tag(name: string, v: string | number | boolean | undefined): string {
  return v === undefined ? '' : `<${name}>${xmlEscape(String(v))}</${name}>`;
}

/** The text of the first <name>…</name> in a (simple) XML document. */
function xmlText(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`).exec(xml);
  return m
    ? m[1]
        .trim()
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'")
        .replace(/&amp;/g, '&')
    : undefined;
}

/** Decodes an aws-chunked body (size[;chunk-signature=…]\r\n data \r\n … 0\r\n trailers \r\n\r\n). */
function decodeAwsChunked(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) throw new Error('aws-chunked: missing chunk header');
    const size = parseInt(buf.subarray(i, eol).toString('latin1').split(';')[0], 16);
    if (!Number.isFinite(size)) throw new Error('aws-chunked: bad chunk size');
    if (size === 0) break;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

export async function startS3(opts: { now?: () => Date } = {}): Promise<S3Server> {
  const now = opts.now ?? (() => new Date());
  const buckets = new Map<string, S3Bucket>();
  const requests: S3Request[] = [];
  let slow = 0;
  let failFn: ((r: S3Request) => S3Failure | undefined) | undefined;
  let seq = 0;

  const newVersionId = (b: S3Bucket) =>
    b.versioning === 'Enabled' ? `v${String(++seq).padStart(8, '0')}-${randomUUID().slice(0, 8)}` : 'null';
  const current = (b: S3Bucket, key: string): S3Version | undefined => {
    const vs = b.keys.get(key);
    const last = vs?.[vs.length - 1];
    return last && !last.deleteMarker ? last : undefined;
  };
  const locked = (v: S3Version, t: Date) =>
    v.retention && v.retention.until.getTime() > t.getTime() ? v.retention.mode : undefined;

  function store(b: S3Bucket, key: string, v: Omit<S3Version, 'versionId' | 'key'>): S3Version {
    const full: S3Version = { ...v, key, versionId: newVersionId(b) };
    if (!full.deleteMarker && !full.retention && b.objectLock?.rule) {
      const r = b.objectLock.rule;
      const until = new Date(full.lastModified.getTime() + ((r.days ?? 0) + (r.years ?? 0) * 365) * 86400_000);
      full.retention = { mode: r.mode, until };
    }
    const vs = b.keys.get(key) ?? [];
    if (b.versioning === 'Enabled') vs.push(full);
    else {
      // Unversioned (or suspended): the 'null' version is replaced; other versions stay.
      const keep = vs.filter((x) => x.versionId !== 'null');
      keep.push(full);
      vs.length = 0;
      vs.push(...keep);
    }
    b.keys.set(key, vs);
    return full;
  }

  function createBucket(name: string, o: { objectLock?: boolean; versioning?: boolean } = {}): S3Bucket {
    const b: S3Bucket = {
      name,
      keys: new Map(),
      ...(o.objectLock || o.versioning ? { versioning: 'Enabled' as const } : {}),
      ...(o.objectLock ? { objectLock: { enabled: true as const } } : {}),
    };
    buckets.set(name, b);
    return b;
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (e) {
        sendError(res, req.method === 'HEAD', 500, 'InternalError', (e as Error).message);
      }
    });
  });

  function sendXml(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}) {
    const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
    res.writeHead(status, {
      'content-type': 'application/xml',
      'content-length': String(body.length),
      'x-amz-request-id': randomUUID(),
      ...headers,
    });
    res.end(body);
  }
  function sendError(
    res: ServerResponse,
    head: boolean,
    status: number,
    code: string,
    message: string,
    extra: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) {
    if (head) {
      res.writeHead(status, { 'x-amz-request-id': randomUUID(), ...headers });
      res.end();
      return;
    }
    const fields = Object.entries(extra)
      .map(([k, v]) => tag(k, v))
      .join('');
    sendXml(
      res,
      status,
      `<Error>${tag('Code', code)}${tag('Message', message)}${fields}${tag('RequestId', randomUUID())}</Error>`,
      headers,
    );
  }

  function objectHeaders(v: S3Version): Record<string, string> {
    const h: Record<string, string> = {
      etag: v.etag,
      'last-modified': v.lastModified.toUTCString(),
      'content-type': v.contentType,
      'accept-ranges': 'bytes',
      'x-amz-version-id': v.versionId,
    };
    if (v.contentEncoding) h['content-encoding'] = v.contentEncoding;
    for (const [k, val] of Object.entries(v.meta)) h[`x-amz-meta-${k}`] = val;
    if (v.retention) {
      h['x-amz-object-lock-mode'] = v.retention.mode;
      h['x-amz-object-lock-retain-until-date'] = v.retention.until.toISOString();
    }
    if (v.legalHold !== undefined) h['x-amz-object-lock-legal-hold'] = v.legalHold ? 'ON' : 'OFF';
    return h;
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer) {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    const segs = url.pathname.split('/');
    const bucketName = decodeURIComponent(segs[1] ?? '');
    const key = segs.slice(2).map(decodeURIComponent).join('/');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const r: S3Request = {
      method,
      path: url.pathname,
      bucket: bucketName,
      key,
      query,
      headers: req.headers,
      at: Date.now(),
    };
    requests.push(r);
    const resource = url.pathname;

    if (slow > 0) {
      slow--;
      sendError(res, head, 503, 'SlowDown', 'Please reduce your request rate.', { Resource: resource });
      return;
    }
    const f = failFn?.(r);
    if (f && 'status' in f) {
      sendError(res, head, f.status, f.code, f.message ?? f.code, { Resource: resource });
      return;
    }

    if (!bucketName) {
      sendError(res, head, 400, 'InvalidRequest', 'this server needs path-style addressing (forcePathStyle: true)');
      return;
    }
    const b = buckets.get(bucketName);

    // ---- bucket-level operations ----
    if (!key) {
      if (method === 'PUT' && Object.keys(query).filter((k) => k !== 'x-id').length === 0) {
        if (b) {
          sendError(
            res,
            head,
            409,
            'BucketAlreadyOwnedByYou',
            'Your previous request to create the named bucket succeeded and you already own it.',
            { BucketName: bucketName },
          );
          return;
        }
        createBucket(bucketName, {
          objectLock: String(req.headers['x-amz-bucket-object-lock-enabled'] ?? '').toLowerCase() === 'true',
        });
        res.writeHead(200, { location: `/${bucketName}` });
        res.end();
        return;
      }
      if (!b) {
        sendError(res, head, 404, 'NoSuchBucket', 'The specified bucket does not exist', {
          BucketName: bucketName,
          Resource: resource,
        });
        return;
      }
      if (method === 'HEAD') {
        res.writeHead(200);
        res.end();
        return;
      }
      const body = raw.toString('utf8');
      if ('versioning' in query) {
        if (method === 'PUT') {
          const status = xmlText(body, 'Status');
          if (status !== 'Enabled' && status !== 'Suspended') {
            sendError(
              res,
              false,
              400,
              'MalformedXML',
              'The XML you provided was not well-formed or did not validate against our published schema',
            );
            return;
          }
          if (status === 'Suspended' && b.objectLock) {
            sendError(
              res,
              false,
              409,
              'InvalidBucketState',
              'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.',
            );
            return;
          }
          b.versioning = status;
          res.writeHead(200);
          res.end();
          return;
        }
        sendXml(
          res,
          200,
          `<VersioningConfiguration xmlns="${NS}">${tag('Status', b.versioning)}</VersioningConfiguration>`,
        );
        return;
      }
      if ('object-lock' in query) {
        if (method === 'PUT') {
          if (b.versioning !== 'Enabled') {
            sendError(
              res,
              false,
              409,
              'InvalidBucketState',
              "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
            );
            return;
          }
          if (xmlText(body, 'ObjectLockEnabled') !== 'Enabled') {
            sendError(res, false, 400, 'MalformedXML', 'ObjectLockEnabled must be Enabled');
            return;
          }
          const mode = xmlText(body, 'Mode');
          const days = xmlText(body, 'Days');
          const years = xmlText(body, 'Years');
          let rule: NonNullable<S3Bucket['objectLock']>['rule'];
          if (mode !== undefined) {
            if (mode !== 'COMPLIANCE' && mode !== 'GOVERNANCE') {
              sendError(res, false, 400, 'MalformedXML', `unknown retention mode ${mode}`);
              return;
            }
            if ((days === undefined) === (years === undefined)) {
              sendError(res, false, 400, 'MalformedXML', 'DefaultRetention needs exactly one of Days or Years');
              return;
            }
            const n = Number(days ?? years);
            if (!Number.isInteger(n) || n <= 0) {
              sendError(
                res,
                false,
                400,
                'InvalidArgument',
                'Default retention period must be a positive integer value',
              );
              return;
            }
            rule = { mode, ...(days !== undefined ? { days: n } : { years: n }) };
          }
          b.objectLock = { enabled: true, ...(rule ? { rule } : {}) };
          res.writeHead(200);
          res.end();
          return;
        }
        if (!b.objectLock) {
          sendError(
            res,
            false,
            404,
            'ObjectLockConfigurationNotFoundError',
            'Object Lock configuration does not exist for this bucket',
            { BucketName: bucketName },
          );
          return;
        }
        const rule = b.objectLock.rule;
        sendXml(
          res,
          200,
          `<ObjectLockConfiguration xmlns="${NS}"><ObjectLockEnabled>Enabled</ObjectLockEnabled>${rule ? `<Rule><DefaultRetention>${tag('Mode', rule.mode)}${tag('Days', rule.days)}${tag('Years', rule.years)}</DefaultRetention></Rule>` : ''}</ObjectLockConfiguration>`,
        );
        return;
      }
      if ('lifecycle' in query) {
        if (method === 'PUT') {
          if (!/<LifecycleConfiguration[\s>]/.test(body) || !/<Rule>/.test(body)) {
            sendError(
              res,
              false,
              400,
              'MalformedXML',
              'The XML you provided was not well-formed or did not validate against our published schema',
            );
            return;
          }
          b.lifecycle = body;
          res.writeHead(200);
          res.end();
          return;
        }
        if (method === 'DELETE') {
          delete b.lifecycle;
          res.writeHead(204);
          res.end();
          return;
        }
        if (b.lifecycle === undefined) {
          sendError(res, false, 404, 'NoSuchLifecycleConfiguration', 'The lifecycle configuration does not exist', {
            BucketName: bucketName,
          });
          return;
        }
        const xml = b.lifecycle.replace(/^\s*<\?xml[^>]*\?>\s*/, '');
        sendXml(res, 200, xml);
        return;
      }
      if ('versions' in query && method === 'GET') {
        const prefix = query.prefix ?? '';
        const items: string[] = [];
        for (const k of [...b.keys.keys()].sort()) {
          if (!k.startsWith(prefix)) continue;
          const vs = b.keys.get(k) ?? [];
          vs.forEach((v, i) => {
            const latest = i === vs.length - 1;
            items.push(
              v.deleteMarker
                ? `<DeleteMarker>${tag('Key', k)}${tag('VersionId', v.versionId)}${tag('IsLatest', latest)}${tag('LastModified', v.lastModified.toISOString())}</DeleteMarker>`
                : `<Version>${tag('Key', k)}${tag('VersionId', v.versionId)}${tag('IsLatest', latest)}${tag('LastModified', v.lastModified.toISOString())}${tag('ETag', v.etag)}${tag('Size', v.body.length)}<StorageClass>STANDARD</StorageClass></Version>`,
            );
          });
        }
        sendXml(
          res,
          200,
          `<ListVersionsResult xmlns="${NS}">${tag('Name', bucketName)}${tag('Prefix', prefix)}<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${items.join('')}</ListVersionsResult>`,
        );
        return;
      }
      if (method === 'GET' && query['list-type'] === '2') {
        listV2(res, b, query);
        return;
      }
      if (method === 'DELETE' && Object.keys(query).length === 0) {
        if (b.keys.size > 0) {
          sendError(res, false, 409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', {
            BucketName: bucketName,
          });
          return;
        }
        buckets.delete(bucketName);
        res.writeHead(204);
        res.end();
        return;
      }
      sendError(res, head, 501, 'NotImplemented', `this test server does not implement ${method} ${req.url}`);
      return;
    }

    // ---- object-level operations ----
    if (!b) {
      sendError(res, head, 404, 'NoSuchBucket', 'The specified bucket does not exist', {
        BucketName: bucketName,
        Resource: resource,
      });
      return;
    }
    const versionId = query.versionId;
    const findVersion = (): S3Version | undefined => {
      const vs = b!.keys.get(key);
      return versionId !== undefined ? vs?.find((v) => v.versionId === versionId) : current(b!, key);
    };
    const bypass = String(req.headers['x-amz-bypass-governance-retention'] ?? '').toLowerCase() === 'true';

    if ('retention' in query) {
      const v = findVersion();
      if (!v) {
        sendError(
          res,
          false,
          404,
          versionId ? 'NoSuchVersion' : 'NoSuchKey',
          versionId ? 'The specified version does not exist.' : 'The specified key does not exist.',
          { Key: key },
        );
        return;
      }
      if (!b.objectLock) {
        sendError(res, false, 400, 'InvalidRequest', 'Bucket is missing Object Lock Configuration');
        return;
      }
      if (method === 'PUT') {
        const body = raw.toString('utf8');
        const mode = xmlText(body, 'Mode');
        const untilS = xmlText(body, 'RetainUntilDate');
        if ((mode !== 'COMPLIANCE' && mode !== 'GOVERNANCE') || !untilS || Number.isNaN(Date.parse(untilS))) {
          sendError(
            res,
            false,
            400,
            'MalformedXML',
            'Retention needs Mode (COMPLIANCE|GOVERNANCE) and RetainUntilDate',
          );
          return;
        }
        const until = new Date(untilS);
        if (until.getTime() <= now().getTime()) {
          sendError(res, false, 400, 'InvalidArgument', 'The retain until date must be in the future!');
          return;
        }
        const active = locked(v, now());
        const weaker =
          v.retention &&
          (until.getTime() < v.retention.until.getTime() ||
            (v.retention.mode === 'COMPLIANCE' && mode === 'GOVERNANCE'));
        if (active === 'COMPLIANCE' && weaker) {
          sendError(res, false, 403, 'AccessDenied', 'Access Denied because object protected by object lock.');
          return;
        }
        if (active === 'GOVERNANCE' && weaker && !bypass) {
          sendError(res, false, 403, 'AccessDenied', 'Access Denied because object protected by object lock.');
          return;
        }
        v.retention = { mode, until };
        res.writeHead(200);
        res.end();
        return;
      }
      if (!v.retention) {
        sendError(
          res,
          false,
          404,
          'NoSuchObjectLockConfiguration',
          'The specified object does not have a ObjectLock configuration',
        );
        return;
      }
      sendXml(
        res,
        200,
        `<Retention xmlns="${NS}">${tag('Mode', v.retention.mode)}${tag('RetainUntilDate', v.retention.until.toISOString())}</Retention>`,
      );
      return;
    }
    if ('legal-hold' in query) {
      const v = findVersion();
      if (!v) {
        sendError(res, false, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
        return;
      }
      if (method === 'PUT') {
        v.legalHold = xmlText(raw.toString('utf8'), 'Status') === 'ON';
        res.writeHead(200);
        res.end();
        return;
      }
      if (v.legalHold === undefined) {
        sendError(
          res,
          false,
          404,
          'NoSuchObjectLockConfiguration',
          'The specified object does not have a ObjectLock configuration',
        );
        return;
      }
      sendXml(res, 200, `<LegalHold xmlns="${NS}">${tag('Status', v.legalHold ? 'ON' : 'OFF')}</LegalHold>`);
      return;
    }

    if (method === 'GET' || method === 'HEAD') {
      const v = findVersion();
      if (!v) {
        const vs = b.keys.get(key);
        const marker = versionId === undefined && vs?.[vs.length - 1]?.deleteMarker;
        if (versionId !== undefined && vs) {
          sendError(res, head, 404, 'NoSuchVersion', 'The specified version does not exist.', {
            Key: key,
            VersionId: versionId,
          });
          return;
        }
        sendError(
          res,
          head,
          404,
          'NoSuchKey',
          'The specified key does not exist.',
          { Key: key, Resource: resource },
          marker ? { 'x-amz-delete-marker': 'true' } : {},
        );
        return;
      }
      const ifMatch = req.headers['if-match'];
      if (
        ifMatch &&
        ifMatch !== '*' &&
        !ifMatch
          .split(',')
          .map((x) => x.trim())
          .includes(v.etag)
      ) {
        sendError(
          res,
          head,
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          { Condition: 'If-Match' },
        );
        return;
      }
      const h = objectHeaders(v);
      const total = v.body.length;
      let start = 0;
      let end = total - 1;
      let status = 200;
      const range = req.headers.range;
      if (range) {
        const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
        if (m && (m[1] !== '' || m[2] !== '')) {
          if (m[1] === '') {
            start = Math.max(0, total - Number(m[2]));
            end = total - 1;
          } else {
            start = Number(m[1]);
            end = m[2] === '' ? total - 1 : Math.min(Number(m[2]), total - 1);
          }
          if (start >= total || start > end) {
            sendError(
              res,
              head,
              416,
              'InvalidRange',
              'The requested range is not satisfiable',
              { RangeRequested: range, ActualObjectSize: String(total) },
              { 'content-range': `bytes */${total}` },
            );
            return;
          }
          status = 206;
          h['content-range'] = `bytes ${start}-${end}/${total}`;
        }
      }
      const slice = v.body.subarray(start, end + 1);
      h['content-length'] = String(slice.length);
      res.writeHead(status, h);
      if (head) {
        res.end();
        return;
      }
      if (f && 'cutAfterBytes' in f) {
        // The connection drops mid-body (what a reset looks like to the client).
        res.write(slice.subarray(0, f.cutAfterBytes), () => res.destroy());
        return;
      }
      res.end(slice);
      return;
    }

    if (method === 'PUT') {
      if (req.headers['x-amz-copy-source']) {
        sendError(res, false, 501, 'NotImplemented', 'CopyObject is not implemented by this test server');
        return;
      }
      let body = raw;
      const sha = String(req.headers['x-amz-content-sha256'] ?? '');
      if (/aws-chunked/.test(String(req.headers['content-encoding'] ?? '')) || sha.startsWith('STREAMING-'))
        body = decodeAwsChunked(raw);
      const md5 = req.headers['content-md5'];
      if (md5 && createHash('md5').update(body).digest('base64') !== md5) {
        sendError(res, false, 400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
        return;
      }
      if (req.headers['if-none-match'] === '*' && current(b, key)) {
        sendError(
          res,
          false,
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
          { Condition: 'If-None-Match' },
        );
        return;
      }
      const meta: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (k.startsWith('x-amz-meta-') && typeof v === 'string') meta[k.slice('x-amz-meta-'.length)] = v;
      const mode = req.headers['x-amz-object-lock-mode'] as string | undefined;
      const untilS = req.headers['x-amz-object-lock-retain-until-date'] as string | undefined;
      const hold = req.headers['x-amz-object-lock-legal-hold'] as string | undefined;
      let retention: S3Version['retention'];
      if (mode !== undefined || untilS !== undefined || hold !== undefined) {
        if (!b.objectLock) {
          sendError(res, false, 400, 'InvalidRequest', 'Bucket is missing Object Lock Configuration');
          return;
        }
        if ((mode === undefined) !== (untilS === undefined)) {
          sendError(
            res,
            false,
            400,
            'InvalidArgument',
            'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied',
          );
          return;
        }
        if (mode !== undefined && untilS !== undefined) {
          if (mode !== 'COMPLIANCE' && mode !== 'GOVERNANCE') {
            sendError(res, false, 400, 'InvalidArgument', 'Unknown wormMode directive.');
            return;
          }
          const until = new Date(untilS);
          if (Number.isNaN(until.getTime())) {
            sendError(res, false, 400, 'InvalidArgument', 'The retain until date must be a valid ISO 8601 date');
            return;
          }
          if (until.getTime() <= now().getTime()) {
            sendError(res, false, 400, 'InvalidArgument', 'The retain until date must be in the future!');
            return;
          }
          retention = { mode, until };
        }
      }
      const encoding = String(req.headers['content-encoding'] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s && s !== 'aws-chunked')
        .join(', ');
      const v = store(b, key, {
        body,
        etag: `"${createHash('md5').update(body).digest('hex')}"`,
        lastModified: now(),
        meta,
        contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
        ...(encoding ? { contentEncoding: encoding } : {}),
        deleteMarker: false,
        ...(retention ? { retention } : {}),
        ...(hold !== undefined ? { legalHold: hold === 'ON' } : {}),
      });
      res.writeHead(200, { etag: v.etag, ...(b.versioning ? { 'x-amz-version-id': v.versionId } : {}) });
      res.end();
      return;
    }

    if (method === 'DELETE') {
      if (versionId !== undefined) {
        const vs = b.keys.get(key) ?? [];
        const i = vs.findIndex((v) => v.versionId === versionId);
        if (i < 0) {
          res.writeHead(204, { 'x-amz-version-id': versionId });
          res.end();
          return;
        }
        const v = vs[i];
        const active = locked(v, now());
        if (v.legalHold || active === 'COMPLIANCE' || (active === 'GOVERNANCE' && !bypass)) {
          sendError(res, false, 403, 'AccessDenied', 'Access Denied because object protected by object lock.', {
            Key: key,
            VersionId: versionId,
          });
          return;
        }
        vs.splice(i, 1);
        if (vs.length === 0) b.keys.delete(key);
        res.writeHead(204, {
          'x-amz-version-id': versionId,
          ...(v.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
        });
        res.end();
        return;
      }
      if (b.versioning === 'Enabled') {
        const m = store(b, key, {
          body: Buffer.alloc(0),
          etag: '',
          lastModified: now(),
          meta: {},
          contentType: '',
          deleteMarker: true,
        });
        res.writeHead(204, { 'x-amz-version-id': m.versionId, 'x-amz-delete-marker': 'true' });
        res.end();
        return;
      }
      const vs = b.keys.get(key);
      if (vs) {
        const keep = vs.filter((x) => x.versionId !== 'null');
        if (keep.length) b.keys.set(key, keep);
        else b.keys.delete(key);
      }
      res.writeHead(204);
      res.end();
      return;
    }
    sendError(res, false, 501, 'NotImplemented', `this test server does not implement ${method} on objects`);
  }

  function listV2(res: ServerResponse, b: S3Bucket, q: Record<string, string>) {
    const prefix = q.prefix ?? '';
    const delimiter = q.delimiter ?? '';
    const maxKeys = q['max-keys'] !== undefined ? Number(q['max-keys']) : 1000;
    if (!Number.isInteger(maxKeys) || maxKeys < 0) {
      sendError(res, false, 400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
      return;
    }
    const urlEnc = q['encoding-type'] === 'url';
    const enc = (s: string) => (urlEnc ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
    let after = q['start-after'] ?? '';
    let skipPrefix = '';
    if (q['continuation-token'] !== undefined) {
      try {
        const t = JSON.parse(Buffer.from(q['continuation-token'], 'base64url').toString('utf8')) as {
          a: string;
          p: string;
        };
        after = t.a;
        skipPrefix = t.p;
      } catch {
        sendError(res, false, 400, 'InvalidArgument', 'The continuation token provided is incorrect');
        return;
      }
    }
    const keys = [...b.keys.keys()].filter((k) => k.startsWith(prefix) && current(b, k)).sort();
    const contents: string[] = [];
    const prefixes: string[] = [];
    let lastPrefix = '';
    let last = { a: '', p: '' };
    let truncated = false;
    let count = 0;
    for (const k of keys) {
      if (k <= after) continue;
      if (skipPrefix && k.startsWith(skipPrefix)) continue;
      let cp = '';
      if (delimiter) {
        const j = k.indexOf(delimiter, prefix.length);
        if (j >= 0) cp = k.slice(0, j + delimiter.length);
      }
      if (cp && cp === lastPrefix) continue;
      if (count >= maxKeys) {
        truncated = true;
        break;
      }
      count++;
      if (cp) {
        lastPrefix = cp;
        prefixes.push(`<CommonPrefixes>${tag('Prefix', enc(cp))}</CommonPrefixes>`);
        last = { a: k, p: cp };
      } else {
        const v = current(b, k)!;
        contents.push(
          `<Contents>${tag('Key', enc(k))}${tag('LastModified', v.lastModified.toISOString())}${tag('ETag', v.etag)}${tag('Size', v.body.length)}<StorageClass>STANDARD</StorageClass></Contents>`,
        );
        last = { a: k, p: '' };
      }
    }
    const next = truncated ? Buffer.from(JSON.stringify(last)).toString('base64url') : undefined;
    sendXml(
      res,
      200,
      `<ListBucketResult xmlns="${NS}">${tag('Name', b.name)}${tag('Prefix', enc(prefix))}${delimiter ? tag('Delimiter', enc(delimiter)) : ''}${tag('MaxKeys', maxKeys)}${tag('KeyCount', count)}${tag('IsTruncated', truncated)}${q['continuation-token'] !== undefined ? tag('ContinuationToken', q['continuation-token']) : ''}${next ? tag('NextContinuationToken', next) : ''}${q['start-after'] !== undefined ? tag('StartAfter', enc(q['start-after'])) : ''}${urlEnc ? '<EncodingType>url</EncodingType>' : ''}${contents.join('')}${prefixes.join('')}</ListBucketResult>`,
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    buckets,
    requests,
    createBucket,
    putObject(bucket, key, body, o = {}) {
      const b = buckets.get(bucket) ?? createBucket(bucket);
      const buf = typeof body === 'string' ? Buffer.from(body) : body;
      return store(b, key, {
        body: buf,
        etag: `"${createHash('md5').update(buf).digest('hex')}"`,
        lastModified: o.lastModified ?? now(),
        meta: Object.fromEntries(Object.entries(o.meta ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
        contentType: o.contentType ?? 'binary/octet-stream',
        ...(o.contentEncoding ? { contentEncoding: o.contentEncoding } : {}),
        deleteMarker: false,
        ...(o.retention ? { retention: o.retention } : {}),
      });
    },
    getObject(bucket, key) {
      const b = buckets.get(bucket);
      return b ? current(b, key) : undefined;
    },
    removeObject(bucket, key) {
      buckets.get(bucket)?.keys.delete(key);
    },
    slowDown(n) {
      slow = n;
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
