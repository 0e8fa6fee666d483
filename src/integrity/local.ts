// CloudTrail digest validation where `check` meets it: a local copy of a trail (the folders `aws s3
// sync s3://BUCKET DIR` writes: AWSLogs/.../CloudTrail/ and AWSLogs/.../CloudTrail-Digest/), and an
// evidence bundle (its integrity/ files, re-checked). A local copy has no signatures (sync drops the
// x-amz-meta-signature metadata), so its digests are used for the hash checks (each log file's
// SHA-256 against the digest's hashValue, each digest against the next one's previousDigestHashValue)
// and reported as 'signature not checked', never as valid.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { openBundle } from '../bundle/zip-reader.js';
import { MANIFEST_FILE } from '../bundle/manifest.js';
import {
  awsLogsKey,
  validateDigests,
  type DigestFile,
  type DigestReport,
  type LogObject,
} from './cloudtrail-digest.js';
import {
  digestsFileName,
  objectsFileName,
  publicKeysFileName,
  reportFileName,
  type DigestReportFile,
} from './files.js';
import { summarize } from './summary.js';
import type { IntegrityInput, DigestSummary } from '../checks/rules/integrity-cloudtrail-digest.js';

const DIGEST_NAME = /\d{12}_CloudTrail-Digest_[^/\\]+\.json(?:\.gz)?$/;
const LOG_NAME = /\d{12}_CloudTrail_[a-z]{2}(?:-[a-z]+)+-\d_\d{8}T\d{4}Z_[^/\\]+\.json(?:\.gz)?$/;
const slash = (p: string) => p.replace(/\\/g, '/');

export const isDigestFile = (path: string): boolean =>
  DIGEST_NAME.test(path) && slash(path).includes('/CloudTrail-Digest/');
export const isTrailLogFile = (path: string): boolean => LOG_NAME.test(path) && slash(path).includes('/CloudTrail/');

/** SHA-256 of a file's uncompressed bytes (gzip by its magic bytes), streamed. */
async function uncompressedSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  const head = Buffer.alloc(2);
  const fh = await import('node:fs/promises').then((m) => m.open(path, 'r'));
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      h.update(chunk);
      cb();
    },
  });
  if (head[0] === 0x1f && head[1] === 0x8b) await pipeline(createReadStream(path), createGunzip(), sink);
  else await pipeline(createReadStream(path), sink);
  return h.digest('hex');
}

export interface LocalTrailResult {
  source: string;
  report: DigestReport;
  digests: number;
  logs: number;
  unreadable: string[];
}

/**
 * Validates the CloudTrail digests found among `files` against the log files among them. Null when
 * there is no digest file. `scope` (delivery times whose listed log files must be present) defaults
 * to the span the digests cover.
 */
