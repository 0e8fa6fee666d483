// A local HTTP server speaking the AWS JSON 1.1 protocol for CloudTrail LookupEvents
// (X-Amz-Target: CloudTrail_20131101.LookupEvents), with NextToken paging, a ThrottlingException
// page and error pages, so the real @aws-sdk/client-cloudtrail is exercised without AWS; and
// ListPublicKeys (CloudTrail_20131101.ListPublicKeys): the keys whose validity overlaps
// StartTime..EndTime, one per page (NextToken), as the service pages them.
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface CtServerScript {
  /** Each page: CloudTrail records (the JSON that goes into CloudTrailEvent). */
  pages: Array<Array<Record<string, unknown>>>;
  /** Pages (1-based) answered once with ThrottlingException before succeeding. */
  throttleOnPages?: number[];
  /** From this page on, every call fails with `errorType` (HTTP 400). */
  failFromPage?: number;
  errorType?: string;
  /** Public keys for ListPublicKeys: base64 PKCS#1 DER, with validity (epoch seconds) and fingerprint (MD5 hex of the DER). */
  publicKeys?: Array<{ Value: string; ValidityStartTime: number; ValidityEndTime: number; Fingerprint: string }>;
  /** Trails for DescribeTrails (as CloudTrail returns them) with their GetTrailStatus answer; without it those calls fail as unknown operations. */
  trails?: Array<{ trail: Record<string, unknown>; status: Record<string, unknown> }>;
}

export interface CtServer {
  endpoint: string;
  requests: Array<{ target: string; body: Record<string, unknown>; at: number; auth: string }>;
  /** Calls other than LookupEvents (DescribeTrails, GetTrailStatus, unknown operations). */
  otherRequests: Array<{ target: string; body: Record<string, unknown> }>;
  script: CtServerScript;
  stop(): Promise<void>;
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      s += d;
    });
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

export async function startCloudTrail(script: CtServerScript): Promise<CtServer> {
  const requests: CtServer['requests'] = [];
  const otherRequests: CtServer['otherRequests'] = [];
  const throttled = new Set<number>();
  const server: Server = createServer(async (req, res) => {
    const text = await body(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const b = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (target === 'CloudTrail_20131101.LookupEvents')
      requests.push({ target, body: b, at: Date.now(), auth: String(req.headers.authorization ?? '') });
    else otherRequests.push({ target, body: b });
    const send = (status: number, obj: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(obj));
    };
    if (target === 'CloudTrail_20131101.ListPublicKeys') {
      const from = typeof b.StartTime === 'number' ? b.StartTime : -Infinity;
      const to = typeof b.EndTime === 'number' ? b.EndTime : Infinity;
      const keys = (script.publicKeys ?? []).filter((k) => k.ValidityEndTime >= from && k.ValidityStartTime <= to);
      const i = typeof b.NextToken === 'string' ? Number(b.NextToken.replace('key-', '')) : 0;
      send(200, { PublicKeyList: keys.slice(i, i + 1), ...(i + 1 < keys.length ? { NextToken: `key-${i + 1}` } : {}) });
      return;
    }
    if (script.trails && target === 'CloudTrail_20131101.DescribeTrails') {
      send(200, { trailList: script.trails.map((t) => t.trail) });
      return;
    }
    if (script.trails && target === 'CloudTrail_20131101.GetTrailStatus') {
      const t = script.trails.find((x) => x.trail.TrailARN === b.Name || x.trail.Name === b.Name);
      if (!t) {
        send(400, {
          __type: 'com.amazonaws.cloudtrail.v20131101#TrailNotFoundException',
          message: `Unknown trail: ${String(b.Name)}`,
        });
        return;
      }
      send(200, t.status);
      return;
    }
    if (target !== 'CloudTrail_20131101.LookupEvents') {
      send(400, { __type: 'com.amazonaws.cloudtrail.v20131101#UnknownOperationException', message: target });
      return;
    }
    const page = typeof b.NextToken === 'string' ? Number(b.NextToken.replace('tok-', '')) : 1;
    if (script.failFromPage !== undefined && page >= script.failFromPage) {
      send(400, {
        __type: `com.amazonaws.cloudtrail.v20131101#${script.errorType ?? 'InvalidNextTokenException'}`,
        message: `scripted failure on page ${page}`,
      });
      return;
    }
    if (script.throttleOnPages?.includes(page) && !throttled.has(page)) {
      throttled.add(page);
      send(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
      return;
    }
    const events = (script.pages[page - 1] ?? []).map((r) => ({
      EventId: r.eventID,
      EventName: r.eventName,
      ReadOnly: String(r.readOnly ?? false),
      EventTime: Date.parse(String(r.eventTime)) / 1000,
      EventSource: r.eventSource,
      Username: (r.userIdentity as { userName?: string } | undefined)?.userName,
      Resources: [],
      CloudTrailEvent: JSON.stringify(r),
    }));
    send(200, { Events: events, ...(page < script.pages.length ? { NextToken: `tok-${page + 1}` } : {}) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    otherRequests,
    script,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** CloudTrail records as the service writes them (IAM admin actions, a root console login, a denial). */
export function ctRecords(n: number, start = 0, day = '2024-05-02'): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => {
    const k = start + i;
    const base = {
      eventVersion: '1.09',
      eventTime: `${day}T10:00:${String(k % 60).padStart(2, '0')}Z`,
      awsRegion: 'us-east-1',
      sourceIPAddress: '203.0.113.5',
      userAgent: 'aws-cli/2.15.0',
      eventID: `evt-${k}`,
      eventType: 'AwsApiCall',
      recipientAccountId: '111122223333',
      managementEvent: true,
      readOnly: false,
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAEXAMPLE',
        arn: 'arn:aws:iam::111122223333:user/alice',
        accountId: '111122223333',
        userName: 'alice',
      },
    };
    if (k === 0)
      return {
        ...base,
        eventSource: 'iam.amazonaws.com',
        eventName: 'AttachUserPolicy',
        requestParameters: { userName: 'bob', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' },
        responseElements: null,
      };
    if (k === 1)
      return {
        ...base,
        eventSource: 'cloudtrail.amazonaws.com',
        eventName: 'StopLogging',
        requestParameters: { name: 'arn:aws:cloudtrail:us-east-1:111122223333:trail/main' },
        responseElements: null,
      };
    if (k === 2)
      return {
        ...base,
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateUser',
        errorCode: 'AccessDenied',
        errorMessage: 'not authorized',
        requestParameters: { userName: 'mallory' },
        responseElements: null,
      };
    return {
      ...base,
      eventSource: 'iam.amazonaws.com',
      eventName: 'CreateAccessKey',
      requestParameters: { userName: `svc-${k}` },
      responseElements: null,
    };
  });
}

/**
 * CloudTrail's delivery: the record becomes visible to LookupEvents `delayMs` after the call (on the
 * last page), as the service delivers management events minutes later. Returns the timer.
 */
export function deliverLater(ct: CtServer, record: Record<string, unknown>, delayMs: number): NodeJS.Timeout {
  return setTimeout(() => {
    if (ct.script.pages.length === 0) ct.script.pages.push([]);
    ct.script.pages[ct.script.pages.length - 1]!.push(record);
  }, delayMs);
}
