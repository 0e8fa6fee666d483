// The GCP Cloud Audit Logs adapter through the built binary, as a user runs it (build first:
// `npx tsc -p tsconfig.json`).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { runCli } from '../../helpers/cli.js';

const FX = 'fixtures/gcp-audit';

describe('audit-evidence normalize, GCP Cloud Audit Logs', () => {
  test('detects the format; a malformed file still yields its events and one located reject', async () => {
    const r = await runCli([
      'normalize',
      `${FX}/universal-connectors__firestore_logs.json`,
      `${FX}/entries-list-response.json`,
    ]);
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events).toHaveLength(10);
    expect(events.every((e) => e.source.format === 'gcp-audit')).toBe(true);
    expect(r.stderr).toContain('read as gcp-audit (detected)');
    expect(r.stderr).toMatch(/rejected .*firestore_logs\.json:433 .*unexpected '\]'/);
    expect(r.stderr).toContain('2 skipped');
    expect(r.stderr).toContain('counts reconcile');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('reads a gzipped JSON Lines sink export from standard input', async () => {
    const gz = gzipSync(readFileSync(`${FX}/sink-export.jsonl`));
    const r = await runCli(['normalize', '--format', 'gcp-audit', '-'], { input: gz });
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.category)).toEqual([
      'data_exposure',
      'data_exposure',
      'permission_change',
      'policy_change',
      'permission_change',
    ]);
    expect(events[3].details.audit_logging_disabled).toBe(true);
  });

  test('CSV output carries the audit fields', async () => {
    const r = await runCli(['normalize', '--format', 'gcp-audit', '--output', 'csv', `${FX}/logging-sink-delete.json`]);
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header).toContain('timestamp,user');
    expect(row).toContain('mallory@example.com');
    expect(row).toContain('delete_sink');
    expect(row).toContain('policy_change');
  });
});
