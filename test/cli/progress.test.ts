// Progress on long reads (issue 10): one overwriting line with records, bytes and rate, only on a
// terminal and never in CI; AUDIT_EVIDENCE_PROGRESS=always forces it (and shows it from the start),
// which is how a test without a terminal can see it. The line is cleared before the summary.
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ae-progress-'));
// 3,000 copies of a real CloudTrail record (one line each), enough for several progress updates.
const parsed = JSON.parse(
  readFileSync('fixtures/cloudtrail/stratus-red-team__aws.persistence.iam-create-admin-user.json', 'utf8'),
);
const one = Array.isArray(parsed) ? parsed[0] : (parsed.Records?.[0] ?? parsed);
const file = join(dir, 'trail.jsonl');
writeFileSync(
  file,
  Array.from({ length: 3000 }, (_, i) => JSON.stringify({ ...one, eventID: `id-${i}` })).join('\n') + '\n',
);
const CLEAR = '\r\x1b[2K';

describe('progress', () => {
  test('normalize: forced on, progress lines name records, bytes and rate, then the line is cleared before the summary', async () => {
    const r = await runCli(['normalize', '--format', 'cloudtrail', file, '--out', '/dev/null'], {
      env: { AUDIT_EVIDENCE_PROGRESS: 'always', CI: '' },
    });
    expect(r.code).toBe(0);
    const lines = r.stderr.split(CLEAR).filter((l) => l.startsWith('normalize: '));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^normalize: [\d,]+ records, [\d.]+ MB read, [\d,]+ records\/s \([\d.]+ MB\/s\)/);
    // The summary starts on a clean line, after the last clear.
    expect(r.stderr.slice(r.stderr.lastIndexOf(CLEAR) + CLEAR.length)).toMatch(
      /^audit-evidence: .*read 3000 records from 1 input: 3000 events/m,
    );
  });

  test('check: forced on, records and rate', async () => {
    const r = await runCli(['check', '--format', 'cloudtrail', file, '--no-rows'], {
      env: { AUDIT_EVIDENCE_PROGRESS: 'always', CI: '' },
    });
    expect(r.stderr).toMatch(/\r\x1b\[2Kcheck: [\d,]+ records read, [\d,]+ records\/s/);
  });

  test('never when stderr is not a terminal (CI, pipes): no carriage return at all', async () => {
    for (const env of [{ CI: 'true' }, { CI: '' }]) {
      const r = await runCli(['normalize', '--format', 'cloudtrail', file, '--out', '/dev/null'], { env });
      expect(r.code).toBe(0);
      expect(r.stderr).not.toContain('\r');
    }
  });
});
