// The CloudTrail adapter through the built binary, as a user runs it (build first:
// `npx tsc -p tsconfig.json`).
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli } from '../../helpers/cli.js';

const FX = 'fixtures/cloudtrail';

describe('audit-evidence normalize, AWS CloudTrail', () => {
  test('reads a whole AWSLogs tree: gzip log files detected, digest files skipped', async () => {
    // Copy the tree without the golden side files that sit beside the fixtures.
    const dir = mkdtempSync(join(tmpdir(), 'ct-cli-'));
    cpSync(`${FX}/AWSLogs`, join(dir, 'AWSLogs'), {
      recursive: true,
      filter: (src) => !/\.(expected\.jsonl|expected-summary\.json)$/.test(src),
    });
    const r = await runCli(['normalize', join(dir, 'AWSLogs')]);
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events).toHaveLength(10);
    expect(events.every((e) => e.source.format === 'cloudtrail' && e.source.variant === 'records')).toBe(true);
    expect(events.map((e) => e.action.name)).toContain('stop_configuration_recorder');
    expect(r.stderr).toContain('read as cloudtrail (detected)');
    expect(r.stderr).toContain('1 skipped (1 CloudTrail digest file, not events)');
    expect(r.stderr).toContain('counts reconcile');
  });

  test('a truncated file: the records before the cut are events, the cut one a located reject', async () => {
    const r = await runCli(['normalize', '--format', 'cloudtrail', '--output-format', 'csv', `${FX}/truncated.json`]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(3); // header + 2 rows
    expect(r.stderr).toMatch(/rejected .*truncated\.json:1 \(record 3\): truncated record at end of input/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('lookup-events output from standard input', async () => {
    const r = await runCli(['normalize', '-'], { input: readFileSync(`${FX}/lookup-events.json`) });
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => [e.action.source_name, e.category, e.outcome])).toEqual([
      ['UpdateTrail', 'policy_change', 'success'],
      ['GetSecretValue', 'data_exposure', 'success'],
      ['CreatePolicyVersion', 'policy_change', 'failure'],
    ]);
    expect(events[0].source.variant).toBe('lookup-events');
  });
});
