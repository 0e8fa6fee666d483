// The redaction policy reaches the worker threads of `normalize --jobs`: a library caller's policy
// (extra names, parameters: all) made by makePolicy used to be dropped on the way to the workers,
// so their extra secret names were kept in the output. Workers load the built code, so this test
// imports from dist/ (npm test builds it first).
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeParallel } from '../../dist/pipeline/parallel.js';
import { emptySummary } from '../../dist/pipeline/run.js';
import { catalog } from '../../dist/sources/registry.js';
import { TextWriter } from '../../dist/export/writer.js';
import { makePolicy } from '../../dist/redact/policy.js';

const FIXTURE = join(import.meta.dirname, '..', '..', 'fixtures', 'cloudtrail', 'federation-saml-web-identity.jsonl');

describe('normalize --jobs: the redaction policy reaches the workers', () => {
  it('a policy object with extra names redacts the raw text the workers write (rejects), and counts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ae-parallel-policy-'));
    try {
      // A real record per file, with a member only the extra name makes secret, and an impossible date
      // so that it is rejected and its raw text written to the rejects file by the worker.
      const record = JSON.parse(readFileSync(FIXTURE, 'utf8').split('\n')[0]!);
      const files = [1, 2, 3].map((i) => {
        const f = join(dir, `trail-${i}.jsonl`);
        writeFileSync(
          f,
          `${JSON.stringify({ ...record, eventID: `${record.eventID}-${i}`, eventTime: '2024-02-30T09:00:00Z', requestParameters: { acmeVaultPhrase: `ZQPARALLEL00${i}x`, roleArn: 'arn:aws:iam::123456789012:role/r' } })}\n`,
        );
        return f;
      });
      const run = async (redact: ReturnType<typeof makePolicy>, name: string) => {
        const outPath = join(dir, `${name}.jsonl`);
        const rejPath = join(dir, `${name}.rejects.jsonl`);
        const out = new TextWriter(createWriteStream(outPath));
        const rejects = new TextWriter(createWriteStream(rejPath));
        const summary = emptySummary();
        await normalizeParallel(
          files,
          { format: 'cloudtrail', adapters: catalog, options: {}, redact },
          { jobs: 2, output: 'jsonl', rejects: true, showRejects: 0 },
          { out, rejects },
          summary,
        );
        await out.end();
        await rejects.end();
        return {
          text: readFileSync(outPath, 'utf8') + readFileSync(rejPath, 'utf8'),
          rejects: summary.rejects,
          redactions: summary.inputs.reduce((n, s) => n + s.redactions, 0),
        };
      };
      // Without the extra name the member is not a secret (the default policy still redacts the
      // record's STS credentials); with it, each worker redacts it too.
      const plain = await run(makePolicy(null), 'plain');
      expect(plain.text).toMatch(/ZQPARALLEL001x/);
      const extra = await run(makePolicy({ extra_names: ['acme_vault_phrase'] }), 'extra');
      expect(extra.rejects).toBe(3); // an impossible date: each record is a reject that keeps its raw text
      expect(extra.text).not.toMatch(/ZQPARALLEL/);
      expect(extra.redactions).toBe(plain.redactions + 3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