export async function checkLocalTrail(
  files: string[],
  scope?: { start: Date | null; end: Date | null },
  concurrency = 4,
): Promise<LocalTrailResult | null> {
  const digestPaths = files.filter(isDigestFile);
  if (digestPaths.length === 0) return null;
  const logPaths = files.filter(isTrailLogFile);
  const unreadable: string[] = [];
  const digests: DigestFile[] = [];
  let first = Infinity;
  let last = -Infinity;
  for (const path of digestPaths) {
    let bytes: Buffer;
    try {
      const raw = await readFile(path);
      bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
    } catch (e) {
      unreadable.push(`${path}: ${(e as Error).message}`);
      continue;
    }
    digests.push({
      bucket: '(local copy)',
      key: awsLogsKey(slash(path)),
      signature: null,
      signature_algorithm: null,
      digest_base64: bytes.toString('base64'),
      file: path,
    });
    try {
      const d = JSON.parse(bytes.toString('utf8')) as { digestStartTime?: string; digestEndTime?: string };
      const s = Date.parse(String(d.digestStartTime));
      const e = Date.parse(String(d.digestEndTime));
      if (Number.isFinite(s)) first = Math.min(first, s);
      if (Number.isFinite(e)) last = Math.max(last, e);
    } catch {
      /* validateDigests reports it */
    }
  }
  const logs: LogObject[] = new Array(logPaths.length);
  let i = 0;
  const worker = async () => {
    while (i < logPaths.length) {
      const n = i++;
      const path = logPaths[n];
      let sha: string | null = null;
      try {
        sha = await uncompressedSha256(path);
      } catch (e) {
        unreadable.push(`${path}: ${(e as Error).message}`);
      }
      logs[n] = { bucket: '(local copy)', key: awsLogsKey(slash(path)), uncompressed_sha256: sha, file: path };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, logPaths.length) }, worker));
  const start = scope?.start?.getTime() ?? (Number.isFinite(first) ? first : 0);
  const end = scope?.end?.getTime() ?? (Number.isFinite(last) ? last : 0);
  const report = validateDigests({
    digests,
    publicKeys: [],
    logs,
    scope: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
    local: true,
  });
  const root = slash(digestPaths[0]);
  const source = `local trail copy ${root.includes('/AWSLogs/') ? root.slice(0, root.indexOf('/AWSLogs/') + '/AWSLogs/'.length) : root.slice(0, root.lastIndexOf('/') + 1)}`;
  return { source, report, digests: digests.length, logs: logs.length, unreadable };
}

/** The report as the rule reads it (no report file: a local copy is not a bundle). */
export function localSummary(r: LocalTrailResult): IntegrityInput {
  const { report: _file, ...s } = summarize(r.report, 'local') as Record<string, unknown>;
  void _file;
  return { source: r.source, cloudtrail_digests: s as unknown as DigestSummary };
}

/**
 * An evidence bundle's CloudTrail digest reports, re-run from its integrity/ files (not the full
 * verify: the signature and the other files are verify's job). A source whose material is missing
 * or unreadable is reported as recorded, with a note.
 */
export async function bundleIntegrity(path: string): Promise<{ inputs: IntegrityInput[]; notes: string[] }> {
  const inputs: IntegrityInput[] = [];
  const notes: string[] = [];
  const b = await openBundle(path);
  try {
    if (!b.entries.has(MANIFEST_FILE)) return { inputs, notes };
    const st = JSON.parse((await b.read(MANIFEST_FILE)).toString('utf8')) as {
      predicate?: { sources?: Array<{ name: string; settings?: Record<string, unknown> }> };
    };
    for (const s of st.predicate?.sources ?? []) {
      const recorded = s.settings?.cloudtrail_digests as DigestSummary | undefined;
      if (!recorded) continue;
      try {
        const lines = async (n: string) =>
          (await b.read(n))
            .toString('utf8')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l));
        const saved = JSON.parse((await b.read(reportFileName(s.name))).toString('utf8')) as DigestReportFile;
        const report = validateDigests({
          digests: await lines(digestsFileName(s.name)),
          publicKeys: JSON.parse((await b.read(publicKeysFileName(s.name))).toString('utf8')),
          logs: (await lines(objectsFileName(s.name))).map((o) => ({
            bucket: o.bucket,
            key: o.key,
            uncompressed_sha256: o.error ? null : o.uncompressed_sha256,
          })),
          scope: saved.scope,
        });
        const again = summarize(report, s.name) as unknown as DigestSummary;
        if (JSON.stringify(again) !== JSON.stringify(recorded))
          notes.push(
            `${path}: source ${s.name}: re-running the CloudTrail digest check on the bundle's integrity/ files gives another result than the manifest records (run audit-evidence verify); the re-run result is used`,
          );
        inputs.push({ source: s.name, cloudtrail_digests: again });
      } catch (e) {
        notes.push(
          `${path}: source ${s.name}: the CloudTrail digest material cannot be re-checked (${(e as Error).message}); the manifest's recorded result is used`,
        );
        inputs.push({ source: s.name, cloudtrail_digests: recorded });
      }
    }
  } finally {
    b.close();
  }
  return { inputs, notes };
}
