// Issue 10's list of damaged-input failures, one named test each, on copies of the real fixtures
// with one small defect. Each checks that the damage costs the damaged record and nothing else.
import { describe, expect, test, beforeAll, afterAll, vi } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync, constants as zc } from 'node:zlib';
import { runBytes } from '../helpers/mutation.js';
import { runCli } from '../helpers/cli.js';
import { frameJson } from '../../src/pipeline/json-frames.js';
import { LineSplitter } from '../../src/pipeline/lines.js';
import { createHash } from 'node:crypto';
import type { Outcome } from '../../src/pipeline/types.js';

const CT_LINES = 'fixtures/cloudtrail/Security-Datasets__ec2_proxy_s3_exfiltration_2020-09-14011940.json'; // 103 JSON Lines
const CT_S3 =
  'fixtures/cloudtrail/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/123456789012_CloudTrail_us-east-1_20240501T1010Z_Ab12Cd34Ef56Gh78.json.gz';
const CT_JSONL = 'fixtures/cloudtrail/federation-saml-web-identity.jsonl';
const GCP_ARRAY = 'fixtures/gcp-audit/iam-policy-changes.json';
const MARIADB = 'fixtures/mariadb-audit/mariadb10.11-live__server_audit.log'; // 166 records
const MARIADB_EVENTS = 68; // its events (TABLE records fold into their QUERY events)
const PG_STDERR = 'fixtures/pgaudit/pg15-live__postgresql.log';
const PG_CSV = 'fixtures/pgaudit/pg15-live__postgresql.csv';

const lines = (f: string) => readFileSync(f, 'utf8').split('\n');
const events = (os: Outcome[]) => os.filter((o) => o.kind === 'event');
const rejects = (os: Outcome[]) => os.filter((o) => o.kind === 'reject') as Array<Extract<Outcome, { kind: 'reject' }>>;
async function clean(file: string, format = 'auto', options = {}) {
  const r = await runBytes(file, readFileSync(file), format, options);
  expect(r.error).toBeNull();
  return r;
}
const join_ = (ls: string[]) => Buffer.from(ls.join('\n'));

