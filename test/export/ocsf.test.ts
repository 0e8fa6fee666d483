// OCSF export: every golden event (what each real fixture normalizes to) is exported and each
// record validated against the OCSF 1.8.0 JSON Schema of its class; the class, activity and key
// fields are pinned for one event of each category; mutations of real events stay valid.
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { eventToOcsf, eventToOcsfLines, validateOcsf, OCSF_VERSION, type OcsfRecord } from '../../src/export/ocsf.js';
import { EventFormatter } from '../../src/export/format.js';
import { validateEvent } from '../../src/event/schema.js';
import type { AuditEvent } from '../../src/event/types.generated.js';

function goldenFiles(dir = 'fixtures'): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...goldenFiles(p));
    else if (n.endsWith('.expected.jsonl')) out.push(p);
  }
  return out;
}
const readEvents = (f: string): AuditEvent[] =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const GOLDEN = goldenFiles();
const ALL = GOLDEN.flatMap(readEvents);
const records = (e: AuditEvent): OcsfRecord[] => {
  const r = eventToOcsf(e);
  if (r.kind !== 'records') throw new Error(r.reason);
  return r.records;
};
const find = (pred: (e: AuditEvent) => boolean): AuditEvent => {
  const e = ALL.find(pred);
  if (!e) throw new Error('no such golden event');
  return e;
};

