// Every fixture under fixtures/<format>/ is pinned by its golden files: the events it normalizes
// to, and its counts, rejects and notes. A fixture without golden files fails, so none is forgotten.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FIXTURES, fixtureInputs, golden } from './helpers/golden.js';
import { validateEvent } from '../src/event/schema.js';

// Folders of reference material that is not a log format (demo logs; CloudTrail's signing known answers).
const NOT_FORMATS = new Set(['demo', 'cloudtrail-digest']);
const dirs = existsSync(FIXTURES)
  ? readdirSync(FIXTURES).filter((d) => statSync(join(FIXTURES, d)).isDirectory() && !NOT_FORMATS.has(d))
  : [];

for (const dir of dirs) {
  describe(`golden: ${dir}`, () => {
    test('has a PROVENANCE.md', () => {
      expect(existsSync(join(FIXTURES, dir, 'PROVENANCE.md'))).toBe(true);
    });
    for (const file of fixtureInputs(dir)) {
      test(file, async () => {
        const g = await golden(file);
        expect(
          g.expectedEvents,
          `${file}.expected.jsonl is missing (run with UPDATE_GOLDEN=1 and review)`,
        ).not.toBeNull();
        expect(g.expectedSummary, `${file}.expected-summary.json is missing`).not.toBeNull();
        for (const e of g.actualEvents) expect(validateEvent(e)).toBeNull();
        expect(g.actualSummary).toEqual(g.expectedSummary);
        expect(g.actualEvents).toEqual(g.expectedEvents);
        expect(g.actualSummary.reconciled).toBe(true);
      });
    }
  });
}

test('every format has a fixture folder (so none is silently left without golden tests)', () => {
  expect([...dirs].sort()).toEqual([
    'bytebase',
    'cloudtrail',
    'cloudwatch-logs',
    'gcp-audit',
    'mariadb-audit',
    'mysql-enterprise-audit',
    'percona-audit',
    'pgaudit',
  ]);
});
