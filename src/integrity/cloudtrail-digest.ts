// CloudTrail log file integrity validation (digest files), as the AWS CLI's `aws cloudtrail
// validate-logs` does it, but from material that can be kept: the digest files' uncompressed bytes,
// their signatures (S3 object metadata x-amz-meta-signature / -signature-algorithm, which `aws s3
// sync` drops), the public keys (cloudtrail:ListPublicKeys) and the SHA-256 of each log file's
// uncompressed bytes as read. collect runs it after reading a trail; verify runs it again offline
// from the files the bundle carries and must get the same report.
//
// What is checked (reference: awscli/customizations/cloudtrail/validation.py):
//   - each digest's signature: RSA PKCS#1 v1.5 / SHA-256 over
//       digestEndTime \n digestS3Bucket/digestS3Object \n hex(sha256(uncompressed digest)) \n previousDigestSignature|'null'
//     with the public key whose fingerprint (MD5 hex of the PKCS#1 DER) is digestPublicKeyFingerprint;
//   - the digest sits where it says it was written (digestS3Bucket/digestS3Object);
//   - the chain, per trail, account and region: previousDigestSignature equals the signature of the
//     digest named by previousDigestS3Object, previousDigestHashValue its uncompressed SHA-256, and
//     each digest starts where the previous one ended (a missing hour is a gap);
//   - every log file a valid digest lists, whose delivery time is in the period examined: present,
//     and the SHA-256 of its uncompressed bytes equal to the digest's hashValue;
//   - every log file read that no valid digest lists ("no digest").
import { createHash, createPublicKey, verify as rsaVerify } from 'node:crypto';

export interface DigestFile {
  bucket: string;
  key: string;
  /** x-amz-meta-signature (hex), or null when the object had none. */
  signature: string | null;
  signature_algorithm: string | null;
  /** The uncompressed digest file, byte-exact, base64. */
  digest_base64: string;
  /** A local copy (check over `aws s3 sync` output): the file's path, used in messages. */
  file?: string;
}

export interface PublicKeyEntry {
  fingerprint: string;
  /** Base64 PKCS#1 DER RSA public key, as ListPublicKeys returns it. */
  value: string;
  validity_start: string | null;
  validity_end: string | null;
}

export interface LogObject {
  bucket: string;
  key: string;
  /** SHA-256 of the uncompressed bytes as read; null when the object could not be read whole. */
  uncompressed_sha256: string | null;
  /** A local copy: the file's path, used in messages. */
  file?: string;
}

export interface DigestProblem {
  file: string;
  problem: string;
}

export interface DigestReport {
  /** Digest files examined, valid ones, invalid ones (with why). */
  digests: number;
  digests_valid: number;
  invalid_digests: DigestProblem[];
  /** Missing hours in the chain (a deleted or never-delivered digest), as 'start → end' plus the trail. */
  digest_gaps: string[];
  /** Log files of the period read and matched to a valid digest's hashValue. */
  files_covered: number;
  /** Log files read that no valid digest lists. */
  files_without_digest: string[];
  /** Log files whose uncompressed SHA-256 differs from the digest's hashValue (changed after delivery). */
  files_changed: string[];
  /** Log files a valid digest lists (delivered in the period) that are not in the bucket. */
  files_missing: string[];
  /**
   * A local copy only (`local: true`): digests whose signature could not be checked (aws s3 sync
   * drops the x-amz-meta-signature metadata), used for the hash checks but never counted valid,
   * and the log files that match such a digest.
   */
  digests_signature_unchecked?: number;
  files_matched_unsigned?: number;
  /** A local copy only: log files delivered after the newest digest of their account and region (not yet covered). */
  files_after_newest_digest?: number;
  /**
   * Digests that start a new chain (previousDigestSignature null): the trail's first digest, or
   * logging stopped and started again. Accepted, reported; absent when there is none.
   */
  chain_starts?: string[];
  /** True when every digest is valid and chained, no gap, and no file changed, missing or without digest. */
  pass: boolean;
}

interface Parsed {
  f: DigestFile;
  loc: string;
  bytes: Buffer;
  sha256: string;
  d: Record<string, unknown>;
  valid: boolean;
  /** Local copy: the signature could not be checked; the digest is used for hashes, not counted valid. */
  unsigned: boolean;
  trail: string;
}

/** A key from AWSLogs/ on: how a local copy (aws s3 sync of the trail) and a digest's s3Object meet. */
export function awsLogsKey(key: string): string {
  const i = key.indexOf('AWSLogs/');
  return i >= 0 ? key.slice(i) : key;
}

