// Verifies an evidence bundle offline: the DSSE signature over the manifest, every subject's
// digest, no missing or extra files, SHA256SUMS, the events (schema, canonical form, period,
// Merkle root, count), the raw record behind every event (and no raw event record without its
// event), the CSV and rejects against the events, the per-source counts, the completeness figures,
// and the chain to the previous bundle. Streams every file (yauzl lazy entries); memory stays
// bounded by the number of sources. Each failure names the file and, where it can, the line.
//
// Every file is inflated once: events.jsonl, events.csv, rejects.jsonl and the raw files are hashed
// while their lines are checked (EntryLines), and the completeness check is re-run on the events
// as they are parsed for the events check. That pass runs before the digest step; its failures are
// held back and reported in the order of the steps below, so the report reads as it always did.
import { createHash, type KeyObject } from 'node:crypto';
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { getAjv, packageFile, validateEvent, formatAjvErrors } from '../event/schema.js';
import { canonicalJson } from '../event/canonical.js';
import { isCanonicalLine } from './canonical-line.js';
import { csvRow } from './csv-row.js';
import { EntryLines } from './entry-lines.js';
import { sha256Hex } from '../event/hash.js';
import type { AuditEvent } from '../event/types.generated.js';
import { csvHeader } from '../export/csv.js';
import { eventToOcsfLines, validateOcsf, type OcsfRecord } from '../export/ocsf.js';
import { CompletenessChecker, type CheckOptions } from '../checks/index.js';
import type { IntegrityInput } from '../checks/rules/integrity-cloudtrail-digest.js';
import type { RosterEntry } from '../privilege/roster.js';
import { MerkleBuilder } from './merkle.js';
import { verifyEnvelope, envelopeText, INTOTO_PAYLOAD_TYPE, type DsseEnvelope } from './dsse.js';
import { keyId, parsePublicKey, KeyError } from './keys.js';
import { openBundle, EntryReadError, type OpenBundle } from './zip-reader.js';
import { verifyDoc } from './verify-doc.js';
import { validateDigests, type DigestReport } from '../integrity/cloudtrail-digest.js';
import {
  digestsFileName,
  objectsFileName,
  publicKeysFileName,
  reportFileName,
  type DigestReportFile,
} from '../integrity/files.js';
import { problemLines, summarize } from '../integrity/summary.js';
import {
  COLLECTOR_VERSION,
  COMPLETENESS_FILE,
  CSV_FILE,
  ENVELOPE_FILE,
  EVENTS_FILE,
  MANIFEST_FILE,
  PREDICATE_TYPE,
  PUBLIC_KEY_FILE,
  OCSF_FILE,
  REJECTS_FILE,
  STATEMENT_TYPE,
  SUMS_FILE,
  VERIFY_FILE,
  rawFileName,
  statementBytes,
  type Statement,
  type EvidencePredicate,
} from './manifest.js';

/** The step of the check a failure belongs to (so that a verdict never claims what that step refuted). */
export type Step =
  | 'container'
  | 'signature'
  | 'manifest'
  | 'files'
  | 'events'
  | 'completeness'
  | 'chain'
  | 'cloudtrail-digests';

export interface Failure {
  file: string;
  line?: number;
  message: string;
  step?: Step;
}

export interface VerifyResult {
  valid: boolean;
  failures: Failure[];
  warnings: string[];
  /** What was checked, for the report. */
  facts: {
    keyid: string | null;
    signer: 'given key' | 'bundled key (self-asserted)' | null;
    events: number;
    files: number;
    demo: boolean;
    period: EvidencePredicate['period'] | null;
    previous: string | null;
    /** CloudTrail digest checks re-run offline from the bundle's integrity files, per source. */
    integrity?: Array<{ source: string; report: DigestReport }>;
  };
  /** The signed predicate (what the bundle claims about its evidence), once it parsed and matched the schema. */
  predicate: EvidencePredicate | null;
  /** sha256 of manifest.intoto.json. */
  manifestSha256: string | null;
  /** What was found about the previous bundle, when --previous was given. */
  chain: {
    file: string;
    manifest_sha256: string | null;
    valid: boolean;
    gap: { start: string; end: string } | null;
    key_change: string | null;
  } | null;
}

export interface VerifyOptions {
  /** The signer's public key as the auditor received it. Without it the bundled key is used (self-asserted). */
  publicKey?: KeyObject | null;
  /** The previous bundle of the chain. */
  previous?: string | null;
  /** Stop listing failures of one kind after this many (default 20). */
  maxPerFile?: number;
}

const manifestSchema = JSON.parse(readFileSync(packageFile('schemas/manifest.schema.json'), 'utf8'));
let predicateFn: ReturnType<ReturnType<typeof getAjv>['compile']> | null = null;
/** The manifest schema's validator, compiled on first use. */
const validatePredicate = (v: unknown): boolean => (predicateFn ??= getAjv().compile(manifestSchema))(v) as boolean;
const MAX_MANIFEST = 256 * 1024 * 1024;
/** Failures held back from the single pass before its line checks stop. */
const MAX_HELD = 10_000;
/**
 * A zip entry that claims to inflate to more than BOMB_MIN bytes at more than BOMB_RATIO:1 is not
 * read. collect's files compress about 4-8:1 (hashes and ids do not compress); DEFLATE's ceiling
 * is ~1032:1, which is what a bomb of repeated bytes uses.
 */
const BOMB_MIN = 64 * 1024 * 1024;
const BOMB_RATIO = 100;

export function formatFailure(f: Failure): string {
  return `${f.file}${f.line !== undefined ? ` line ${f.line}` : ''}: ${f.message}`;
}

async function digestOf(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of stream) h.update(c as Buffer);
  return h.digest('hex');
}

/** A pull-based line reader over one zip entry (hashing it on the way when it is a subject). */
class LineReader extends EntryLines {
  constructor(b: OpenBundle, name: string, hashIt = false) {
    super(() => b.stream(name), name, hashIt);
  }
}
type Line = { text: string; line: number };

/** Failures of a step that runs early, held back to be reported in their step's turn. */
type Held = Array<{ file: string; message: string; line?: number }>;

/** What the single pass over the line files learned about their digests. */
interface Streamed {
  readers: Map<string, LineReader>;
  readError: unknown;
}

interface RawLine {
  sha256: string;
  disposition: string;
  text: string;
  redacted?: unknown;
}

