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
import type { LiveSourceOpener, SourceConfig, SourceResult, SourceRunContext } from '../../collect/source.js';
import type { FormatAdapter, Outcome } from '../../pipeline/types.js';
import { openStream } from '../../pipeline/input.js';
import { normalizeOne, type RunSummary } from '../../pipeline/run.js';
import { catalog, findAdapter } from '../../sources/registry.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { DEFAULT_RETRY, backoffDelay, sleep, withRetry, type RetryPolicy, awsTransient, RetryCount } from '../pace.js';
import { awsClientSettings, credentialsSetting } from '../aws.js';
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
  const pull = new CloudTrailS3Pull(cfg as unknown as CloudTrailS3Config, ctx, summary);
  return { outcomes: pull.run(), result: () => pull.result() };
};

/** Bytes of objects read ahead of the one being normalized, per object. */
const MAX_AHEAD_BYTES = 8 * 1024 * 1024;

/** The period's bounds, as the pull lists and checks them. */
interface Period {
  /** The period plus an hour either side (delivery lag, files holding an hour of events). */
  from: Date;
  to: Date;
  /** AWSLogs/[<org>/] under the prefix. */
  root: string;
}

/**
 * One pull: accounts, then per account and region its log files listed, read and normalized, and
 * its digests checked; then the verdict. Per-object records and digest files are written,
 * compressed, to temporary files as they come (the run's work folder; a folder of our own when run
 * outside collect, as the tests do).
 */
class CloudTrailS3Pull {
  private readonly res = new LiveResult();
  private readonly progress: ProgressLine;
  private readonly policy: RetryPolicy;
  private readonly concurrency: number;
  private readonly retries: RetryCount;
  private readonly objectsOut: DeflatedFile;
  private readonly digestsOut: DeflatedFile;
  private objectsEntry: DeflatedEntry | null = null;
  private digestsEntry: DeflatedEntry | null = null;
  private objectsRead = 0;
  private bytesRead = 0;
  private digestCount = 0;
  private validated = false;
  private readonly keyRegions = new Set<string>();
  private publicKeys: PublicKeyEntry[] = [];
  private report: DigestReport | null = null;
  private scope: { start: string; end: string } | undefined;
  /** Object reads running ahead (cancelled when the pull ends). */
  private readonly pending: Array<AsyncIterable<Buffer> & { cancel(): void }> = [];
  private readonly unreadable: string[] = [];
  private events = 0;
  private listedTotal = 0;
  /** Objects read so far. */
  private index = 0;

  constructor(
    private readonly c: CloudTrailS3Config,
    private readonly ctx: SourceRunContext,
    private readonly summary: RunSummary,
  ) {
    this.progress = new ProgressLine(c.name, ctx.progress);
    this.policy = { ...DEFAULT_RETRY, ...c.retry };
    this.concurrency = Math.max(1, Math.min(64, c.concurrency ?? 8));
    this.retries = new RetryCount(this.progress);
    const work = ctx.workDir ?? mkdtempSync(join(tmpdir(), 'ae-cloudtrail-s3-'));
    const base = c.name.replace(/[^A-Za-z0-9_.-]/g, '_');
    this.objectsOut = new DeflatedFile(join(work, `${base}-objects.jsonl.deflate`));
    this.digestsOut = new DeflatedFile(join(work, `${base}-digests.jsonl.deflate`));
  }

  result(): SourceResult {
    const { c } = this;
    return {
      ...this.res.result(),
      files: [
        ...(this.objectsEntry ? [{ name: objectsFileName(c.name), deflated: this.objectsEntry }] : []),
        // The digest material only with the check's result (a run that stopped early has neither).
        ...(this.validated && this.digestsEntry
          ? [
              { name: digestsFileName(c.name), deflated: this.digestsEntry },
              ...integrityFiles(c.name, { publicKeys: this.publicKeys, report: this.report, scope: this.scope }),
            ]
          : []),
      ],
    };
  }

