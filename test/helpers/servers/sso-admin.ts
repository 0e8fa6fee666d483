// A local server speaking AWS JSON 1.1 for IAM Identity Center's admin API (X-Amz-Target:
// SWBExternalService.<Operation>, as @aws-sdk/client-sso-admin sends it): ListInstances,
// ListPermissionSets, DescribePermissionSet, ListManagedPoliciesInPermissionSet,
// GetInlinePolicyForPermissionSet, ListCustomerManagedPolicyReferencesInPermissionSet,
// ListAccountsForProvisionedPermissionSet and ListAccountAssignments, every list paged with
// NextToken/MaxResults (pageSize, default 1, so the client's paging is exercised), errors as AWS
// JSON errors (__type + message). `denied` answers every call with AccessDeniedException.
import { createServer, type Server } from 'node:http';

export interface SsoPermissionSet {
  name: string;
  arn?: string;
  managed?: Array<{ Name: string; Arn: string }>;
  inline?: unknown;
  customerManaged?: Array<{ Name: string; Path?: string }>;
  /** account id → assignments */
  assignments?: Record<string, Array<{ PrincipalType: 'USER' | 'GROUP'; PrincipalId: string }>>;
}

export interface SsoDirectory {
  instanceArn?: string;
  identityStoreId?: string;
  permissionSets: SsoPermissionSet[];
  pageSize?: number;
  denied?: boolean;
}

export interface SsoServer {
  endpoint: string;
  requests: Array<{ target: string; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export async function startSsoAdmin(dir: SsoDirectory): Promise<SsoServer> {
  const instanceArn = dir.instanceArn ?? 'arn:aws:sso:::instance/ssoins-0123456789abcdef';
  const psArn = (p: SsoPermissionSet, i: number) =>
    p.arn ?? `arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-${String(i).padStart(16, '0')}`;
  const requests: SsoServer['requests'] = [];
  const size = dir.pageSize ?? 1;
  const page = <T>(all: T[], body: Record<string, unknown>): { items: T[]; next?: string } => {
    const start = body.NextToken ? Number(String(body.NextToken).slice(1)) : 0;
    const n = Math.min(size, Number(body.MaxResults ?? size));
    const items = all.slice(start, start + n);
    return start + n < all.length ? { items, next: `t${start + n}` } : { items };
  };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      text += d;
    });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.replace(/^SWBExternalService\./, '');
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        /* answered below */
      }
      requests.push({ target, body });
      const send = (status: number, doc: unknown) => {
        res.writeHead(status, {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-requestid': `req-${requests.length}`,
        });
        res.end(JSON.stringify(doc));
      };
      const error = (status: number, type: string, message: string) => send(status, { __type: type, message });
      if (!target.startsWith('SWBExternalService.')) {
        error(400, 'UnknownOperationException', `unknown target ${target}`);
        return;
      }
      if (dir.denied) {
        error(400, 'AccessDeniedException', `User is not authorized to perform: sso:${op}`);
        return;
      }
      const find = () => {
        const i = dir.permissionSets.findIndex((p, k) => psArn(p, k) === body.PermissionSetArn);
        return i < 0 ? null : { p: dir.permissionSets[i]!, i };
      };
      const needInstance = () => {
        if (body.InstanceArn !== instanceArn) {
          error(400, 'ResourceNotFoundException', `instance ${String(body.InstanceArn)} not found`);
          return false;
        }
        return true;
      };
      switch (op) {
        case 'ListInstances': {
          const pg = page(
            [
              {
                InstanceArn: instanceArn,
                IdentityStoreId: dir.identityStoreId ?? 'd-0123456789',
                Name: 'org',
                Status: 'ACTIVE',
              },
            ],
            body,
          );
          send(200, { Instances: pg.items, ...(pg.next ? { NextToken: pg.next } : {}) });
          return;
        }
        case 'ListPermissionSets': {
          if (!needInstance()) return;
          const pg = page(
            dir.permissionSets.map((p, i) => psArn(p, i)),
            body,
          );
          send(200, { PermissionSets: pg.items, ...(pg.next ? { NextToken: pg.next } : {}) });
          return;
        }
        case 'DescribePermissionSet': {
          if (!needInstance()) return;
          const f = find();
          if (!f) {
            error(400, 'ResourceNotFoundException', 'permission set not found');
            return;
          }
          send(200, {
            PermissionSet: {
              Name: f.p.name,
              PermissionSetArn: psArn(f.p, f.i),
              CreatedDate: 1704067200,
              SessionDuration: 'PT1H',
            },
          });
          return;
        }
        case 'ListManagedPoliciesInPermissionSet': {
          if (!needInstance()) return;
          const f = find();
          if (!f) {
            error(400, 'ResourceNotFoundException', 'permission set not found');
            return;
          }
          const pg = page(f.p.managed ?? [], body);
          send(200, { AttachedManagedPolicies: pg.items, ...(pg.next ? { NextToken: pg.next } : {}) });
          return;
        }
        case 'ListCustomerManagedPolicyReferencesInPermissionSet': {
          if (!needInstance()) return;
          const f = find();
          if (!f) {
            error(400, 'ResourceNotFoundException', 'permission set not found');
            return;
          }
          const pg = page(f.p.customerManaged ?? [], body);
          send(200, { CustomerManagedPolicyReferences: pg.items, ...(pg.next ? { NextToken: pg.next } : {}) });
          return;
        }
        case 'GetInlinePolicyForPermissionSet': {
          if (!needInstance()) return;
          const f = find();
          if (!f) {
            error(400, 'ResourceNotFoundException', 'permission set not found');
            return;
          }
          send(
            200,
            f.p.inline === undefined
              ? {}
              : { InlinePolicy: typeof f.p.inline === 'string' ? f.p.inline : JSON.stringify(f.p.inline) },
          );
          return;
        }
        case 'ListAccountsForProvisionedPermissionSet': {
          if (!needInstance()) return;
          const f = find();
          if (!f) {
            error(400, 'ResourceNotFoundException', 'permission set not found');
            return;
          }
          const pg = page(Object.keys(f.p.assignments ?? {}), body);
          send(200, { AccountIds: pg.items, ...(pg.next ? { NextToken: pg.next } : {}) });
          return;
        }
        case 'ListAccountAssignments': {
          if (!needInstance()) return;
          const f = find();
          if (!f) {
            error(400, 'ResourceNotFoundException', 'permission set not found');
            return;
          }
          const list = (f.p.assignments?.[String(body.AccountId)] ?? []).map((a) => ({
            AccountId: body.AccountId,
            PermissionSetArn: body.PermissionSetArn,
            ...a,
          }));
          const pg = page(list, body);
          send(200, { AccountAssignments: pg.items, ...(pg.next ? { NextToken: pg.next } : {}) });
          return;
        }
        default:
          error(400, 'UnknownOperationException', `operation ${op} is not served by this test server`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return {
    endpoint: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