export async function verifyBundle(path: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const failures: Failure[] = [];
  const warnings: string[] = [];
  const perFile = new Map<string, number>();
  const max = opts.maxPerFile ?? 20;
  const state: State = { step: 'container', predicate: null, manifestSha256: null, chain: null };
  const fail = (file: string, message: string, line?: number, always = false) => {
    const n = (perFile.get(file) ?? 0) + 1;
    perFile.set(file, n);
    if (n <= max || always) failures.push({ file, line, message, step: state.step });
    else if (n === max + 1)
      failures.push({ file, message: `more failures in this file are not listed`, step: state.step });
  };
  const facts: VerifyResult['facts'] = {
    keyid: null,
    signer: null,
    events: 0,
    files: 0,
    demo: false,
    period: null,
    previous: null,
  };
  const done = (): VerifyResult => ({
    valid: failures.length === 0,
    failures,
    warnings,
    facts,
    predicate: state.predicate,
    manifestSha256: state.manifestSha256,
    chain: state.chain,
  });

  const b = await openBundle(path);
  try {
    return await checkBundle(b, path, opts, fail, warnings, facts, done, state);
  } catch (e) {
    // One damaged entry (encrypted, unknown method, bad DEFLATE data, wrong size, an endless line)
    // makes the bundle INVALID, naming the file; the checks after it are not run.
    if (!(e instanceof EntryReadError)) throw e;
    const message = `cannot be read from the zip (${e.reason})`;
    if (!failures.some((f) => f.file === e.entry && f.message === message)) fail(e.entry, message);
    return done();
  } finally {
    b.close();
  }
}

interface State {
  step: Step;
  predicate: EvidencePredicate | null;
  manifestSha256: string | null;
  chain: VerifyResult['chain'];
}

