// Live source `cloudtrail-s3`: a CloudTrail trail (organization or account trail) as CloudTrail
// delivers it to S3, read with @aws-sdk/client-s3 and the standard AWS credential chain.
//
//   - Lists only the date prefixes of the period, plus an hour before and after (delivery lags
//     the events by up to about 15 minutes, and a file holds events of up to an hour before its
//     name's time): AWSLogs/[<org>/]<account>/CloudTrail/<region>/YYYY/MM/DD/.
//   - Reads objects with bounded concurrency (reads run ahead into a bounded buffer; outcomes come
//     out in key order), gunzips as it streams, resumes a body cut mid-way with a Range request
//     pinned to the listed ETag, and retries throttling (503 SlowDown) with backoff, counted.
//   - Records per object its key, ETag, size, the SHA-256 of the object and of its uncompressed
//     bytes (raw/<source>/objects.jsonl).
//   - Validates CloudTrail's digest chain (CloudTrail-Digest/, signatures from S3 object metadata,
//     public keys from cloudtrail:ListPublicKeys) and keeps what the check needs in the bundle
//     (integrity/<source>/), so that `verify` runs the same check offline.
//   - On a failure: status partial, with the last key reached.
import { createGunzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import type { LiveSourceOpener, SourceConfig } from '../../collect/source.js';
import type { Outcome } from '../../pipeline/types.js';
import { openStream } from '../../pipeline/input.js';
import { normalizeOne } from '../../pipeline/run.js';
import { findAdapter } from '../../sources/registry.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { DEFAULT_RETRY, backoffDelay, sleep, withRetry, type RetryPolicy, awsTransient } from '../pace.js';
import { HOUR, accountsRoot, daysBetween, fileTime } from './layout.js';
import {
  validateDigests,
  keyFingerprint,
  type DigestFile,
  type DigestReport,
  type LogObject,
  type PublicKeyEntry,
} from '../../integrity/cloudtrail-digest.js';
import { digestsFileName, integrityFiles, objectsFileName } from '../../integrity/files.js';
import { DeflatedFile, type DeflatedEntry } from '../../bundle/deflated-file.js';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { summarize } from '../../integrity/summary.js';

export interface CloudTrailS3Config {
  name: string;
  type: 'cloudtrail-s3';
  bucket: string;
  /** Key prefix the trail was configured with (before AWSLogs/). */
  prefix?: string;
  /** Organization trail: the organization id (o-…); the accounts under it are listed unless given. */
  organization_id?: string;
  accounts?: string[];
  regions: string[];
  /** Region of the bucket (default us-east-1). */
  bucket_region?: string;
  profile?: string;
  /** For tests and S3-compatible stores: path-style addressing is used with an endpoint. */
  endpoint?: string;
  /** CloudTrail API endpoint for ListPublicKeys (tests, private endpoints). */
  cloudtrail_endpoint?: string;
  /** Objects read at once (default 8). */
  concurrency?: number;
  /** Validate the digest chain and log file hashes (default true). */
  validate_digests?: boolean;
  retry?: Partial<RetryPolicy>;
}

const transient = (e: unknown): string | null => awsTransient(e, ['EPIPE', 'ECONNREFUSED']);

function describe(e: unknown): string {
  const err = e as Error & { name?: string; Code?: string };
  const name = err.name && err.name !== 'Error' ? err.name : '';
  return name ? `${name}: ${err.message}` : err.message;
}

/** An object as listed. */
interface Listed {
  key: string;
  etag: string;
  size: number;
  lastModified: string | null;
}

/** What collect keeps of each log object read (raw/<source>/objects.jsonl). */
export interface ObjectRecord {
  bucket: string;
  key: string;
  etag: string;
  size: number;
  last_modified: string | null;
  sha256: string | null;
  uncompressed_sha256: string | null;
  records: number;
  error: string | null;
}

/** Pulls an async iterable into a bounded buffer ahead of its reader (bytes, not chunks, bound it). */
function prefetch(src: AsyncIterable<Buffer>, maxBytes: number): AsyncIterable<Buffer> & { cancel(): void } {
  const q: Buffer[] = [];
  let bytes = 0;
  let done = false;
  let error: unknown = null;
  let cancelled = false;
  const wake: { reader: (() => void) | null; writer: (() => void) | null } = { reader: null, writer: null };
  const it = src[Symbol.asyncIterator]();
  void (async () => {
    try {
      for (;;) {
        if (cancelled) break;
        const r = await it.next();
        if (r.done) break;
        q.push(r.value);
        bytes += r.value.length;
        wake.reader?.();
        wake.reader = null;
        while (bytes > maxBytes && !cancelled)
          await new Promise<void>((res) => {
            wake.writer = res;
          });
      }
      if (cancelled) await it.return?.();
    } catch (e) {
      error = e;
    } finally {
      done = true;
      wake.reader?.();
      wake.reader = null;
    }
  })();
  return {
    cancel() {
      cancelled = true;
      wake.writer?.();
      wake.writer = null;
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (q.length) {
          const b = q.shift()!;
          bytes -= b.length;
          if (bytes <= maxBytes) {
            wake.writer?.();
            wake.writer = null;
          }
          yield b;
          continue;
        }
        if (done) {
          if (error) throw error;
          return;
        }
        await new Promise<void>((res) => {
          wake.reader = res;
        });
      }
    },
  };
}

