// The bundle's building blocks against their specs: RFC 6962 Merkle tree hash, DSSE PAE, Ed25519
// keys, the evidence period, and the configuration schema.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MerkleBuilder, merkleRootRecursive, leafHash } from '../../src/bundle/merkle.js';
import { pae, signEnvelope, verifyEnvelope } from '../../src/bundle/dsse.js';
import { generateKey, keyId } from '../../src/bundle/keys.js';
import { lastWeek, runClock, defaultBundleName, periodLabel } from '../../src/collect/window.js';
import { demoShiftDays } from '../../src/collect/demo.js';
import { loadConfig, validateConfigValue, ConfigError } from '../../src/config/load.js';
import { STARTER_CONFIG } from '../../src/config/starter.js';
import { parse } from 'yaml';
import { tempDir } from './helpers.js';

const hex = (s: string) => Buffer.from(s, 'hex');

describe('RFC 6962 Merkle tree', () => {
  it('matches the Certificate Transparency test vectors', () => {
    expect(new MerkleBuilder().root()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    const leaves = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ].map(hex);
    const m = new MerkleBuilder();
    for (const l of leaves) m.add(l);
    expect(m.root()).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  });

  it('the incremental O(log n) builder equals the recursive definition for any leaves', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 70 }), (leaves) => {
        const m = new MerkleBuilder();
        for (const l of leaves) m.add(l);
        expect(m.count).toBe(leaves.length);
        expect(m.root()).toBe(merkleRootRecursive(leaves));
      }),
      { numRuns: 200 },
    );
  });
});

describe('DSSE', () => {
  it('builds the pre-authentication encoding of the spec', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
    expect(pae('application/vnd.in-toto+json', Buffer.from('é')).toString()).toBe(
      'DSSEv1 28 application/vnd.in-toto+json 2 é',
    );
  });

  it('signs with Ed25519 deterministically and verifies only with the same key and bytes', () => {
    const k = generateKey();
    const body = Buffer.from('{"a":1}\n');
    const env = signEnvelope(body, k.privateKey, k.publicKey);
    expect(signEnvelope(body, k.privateKey, k.publicKey)).toEqual(env);
    expect(env.signatures[0].keyid).toBe(keyId(k.publicKey));
    expect(env.signatures[0].keyid).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyEnvelope(env, k.publicKey)).toBe(true);
    expect(verifyEnvelope({ ...env, payload: Buffer.from('{"a":2}\n').toString('base64') }, k.publicKey)).toBe(false);
    expect(verifyEnvelope({ ...env, payloadType: 'text/plain' }, k.publicKey)).toBe(false);
    expect(verifyEnvelope(env, generateKey().publicKey)).toBe(false);
  });
});

describe('the evidence period', () => {
  it('--week ends at midnight today in the zone, across a DST change', () => {
    const w = lastWeek(new Date('2026-03-30T10:00:00Z'), 'Europe/Berlin');
    expect(w.start.toISOString()).toBe('2026-03-22T23:00:00.000Z'); // CET
    expect(w.end.toISOString()).toBe('2026-03-29T22:00:00.000Z'); // CEST
    expect(periodLabel(w)).toBe('2026-03-23_2026-03-30');
    expect(defaultBundleName(lastWeek(new Date('2026-11-29T00:00:00Z'), 'UTC'), true)).toBe(
      'DEMO-evidence-2026-11-22_2026-11-29.zip',
    );
    expect(lastWeek(new Date('2026-11-29T00:30:00Z'), '-05:00').end.toISOString()).toBe('2026-11-28T05:00:00.000Z');
  });

  it('labels a period that does not start at midnight with times', () => {
    expect(
      periodLabel({
        start: new Date('2026-01-01T06:00:00Z'),
        end: new Date('2026-01-02T00:00:00Z'),
        timezone: 'UTC',
        how: 'since-until',
      }),
    ).toBe('20260101T060000Z_2026-01-02');
  });

  it('reads SOURCE_DATE_EPOCH as the clock', () => {
    expect(runClock({ SOURCE_DATE_EPOCH: '1795953600' }).toISOString()).toBe('2026-11-29T12:00:00.000Z');
    expect(runClock({}, () => new Date(5)).getTime()).toBe(5);
    expect(() => runClock({ SOURCE_DATE_EPOCH: 'yesterday' })).toThrow(/whole number of seconds/);
  });

  it('demo shifts move the latest event into the last day of the period, by whole days', () => {
    const since = Date.parse('2026-11-22T00:00:00Z');
    const until = Date.parse('2026-11-29T00:00:00Z');
    expect(demoShiftDays(Date.parse('2026-11-25T10:00:00Z'), since, until)).toBe(0);
    const d = demoShiftDays(Date.parse('2019-01-01T10:00:00Z'), since, until);
    expect(new Date(Date.parse('2019-01-01T10:00:00Z') + d * 86400000).toISOString()).toBe('2026-11-28T10:00:00.000Z');
    expect(demoShiftDays(Date.parse('2030-01-01T10:00:00Z'), since, until)).toBeLessThan(0);
  });
});