async function checkBundle(
  b: OpenBundle,
  path: string,
  opts: VerifyOptions,
  fail: Fail,
  warnings: string[],
  facts: VerifyResult['facts'],
  done: () => VerifyResult,
  state: State,
): Promise<VerifyResult> {
  {
    facts.files = b.entries.size;
    for (const d of b.duplicates) fail(d, 'appears more than once in the zip');
    // Names unzip would write elsewhere or differently than they are checked, and folders that are
    // not the folder of a file (zip -r adds those; anything else is an extra entry or hidden data).
    for (const h of b.hidden) fail(path, `${h}: data no check reads`);
    for (const u of b.unsafe)
      fail(
        u.name,
        `is an unsafe entry (${u.reason}): unzip would write it outside the bundle's folder, under another name, or as something else than the file checked`,
      );
    // Names that are one file once unzipped: 'a/./b' or 'a//b' and 'a/b' anywhere, and names that differ
    // only in case or Unicode normalization on macOS and Windows. unzip would write one over the
    // other, so the folder would not hold what was checked.
    const folded = new Map<string, string>();
    for (const n of b.names) {
      const k = n
        .split('/')
        .filter((seg) => seg !== '' && seg !== '.')
        .join('/')
        .normalize('NFC')
        .toLowerCase();
      const other = folded.get(k);
      if (other !== undefined && other !== n)
        fail(
          n,
          `and ${other} are the same file once unzipped (same path, or the same on a case-insensitive or Unicode-normalizing file system): unzip would write one over the other`,
        );
      else folded.set(k, n);
    }
    const bombs = [...b.entries].filter(
      ([, e]) => e.uncompressedSize > BOMB_MIN && e.uncompressedSize > BOMB_RATIO * e.compressedSize,
    );
    for (const [name, e] of bombs)
      fail(
        name,
        `claims to inflate from ${e.compressedSize} to ${e.uncompressedSize} bytes (more than ${BOMB_RATIO}:1, a zip bomb?): not read`,
      );
    if (bombs.length > 0) return done();
    for (const d of b.directories) {
      if (d.size > 0) fail(d.name, `is a directory entry that holds ${d.size} bytes of data`);
      else if (![...b.entries.keys()].some((n) => n.startsWith(d.name)))
        fail(d.name, "is a folder that holds none of the bundle's files (an extra entry)");
    }
    for (const f of [MANIFEST_FILE, ENVELOPE_FILE]) if (!b.entries.has(f)) fail(f, 'is missing from the bundle');
    if (!b.entries.has(MANIFEST_FILE) || !b.entries.has(ENVELOPE_FILE)) return done();

    // 1. The signature, over the payload the envelope carries; the manifest file must be that payload.
    state.step = 'signature';
    const manifestBytes = await b.read(MANIFEST_FILE, MAX_MANIFEST);
    state.manifestSha256 = sha256Hex(manifestBytes);
    let env: DsseEnvelope;
    const envText = (await b.read(ENVELOPE_FILE, MAX_MANIFEST)).toString('utf8');
    try {
      env = JSON.parse(envText);
    } catch {
      fail(ENVELOPE_FILE, 'is not JSON');
      return done();
    }
    if (typeof env?.payload !== 'string' || !Array.isArray(env.signatures) || env.signatures.length === 0) {
      fail(ENVELOPE_FILE, 'is not a DSSE envelope (payload, payloadType, signatures)');
      return done();
    }
    // VERIFY.md pulls "payload" and "sig" out with sed, line by line. That reads what this JSON parse
    // reads only when the envelope is exactly as collect writes it: one signature, these keys in this
    // order, two-space JSON (no second "payload" key, no extra "sig" line, no other layout).
    const asWritten = envelopeText({
      payload: env.payload,
      payloadType: env.payloadType,
      signatures: env.signatures.map((x) => ({ keyid: x?.keyid, sig: x?.sig })),
    });
    if (env.signatures.length !== 1)
      fail(
        ENVELOPE_FILE,
        `holds ${env.signatures.length} signatures; collect writes one, and VERIFY.md's commands read exactly one`,
      );
    else if (envText !== asWritten)
      fail(
        ENVELOPE_FILE,
        "is not in the form collect writes (two-space JSON: payload, payloadType, one signature with keyid and sig): VERIFY.md's sed commands could read other values than the JSON does",
      );
    if (env.payloadType !== INTOTO_PAYLOAD_TYPE)
      fail(ENVELOPE_FILE, `payloadType is '${env.payloadType}', expected ${INTOTO_PAYLOAD_TYPE}`);
    const payload = Buffer.from(env.payload, 'base64');
    if (!payload.equals(manifestBytes))
      fail(
        MANIFEST_FILE,
        `differs from the payload signed in ${ENVELOPE_FILE} (the manifest was changed after signing)`,
      );
    let key = opts.publicKey ?? null;
    if (key) facts.signer = 'given key';
    else if (b.entries.has(PUBLIC_KEY_FILE)) {
      try {
        key = parsePublicKey(await b.read(PUBLIC_KEY_FILE, 64 * 1024), PUBLIC_KEY_FILE);
        facts.signer = 'bundled key (self-asserted)';
        warnings.push(
          `no --pubkey given: the signature was checked with the bundle's own ${PUBLIC_KEY_FILE}, which proves the files are unchanged since signing but not who signed; pass --pubkey with the signer's key received separately`,
        );
      } catch (e) {
        fail(PUBLIC_KEY_FILE, (e as Error).message);
      }
    } else fail(PUBLIC_KEY_FILE, 'is missing and no --pubkey was given: the signature cannot be checked');
    if (key) {
      const id = keyId(key);
      facts.keyid = id;
      const ids = env.signatures.map((s) => s.keyid);
      if (!ids.includes(id))
        fail(
          ENVELOPE_FILE,
          `was signed with another key (key id ${ids.join(', ') || 'none'}; the ${facts.signer} has key id ${id})`,
        );
      else if (!verifyEnvelope(env, key))
        fail(
          ENVELOPE_FILE,
          `the signature does not verify with the ${facts.signer} (key id ${id}): the manifest or the signature was changed`,
        );
    }

    // 2. The statement (as signed) and its predicate.
    state.step = 'manifest';
    let st: Statement;
    try {
      st = JSON.parse(payload.toString('utf8'));
    } catch {
      fail(MANIFEST_FILE, 'the signed manifest is not JSON');
      return done();
    }
    // A repeated key ("demo": true ... "demo": false) is read as the last by JSON parsers and as the
    // first by an auditor's grep; collect writes neither that nor any other layout.
    if (!statementBytes(st).equals(payload))
      fail(
        MANIFEST_FILE,
        'is not in the form collect writes (two-space JSON, no repeated keys): a reader and a JSON parser could see different values',
      );
    if (st._type !== STATEMENT_TYPE) fail(MANIFEST_FILE, `_type is not ${STATEMENT_TYPE}`);
    if (st.predicateType !== PREDICATE_TYPE) {
      fail(MANIFEST_FILE, `predicateType is not ${PREDICATE_TYPE}`);
      return done();
    }
    if (!validatePredicate(st.predicate)) {
      fail(
        MANIFEST_FILE,
        `the predicate does not match schemas/manifest.schema.json (${formatAjvErrors(predicateFn?.errors ?? [])
          .slice(0, 3)
          .join('; ')})`,
      );
      return done();
    }
    if (
      !Array.isArray(st.subject) ||
      st.subject.some((s) => typeof s?.name !== 'string' || !/^[0-9a-f]{64}$/.test(s?.digest?.sha256 ?? ''))
    ) {
      fail(MANIFEST_FILE, 'subject must list every file with a sha256 digest');
      return done();
    }
    const p = st.predicate;
    facts.demo = p.demo;
    facts.period = p.period;
    if (p.demo)
      warnings.push(
        'this is a DEMO bundle built from sample logs with shifted timestamps: it is not evidence of any real system',
      );
    if (p.signer.ephemeral) warnings.push('the bundle was signed with an EPHEMERAL key: the signer cannot be verified');
    state.predicate = p;
    state.step = 'signature';
    if (key && p.signer.keyid !== facts.keyid)
      fail(MANIFEST_FILE, `predicate.signer.keyid ${p.signer.keyid} is not the signing key's id ${facts.keyid}`);
    // With --pubkey the bundled key was not needed for the signature, but an auditor who follows
    // VERIFY.md as written uses it: it must be the key that signed.
    if (opts.publicKey && b.entries.has(PUBLIC_KEY_FILE)) {
      let bundled: string | null = null;
      try {
        bundled = keyId(parsePublicKey(await b.read(PUBLIC_KEY_FILE, 64 * 1024), PUBLIC_KEY_FILE));
      } catch (e) {
        if (e instanceof EntryReadError) throw e;
        fail(PUBLIC_KEY_FILE, `${(e as Error).message}; the bundle must carry the signer's public key`);
      }
      if (bundled !== null && bundled !== facts.keyid)
        fail(
          PUBLIC_KEY_FILE,
          `is another key (key id ${bundled}) than the one given with --pubkey that signed the bundle (key id ${facts.keyid})`,
        );
    }
    state.step = 'manifest';
    // A demo bundle says so in the predicate; shifted timestamps in a bundle that claims not to be one are a contradiction.
    if (!p.demo)
      for (const s of p.sources)
        if (s.demo_time_shift_days !== null)
          fail(
            MANIFEST_FILE,
            `source ${s.name} has demo_time_shift_days ${s.demo_time_shift_days} (timestamps shifted for a demo), but predicate.demo is false`,
          );
    for (const s of p.sources)
      if (s.raw_file !== rawFileName(s.name))
        fail(MANIFEST_FILE, `source ${s.name}: raw_file is '${s.raw_file}', not ${rawFileName(s.name)}`);

    const subjects = new Map(st.subject.map((s) => [s.name, s.digest.sha256]));
    // A name listed twice (with two digests, only the last would be checked; grep shows the first).
    if (subjects.size !== st.subject.length) {
      const seen = new Set<string>();
      for (const s of st.subject) {
        if (seen.has(s.name)) fail(MANIFEST_FILE, `subject lists ${s.name} more than once`);
        seen.add(s.name);
      }
    }

    // The single pass over events, CSV, rejects and raw files (steps 6 and 7 report what it found).
    const held6: Held = [];
    const held7: Held = [];
    const completeness = await prepareCompleteness(b, p, held7, warnings);
    const streamed: Streamed = { readers: new Map(), readError: null };
    let eventCount = 0;
    // Held failures are capped: a file of millions of bad lines (30 MB of line breaks took 4
    // minutes and GBs of held messages) stops the line checks once the bundle is plainly invalid.
    const stop = { now: false };
    let stopped = '';
    try {
      eventCount = await checkEvents(
        b,
        p,
        (file, message, line) => {
          if (held6.length < MAX_HELD) held6.push({ file, message, line });
          else if (!stop.now) {
            stop.now = true;
            stopped = file;
          }
        },
        subjects,
        streamed,
        completeness.checker,
        stop,
      );
    } catch (e) {
      streamed.readError = e;
    }

    // 3. Every subject present with its digest; nothing extra.
    state.step = 'files';
    for (const [name, digest] of subjects) {
      if (!b.entries.has(name)) {
        fail(name, 'is listed in the manifest but missing from the bundle');
        continue;
      }
      let got: string;
      try {
        const r = streamed.readers.get(name);
        got = r ? await r.digest() : await digestOf(await b.stream(name));
      } catch (e) {
        fail(name, `cannot be read from the zip (${(e as Error).message})`);
        continue;
      }
      if (got !== digest) fail(name, `its sha256 ${got} differs from the manifest's ${digest} (the file was changed)`);
    }
    for (const name of b.entries.keys())
      if (name !== MANIFEST_FILE && name !== ENVELOPE_FILE && !subjects.has(name))
        fail(name, 'is in the bundle but not in the signed manifest (an extra file)');

    // 4. SHA256SUMS agrees with the manifest, line by line.
    if (b.entries.has(SUMS_FILE)) {
      const r = new LineReader(b, SUMS_FILE);
      const listed = new Set<string>();
      for (let l = await r.next(); l; l = await r.next()) {
        // The grammar VERIFY.md checks before it runs sha256sum -c: a digest, two spaces, a plain
        // relative path whose segments do not start with '.' (no '..', no absolute path, no escapes).
        const m = /^([0-9a-f]{64}) {2}([A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*)$/.exec(l.text);
        if (!m) {
          fail(SUMS_FILE, "is not a sha256sum line naming a plain path inside the bundle ('<sha256>  <path>')", l.line);
          continue;
        }
        listed.add(m[2]);
        if (!subjects.has(m[2])) fail(SUMS_FILE, `lists ${m[2]}, which the manifest does not`, l.line);
        else if (subjects.get(m[2]) !== m[1])
          fail(SUMS_FILE, `the digest of ${m[2]} differs from the manifest's`, l.line);
      }
      for (const name of subjects.keys())
        if (name !== SUMS_FILE && !listed.has(name)) fail(SUMS_FILE, `does not list ${name}`);
    }

    // 5. VERIFY.md is the text this version writes for this bundle (only when the versions match).
    if (b.entries.has(VERIFY_FILE) && p.collector.version === COLLECTOR_VERSION) {
      const expected = verifyDoc({ keyid: p.signer.keyid, ephemeral: p.signer.ephemeral, demo: p.demo }).split('\n');
      const got = (await b.read(VERIFY_FILE, 1024 * 1024)).toString('utf8').split('\n');
      const i = expected.findIndex((x, k) => got[k] !== x);
      if (i >= 0 || got.length !== expected.length)
        fail(
          VERIFY_FILE,
          'differs from the instructions this bundle was written with',
          (i >= 0 ? i : expected.length) + 1,
        );
    }

    // 6. Events, raw records, CSV, rejects, counts (checked in the pass above).
    state.step = 'events';
    for (const h of held6) fail(h.file, h.message, h.line);
    if (stop.now)
      fail(
        stopped,
        `the line checks stopped after ${MAX_HELD} problems; the lines, counts and raw records after that point were not checked`,
        undefined,
        true,
      );
    if (streamed.readError !== null) throw streamed.readError;
    facts.events = eventCount;

    // 7. The completeness figures.
    state.step = 'completeness';
    if (completeness.error !== null) throw completeness.error;
    for (const h of held7) fail(h.file, h.message, h.line);
    if (completeness.checker && completeness.report) compareRecomputed(completeness.checker, completeness.report, fail);

    // 8. The chain.
    state.step = 'chain';
    if (opts.previous) await checkChain(opts.previous, p, fail, facts, warnings, state, key, opts.maxPerFile);
    else if (p.previous_bundle)
      warnings.push(
        `the bundle is chained to a previous bundle (${p.previous_bundle.file}, manifest sha256 ${p.previous_bundle.manifest_sha256}); pass --previous to check the link`,
      );

    // 9. CloudTrail digest validation, re-run offline from the integrity files.
    state.step = 'cloudtrail-digests';
    await checkIntegrity(b, p, fail, warnings, facts);
    return done();
  }
}

/**
 * Re-runs each cloudtrail-s3 source's digest check from the digests, signatures, public keys and
 * per-object hashes the bundle carries; the result must be the one collect recorded. A trail that
 * failed the check is reported (each changed, missing or undigested file, each invalid digest and
 * gap), but does not make the bundle INVALID: the bundle is a faithful record of a damaged trail.
 */
async function checkIntegrity(
  b: OpenBundle,
  p: EvidencePredicate,
  fail: Fail,
  warnings: string[],
  facts: VerifyResult['facts'],
): Promise<void> {
  for (const s of p.sources) {
    const recorded = s.settings?.cloudtrail_digests as Record<string, unknown> | undefined;
    const names = [digestsFileName(s.name), publicKeysFileName(s.name), reportFileName(s.name)];
    const present = names.filter((n) => b.entries.has(n));
    if (recorded === undefined && present.length === 0) continue;
    if (recorded === undefined) {
      fail(present[0], `is CloudTrail digest material, but the manifest records no digest check for source ${s.name}`);
      continue;
    }
    const missing = [...names, objectsFileName(s.name)].filter((n) => !b.entries.has(n));
    if (missing.length) {
      for (const n of missing) fail(n, `is missing: source ${s.name}'s CloudTrail digest check cannot be re-run`);
      continue;
    }
    let saved: DigestReportFile;
    let report: DigestReport;
    try {
      const lines = async (n: string) =>
        (await b.read(n, MAX_MANIFEST))
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l));
      saved = JSON.parse((await b.read(reportFileName(s.name), MAX_MANIFEST)).toString('utf8'));
      report = validateDigests({
        digests: await lines(digestsFileName(s.name)),
        publicKeys: JSON.parse((await b.read(publicKeysFileName(s.name), MAX_MANIFEST)).toString('utf8')),
        logs: (await lines(objectsFileName(s.name))).map((o) => ({
          bucket: o.bucket,
          key: o.key,
          uncompressed_sha256: o.error ? null : o.uncompressed_sha256,
        })),
        scope: saved.scope,
      });
    } catch (e) {
      if (e instanceof EntryReadError) throw e;
      fail(
        reportFileName(s.name),
        `source ${s.name}: the CloudTrail digest material cannot be read (${(e as Error).message})`,
      );
      continue;
    }
    if (canonicalJson(report as never) !== canonicalJson(saved.report as never))
      fail(
        reportFileName(s.name),
        `source ${s.name}: re-running the CloudTrail digest check on the bundled digests, keys and hashes gives another result than the one recorded`,
      );
    if (canonicalJson(summarize(report, s.name) as never) !== canonicalJson(recorded as never))
      fail(
        MANIFEST_FILE,
        `source ${s.name}: settings.cloudtrail_digests differs from the CloudTrail digest check re-run offline`,
      );
    (facts.integrity ??= []).push({ source: s.name, report });
    if (!report.pass)
      warnings.push(
        `source ${s.name}: the CloudTrail trail FAILED digest validation (re-checked offline): ${problemLines(report).join('; ')}`,
      );
  }
}