  async *run(): AsyncGenerator<Outcome> {
    const { c, ctx, res } = this;
    const regions = c.regions ?? [];
    const adapter = this.checkConfig(regions);
    if (!adapter) return;
    const period: Period = {
      from: new Date(ctx.since.getTime() - HOUR),
      to: new Date(ctx.until.getTime() + HOUR),
      root: accountsRoot(c.prefix, c.organization_id),
    };
    const validate = c.validate_digests !== false;
    this.describe(regions, period, validate);
    const s3 = new S3Client(
      awsClientSettings(c.bucket_region ?? 'us-east-1', c.profile, c.endpoint, { maxAttempts: 1, pathStyle: true }),
    );
    try {
      // 1. Accounts.
      const accounts = c.accounts?.length ? c.accounts : await this.listAccounts(s3, period.root);
      if (!accounts) return;
      res.settings.accounts = accounts;
      // 2-4, one account and region at a time: list the period's log files (date prefixes only), read
      // them, then read that trail's digests and check them. Memory holds one account and region's
      // listing and hashes, never the whole trail's: per-object records and digest files go to
      // compressed temporary files as they come (the bundle's raw/ and integrity/ files).
      res.touched = true;
      if (validate) this.scope = { start: period.from.toISOString(), end: period.to.toISOString() };
      const groups = accounts.flatMap((account) => regions.map((region) => ({ account, region })));
      for (const [g, { account, region }] of groups.entries()) {
        const logs = await this.listLogs(s3, period, account, region);
        this.listedTotal += logs.length;
        this.progress.update(
          `account ${account}, ${region}: ${logs.length} log files to read (${g + 1} of ${groups.length} account-regions)`,
          true,
        );
        const more = groups.length - g - 1;
        const read: LogObject[] = [];
        if (!(yield* this.readLogs(adapter, s3, logs, read, more))) return;
        // This account and region's digests, checked against the log files just read.
        if (validate) await this.checkDigests(s3, period, account, region, read);
      }
      this.verdict(validate);
    } catch (e) {
      res.fail(`${describe(e)}${res.position ? ` (at ${res.position})` : ''}`);
    } finally {
      for (const p of this.pending) p.cancel();
      s3.destroy();
      this.retries.report(res);
      this.objectsEntry = await this.objectsOut.close();
      this.digestsEntry = await this.digestsOut.close();
      this.progress.update(`done: ${this.objectsRead} objects`, true);
    }
  }

  /** The cloudtrail adapter when the config names a bucket and regions; else the failure is said and null. */
  private checkConfig(regions: string[]): FormatAdapter | null {
    const { c, res } = this;
    if (!c.bucket) {
      res.fail("bucket is empty: name the trail's S3 bucket");
      return null;
    }
    if (regions.length === 0) {
      res.fail('regions is empty: name at least one AWS region the trail logs');
      return null;
    }
    const adapter = findAdapter('cloudtrail');
    if (!adapter) res.fail('the cloudtrail adapter is not registered');
    return adapter ?? null;
  }

