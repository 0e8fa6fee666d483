// Live source `cloudtrail`: CloudTrail LookupEvents for the period, per region, every page
// (NextToken), paced below the API's limit of 2 requests per second per account and region, with
// the standard AWS credential chain (environment, shared config and profiles, SSO, web identity,
// instance roles) or a named profile. ThrottlingException and other transient errors are retried
// with backoff and reported. Each page goes to the cloudtrail adapter as LookupEvents output
// ({"Events": [...]}, each element carrying the full record in CloudTrailEvent), the same mapping
// that reads `aws cloudtrail lookup-events` files.
// API: https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import type { LiveSourceOpener, SourceConfig, SourceRunContext } from '../../collect/source.js';
import type { FormatAdapter, Outcome } from '../../pipeline/types.js';
import { openStream } from '../../pipeline/input.js';
import { normalizeOne, type RunSummary } from '../../pipeline/run.js';
import { catalog, findAdapter } from '../../sources/registry.js';
import { S3Client } from '@aws-sdk/client-s3';
import { IAMClient } from '@aws-sdk/client-iam';
import { readAwsAdmins } from '../../roster/aws-iam.js';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { readSsoAdmins } from '../../roster/aws-sso.js';
import { withRoster } from '../roster.js';
import { awsRetention, readTrails } from '../../retention/aws.js';
import { LiveResult, ProgressLine } from '../progress.js';
import { DEFAULT_RETRY, Pacer, withRetry, type RetryPolicy, awsTransient, RetryCount } from '../pace.js';
import { awsClientSettings, credentialsSetting } from '../aws.js';

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
  const pull = new CloudTrailPull(cfg as unknown as CloudTrailSourceConfig, ctx, summary);
  return { outcomes: pull.run(), result: () => pull.res.result() };
};

/** Counts of one region's pull. */
interface RegionCounts {
  pages: number;
  events: number;
  complete: boolean;
}

/** One pull: settings and rosters first, then each region's pages, then retention and the verdict. */
class CloudTrailPull {
  readonly res = new LiveResult();
  private readonly progress: ProgressLine;
  private readonly rate: number;
  private readonly maxResults: number;
  private readonly policy: RetryPolicy;
  private readonly retries: RetryCount;
  private readonly perRegion: Record<string, RegionCounts> = {};
  private events = 0;
  private pages = 0;

  constructor(
    private readonly c: CloudTrailSourceConfig,
    private readonly ctx: SourceRunContext,
    private readonly summary: RunSummary,
  ) {
    this.progress = new ProgressLine(c.name, ctx.progress);
    this.rate = c.requests_per_second ?? 2;
    this.maxResults = Math.min(50, c.max_results ?? 50);
    this.policy = { ...DEFAULT_RETRY, ...c.retry };
    this.retries = new RetryCount(this.progress, ` (paced to ${this.rate} requests/s)`);
  }

  async *run(): AsyncGenerator<Outcome> {
    const { c, ctx, res } = this;
    const regions = c.regions ?? [];
    if (regions.length === 0) {
      res.fail('regions is empty: name at least one AWS region');
      return;
    }
    this.describe(regions);
    const oldest = Date.now() - RETENTION_DAYS * 86400_000;
    const adapter = findAdapter('cloudtrail');
    if (!adapter) {
      res.fail('the cloudtrail adapter is not registered');
      return;
    }
    await this.readRosters();
    for (const region of regions) {
      this.perRegion[region] = { pages: 0, events: 0, complete: false };
      if (!(yield* this.pullRegion(adapter, region))) break;
    }
    res.settings.pages = this.pages;
    res.settings.events = this.events;
    res.settings.per_region = this.perRegion;
    this.retries.report(res);
    this.progress.update(`done: ${this.events} events, ${this.pages} pages`, true);
    await this.readRetention();
    if (res.failedReason !== null) return;
    if (ctx.since.getTime() < oldest) {
      res.fail(
        `the period starts before the ${RETENTION_DAYS} days LookupEvents keeps: events before ${new Date(oldest).toISOString()} cannot be pulled this way; use the trail's S3 files`,
      );
      return;
    }
    res.position = null;
    res.done();
  }

  /** How the pull reads, and its settings, for the result. */
  private describe(regions: string[]): void {
    const { c, ctx, res } = this;
    res.how = `CloudTrail LookupEvents in ${regions.join(', ')} from ${ctx.since.toISOString()} to ${ctx.until.toISOString()}, ${this.maxResults} events per page, every page (NextToken), paced to ${this.rate} requests/s per region`;
    res.settings = {
      regions,
      credentials: credentialsSetting(c.profile),
      requests_per_second: this.rate,
      max_results: this.maxResults,
      ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    };
    res.warn(
      "LookupEvents returns management events only: data events (S3 object reads, Lambda invokes) need the trail's S3 files (a file source)",
    );
  }

