// The GCP probe: two harmless Cloud Storage calls on the one bucket the user dedicates to the probe
// (probe.bucket), each undone at once or changing nothing, then looked for in Cloud Audit Logs
// (Admin Activity) through the gcp-logging source:
//   change_execution   storage.buckets.update: the label ae-probe=<nonce> set, then removed
//   permission_change  storage.setIamPermissions: the bucket's IAM policy set to itself (the etag read
//                      with it makes the call fail rather than overwrite a change made in between)
// Cloud Audit Logs do not record the label values or the policy of these calls in a form the probe
// can rely on, so each entry is matched by method, resourceName projects/_/buckets/<bucket> and time
// (the bucket is dedicated: nothing else changes it). The bucket must exist: the probe never creates
// one, and a label ae-probe left by a run that stopped halfway is removed at the start.
// Not probed, and said so: authentication (sign-ins are logged by Cloud Identity, not for a
// project; minting a token would need the prober to impersonate a service account), policy_change
// (audit configs, organization policies, sinks and exclusions are project-wide controls the probe did
// not create), data_exposure (object reads are Data Access logs and need an object holding data;
// making the bucket public is the exposure itself), access_request (Access Approval requests come
// from Google, not from the customer).
import { Storage } from '@google-cloud/storage';
import type { AuditEvent } from '../event/types.generated.js';
import type { GcpLoggingSourceConfig } from '../live/gcp-logging/index.js';
import type { PlannedProbe, ProbeConfig } from './types.js';
import type { PlanRun } from './postgres.js';

export const GCP_LABEL_KEY = 'ae-probe';

const msg = (e: unknown) => {
  const x = e as Error & { code?: unknown };
  return `${typeof x.code === 'number' ? `HTTP ${x.code}: ` : ''}${x.message}`;
};

export function gcpLikelySetting(src: GcpLoggingSourceConfig): string {
  const kinds = src.log_kinds;
  if (kinds && !kinds.includes('activity'))
    return `log_kinds lacks activity: bucket updates and IAM changes are Admin Activity audit logs (add activity to log_kinds)`;
  return `the source reads ${src.resources.join(', ')}: the bucket's project must be one of them (or under a folder or organization read), and its Admin Activity logs must not be excluded by a _Required/_Default sink exclusion; or delivery took longer than the wait (raise probe.wait)`;
}

export async function probeGcp(src: GcpLoggingSourceConfig, probe: ProbeConfig, nonce: string): Promise<PlanRun> {
  const name = probe.bucket!;
  if (src.api_endpoint && !probe.storage_endpoint) {
    throw new Error(
      "the source's api_endpoint is overridden but no Cloud Storage endpoint is given (probe.storage_endpoint): the probe never calls the public Cloud Storage API behind a private or test endpoint",
    );
  }
  const storage = new Storage({
    ...(src.key_file ? { keyFilename: src.key_file } : {}),
    ...(probe.storage_endpoint ? { apiEndpoint: probe.storage_endpoint } : {}),
    retryOptions: { autoRetry: true, maxRetries: 3 },
  });
  const bucket = storage.bucket(name);
  const resource = `projects/_/buckets/${name}`;
  const planned: PlannedProbe[] = [];
  const dropped: string[] = [];
  const leftovers: string[] = [];
  const errors: string[] = [];
  const likely = gcpLikelySetting(src);
  // The bucket must exist: the probe acts on it and on nothing else, and never creates one.
  let labels: Record<string, string> = {};
  try {
    const [meta] = await bucket.getMetadata();
    labels = (meta.labels ?? {}) as Record<string, string>;
  } catch (e) {
    throw new Error(`the dedicated bucket ${name} (probe.bucket) could not be read: ${msg(e)}`);
  }
  if (labels[GCP_LABEL_KEY] !== undefined) {
    try {
      await bucket.setMetadata({ labels: { [GCP_LABEL_KEY]: null } });
      leftovers.push(`label ${GCP_LABEL_KEY}=${labels[GCP_LABEL_KEY]} on bucket ${name}`);
    } catch (e) {
      errors.push(`could not remove the leftover label ${GCP_LABEL_KEY} from bucket ${name}: ${msg(e)}`);
    }
  }
  const r: Run = { planned, dropped, errors, bucket, name, resource, nonce, likely };
  await labelBucket(r);
  await setPolicyToItself(r);
  const no = (category: PlannedProbe['category'], n: string, why: string) =>
    planned.push({
      category,
      name: n,
      action: null,
      performed_at: null,
      notProbed: why,
      matches: () => false,
      likely_setting: '',
    });
  no(
    'authentication',
    'sign-in',
    'sign-ins are logged by Cloud Identity, not for a project, and minting a token would need the prober to impersonate a service account',
  );
  no(
    'policy_change',
    'policy change',
    'audit configs, organization policies, log sinks and exclusions are project-wide controls the probe did not create',
  );
  no(
    'data_exposure',
    'data exposure',
    'object reads are Data Access logs and need an object holding data; making the bucket public is the exposure itself',
  );
  no('access_request', 'access request', 'Access Approval requests come from Google, not from the customer');
  return { planned, dropped, leftovers, errors };
}