describe('JSON framing resynchronizes', () => {
  test('one flipped quote in line 56 of a 103-record CloudTrail JSON Lines file costs that record only', async () => {
    const base = await clean(CT_LINES);
    const ls = lines(CT_LINES);
    const i = ls[55]!.indexOf('"', 10);
    ls[55] = ls[55]!.slice(0, i) + ls[55]!.slice(i + 1); // a quote lost
    const r = await runBytes(CT_LINES, join_(ls), 'auto', {});
    expect(r.error).toBeNull();
    expect(events(r.outcomes)).toHaveLength(events(base.outcomes).length - 1);
    expect(rejects(r.outcomes)).toHaveLength(1);
    expect(rejects(r.outcomes)[0]!.raw.location.line).toBe(56);
    expect(r.summary.reconciled).toBe(true);
  });
  for (const [name, junk] of [
    ['a line holding only {', '{'],
    ['a lone "', '"'],
  ] as const) {
    test(`${name} in JSON Lines is one reject, every record read`, async () => {
      const base = await clean(CT_LINES);
      const ls = lines(CT_LINES);
      ls.splice(20, 0, junk);
      const r = await runBytes(CT_LINES, join_(ls), 'auto', {});
      expect(events(r.outcomes)).toHaveLength(events(base.outcomes).length);
      expect(rejects(r.outcomes)).toHaveLength(1);
      expect(rejects(r.outcomes)[0]!.raw.location.line).toBe(21);
    });
  }
  test('a duplicated } line in a gcloud array costs no record', async () => {
    const base = await clean(GCP_ARRAY);
    const ls = lines(GCP_ARRAY);
    const k = ls.findIndex((l) => l === '  },');
    ls.splice(k, 0, ls[k]!);
    const r = await runBytes(GCP_ARRAY, join_(ls), 'gcp-audit', {});
    expect(events(r.outcomes)).toHaveLength(events(base.outcomes).length);
    expect(rejects(r.outcomes).length).toBeGreaterThan(0);
  });
  test('a duplicated { at the top of a {"Records":[...]} file costs no record', async () => {
    const base = await clean(CT_S3);
    const text = gzipSync(
      Buffer.concat([Buffer.from('{\n'), (await import('node:zlib')).gunzipSync(readFileSync(CT_S3))]),
    );
    const r = await runBytes('x.json.gz', text, 'cloudtrail', {});
    expect(events(r.outcomes)).toHaveLength(events(base.outcomes).length);
    expect(rejects(r.outcomes)).toHaveLength(1);
    expect(rejects(r.outcomes)[0]!.reason).toMatch(/never closes/);
  });
  test('a damaged record inside a pretty-printed array: the reject says how far the damage reached', async () => {
    const ls = lines(GCP_ARRAY);
    const k = ls.findIndex((l, i) => i > 5 && l.includes('"principalEmail"'));
    ls[k] = ls[k]!.replace('"principalEmail"', '"principalEmail'); // unterminated string
    const base = await clean(GCP_ARRAY);
    const r = await runBytes(GCP_ARRAY, join_(ls), 'gcp-audit', {});
    expect(events(r.outcomes)).toHaveLength(events(base.outcomes).length - 1);
    const rj = rejects(r.outcomes);
    expect(rj).toHaveLength(1);
    expect(rj[0]!.reason).toMatch(/the damage reaches lines \d+-\d+, reading resumed at line \d+/);
  });
  test('a single-line {"Records":[...]} with a damaged record resumes at the next record on the line', async () => {
    const recs = [1, 2, 3, 4].map((n) => ({
      eventVersion: '1.09',
      eventTime: `2024-05-01T10:0${n}:00Z`,
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateUser',
      userIdentity: { type: 'Root', arn: 'arn:aws:iam::1:root' },
      requestParameters: { userName: `u${n}` },
    }));
    const text = JSON.stringify({ Records: recs }).replace('"u2"', '"u2'); // record 2 damaged
    const r = await runBytes('x.json', Buffer.from(text), 'cloudtrail', {});
    expect(r.error).toBeNull();
    expect(events(r.outcomes).map((o) => JSON.parse(o.raw.text).requestParameters.userName)).toEqual([
      'u1',
      'u3',
      'u4',
    ]);
    expect(rejects(r.outcomes)).toHaveLength(1);
  });
  test('a record over the size limit is rejected in bounded memory, keeping its first bytes and its hash', async () => {
    const big = `{"a":"${'x'.repeat(2_000_000)}`; // never closes, 2 MB on one line
    const text = `{"ok":1}\n${big}\n{"ok":2}\n`;
    const frames = [];
    async function* chunks() {
      const b = Buffer.from(text);
      for (let i = 0; i < b.length; i += 65536) yield b.subarray(i, i + 65536);
    }
    for await (const f of frameJson(chunks(), { file: 'x', maxRecordBytes: 100_000 })) frames.push(f);
    expect(frames.map((f) => (f.error ? 'E' : f.text))).toEqual(['{"ok":1}', 'E', '{"ok":2}']);
    expect(frames[1]!.text.length).toBe(4096);
    expect(frames[1]!.sha256).toBe((await import('node:crypto')).createHash('sha256').update(big).digest('hex'));
    expect(frames[1]!.error).toMatch(/longer than the limit/);
  });
});

