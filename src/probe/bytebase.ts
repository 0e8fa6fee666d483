// The Bytebase probe: through the v1 REST API, one harmless call per category that Bytebase audits
// (methods with the `(bytebase.v1.audit) = true` option; its audit interceptor writes an audit_log
// row for each, success or failure), each naming the nonce where the call has room for it:
//   authentication     AuthService/Login as the probe account (probe.user, password from
//                      probe.password_env); the session token it returns makes the calls below, so
//                      they are the probe account's. Login has no field for a nonce: its row is
//                      matched by account, method and time.
//   permission_change  RoleService/CreateRole roles/aeprobe<nonce> (one harmless permission,
//                      bb.roles.get, bound to nobody), then RoleService/DeleteRole
//   policy_change      ReviewConfigService/CreateReviewConfig reviewConfigs/aeprobe<nonce>
//                      (disabled, no rules, attached to nothing), then DeleteReviewConfig
//   data_exposure      AuditLogService/ExportAuditLogs with a filter naming a user that cannot
//                      exist (users/aeprobe<nonce>@probe.invalid): an audited export of nothing
// Not probed, and said so: a failed login (Bytebase writes no row for a sign-in it cannot tie to a
// workspace, and failed sign-ins of a real account count towards its lockout); access requests
// (a grant-request issue notifies its approvers and can only be closed, not deleted); change
// execution (plans, rollouts and admin-mode SQL act on a database the probe did not create).
// Roles and review configs named aeprobe<hex> left by a run that stopped halfway are deleted at the
// start. Bytebase ids allow only letters and digits: hence aeprobe<nonce>, not ae_probe_<nonce>.
import type { AuditEvent } from '../event/types.generated.js';
import type { BytebaseSourceConfig } from '../live/bytebase/index.js';
import { Scrubber } from '../live/secrets.js';
import type { PlannedProbe, ProbeConfig } from './types.js';
import type { PlanRun } from './postgres.js';

export const BYTEBASE_PROBE_PREFIX = 'aeprobe';
const LEFTOVER = /^(roles|reviewConfigs)\/aeprobe[0-9a-f]{8,32}$/;

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Matches an event of `method` by the probe account at or after `at` (allowing for clock skew). */
const byAccount =
  (method: string, user: string | null, at: Date, skewMs = 120_000) =>
  (e: AuditEvent) =>
    e.action.source_name === `/bytebase.v1.${method}` &&
    e.outcome === 'success' &&
    (!user || e.user.name === user) &&
    !!e.timestamp &&
    Date.parse(e.timestamp) >= at.getTime() - skewMs;

