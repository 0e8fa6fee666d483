// A local server speaking IAM's query API (POST form-encoded Action=...&Version=2010-05-08, XML
// answers in the 2010-05-08 namespace) for GetAccountAuthorizationDetails with Marker paging
// (MaxItems honoured), so the real @aws-sdk/client-iam reads an account authorization document;
// and the role calls of the logging probe (GetRole, ListRoleTags, ListRolePolicies, TagRole,
// UntagRole, PutRolePolicy, DeleteRolePolicy) on the account's roles, each write handed to
// `onWrite` as the CloudTrail record IAM would produce for it (eventSource iam.amazonaws.com,
// awsRegion us-east-1, requestParameters as CloudTrail spells them).
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';

export interface IamUser {
  UserName: string;
  UserId: string;
  Arn: string;
  GroupList?: string[];
  AttachedManagedPolicies?: Array<{ PolicyName: string; PolicyArn: string }>;
  UserPolicyList?: Array<{ PolicyName: string; PolicyDocument: unknown }>;
}
export interface IamRole {
  RoleName: string;
  RoleId: string;
  Arn: string;
  Tags?: Array<{ Key: string; Value: string }>;
  AttachedManagedPolicies?: Array<{ PolicyName: string; PolicyArn: string }>;
  RolePolicyList?: Array<{ PolicyName: string; PolicyDocument: unknown }>;
}
export interface IamGroup {
  GroupName: string;
  GroupId: string;
  Arn: string;
  AttachedManagedPolicies?: Array<{ PolicyName: string; PolicyArn: string }>;
  GroupPolicyList?: Array<{ PolicyName: string; PolicyDocument: unknown }>;
}
export interface IamPolicy {
  PolicyName: string;
  PolicyId: string;
  Arn: string;
  Document: unknown;
}
export interface IamAccount {
  users: IamUser[];
  roles: IamRole[];
  groups: IamGroup[];
  policies: IamPolicy[];
  pageSize?: number;
  denied?: boolean;
}

export interface IamServer {
  endpoint: string;
  requests: Array<Record<string, string>>;
  stop(): Promise<void>;
}

const esc = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const tag = (n: string, v: string) => `<${n}>${v}</${n}>`;
// IAM returns policy documents URL-encoded.
const doc = (d: unknown) => esc(encodeURIComponent(typeof d === 'string' ? d : JSON.stringify(d)));
const members = (list: string[]) => list.map((x) => tag('member', x)).join('');
const attached = (l?: Array<{ PolicyName: string; PolicyArn: string }>) =>
  tag(
    'AttachedManagedPolicies',
    members((l ?? []).map((a) => tag('PolicyName', esc(a.PolicyName)) + tag('PolicyArn', esc(a.PolicyArn)))),
  );
const inline = (name: string, l?: Array<{ PolicyName: string; PolicyDocument: unknown }>) =>
  tag(
    name,
    members((l ?? []).map((p) => tag('PolicyName', esc(p.PolicyName)) + tag('PolicyDocument', doc(p.PolicyDocument)))),
  );
const created = tag('CreateDate', '2024-01-01T00:00:00Z') + tag('Path', '/');

