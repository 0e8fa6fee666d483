// Live source `cloudtrail`: CloudTrail LookupEvents for the period, per region, every page
// (NextToken), paced below the API's limit of 2 requests per second per account and region, with
// the standard AWS credential chain (environment, shared config and profiles, SSO, web identity,
// instance roles) or a named profile. ThrottlingException and other transient errors are retried
// with backoff and reported. Each page goes to the cloudtrail adapter as LookupEvents output
// ({"Events": [...]}, each element carrying the full record in CloudTrailEvent), the same mapping
// that reads `aws cloudtrail lookup-events` files.
// API: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import type { LiveSourceOpener, SourceConfig } from '../../collect/source.js';
import type { Outcome } from '../../pipeline/types.js';
import { openStream } from '../../pipeline/input.js';
import { normalizeOne } from '../../pipeline/run.js';
import { findAdapter } from '../../sources/registry.js';
import { S3Client } from '@aws-sdk/client-s3';
import { IAMClient } from '@aws-sdk/client-iam';
import { readAwsAdmins } from '../../roster/aws-iam.js';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { readSsoAdmins } from '../../roster/aws-sso.js';
import { withRoster } from '../roster.js';
import { awsRetention, readTrails } from '../../retention/aws.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { DEFAULT_RETRY, Pacer, withRetry, type RetryPolicy, awsTransient } from '../pace.js';

export interface CloudTrailSourceConfig {
  name: string;
  type: 'cloudtrail';
  regions: string[];
  /** A named profile from the shared AWS config; default: the standard credential chain. */
  profile?: string;
  /** For tests and private endpoints. */
  endpoint?: string;
  /** S3 endpoint for reading the trail bucket's lifecycle and Object Lock (tests, private endpoints; path-style). */
  s3_endpoint?: string;
  /** Read the IAM admin roster (GetAccountAuthorizationDetails) to mark events privileged; default true. */
  iam_roster?: boolean;
  /** IAM endpoint override (tests, private endpoints). */
  iam_endpoint?: string;
  /** The organization's management account: also read IAM Identity Center's admin permission sets (default false). */
  sso_roster?: boolean;
  /** Region of the Identity Center instance (default: the first region). */
  sso_region?: string;
  /** sso-admin endpoint override (tests, private endpoints). */
  sso_endpoint?: string;
  /** Requests per second per region; LookupEvents allows 2. */
  requests_per_second?: number;
  /** Events per page (LookupEvents allows up to 50). */
  max_results?: number;
  retry?: Partial<RetryPolicy>;
}

const transient = (e: unknown): string | null => awsTransient(e);

const RETENTION_DAYS = 90;