export async function probeBytebase(
  src: BytebaseSourceConfig,
  probe: ProbeConfig,
  nonce: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PlanRun> {
  const base = (probe.url ?? src.url)?.replace(/\/+$/, '');
  if (!base)
    throw new Error(
      'the probe acts through the Bytebase API: give probe.url (the source reads the metadata database, which the probe never writes)',
    );
  const b = new BytebaseProbe(base, src, nonce);
  // Authentication: the probe account signs in; its session makes every later call.
  const password = probe.password_env ? env[probe.password_env] : undefined;
  if (probe.password_env && !password)
    throw new Error(`environment variable ${probe.password_env} (probe.password_env) is not set`);
  if (password) await b.signIn(probe, password);
  else b.useToken(probe, src, env);
  b.planned.push({
    category: 'authentication',
    name: 'failed login',
    action: null,
    performed_at: null,
    matches: () => false,
    likely_setting: '',
    notProbed:
      'Bytebase writes no audit row for a failed sign-in it cannot tie to a workspace, and failed sign-ins of a real account count towards its lockout',
  });
  await b.removeLeftovers();
  await b.roleProbe();
  await b.reviewConfigProbe();
  await b.exportProbe(password ? (probe.user ?? null) : null);
  b.planned.push({
    category: 'access_request',
    name: 'access request',
    action: null,
    performed_at: null,
    matches: () => false,
    likely_setting: '',
    notProbed:
      'a grant-request issue notifies its approvers and cannot be deleted, only closed: no harmless audited call',
  });
  b.planned.push({
    category: 'change_execution',
    name: 'change execution',
    action: null,
    performed_at: null,
    matches: () => false,
    likely_setting: '',
    notProbed:
      'plans, rollouts and admin-mode SQL act on a database the probe did not create: no harmless audited call',
  });
  if (password && b.token) {
    // End the probe's session (Logout is audited too; not looked for).
    await b.call('POST', '/v1/auth/logout', {}).catch(() => undefined);
  }
  const { planned, dropped, leftovers, errors } = b;
  return { planned, dropped, leftovers, errors };
}

/** One probe run against a Bytebase server: its session, what it did and what it found. */
class BytebaseProbe implements PlanRun {
  readonly planned: PlannedProbe[] = [];
  readonly dropped: string[] = [];
  readonly leftovers: string[] = [];
  readonly errors: string[] = [];
  /** The password and token, scrubbed from every message. */
  private readonly secrets: string[] = [];
  private readonly timeout: number;
  /** aeprobe<nonce>: the role and review config the run creates. */
  private readonly id: string;
  /** Why no probe row can be found when the source reads only some projects (workspace calls are logged elsewhere). */
  private readonly workspaceScoped: string | null;
  token: string | undefined;

  constructor(
    private readonly base: string,
    private readonly src: BytebaseSourceConfig,
    private readonly nonce: string,
  ) {
    this.id = `${BYTEBASE_PROBE_PREFIX}${nonce}`;
    this.timeout = (src.request_timeout ?? 60) * 1000;
    this.workspaceScoped = src.projects?.length
      ? `the source reads only ${src.projects.join(', ')}: workspace-level calls are logged under workspaces/<id>, which a project search does not return (drop projects, or read the workspace)`
      : null;
  }

  scrub(m: string): string {
    return new Scrubber(this.secrets).scrub(m);
  }

  async call(method: string, path: string, body?: unknown, auth = true): Promise<Record<string, unknown>> {
    const r = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(auth ? { authorization: `Bearer ${this.token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(this.timeout),
    });
    const text = await r.text();
    if (!r.ok) {
      let msg = text.slice(0, 200);
      try {
        const j = JSON.parse(text) as { message?: string };
        if (j.message) msg = j.message;
      } catch {
        /* not JSON */
      }
      throw new ApiError(r.status, `HTTP ${r.status}: ${msg}`);
    }
    try {
      return text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  /** Signs in as the probe account (the login is the authentication probe). */
  async signIn(probe: ProbeConfig, password: string): Promise<void> {
    const loginAt = new Date();
    this.secrets.push(password);
    try {
      const r = await this.call('POST', '/v1/auth/login', { email: probe.user, password, web: false }, false);
      this.token = typeof r.token === 'string' && r.token ? r.token : undefined;
      if (!this.token) throw new Error('the login answered without a token (is MFA required for the probe account?)');
      this.secrets.push(this.token);
    } catch (e) {
      throw new Error(
        this.scrub(`the probe could not sign in to ${this.base} as ${probe.user}: ${(e as Error).message}`),
      );
    }
    this.planned.push({
      category: 'authentication',
      name: 'login',
      action: `AuthService/Login as ${probe.user} (Login has no field for a nonce: matched by account and time)`,
      performed_at: loginAt,
      matches: byAccount('AuthService/Login', probe.user ?? null, loginAt),
      likely_setting:
        this.workspaceScoped ??
        'AuthService/Login is not audited on this server, or the audit log is not kept by this Bytebase plan',
    });
  }

  /** Without a password: the token from the environment, and no login probe. */
  useToken(probe: ProbeConfig, src: BytebaseSourceConfig, env: NodeJS.ProcessEnv): void {
    const envName = probe.token_env ?? src.token_env;
    this.token = envName ? env[envName] : undefined;
    if (!this.token)
      throw new Error(
        `the probe needs the probe account's password (probe.password_env) or a token (probe.token_env or the source's token_env${envName ? `: ${envName} is not set` : ''})`,
      );
    this.secrets.push(this.token);
    this.planned.push({
      category: 'authentication',
      name: 'login',
      action: null,
      performed_at: null,
      notProbed: 'no probe.password_env: the probe used a token and did not sign in',
      matches: () => false,
      likely_setting: '',
    });
  }

  /** Performs one probe of a category (a failure is recorded with the probe). */
  private async step(
    category: PlannedProbe['category'],
    name: string,
    action: string,
    matches: (e: AuditEvent) => boolean,
    likely: string,
    run: () => Promise<void>,
  ): Promise<void> {
    const at = new Date();
    try {
      await run();
      this.planned.push({
        category,
        name,
        action,
        performed_at: at,
        matches,
        likely_setting: this.workspaceScoped ?? likely,
      });
    } catch (e) {
      this.planned.push({
        category,
        name,
        action,
        performed_at: at,
        error: this.scrub((e as Error).message),
        matches,
        likely_setting: likely,
      });
    }
  }

  private hasNonce(cat: string): (e: AuditEvent) => boolean {
    return (e) => e.category === cat && JSON.stringify(e).includes(this.id);
  }

  /** Leftovers of a run that stopped halfway: only objects named exactly like ours. */
  async removeLeftovers(): Promise<void> {
    for (const [kind, list] of [
      ['roles', '/v1/roles'],
      ['reviewConfigs', '/v1/reviewConfigs'],
    ] as const) {
      try {
        const r = await this.call('GET', list);
        for (const o of (r[kind] as Array<{ name?: string }> | undefined) ?? []) {
          if (!o.name || !LEFTOVER.test(o.name) || o.name === `${kind}/${this.id}`) continue;
          try {
            await this.call('DELETE', `/v1/${o.name}`);
            this.leftovers.push(o.name);
          } catch (e) {
            this.errors.push(this.scrub(`could not delete leftover ${o.name}: ${(e as Error).message}`));
          }
        }
      } catch (e) {
        this.errors.push(this.scrub(`could not list ${kind} to remove leftovers: ${(e as Error).message}`));
      }
    }
  }

  /** permission_change: a custom role created and deleted. */
  async roleProbe(): Promise<void> {
    const { id, nonce } = this;
    await this.step(
      'permission_change',
      'custom role created and deleted',
      `RoleService/CreateRole roles/${id} (permission bb.roles.get, bound to nobody), then DeleteRole`,
      this.hasNonce('permission_change'),
      'RoleService is not audited on this server, or the audit log is not kept by this Bytebase plan',
      async () => {
        await this.call('POST', `/v1/roles?roleId=${id}`, {
          title: `audit-evidence probe ${nonce}`,
          description: 'Created and deleted by audit-evidence probe; bound to nobody.',
          permissions: ['bb.roles.get'],
        });
        try {
          await this.call('DELETE', `/v1/roles/${id}`);
          this.dropped.push(`roles/${id}`);
        } catch (e) {
          this.errors.push(this.scrub(`could not delete roles/${id}: ${(e as Error).message}`));
        }
      },
    );
  }

  /** policy_change: a SQL review config created and deleted. */
  async reviewConfigProbe(): Promise<void> {
    const { id, nonce } = this;
    await this.step(
      'policy_change',
      'SQL review config created and deleted',
      `ReviewConfigService/CreateReviewConfig reviewConfigs/${id} (disabled, no rules, attached to nothing), then DeleteReviewConfig`,
      this.hasNonce('policy_change'),
      'ReviewConfigService is not audited on this server, or the audit log is not kept by this Bytebase plan',
      async () => {
        const r = await this.call('POST', '/v1/reviewConfigs', {
          name: `reviewConfigs/${id}`,
          title: `audit-evidence probe ${nonce}`,
          enabled: false,
          rules: [],
          resources: [],
        });
        const made = typeof r.name === 'string' && r.name ? r.name : `reviewConfigs/${id}`;
        try {
          await this.call('DELETE', `/v1/${made}`);
          this.dropped.push(made);
        } catch (e) {
          this.errors.push(this.scrub(`could not delete ${made}: ${(e as Error).message}`));
        }
      },
    );
  }

  /** data_exposure: an audit log export of nothing (a filter naming a user that cannot exist); `me` is the signed-in account. */
  async exportProbe(me: string | null): Promise<void> {
    const { src } = this;
    const exportUser = `users/${this.id}@probe.invalid`;
    const parent = src.projects?.length
      ? src.projects[0]!.startsWith('projects/')
        ? src.projects[0]!
        : `projects/${src.projects[0]}`
      : null;
    let exportAt = new Date();
    await this.step(
      'data_exposure',
      'audit log export',
      `AuditLogService/ExportAuditLogs${parent ? ` on ${parent}` : ''} with filter user == "${exportUser}" (exports nothing)`,
      (e) => byAccount('AuditLogService/ExportAuditLogs', me, exportAt)(e) && e.category === 'data_exposure',
      'AuditLogService/ExportAuditLogs is not audited on this server, or the audit log is not kept by this Bytebase plan',
      async () => {
        exportAt = new Date();
        await this.call('POST', `/v1/${parent ? `${parent}/` : ''}auditLogs:export`, {
          ...(parent ? { parent } : {}),
          filter: `user == "${exportUser}"`,
          format: 'JSON',
          pageSize: 1,
        });
      },
    );
  }
}