function item(kind: string, x: IamUser | IamRole | IamGroup | IamPolicy): string {
  if (kind === 'user') {
    const u = x as IamUser;
    return tag(
      'member',
      tag('UserName', esc(u.UserName)) +
        tag('UserId', u.UserId) +
        tag('Arn', esc(u.Arn)) +
        created +
        tag('GroupList', members((u.GroupList ?? []).map(esc))) +
        attached(u.AttachedManagedPolicies) +
        inline('UserPolicyList', u.UserPolicyList),
    );
  }
  if (kind === 'role') {
    const r = x as IamRole;
    return tag(
      'member',
      tag('RoleName', esc(r.RoleName)) +
        tag('RoleId', r.RoleId) +
        tag('Arn', esc(r.Arn)) +
        created +
        tag('AssumeRolePolicyDocument', doc({ Version: '2012-10-17', Statement: [] })) +
        attached(r.AttachedManagedPolicies) +
        inline('RolePolicyList', r.RolePolicyList),
    );
  }
  if (kind === 'group') {
    const g = x as IamGroup;
    return tag(
      'member',
      tag('GroupName', esc(g.GroupName)) +
        tag('GroupId', g.GroupId) +
        tag('Arn', esc(g.Arn)) +
        created +
        attached(g.AttachedManagedPolicies) +
        inline('GroupPolicyList', g.GroupPolicyList),
    );
  }
  const p = x as IamPolicy;
  return tag(
    'member',
    tag('PolicyName', esc(p.PolicyName)) +
      tag('PolicyId', p.PolicyId) +
      tag('Arn', esc(p.Arn)) +
      created +
      tag('DefaultVersionId', 'v1') +
      tag('IsAttachable', 'true') +
      tag(
        'PolicyVersionList',
        tag(
          'member',
          tag('Document', doc(p.Document)) +
            tag('VersionId', 'v1') +
            tag('IsDefaultVersion', 'true') +
            tag('CreateDate', '2024-01-01T00:00:00Z'),
        ),
      ),
  );
}

export interface IamOptions {
  /** Called with the CloudTrail record of each successful write (TagRole, UntagRole, PutRolePolicy, DeleteRolePolicy). */
  onWrite?: (record: Record<string, unknown>) => void;
}

const ROLE_ACTIONS = new Set([
  'GetRole',
  'ListRoleTags',
  'ListRolePolicies',
  'TagRole',
  'UntagRole',
  'PutRolePolicy',
  'DeleteRolePolicy',
]);
const list = (q: Record<string, string>, prefix: string) =>
  Object.keys(q)
    .filter((k) => k.startsWith(prefix))
    .sort((a, b) => Number(a.slice(prefix.length).split('.')[0]) - Number(b.slice(prefix.length).split('.')[0]));

