// End to end: `audit-evidence collect` (the built binary) with a cloudtrail-s3 source over a
// generated organization trail in the local S3 server (public keys from the local CloudTrail
// server), then `audit-evidence verify` re-running the digest check offline from the bundle. An
// untouched trail passes; a tampered one (an edited log file, a deleted log file, a deleted
// digest, a digest signed by an unknown key, a digest that does not chain) makes collect exit 1
// and verify name every case, while the bundle itself stays VALID (a faithful record of the trail).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gzipSync, gunzipSync } from 'node:zlib';
import { startS3, type S3Server } from '../helpers/servers/s3.js';
import { startCloudTrail, type CtServer } from '../helpers/servers/cloudtrail.js';
import { publicKeyEntry, testKey, writeTrail, type TestKey } from '../helpers/cloudtrail-trail.js';
import { runCli } from '../helpers/cli.js';
import { openBundle } from '../../src/bundle/zip-reader.js';
import { pathToFileURL } from 'node:url';
import { browserAvailable, launch } from '../helpers/browser.js';
import { validateHtml } from '../helpers/html-validate.js';

/** The page's digest section as a reader sees it in chromium (innerText), its banners, and any overflow at 800 px. */
async function digestReportInBrowser(
  file: string,
  shot: string,
): Promise<{
  section: string;
  sectionBanner: string | null;
  verdictBanner: string | null;
  bannerColor: string | null;
  overflow: number;
}> {
  if (!browserAvailable()) throw new Error('chromium is needed for this test (/usr/bin/chromium)');
  const b = await launch();
  try {
    const page = await b.context.newPage();
    await page.setViewportSize({ width: 800, height: 900 });
    await page.goto(pathToFileURL(file).href);
    const r = await page.evaluate(() => {
      const sec = document.querySelector('section[aria-labelledby="digests-h"]') as HTMLElement | null;
      const banner = sec?.querySelector('.banner') as HTMLElement | null;
      const verdict = document.querySelector('.banner.bad') as HTMLElement | null;
      return {
        section: sec ? sec.innerText : '',
        sectionBanner: banner ? banner.innerText : null,
        verdictBanner: verdict ? verdict.innerText : null,
        bannerColor: banner ? getComputedStyle(banner).borderTopColor : null,
        overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      };
    });
    await sec(page, shot);
    return r;
  } finally {
    await b.close();
  }
  async function sec(page: import('playwright-core').Page, name: string): Promise<void> {
    const el = await page.$('section[aria-labelledby="digests-h"]');
    mkdirSync('test-output/screenshots', { recursive: true });
    if (el) await el.screenshot({ path: `test-output/screenshots/cloudtrail-digests-${name}.png` });
  }
}