describe('salvaging compressed input', () => {
  test('a truncated gzip yields the records before the damage, then one reject with both offsets', async () => {
    const z = gzipSync(readFileSync(MARIADB));
    const r = await runBytes('audit.log.gz', z.subarray(0, Math.floor(z.length * 0.6)), 'mariadb-audit', {});
    expect(r.error).toBeNull();
    expect(events(r.outcomes).length).toBeGreaterThan(20);
    const last = rejects(r.outcomes).at(-1)!;
    expect(last.reason).toMatch(
      /^audit\.log\.gz: the gzip data is truncated at compressed byte \d+, after \d+ decompressed bytes/,
    );
    expect(r.summary.failed).toHaveLength(1);
    expect(r.summary.reconciled).toBe(true);
  });
  test('a CRC error is reported, the records before it are kept', async () => {
    const z = Buffer.from(gzipSync(readFileSync(MARIADB)));
    z[z.length - 6] ^= 0xff; // the CRC32 in the trailer
    const r = await runBytes('audit.log.gz', z, 'mariadb-audit', {});
    expect(events(r.outcomes)).toHaveLength(MARIADB_EVENTS);
    expect(rejects(r.outcomes).at(-1)!.reason).toMatch(/gzip data is corrupt/);
  });
  test('corruption found mid-chunk: every record zlib can decompress before the corrupt point is kept (the failing write is inflated again)', async () => {
    const t = readFileSync(MARIADB);
    const z = gzipSync(t);
    // A flipped byte in the middle of the deflate data that zlib reports as corrupt (not a CRC error).
    let p = Math.floor(z.length / 2);
    let bad: Buffer | null = null;
    for (; p < z.length - 20 && !bad; p++) {
      const b = Buffer.from(z);
      b[p] ^= 0xff;
      try {
        gunzipSync(b);
      } catch (e) {
        if (!/check/i.test((e as Error).message)) {
          bad = b;
          p--;
        }
      }
    }
    expect(bad).not.toBeNull();
    // What zlib can produce from the bytes before the flipped one: its complete lines are records that must be kept.
    const before = gunzipSync(z.subarray(0, p), { finishFlush: zc.Z_SYNC_FLUSH });
    const complete = before
      .subarray(0, before.lastIndexOf(10) + 1)
      .toString()
      .split('\n')
      .filter(Boolean).length;
    expect(complete).toBeGreaterThan(20);
    // The whole file is one chunk: before the salvage, zlib's failing call dropped all of it.
    const r = await runBytes('audit.log.gz', bad!, 'mariadb-audit', {}, 1 << 20);
    expect(r.error).toBeNull();
    const kept = r.outcomes.filter((o) => o.kind !== 'reject' && (o.raw.location.line ?? 0) <= complete).length;
    const base = await clean(MARIADB, 'mariadb-audit');
    expect(kept).toBe(base.outcomes.filter((o) => (o.raw.location.line ?? 0) <= complete).length);
    expect(kept).toBeGreaterThan(20);
    const last = rejects(r.outcomes).at(-1)!;
    expect(last.reason).toMatch(/gzip data is corrupt .* at compressed byte \d+, after \d+ decompressed bytes/);
    expect(r.summary.reconciled).toBe(true);
    // Without a way to read the bytes again (stdin), the records of the failing write are lost, as before.
    const s = await runBytes('audit.log.gz', bad!, 'mariadb-audit', {}, 1 << 20, false);
    expect(s.outcomes.filter((o) => o.kind !== 'reject').length).toBeLessThan(kept);
  });
  test('concatenated gzip members are read in full', async () => {
    const t = readFileSync(MARIADB);
    const cut = t.indexOf(10, t.length >> 1) + 1;
    const r = await runBytes(
      'audit.log.gz',
      Buffer.concat([gzipSync(t.subarray(0, cut)), gzipSync(t.subarray(cut))]),
      'mariadb-audit',
      {},
    );
    expect(events(r.outcomes)).toHaveLength(MARIADB_EVENTS);
    expect(rejects(r.outcomes)).toHaveLength(0);
  });
});