  /** How the pull reads, and its settings, for the result. */
  private describe(regions: string[], { from, to, root }: Period, validate: boolean): void {
    const { c, res, concurrency } = this;
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
      credentials: credentialsSetting(c.profile),
      concurrency,
      validate_digests: validate,
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    };
  }

  /** The account folders (12 digits) under the root; null (the failure said) when there is none. */
  private async listAccounts(s3: S3Client, root: string): Promise<string[] | null> {
    const { c, res } = this;
    res.position = `listing accounts under s3://${c.bucket}/${root}`;
    const accounts = (await this.listPrefixes(s3, root))
      .map((p) => p.slice(root.length).replace(/\/$/, ''))
      .filter((a) => /^\d{12}$/.test(a));
    if (accounts.length > 0) return accounts;
    res.fail(`no account folders (12 digits) under s3://${c.bucket}/${root}: check bucket, prefix and organization_id`);
    return null;
  }

  /** One account and region's log files of the period: its date prefixes listed, files named in the period kept. */
  private async listLogs(s3: S3Client, { from, to, root }: Period, account: string, region: string): Promise<Listed[]> {
    const logs: Listed[] = [];
    for (const day of daysBetween(from, to)) {
      const prefix = `${root}${account}/CloudTrail/${region}/${day}/`;
      this.res.position = `listing s3://${this.c.bucket}/${prefix}`;
      for (const o of await this.listObjects(s3, prefix)) {
        const t = fileTime(o.key);
        if (t === null || (t >= from.getTime() && t <= to.getTime())) logs.push(o);
      }
    }
    return logs;
  }

  /**
   * Reads the listed objects: `concurrency` of them run ahead, outcomes in key order. `read`
   * collects what the digest check needs. False when the pull must stop.
   */
  private async *readLogs(
    adapter: FormatAdapter,
    s3: S3Client,
    logs: Listed[],
    read: LogObject[],
    moreGroups: number,
  ): AsyncGenerator<Outcome, boolean> {
    const pending = this.pending;
    let next = 0;
    const start = () => {
      while (pending.length < this.concurrency && next < logs.length)
        pending.push(prefetch(this.objectBytes(s3, logs[next++]), MAX_AHEAD_BYTES));
    };
    for (let i = 0; i < logs.length; i++) {
      start();
      const o = logs[i];
      const body = pending.shift()!;
      start();
      if (!(yield* this.readObject(adapter, o, body, read, moreGroups))) return false;
    }
    return true;
  }

  /**
   * One object: hashed as read and as inflated, normalized, recorded. A failed S3 read stops the
   * pull (false); a damaged object (not gzip, truncated, not JSON) keeps what it held so far.
   */
  private async *readObject(
    adapter: FormatAdapter,
    o: Listed,
    body: AsyncIterable<Buffer>,
    read: LogObject[],
    moreGroups: number,
  ): AsyncGenerator<Outcome, boolean> {
    const { c, ctx, res } = this;
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
    const tap = new ObjectTap(body, o.key);
    try {
      const input = await openStream(where, tap.inflated());
      for await (const out of normalizeOne(
        adapter,
        input,
        { adapters: catalog, format: 'cloudtrail', options: { instance: c.name }, since: ctx.since, until: ctx.until },
        this.summary,
      )) {
        rec.records++;
        res.count(out);
        if (out.kind === 'event') this.events++;
        yield out;
        if (ctx.signal?.aborted) {
          await this.record(rec);
          res.fail('the pull was interrupted');
          return false;
        }
      }
      rec.sha256 = tap.compressed.digest('hex');
      rec.uncompressed_sha256 = tap.uncompressed.digest('hex');
      if (tap.size !== o.size) rec.error = `read ${tap.size} bytes, listed as ${o.size}`;
    } catch (e) {
      const f = tap.s3Failure;
      if (f) {
        rec.error = describe(f.cause ?? f);
        await this.record(rec);
        res.fail(
          `reading ${where} failed after ${this.index} objects had been read (${rec.error}); ${this.listedTotal} listed so far${moreGroups > 0 ? `, ${moreGroups} more account-regions not listed yet` : ''}`,
        );
        return false;
      }
      // The object is damaged (not gzip, truncated, not JSON): what it held so far is kept.
      rec.error = (e as Error).message;
      this.unreadable.push(`${where}: ${rec.error}`);
    }
    await this.record(rec);
    read.push({ bucket: rec.bucket, key: rec.key, uncompressed_sha256: rec.error ? null : rec.uncompressed_sha256 });
    this.index++;
    this.progress.update(
      `${this.index}/${this.listedTotal}${moreGroups > 0 ? '+' : ''} objects, ${this.events} events`,
    );
    return true;
  }

  /** Adds an object's record to raw/<source>/objects.jsonl. */
  private async record(o: ObjectRecord): Promise<void> {
    this.objectsRead++;
    this.bytesRead += o.size;
    if (this.objectsOut.add(`${JSON.stringify(o)}\n`)) await this.objectsOut.flush();
  }

  /** One account and region's digests: read, kept, and checked against the log files just read. */
  private async checkDigests(
    s3: S3Client,
    { from, to, root }: Period,
    account: string,
    region: string,
    read: LogObject[],
  ): Promise<void> {
    this.res.position = 'digest files';
    const digests = await this.readDigests(s3, root, account, region, from, to);
    await this.readPublicKeys(digests);
    for (const d of digests) if (this.digestsOut.add(`${JSON.stringify(d)}\n`)) await this.digestsOut.flush();
    this.digestCount += digests.length;
    this.report = mergeReports(
      this.report,
      validateDigests({ digests, publicKeys: this.publicKeys, logs: read, scope: this.scope! }),
    );
  }

  /** The counts, the digest check's result and the status, once every account and region was read. */
  private verdict(validate: boolean): void {
    const { res } = this;
    res.settings.objects_listed = this.listedTotal;
    res.settings.objects_read = this.objectsRead;
    res.settings.bytes_read = this.bytesRead;
    if (this.unreadable.length)
      res.fail(
        `${this.unreadable.length} of ${this.listedTotal} objects could not be read whole (first: ${this.unreadable[0]})`,
      );
    if (validate) {
      res.settings.digest_files = this.digestCount;
      res.settings.public_keys = this.publicKeys.map((k) => k.fingerprint);
      const report = finishReport(
        this.report ?? validateDigests({ digests: [], publicKeys: this.publicKeys, logs: [], scope: this.scope! }),
      );
      this.report = report;
      res.settings.cloudtrail_digests = summarize(report, this.c.name);
      this.validated = true;
      if (!report.pass) res.warn(`CloudTrail digest validation FAILED: ${problems(report)}`);
    }
    if (res.failedReason === null) {
      res.position = null;
      res.done();
    }
  }

  private async listObjects(s3: S3Client, prefix: string): Promise<Listed[]> {
    const { c, ctx } = this;
    const out: Listed[] = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await withRetry(
        () =>
          s3.send(new ListObjectsV2Command({ Bucket: c.bucket, Prefix: prefix, ContinuationToken: token }), {
            abortSignal: ctx.signal as never,
          }),
        transient,
        this.retries.on(`listing ${prefix}`),
        this.policy,
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

  private async listPrefixes(s3: S3Client, prefix: string): Promise<string[]> {
    const { c, ctx } = this;
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
        this.retries.on(`listing ${prefix}`),
        this.policy,
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
  private async *objectBytes(s3: S3Client, o: Listed): AsyncGenerator<Buffer> {
    const { c, ctx, policy } = this;
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
          this.retries.on(o.key),
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
        this.retries.add('body cut, resumed');
        await sleep(backoffDelay(attempt, policy), ctx.signal);
      }
    }
  }

  /** One account and region's digest files of the period (small: one per hour), with their signatures. */
  private async readDigests(
    s3: S3Client,
    root: string,
    account: string,
    region: string,
    from: Date,
    to: Date,
  ): Promise<DigestFile[]> {
    const { c, ctx, res } = this;
    // A digest covers the hour before its name's time and is delivered up to an hour later.
    const dTo = new Date(to.getTime() + 2 * HOUR);
    const keys: string[] = [];
    for (const day of daysBetween(from, dTo)) {
      const prefix = `${root}${account}/CloudTrail-Digest/${region}/${day}/`;
      res.position = `listing s3://${c.bucket}/${prefix}`;
      for (const o of await this.listObjects(s3, prefix)) {
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
          this.retries.on(key),
          this.policy,
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
    await Promise.all(Array.from({ length: Math.min(this.concurrency, keys.length) }, worker));
    return digests.sort((a, b) => a.key.localeCompare(b.key));
  }

  /** ListPublicKeys in each trail's home region (the last region in the digest file name), once per region. */
  private async readPublicKeys(digests: DigestFile[]): Promise<void> {
    const { c, ctx } = this;
    const homes = new Set<string>();
    for (const d of digests) {
      const m = /_([a-z]{2}(?:-[a-z]+)+-\d)_\d{8}T\d{6}Z(?:_backfill)?\.json\.gz$/.exec(d.key);
      if (m && !this.keyRegions.has(m[1])) homes.add(m[1]);
    }
    if (homes.size === 0) return;
    const start = new Date(ctx.since.getTime() - 2 * 86400_000);
    const end = new Date(ctx.until.getTime() + 2 * 86400_000);
    const byFp = new Map<string, PublicKeyEntry>(this.publicKeys.map((k) => [k.fingerprint, k]));
    for (const region of homes) {
      this.keyRegions.add(region);
      const ct = new CloudTrailClient(awsClientSettings(region, c.profile, c.cloudtrail_endpoint, { maxAttempts: 1 }));
      try {
        let token: string | undefined;
        do {
          this.res.position = `cloudtrail:ListPublicKeys in ${region}`;
          const out = await withRetry(
            () =>
              ct.send(new ListPublicKeysCommand({ StartTime: start, EndTime: end, NextToken: token }), {
                abortSignal: ctx.signal as never,
              }),
            transient,
            this.retries.on(`ListPublicKeys ${region}`),
            this.policy,
            ctx.signal,
          );
          for (const k of out.PublicKeyList ?? []) this.addPublicKey(byFp, region, k);
          token = out.NextToken || undefined;
        } while (token);
      } finally {
        ct.destroy();
      }
    }
    this.publicKeys = [...byFp.values()].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
  }

  /** A key from ListPublicKeys, under the fingerprint recomputed from the key itself (MD5 of the DER), not the answer's. */
  private addPublicKey(
    byFp: Map<string, PublicKeyEntry>,
    region: string,
    k: { Value?: Uint8Array; Fingerprint?: string; ValidityStartTime?: Date; ValidityEndTime?: Date },
  ): void {
    if (!k.Value) return;
    const value = Buffer.from(k.Value).toString('base64');
    const fp = keyFingerprint(value);
    if (k.Fingerprint && k.Fingerprint !== fp)
      this.res.warn(
        `ListPublicKeys in ${region} gave fingerprint ${k.Fingerprint} for a key whose MD5 is ${fp}: the key is used under its MD5`,
      );
    byFp.set(fp, {
      fingerprint: fp,
      value,
      validity_start: k.ValidityStartTime?.toISOString() ?? null,
      validity_end: k.ValidityEndTime?.toISOString() ?? null,
    });
  }
}

/** An object's bytes on their way to the adapter: hashed as read (compressed) and as inflated, counted. */
class ObjectTap {
  readonly compressed = createHash('sha256');
  readonly uncompressed = createHash('sha256');
  size = 0;
  /** The S3 read's failure, when the read failed (rather than the data being damaged). */
  s3Failure: (Error & { cause?: unknown }) | null = null;

  constructor(
    private readonly body: AsyncIterable<Buffer>,
    private readonly key: string,
  ) {}

  private async *tapped(): AsyncGenerator<Buffer> {
    try {
      for await (const b of this.body) {
        this.compressed.update(b);
        this.size += b.length;
        yield b;
      }
    } catch (e) {
      if ((e as { s3?: boolean }).s3) this.s3Failure = e as Error;
      throw e;
    }
  }

  async *inflated(): AsyncGenerator<Buffer> {
    if (/\.gz$/.test(this.key)) {
      const src = Readable.from(this.tapped(), { objectMode: false });
      const gz = createGunzip();
      src.on('error', (e) => gz.destroy(e));
      for await (const d of src.pipe(gz) as AsyncIterable<Buffer>) {
        this.uncompressed.update(d);
        yield d;
      }
    } else
      for await (const d of this.tapped()) {
        this.uncompressed.update(d);
        yield d;
      }
  }
}

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