describe('configuration', () => {
  const bad = (v: unknown) => {
    try {
      validateConfigValue(v, 'c.yaml');
      return null;
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
  };

  it('the starter config validates', () => {
    expect(bad(parse(STARTER_CONFIG))).toBeNull();
  });

  it('names the key path of a problem in one sentence', () => {
    expect(bad({ sources: [] })).toBe('c.yaml: sources must not be empty');
    expect(bad({})).toBe('c.yaml: the setting sources is required');
    expect(bad({ sources: [{ name: 'a', type: 'file' }] })).toBe('c.yaml: sources[0]: the setting paths is required');
    expect(bad({ sources: [{ name: 'a b', type: 'file', paths: 'x' }] })).toMatch(
      /^c\.yaml: sources\[0\]\.name 'a b' is not allowed/,
    );
    expect(bad({ sources: [{ name: 'a', type: 'file', paths: 'x', format: 'syslog' }] })).toMatch(
      /^c\.yaml: sources\[0\]\.format must be one of auto, pgaudit/,
    );
    expect(
      bad({
        sources: [
          { name: 'a', type: 'file', paths: 'x' },
          { name: 'a', type: 'file', paths: 'y' },
        ],
      }),
    ).toBe("c.yaml: sources[1].name 'a' is used by another source (names must be unique)");
    expect(bad({ sources: [{ name: 'a', type: 'file', paths: 'x', timezone: 'Mars/Olympus' }] })).toMatch(
      /sources\[0\]\.timezone 'Mars\/Olympus' is not a time zone/,
    );
    expect(
      bad({ admins: { list: [{ principal: 'x', why: 'y' }] }, sources: [{ name: 'a', type: 'file', paths: 'x' }] }),
    ).toMatch(/^c\.yaml: admins\.list\[0\]/);
  });

  it('leaves room for live sources: their types accept their own settings', () => {
    expect(
      bad({
        sources: [
          { name: 'pg', type: 'postgres', url_env: 'PGURL' },
          { name: 'm', type: 'mysql' },
          { name: 'f', type: 'file', paths: 'x' },
        ],
      }),
    ).toBeNull();
    expect(bad({ sources: [{ name: 'pg', type: 'postgres', conection: 'x' }] })).toMatch(
      /^c\.yaml: sources\[0\]\.conection is not a known setting \(known settings: name, type, url/,
    );
  });

  it('loads JSON too, resolves paths from its directory, and reads the admin roster file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'admins.txt'), '# DBAs\nalice\n  bob  # on call\n\n');
    const path = join(dir, 'c.json');
    writeFileSync(
      path,
      JSON.stringify({
        profile: 'pci',
        admins: { file: 'admins.txt', list: ['carol'] },
        identities: { shared: ['svc'] },
        bundle: { key: 'k.key', sample_rows: 5 },
        sources: [{ name: 'a', type: 'file', paths: ['logs/*.log'] }],
      }),
    );
    const c = loadConfig(path);
    expect(c.profile).toBe('pci');
    expect(c.roster.entries.map((e) => [e.principal, e.origin])).toEqual([
      ['alice', 'file:admins.txt'],
      ['bob', 'file:admins.txt'],
      ['carol', 'config'],
    ]);
    expect(c.sharedIdentities).toEqual(['svc']);
    expect(c.bundle).toEqual({ out: undefined, key: join(dir, 'k.key'), sampleRows: 5, ocsf: false });
    expect(c.sources[0]).toMatchObject({ paths: ['logs/*.log'], base: dir, format: 'auto' });
    expect(c.digest).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(path, 'sources: [\n');
    expect(() => loadConfig(path)).toThrow(/c\.json line \d+: not valid YAML or JSON/);
  });
});
