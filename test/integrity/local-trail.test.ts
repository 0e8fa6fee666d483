// `check` over a local copy of a CloudTrail trail, as `aws s3 sync s3://BUCKET DIR` writes it: the
// log files under AWSLogs/.../CloudTrail/, the digests under AWSLogs/.../CloudTrail-Digest/, and no
// signatures (sync drops the x-amz-meta-signature metadata). Real gzip files written by the trail
// generator the S3 tests use (digests chained and signed by a test key exactly as CloudTrail does).
// Each log file's SHA-256 is checked against its digest and each digest against the next one's
// previousDigestHashValue; a changed, deleted or undigested file fails the check, named; the
// signatures are said to be unchecked, never valid.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { localTrailStore, testKey, writeTrail, type Trail } from '../helpers/cloudtrail-trail.js';
import { checkLocalTrail, localSummary } from '../../src/integrity/local.js';
import { CompletenessChecker } from '../../src/checks/index.js';
import { runCli } from '../helpers/cli.js';

const START = Date.UTC(2024, 4, 1, 23);
let dir: string;
let clean: string;
let trail: Trail;
const files = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .sort();
const copy = (name: string): string => {
  const to = join(dir, name);
  cpSync(clean, to, { recursive: true });
  return to;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ae-ct-local-'));
  clean = join(dir, 'clean');
  trail = writeTrail(localTrailStore(clean), {
    start: START,
    hours: 6,
    key: testKey(),
    filesPerHour: 2,
    eventsPerFile: 2,
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a local copy of a trail (aws s3 sync)', () => {
  test('untouched: every log file matches its digest, the hash chain holds, the signatures are said to be unchecked', async () => {
    const r = (await checkLocalTrail(files(clean)))!;
    expect(r.report).toMatchObject({
      digests: 24,
      digests_valid: 0,
      digests_signature_unchecked: 24,
      files_covered: 0,
      files_matched_unsigned: 48,
      files_changed: [],
      files_missing: [],
      files_without_digest: [],
      digest_gaps: [],
      invalid_digests: [],
      pass: true,
    });
    const checker = new CompletenessChecker({ integrity: [localSummary(r)] });
    const rep = checker.finish();
    const msgs = rep.findings.filter((f) => f.rule === 'integrity.cloudtrail-digest');
    expect(msgs.every((f) => f.severity === 'info')).toBe(true);
    expect(msgs.map((f) => f.message).join('\n')).toMatch(
      /signatures of 24 of 24 digest files could not be checked offline/,
    );
    expect(msgs.map((f) => f.message).join('\n')).not.toMatch(/\bvalid digest\b.*PASS$/);
    expect(rep.failOn).toContain('integrity.cloudtrail-digest');
  });

  test('check AWSLogs/ (the built CLI): changed, deleted, undigested files and a gap fail it, each named', async () => {
    const t = copy('tampered');
    const a1 = trail.logKeys.filter((k) => k.includes('/111122223333/CloudTrail/us-east-1/'));
    const edited = join(t, a1[3]);
    writeFileSync(
      edited,
      gzipSync(gunzipSync(readFileSync(edited)).toString().replace('"userName":"alice"', '"userName":"eve"')),
    );
    const deleted = join(t, a1[6]);
    unlinkSync(deleted);
    const digestGone = trail.digestKeys.filter((k) => k.includes('/444455556666/CloudTrail-Digest/eu-west-1/'))[2];
    unlinkSync(join(t, digestGone));
    const r = await runCli(['check', join(t, 'AWSLogs'), '--no-rows']);
    console.log(
      `check on a tampered local trail copy:\n${r.stdout}${r.stderr
        .split('\n')
        .filter((l) => !l.includes('(detected)'))
        .join('\n')}`,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `log file CHANGED after delivery (its SHA-256 differs from the digest's hashValue): ${edited}`,
    );
    expect(r.stdout).toContain(`log file MISSING (listed in a digest, not found): ${a1[6]}`);
    expect(r.stdout).toMatch(
      /digest GAP: trail org-trail, account 444455556666, eu-west-1: the digest before \S+ \(s3:\/\/org-trail-bucket\/\S+\) is missing/,
    );
    expect(r.stdout).toMatch(/log file with NO valid digest: \S+444455556666_CloudTrail_eu-west-1_/);
    expect(r.stdout).toMatch(/RESULT: FAIL\n {2}- 6 integrity\.cloudtrail-digest findings/);
    expect(r.stderr).toMatch(
      /CloudTrail digests checked offline: FAIL: 0 log files covered by a valid digest, 44 matching a digest whose signature could not be checked, 2 with no valid digest, 1 changed, 1 missing; 0 of 23 digests valid, 23 with the signature not checked, 0 invalid, 1 gaps/,
    );
    const clean = await runCli(['check', join(dir, 'clean', 'AWSLogs'), '--no-rows', '--json']);
    const rep = JSON.parse(clean.stdout).report;
    expect(rep.findingCounts['integrity.cloudtrail-digest']).toBe(6); // 4 chain starts (each trail's first digest), the unchecked signatures, the PASS
    expect(rep.gatingCounts['integrity.cloudtrail-digest']).toBe(0);
    expect(clean.stderr).toMatch(/PASS for the log file hashes and the chain of hashes \(signatures NOT checked\)/);
  }, 180_000);

  test('a digest changed after delivery breaks the hash chain (the next digest names its old hash)', async () => {
    const t = copy('digest-edited');
    const k = trail.digestKeys.filter((x) => x.includes('/111122223333/CloudTrail-Digest/us-east-1/'))[1];
    const p = join(t, k);
    const d = JSON.parse(gunzipSync(readFileSync(p)).toString());
    d.logFiles[0].hashValue = '0'.repeat(64); // the forger hides an edit of the first log file
    writeFileSync(p, gzipSync(Buffer.from(JSON.stringify(d))));
    const r = (await checkLocalTrail(files(t)))!;
    expect(r.report.pass).toBe(false);
    expect(r.report.invalid_digests.map((x) => x.problem)).toEqual([
      expect.stringMatching(
        /^does not chain: previousDigestSignature\/previousDigestHashValue do not match \S+111122223333_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20240502T010000Z/,
      ),
    ]);
  });

  test('property: any one byte changed in any log file is found and named, and nothing else', async () => {
    const logs = files(clean).filter((f) => f.includes('/CloudTrail/'));
    const t = copy('prop');
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: logs.length - 1 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (which, at, x) => {
          const path = join(t, logs[which].slice(clean.length + 1));
          const orig = readFileSync(path);
          const json = gunzipSync(orig);
          const i = at % json.length;
          const bad = Buffer.from(json);
          bad[i] ^= x;
          writeFileSync(path, gzipSync(bad));
          try {
            const r = (await checkLocalTrail(files(t)))!;
            expect(r.report.files_changed).toEqual([path]);
            expect(r.report.files_missing).toEqual([]);
            expect(r.report.files_without_digest).toEqual([]);
            expect(r.report.pass).toBe(false);
          } finally {
            writeFileSync(path, orig);
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 180_000);

  test('logging stopped and started again: the new chain is accepted and reported as a chain start, the stopped hour as a gap', async () => {
    const t = join(dir, 'restart');
    writeTrail(localTrailStore(t), {
      start: START,
      hours: 6,
      key: testKey(),
      filesPerHour: 1,
      eventsPerFile: 1,
      accounts: ['111122223333'],
      regions: ['us-east-1'],
      stoppedAt: (_a, _r, h) => h === 3,
      restartAt: (_a, _r, h) => h === 4,
    });
    const r = (await checkLocalTrail(files(t)))!;
    expect(r.report.chain_starts).toEqual([
      expect.stringMatching(
        /^trail org-trail, account 111122223333, us-east-1: \S+_20240502T000000Z\.json\.gz starts a new chain \(previousDigestSignature is null: logging started at 2024-05-01T23:00:00Z\)$/,
      ),
      expect.stringMatching(
        /^trail org-trail, account 111122223333, us-east-1: \S+_20240502T040000Z\.json\.gz starts a new chain \(previousDigestSignature is null: logging started again after it was stopped at 2024-05-02T03:00:00Z\)$/,
      ),
    ]);
    expect(r.report.digest_gaps).toEqual([
      expect.stringMatching(
        /no digest covers 2024-05-02T02:00:00Z → 2024-05-02T03:00:00Z \(before \S+_20240502T040000Z\.json\.gz; it starts a new chain: logging was stopped and started again\)$/,
      ),
    ]);
    expect(r.report.invalid_digests).toEqual([]);
    const rep = new CompletenessChecker({ integrity: [localSummary(r)] }).finish();
    expect(rep.findings.filter((f) => f.field === 'chain_start').map((f) => f.severity)).toEqual(['info', 'info']);
  });

  test('no digest files among the inputs: nothing is checked, nothing is claimed', async () => {
    expect(await checkLocalTrail(files(clean).filter((f) => f.includes('/CloudTrail/')))).toBeNull();
  });
});
