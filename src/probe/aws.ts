// The AWS probe: two harmless IAM calls on the one role the user dedicates to the probe
// (probe.iam_role), each naming the nonce, each undone at once, then looked for in CloudTrail through
// the source (LookupEvents, or the trail's files in S3):
//   change_execution   iam:TagRole ae-probe=<nonce>, then iam:UntagRole ae-probe
//   permission_change  iam:PutRolePolicy ae-probe-<nonce> (an inline policy that denies everything,
//                      so it can only take rights away), then iam:DeleteRolePolicy
// Nothing else is touched: the role must exist (the probe never creates one), and a tag `ae-probe` or
// an inline policy named ae-probe-<hex> left by a run that stopped halfway is removed at the start.
// Not probed, and said so: authentication (console and Identity Center sign-ins cannot be performed
// through the API), policy_change (trails, Config, GuardDuty, bucket and key policies are
// account-wide controls the probe did not create), data_exposure (snapshot sharing, secret and
// object reads need a resource holding data, and object reads are data events), access_request
// (AWS has no access-request API). IAM is a global service: CloudTrail records its calls in
// us-east-1, and delivers them to LookupEvents and to the trail's files within about 5-15 minutes.
import {
  IAMClient,
  GetRoleCommand,
  ListRoleTagsCommand,
  ListRolePoliciesCommand,
  TagRoleCommand,
  UntagRoleCommand,
  PutRolePolicyCommand,
  DeleteRolePolicyCommand,
} from '@aws-sdk/client-iam';
import type { AuditEvent } from '../event/types.generated.js';
import type { PlannedProbe, ProbeConfig } from './types.js';
import type { PlanRun } from './postgres.js';

export const AWS_TAG_KEY = 'ae-probe';
const LEFTOVER_POLICY = /^ae-probe-[0-9a-f]{8,32}$/;

/** The source fields the probe uses (cloudtrail and cloudtrail-s3 sources). */
export interface AwsProbeSource {
  name: string;
  type: 'cloudtrail' | 'cloudtrail-s3';
  regions?: string[];
  profile?: string;
  endpoint?: string;
  iam_endpoint?: string;
}

const DENY_ALL = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'AuditEvidenceProbe', Effect: 'Deny', Action: '*', Resource: '*' }],
});

/** What most likely keeps an IAM call out of what the source reads. */
export function awsLikelySetting(src: AwsProbeSource): string {
  const regions = src.regions ?? [];
  if (!regions.includes('us-east-1')) {
    return `the source reads ${regions.join(', ') || 'no region'} but not us-east-1: IAM is a global service and CloudTrail records its calls in us-east-1 (add us-east-1 to regions)`;
  }
  if (src.type === 'cloudtrail') {
    return 'CloudTrail had not delivered the event to LookupEvents within the wait (it takes up to about 15 minutes: raise probe.wait), or the call was made in another account than the one read';
  }
  return 'the trail does not log write management events (its event selectors exclude management events or log ReadOnly only), or it excludes global service events (IncludeGlobalServiceEvents false: IAM calls are not delivered), or delivery took longer than the wait (raise probe.wait)';
}

export async function probeAws(src: AwsProbeSource, probe: ProbeConfig, nonce: string): Promise<PlanRun> {
  const role = probe.iam_role!;
  const iamEndpoint = probe.iam_endpoint ?? src.iam_endpoint;
  if (src.endpoint && !iamEndpoint) {
    throw new Error(
      "the source's endpoint is overridden but no IAM endpoint is given (probe.iam_endpoint): the probe never calls the public IAM endpoint behind a private or test one",
    );
  }
  const iam = new IAMClient({
    region: 'us-east-1',
    ...(src.profile ? { profile: src.profile } : {}),
    ...(iamEndpoint ? { endpoint: iamEndpoint } : {}),
  });
  const run: Run = {
    planned: [],
    dropped: [],
    leftovers: [],
    errors: [],
    iam,
    role,
    nonce,
    likely: awsLikelySetting(src),
  };
  try {
    // The role must exist: the probe acts on it and on nothing else, and never creates one.
    try {
      await iam.send(new GetRoleCommand({ RoleName: role }));
    } catch (e) {
      throw new Error(`the dedicated role ${role} (probe.iam_role) could not be read: ${msg(e)}`);
    }
    await removeLeftovers(run);
    await roleActions(run);
  } finally {
    iam.destroy();
  }
  const no = (category: PlannedProbe['category'], name: string, why: string) =>
    run.planned.push({
      category,
      name,
      action: null,
      performed_at: null,
      notProbed: why,
      matches: () => false,
      likely_setting: '',
    });
  no(
    'authentication',
    'sign-in',
    'console and IAM Identity Center sign-ins cannot be performed through the API (and sts:AssumeRole would need the role to trust the prober)',
  );
  no(
    'policy_change',
    'policy change',
    'trails, Config, GuardDuty, bucket and key policies are account-wide controls the probe did not create',
  );
  no(
    'data_exposure',
    'data exposure',
    'snapshot sharing and secret or object reads need a resource holding data (object reads are data events, not in LookupEvents)',
  );
  no('access_request', 'access request', 'AWS has no access-request API');
  const { planned, dropped, leftovers, errors } = run;
  return { planned, dropped, leftovers, errors };
}