/** Records a failure; `always` lists it even past the per-file limit. */
type Fail = (file: string, message: string, line?: number, always?: boolean) => void;

/** A reader for a line file, hashing it when the manifest lists it (its digest is then checked from the same pass). */
function reader(b: OpenBundle, name: string, subjects: Map<string, string>, streamed: Streamed): LineReader {
  const r = new LineReader(b, name, subjects.has(name));
  if (subjects.has(name)) streamed.readers.set(name, r);
  return r;
}

async function checkEvents(
  b: OpenBundle,
  p: EvidencePredicate,
  fail: Fail,
  subjects: Map<string, string>,
  streamed: Streamed,
  checker: CompletenessChecker | null,
  stop: { now: boolean },
): Promise<number> {
  if (!b.entries.has(EVENTS_FILE)) return 0;
  const merkle = new MerkleBuilder();
  const start = Date.parse(p.period.start);
  const end = Date.parse(p.period.end);
  const sources = new Map(p.sources.map((s) => [s.name, s]));
  const perSource = new Map<
    string,
    {
      events: number;
      raw: Record<string, number>;
      rawLines: number;
      first: string | null;
      last: string | null;
      untimed: number;
    }
  >();
  for (const s of p.sources)
    perSource.set(s.name, { events: 0, raw: {}, rawLines: 0, first: null, last: null, untimed: 0 });
  // The predicate's figures a reader sees first (and summary.html shows), recounted from the events.
  const byCategory: Record<string, number> = {};
  let privileged = 0;
  const raws = new Map<string, LineReader>();
  /** Raw records that became rejects, by source and sha256 (each line of rejects.jsonl must name one). */
  const rawRejects = new Map<string, number>();
  const rawFor = (source: string): LineReader | null => {
    const name = rawFileName(source);
    if (!b.entries.has(name)) return null;
    let r = raws.get(name);
    if (!r) {
      r = reader(b, name, subjects, streamed);
      raws.set(name, r);
    }
    return r;
  };
  const parseRaw = (r: LineReader, l: Line, source: string): RawLine | null => {
    let x: RawLine;
    try {
      x = JSON.parse(l.text);
    } catch {
      fail(r.name, 'is not JSON', l.line);
      return null;
    }
    if (typeof x?.text !== 'string' || typeof x.sha256 !== 'string' || typeof x.disposition !== 'string') {
      fail(r.name, 'is not a raw record (sha256, location, disposition, text)', l.line);
      return null;
    }
    // A record whose secrets were redacted keeps the hash of its original bytes: its text cannot hash to it.
    if (x.redacted !== undefined) {
      if (!Number.isInteger(x.redacted) || (x.redacted as number) < 1)
        fail(r.name, '"redacted" must be the number of secret values replaced (a positive integer)', l.line);
    } else if (sha256Hex(x.text) !== x.sha256)
      fail(r.name, `the record's text does not hash to its sha256 ${x.sha256} (the raw record was changed)`, l.line);
    const c = perSource.get(source);
    if (c) {
      c.rawLines++;
      const k = x.disposition.startsWith('skip') ? 'skip' : x.disposition;
      c.raw[k] = (c.raw[k] ?? 0) + 1;
    }
    if (x.disposition === 'reject') {
      const key = `${source}\n${x.sha256}`;
      rawRejects.set(key, (rawRejects.get(key) ?? 0) + 1);
    }
    return x;
  };
  const csv = b.entries.has(CSV_FILE) ? reader(b, CSV_FILE, subjects, streamed) : null;
  const compareCsv = async (text: string, eventLine: number | null): Promise<boolean> => {
    if (!csv) return true;
    for (const want of text.split('\n').slice(0, -1)) {
      const got = await csv.next();
      const w = want.endsWith('\r') ? want.slice(0, -1) : want;
      if (!got || got.text !== w) {
        fail(
          CSV_FILE,
          `${got ? 'differs from' : 'ends before'} the row of ${eventLine === null ? 'the header' : `${EVENTS_FILE} line ${eventLine}`}`,
          got?.line ?? csv.line + 1,
        );
        return false;
      }
    }
    return true;
  };
  let csvOk = await compareCsv(csvHeader(), null);
  // events.ocsf.jsonl: written by this version, it must be exactly the OCSF records of the events
  // (recomputed here); written by another version, every line must be a valid OCSF record.
  const ocsf = b.entries.has(OCSF_FILE) ? reader(b, OCSF_FILE, subjects, streamed) : null;
  if (ocsf && !p.ocsf) fail(OCSF_FILE, 'is in the bundle but the manifest has no ocsf section');
  if (!ocsf && p.ocsf) fail(MANIFEST_FILE, `its ocsf section names ${OCSF_FILE}, which is not in the bundle`);
  const ocsfSameVersion = p.collector.version === COLLECTOR_VERSION;
  let ocsfOk = true;
  let ocsfRecords = 0;
  let ocsfNotExported = 0;
  const checkOcsfLine = (text: string, line: number): void => {
    let rec: OcsfRecord;
    try {
      rec = JSON.parse(text);
    } catch {
      fail(OCSF_FILE, 'is not JSON', line);
      return;
    }
    let problems: string[] | null;
    try {
      problems = validateOcsf(rec);
    } catch (e) {
      problems = [(e as Error).message];
    }
    if (problems) fail(OCSF_FILE, `is not a valid OCSF record (${problems.slice(0, 3).join('; ')})`, line);
  };
  const compareOcsf = async (e: AuditEvent, eventLine: number): Promise<boolean> => {
    if (!ocsf) return true;
    const want = eventToOcsfLines(e);
    if (want.notExported !== null) ocsfNotExported++;
    for (const w of want.lines.split('\n').slice(0, -1)) {
      const got = await ocsf.next();
      if (got) ocsfRecords++;
      if (!got || got.text !== w) {
        fail(
          OCSF_FILE,
          `${got ? 'differs from' : 'ends before'} the OCSF record of ${EVENTS_FILE} line ${eventLine}`,
          got?.line ?? ocsf.line + 1,
        );
        return false;
      }
    }
    return true;
  };

  const ev = reader(b, EVENTS_FILE, subjects, streamed);
  for (let l = await ev.next(); l && !stop.now; l = await ev.next()) {
    merkle.add(l.text);
    let e: AuditEvent;
    try {
      e = JSON.parse(l.text);
    } catch {
      fail(EVENTS_FILE, 'is not JSON', l.line);
      continue;
    }
    // The completeness check runs again on every line that parses (as collect ran it on every event).
    if (checker)
      try {
        checker.add(e);
      } catch {
        /* a malformed event: reported by the events check */
      }
    if (!isCanonicalLine(e, l.text)) fail(EVENTS_FILE, 'is not in canonical JSON form (the line was edited)', l.line);
    const problems = validateEvent(e);
    if (problems) {
      fail(EVENTS_FILE, `does not match the event schema (${problems.slice(0, 3).join('; ')})`, l.line);
      continue;
    }
    if (!p.demo && e.details?.demo_time_shift_days !== undefined)
      fail(
        EVENTS_FILE,
        'carries details.demo_time_shift_days (a demo event with a shifted timestamp), but predicate.demo is false',
        l.line,
      );
    if (e.timestamp !== null) {
      const t = Date.parse(e.timestamp);
      if (t < start || t >= end) fail(EVENTS_FILE, `its timestamp ${e.timestamp} is outside the period`, l.line);
    }
    if (csvOk) csvOk = await compareCsv(csvRow(e), l.line);
    if (ocsfOk && ocsfSameVersion) ocsfOk = await compareOcsf(e, l.line);
    const source = e.source.instance ?? '';
    if (!sources.has(source)) {
      fail(EVENTS_FILE, `names a source '${source}' that the manifest does not list`, l.line);
      continue;
    }
    const ps = perSource.get(source)!;
    ps.events++;
    byCategory[e.category] = (byCategory[e.category] ?? 0) + 1;
    if (e.privileged.value) privileged++;
    if (e.timestamp === null) ps.untimed++;
    else {
      if (ps.first === null || e.timestamp < ps.first) ps.first = e.timestamp;
      if (ps.last === null || e.timestamp > ps.last) ps.last = e.timestamp;
    }
    const r = rawFor(source);
    if (!r) continue; // the missing raw file is reported as a missing subject
    let found = false;
    for (let rl = await r.next(); rl && !stop.now; rl = await r.next()) {
      const x = parseRaw(r, rl, source);
      if (!x) continue;
      if (x.disposition !== 'event') continue;
      if (x.sha256 === e.source.raw_sha256) {
        found = true;
        break;
      }
      fail(
        r.name,
        `holds the raw record of an event (sha256 ${x.sha256}) that is not in ${EVENTS_FILE} at this place (an event line was deleted or moved?)`,
        rl.line,
      );
    }
    if (!found)
      fail(
        EVENTS_FILE,
        `its raw record (source.raw_sha256 ${e.source.raw_sha256}) is not in ${r.name} (the raw record was removed or changed)`,
        l.line,
      );
  }
  // collect ends every line with LF alone. A CR before it is dropped from the line (and so from the
  // Merkle leaf) here, but not by VERIFY.md's Python recipe: the two would disagree on the root.
  if (ev.crLines > 0)
    fail(
      EVENTS_FILE,
      `has ${ev.crLines} line${ev.crLines === 1 ? '' : 's'} ending in CR LF; collect writes LF line endings only`,
    );
  if (ev.unterminated) fail(EVENTS_FILE, 'its last line has no line break; collect ends every line with one', ev.line);
  if (csvOk && csv) {
    const extra = await csv.next();
    if (extra) fail(CSV_FILE, `has rows that are not in ${EVENTS_FILE}`, extra.line);
  }
  if (ocsf && ocsfOk && ocsfSameVersion) {
    const extra = await ocsf.next();
    if (extra) fail(OCSF_FILE, `has records that are not OCSF records of ${EVENTS_FILE}`, extra.line);
  } else if (ocsf && !ocsfSameVersion) {
    for (let l = await ocsf.next(); l && !stop.now; l = await ocsf.next()) {
      ocsfRecords++;
      checkOcsfLine(l.text, l.line);
    }
  }
  if (ocsf && p.ocsf && ocsfOk) {
    if (ocsfRecords !== p.ocsf.records)
      fail(OCSF_FILE, `has ${ocsfRecords} records; the manifest says ${p.ocsf.records}`);
    if (ocsfSameVersion && ocsfNotExported !== p.ocsf.events_not_exported)
      fail(
        MANIFEST_FILE,
        `ocsf.events_not_exported is ${p.ocsf.events_not_exported}; the events hold ${ocsfNotExported} that OCSF cannot take`,
      );
  }
  // Raw records after the last event of each source, and raw files of sources without events.
  for (const s of p.sources) {
    const r = rawFor(s.name);
    if (!r) continue;
    for (let rl = await r.next(); rl && !stop.now; rl = await r.next()) {
      const x = parseRaw(r, rl, s.name);
      if (x && x.disposition === 'event')
        fail(
          r.name,
          `holds the raw record of an event (sha256 ${x.sha256}) that is not in ${EVENTS_FILE} (an event line was deleted?)`,
          rl.line,
        );
    }
  }

  if (merkle.count !== p.events.count)
    fail(EVENTS_FILE, `has ${merkle.count} events; the manifest says ${p.events.count}`);
  const root = merkle.root();
  if (root !== p.events.merkle_root)
    fail(EVENTS_FILE, `the Merkle root recomputes to ${root}; the manifest says ${p.events.merkle_root}`);

  // Rejects: one line per rejected record, each with the raw text it names.
  const rejects: Record<string, number> = {};
  if (b.entries.has(REJECTS_FILE)) {
    const r = reader(b, REJECTS_FILE, subjects, streamed);
    for (let l = await r.next(); l && !stop.now; l = await r.next()) {
      let x: { source?: string; raw_sha256?: string; raw?: string; reason?: string; raw_redacted?: unknown };
      try {
        x = JSON.parse(l.text);
      } catch {
        fail(REJECTS_FILE, 'is not JSON', l.line);
        continue;
      }
      const redacted =
        x.raw_redacted !== undefined && Number.isInteger(x.raw_redacted) && (x.raw_redacted as number) > 0;
      if (
        typeof x.raw !== 'string' ||
        typeof x.raw_sha256 !== 'string' ||
        (!redacted && sha256Hex(x.raw) !== x.raw_sha256)
      )
        fail(REJECTS_FILE, "the rejected record's text does not hash to its raw_sha256", l.line);
      else if (x.source !== undefined && b.entries.has(rawFileName(x.source))) {
        const key = `${x.source}\n${x.raw_sha256}`;
        const left = rawRejects.get(key) ?? 0;
        if (left === 0)
          fail(
            REJECTS_FILE,
            `names a rejected raw record (sha256 ${x.raw_sha256}) that ${rawFileName(x.source)} does not hold as a reject`,
            l.line,
          );
        else rawRejects.set(key, left - 1);
      }
      rejects[x.source ?? ''] = (rejects[x.source ?? ''] ?? 0) + 1;
    }
  }

  // Per-source counts against the predicate.
  for (const s of p.sources) {
    const c = perSource.get(s.name)!;
    const skippedTotal = Object.values(s.skipped).reduce((a, n) => a + n, 0);
    if (s.records_read !== s.events + s.rejects + skippedTotal)
      fail(
        MANIFEST_FILE,
        `source ${s.name}: records_read ${s.records_read} is not events + rejects + skipped (${s.events} + ${s.rejects} + ${skippedTotal})`,
      );
    if (c.events !== s.events)
      fail(EVENTS_FILE, `holds ${c.events} events of source ${s.name}; the manifest says ${s.events}`);
    if ((rejects[s.name] ?? 0) !== s.rejects)
      fail(REJECTS_FILE, `holds ${rejects[s.name] ?? 0} rejects of source ${s.name}; the manifest says ${s.rejects}`);
    if (b.entries.has(s.raw_file)) {
      if (c.rawLines !== s.raw_records)
        fail(s.raw_file, `holds ${c.rawLines} raw records; the manifest says ${s.raw_records}`);
      if ((c.raw.event ?? 0) !== s.events || (c.raw.reject ?? 0) !== s.rejects)
        fail(
          s.raw_file,
          `holds ${c.raw.event ?? 0} event and ${c.raw.reject ?? 0} rejected records; the manifest says ${s.events} and ${s.rejects}`,
        );
    }
    if (s.raw_records !== s.records_read - s.outside_period)
      fail(MANIFEST_FILE, `source ${s.name}: raw_records ${s.raw_records} is not records_read - outside_period`);
  }
  const totalEvents = p.sources.reduce((a, s) => a + s.events, 0);
  if (totalEvents !== p.events.count)
    fail(MANIFEST_FILE, `the sources' events add up to ${totalEvents}, not events.count ${p.events.count}`);
  for (const s of p.sources) {
    const c = perSource.get(s.name)!;
    if (c.first !== s.first_event || c.last !== s.last_event || c.untimed !== s.untimed_events)
      fail(
        MANIFEST_FILE,
        `source ${s.name}: first_event ${s.first_event}, last_event ${s.last_event}, untimed_events ${s.untimed_events} do not recompute from ${EVENTS_FILE} (${c.first}, ${c.last}, ${c.untimed})`,
      );
  }
  const sum = (f: (s: EvidencePredicate['sources'][number]) => number) => p.sources.reduce((a, s) => a + f(s), 0);
  const t = p.totals;
  const want = {
    records_read: sum((s) => s.records_read),
    events: sum((s) => s.events),
    rejects: sum((s) => s.rejects),
    skipped: sum((s) => Object.values(s.skipped).reduce((a, n) => a + n, 0)),
    outside_period: sum((s) => s.outside_period),
    counts_reconcile: p.sources.every((s) => s.counts_reconcile),
  };
  for (const [k, v] of Object.entries(want))
    if (t[k as keyof typeof t] !== v)
      fail(
        MANIFEST_FILE,
        `totals.${k} is ${JSON.stringify(t[k as keyof typeof t])}; the sources add up to ${JSON.stringify(v)}`,
      );
  if (canonicalJson(byCategory) !== canonicalJson(p.events.by_category))
    fail(
      MANIFEST_FILE,
      `events.by_category ${JSON.stringify(p.events.by_category)} does not recompute from ${EVENTS_FILE} (${JSON.stringify(byCategory)})`,
    );
  if (privileged !== p.events.privileged)
    fail(
      MANIFEST_FILE,
      `events.privileged is ${p.events.privileged}; ${EVENTS_FILE} holds ${privileged} privileged events`,
    );
  return merkle.count;
}