export const openCloudTrailS3: LiveSourceOpener = (cfg: SourceConfig, ctx, summary) => {
  const c = cfg as unknown as CloudTrailS3Config;
  const res = new LiveResult();
  const progress = new ProgressLine(c.name, ctx.progress);
  const policy = { ...DEFAULT_RETRY, ...c.retry };
  const concurrency = Math.max(1, Math.min(64, c.concurrency ?? 8));
  const retries: Record<string, number> = {};
  // Per-object records and digest files are written, compressed, to temporary files as they come
  // (the run's work folder; a folder of our own when run outside collect, as the tests do).
  const work = ctx.workDir ?? mkdtempSync(join(tmpdir(), 'ae-cloudtrail-s3-'));
  const objectsOut = new DeflatedFile(join(work, `${c.name.replace(/[^A-Za-z0-9_.-]/g, '_')}-objects.jsonl.deflate`));
  const digestsOut = new DeflatedFile(join(work, `${c.name.replace(/[^A-Za-z0-9_.-]/g, '_')}-digests.jsonl.deflate`));
  let objectsEntry: DeflatedEntry | null = null;
  let digestsEntry: DeflatedEntry | null = null;
  let objectsRead = 0;
  let bytesRead = 0;
  let digestCount = 0;
  let validated = false;
  const keyRegions = new Set<string>();
  const record = async (o: ObjectRecord): Promise<void> => {
    objectsRead++;
    bytesRead += o.size;
    if (objectsOut.add(`${JSON.stringify(o)}\n`)) await objectsOut.flush();
  };
  let publicKeys: PublicKeyEntry[] = [];
  let report: DigestReport | null = null;
  let scope: { start: string; end: string } | undefined;
  const onRetry = (where: string) => (what: string, attempt: number, delay: number) => {
    retries[what] = (retries[what] ?? 0) + 1;
    progress.update(`${where}: ${what}, retry ${attempt} in ${delay} ms`, true);
  };

  async function* run(): AsyncGenerator<Outcome> {
    const regions = c.regions ?? [];
    if (!c.bucket) {
      res.fail("bucket is empty: name the trail's S3 bucket");
      return;
    }
    if (regions.length === 0) {
      res.fail('regions is empty: name at least one AWS region the trail logs');
      return;
    }
    const adapter = findAdapter('cloudtrail');
    if (!adapter) {
      res.fail('the cloudtrail adapter is not registered');
      return;
    }
    const from = new Date(ctx.since.getTime() - HOUR);
    const to = new Date(ctx.until.getTime() + HOUR);
    const root = accountsRoot(c.prefix, c.organization_id);
    const validate = c.validate_digests !== false;
    res.how =
      `CloudTrail log files in s3://${c.bucket}/${root}<account>/CloudTrail/<region>/YYYY/MM/DD/ for ${regions.join(', ')}, delivered from ${from.toISOString()} to ${to.toISOString()} (the period plus an hour either side), ${concurrency} objects read at once` +
      (validate
        ? '; CloudTrail digest files (CloudTrail-Digest/) and their signatures checked'
        : '; digest validation turned off (validate_digests: false)');
    res.settings = {
      bucket: c.bucket,
      prefix: c.prefix ?? null,
      organization_id: c.organization_id ?? null,
      regions,
      credentials: c.profile ? `profile ${c.profile}` : 'standard AWS credential chain',
      concurrency,
      validate_digests: validate,
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    };
    const s3 = new S3Client({
      region: c.bucket_region ?? 'us-east-1',
      maxAttempts: 1, // retries are ours: counted and reported
      ...(c.profile ? { profile: c.profile } : {}),
      ...(c.endpoint ? { endpoint: c.endpoint, forcePathStyle: true } : {}),
    });
    const pending: Array<AsyncIterable<Buffer> & { cancel(): void }> = [];
    try {
      // 1. Accounts.
      let accounts = c.accounts ?? [];
      if (accounts.length === 0) {
        res.position = `listing accounts under s3://${c.bucket}/${root}`;
        accounts = (await listPrefixes(s3, root))
          .map((p) => p.slice(root.length).replace(/\/$/, ''))
          .filter((a) => /^\d{12}$/.test(a));
        if (accounts.length === 0) {
          res.fail(
            `no account folders (12 digits) under s3://${c.bucket}/${root}: check bucket, prefix and organization_id`,
          );
          return;
        }
      }
      res.settings.accounts = accounts;

      // 2-4, one account and region at a time: list the period's log files (date prefixes only), read
      // them, then read that trail's digests and check them. Memory holds one account and region's
      // listing and hashes, never the whole trail's: per-object records and digest files go to
      // compressed temporary files as they come (the bundle's raw/ and integrity/ files).
      const MAX_AHEAD_BYTES = 8 * 1024 * 1024;
      const unreadable: string[] = [];
      let events = 0;
      let listedTotal = 0;
      let index = 0;
      res.touched = true;
      if (validate) scope = { start: from.toISOString(), end: to.toISOString() };
      const groups: Array<{ account: string; region: string }> = accounts.flatMap((account) =>
        regions.map((region) => ({ account, region })),
      );
      for (const [g, { account, region }] of groups.entries()) {
        const logs: Listed[] = [];
        for (const day of daysBetween(from, to)) {
          const prefix = `${root}${account}/CloudTrail/${region}/${day}/`;
          res.position = `listing s3://${c.bucket}/${prefix}`;
          for (const o of await listObjects(s3, prefix)) {
            const t = fileTime(o.key);
            if (t === null || (t >= from.getTime() && t <= to.getTime())) logs.push(o);
          }
        }
        listedTotal += logs.length;
        progress.update(
          `account ${account}, ${region}: ${logs.length} log files to read (${g + 1} of ${groups.length} account-regions)`,
          true,
        );

        // Read them: `concurrency` objects run ahead, outcomes in key order.
        const read: LogObject[] = [];
        let next = 0;
        const start = () => {
          while (pending.length < concurrency && next < logs.length)
            pending.push(prefetch(objectBytes(s3, logs[next++]), MAX_AHEAD_BYTES));
        };
        for (let i = 0; i < logs.length; i++) {
          start();
          const o = logs[i];
          const body = pending.shift()!;
          start();
          const where = `s3://${c.bucket}/${o.key}`;
          res.position = where;
          const rec: ObjectRecord = {
            bucket: c.bucket,
            key: o.key,
            etag: o.etag,
            size: o.size,
            last_modified: o.lastModified,
            sha256: null,
            uncompressed_sha256: null,
            records: 0,
            error: null,
          };
          const hc = createHash('sha256');
          const hu = createHash('sha256');
          let size = 0;
          let s3Failure: (Error & { cause?: unknown }) | null = null;
          async function* tapped(): AsyncGenerator<Buffer> {
            try {
              for await (const b of body) {
                hc.update(b);
                size += b.length;
                yield b;
              }
            } catch (e) {
              if ((e as { s3?: boolean }).s3) s3Failure = e as Error;
              throw e;
            }
          }
          async function* inflated(): AsyncGenerator<Buffer> {
            if (/\.gz$/.test(o.key)) {
              const src = Readable.from(tapped(), { objectMode: false });
              const gz = createGunzip();
              src.on('error', (e) => gz.destroy(e));
              for await (const d of src.pipe(gz) as AsyncIterable<Buffer>) {
                hu.update(d);
                yield d;
              }
            } else
              for await (const d of tapped()) {
                hu.update(d);
                yield d;
              }
          }
          try {
            const input = await openStream(where, inflated());
            for await (const out of normalizeOne(
              adapter,
              input,
              { format: 'cloudtrail', options: { instance: c.name }, since: ctx.since, until: ctx.until },
              summary,
            )) {
              rec.records++;
              res.count(out);
              if (out.kind === 'event') events++;
              yield out;
              if (ctx.signal?.aborted) {
                await record(rec);
                res.fail('the pull was interrupted');
                return;
              }
            }
            rec.sha256 = hc.digest('hex');
            rec.uncompressed_sha256 = hu.digest('hex');
            if (size !== o.size) rec.error = `read ${size} bytes, listed as ${o.size}`;
          } catch (e) {
            const err = e as Error;
            const f = s3Failure as (Error & { cause?: unknown }) | null;
            if (f) {
              rec.error = describe(f.cause ?? f);
              await record(rec);
              res.fail(
                `reading ${where} failed after ${index} objects had been read (${rec.error}); ${listedTotal} listed so far${g + 1 < groups.length ? `, ${groups.length - g - 1} more account-regions not listed yet` : ''}`,
              );
              return;
            }
            // The object is damaged (not gzip, truncated, not JSON): what it held so far is kept.
            rec.error = err.message;
            unreadable.push(`${where}: ${err.message}`);
          }
          await record(rec);
          read.push({
            bucket: rec.bucket,
            key: rec.key,
            uncompressed_sha256: rec.error ? null : rec.uncompressed_sha256,
          });
          index++;
          progress.update(`${index}/${listedTotal}${g + 1 < groups.length ? '+' : ''} objects, ${events} events`);
        }

        // This account and region's digests, checked against the log files just read.
        if (validate) {
          res.position = 'digest files';
          const digests = await readDigests(s3, root, account, region, from, to);
          await readPublicKeys(digests);
          for (const d of digests) if (digestsOut.add(`${JSON.stringify(d)}\n`)) await digestsOut.flush();
          digestCount += digests.length;
          report = mergeReports(report, validateDigests({ digests, publicKeys, logs: read, scope: scope! }));
        }
      }
      res.settings.objects_listed = listedTotal;
      res.settings.objects_read = objectsRead;
      res.settings.bytes_read = bytesRead;
      if (unreadable.length)
        res.fail(`${unreadable.length} of ${listedTotal} objects could not be read whole (first: ${unreadable[0]})`);
      if (validate) {
        res.settings.digest_files = digestCount;
        res.settings.public_keys = publicKeys.map((k) => k.fingerprint);
        report = finishReport(report ?? validateDigests({ digests: [], publicKeys, logs: [], scope: scope! }));
        res.settings.cloudtrail_digests = summarize(report, c.name);
        validated = true;
        if (!report.pass) res.warn(`CloudTrail digest validation FAILED: ${problems(report)}`);
      }
      if (res.failedReason === null) {
        res.position = null;
        res.done();
      }
    } catch (e) {
      res.fail(`${describe(e)}${res.position ? ` (at ${res.position})` : ''}`);
    } finally {
      for (const p of pending) p.cancel();
      s3.destroy();
      if (Object.keys(retries).length) {
        res.settings.retries = retries;
        res.warn(
          `transient errors were retried with backoff: ${Object.entries(retries)
            .map(([k, v]) => `${v} × ${k}`)
            .join(', ')}`,
        );
      }
      objectsEntry = await objectsOut.close();
      digestsEntry = await digestsOut.close();
      progress.update(`done: ${objectsRead} objects`, true);
    }
  }

  async function listObjects(s3: S3Client, prefix: string): Promise<Listed[]> {
    const out: Listed[] = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await withRetry(
        () =>
          s3.send(new ListObjectsV2Command({ Bucket: c.bucket, Prefix: prefix, ContinuationToken: token }), {
            abortSignal: ctx.signal as never,
          }),
        transient,
        onRetry(`listing ${prefix}`),
        policy,
        ctx.signal,
      );
      for (const o of page.Contents ?? [])
        if (o.Key)
          out.push({
            key: o.Key,
            etag: o.ETag ?? '',
            size: o.Size ?? 0,
            lastModified: o.LastModified ? o.LastModified.toISOString() : null,
          });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async function listPrefixes(s3: S3Client, prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await withRetry(
        () =>
          s3.send(
            new ListObjectsV2Command({ Bucket: c.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
            { abortSignal: ctx.signal as never },
          ),
        transient,
        onRetry(`listing ${prefix}`),
        policy,
        ctx.signal,
      );
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push(p.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /**
   * The bytes of one object. Throttling is retried; a body cut mid-way is resumed with a Range
   * request from the byte reached, pinned to the listed ETag (If-Match), so a changed object is an
   * error rather than a splice. Errors are marked `s3` (the read failed, not the data).
   */
  async function* objectBytes(s3: S3Client, o: Listed): AsyncGenerator<Buffer> {
    let offset = 0;
    for (let attempt = 1; ; attempt++) {
      let out;
      try {
        out = await withRetry(
          () =>
            s3.send(
              new GetObjectCommand({
                Bucket: c.bucket,
                Key: o.key,
                ...(o.etag ? { IfMatch: o.etag } : {}),
                ...(offset ? { Range: `bytes=${offset}-` } : {}),
              }),
              { abortSignal: ctx.signal as never },
            ),
          transient,
          onRetry(o.key),
          policy,
          ctx.signal,
        );
      } catch (e) {
        throw Object.assign(new Error(describe(e)), { s3: true, cause: e });
      }
      try {
        for await (const chunk of out.Body as Readable) {
          offset += (chunk as Buffer).length;
          yield chunk as Buffer;
        }
        return;
      } catch (e) {
        if (attempt >= policy.attempts || ctx.signal?.aborted)
          throw Object.assign(new Error(`the connection failed mid-object after ${offset} bytes: ${describe(e)}`), {
            s3: true,
          });
        retries['body cut, resumed'] = (retries['body cut, resumed'] ?? 0) + 1;
        await sleep(backoffDelay(attempt, policy), ctx.signal);
      }
    }
  }

  /** One account and region's digest files of the period (small: one per hour), with their signatures. */
  async function readDigests(
    s3: S3Client,
    root: string,
    account: string,
    region: string,
    from: Date,
    to: Date,
  ): Promise<DigestFile[]> {
    // A digest covers the hour before its name's time and is delivered up to an hour later.
    const dTo = new Date(to.getTime() + 2 * HOUR);
    const keys: string[] = [];
    for (const day of daysBetween(from, dTo)) {
      const prefix = `${root}${account}/CloudTrail-Digest/${region}/${day}/`;
      res.position = `listing s3://${c.bucket}/${prefix}`;
      for (const o of await listObjects(s3, prefix)) {
        const t = fileTime(o.key);
        if (t !== null && t >= from.getTime() && t <= dTo.getTime()) keys.push(o.key);
      }
    }
    const digests: DigestFile[] = [];
    let i = 0;
    const worker = async () => {
      while (i < keys.length) {
        const key = keys[i++];
        res.position = `s3://${c.bucket}/${key}`;
        const out = await withRetry(
          () => s3.send(new GetObjectCommand({ Bucket: c.bucket, Key: key }), { abortSignal: ctx.signal as never }),
          transient,
          onRetry(key),
          policy,
          ctx.signal,
        );
        const gz = Buffer.from(await out.Body!.transformToByteArray());
        let bytes: Buffer;
        try {
          bytes = /\.gz$/.test(key) ? await gunzipAll(gz) : gz;
        } catch {
          bytes = gz;
        }
        const meta = out.Metadata ?? {};
        digests.push({
          bucket: c.bucket,
          key,
          signature: meta.signature ?? null,
          signature_algorithm: meta['signature-algorithm'] ?? null,
          digest_base64: bytes.toString('base64'),
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
    return digests.sort((a, b) => a.key.localeCompare(b.key));
  }

  /** ListPublicKeys in each trail's home region (the last region in the digest file name), once per region. */
  async function readPublicKeys(digests: DigestFile[]): Promise<void> {
    const homes = new Set<string>();
    for (const d of digests) {
      const m = /_([a-z]{2}(?:-[a-z]+)+-\d)_\d{8}T\d{6}Z(?:_backfill)?\.json\.gz$/.exec(d.key);
      if (m && !keyRegions.has(m[1])) homes.add(m[1]);
    }
    if (homes.size === 0) return;
    const start = new Date(ctx.since.getTime() - 2 * 86400_000);
    const end = new Date(ctx.until.getTime() + 2 * 86400_000);
    const byFp = new Map<string, PublicKeyEntry>(publicKeys.map((k) => [k.fingerprint, k]));
    for (const region of homes) {
      keyRegions.add(region);
      const ct = new CloudTrailClient({
        region,
        maxAttempts: 1,
        ...(c.profile ? { profile: c.profile } : {}),
        ...(c.cloudtrail_endpoint ? { endpoint: c.cloudtrail_endpoint } : {}),
      });
      try {
        let token: string | undefined;
        do {
          res.position = `cloudtrail:ListPublicKeys in ${region}`;
          const out = await withRetry(
            () =>
              ct.send(new ListPublicKeysCommand({ StartTime: start, EndTime: end, NextToken: token }), {
                abortSignal: ctx.signal as never,
              }),
            transient,
            onRetry(`ListPublicKeys ${region}`),
            policy,
            ctx.signal,
          );
          for (const k of out.PublicKeyList ?? []) {
            if (!k.Value) continue;
            const value = Buffer.from(k.Value).toString('base64');
            const fp = keyFingerprint(value);
            // The fingerprint is recomputed from the key itself (MD5 of the DER), not taken from the answer.
            if (k.Fingerprint && k.Fingerprint !== fp)
              res.warn(
                `ListPublicKeys in ${region} gave fingerprint ${k.Fingerprint} for a key whose MD5 is ${fp}: the key is used under its MD5`,
              );
            byFp.set(fp, {
              fingerprint: fp,
              value,
              validity_start: k.ValidityStartTime?.toISOString() ?? null,
              validity_end: k.ValidityEndTime?.toISOString() ?? null,
            });
          }
          token = out.NextToken || undefined;
        } while (token);
      } finally {
        ct.destroy();
      }
    }
    publicKeys = [...byFp.values()].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
  }

  return {
    outcomes: run(),
    result: () => ({
      ...res.result(),
      files: [
        ...(objectsEntry ? [{ name: objectsFileName(c.name), deflated: objectsEntry }] : []),
        // The digest material only with the check's result (a run that stopped early has neither).
        ...(validated && digestsEntry
          ? [
              { name: digestsFileName(c.name), deflated: digestsEntry },
              ...integrityFiles(c.name, { publicKeys, report, scope }),
            ]
          : []),
      ],
    }),
  };
};

async function gunzipAll(buf: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const d of Readable.from([buf]).pipe(createGunzip()) as AsyncIterable<Buffer>) parts.push(d);
  return Buffer.concat(parts);
}

export function problems(r: DigestReport): string {
  const parts: string[] = [];
  if (r.files_changed.length)
    parts.push(`${r.files_changed.length} log file(s) CHANGED after delivery (first: ${r.files_changed[0]})`);
  if (r.files_missing.length)
    parts.push(`${r.files_missing.length} log file(s) MISSING (first: ${r.files_missing[0]})`);
  if (r.invalid_digests.length)
    parts.push(
      `${r.invalid_digests.length} invalid digest(s) (first: ${r.invalid_digests[0].file}: ${r.invalid_digests[0].problem})`,
    );
  if (r.digest_gaps.length)
    parts.push(`${r.digest_gaps.length} gap(s) in the digest chain (first: ${r.digest_gaps[0]})`);
  if (r.files_without_digest.length)
    parts.push(
      `${r.files_without_digest.length} log file(s) with no valid digest (first: ${r.files_without_digest[0]})`,
    );
  return parts.join('; ');
}

/** Adds one account and region's digest report to the run's (null: none yet). Lists are sorted by finishReport. */
export function mergeReports(a: DigestReport | null, b: DigestReport): DigestReport {
  if (!a)
    return {
      ...b,
      ...(b.chain_starts ? { chain_starts: [...b.chain_starts] } : {}),
      invalid_digests: [...b.invalid_digests],
      digest_gaps: [...b.digest_gaps],
      files_without_digest: [...b.files_without_digest],
      files_changed: [...b.files_changed],
      files_missing: [...b.files_missing],
    };
  return {
    digests: a.digests + b.digests,
    digests_valid: a.digests_valid + b.digests_valid,
    invalid_digests: a.invalid_digests.concat(b.invalid_digests),
    digest_gaps: a.digest_gaps.concat(b.digest_gaps),
    files_covered: a.files_covered + b.files_covered,
    files_without_digest: a.files_without_digest.concat(b.files_without_digest),
    files_changed: a.files_changed.concat(b.files_changed),
    files_missing: a.files_missing.concat(b.files_missing),
    ...(a.chain_starts || b.chain_starts ? { chain_starts: (a.chain_starts ?? []).concat(b.chain_starts ?? []) } : {}),
    pass: a.pass && b.pass,
  };
}

/** The merged report in the order validateDigests gives over the whole trail (verify re-runs it so and compares). */
export function finishReport(r: DigestReport): DigestReport {
  return {
    ...r,
    invalid_digests: [...r.invalid_digests].sort((a, b) => a.file.localeCompare(b.file)),
    digest_gaps: [...r.digest_gaps].sort(),
    files_without_digest: [...r.files_without_digest].sort(),
    files_changed: [...r.files_changed].sort(),
    files_missing: [...r.files_missing].sort(),
    ...(r.chain_starts ? { chain_starts: [...r.chain_starts].sort() } : {}),
  };
}