/** One probe run on the dedicated role. */
interface Run extends PlanRun {
  iam: IAMClient;
  role: string;
  nonce: string;
  /** What most likely keeps a call out of what the source reads. */
  likely: string;
}

const msg = (e: unknown) => {
  const x = e as Error;
  return `${x.name && x.name !== 'Error' ? `${x.name}: ` : ''}${x.message}`;
};

/** Leftovers of a run that stopped halfway: our tag key and our inline policy names only. */
async function removeLeftovers({ iam, role, leftovers, errors }: Run): Promise<void> {
  try {
    const tags = await iam.send(new ListRoleTagsCommand({ RoleName: role }));
    if ((tags.Tags ?? []).some((t) => t.Key === AWS_TAG_KEY)) {
      await iam.send(new UntagRoleCommand({ RoleName: role, TagKeys: [AWS_TAG_KEY] }));
      leftovers.push(`tag ${AWS_TAG_KEY} on role ${role}`);
    }
    const pols = await iam.send(new ListRolePoliciesCommand({ RoleName: role }));
    for (const p of pols.PolicyNames ?? []) {
      if (!LEFTOVER_POLICY.test(p)) continue;
      await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: p }));
      leftovers.push(`inline policy ${p} on role ${role}`);
    }
  } catch (e) {
    errors.push(`could not check role ${role} for leftovers of an earlier run: ${msg(e)}`);
  }
}

/** Performs one action on the role as a probe of a category, then undoes it (a failure is recorded with the probe). */
async function step(
  r: Run,
  category: PlannedProbe['category'],
  name: string,
  action: string,
  act: () => Promise<void>,
  undo: () => Promise<string>,
): Promise<void> {
  // CloudTrail's record names the nonce (requestParameters: the tag value, the policy name); the
  // normalized event keeps the role, not the request, so the record is what is matched.
  const matches = (e: AuditEvent, raw: string) =>
    e.category === category && e.resource.name === r.role && raw.includes(r.nonce);
  const at = new Date();
  try {
    await act();
  } catch (e) {
    r.planned.push({ category, name, action, performed_at: at, error: msg(e), matches, likely_setting: r.likely });
    return;
  }
  r.planned.push({ category, name, action, performed_at: at, matches, likely_setting: r.likely });
  try {
    r.dropped.push(await undo());
  } catch (e) {
    r.errors.push(`could not undo ${name} on role ${r.role}: ${msg(e)}`);
  }
}

/** A tag and a deny-all inline policy on the dedicated role, each removed again. */
async function roleActions(r: Run): Promise<void> {
  const { iam, role, nonce } = r;
  const policyName = `ae-probe-${nonce}`;
  await step(
    r,
    'change_execution',
    'tag the dedicated role',
    `iam:TagRole ${role} ${AWS_TAG_KEY}=${nonce}, then iam:UntagRole`,
    async () => {
      await iam.send(new TagRoleCommand({ RoleName: role, Tags: [{ Key: AWS_TAG_KEY, Value: nonce }] }));
    },
    async () => {
      await iam.send(new UntagRoleCommand({ RoleName: role, TagKeys: [AWS_TAG_KEY] }));
      return `tag ${AWS_TAG_KEY}=${nonce} on role ${role}`;
    },
  );
  await step(
    r,
    'permission_change',
    'deny-all inline policy on the dedicated role',
    `iam:PutRolePolicy ${role} ${policyName} (Deny * on *), then iam:DeleteRolePolicy`,
    async () => {
      await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: policyName, PolicyDocument: DENY_ALL }));
    },
    async () => {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: policyName }));
      return `inline policy ${policyName} on role ${role}`;
    },
  );
}