const START = Date.UTC(2024, 4, 1, 23);
let dir: string;
let key: TestKey;
let ct: CtServer;
const env = {
  AWS_ACCESS_KEY_ID: 'AKIDTESTONLY',
  AWS_SECRET_ACCESS_KEY: 'e2e-not-a-real-secret',
  AWS_PROFILE: '',
  CI: 'true',
  SOURCE_DATE_EPOCH: String(Date.UTC(2024, 4, 10) / 1000),
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ae-ct-s3-'));
  key = testKey();
  ct = await startCloudTrail({
    pages: [],
    publicKeys: [publicKeyEntry(key, START - 86400_000 * 30, START + 86400_000 * 30)],
  });
  const k = await runCli(['keygen', '--out', join(dir, 'signer')], { env });
  if (k.code !== 0) throw new Error(k.stderr);
});
afterAll(async () => {
  await ct.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function collect(
  s3: S3Server,
  name: string,
): Promise<{ code: number | null; stdout: string; stderr: string; zip: string }> {
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(
    cfg,
    [
      'sources:',
      '  - name: org-trail',
      '    type: cloudtrail-s3',
      '    bucket: org-trail-bucket',
      '    organization_id: o-exampleorgid',
      '    regions: [us-east-1, eu-west-1]',
      `    endpoint: ${s3.endpoint}`,
      `    cloudtrail_endpoint: ${ct.endpoint}`,
      '',
    ].join('\n'),
  );
  const zip = join(dir, `${name}.zip`);
  const r = await runCli(
    [
      'collect',
      '--config',
      cfg,
      '--since',
      '2024-05-02',
      '--until',
      '2024-05-03',
      '--timezone',
      'UTC',
      '--out',
      zip,
      '--key',
      join(dir, 'signer.key'),
    ],
    { env },
  );
  return { ...r, zip };
}

describe('collect and verify a cloudtrail-s3 trail', () => {
  test('an untouched trail: collect exits 0, the manifest carries the digest report, verify re-checks it offline', async () => {
    const s3 = await startS3();
    try {
      const trail = writeTrail(s3, { start: START, hours: 26, key, filesPerHour: 1, eventsPerFile: 2 });
      const r = await collect(s3, 'clean');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /source org-trail: CloudTrail digest validation PASS: 104 log files covered by a valid digest, 0 with no valid digest, 0 changed, 0 missing; 104 of 104 digests valid, 0 gaps/,
      );
      const b = await openBundle(r.zip);
      try {
        const st = JSON.parse((await b.read('manifest.intoto.json')).toString());
        const s = st.predicate.sources[0];
        console.log(
          `cloudtrail-s3 bundle: source status ${s.status}, ${s.events} events, settings.cloudtrail_digests = ${JSON.stringify(s.settings.cloudtrail_digests, null, 2)}`,
        );
        expect(s.status).toBe('complete');
        expect(s.settings.cloudtrail_digests).toMatchObject({
          pass: true,
          digests: 104,
          files_covered: 104,
          report: 'integrity/org-trail/cloudtrail-digest-report.json',
        });
        const names = st.subject.map((x: { name: string }) => x.name);
        expect(names).toEqual(
          expect.arrayContaining([
            'raw/org-trail/objects.jsonl',
            'integrity/org-trail/cloudtrail-digests.jsonl',
            'integrity/org-trail/cloudtrail-public-keys.json',
            'integrity/org-trail/cloudtrail-digest-report.json',
          ]),
        );
        expect(trail.logKeys).toHaveLength(2 * 2 * 26);
      } finally {
        b.close();
      }
      const v = await runCli(['verify', r.zip], { env });
      console.log(`verify (clean trail):\n${v.stdout}`);
      expect(v.code, v.stderr).toBe(0);
      expect(v.stdout).toMatch(/VALID/);
      expect(v.stdout).toMatch(
        /source org-trail: CloudTrail digests re-checked offline: PASS: 104 log files covered by a valid digest, 0 with no valid digest, 0 changed, 0 missing; 104 of 104 digests valid, 0 gaps/,
      );
      // check over the bundle re-runs the digest check from its integrity/ files: nothing fails.
      const c = await runCli(['check', r.zip, '--no-rows', '--json'], { env });
      const rep = JSON.parse(c.stdout).report;
      expect(rep.gatingCounts['integrity.cloudtrail-digest']).toBe(0);
      const said = rep.findings
        .filter((f: { rule: string }) => f.rule === 'integrity.cloudtrail-digest')
        .map((f: { message: string; severity: string }) => `${f.severity} ${f.message}`);
      // Each trail's first digest starts its chain (the generated trail starts at 23:00): said, as info.
      expect(said).toHaveLength(5);
      expect(
        said.filter((m: string) =>
          /^info org-trail: digest chain start: trail org-trail, account \d{12}, \S+: s3:\/\/\S+T000000Z\.json\.gz starts a new chain \(previousDigestSignature is null: logging started at 2024-05-01T23:00:00Z\)$/.test(
            m,
          ),
        ),
      ).toHaveLength(4);
      expect(said[4]).toBe(
        'info org-trail: CloudTrail digest validation PASS: 104 log files covered by a valid digest, 0 with no valid digest, 0 changed, 0 missing; 104 of 104 digests valid, 0 invalid, 0 gaps',
      );
    } finally {
      await s3.stop();
    }
  }, 300_000); // several CLI runs (collect, verify, check) and a browser: minutes when the machine is loaded

  test('a tampered trail: collect exits 1 naming it; verify says VALID bundle, FAIL trail, and names each case', async () => {
    const s3 = await startS3();
    try {
      const other = testKey();
      const trail = writeTrail(s3, {
        start: START,
        hours: 26,
        key,
        filesPerHour: 1,
        eventsPerFile: 2,
        signWith: (a, r, h) => (a === '444455556666' && r === 'us-east-1' && h === 10 ? other : undefined),
        previousSignatureOverride: (a, r, h) =>
          a === '444455556666' && r === 'eu-west-1' && h === 12 ? 'cd'.repeat(256) : undefined,
      });
      const a1 = trail.logKeys.filter((k) => k.includes('/111122223333/CloudTrail/us-east-1/'));
      const edited = a1[5];
      s3.putObject(
        'org-trail-bucket',
        edited,
        gzipSync(
          gunzipSync(s3.getObject('org-trail-bucket', edited)!.body)
            .toString()
            .replace('"userName":"alice"', '"userName":"eve"'),
        ),
      );
      const deleted = a1[8];
      s3.removeObject('org-trail-bucket', deleted);
      const digestGone = trail.digestKeys.filter((k) => k.includes('/111122223333/CloudTrail-Digest/eu-west-1/'))[14];
      s3.removeObject('org-trail-bucket', digestGone);
      const r = await collect(s3, 'tampered');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /CloudTrail digest validation FAILED: 99 log files covered by a valid digest, 3 with no valid digest, 1 changed, 1 missing; 101 of 103 digests valid, 1 gaps/,
      );
      expect(r.stderr).toMatch(/1 CloudTrail trail failed digest validation \(org-trail\): exit 1/);
      const v = await runCli(['verify', r.zip], { env });
      console.log(`verify (tampered trail):\n${v.stdout}${v.stderr}`);
      expect(v.code, v.stderr).toBe(0);
      expect(v.stdout.split('\n')[0]).toMatch(
        /: VALID, INCOMPLETE: .*source org-trail CloudTrail digest validation FAIL/,
      );
      expect(v.stdout).toMatch(
        /source org-trail: CloudTrail digests re-checked offline: FAIL: 99 log files covered by a valid digest, 3 with no valid digest, 1 changed, 1 missing; 101 of 103 digests valid, 1 gaps/,
      );
      expect(v.stderr).toContain(`CHANGED after delivery: s3://org-trail-bucket/${edited}`);
      expect(v.stderr).toContain(`MISSING (listed in a valid digest): s3://org-trail-bucket/${deleted}`);
      expect(v.stderr).toMatch(
        /digest GAP: trail org-trail, account 111122223333, eu-west-1: the digest before .* is missing/,
      );
      expect(v.stderr).toMatch(
        new RegExp(
          `INVALID digest s3://org-trail-bucket/\\S+444455556666_CloudTrail-Digest_us-east-1\\S+: signed by an unknown key: no CloudTrail public key has fingerprint ${other.fingerprint}`,
        ),
      );
      expect(v.stderr).toMatch(
        /INVALID digest s3:\/\/org-trail-bucket\/\S+444455556666_CloudTrail-Digest_eu-west-1\S+: does not chain/,
      );

      // The completeness report fails on it (rule integrity.cloudtrail-digest), so the page and any
      // CI gate over the bundle fail too; check BUNDLE.zip re-runs the rule and exits 1 naming the file.
      const b = await openBundle(r.zip);
      try {
        const st = JSON.parse((await b.read('manifest.intoto.json')).toString());
        expect(st.predicate.completeness.pass).toBe(false);
        expect(st.predicate.completeness.failing_rules).toMatchObject({ 'integrity.cloudtrail-digest': 9 });
        const html = (await b.read('report/summary.html')).toString();
        expect(await validateHtml(html)).toEqual([]);
        const page = join(dir, 'tampered-summary.html');
        writeFileSync(page, html);
        const seen = await digestReportInBrowser(page, 'tampered');
        console.log(`the page's digest report (tampered trail), as chromium renders it:\n${seen.section}`);
        expect(seen.verdictBanner).toMatch(
          /FAIL CloudTrail digest validation of source org-trail: 1 log files changed after delivery, 1 missing, 2 invalid digests, 1 gaps, 3 log files with no valid digest/,
        );
        expect(seen.sectionBanner).toMatch(/FAIL Source org-trail: CloudTrail digest validation failed/);
        expect(seen.bannerColor).toBe('rgb(161, 22, 15)'); // --bad;
        expect(seen.section.replace(/\n+/g, '\n')).toContain(
          `Changed after delivery (SHA-256 differs from the digest) (1):\ns3://org-trail-bucket/${edited}\n`,
        );
        expect(seen.section.replace(/\n+/g, '\n')).toContain(
          `Missing (a valid digest lists them; they are not in the bucket) (1):\ns3://org-trail-bucket/${deleted}\n`,
        );
        expect(seen.section).toMatch(/Log files covered by a valid digest\s+99\b/);
        expect(seen.section).toMatch(/Digests valid\s+101 of 103/);
        expect(seen.section).toMatch(/Digest gaps \(hours with no digest\)\s+1 FAIL/);
        expect(seen.overflow).toBe(0);
      } finally {
        b.close();
      }
      const c = await runCli(['check', r.zip, '--no-rows'], { env });
      console.log(`check on the tampered trail's bundle:\n${c.stdout}`);
      expect(c.code).toBe(1);
      expect(c.stdout).toContain(
        `org-trail: log file CHANGED after delivery (its SHA-256 differs from the digest's hashValue): s3://org-trail-bucket/${edited}`,
      );
      expect(c.stdout).toContain(
        `org-trail: log file MISSING (listed in a digest, not found): s3://org-trail-bucket/${deleted}`,
      );
      expect(c.stdout).toMatch(/RESULT: FAIL\n {2}- 9 integrity\.cloudtrail-digest findings/);
    } finally {
      await s3.stop();
    }
  }, 300_000); // several CLI runs (collect, verify, check) and a browser: minutes when the machine is loaded
});