/** MD5 hex of the DER bytes: the Fingerprint ListPublicKeys and digestPublicKeyFingerprint use. */
export function keyFingerprint(derBase64: string): string {
  return createHash('md5').update(Buffer.from(derBase64, 'base64')).digest('hex');
}

/** The string CloudTrail signs for a digest file (validation.py _create_string_to_sign). */
export function digestStringToSign(d: Record<string, unknown>, uncompressed: Buffer): string {
  const prev = d.previousDigestSignature == null ? 'null' : String(d.previousDigestSignature);
  return `${String(d.digestEndTime)}\n${String(d.digestS3Bucket)}/${String(d.digestS3Object)}\n${createHash('sha256').update(uncompressed).digest('hex')}\n${prev}`;
}

/** RSA PKCS#1 v1.5 SHA-256 verification with a base64 PKCS#1 DER public key; hex signature. */
export function verifySha256Rsa(message: Buffer | string, signatureHex: string, derBase64: string): boolean {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(signatureHex)) return false;
  const key = createPublicKey({ key: Buffer.from(derBase64, 'base64'), format: 'der', type: 'pkcs1' });
  return rsaVerify(
    'sha256',
    typeof message === 'string' ? Buffer.from(message, 'utf8') : message,
    key,
    Buffer.from(signatureHex, 'hex'),
  );
}

const REQUIRED = [
  'digestPublicKeyFingerprint',
  'digestS3Bucket',
  'digestS3Object',
  'previousDigestSignature',
  'digestEndTime',
  'digestStartTime',
];

/** `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz` → the delivery time, or null. */
export function logFileTime(key: string): number | null {
  const m = /_CloudTrail_[^_/]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/.exec(key);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]) : null;
}

/**
 * Validates digests against the log files read. `scope` is the delivery-time window whose log files
 * must be present (collect reads the period plus an hour either side).
 */
export function validateDigests(input: DigestInput): DigestReport {
  const local = !!input.local;
  const keys = new Map(input.publicKeys.map((k) => [k.fingerprint, k]));
  const at = (bucket: string, key: string) => (local ? awsLogsKey(key) : `${bucket}/${key}`);
  const invalid: DigestProblem[] = [];
  const parsed: Parsed[] = [];
  for (const f of input.digests) {
    const p = checkDigest(f, local, keys, invalid);
    if (p) parsed.push(p);
  }
  const { gaps, starts } = checkChains(parsed, at, local, invalid);
  const files = checkLogFiles(parsed, input, at, local);
  const sort = (a: string[]) => a.sort();
  return {
    digests: input.digests.length,
    digests_valid: parsed.filter((p) => p.valid).length,
    invalid_digests: invalid.sort((a, b) => a.file.localeCompare(b.file)),
    digest_gaps: sort(gaps),
    files_covered: files.covered,
    files_without_digest: sort(files.noDigest),
    files_changed: sort(files.changed),
    files_missing: sort(files.missing),
    ...(starts.length ? { chain_starts: sort(starts) } : {}),
    ...(local
      ? {
          digests_signature_unchecked: parsed.filter((p) => p.unsigned).length,
          files_matched_unsigned: files.matchedUnsigned,
          files_after_newest_digest: files.pending,
        }
      : {}),
    pass:
      invalid.length === 0 &&
      gaps.length === 0 &&
      files.changed.length === 0 &&
      files.missing.length === 0 &&
      files.noDigest.length === 0,
  };
}

export interface DigestInput {
  digests: DigestFile[];
  publicKeys: PublicKeyEntry[];
  logs: LogObject[];
  scope: { start: string; end: string };
  /**
   * A local copy of the trail (files as `aws s3 sync` writes them): keys are compared from AWSLogs/
   * on (the bucket is not known), and a digest without a signature is used for the hash checks but
   * reported as 'signature not checked', never as valid.
   */
  local?: boolean;
}

/** Where a trail's file is, as digests and log files are matched (bucket/key, or from AWSLogs/ on in a local copy). */
type At = (bucket: string, key: string) => string;

/**
 * One digest file: parsed, in its original location, signed with SHA256withRSA by a known
 * CloudTrail key. Null (with the problem in `invalid`) when it is not a digest at all; otherwise
 * the parsed digest, valid or not (a moved or badly signed digest still names its trail).
 */
