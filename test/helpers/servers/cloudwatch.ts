// A local HTTP server for the cloudwatch-logs live source, speaking two AWS wire protocols on one
// port so that the real SDK clients are exercised without AWS:
//   - CloudWatch Logs, AWS JSON 1.1 (X-Amz-Target: Logs_20140328.FilterLogEvents): the events of a
//     log group between startTime and endTime (ms), `limit` per page, nextToken paging, and
//     ThrottlingException answers on chosen pages (once each);
//   - RDS, the AWS query protocol (form POST, Action=DescribeDBInstances / DescribeDBClusters /
//     DescribeDBParameters, Version=2014-10-31), answering XML as RDS does.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';

export interface CwEvent {
  logStreamName: string;
  timestamp: number;
  message: string;
}

export interface CwScript {
  /** Log group → its events (any order: served sorted by timestamp). */
  groups: Record<string, CwEvent[]>;
  /** Pages (1-based, per group) answered once with ThrottlingException. */
  throttleOnPages?: number[];
  /** RDS instances and clusters. */
  instances?: Array<{ id: string; engine: string; engineVersion: string; parameterGroup: string; exports: string[] }>;
  clusters?: Array<{ id: string; engine: string; engineVersion: string; parameterGroup: string; exports: string[] }>;
  /** Parameter group name → parameter values (DescribeDBParameters / DescribeDBClusterParameters). */
  parameters?: Record<string, Record<string, string>>;
}

export interface CwServer {
  endpoint: string;
  requests: Array<{ api: string; body: Record<string, unknown>; at: number }>;
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

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startCloudWatch(script: CwScript): Promise<CwServer> {
  const requests: CwServer['requests'] = [];
  const throttled = new Set<string>();
  const server: Server = createServer(async (req, res) => {
    const text = await body(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target) {
      const b = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      requests.push({ api: target, body: b, at: Date.now() });
      const send = (status: number, obj: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        res.end(JSON.stringify(obj));
      };
      if (target !== 'Logs_20140328.FilterLogEvents') {
        send(400, { __type: 'UnknownOperationException', message: target });
        return;
      }
      const group = String(b.logGroupName ?? '');
      const all = script.groups[group];
      if (!all) {
        send(400, { __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
        return;
      }
      const page = typeof b.nextToken === 'string' ? Number(b.nextToken.split('/')[1]) : 1;
      const key = `${group}/${page}`;
      if (script.throttleOnPages?.includes(page) && !throttled.has(key)) {
        throttled.add(key);
        send(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
        return;
      }
      const start = typeof b.startTime === 'number' ? b.startTime : -Infinity;
      const end = typeof b.endTime === 'number' ? b.endTime : Infinity;
      const limit = typeof b.limit === 'number' ? b.limit : 10_000;
      const events = all
        .filter((e) => e.timestamp >= start && e.timestamp <= end)
        .sort((x, y) => x.timestamp - y.timestamp)
        .map((e, i) => ({
          logStreamName: e.logStreamName,
          timestamp: e.timestamp,
          message: e.message,
          ingestionTime: e.timestamp + 500,
          eventId: `${String(e.timestamp).padStart(20, '0')}${String(i).padStart(10, '0')}`,
        }));
      const slice = events.slice((page - 1) * limit, page * limit);
      send(200, {
        events: slice,
        searchedLogStreams: [],
        ...(page * limit < events.length ? { nextToken: `tok/${page + 1}` } : {}),
      });
      return;
    }
    const form = Object.fromEntries(new URLSearchParams(text));
    requests.push({ api: `rds:${form.Action}`, body: form, at: Date.now() });
    const xml = (action: string, inner: string) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<${action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
      );
    };
    const notFound = (code: string, msg: string) => {
      res.writeHead(404, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(msg)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
    };
    if (form.Action === 'DescribeDBInstances') {
      const list = (script.instances ?? []).filter(
        (i) => !form.DBInstanceIdentifier || i.id === form.DBInstanceIdentifier,
      );
      if (form.DBInstanceIdentifier && list.length === 0) {
        notFound('DBInstanceNotFound', `DBInstance ${form.DBInstanceIdentifier} not found.`);
        return;
      }
      xml(
        'DescribeDBInstances',
        `<DBInstances>${list.map((i) => `<DBInstance><DBInstanceIdentifier>${esc(i.id)}</DBInstanceIdentifier><Engine>${i.engine}</Engine><EngineVersion>${i.engineVersion}</EngineVersion><DBParameterGroups><DBParameterGroup><DBParameterGroupName>${esc(i.parameterGroup)}</DBParameterGroupName><ParameterApplyStatus>in-sync</ParameterApplyStatus></DBParameterGroup></DBParameterGroups><EnabledCloudwatchLogsExports>${i.exports.map((x) => `<member>${x}</member>`).join('')}</EnabledCloudwatchLogsExports></DBInstance>`).join('')}</DBInstances>`,
      );
      return;
    }
    if (form.Action === 'DescribeDBClusters') {
      const list = (script.clusters ?? []).filter(
        (c) => !form.DBClusterIdentifier || c.id === form.DBClusterIdentifier,
      );
      if (form.DBClusterIdentifier && list.length === 0) {
        notFound('DBClusterNotFoundFault', `DBCluster ${form.DBClusterIdentifier} not found.`);
        return;
      }
      xml(
        'DescribeDBClusters',
        `<DBClusters>${list.map((c) => `<DBCluster><DBClusterIdentifier>${esc(c.id)}</DBClusterIdentifier><Engine>${c.engine}</Engine><EngineVersion>${c.engineVersion}</EngineVersion><DBClusterParameterGroup>${esc(c.parameterGroup)}</DBClusterParameterGroup><EnabledCloudwatchLogsExports>${c.exports.map((x) => `<member>${x}</member>`).join('')}</EnabledCloudwatchLogsExports></DBCluster>`).join('')}</DBClusters>`,
      );
      return;
    }
    if (form.Action === 'DescribeDBParameters' || form.Action === 'DescribeDBClusterParameters') {
      const name = form.DBParameterGroupName ?? form.DBClusterParameterGroupName ?? '';
      const params = script.parameters?.[name] ?? {};
      xml(
        form.Action,
        `<Parameters>${Object.entries(params)
          .map(
            ([k, v]) =>
              `<Parameter><ParameterName>${esc(k)}</ParameterName><ParameterValue>${esc(v)}</ParameterValue><Source>user</Source></Parameter>`,
          )
          .join('')}</Parameters>`,
      );
      return;
    }
    res.writeHead(400, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${esc(String(form.Action))}</Message></Error></ErrorResponse>`,
    );
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