/** One probe run on the dedicated bucket. */
interface Run {
  planned: PlannedProbe[];
  dropped: string[];
  errors: string[];
  bucket: ReturnType<Storage['bucket']>;
  name: string;
  /** The bucket as audit log entries name it. */
  resource: string;
  nonce: string;
  likely: string;
}

/** The Admin Activity entry of `method` on the bucket, at or after `at` (allowing for clock skew). */
const entry = (resource: string, category: string, method: string, at: () => Date) => (e: AuditEvent) =>
  e.category === category &&
  e.action.source_name === method &&
  e.resource.name === resource &&
  e.outcome === 'success' &&
  !!e.timestamp &&
  Date.parse(e.timestamp) >= at().getTime() - 120_000;

/** change_execution: a label set on the bucket, then removed. */
async function labelBucket(r: Run): Promise<void> {
  const { bucket, name, nonce } = r;
  let labelAt = new Date();
  try {
    labelAt = new Date();
    await bucket.setLabels({ [GCP_LABEL_KEY]: nonce });
    r.planned.push({
      category: 'change_execution',
      name: 'label the dedicated bucket',
      action: `storage.buckets.update ${name}: label ${GCP_LABEL_KEY}=${nonce} set, then removed (matched by method, bucket and time)`,
      performed_at: labelAt,
      matches: entry(r.resource, 'change_execution', 'storage.buckets.update', () => labelAt),
      likely_setting: r.likely,
    });
    try {
      await bucket.setMetadata({ labels: { [GCP_LABEL_KEY]: null } });
      r.dropped.push(`label ${GCP_LABEL_KEY}=${nonce} on bucket ${name}`);
    } catch (e) {
      r.errors.push(`could not remove the label ${GCP_LABEL_KEY} from bucket ${name}: ${msg(e)}`);
    }
  } catch (e) {
    r.planned.push({
      category: 'change_execution',
      name: 'label the dedicated bucket',
      action: `storage.buckets.update ${name}: label ${GCP_LABEL_KEY}=${nonce}`,
      performed_at: labelAt,
      error: msg(e),
      matches: () => false,
      likely_setting: r.likely,
    });
  }
}

/** permission_change: the bucket's IAM policy set to itself (with its etag: refused, not applied, if it changed in between). */
async function setPolicyToItself(r: Run): Promise<void> {
  const { bucket, name } = r;
  let iamAt = new Date();
  try {
    const [policy] = await bucket.iam.getPolicy({ requestedPolicyVersion: 3 });
    iamAt = new Date();
    await bucket.iam.setPolicy(policy); // with its etag: refused, not applied, if it changed in between
    r.planned.push({
      category: 'permission_change',
      name: 'IAM policy set to itself',
      action: `storage.setIamPermissions ${name}: the bucket's IAM policy (${(policy.bindings ?? []).length} bindings, etag ${policy.etag ?? 'none'}) set to itself (matched by method, bucket and time)`,
      performed_at: iamAt,
      matches: entry(r.resource, 'permission_change', 'storage.setIamPermissions', () => iamAt),
      likely_setting: r.likely,
    });
  } catch (e) {
    r.planned.push({
      category: 'permission_change',
      name: 'IAM policy set to itself',
      action: `storage.setIamPermissions ${name}: the bucket's IAM policy set to itself`,
      performed_at: iamAt,
      error: msg(e),
      matches: () => false,
      likely_setting: r.likely,
    });
  }
}