  /**
   * The IAM (and, when asked, Identity Center) admin rosters. With the CloudTrail endpoint
   * overridden (a private or test endpoint), each is read only from its own endpoint given too:
   * never from the public endpoint behind the user's back.
   */
  private async readRosters(): Promise<void> {
    const { c, res } = this;
    if (c.iam_roster === false) res.settings.iam_roster = { read: false, why: 'iam_roster: false in the config' };
    else if (c.endpoint && !c.iam_endpoint)
      res.settings.iam_roster = { read: false, why: 'endpoint is overridden and iam_endpoint is not set' };
    else await this.readIamRoster();
    if (c.sso_roster === true) {
      if (c.endpoint && !c.sso_endpoint)
        res.settings.sso_roster = { read: false, why: 'endpoint is overridden and sso_endpoint is not set' };
      else await this.readSsoRoster();
    }
  }

  /** One region's events, every page, through the cloudtrail adapter. False when the pull must stop. */
  private async *pullRegion(adapter: FormatAdapter, region: string): AsyncGenerator<Outcome, boolean> {
    const { c, ctx, res } = this;
    const client = new CloudTrailClient(awsClientSettings(region, c.profile, c.endpoint, { maxAttempts: 1 }));
    const pages = { failed: false };
    try {
      const input = await openStream(`${c.name}:${region}:LookupEvents`, this.pageStream(client, region, pages));
      for await (const o of normalizeOne(
        adapter,
        input,
        { adapters: catalog, format: 'cloudtrail', options: { instance: c.name }, since: ctx.since, until: ctx.until },
        this.summary,
      )) {
        res.count(o);
        yield withRoster(o, res.roster);
        if (ctx.signal?.aborted) {
          res.fail('the pull was interrupted');
          return false;
        }
      }
    } catch (e) {
      res.fail(`CloudTrail pull failed in ${region}: ${(e as Error).message}`);
      return false;
    } finally {
      client.destroy();
    }
    return !pages.failed;
  }

  /** The region's pages as LookupEvents output, one JSON line each; a failed page is said in the result and ends it. */
  private async *pageStream(
    client: CloudTrailClient,
    region: string,
    state: { failed: boolean },
  ): AsyncGenerator<Buffer> {
    const { res } = this;
    const counts = this.perRegion[region]!;
    const pacer = new Pacer(this.rate);
    let token: string | undefined;
    for (let page = 1; ; page++) {
      res.position = `region ${region}, page ${page}${token ? ` (NextToken ${token.length > 40 ? token.slice(0, 40) + '…' : token})` : ''}`;
      let out: LookupEventsCommandOutput;
      try {
        out = await this.lookup(client, pacer, token, `${region} page ${page}`);
      } catch (e) {
        const err = e as Error & { name?: string };
        res.fail(
          `CloudTrail LookupEvents failed in ${region} on page ${page} after ${counts.events} events${err.name && err.name !== 'Error' ? ` (${err.name})` : ''}: ${err.message}`,
        );
        state.failed = true;
        return;
      }
      res.touched = true;
      this.pages++;
      counts.pages++;
      const evs = out.Events ?? [];
      this.events += evs.length;
      counts.events += evs.length;
      this.progress.update(
        `${region}: ${this.events} events, ${this.pages} pages so far (paced to ${this.rate} requests/s)`,
      );
      if (evs.length) yield Buffer.from(JSON.stringify({ Events: evs }) + '\n');
      token = out.NextToken || undefined;
      if (!token) {
        counts.complete = true;
        return;
      }
    }
  }

  /** One LookupEvents request, paced, transient errors retried. */
  private lookup(
    client: CloudTrailClient,
    pacer: Pacer,
    token: string | undefined,
    where: string,
  ): Promise<LookupEventsCommandOutput> {
    const { ctx } = this;
    return withRetry(
      async () => {
        await pacer.wait(ctx.signal);
        return client.send(
          new LookupEventsCommand({
            StartTime: ctx.since,
            EndTime: ctx.until,
            MaxResults: this.maxResults,
            NextToken: token,
          }),
          { abortSignal: ctx.signal as never },
        );
      },
      transient,
      this.retries.on(where),
      this.policy,
      ctx.signal,
    );
  }

  /** Who the account's administrators are, from IAM itself: known before the first event. */
  private async readIamRoster(): Promise<void> {
    const { c, res } = this;
    const iam = new IAMClient(awsClientSettings('us-east-1', c.profile, c.iam_endpoint));
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
  private async readSsoRoster(): Promise<void> {
    const { c, res } = this;
    const region = c.sso_region ?? c.regions?.[0] ?? 'us-east-1';
    const sso = new SSOAdminClient(awsClientSettings(region, c.profile, c.sso_endpoint, { maxAttempts: 3 }));
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
  private async readRetention(): Promise<void> {
    const { c, res } = this;
    const region = c.regions?.[0];
    if (!region) return;
    const ct = new CloudTrailClient(awsClientSettings(region, c.profile, c.endpoint));
    const s3s: S3Client[] = [];
    const s3For = (home: string | null) => {
      const s3 = new S3Client(awsClientSettings(home ?? region, c.profile, c.s3_endpoint, { pathStyle: true }));
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
}
