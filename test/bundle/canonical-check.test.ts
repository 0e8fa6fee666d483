// verify judges each events.jsonl line canonical with isCanonicalLine (native JSON.stringify plus a
// key-order walk) instead of building canonicalLine: the two must agree on every text.
import { expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalLine, isCanonicalLine } from '../../src/bundle/canonical-line.js';

const agree = (text: string) => {
  const v = JSON.parse(text);
  expect(isCanonicalLine(v, text)).toBe(canonicalLine(v) === text);
};

it('agrees with canonicalLine on arbitrary JSON texts, their canonical forms and their compact forms', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const compact = JSON.stringify(v);
      agree(compact);
      agree(canonicalLine(JSON.parse(compact)));
      agree(JSON.stringify(v, null, 1));
    }),
    { numRuns: 2000 },
  );
});

it('agrees on objects with integer-like keys (which JavaScript reorders on parsing), duplicates and escapes', () => {
  for (const t of [
    '{"10":1,"9":2}',
    '{"9":2,"10":1}',
    '{"a":1,"a":2}',
    '{"b":1,"a":2}',
    '{"a":"\\u00e9"}',
    '{"a":"é"}',
    '{"a":1.0}',
    '{"a":1e2}',
    '{"a":[{"c":1,"b":2}]}',
    '{"a":"\\ud800"}',
    '{"a":-0}',
    '{"":1,"a":{}}',
  ])
    agree(t);
  fc.assert(
    fc.property(
      fc.dictionary(fc.oneof(fc.string(), fc.nat().map(String)), fc.oneof(fc.integer(), fc.string())),
      (d) => {
        agree(canonicalLine(d));
        agree(JSON.stringify(d));
      },
    ),
    { numRuns: 1000 },
  );
});
