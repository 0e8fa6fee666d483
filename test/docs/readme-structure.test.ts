// The README is edited by many hands (and once by a String.replace whose '$'' expanded into 330
// lines of a stale copy). Every '## ' and '### ' heading under one parent appears once, and the
// two first commands a new user types are where the README promises them.
import { expect, test } from 'vitest';
import { readFileSync } from 'node:fs';

const readme = readFileSync('README.md', 'utf8');

test('no section of the README appears twice', () => {
  const seen = new Map<string, number>();
  let parent = '';
  readme.split('\n').forEach((line, i) => {
    if (line.startsWith('## ')) parent = line;
    if (!/^#{2,3} /.test(line)) return;
    const key = line.startsWith('## ') ? line : `${parent} > ${line}`;
    expect(seen.has(key), `${key} at lines ${seen.get(key)} and ${i + 1}`).toBe(false);
    seen.set(key, i + 1);
  });
  expect(seen.size).toBeGreaterThan(10);
});

test('the README starts with the two commands of a fresh clone', () => {
  const head = readme.split('\n').slice(0, 40).join('\n');
  expect(head).toContain('npm ci && npx audit-evidence collect --week --demo');
  expect(head).toContain('npm test');
});