describe('OCSF export', () => {
  it('has golden fixtures of every source kind to export', () => {
    expect(GOLDEN.length).toBeGreaterThan(50);
    expect(new Set(ALL.map((e) => e.source.kind))).toEqual(
      new Set(['postgresql', 'mysql', 'mariadb', 'gcp', 'aws', 'bytebase']),
    );
  });

  it.each(GOLDEN)('every event of %s becomes OCSF records that validate against their class schema', (file) => {
    const f = new EventFormatter('ocsf');
    let lines = 0;
    for (const e of readEvents(file)) {
      const text = f.format(e);
      for (const l of text.split('\n').slice(0, -1)) {
        const rec = JSON.parse(l) as OcsfRecord;
        expect(validateOcsf(rec)).toBeNull();
        expect(rec.metadata.version).toBe(OCSF_VERSION);
        expect((rec.unmapped as { audit_evidence: { id: string } }).audit_evidence.id).toBe(e.id);
        expect(String(rec.metadata.uid).startsWith(e.id)).toBe(true);
        expect(rec.type_uid).toBe(rec.class_uid * 100 + (rec.activity_id as number));
        lines++;
      }
      if (!text) expect(e.timestamp).toBeNull();
    }
    // Nothing fails validation; the only events left out are those without a time, and they are counted.
    expect([...f.notExported.keys()].every((r) => r === 'no timestamp (OCSF requires time)')).toBe(true);
    const untimed = readEvents(file).filter((e) => e.timestamp === null).length;
    expect(f.notExportedTotal).toBe(untimed);
    if (untimed < readEvents(file).length) expect(lines).toBeGreaterThan(0);
  });

  it('maps each category to its class (one event of each, from real fixtures)', () => {
    const login = records(
      find(
        (e) =>
          e.category === 'authentication' &&
          e.source.kind === 'aws' &&
          e.action.name === 'console_login' &&
          e.outcome === 'failure',
      ),
    )[0]!;
    expect(login).toMatchObject({
      class_uid: 3002,
      class_name: 'Authentication',
      category_uid: 3,
      activity_id: 1,
      type_uid: 300201,
      status_id: 2,
      status: 'Failure',
      user: { name: 'alice' },
      service: { name: 'signin.amazonaws.com' },
      src_endpoint: { ip: '192.0.2.44' },
      cloud: { provider: 'AWS', region: 'us-east-1' },
    });
    expect((login.metadata as { labels: string[] }).labels).toContain('category:authentication');

    const pgGrant = find(
      (e) =>
        e.category === 'permission_change' &&
        e.source.kind === 'postgresql' &&
        e.action.name === 'grant' &&
        e.permission_changes?.length === 1,
    );
    const grant = records(pgGrant)[0]!;
    expect(grant).toMatchObject({
      class_uid: 3005,
      activity_id: 1,
      activity_name: 'Assign Privileges',
      user: { name: pgGrant.permission_changes![0]!.principal },
    });
    expect(grant.privileges).toEqual([pgGrant.permission_changes![0]!.privilege]);

    const revoke = records(find((e) => e.action.name === 'revoke' && e.permission_changes?.length === 1))[0]!;
    expect(revoke).toMatchObject({ class_uid: 3005, activity_id: 2, activity_name: 'Revoke Privileges' });

    const createUser = records(
      find((e) => e.category === 'permission_change' && e.action.name === 'create_user' && e.source.kind === 'aws'),
    )[0]!;
    expect(createUser).toMatchObject({
      class_uid: 3001,
      class_name: 'Account Change',
      activity_id: 1,
      user: { type: 'AWS::IAM::User' },
    });

    const stop = records(find((e) => e.category === 'policy_change' && e.action.name === 'stop_logging'))[0]!;
    expect(stop).toMatchObject({
      class_uid: 3004,
      class_name: 'Entity Management',
      activity_id: 11,
      entity: { type: 'AWS::CloudTrail::Trail' },
      severity_id: 3,
    });

    const select = find(
      (e) =>
        e.source.kind === 'postgresql' &&
        e.action.name === 'select' &&
        e.timestamp !== null &&
        e.action.statement !== null,
    );
    const ds = records(select)[0]!;
    expect(ds).toMatchObject({
      class_uid: 6005,
      class_name: 'Datastore Activity',
      activity_id: 4,
      query_info: { query_string: select.action.statement },
    });

    const api = records(
      find((e) => e.source.kind === 'gcp' && e.category === 'other' && e.action.statement === null),
    )[0]!;
    expect(api).toMatchObject({ class_uid: 6003, class_name: 'API Activity', cloud: { provider: 'GCP' } });
    expect((api.api as { operation: string }).operation).toBeTruthy();

    const exposure = records(find((e) => e.category === 'data_exposure' && e.source.kind === 'aws'))[0]!;
    expect(exposure.class_uid).toBe(6003);
    expect((exposure.metadata as { labels: string[] }).labels).toContain('category:data_exposure');

    const access = records(find((e) => e.category === 'access_request'))[0]!;
    expect(access.class_uid).toBe(6003);
    expect(
      (access.unmapped as { audit_evidence: { access_request: unknown } }).audit_evidence.access_request,
    ).not.toBeNull();
  });

  it('splits an IAM policy change with several grantees into one User Access Management record each, all naming the event', () => {
    const e = find(
      (x) =>
        (x.permission_changes?.length ?? 0) > 1 &&
        new Set(x.permission_changes!.map((p) => `${p.operation}/${p.principal}`)).size > 1,
    );
    const recs = records(e);
    const groups = new Set(e.permission_changes!.map((p) => `${p.operation}/${p.principal}`));
    expect(recs).toHaveLength(groups.size);
    expect(recs.map((r) => r.metadata.uid)).toEqual(recs.map((_, i) => `${e.id}/${i + 1}`));
    for (const r of recs) expect(validateOcsf(r)).toBeNull();
  });

  it('marks privileged events in labels and severity, and keeps the reasons', () => {
    const e = find((x) => x.privileged.value && x.privileged.reasons.includes('superuser') && x.timestamp !== null);
    const r = records(e)[0]!;
    expect((r.metadata as { labels: string[] }).labels).toEqual(
      expect.arrayContaining(['privileged', 'privileged:superuser']),
    );
    expect(r.severity_id).toBeGreaterThanOrEqual(2);
  });

  it('never invents a time: an event without a timestamp is not exported, with the reason', () => {
    const e = find((x) => x.timestamp === null);
    expect(eventToOcsfLines(e)).toEqual({ lines: '', notExported: 'no timestamp (OCSF requires time)' });
  });

  it('the validator rejects what the class schema forbids (a missing time, an unknown field, a bad enum)', () => {
    const r = records(ALL.find((e) => e.timestamp !== null)!)[0]!;
    expect(validateOcsf(r)).toBeNull();
    const { time: _t, ...noTime } = r;
    expect(validateOcsf(noTime as OcsfRecord)?.join(' ')).toMatch(/time/);
    expect(validateOcsf({ ...r, not_an_ocsf_field: 1 })?.join(' ')).toMatch(/additional properties/);
    expect(validateOcsf({ ...r, status_id: 7 })?.join(' ')).toMatch(/status_id/);
    expect(validateOcsf({ ...r, metadata: { ...r.metadata, version: undefined } } as OcsfRecord)).not.toBeNull();
  });

  it('real events with fields blanked or odd values still give valid records (property test)', () => {
    const timed = ALL.filter((e) => e.timestamp !== null);
    const nullable = fc.record({
      user: fc.boolean(),
      id: fc.boolean(),
      address: fc.constantFrom<string | null>(null, 'local', '10.0.0.1', '::1', 'host.example', 'private', ''),
      port: fc.constantFrom<number | null>(null, 0, 5432, 70000, -1),
      resName: fc.boolean(),
      resType: fc.boolean(),
      action: fc.boolean(),
      statement: fc.constantFrom<string | null | undefined>(undefined, null, 'SELECT 1'),
      outcome: fc.constantFrom('success', 'failure', 'unknown'),
      reason: fc.constantFrom<string | null>(null, 'denied'),
      app: fc.constantFrom<string | null>(null, 'psql'),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: timed.length - 1 }), nullable, (i, m) => {
        const e: AuditEvent = structuredClone(timed[i]!);
        if (m.user) e.user.name = null;
        if (m.id) e.user.id = null;
        e.origin.address = m.address;
        e.origin.port = m.port;
        e.origin.application = m.app;
        if (m.resName) e.resource.name = null;
        if (m.resType) e.resource.type = null;
        if (m.action) {
          e.action.name = null;
          e.action.source_name = null;
        }
        if (m.statement !== undefined) e.action.statement = m.statement;
        e.outcome = m.outcome as AuditEvent['outcome'];
        e.outcome_reason = m.reason;
        if (validateEvent(e)) return; // only events our own schema allows
        for (const r of records(e)) expect(validateOcsf(r)).toBeNull();
      }),
      { numRuns: 400 },
    );
  });
});