interface Completeness {
  /** The checker to feed with the events, when the check is re-run. */
  checker: CompletenessChecker | null;
  report: Record<string, unknown> | null;
  /** An error reading the report, raised in step 7's turn. */
  error: unknown;
}

/** Reads the completeness report and, when this version wrote the bundle, sets up the same check again. */
async function prepareCompleteness(
  b: OpenBundle,
  p: EvidencePredicate,
  held: Held,
  warnings: string[],
): Promise<Completeness> {
  const none: Completeness = { checker: null, report: null, error: null };
  if (!b.entries.has(COMPLETENESS_FILE)) return none;
  const fail: Fail = (file, message, line) => held.push({ file, message, line });
  let doc: { options?: Record<string, unknown>; report?: Record<string, unknown> };
  try {
    let bytes: Buffer;
    try {
      bytes = await b.read(COMPLETENESS_FILE, MAX_MANIFEST);
    } catch (e) {
      return { ...none, error: e };
    }
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    fail(COMPLETENESS_FILE, 'is not JSON');
    return none;
  }
  const rep = doc.report ?? {};
  const c = p.completeness;
  const pairs: Array<[string, unknown, unknown]> = [
    ['rows', rep.rows, c.rows],
    ['completeRows', rep.completeRows, c.complete_rows],
    ['percentComplete', rep.percentComplete, c.percent_complete],
    ['pass', rep.pass, c.pass],
    ['profile', rep.profile, c.profile],
  ];
  for (const [k, got, want] of pairs)
    if (got !== want)
      fail(COMPLETENESS_FILE, `report.${k} is ${JSON.stringify(got)}; the manifest says ${JSON.stringify(want)}`);
  if (c.rows !== p.events.count)
    fail(COMPLETENESS_FILE, `checked ${c.rows} rows; the bundle has ${p.events.count} events`);
  // Run the same check again over events.jsonl when this version wrote the bundle (rules may differ across versions).
  if (p.collector.version !== COLLECTOR_VERSION) {
    warnings.push(
      `the bundle was written by version ${p.collector.version}; the completeness check was not re-run (only its counts were compared)`,
    );
    return none;
  }
  const o = doc.options ?? {};
  try {
    const opts: CheckOptions = {
      profile: o.profile as CheckOptions['profile'],
      since: new Date(String(o.since)),
      until: new Date(String(o.until)),
      sharedIdentities: (o.shared_identities as string[] | null) ?? undefined,
      sources: o.sources as CheckOptions['sources'],
      roster: { entries: Array.isArray(o.roster) ? (o.roster as RosterEntry[]) : [] },
      retentionMinDays: typeof o.retention_minimum_days === 'number' ? o.retention_minimum_days : undefined,
      ...(Array.isArray(o.probes) ? { probes: o.probes as CheckOptions['probes'] } : {}),
      // The digest reports as the manifest records them (step 9 re-checks those against the integrity/ files).
      integrity: p.sources
        .filter((s) => s.settings?.cloudtrail_digests)
        .map((s) => ({
          source: s.name,
          cloudtrail_digests: s.settings!.cloudtrail_digests as IntegrityInput['cloudtrail_digests'],
        })),
    };
    return { checker: new CompletenessChecker(opts), report: rep, error: null };
  } catch (e) {
    return { ...none, error: e };
  }
}