function checkDigest(
  f: DigestFile,
  local: boolean,
  keys: Map<string, PublicKeyEntry>,
  invalid: DigestProblem[],
): Parsed | null {
  const loc = f.file ?? `s3://${f.bucket}/${f.key}`;
  const bytes = Buffer.from(f.digest_base64, 'base64');
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    invalid.push({ file: loc, problem: 'not a JSON digest file' });
    return null;
  }
  if (d === null || typeof d !== 'object' || Array.isArray(d) || REQUIRED.some((k) => !(k in d))) {
    invalid.push({ file: loc, problem: `not a CloudTrail digest (needs ${REQUIRED.join(', ')})` });
    return null;
  }
  // <account>_CloudTrail-Digest_<region>_<trail name>_<home region>_<time>.json.gz
  const m =
    /(\d{12})_CloudTrail-Digest_([a-z]{2}(?:-[a-z]+)+-\d)_(.+)_[a-z]{2}(?:-[a-z]+)+-\d_\d{8}T\d{6}Z(?:_backfill)?\.json\.gz$/.exec(
      f.key,
    );
  const trail = m
    ? `trail ${m[3]}, account ${m[1]}, ${m[2]}`
    : `account ${String(d.awsAccountId ?? '?')}, ${f.key.slice(0, f.key.lastIndexOf('/'))}`;
  const p: Parsed = {
    f,
    loc,
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    d,
    valid: false,
    unsigned: false,
    trail,
  };
  const problem = digestProblem(p, local, keys);
  if (problem === 'unsigned') p.unsigned = true;
  else if (problem !== null) invalid.push({ file: loc, problem });
  else p.valid = true;
  return p;
}

/** Why a parsed digest is not valid ('unsigned': a local copy without its signature), or null. */
function digestProblem(p: Parsed, local: boolean, keys: Map<string, PublicKeyEntry>): string | 'unsigned' | null {
  const { f, d, bytes } = p;
  const moved = local
    ? awsLogsKey(String(d.digestS3Object)) !== awsLogsKey(f.key)
    : d.digestS3Bucket !== f.bucket || d.digestS3Object !== f.key;
  if (moved)
    return `has been moved from its original location (it names s3://${String(d.digestS3Bucket)}/${String(d.digestS3Object)})`;
  if (!f.signature && local) return 'unsigned';
  if (!f.signature) return 'has no signature (the x-amz-meta-signature object metadata is missing)';
  if (f.signature_algorithm !== 'SHA256withRSA')
    return `signature algorithm '${f.signature_algorithm ?? 'none'}' is not SHA256withRSA`;
  const fp = String(d.digestPublicKeyFingerprint);
  const key = keys.get(fp);
  if (!key) return `signed by an unknown key: no CloudTrail public key has fingerprint ${fp}`;
  let ok = false;
  try {
    ok = verifySha256Rsa(digestStringToSign(d, bytes), f.signature, key.value);
  } catch {
    ok = false;
  }
  return ok ? null : 'signature verification failed (the digest or its signature was changed)';
}