describe('detection from a sample', () => {
  test('a garbage first line does not refuse a 166-record MariaDB file', async () => {
    const r = await runBytes(
      MARIADB,
      Buffer.concat([Buffer.from('### exported by logrotate\n'), readFileSync(MARIADB)]),
      'auto',
      {},
    );
    expect(r.error).toBeNull();
    expect(r.summary.inputs[0]!.format).toBe('mariadb-audit');
    expect(events(r.outcomes)).toHaveLength(MARIADB_EVENTS);
    expect(rejects(r.outcomes)).toHaveLength(1);
  });
  test('a UTF-8 BOM is never part of a record (auto and --format)', async () => {
    for (const fmt of ['auto', 'mariadb-audit']) {
      const r = await runBytes(
        MARIADB,
        Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(MARIADB)]),
        fmt,
        {},
      );
      expect(events(r.outcomes)).toHaveLength(MARIADB_EVENTS);
      expect(rejects(r.outcomes)).toHaveLength(0);
      expect(r.outcomes[0]!.raw.text.charCodeAt(0)).not.toBe(0xfeff);
    }
  });
});

describe('pgaudit multi-line records', () => {
  test('a damaged prefix time stamp makes a reject, never a continuation that hides an audited CREATE ROLE', async () => {
    const ls = lines(PG_STDERR);
    const k = ls.findIndex((l) => l.includes('AUDIT: SESSION,2,1,ROLE,CREATE ROLE'));
    ls[k] = ls[k]!.replace(/^2026-11-22 22/, '2026-11-2x 22');
    const base = await clean(PG_STDERR);
    const r = await runBytes(PG_STDERR, join_(ls), 'pgaudit', {});
    expect(events(r.outcomes)).toHaveLength(events(base.outcomes).length - 1);
    expect(rejects(r.outcomes)).toHaveLength(rejects(base.outcomes).length + 1);
    expect(rejects(r.outcomes).some((o) => o.raw.text.includes('CREATE ROLE') && o.raw.location.line === k + 1)).toBe(
      true,
    );
  });
  test('a half-written last line is a reject, not glued to the record before', async () => {
    const text = readFileSync(PG_STDERR, 'utf8');
    const cut = text.lastIndexOf('\n2026-') + 15;
    const base = await runBytes(PG_STDERR, Buffer.from(text.slice(0, text.lastIndexOf('\n2026-') + 1)), 'pgaudit', {});
    const r = await runBytes(PG_STDERR, Buffer.from(text.slice(0, cut)), 'pgaudit', {});
    expect(events(r.outcomes).map((o) => o.raw.text)).toEqual(events(base.outcomes).map((o) => o.raw.text));
    expect(rejects(r.outcomes).at(-1)!.reason).toMatch(/damaged record/);
  });
  test('a csvlog row with a bad time stamp is a reject; the run goes on (also with --format)', async () => {
    const ls = lines(PG_CSV);
    const base = await clean(PG_CSV);
    ls[3] = ls[3]!.replace(/^\d{4}-\d\d-\d\d/, '2026-02-30');
    for (const fmt of ['auto', 'pgaudit']) {
      const r = await runBytes(PG_CSV, join_(ls), fmt, {});
      expect(r.error).toBeNull();
      expect(r.outcomes.length).toBe(base.outcomes.length);
      expect(
        rejects(r.outcomes).some((o) => /log_time '2026-02-30.*February 30, 2026 does not exist/.test(o.reason)),
      ).toBe(true);
    }
  });
});

describe('impossible dates are rejects naming the field, never rolled over', () => {
  test('pgaudit prefix: February 30 and hour 25', async () => {
    for (const [from, to, why] of [
      [/^2026-11-22 22/, '2026-02-30 22', /February 30, 2026 does not exist/],
      [/^2026-11-22 22/, '2026-11-22 25', /hour 25 does not exist/],
    ] as const) {
      const ls = lines(PG_STDERR);
      const k = ls.findIndex((l) => l.includes('AUDIT: SESSION,3,1'));
      ls[k] = ls[k]!.replace(from, to);
      const r = await runBytes(PG_STDERR, join_(ls), 'pgaudit', {});
      const rj = rejects(r.outcomes).filter((o) => o.raw.location.line === k + 1);
      expect(rj).toHaveLength(1);
      expect(rj[0]!.reason).toMatch(/prefix time stamp/);
      expect(rj[0]!.reason).toMatch(why);
    }
  });
  test('CloudTrail eventTime and GCP timestamp', async () => {
    const ct = readFileSync(CT_JSONL, 'utf8').split('\n');
    ct[0] = ct[0]!.replace(/"eventTime":\s*"\d{4}-\d\d-\d\d/, '"eventTime":"2026-02-30');
    const r1 = await runBytes(CT_JSONL, Buffer.from(ct.join('\n')), 'cloudtrail', {});
    expect(rejects(r1.outcomes)[0]!.reason).toMatch(/^eventTime '2026-02-30.*February 30, 2026 does not exist/);
    const g = readFileSync(GCP_ARRAY, 'utf8').replace(
      /"timestamp": "\d{4}-\d\d-\d\dT\d\d/,
      '"timestamp": "2024-05-01T25',
    );
    const r2 = await runBytes(GCP_ARRAY, Buffer.from(g), 'gcp-audit', {});
    expect(rejects(r2.outcomes)[0]!.reason).toMatch(/^timestamp '2024-05-01T25.*hour 25 does not exist/);
  });
  test('a leap second is kept as the last millisecond of its minute and said in details', async () => {
    const ct = readFileSync(CT_JSONL, 'utf8').split('\n');
    ct[0] = ct[0]!.replace(/"eventTime":\s*"[^"]+"/, '"eventTime":"2016-12-31T23:59:60Z"');
    const r = await runBytes(CT_JSONL, Buffer.from(ct.join('\n')), 'cloudtrail', {});
    const e = events(r.outcomes)[0] as Extract<Outcome, { kind: 'event' }>;
    expect(e.event.timestamp).toBe('2016-12-31T23:59:59.999Z');
    expect((e.event.details as Record<string, unknown>).leap_second).toBe('2016-12-31T23:59:60Z');
  });
});

describe('MySQL XML and Percona CSV', () => {
  test('a damaged </AUDIT_RECORD> does not merge two records', async () => {
    const f = 'fixtures/percona-audit/audit-new.xml';
    const base = await clean(f);
    const t = readFileSync(f, 'utf8').replace('</AUDIT_RECORD>', '</AUDIT_RECORX>');
    const r = await runBytes(f, Buffer.from(t), 'percona-audit', {});
    expect(events(r.outcomes)).toHaveLength(events(base.outcomes).length - 1);
    expect(rejects(r.outcomes)[0]!.reason).toMatch(/does not close before the next record/);
  });
  test('a damaged multi-line Percona CSV field does not lose the next record', async () => {
    const f = 'fixtures/percona-audit/audit.csv';
    const base = await clean(f);
    const ls = lines(f);
    const k = ls.findIndex((l) => (l.match(/"/g) ?? []).length % 2 === 1); // opens a multi-line field
    ls.splice(k + 1, 1); // its continuation line (holding the closing quote) is lost
    const r = await runBytes(f, join_(ls), 'percona-audit', {});
    expect(events(r.outcomes).length).toBeGreaterThanOrEqual(events(base.outcomes).length - 1);
  });
});

describe('input isolation (CLI)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ae-i10-'));
    const trails = join(dir, 'trails');
    mkdirSync(trails);
    const good = readFileSync(CT_LINES, 'utf8').split('\n').filter(Boolean);
    for (let i = 0; i < 6; i++)
      writeFileSync(join(trails, `trail-${i}.jsonl`), `${good.slice(i * 10, i * 10 + 10).join('\n')}\n`);
    const z = gzipSync(Buffer.from(`${good.slice(60, 80).join('\n')}\n`));
    writeFileSync(join(trails, 'trail-6.jsonl.gz'), z.subarray(0, z.length - 40)); // a corrupt gzip
    writeFileSync(join(trails, 'README'), 'These are the trail files of account 1.\nDo not edit.\n');
    writeFileSync(join(trails, 'blob.bin'), Buffer.from([0, 1, 2, 3, 255, 254, 0, 0, 7]));
    mkdirSync(join(dir, 'elsewhere'));
    writeFileSync(join(dir, 'elsewhere', 'linked.jsonl'), `${good.slice(90, 95).join('\n')}\n`);
    symlinkSync(join(dir, 'elsewhere', 'linked.jsonl'), join(trails, 'trail-7.jsonl'));
    symlinkSync(trails, join(trails, 'loop')); // a link back into the directory: read once
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('normalize: a corrupt gzip, a binary and a README among good files: exit 1, the rest read, summary printed', async () => {
    const r = await runCli(['normalize', join(dir, 'trails')]);
    expect(r.code).toBe(1);
    const out = r.stdout.split('\n').filter(Boolean);
    expect(out.length).toBeGreaterThanOrEqual(60 + 5); // 6 files x 10, the symlinked 5, and what the gzip gave
    expect(r.stderr).toMatch(/README/);
    expect(r.stderr).toMatch(/blob\.bin/);
    expect(r.stderr).toMatch(/trail-6\.jsonl\.gz: the gzip data is (truncated|corrupt)/);
    expect(r.stderr).toMatch(/read \d+ records from \d+ inputs: .*FAILED or stopped early/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
  test('check: exit 1 when some inputs failed, even if the rows pass', async () => {
    const r = await runCli(['check', join(dir, 'trails')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/README/);
  });
  test('normalize: exit 2 when nothing could be read', async () => {
    const r = await runCli(['normalize', join(dir, 'trails', 'README')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot tell the format/);
  });
});

// Issue 10 (wave 3): the size bound in the line splitter and the line formats' framers.
const sha = (t: string) => createHash('sha256').update(t).digest('hex');
describe('over-long lines and records in line formats are rejected in bounded memory (--max-record-bytes)', () => {
  const LIMIT = 100_000;
  test('the splitter: an over-long line is cut to its head and hashed whole, fed in small chunks; CRLF and the next line intact', () => {
    const long = `A${'y'.repeat(3_000_000)}\u00e9Z`;
    const bytes = Buffer.from(`first\r\n${long}\r\nnext\n`);
    const s = new LineSplitter({ maxLineBytes: LIMIT });
    const out = [];
    for (let i = 0; i < bytes.length; i += 4093) out.push(...s.push(bytes.subarray(i, i + 4093)));
    out.push(...s.end());
    expect(out.map((l) => l.text.length)).toEqual([5, 4096, 4]);
    expect(out[1]!.oversize!.sha256).toBe(sha(long));
    expect(out[1]!.oversize!.chars).toBe(long.length);
    expect(out[1]!.byteLength).toBe(Buffer.byteLength(long) + 2);
    expect(out[2]).toMatchObject({ text: 'next', line: 3, byteOffset: 7 + Buffer.byteLength(long) + 2 });
  });
  test('the splitter holds no more than the limit plus one chunk of an over-long line', () => {
    const s = new LineSplitter({ maxLineBytes: LIMIT });
    const chunk = Buffer.alloc(65536, 0x61);
    for (let i = 0; i < 200; i++) s.push(chunk); // 13 MB without a newline
    const held = (s as unknown as { partsLen: number }).partsLen;
    expect(held).toBe(0);
    const [l] = s.end();
    expect(l!.oversize!.chars).toBe(200 * 65536);
  });
  test('MariaDB: a 3 MB line is one reject with its head and hash, every other record read', async () => {
    const base = await clean(MARIADB);
    const ls = lines(MARIADB);
    const long = `20261122 22:20:04,vm,root,localhost,4,9,QUERY,mysql,'SELECT \\'${'x'.repeat(3_000_000)}\\'',0`;
    ls.splice(20, 0, long);
    const r = await runBytes(MARIADB, join_(ls), 'mariadb-audit', { maxRecordBytes: LIMIT });
    expect(r.error).toBeNull();
    expect(events(r.outcomes)).toHaveLength(events(base.outcomes).length);
    const rj = rejects(r.outcomes);
    expect(rj).toHaveLength(1);
    expect(rj[0]!.raw.location.line).toBe(21);
    expect(rj[0]!.raw.text.length).toBe(4096);
    expect(rj[0]!.raw.sha256).toBe(sha(long));
    expect(rj[0]!.reason).toMatch(/longer than the limit of 100000 bytes \(--max-record-bytes\)/);
    expect(r.summary.reconciled).toBe(true);
  });
  test('pgaudit stderr: an over-long line and an over-long multi-line record are rejects; the records after them are read', async () => {
    const base = await clean(PG_STDERR);
    const ls = lines(PG_STDERR);
    const k = ls.findIndex((l) => /AUDIT: SESSION/.test(l));
    const prefix = ls[k]!.slice(0, ls[k]!.indexOf('LOG:'));
    const single = `${prefix}LOG:  AUDIT: SESSION,99,1,READ,SELECT,,,SELECT '${'z'.repeat(300_000)}',<not logged>`;
    const multiHead = `${prefix}LOG:  AUDIT: SESSION,98,1,READ,SELECT,,,"SELECT 1`;
    const cont = Array.from({ length: 40 }, (_, i) => `\t-- ${i} ${'w'.repeat(5000)}`);
    ls.splice(k, 0, single, multiHead, ...cont, `\t",<not logged>`);
    const r = await runBytes(PG_STDERR, join_(ls), 'pgaudit', { maxRecordBytes: LIMIT });
    expect(r.error).toBeNull();
    expect(events(r.outcomes)).toHaveLength(events(base.outcomes).length);
    const rj = rejects(r.outcomes);
    expect(rj).toHaveLength(2);
    expect(rj[0]!.raw.sha256).toBe(sha(single));
    expect(rj[1]!.raw.sha256).toBe(sha([multiHead, ...cont, `\t",<not logged>`].join('\n')));
    expect(rj[1]!.raw.location).toMatchObject({ line: k + 2, line_end: k + 2 + cont.length + 1 });
    for (const x of rj) {
      expect(x.raw.text.length).toBe(4096);
      expect(x.reason).toMatch(/--max-record-bytes/);
    }
    expect(r.summary.reconciled).toBe(true);
  });
  test('pgaudit csvlog: an over-long quoted field is one reject, reading resumes at the next row', async () => {
    const base = await clean(PG_CSV);
    const ls = lines(PG_CSV);
    const row = ls[5]!;
    const q = row.indexOf(',"') + 2;
    const long = `${row.slice(0, q)}${'v'.repeat(150_000)}\n${'v'.repeat(150_000)}${row.slice(q)}`;
    ls.splice(5, 0, long);
    const r = await runBytes(PG_CSV, join_(ls), 'pgaudit', { maxRecordBytes: LIMIT });
    expect(r.error).toBeNull();
    expect(events(r.outcomes).length).toBe(events(base.outcomes).length);
    const rj = rejects(r.outcomes);
    expect(rj.length).toBeGreaterThanOrEqual(1);
    expect(rj.every((x) => x.raw.text.length <= 4096 && /--max-record-bytes/.test(x.reason))).toBe(true);
    expect(r.summary.reconciled).toBe(true);
  });
  test('Percona CSV and XML: an over-long record is one reject with its head and hash', async () => {
    const f = 'fixtures/percona-audit/audit.csv';
    const base = await clean(f);
    const ls = lines(f);
    const k = ls.findIndex((l) => l.startsWith('"Query"'));
    const long = ls[k]!.replace('select count(*) from one', `select '${'p'.repeat(250_000)}'`);
    ls.splice(k, 0, long);
    const r = await runBytes(f, join_(ls), 'percona-audit', { maxRecordBytes: LIMIT });
    expect(events(r.outcomes)).toHaveLength(events(base.outcomes).length);
    expect(
      rejects(r.outcomes)
        .map((x) => x.raw.sha256)
        .sort(),
    ).toEqual([...rejects(base.outcomes).map((x) => x.raw.sha256), sha(long)].sort());

    const x = 'fixtures/percona-audit/audit-new.xml';
    const xb = await clean(x);
    const t = readFileSync(x, 'utf8');
    const at = t.indexOf('<AUDIT_RECORD>');
    const rec = `<AUDIT_RECORD>\n<NAME>Query</NAME>\n<SQLTEXT>${'q'.repeat(300_000)}</SQLTEXT>\n</AUDIT_RECORD>\n`;
    const rx = await runBytes(x, Buffer.from(t.slice(0, at) + rec + t.slice(at)), 'percona-audit', {
      maxRecordBytes: LIMIT,
    });
    expect(events(rx.outcomes)).toHaveLength(events(xb.outcomes).length);
    const xr = rejects(rx.outcomes).filter((o) => /--max-record-bytes/.test(o.reason));
    expect(rejects(rx.outcomes)).toHaveLength(rejects(xb.outcomes).length + 1);
    expect(xr).toHaveLength(1);
    expect(xr[0]!.raw.text.length).toBe(4096);
    expect(xr[0]!.raw.sha256).toBe(sha(rec));
  });
});

describe('one JSON parse per record, redaction on the parsed value', () => {
  // JSON.parse calls while normalizing a fixture: at most one per record (embedded JSON strings
  // aside, none in these files). Before, MySQL Enterprise and Percona JSON parsed each record
  // twice (the framer's validation and the adapter), and pgaudit jsonlog once plus a text pass.
  for (const [file, format] of [
    ['fixtures/mysql-enterprise-audit/audit-more-classes.json', 'mysql-enterprise-audit'],
    ['fixtures/percona-audit/audit.json', 'percona-audit'],
    ['fixtures/pgaudit/pg15-live__postgresql.json', 'pgaudit'],
  ] as const) {
    test(`${format}: ${file.split('/').pop()}`, async () => {
      const bytes = readFileSync(file);
      const spy = vi.spyOn(JSON, 'parse');
      try {
        const r = await runBytes(file, bytes, format, {});
        expect(r.error).toBeNull();
        const calls = spy.mock.calls.length;
        expect(r.summary.read).toBeGreaterThan(3);
        expect(calls).toBeLessThanOrEqual(r.summary.read);
      } finally {
        spy.mockRestore();
      }
    });
  }
  test('pgaudit jsonlog: a password in the statement is redacted in the event and the kept text, which stays valid JSON', async () => {
    const line = JSON.stringify({
      timestamp: '2026-11-22 22:20:04.000 UTC',
      user: 'postgres',
      dbname: 'postgres',
      pid: 1,
      session_id: 's',
      error_severity: 'LOG',
      message: "AUDIT: SESSION,1,1,ROLE,ALTER ROLE,,,ALTER ROLE bob PASSWORD 'ZQjsonlogSECRETx',<not logged>",
      backend_type: 'client backend',
    });
    const r = await runBytes('x.json', Buffer.from(`${line}\n`), 'pgaudit', {});
    expect(r.error).toBeNull();
    expect(events(r.outcomes)).toHaveLength(1);
    const o = events(r.outcomes)[0]!;
    expect(JSON.stringify(o)).not.toContain('ZQjsonlogSECRETx');
    expect(JSON.parse(o.raw.text).message).toContain("PASSWORD '<REDACTED>'");
    expect(o.raw.sha256).toBe(sha(line));
    expect(o.raw.redactions).toBe(1);
  });
});
