// The auditor's checklist end to end through the built binary: collect writes it on the bundle's
// page (report/summary.html, shown in a real browser) and `check BUNDLE.zip` prints the same eight
// lines (text and --json); check over plain log files says unknown where it cannot know. check also
// applies retention.short from the bundle's manifest (the retention collect read from each source).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { collect, keygen, readAll, tempDir, writeConfig, DEMO } from '../bundle/helpers.js';
import { runCli } from '../helpers/cli.js';
import { browserAvailable, launch } from '../helpers/browser.js';

let dir: string;
let zip: string;
let html: string;

beforeAll(async () => {
  dir = tempDir('ae-checklist-');
  const { key } = await keygen(dir);
  const cfg = writeConfig(
    dir,
    `admins:
  list: [postgres, alice]
bundle:
  ocsf: true
`,
  );
  zip = join(dir, 'b.zip');
  const r = await collect(['--config', cfg, '--week', '--key', key, '--out', zip]);
  if (r.code !== 0 && r.code !== 1) throw new Error(r.stderr);
  html = (await readAll(zip)).get('report/summary.html')!.toString();
  writeFileSync(join(dir, 'summary.html'), html);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const rowsOf = (page: string) =>
  [...page.matchAll(/<tr data-check="([^"]+)" data-status="([^"]+)">/g)].map((m) => [m[1], m[2]]);

describe("the auditor's checklist", () => {
  it('check BUNDLE --json gives the eight lines the page shows, with evidence', async () => {
    const r = await runCli(['check', zip, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.checklist).toHaveLength(1);
    const c = doc.checklist[0];
    expect(c).toMatchObject({ input: zip, bundle: true });
    console.log(`check --json checklist:\n${JSON.stringify(c.lines, null, 2)}`);
    expect(c.lines.map((l: { id: string; status: string }) => [l.id, l.status])).toEqual(rowsOf(html));
    const by = Object.fromEntries(c.lines.map((l: { id: string }) => [l.id, l]));
    // The config roster covers the file sources (said so); OCSF is in the bundle; the file sources' retention is unknown.
    expect(by['admin-roles-enumerable']).toMatchObject({
      status: 'met',
      evidence: expect.arrayContaining(['configuration roster (config): listed by hand, applies to every source']),
    });
    expect(by['siem-ingestion']).toMatchObject({
      status: 'met',
      evidence: [expect.stringMatching(/^events\.ocsf\.jsonl: \d+ OCSF 1\.8\.0 records, each validated/)],
    });
    expect(by['retention-tamper-evident'].status).toBe('unknown');
    expect(by['retention-tamper-evident'].evidence).toContain(
      'pg, mariadb, aws: retention unknown: read from files: how long their writer keeps them cannot be told from the files (read the source live)',
    );
    expect(by['retention-tamper-evident'].evidence.at(-1)).toMatch(
      /^tamper-evident: Ed25519 \(DSSE\) signature by key [0-9a-f]{64}/,
    );
    expect(by['four-fields'].status).toMatch(/met/);
    for (const l of c.lines) expect(l.evidence.length).toBeGreaterThan(0);
    // retention.short ran in check from the manifest: one finding per source, the threshold collect used.
    const ret = doc.report.findings.filter((f: { rule: string }) => f.rule === 'retention.short');
    expect(ret.map((f: { source: string }) => f.source).sort()).toEqual(['aws', 'mariadb', 'pg']);
    expect(ret[0].message).toMatch(/retention unknown: .* \(required: 365 days\)/);
    // a different threshold, and the gate on it
    const g = await runCli([
      'check',
      zip,
      '--fail-on',
      'default,retention.short',
      '--min-retention-days',
      '30',
      '--no-rows',
    ]);
    expect(g.code).toBe(1);
    expect(g.stdout).toMatch(/retention unknown: .*\(required: 30 days\)/);
    expect(g.stdout).toMatch(/Retention is at least 30 days and the record is tamper-evident/);
  });

  it('the text report ends with the checklist', async () => {
    const r = await runCli(['check', zip, '--no-rows']);
    expect(r.code, r.stderr).toBe(0);
    const i = r.stdout.indexOf(
      `Auditor's checklist for ${zip} (from its manifest and events; the bundle is not verified here`,
    );
    expect(i).toBeGreaterThan(0);
    const text = r.stdout.slice(i);
    console.log(text);
    expect(text).toMatch(/^ {2}1\. MET {5}Every admin role in the system is enumerable$/m);
    expect(text).toMatch(/^ {2}8\. MET {5}The log can be ingested into a SIEM \(OCSF\)$/m);
    expect(text).toMatch(/^ {2}\d met, \d not met, \d unknown$/m);
  });

  it('check over plain log files says unknown where it cannot know, and uses --admins', async () => {
    const r = await runCli(['check', join(DEMO, 'cloudtrail'), '--format', 'cloudtrail', '--json']);
    const c = JSON.parse(r.stdout).checklist;
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ input: 'the inputs', bundle: false });
    const st = Object.fromEntries(c[0].lines.map((l: { id: string; status: string }) => [l.id, l.status]));
    expect(st).toMatchObject({
      'admin-roles-enumerable': 'unknown',
      'week-exported': 'unknown',
      'retention-tamper-evident': 'unknown',
    });
    writeFileSync(join(dir, 'admins.txt'), 'alice\nroot\n');
    const a = await runCli([
      'check',
      join(DEMO, 'cloudtrail'),
      '--format',
      'cloudtrail',
      '--admins',
      join(dir, 'admins.txt'),
      '--json',
    ]);
    const l1 = JSON.parse(a.stdout).checklist[0].lines[0];
    expect(l1).toMatchObject({
      status: 'met',
      evidence: [
        `2 principals from --admins ${join(dir, 'admins.txt')} (given on the command line, not read from the systems)`,
      ],
    });
  });

  it.runIf(browserAvailable())('the page shows the checklist in a real browser', async () => {
    const { context, close } = await launch();
    try {
      const page = await context.newPage();
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.goto(pathToFileURL(join(dir, 'summary.html')).href);
      const got = await page.evaluate(() => {
        const h = document.getElementById('checklist-h');
        const rows = [...document.querySelectorAll('table.checklist tbody tr')] as HTMLElement[];
        return {
          heading: h?.textContent ?? null,
          visible: !!h && h.getBoundingClientRect().height > 0,
          rows: rows.map((r) => ({
            id: r.dataset.check,
            status: (r.children[2] as HTMLElement).innerText,
            evidence: (r.children[3] as HTMLElement).innerText,
          })),
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        };
      });
      expect(got.heading).toBe("Auditor's checklist");
      expect(got.visible).toBe(true);
      expect(got.rows).toHaveLength(8);
      expect(got.rows.every((r) => ['MET', 'NOT MET', 'UNKNOWN'].includes(r.status))).toBe(true);
      expect(got.rows.every((r) => r.evidence.trim().length > 0)).toBe(true);
      expect(got.overflow).toBeLessThanOrEqual(0);
    } finally {
      await close();
    }
  });
});
