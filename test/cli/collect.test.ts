// collect, keygen and init through the built binary: real sample logs, real keys, real zips.
import { describe, it, expect, beforeAll } from 'vitest';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runCli, BIN } from '../helpers/cli.js';
import { collect, keygen, readAll, tempDir, unzipTo, writeConfig, EPOCH } from '../bundle/helpers.js';
import { loadConfig } from '../../src/config/load.js';

const PERIOD = ['--since', '2026-11-22', '--until', '2026-11-29'];

describe('collect', () => {
  let dir: string;
  let cfg: string;
  let key: string;
  beforeAll(async () => {
    dir = tempDir();
    cfg = writeConfig(dir);
    ({ key } = await keygen(dir));
  });

  it('keygen writes a 0600 private key and refuses to overwrite', async () => {
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, 'utf8')).toContain('BEGIN PRIVATE KEY');
    const again = await runCli(['keygen', '--out', join(dir, 'k')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('writes a bundle, records the exact period and counts events outside it', async () => {
    const out = join(dir, 'a.zip');
    const r = await collect(['--config', cfg, ...PERIOD, '--key', key, '--out', out]);
    expect(r.stderr).toContain(
      'period: 2026-11-22T00:00:00.000Z (inclusive) to 2026-11-29T00:00:00.000Z (exclusive), 7 days, zone UTC',
    );
    expect(r.code).toBe(0);
    const files = await readAll(out);
    const p = JSON.parse(files.get('manifest.intoto.json')!.toString()).predicate;
    expect(p.period).toEqual({
      start: '2026-11-22T00:00:00.000Z',
      end: '2026-11-29T00:00:00.000Z',
      timezone: 'UTC',
      how: 'since-until',
    });
    expect(p.generated_at).toBe('2026-11-29T12:00:00.000Z');
    const aws = p.sources.find((s: { name: string }) => s.name === 'aws');
    // The CloudTrail sample is from another year: read, left out, counted, and the source is empty.
    expect(aws.records_read).toBeGreaterThan(0);
    expect(aws.outside_period).toBe(aws.records_read);
    expect(aws.status).toBe('empty');
    for (const s of p.sources)
      expect(s.records_read).toBe(
        s.events + s.rejects + Object.values(s.skipped as Record<string, number>).reduce((a, b) => a + b, 0),
      );
    expect(p.events.count).toBe(p.sources.reduce((a: number, s: { events: number }) => a + s.events, 0));
    expect(p.events.count).toBeGreaterThan(50);
    expect(p.signer.ephemeral).toBe(false);
    expect(p.demo).toBe(false);
    expect([...files.keys()]).toEqual([
      'manifest.intoto.json',
      'manifest.dsse.json',
      'SHA256SUMS',
      'VERIFY.md',
      'public-key.pem',
      'events.jsonl',
      'events.csv',
      'rejects.jsonl',
      'report/completeness.json',
      'report/summary.html',
      'schema/event.schema.json',
      'raw/pg/records.jsonl',
      'raw/mariadb/records.jsonl',
      'raw/aws/records.jsonl',
    ]);
  });

  it('gives a byte-identical zip for the same inputs, key and SOURCE_DATE_EPOCH, in any TZ', async () => {
    const a = join(dir, 'det-a.zip');
    const b = join(dir, 'det-b.zip');
    expect((await collect(['--config', cfg, '--week', '--key', key, '--out', a])).code).toBe(0);
    expect(
      (await collect(['--config', cfg, '--week', '--key', key, '--out', b], { TZ: 'America/Los_Angeles' })).code,
    ).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const other = join(dir, 'det-c.zip');
    expect(
      (
        await collect(['--config', cfg, '--week', '--key', key, '--out', other], {
          SOURCE_DATE_EPOCH: String(Number(EPOCH) + 60),
        })
      ).code,
    ).toBe(0);
    expect(readFileSync(a).equals(readFileSync(other))).toBe(false);
  });

  it('--week is the last seven full days before midnight in --timezone', async () => {
    const out = join(dir, 'tz.zip');
    const r = await collect(['--config', cfg, '--week', '--timezone', 'Asia/Tokyo', '--key', key, '--out', out]);
    expect(r.code).toBe(0);
    // 2026-11-29T12:00Z is 21:00 in Tokyo: the week is Nov 22 00:00 to Nov 29 00:00 Tokyo time.
    expect(r.stderr).toContain(
      'period: 2026-11-21T15:00:00.000Z (inclusive) to 2026-11-28T15:00:00.000Z (exclusive), 7 days, zone Asia/Tokyo',
    );
  });

  it('sha256sum -c SHA256SUMS passes on the unzipped bundle', async () => {
    const out = join(dir, 'sums.zip');
    expect((await collect(['--config', cfg, ...PERIOD, '--key', key, '--out', out])).code).toBe(0);
    const x = tempDir();
    spawnSync('unzip', ['-q', out, '-d', x]).status === 0 || unzipTo(await readAll(out), x);
    const r = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: x, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .every((l) => l.endsWith(': OK')),
    ).toBe(true);
    expect(r.stdout).toContain('events.jsonl: OK');
    expect(r.stdout).toContain('raw/pg/records.jsonl: OK');
  });

  it('refuses a private key readable by others', async () => {
    const { key: loose } = await keygen(dir, 'loose');
    chmodSync(loose, 0o644);
    const r = await collect(['--config', cfg, ...PERIOD, '--key', loose, '--out', join(dir, 'loose.zip')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/readable by other users \(mode 0644\); run chmod 600/);
    expect(existsSync(join(dir, 'loose.zip'))).toBe(false);
  });

  it('without --key signs with an ephemeral key and says so loudly (stderr, manifest, HTML, VERIFY.md)', async () => {
    const out = join(dir, 'eph.zip');
    const r = await collect(['--config', cfg, ...PERIOD, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/WARNING: no signing key.*EPHEMERAL/);
    expect(r.stderr).toMatch(/UNVERIFIABLE/);
    const files = await readAll(out);
    const p = JSON.parse(files.get('manifest.intoto.json')!.toString()).predicate;
    expect(p.signer.ephemeral).toBe(true);
    expect(p.signer.warning).toMatch(/NOT who signed/);
    expect(files.get('report/summary.html')!.toString()).toContain('UNVERIFIABLE SIGNER');
    expect(files.get('VERIFY.md')!.toString()).toContain('ephemeral key');
  });

  it('a source that cannot be read makes collect exit 1 (0 with --allow-partial), and the status is recorded', async () => {
    const bad = writeConfig(
      dir,
      `  - name: missing\n    type: file\n    paths: [${join(dir, 'nothing-here/*.log')}]\n    format: pgaudit\n`,
      'partial.yaml',
    );
    const out = join(dir, 'partial.zip');
    const r = await collect(['--config', bad, ...PERIOD, '--key', key, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/source missing is FAILED: no file matches/);
    const p = JSON.parse((await readAll(out)).get('manifest.intoto.json')!.toString()).predicate;
    expect(p.sources.find((s: { name: string }) => s.name === 'missing')).toMatchObject({
      status: 'failed',
      records_read: 0,
    });
    const ok = await collect([
      '--config',
      bad,
      ...PERIOD,
      '--key',
      key,
      '--out',
      join(dir, 'partial2.zip'),
      '--allow-partial',
    ]);
    expect(ok.code).toBe(0);
  });

  it('an interrupted collect leaves no zip and no temporary file', async () => {
    // A source reading standard input blocks until the input ends: interrupt it while it waits.
    const sub = tempDir();
    const stdinCfg = join(sub, 'c.yaml');
    writeFileSync(stdinCfg, 'sources:\n  - name: piped\n    type: file\n    paths: ["-"]\n    format: pgaudit\n');
    const out = join(sub, 'never.zip');
    const child = spawn(
      process.execPath,
      [BIN, 'collect', '--config', stdinCfg, ...PERIOD, '--key', key, '--out', out],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let err = '';
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (d) => {
        err += d;
        if (err.includes('piped: reading -')) resolve();
      }),
    );
    child.stdin.write(
      '2026-11-22 22:18:00.000 UTC [1] postgres@postgres/psql LOG:  AUDIT: SESSION,1,1,DDL,CREATE TABLE,,,create table t(),<none>\n',
    );
    expect(readdirSync(sub).some((f) => f.startsWith('.audit-evidence-partial-'))).toBe(true);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(143);
    expect(err).toMatch(/interrupted \(SIGTERM\); no bundle was written/);
    expect(readdirSync(sub)).toEqual(['c.yaml']);
  });

  it('names the bad key and the file when the config is invalid', async () => {
    const badCfg = join(dir, 'bad.yaml');
    writeFileSync(badCfg, 'sources:\n  - name: pg\n    type: file\n    pathz: [x.log]\n');
    const r = await collect(['--config', badCfg, '--week']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml: sources\[0\]\.pathz is not a known setting/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    writeFileSync(badCfg, 'profile: sox\nsources:\n  - {name: a, type: file, paths: x}\n');
    expect((await collect(['--config', badCfg, '--week'])).stderr).toMatch(
      /bad\.yaml: profile must be one of soc2, pci, iso27001, hipaa/,
    );
    writeFileSync(badCfg, 'sources:\n  - {name: a, type: ftp}\n');
    expect((await collect(['--config', badCfg, '--week'])).stderr).toMatch(
      /sources\[0\]\.type 'ftp' is not a source type/,
    );
  });

  it('init writes a commented starter config that validates', async () => {
    const path = join(dir, 'starter.yaml');
    const r = await runCli(['init', '--out', path]);
    expect(r.code).toBe(0);
    const text = readFileSync(path, 'utf8');
    expect(text.match(/^\s*#/gm)!.length).toBeGreaterThan(20);
    writeFileSync(join(dir, 'admins.txt'), 'x\n');
    const c = loadConfig(path);
    expect(c.sources.map((s) => s.name)).toEqual(['pg-prod', 'mariadb-prod', 'aws-prod', 'gcp-prod']);
    expect(c.roster.entries.map((e) => e.principal)).toEqual(['dba_alice', 'ops_bob']);
    expect((await runCli(['init', '--out', path])).code).toBe(2);
  });

  it('the HTML summary is self-contained and shows the four fields of administrator activity', async () => {
    const out = join(dir, 'html.zip');
    expect((await collect(['--config', cfg, ...PERIOD, '--key', key, '--out', out])).code).toBe(0);
    const html = (await readAll(out)).get('report/summary.html')!.toString();
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<script|<link|@import|url\(/i);
    expect(html).toContain(
      '<th scope="col">Timestamp (UTC)</th><th scope="col">User</th><th scope="col">Action</th><th scope="col">Resource</th>',
    );
    // A sample row from the pg15 run: the superuser creating a role, with its events.jsonl line.
    expect(html).toMatch(
      /<td class="num">\d+<\/td><td><span class="tsw"><span>2026-11-22<\/span><span>T22:\d\d:\d\d\.\d{3}Z<\/span><\/span><\/td><td class="wrap">postgres<\/td><td class="wrap">create_role<\/td>/,
    );
    for (const section of [
      'Verdict',
      'Sources',
      'Events per category and source',
      'Events per day (UTC)',
      'Administrator activity (sample)',
      'Findings by rule',
    ])
      expect(html).toMatch(new RegExp(`<h2[^>]*>${section.replace(/[()]/g, '\\$&')}</h2>`));
    expect(html).not.toContain('DEMO');
  });
});

describe('collect --demo', () => {
  it('works with no config, names the bundle DEMO, and verifies', async () => {
    const cwd = tempDir();
    const r = await runCli(['collect', '--week', '--demo'], { cwd, env: { SOURCE_DATE_EPOCH: EPOCH } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^DEMO bundle written: .*DEMO-evidence-2026-11-22_2026-11-29\.zip/);
    const zip = join(cwd, 'DEMO-evidence-2026-11-22_2026-11-29.zip');
    const files = await readAll(zip);
    const p = JSON.parse(files.get('manifest.intoto.json')!.toString()).predicate;
    expect(p.demo).toBe(true);
    expect(p.sources.length).toBeGreaterThanOrEqual(3);
    for (const s of p.sources) {
      expect(s.status).toBe('complete');
      expect(typeof s.demo_time_shift_days).toBe('number');
      expect(s.events).toBeGreaterThan(0);
    }
    const first = JSON.parse(files.get('events.jsonl')!.toString().split('\n')[0]);
    expect(first.details).toHaveProperty('demo_time_shift_days');
    const html = files.get('report/summary.html')!.toString();
    expect(html).toContain('DEMO BUNDLE');
    // The demo week: the samples spread over six of the seven days, the fourth day deliberately
    // silent, and the page says so.
    const events = files
      .get('events.jsonl')!
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const days = [...new Set(events.map((e: { timestamp: string }) => e.timestamp.slice(0, 10)))].sort();
    expect(days).toEqual(['2026-11-22', '2026-11-23', '2026-11-24', '2026-11-26', '2026-11-27', '2026-11-28']);
    expect(html).toContain(
      'No events from any source on 1 day</b> (hatched, "none"): <span class="ts">2026-11-25</span>',
    );
    expect(html).toContain('DEMO: the silent day is deliberate.');
    // Each event carries the shift of its part of the sample; the manifest lists every shift used.
    for (const s of p.sources) {
      const mine = events.filter((e: { source: { instance: string } }) => e.source.instance === s.name);
      expect(
        new Set(mine.map((e: { details: { demo_time_shift_days: number } }) => e.details.demo_time_shift_days)).size,
      ).toBe(s.settings.demo_time_shifts_days.length);
    }
    const v = await runCli(['verify', zip]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/VALID DEMO bundle/);
  });
});
