// mapResource finds the request parameter that names the target by looking up the record's own
// keys instead of trying every entry of PARAMS; the answer must be the same. The previous
// mapResource is kept below, verbatim (PARAMS tried in order), as the oracle.
import { expect, it } from 'vitest';
import fc from 'fast-check';
import { mapResource, PARAMS, type ResourceResult } from '../../../src/sources/cloudtrail/resource.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
function instancesFromSet(rp: Obj): string[] {
  const set = obj(rp.instancesSet);
  const items = set ? (Array.isArray(set.items) ? set.items : Array.isArray(set.item) ? set.item : null) : null;
  if (!items) return [];
  const out: string[] = [];
  for (const it of items) {
    const id = str(obj(it)?.instanceId);
    if (id) out.push(id);
  }
  return out;
}

function oldMapResource(rec: Obj, service: string): ResourceResult {
  const details: Record<string, unknown> = {};
  // Scope: the account that received the event (recipientAccountId), else the caller's account.
  const account = str(rec.recipientAccountId) ?? str(obj(rec.userIdentity)?.accountId);
  const region = str(rec.awsRegion); // not validated: anonymised samples carry invented regions
  const scope = { account, region };

  // resources[]: [{ARN | ARNPrefix, accountId, type}]
  const list = Array.isArray(rec.resources) ? rec.resources : null;
  if (list && list.length > 0) {
    const all: Array<{ arn: string | null; type: string | null; account: string | null }> = [];
    for (const r of list) {
      const o = obj(r);
      if (!o) continue;
      all.push({ arn: str(o.ARN) ?? str(o.ARNPrefix), type: str(o.type), account: str(o.accountId) });
    }
    // An access key listed beside the real target is the credential, not what was acted on.
    const first = all.find((r) => r.arn && r.type !== 'AWS::IAM::AccessKey') ?? all.find((r) => r.arn);
    if (first) {
      if (all.length > 1) details.resources = all;
      return {
        resource: {
          type: first.type,
          name: first.arn,
          implicit: false,
          scope: { account: first.account ?? account, region },
        },
        details,
      };
    }
  }

  const rp = obj(rec.requestParameters);
  if (rp) {
    for (const p of PARAMS) {
      if (p.sources && !p.sources.has(service)) continue;
      const v = str(rp[p.key]);
      if (!v) continue;
      let name = v;
      let type = p.type;
      if (p.key === 'bucketName') {
        const key = str(rp.key); // S3 object key
        if (key) {
          name = `${v}/${key}`;
          type = 'AWS::S3::Object';
        }
      }
      if (p.key !== 'policyArn' && str(rp.policyArn)) details.policy_arn = rp.policyArn;
      return { resource: { type, name, implicit: true, scope }, details };
    }
    const ids = instancesFromSet(rp);
    if (ids.length > 0) {
      if (ids.length > 1) details.resources = ids.map((i) => ({ arn: null, type: 'AWS::EC2::Instance', id: i }));
      return { resource: { type: 'AWS::EC2::Instance', name: ids[0], implicit: true, scope }, details };
    }
  }
  // Nothing in the request: what the call created, from responseElements (RunInstances' instances,
  // CreateAccessKey's key when the caller made one for itself).
  const re = obj(rec.responseElements);
  if (re) {
    const ids = instancesFromSet(re);
    if (ids.length > 0) {
      if (ids.length > 1) details.resources = ids.map((i) => ({ arn: null, type: 'AWS::EC2::Instance', id: i }));
      return { resource: { type: 'AWS::EC2::Instance', name: ids[0], implicit: true, scope }, details };
    }
    const key = str(obj(re.accessKey)?.accessKeyId);
    if (key) return { resource: { type: 'AWS::IAM::AccessKey', name: key, implicit: true, scope }, details };
  }
  return { resource: { scope }, details };
}

const keys = [
  ...new Set(PARAMS.map((p) => p.key)),
  'key',
  'policyArn',
  'instancesSet',
  'other',
  '__proto__',
  'constructor',
  'toString',
  '0',
];
const services = [...new Set(PARAMS.flatMap((p) => (p.sources ? [...p.sources] : [])))].concat([
  'ec2',
  'iam',
  's3',
  'kms',
  'lambda',
  'x',
]);
const value = fc.oneof(
  fc.constantFrom('', 'v', 'arn:aws:iam::1:policy/p', 'i-1', null, 0, true, [], {}),
  fc.constant({ items: [{ instanceId: 'i-1' }, { instanceId: 'i-2' }] }),
  fc.constant({ item: [{ instanceId: 'i-3' }] }),
);
const params = fc.array(fc.tuple(fc.constantFrom(...keys), value), { maxLength: 6 }).map((pairs) => {
  const o: Obj = {};
  for (const [k, v] of pairs)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
});
const record = fc.record(
  {
    recipientAccountId: fc.constantFrom(undefined, '', '111122223333'),
    userIdentity: fc.constantFrom(undefined, { accountId: '444455556666' }),
    awsRegion: fc.constantFrom(undefined, 'us-east-1'),
    resources: fc.constantFrom(
      undefined,
      [],
      [{ ARN: 'arn:aws:s3:::b', type: 'AWS::S3::Bucket' }],
      [
        { ARN: 'k', type: 'AWS::IAM::AccessKey' },
        { ARNPrefix: 'p', accountId: '1' },
      ],
      [null, {}],
    ),
    requestParameters: fc.oneof(params, fc.constantFrom(undefined, null, 'x', [])),
    responseElements: fc.oneof(params, fc.constantFrom(undefined, null, { accessKey: { accessKeyId: 'AKIA1' } })),
  },
  { requiredKeys: [] },
);

it('mapResource equals trying PARAMS in order', () => {
  fc.assert(
    fc.property(record, fc.constantFrom(...services), (rec, service) => {
      expect(mapResource(rec as Obj, service)).toEqual(oldMapResource(rec as Obj, service));
    }),
    { numRuns: 5000 },
  );
});
