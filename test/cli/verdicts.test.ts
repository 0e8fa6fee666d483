// Honest verdicts, end to end with the built binary: what collect's exit code and console, and
// verify's first line, tell a reader. Each case here was a misleading verdict before: an all-rejected
// source reported EMPTY with exit 0, a failed source or a failed completeness check under a bare
// "VALID", a FAIL without its rule, a private key accepted as --pubkey, a future period accepted.
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { collect, keygen, ROOT, tempDir, writeConfig } from '../bundle/helpers.js';

const STOP_LOGGING = join(ROOT, 'fixtures/cloudtrail/stratus-red-team__aws.defense-evasion.cloudtrail-stop.json');
const CT_PERIOD = ['--since', '2024-07-29', '--until', '2024-08-05'];

describe('source status, verify summary and console reasons', () => {
  let dir: string;
  let k: { key: string; pub: string };
  beforeAll(async () => {
    dir = tempDir('ae-verdicts-');
    k = await keygen(dir);
    // An nginx access log configured as pgaudit: every record is rejected.
    writeFileSync(
      join(dir, 'nginx.log'),
      '192.0.2.1 - - [30/Jul/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 612\n192.0.2.1 - - [30/Jul/2024:10:00:01 +0000] "GET /x HTTP/1.1" 404 0\n',
    );
    writeConfig(dir, '', 'ok.yaml');
    writeFileSync(
      join(dir, 'web.yaml'),
      'sources:\n  - name: web\n    type: file\n    format: pgaudit\n    paths: [nginx.log]\n',
    );
    writeFileSync(
      join(dir, 'ct.yaml'),
      `sources:\n  - name: aws-prod\n    type: file\n    format: cloudtrail\n    paths: [${STOP_LOGGING}]\n  - name: aws-dr\n    type: file\n    format: cloudtrail\n    paths: [does-not-exist/*.json]\n`,
    );
  });

  it('a source whose every record was rejected is UNREADABLE, collect exits 1, verify says INCOMPLETE (was EMPTY, exit 0, VALID)', async () => {
    const zip = join(dir, 'web.zip');
    const c = await collect(['--config', join(dir, 'web.yaml'), ...CT_PERIOD, '--key', k.key, '--out', zip]);
    expect(c.code, c.stderr).toBe(1);
    expect(c.stderr).toMatch(
      /WARNING: source web is UNREADABLE: 2 of 2 records in the period rejected, 0 events \(unreadable: rejects > events\); first rejected: nginx\.log line 1: /,
    );
    expect(c.stderr).toMatch(/1 source is not complete \(web unreadable\): exit 1/);
    const v = await runCli(['verify', zip, '--pubkey', k.pub]);
    expect(v.code).toBe(0);
    expect(v.stdout.split('\n')[0]).toBe(
      `${zip}: VALID, INCOMPLETE: source web unreadable (2 of 2 records in the period rejected, 0 events (unreadable: rejects > events)), completeness FAIL (no events were read, so nothing shows the log is captured)`,
    );
    expect(v.stdout).toMatch(/source web \(file, pgaudit\): UNREADABLE: .*; read 2, 0 events, 2 rejected, 0 skipped/);
    const strict = await runCli(['verify', zip, '--pubkey', k.pub, '--require-complete']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/--require-complete: the evidence is not complete: exit 1/);
  });

  it("a failed source and a failed completeness check are on verify's first line, with the rule id (was a bare VALID)", async () => {
    const zip = join(dir, 'ct.zip');
    const c = await collect(['--config', join(dir, 'ct.yaml'), ...CT_PERIOD, '--key', k.key, '--out', zip]);
    expect(c.code).toBe(1);
    // The console explains the FAIL with the rule id and count (was "FAIL, 1 of 1 rows complete (100%)").
    expect(c.stderr).toMatch(
      /completeness \(soc2\): FAIL \(audit\.disabled 1\), 1 of 1 rows complete \(100%\): 1 audit\.disabled finding/,
    );
    expect(c.stderr).toMatch(/WARNING: source aws-dr is FAILED: /);
    const v = await runCli(['verify', zip, '--pubkey', k.pub]);
    expect(v.code).toBe(0);
    const first = v.stdout.split('\n')[0]!;
    expect(first).toMatch(
      new RegExp(
        `^${zip.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: VALID, INCOMPLETE: source aws-dr failed \\(.*\\), completeness FAIL \\(audit\\.disabled\\)$`,
      ),
    );
    expect(v.stdout).toMatch(/signature: OK, signed by key [0-9a-f]{64} \(given key\)/);
    expect(v.stdout).toMatch(/source aws-prod \(file, cloudtrail\): complete; read 1, 1 events, 0 rejected, 0 skipped/);
    expect(v.stdout).toMatch(/completeness \(soc2\): FAIL \(audit\.disabled 1\)/);
    expect((await runCli(['verify', zip, '--pubkey', k.pub, '--require-complete'])).code).toBe(1);
    // --json: the whole result as one document.
    const j = await runCli(['verify', zip, '--pubkey', k.pub, '--json']);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({
      valid: true,
      complete: false,
      exit_code: 0,
      signature: { ok: true },
      integrity: { ok: true },
    });
    expect(doc.verdict).toMatch(/^VALID, INCOMPLETE: source aws-dr failed/);
    expect(doc.sources.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual([
      'aws-prod:complete',
      'aws-dr:failed',
    ]);
    expect(doc.completeness).toMatchObject({ pass: false, failing_rules: { 'audit.disabled': 1 } });
    // collect --json too.
    const cj = await collect([
      '--config',
      join(dir, 'ct.yaml'),
      ...CT_PERIOD,
      '--key',
      k.key,
      '--out',
      join(dir, 'ct2.zip'),
      '--json',
    ]);
    expect(cj.code).toBe(1);
    expect(JSON.parse(cj.stdout)).toMatchObject({
      complete: false,
      exit_code: 1,
      completeness: { pass: false, failing_rules: { 'audit.disabled': 1 } },
    });
  });

  it('a complete bundle is VALID, COMPLETE and passes --require-complete', async () => {
    const zip = join(dir, 'ok.zip');
    const c = await collect([
      '--config',
      join(dir, 'ok.yaml'),
      '--since',
      '2026-11-22',
      '--until',
      '2026-11-29',
      '--key',
      k.key,
      '--out',
      zip,
    ]);
    expect(c.code, c.stderr).toBe(0);
    const v = await runCli(['verify', zip, '--pubkey', k.pub, '--require-complete']);
    expect(v.stdout.split('\n')[0]).toBe(`${zip}: VALID, COMPLETE`);
    expect(v.code).toBe(0);
  });

  it('verify --pubkey refuses a private key file (it was accepted without a word)', async () => {
    const zip = join(dir, 'ok.zip');
    const r = await runCli(['verify', zip, '--pubkey', k.key]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--pubkey .*k\.key is a PRIVATE key: give the public key/);
  });

  it('a period that ends after now is refused (it was accepted silently)', async () => {
    const out = join(dir, 'future.zip');
    const r = await collect([
      '--config',
      join(dir, 'ok.yaml'),
      '--since',
      '2026-11-25',
      '--until',
      '2026-12-02',
      '--key',
      k.key,
      '--out',
      out,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /error: the period ends at 2026-12-02T00:00:00\.000Z, after now \(2026-11-29T12:00:00\.000Z\)/,
    );
    expect(existsSync(out)).toBe(false);
  });
});