export async function startIam(account: IamAccount, opts: IamOptions = {}): Promise<IamServer> {
  const requests: IamServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const q = Object.fromEntries(new URLSearchParams(body));
      requests.push(q);
      const send = (status: number, xml: string) => {
        res.writeHead(status, { 'content-type': 'text/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
      };
      const error = (status: number, code: string, message: string) =>
        send(
          status,
          `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>req-err</RequestId></ErrorResponse>`,
        );
      if (ROLE_ACTIONS.has(q.Action ?? '')) {
        const a = q.Action!;
        const role = account.roles.find((r) => r.RoleName === q.RoleName);
        const ok = (result: string) =>
          send(
            200,
            `<${a}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/">${result ? `<${a}Result>${result}</${a}Result>` : ''}<ResponseMetadata><RequestId>req-${requests.length}</RequestId></ResponseMetadata></${a}Response>`,
          );
        if (!role) {
          error(404, 'NoSuchEntity', `The role with name ${q.RoleName} cannot be found.`);
          return;
        }
        const trail = (requestParameters: Record<string, unknown>) =>
          opts.onWrite?.({
            eventVersion: '1.09',
            eventTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            eventSource: 'iam.amazonaws.com',
            eventName: a,
            awsRegion: 'us-east-1',
            sourceIPAddress: '198.51.100.7',
            userAgent: String(req.headers['user-agent'] ?? ''),
            requestParameters,
            responseElements: null,
            userIdentity: {
              type: 'IAMUser',
              principalId: 'AIDAPROBER',
              arn: 'arn:aws:iam::111122223333:user/ae-prober',
              accountId: '111122223333',
              accessKeyId: 'AKIDTESTONLY',
              userName: 'ae-prober',
            },
            requestID: `req-${requests.length}`,
            eventID: randomUUID(),
            readOnly: false,
            eventType: 'AwsApiCall',
            managementEvent: true,
            recipientAccountId: '111122223333',
            eventCategory: 'Management',
          });
        role.Tags ??= [];
        role.RolePolicyList ??= [];
        if (a === 'GetRole') {
          ok(
            tag(
              'Role',
              tag('RoleName', esc(role.RoleName)) + tag('RoleId', role.RoleId) + tag('Arn', esc(role.Arn)) + created,
            ),
          );
          return;
        }
        if (a === 'ListRoleTags') {
          ok(
            tag('Tags', members(role.Tags.map((t) => tag('Key', esc(t.Key)) + tag('Value', esc(t.Value))))) +
              tag('IsTruncated', 'false'),
          );
          return;
        }
        if (a === 'ListRolePolicies') {
          ok(
            tag('PolicyNames', members(role.RolePolicyList.map((p) => esc(p.PolicyName)))) +
              tag('IsTruncated', 'false'),
          );
          return;
        }
        if (a === 'TagRole') {
          const tags = list(q, 'Tags.member.')
            .filter((k) => k.endsWith('.Key'))
            .map((k) => ({ Key: q[k]!, Value: q[k.replace(/Key$/, 'Value')] ?? '' }));
          for (const t of tags) {
            role.Tags = role.Tags.filter((x) => x.Key !== t.Key);
            role.Tags.push(t);
          }
          trail({ roleName: role.RoleName, tags: tags.map((t) => ({ key: t.Key, value: t.Value })) });
          ok('');
          return;
        }
        if (a === 'UntagRole') {
          const keys = list(q, 'TagKeys.member.').map((k) => q[k]!);
          role.Tags = role.Tags.filter((t) => !keys.includes(t.Key));
          trail({ roleName: role.RoleName, tagKeys: keys });
          ok('');
          return;
        }
        if (a === 'PutRolePolicy') {
          role.RolePolicyList = role.RolePolicyList.filter((p) => p.PolicyName !== q.PolicyName);
          role.RolePolicyList.push({ PolicyName: q.PolicyName!, PolicyDocument: q.PolicyDocument });
          trail({ roleName: role.RoleName, policyName: q.PolicyName, policyDocument: q.PolicyDocument });
          ok('');
          return;
        }
        if (!role.RolePolicyList.some((p) => p.PolicyName === q.PolicyName)) {
          error(404, 'NoSuchEntity', `The role policy with name ${q.PolicyName} cannot be found.`);
          return;
        }
        role.RolePolicyList = role.RolePolicyList.filter((p) => p.PolicyName !== q.PolicyName);
        trail({ roleName: role.RoleName, policyName: q.PolicyName });
        ok('');
        return;
      }
      if (q.Action !== 'GetAccountAuthorizationDetails') {
        error(400, 'InvalidAction', `Could not find operation ${q.Action}`);
        return;
      }
      if (account.denied) {
        error(403, 'AccessDenied', 'User is not authorized to perform: iam:GetAccountAuthorizationDetails');
        return;
      }
      const filters = Object.entries(q)
        .filter(([k]) => k.startsWith('Filter.member.'))
        .map(([, v]) => v);
      const all: Array<[string, IamUser | IamRole | IamGroup | IamPolicy]> = [
        ...(!filters.length || filters.includes('User')
          ? account.users.map((u) => ['user', u] as [string, IamUser])
          : []),
        ...(!filters.length || filters.includes('Group')
          ? account.groups.map((g) => ['group', g] as [string, IamGroup])
          : []),
        ...(!filters.length || filters.includes('Role')
          ? account.roles.map((r) => ['role', r] as [string, IamRole])
          : []),
        ...(!filters.length || filters.includes('LocalManagedPolicy')
          ? account.policies.map((p) => ['policy', p] as [string, IamPolicy])
          : []),
      ];
      const start = q.Marker ? Number(q.Marker.replace('m', '')) : 0;
      const size = Number(q.MaxItems ?? account.pageSize ?? 100);
      const page = all.slice(start, start + size);
      const more = start + size < all.length;
      const of = (k: string) =>
        page
          .filter(([kind]) => kind === k)
          .map(([kind, x]) => item(kind, x))
          .join('');
      send(
        200,
        `<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetAccountAuthorizationDetailsResult>` +
          tag('IsTruncated', String(more)) +
          (more ? tag('Marker', `m${start + size}`) : '') +
          tag('UserDetailList', of('user')) +
          tag('GroupDetailList', of('group')) +
          tag('RoleDetailList', of('role')) +
          tag('Policies', of('policy')) +
          `</GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>req-${requests.length}</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
