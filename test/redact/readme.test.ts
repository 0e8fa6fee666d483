// The docs' "What is redacted" table (docs/redaction.md, moved there from the README) is the
// policy's table (src/redact/policy.ts RULES).
import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { RULES, POLICY_VERSION } from '../../src/redact/policy.js';

it('README lists every rule of the policy, and its version', () => {
  const readme = readFileSync(new URL('../../docs/redaction.md', import.meta.url), 'utf8');
  const section = readme.slice(0, readme.indexOf('## Adding names'));
  for (const r of RULES)
    expect(section).toContain(`| ${r.rule} | ${r.matches.replace(/\|/g, '\\|')} | ${r.examples} |`);
  expect(section).toContain(`policy version ${POLICY_VERSION}`);
});