function compareRecomputed(checker: CompletenessChecker, rep: Record<string, unknown>, fail: Fail): void {
  const again = checker.finish();
  const same = (x: unknown, y: unknown) => canonicalJson(x) === canonicalJson(y);
  for (const k of [
    'rows',
    'completeRows',
    'percentComplete',
    'missing',
    'categories',
    'findingCounts',
    'pass',
    'privileged',
  ] as const) {
    if (!same(again[k], rep[k]))
      fail(
        COMPLETENESS_FILE,
        `report.${k} does not recompute from ${EVENTS_FILE} (${JSON.stringify(rep[k])} in the bundle, ${JSON.stringify(again[k])} recomputed)`,
      );
  }
}

async function checkChain(
  previous: string,
  p: EvidencePredicate,
  fail: Fail,
  facts: VerifyResult['facts'],
  warnings: string[],
  state: State,
  key: KeyObject | null,
  maxPerFile?: number,
): Promise<void> {
  const name = basename(previous);
  const chain: NonNullable<VerifyResult['chain']> = {
    file: name,
    manifest_sha256: null,
    valid: false,
    gap: null,
    key_change: null,
  };
  state.chain = chain;
  const before = { n: 0 };
  const failChain: Fail = (file, message, line, always) => {
    before.n++;
    fail(file, message, line, always);
  };
  const prev = await openBundle(previous);
  let st: Statement;
  let digest: string;
  try {
    if (!prev.entries.has(MANIFEST_FILE)) {
      failChain(previous, `is not an evidence bundle (no ${MANIFEST_FILE})`);
      return;
    }
    let bytes: Buffer;
    try {
      bytes = await prev.read(MANIFEST_FILE, MAX_MANIFEST);
    } catch (e) {
      if (e instanceof EntryReadError) {
        failChain(previous, `${MANIFEST_FILE} ${e.message.slice(e.entry.length + 1)}`);
        return;
      }
      throw e;
    }
    digest = sha256Hex(bytes);
    chain.manifest_sha256 = digest;
    try {
      st = JSON.parse(bytes.toString('utf8'));
    } catch {
      failChain(previous, `${MANIFEST_FILE} is not JSON`);
      return;
    }
  } finally {
    prev.close();
  }
  // The previous bundle itself, in full: signed by the same key as this one (or by the old key this
  // bundle's signature vouches for, after a key change), every file unchanged.
  let prevKey = key;
  const kc = p.previous_bundle?.key_change ?? null;
  if (kc) {
    try {
      prevKey = parsePublicKey(kc.previous_public_key, 'predicate.previous_bundle.key_change.previous_public_key');
    } catch (e) {
      failChain(MANIFEST_FILE, (e as Error).message);
      return;
    }
    if (keyId(prevKey) !== kc.previous_keyid) {
      failChain(
        MANIFEST_FILE,
        `predicate.previous_bundle.key_change names key id ${kc.previous_keyid}, but its public key has key id ${keyId(prevKey)}`,
      );
      return;
    }
    chain.key_change = kc.previous_keyid;
    warnings.push(
      `the signing key changed: ${name} was signed by key ${kc.previous_keyid}, which this bundle's signature vouches for (a key rotation)`,
    );
  }
  const r = await verifyBundle(previous, { publicKey: prevKey, maxPerFile });
  const shown = r.failures.slice(0, 5);
  for (const f of shown) failChain(previous, `is INVALID: ${formatFailure(f)}`);
  if (r.failures.length > shown.length)
    failChain(
      previous,
      `is INVALID: and ${r.failures.length - shown.length} more problems (run audit-evidence verify ${previous})`,
    );
  if (!p.previous_bundle) {
    failChain(
      MANIFEST_FILE,
      `is not chained to a previous bundle (predicate.previous_bundle is null), but --previous ${previous} was given`,
    );
    return;
  }
  if (p.previous_bundle.manifest_sha256 !== digest) {
    failChain(
      MANIFEST_FILE,
      `predicate.previous_bundle names manifest sha256 ${p.previous_bundle.manifest_sha256}, but ${previous} has ${digest} (not the bundle this one follows: replaced or changed)`,
    );
    return;
  }
  const pe = st.predicate?.period?.end;
  const gap = p.previous_bundle.gap ?? null;
  if (pe && pe !== p.period.start) {
    if (Date.parse(pe) < Date.parse(p.period.start)) {
      if (gap && gap.start === pe && gap.end === p.period.start) {
        chain.gap = gap;
        warnings.push(
          `the chain has a known gap from ${gap.start} to ${gap.end}: collect accepted it with --allow-gap and the signed manifest records it`,
        );
      } else
        failChain(
          MANIFEST_FILE,
          `the chain has a gap: the previous bundle ends at ${pe}, this one starts at ${p.period.start}`,
        );
    } else
      failChain(
        MANIFEST_FILE,
        `the periods overlap: the previous bundle ends at ${pe}, this one starts at ${p.period.start}`,
      );
  } else if (gap)
    failChain(
      MANIFEST_FILE,
      `predicate.previous_bundle.gap ${gap.start} to ${gap.end} is not the gap between ${name} and this bundle (there is none)`,
    );
  if (before.n === 0) {
    chain.valid = true;
    facts.previous = digest;
  }
}

export { KeyError };