/** The chain, per trail (sorted by end time): each digest names the one before it; the hours between them are covered. */
function checkChains(
  parsed: Parsed[],
  at: At,
  local: boolean,
  invalid: DigestProblem[],
): { gaps: string[]; starts: string[] } {
  const gaps: string[] = [];
  const starts: string[] = [];
  const byLoc = new Map(parsed.map((p) => [at(p.f.bucket, p.f.key), p]));
  const trails = new Map<string, Parsed[]>();
  for (const p of parsed) {
    const list = trails.get(p.trail) ?? [];
    list.push(p);
    trails.set(p.trail, list);
  }
  for (const [trail, list] of [...trails.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    list.sort((a, b) => String(a.d.digestEndTime).localeCompare(String(b.d.digestEndTime)));
    for (let i = 0; i < list.length; i++) checkLink(trail, list, i, byLoc, at, local, invalid, gaps, starts);
    // Missing hours between consecutive digests (whatever their validity: a missing file is a gap).
    for (let i = 1; i < list.length; i++) {
      const end = String(list[i - 1].d.digestEndTime);
      const start = String(list[i].d.digestStartTime);
      const restart =
        list[i].d.previousDigestSignature == null
          ? '; it starts a new chain: logging was stopped and started again'
          : '';
      if (Date.parse(start) > Date.parse(end) && !gaps.some((g) => g.includes(list[i].loc)))
        gaps.push(`${trail}: no digest covers ${end} → ${start} (before ${list[i].loc}${restart})`);
    }
  }
  return { gaps, starts };
}

/** The i-th digest of a trail names the digest before it, with its signature and hash. */
function checkLink(
  trail: string,
  list: Parsed[],
  i: number,
  byLoc: Map<string, Parsed>,
  at: At,
  local: boolean,
  invalid: DigestProblem[],
  gaps: string[],
  starts: string[],
): void {
  const p = list[i];
  if (!p.valid && !p.unsigned) return;
  const prevKey = p.d.previousDigestS3Object;
  if (prevKey == null || p.d.previousDigestSignature == null) {
    // A new chain: the first digest after logging started or was stopped and started again.
    // Accepted (CloudTrail writes it so, and its signature holds), but never silently.
    starts.push(
      `${trail}: ${p.loc} starts a new chain (previousDigestSignature is null: logging started${i > 0 ? ' again after it was stopped' : ''} at ${String(p.d.digestStartTime)})`,
    );
    return;
  }
  const prev = byLoc.get(at(String(p.d.previousDigestS3Bucket), String(prevKey)));
  if (!prev) {
    // The previous digest is not among those examined: a gap unless it is before the first one examined.
    if (i > 0)
      gaps.push(
        `${trail}: the digest before ${p.loc} (s3://${String(p.d.previousDigestS3Bucket)}/${String(prevKey)}) is missing`,
      );
    return;
  }
  // A local copy has no signature for the previous digest: only its hash can be compared.
  const sigDiffers = local && prev.f.signature === null ? false : prev.f.signature !== p.d.previousDigestSignature;
  if (sigDiffers || prev.sha256 !== p.d.previousDigestHashValue) {
    p.valid = false;
    p.unsigned = false;
    invalid.push({
      file: p.loc,
      problem: `does not chain: previousDigestSignature/previousDigestHashValue do not match ${prev.loc}`,
    });
  }
}

/** The log files: each listed by a digest read with its hash; each read listed by a digest. */
function checkLogFiles(
  parsed: Parsed[],
  input: DigestInput,
  at: At,
  local: boolean,
): {
  covered: number;
  matchedUnsigned: number;
  changed: string[];
  missing: string[];
  noDigest: string[];
  pending: number;
} {
  const listed = new Map<string, { hash: string; signed: boolean }>();
  for (const p of parsed) {
    if (!p.valid && !p.unsigned) continue;
    for (const lf of Array.isArray(p.d.logFiles) ? (p.d.logFiles as Array<Record<string, unknown>>) : []) {
      const k = at(String(lf.s3Bucket), String(lf.s3Object));
      // A file listed by a checked digest and an unchecked one counts as covered by the checked one.
      if (!listed.get(k)?.signed) listed.set(k, { hash: String(lf.hashValue), signed: p.valid });
    }
  }
  const read = new Map(input.logs.map((l) => [at(l.bucket, l.key), l]));
  const name = (k: string) => (local ? (read.get(k)?.file ?? k) : `s3://${k}`);
  const s = Date.parse(input.scope.start);
  const e = Date.parse(input.scope.end);
  let covered = 0;
  let matchedUnsigned = 0;
  const changed: string[] = [];
  const missing: string[] = [];
  const noDigest: string[] = [];
  for (const [loc, { hash, signed }] of listed) {
    const l = read.get(loc);
    if (!l) {
      const t = logFileTime(loc);
      if (t !== null && t >= s && t <= e) missing.push(name(loc));
      continue;
    }
    if (l.uncompressed_sha256 !== hash) changed.push(name(loc));
    else if (signed) covered++;
    else matchedUnsigned++;
  }
  const newest = local ? newestDigests(parsed) : new Map<string, number>();
  let pending = 0;
  for (const loc of read.keys()) {
    if (listed.has(loc)) continue;
    const m = local ? /(\d{12})_CloudTrail_([a-z]{2}(?:-[a-z]+)+-\d)_/.exec(loc) : null;
    const t = logFileTime(loc);
    const last = m ? newest.get(`${m[1]} ${m[2]}`) : undefined;
    if (last !== undefined && t !== null && t > last) {
      pending++;
      continue;
    }
    noDigest.push(name(loc));
  }
  return { covered, matchedUnsigned, changed, missing, noDigest, pending };
}

/**
 * A local copy ends where it was synced: the log files delivered after the newest digest of their
 * account and region are waiting for that digest (CloudTrail writes it about an hour later).
 */
function newestDigests(parsed: Parsed[]): Map<string, number> {
  const newest = new Map<string, number>();
  for (const p of parsed) {
    const m = /(\d{12})_CloudTrail-Digest_([a-z]{2}(?:-[a-z]+)+-\d)_/.exec(p.f.key);
    const end = Date.parse(String(p.d.digestEndTime));
    if (m && Number.isFinite(end)) newest.set(`${m[1]} ${m[2]}`, Math.max(newest.get(`${m[1]} ${m[2]}`) ?? 0, end));
  }
  return newest;
}