export const openCloudTrail: LiveSourceOpener = (cfg: SourceConfig, ctx, summary) => {
  const c = cfg as unknown as CloudTrailSourceConfig;
  const res = new LiveResult();
  const progress = new ProgressLine(c.name, ctx.progress);
  const rate = c.requests_per_second ?? 2;
  const maxResults = Math.min(50, c.max_results ?? 50);
  const policy = { ...DEFAULT_RETRY, ...c.retry };

  async function* run(): AsyncGenerator<Outcome> {
    const regions = c.regions ?? [];
    if (regions.length === 0) {
      res.fail('regions is empty: name at least one AWS region');
      return;
    }
    res.how = `CloudTrail LookupEvents in ${regions.join(', ')} from ${ctx.since.toISOString()} to ${ctx.until.toISOString()}, ${maxResults} events per page, every page (NextToken), paced to ${rate} requests/s per region`;
    res.settings = {
      regions,
      credentials: c.profile ? `profile ${c.profile}` : 'standard AWS credential chain',
      requests_per_second: rate,
      max_results: maxResults,
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    };
    res.warn(
      "LookupEvents returns management events only: data events (S3 object reads, Lambda invokes) need the trail's S3 files (a file source)",
    );
    const oldest = Date.now() - RETENTION_DAYS * 86400_000;
    const tooOld = ctx.since.getTime() < oldest;
    const adapter = findAdapter('cloudtrail');
    if (!adapter) {
      res.fail('the cloudtrail adapter is not registered');
      return;
    }
    // With the CloudTrail endpoint overridden (a private or test endpoint), IAM is read only from an
    // iam_endpoint given too: never from the public endpoint behind the user's back.
    if (c.iam_roster === false) res.settings.iam_roster = { read: false, why: 'iam_roster: false in the config' };
    else if (c.endpoint && !c.iam_endpoint)
      res.settings.iam_roster = { read: false, why: 'endpoint is overridden and iam_endpoint is not set' };
    else await readIamRoster();
    if (c.sso_roster === true) {
      if (c.endpoint && !c.sso_endpoint)
        res.settings.sso_roster = { read: false, why: 'endpoint is overridden and sso_endpoint is not set' };
      else await readSsoRoster();
    }
    const retries: Record<string, number> = {};
    const perRegion: Record<string, { pages: number; events: number; complete: boolean }> = {};
    let events = 0;
    let pages = 0;
    for (const region of regions) {
      perRegion[region] = { pages: 0, events: 0, complete: false };
      const client = new CloudTrailClient({
        region,
        maxAttempts: 1, // retries are ours, so that each is paced, counted and reported
        ...(c.profile ? { profile: c.profile } : {}),
        ...(c.endpoint ? { endpoint: c.endpoint } : {}),
      });
      const pacer = new Pacer(rate);
      let token: string | undefined;
      let page = 0;
      let stop = false;
      const pageStream = async function* (): AsyncGenerator<Buffer> {
        for (;;) {
          page++;
          res.position = `region ${region}, page ${page}${token ? ` (NextToken ${token.length > 40 ? token.slice(0, 40) + '…' : token})` : ''}`;
          let out: LookupEventsCommandOutput;
          try {
            out = await withRetry(
              async () => {
                await pacer.wait(ctx.signal);
                return client.send(
                  new LookupEventsCommand({
                    StartTime: ctx.since,
                    EndTime: ctx.until,
                    MaxResults: maxResults,
                    NextToken: token,
                  }),
                  { abortSignal: ctx.signal as never },
                );
              },
              transient,
              (what, attempt, delay) => {
                retries[what] = (retries[what] ?? 0) + 1;
                progress.update(
                  `${region} page ${page}: ${what}, retry ${attempt} in ${delay} ms (paced to ${rate} requests/s)`,
                  true,
                );
              },
              policy,
              ctx.signal,
            );
          } catch (e) {
            const err = e as Error & { name?: string };
            res.fail(
              `CloudTrail LookupEvents failed in ${region} on page ${page} after ${perRegion[region].events} events${err.name && err.name !== 'Error' ? ` (${err.name})` : ''}: ${err.message}`,
            );
            stop = true;
            return;
          }
          res.touched = true;
          pages++;
          perRegion[region].pages++;
          const evs = out.Events ?? [];
          events += evs.length;
          perRegion[region].events += evs.length;
          progress.update(`${region}: ${events} events, ${pages} pages so far (paced to ${rate} requests/s)`);
          if (evs.length) yield Buffer.from(JSON.stringify({ Events: evs }) + '\n');
          token = out.NextToken || undefined;
          if (!token) {
            perRegion[region].complete = true;
            return;
          }
        }
      };
      try {
        const input = await openStream(`${c.name}:${region}:LookupEvents`, pageStream());
        for await (const o of normalizeOne(
          adapter,
          input,
          { format: 'cloudtrail', options: { instance: c.name }, since: ctx.since, until: ctx.until },
          summary,
        )) {
          res.count(o);
          yield withRoster(o, res.roster);
          if (ctx.signal?.aborted) {
            res.fail('the pull was interrupted');
            stop = true;
            break;
          }
        }
      } catch (e) {
        res.fail(`CloudTrail pull failed in ${region}: ${(e as Error).message}`);
        stop = true;
      } finally {
        client.destroy();
      }
      if (stop) break;
    }
    res.settings.pages = pages;
    res.settings.events = events;
    res.settings.per_region = perRegion;
    if (Object.keys(retries).length) {
      res.settings.retries = retries;
      res.warn(
        `transient errors were retried with backoff: ${Object.entries(retries)
          .map(([k, v]) => `${v} × ${k}`)
          .join(', ')}`,
      );
    }
    progress.update(`done: ${events} events, ${pages} pages`, true);
    await readRetention();
    if (res.failedReason !== null) return;
    if (tooOld) {
      res.fail(
        `the period starts before the ${RETENTION_DAYS} days LookupEvents keeps: events before ${new Date(oldest).toISOString()} cannot be pulled this way; use the trail's S3 files`,
      );
      return;
    }
    res.position = null;
    res.done();
  }

  /** Who the account's administrators are, from IAM itself: known before the first event. */
  async function readIamRoster(): Promise<void> {
    const iam = new IAMClient({
      region: 'us-east-1',
      ...(c.profile ? { profile: c.profile } : {}),
      ...(c.iam_endpoint ? { endpoint: c.iam_endpoint } : {}),
    });
    const at = new Date().toISOString();
    try {
      const r = await readAwsAdmins(iam, `live:${c.name} IAM GetAccountAuthorizationDetails, read ${at}`, c.name, null);
      res.roster = r.entries;
      res.settings.iam_roster = { read_from: 'IAM GetAccountAuthorizationDetails', read_at: at, ...r.facts };
    } catch (e) {
      res.settings.iam_roster = {
        read_from: 'IAM GetAccountAuthorizationDetails',
        read_at: at,
        error: `${(e as { name?: string }).name ?? 'Error'}: ${(e as Error).message}`,
      };
      res.warn(
        `the IAM admin roster could not be read (${(e as { name?: string }).name ?? 'Error'}: ${(e as Error).message}): events are marked privileged by their action only; grant iam:GetAccountAuthorizationDetails`,
      );
    } finally {
      iam.destroy();
    }
  }

  /** IAM Identity Center's admin permission sets, from the management account (config sso_roster). */
  async function readSsoRoster(): Promise<void> {
    const region = c.sso_region ?? c.regions?.[0] ?? 'us-east-1';
    const sso = new SSOAdminClient({
      region,
      maxAttempts: 3,
      ...(c.profile ? { profile: c.profile } : {}),
      ...(c.sso_endpoint ? { endpoint: c.sso_endpoint } : {}),
    });
    const at = new Date().toISOString();
    const from = `IAM Identity Center (sso-admin) in ${region}`;
    try {
      const r = await readSsoAdmins(sso, `live:${c.name} ${from}, read ${at}`, c.name);
      res.roster = [...(res.roster ?? []), ...r.entries];
      res.settings.sso_roster = { read_from: from, read_at: at, ...r.facts };
      if (r.facts.not_judged.length)
        res.warn(
          `IAM Identity Center permission sets not judged for the admin roster: ${r.facts.not_judged.map((x) => `${x.permission_set} (${x.why})`).join('; ')}`,
        );
    } catch (e) {
      const why = `${(e as { name?: string }).name ?? 'Error'}: ${(e as Error).message}`;
      res.settings.sso_roster = { read_from: from, read_at: at, error: why };
      res.warn(
        `the IAM Identity Center admin roster could not be read (${why}): SSO administrators are known only where IAM lists their roles; grant sso:ListInstances, sso:ListPermissionSets, sso:DescribePermissionSet, sso:ListManagedPoliciesInPermissionSet, sso:GetInlinePolicyForPermissionSet, sso:ListCustomerManagedPolicyReferencesInPermissionSet, sso:ListAccountsForProvisionedPermissionSet, sso:ListAccountAssignments`,
      );
    } finally {
      sso.destroy();
    }
  }

  /** The trails, their S3 buckets' lifecycle and Object Lock: where the events are kept, how long. */
  async function readRetention(): Promise<void> {
    const region = c.regions?.[0];
    if (!region) return;
    const ct = new CloudTrailClient({
      region,
      ...(c.profile ? { profile: c.profile } : {}),
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    });
    const s3s: S3Client[] = [];
    const s3For = (home: string | null) => {
      const s3 = new S3Client({
        region: home ?? region,
        ...(c.profile ? { profile: c.profile } : {}),
        ...(c.s3_endpoint ? { endpoint: c.s3_endpoint, forcePathStyle: true } : {}),
      });
      s3s.push(s3);
      return s3;
    };
    try {
      const read = await readTrails(ct, s3For);
      res.retention = awsRetention(
        read,
        `CloudTrail DescribeTrails and GetTrailStatus in ${region}, S3 lifecycle and Object Lock of the trail buckets`,
      );
      for (const t of read.trails) {
        if (t.is_logging === false)
          res.warn(
            `trail ${t.name} is not logging (GetTrailStatus IsLogging false): no new copies reach s3://${t.bucket}`,
          );
        if (!t.log_file_validation)
          res.warn(`trail ${t.name} has log file validation off: its S3 copies carry no signed digests`);
        if (t.latest_delivery_error) res.warn(`trail ${t.name}: latest delivery error ${t.latest_delivery_error}`);
      }
    } finally {
      ct.destroy();
      for (const s of s3s) s.destroy();
    }
  }

  return { outcomes: run(), result: () => res.result() };
};
