// The JUnit file parses back as JUnit XML: well formed (strict parser), testsuites > testsuite >
// testcase, counts in the attributes match the cases, failures only for rules that gate.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { CompletenessChecker, RULES } from '../../src/checks/index.js';
import { JUnitSpool } from '../../src/checks/junit.js';
import { xmlEscape } from '../../src/checks/report.js';
import { parseXml, type XmlNode } from './xml.js';
import { ev } from './make-event.js';

test('the test parser rejects what is not well formed', () => {
  expect(() => parseXml('<a><b></a>')).toThrow();
  expect(() => parseXml('<a x="1" x="2"/>')).toThrow(/duplicate/);
  expect(() => parseXml('<a>&nbsp;</a>')).toThrow(/entity/);
  expect(() => parseXml('<a>1 < 2</a>')).toThrow();
  expect(() => parseXml('<a/><b/>')).toThrow();
  expect(parseXml('<?xml version="1.0"?>\n<a k="&lt;&amp;&quot;"><b/>t&#x41;</a>')).toMatchObject({
    name: 'a',
    attrs: { k: '<&"' },
    text: 'tA',
  });
});

test('xmlEscape escapes markup and replaces characters XML cannot carry', () => {
  expect(xmlEscape(`<a href="x">'&'</a>\u0001\uD800`)).toBe(
    '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;\uFFFD\uFFFD',
  );
});

test('a failing run: one suite per rule, one case per finding, valid counts', async () => {
  const c = new CompletenessChecker();
  const spool = await JUnitSpool.create();
  const rows = [
    ev(),
    ev({ user: { name: null }, action: { name: 'select', statement: 'SELECT "<tag>" & \u0007bell' } }),
    ev({ user: { name: 'postgres' }, resource: { name: 'x', implicit: true } }),
  ];
  for (const e of rows) for (const f of c.add(e)) await spool.add(f);
  const r = c.finish();
  const file = join(mkdtempSync(join(tmpdir(), 'ae-junit-')), 'out.xml');
  await spool.write(file, r);
  const root = parseXml(readFileSync(file, 'utf8'));
  expect(root.name).toBe('testsuites');
  const suites = root.children;
  expect(suites.map((s) => s.attrs.name)).toEqual(['gate', ...RULES.map((x) => x.id)]);
  let total = 0;
  let failures = 0;
  for (const s of suites) {
    expect(s.name).toBe('testsuite');
    const cases = s.children;
    expect(cases.every((k) => k.name === 'testcase')).toBe(true);
    expect(Number(s.attrs.tests)).toBe(cases.length);
    const f = cases.filter((k) => k.children.some((x: XmlNode) => x.name === 'failure')).length;
    expect(Number(s.attrs.failures)).toBe(f);
    total += cases.length;
    failures += f;
  }
  expect([Number(root.attrs.tests), Number(root.attrs.failures)]).toEqual([total, failures]);
  const byName = Object.fromEntries(suites.map((s) => [s.attrs.name, s]));
  // field.missing gates (completeness below 100%): the row case and the source summary fail
  const fm = byName['field.missing']!;
  expect(fm.children.map((k) => k.attrs.name)).toEqual(['pgaudit user', expect.stringMatching(/^db\.log:\d+ user$/)]);
  expect(fm.attrs.failures).toBe('2');
  // warnings that do not gate are passing cases with the message as output
  const shared = byName['identity.shared']!;
  expect(shared.attrs.failures).toBe('0');
  expect(shared.children[0]!.children[0]).toMatchObject({ name: 'system-out' });
  expect(shared.children[0]!.children[0]!.text).toMatch(/^warning: db\.log:\d+: user 'postgres' is a shared account/);
  // a rule with no findings is one passing case
  expect(byName['audit.disabled']!.children).toEqual([
    {
      name: 'testcase',
      attrs: { classname: 'audit.disabled', name: 'Audit logging turned off: no findings' },
      children: [],
      text: '',
    },
  ]);
  expect(byName.gate!.children[0]!.children[0]!.name).toBe('failure');
});
