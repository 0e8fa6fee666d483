// The affected resource of a CloudTrail record: `resources[]` when the record lists them (ARN and
// type, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html),
// else the request parameter that names the target of the call (the services' API references).
// Resource types use CloudTrail's own `AWS::Service::Type` notation in both cases.
import type { Resource } from '../../event/types.generated.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export interface ResourceResult {
  resource: Partial<Omit<Resource, 'scope'>> & { scope?: Partial<Resource['scope']> };
  details: Record<string, unknown>;
}

/** A request parameter naming the target, checked in order (the most specific first). */
export interface Param {
  key: string;
  type: string;
  sources?: ReadonlySet<string>;
}
const only = (...s: string[]) => new Set(s);

export const PARAMS: readonly Param[] = [
  // Identity Center portal Federate / GetRoleCredentials: the account signed in to (roleName is the permission set's role there).
  { key: 'accountId', type: 'AWS::::Account', sources: only('sso') },
  // IAM principals before policies: AttachUserPolicy changes the user, the policy goes to details.
  { key: 'userName', type: 'AWS::IAM::User' },
  { key: 'roleName', type: 'AWS::IAM::Role' },
  { key: 'groupName', type: 'AWS::IAM::Group' },
  { key: 'instanceProfileName', type: 'AWS::IAM::InstanceProfile' },
  { key: 'policyArn', type: 'AWS::IAM::Policy' },
  { key: 'policyName', type: 'AWS::IAM::Policy', sources: only('iam') },
  { key: 'roleArn', type: 'AWS::IAM::Role', sources: only('sts') }, // AssumeRole*
  { key: 'bucketName', type: 'AWS::S3::Bucket' }, // (+ key: an object, below)
  { key: 'dBSnapshotIdentifier', type: 'AWS::RDS::DBSnapshot' },
  { key: 'dBClusterSnapshotIdentifier', type: 'AWS::RDS::DBClusterSnapshot' },
  { key: 'dBInstanceIdentifier', type: 'AWS::RDS::DBInstance' },
  { key: 'dBClusterIdentifier', type: 'AWS::RDS::DBCluster' },
  { key: 'trailName', type: 'AWS::CloudTrail::Trail' }, // PutEventSelectors
  { key: 'name', type: 'AWS::CloudTrail::Trail', sources: only('cloudtrail') }, // StopLogging, DeleteTrail, UpdateTrail
  { key: 'name', type: 'AWS::STS::FederatedUser', sources: only('sts') }, // GetFederationToken
  { key: 'name', type: 'AWS::SSM::Parameter', sources: only('ssm') }, // GetParameter
  { key: 'name', type: 'AWS::SecretsManager::Secret', sources: only('secretsmanager') }, // CreateSecret
  { key: 'secretId', type: 'AWS::SecretsManager::Secret' },
  { key: 'keyId', type: 'AWS::KMS::Key' },
  { key: 'functionName', type: 'AWS::Lambda::Function' },
  { key: 'instanceId', type: 'AWS::EC2::Instance' },
  { key: 'snapshotId', type: 'AWS::EC2::Snapshot' },
  { key: 'imageId', type: 'AWS::EC2::Image' },
  { key: 'volumeId', type: 'AWS::EC2::Volume' },
  { key: 'groupId', type: 'AWS::EC2::SecurityGroup', sources: only('ec2') },
  { key: 'target', type: 'AWS::SSM::ManagedInstance', sources: only('ssm') }, // StartSession
  { key: 'sessionId', type: 'AWS::SSM::Session', sources: only('ssm') }, // TerminateSession, ResumeSession
  { key: 'detectorId', type: 'AWS::GuardDuty::Detector' },
  { key: 'configurationRecorderName', type: 'AWS::Config::ConfigurationRecorder' },
  { key: 'permissionSetArn', type: 'AWS::SSO::PermissionSet' },
  { key: 'policyId', type: 'AWS::Organizations::Policy', sources: only('organizations') },
  { key: 'accountId', type: 'AWS::Organizations::Account', sources: only('organizations') },
];

/**
 * PARAMS indexed by key (indices in PARAMS order). A record's requestParameters has a few keys;
 * looking each of them up here finds the same first match as trying all of PARAMS in order, with
 * a handful of lookups instead of ~35 reads of absent keys (objects of many shapes: each such read
 * was a megamorphic lookup).
 */
const PARAMS_BY_KEY = new Map<string, number[]>();
PARAMS.forEach((p, i) => {
  const list = PARAMS_BY_KEY.get(p.key);
  if (list) list.push(i);
  else PARAMS_BY_KEY.set(p.key, [i]);
});

/** The first PARAMS entry (in order) that applies to the service and names a non-empty string in rp; -1 when none. */
function firstParam(rp: Obj, service: string): number {
  let best = -1;
  for (const k in rp) {
    const list = PARAMS_BY_KEY.get(k);
    if (list === undefined) continue;
    for (const i of list) {
      if (best >= 0 && i > best) break;
      const p = PARAMS[i]!;
      if (p.sources && !p.sources.has(service)) continue;
      if (str(rp[k]) === null) break; // the same value for every entry of this key
      best = i;
      break;
    }
  }
  return best;
}

/** EC2's `instancesSet.items[].instanceId` (some console calls write `item`). */
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

export function mapResource(rec: Obj, service: string): ResourceResult {
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
    const found = firstParam(rp, service);
    if (found >= 0) {
      const p = PARAMS[found]!;
      const v = str(rp[p.key])!;
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
