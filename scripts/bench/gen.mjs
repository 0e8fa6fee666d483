// Synthetic but realistic audit logs for the benchmark, from a fixed seed (no Math.random), so every
// run measures the same bytes. Shapes follow the real samples in the corpus and the vendors' docs:
//   - CloudTrail: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
//   - PostgreSQL csvlog / stderr with pgaudit: https://www.postgresql.org/docs/current/runtime-config-logging.html,
//     https://github.com/pgaudit/pgaudit#format
//   - MariaDB server_audit: https://mariadb.com/kb/en/mariadb-audit-plugin-log-format/
// Usable as a module (the bench and its smoke test) and as a command that streams one format to
// stdout (the memory run pipes it into `normalize -` so 10×N records never touch the disk):
//   node scripts/bench/gen.mjs <format> <records> [seed]
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const FORMATS = ['cloudtrail-jsonl', 'pgaudit-csv', 'pgaudit-stderr', 'mariadb'];
/** First event time of every generated log; events spread over one week from here. */
export const BASE_MS = Date.UTC(2024, 4, 1);
export const SPAN_MS = 7 * 24 * 3600 * 1000;
export const PGAUDIT_PREFIX = '%m [%p] %q%u@%d ';

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return {
    next,
    int,
    pick: (arr) => arr[int(arr.length)],
    chance: (p) => next() < p,
    hex: (n) => {
      let s = '';
      while (s.length < n) s += (int(0x10000) + 0x10000).toString(16).slice(1);
      return s.slice(0, n);
    },
    upper: (n) => {
      const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
      let s = '';
      for (let i = 0; i < n; i++) s += A[int(32)];
      return s;
    },
  };
}

/** Picks from [value, weight] pairs. */
function weighted(r, pairs) {
  let total = 0;
  for (const [, w] of pairs) total += w;
  let x = r.next() * total;
  for (const [v, w] of pairs) {
    x -= w;
    if (x < 0) return v;
  }
  return pairs[pairs.length - 1][0];
}

const uuid = (r) => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${'89ab'[r.int(4)]}${r.hex(3)}-${r.hex(12)}`;
const pad = (n, w = 2) => String(n).padStart(w, '0');
/** Event time of record i of n: increasing, spread over SPAN_MS, with jitter (CloudTrail files are not ordered). */
const timeOf = (r, i, n, jitterMs = 0) =>
  BASE_MS + Math.floor((i * SPAN_MS) / Math.max(n, 1)) + (jitterMs ? r.int(jitterMs) : 0);

// ---------------------------------------------------------------------------------------------
// CloudTrail
const ACCOUNT = '123456789012';
const REGIONS = ['us-east-1', 'us-east-1', 'us-west-2', 'eu-west-1'];
const IAM_USERS = ['alice', 'bob', 'carol', 'deploy-bot', 'terraform', 'dave.ops'];
const ROLES = ['Admin', 'ReadOnly', 'DevOpsDeploy', 'LambdaExec', 'SecurityAudit'];
const AGENTS = [
  'aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12 prompt/off command/ec2.describe-instances',
  'Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8 cfg/retry-mode#legacy Botocore/1.34.69',
  'aws-sdk-go-v2/1.32.3 os/linux lang/go#1.23.1 md/GOOS#linux md/GOARCH#amd64 api/sts#1.26.2',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Terraform/1.8.2 (+https://www.terraform.io) terraform-provider-aws/5.47.0 aws-sdk-go-v2/1.26.1',
];
// [eventSource, eventName, readOnly, weight]; the admin-class names (IAM, policy, trail) are a few percent, as in life.
const CT_EVENTS = [
  ['ec2.amazonaws.com', 'DescribeInstances', true, 20],
  ['s3.amazonaws.com', 'ListBuckets', true, 8],
  ['sts.amazonaws.com', 'GetCallerIdentity', true, 10],
  ['sts.amazonaws.com', 'AssumeRole', false, 12],
  ['kms.amazonaws.com', 'Decrypt', true, 10],
  ['logs.amazonaws.com', 'CreateLogStream', false, 6],
  ['ec2.amazonaws.com', 'RunInstances', false, 2],
  ['ec2.amazonaws.com', 'TerminateInstances', false, 1],
  ['lambda.amazonaws.com', 'UpdateFunctionCode20150331v2', false, 1],
  ['rds.amazonaws.com', 'DescribeDBInstances', true, 5],
  ['signin.amazonaws.com', 'ConsoleLogin', false, 2],
  ['iam.amazonaws.com', 'CreateUser', false, 1],
  ['iam.amazonaws.com', 'AttachUserPolicy', false, 1],
  ['iam.amazonaws.com', 'PutRolePolicy', false, 1],
  ['iam.amazonaws.com', 'CreateAccessKey', false, 1],
  ['iam.amazonaws.com', 'AddUserToGroup', false, 0.5],
  ['iam.amazonaws.com', 'CreatePolicyVersion', false, 0.3],
  ['s3.amazonaws.com', 'PutBucketPolicy', false, 0.5],
  ['cloudtrail.amazonaws.com', 'StopLogging', false, 0.1],
  ['cloudtrail.amazonaws.com', 'UpdateTrail', false, 0.1],
  ['cloudtrail.amazonaws.com', 'PutEventSelectors', false, 0.1],
  ['iam.amazonaws.com', 'GetUser', true, 4],
].map(([s, n, ro, w]) => [{ source: s, name: n, readOnly: ro }, w]);

function ctIdentity(r) {
  if (r.chance(0.45)) {
    const user = r.pick(IAM_USERS);
    return {
      type: 'IAMUser',
      principalId: `AIDA${r.upper(17)}`,
      arn: `arn:aws:iam::${ACCOUNT}:user/${user}`,
      accountId: ACCOUNT,
      accessKeyId: `AKIA${r.upper(16)}`,
      userName: user,
    };
  }
  const role = r.pick(ROLES);
  const session = r.chance(0.5)
    ? `${r.pick(IAM_USERS)}@example.com`
    : `botocore-session-${1700000000 + r.int(9999999)}`;
  const rolePid = `AROA${r.upper(17)}`;
  return {
    type: 'AssumedRole',
    principalId: `${rolePid}:${session}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
    accountId: ACCOUNT,
    accessKeyId: `ASIA${r.upper(16)}`,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: rolePid,
        arn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
        accountId: ACCOUNT,
        userName: role,
      },
      webIdFederationData: {},
      attributes: { creationDate: '2024-05-01T00:00:00Z', mfaAuthenticated: r.chance(0.3) ? 'true' : 'false' },
    },
  };
}

function ctParams(r, e, region) {
  switch (e.name) {
    case 'DescribeInstances':
      return {
        instancesSet: {},
        filterSet: { items: [{ name: 'instance-state-name', valueSet: { items: [{ value: 'running' }] } }] },
      };
    case 'AssumeRole':
      return {
        roleArn: `arn:aws:iam::${ACCOUNT}:role/${r.pick(ROLES)}`,
        roleSessionName: `session-${r.hex(8)}`,
        durationSeconds: 3600,
      };
    case 'Decrypt':
      return {
        encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        encryptionContext: {
          'aws:lambda:FunctionArn': `arn:aws:lambda:${region}:${ACCOUNT}:function:api-${r.int(20)}`,
        },
      };
    case 'CreateLogStream':
      return { logGroupName: `/aws/lambda/api-${r.int(20)}`, logStreamName: `2024/05/01/[$LATEST]${r.hex(32)}` };
    case 'RunInstances':
      return { instanceType: 't3.micro', imageId: `ami-${r.hex(17)}`, minCount: 1, maxCount: 1 };
    case 'TerminateInstances':
      return { instancesSet: { items: [{ instanceId: `i-${r.hex(17)}` }] } };
    case 'CreateUser':
    case 'CreateAccessKey':
    case 'GetUser':
      return { userName: r.pick(IAM_USERS) };
    case 'AttachUserPolicy':
      return { userName: r.pick(IAM_USERS), policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' };
    case 'PutRolePolicy':
      return {
        roleName: r.pick(ROLES),
        policyName: 'inline',
        policyDocument: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}',
      };
    case 'AddUserToGroup':
      return { groupName: 'admins', userName: r.pick(IAM_USERS) };
    case 'CreatePolicyVersion':
      return { policyArn: `arn:aws:iam::${ACCOUNT}:policy/deploy`, setAsDefault: true };
    case 'PutBucketPolicy':
      return { bucketName: `data-${r.int(10)}`, Host: 's3.amazonaws.com', bucketPolicy: { Version: '2012-10-17' } };
    case 'StopLogging':
    case 'UpdateTrail':
    case 'PutEventSelectors':
      return { name: `arn:aws:cloudtrail:${region}:${ACCOUNT}:trail/org-trail` };
    case 'DescribeDBInstances':
      return { dBInstanceIdentifier: `db-${r.int(5)}` };
    case 'UpdateFunctionCode20150331v2':
      return { functionName: `api-${r.int(20)}`, publish: true };
    default:
      return null;
  }
}

/** One CloudTrail record (an object), record i of n. */
export function cloudTrailRecord(r, i, n) {
  const e = weighted(r, CT_EVENTS);
  const region =
    e.source === 'iam.amazonaws.com' || e.source === 'signin.amazonaws.com' ? 'us-east-1' : r.pick(REGIONS);
  const t = new Date(timeOf(r, i, n, 120000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const failed = r.chance(0.04);
  const rec = {
    eventVersion: '1.09',
    userIdentity: ctIdentity(r),
    eventTime: t,
    eventSource: e.source,
    eventName: e.name,
    awsRegion: region,
    sourceIPAddress: r.chance(0.1) ? 'AWS Internal' : `${10 + r.int(200)}.${r.int(256)}.${r.int(256)}.${r.int(256)}`,
    userAgent: r.pick(AGENTS),
  };
  if (failed) {
    rec.errorCode = r.chance(0.7) ? 'AccessDenied' : 'Client.UnauthorizedOperation';
    rec.errorMessage = `User: ${rec.userIdentity.arn} is not authorized to perform: ${e.source.split('.')[0]}:${e.name} because no identity-based policy allows the action`;
  }
  rec.requestParameters = ctParams(r, e, region);
  rec.responseElements =
    e.name === 'ConsoleLogin'
      ? { ConsoleLogin: failed ? 'Failure' : 'Success' }
      : e.name === 'AssumeRole' && !failed
        ? {
            credentials: {
              accessKeyId: `ASIA${r.upper(16)}`,
              expiration: 'May 1, 2024, 1:00:00 AM',
              sessionToken: `IQoJb3JpZ2luX2Vj${r.upper(80)}`,
            },
            assumedRoleUser: { assumedRoleId: `AROA${r.upper(17)}:s`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/x/s` },
          }
        : null;
  rec.requestID = uuid(r);
  rec.eventID = uuid(r);
  rec.readOnly = e.readOnly;
  if (
    e.name === 'RunInstances' ||
    e.name === 'AssumeRole' ||
    e.name === 'Decrypt' ||
    (e.source === 'iam.amazonaws.com' && r.chance(0.5))
  ) {
    rec.resources =
      e.name === 'Decrypt'
        ? [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${ACCOUNT}:key/${uuid(r)}` }]
        : e.name === 'AssumeRole'
          ? [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${ACCOUNT}:role/${r.pick(ROLES)}` }]
          : [
              {
                accountId: ACCOUNT,
                type: e.name === 'RunInstances' ? 'AWS::EC2::Instance' : 'AWS::IAM::User',
                ARN:
                  e.name === 'RunInstances'
                    ? `arn:aws:ec2:${region}:${ACCOUNT}:instance/i-${r.hex(17)}`
                    : `arn:aws:iam::${ACCOUNT}:user/${r.pick(IAM_USERS)}`,
              },
            ];
  }
  rec.eventType = e.source === 'signin.amazonaws.com' ? 'AwsConsoleSignIn' : 'AwsApiCall';
  rec.managementEvent = true;
  rec.recipientAccountId = ACCOUNT;
  rec.eventCategory = 'Management';
  rec.tlsDetails = {
    tlsVersion: 'TLSv1.3',
    cipherSuite: 'TLS_AES_128_GCM_SHA256',
    clientProvidedHostHeader: `${e.source.split('.')[0]}.${region}.amazonaws.com`,
  };
  return rec;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL + pgaudit
const PG_USERS = [
  ['app', 'appdb'],
  ['app', 'appdb'],
  ['app', 'appdb'],
  ['report', 'appdb'],
  ['postgres', 'postgres'],
  ['admin', 'appdb'],
  ['etl', 'warehouse'],
];
const PG_TABLES = [
  'public.accounts',
  'public.orders',
  'public.customers',
  'public.payments',
  'audit.events',
  'public.sessions',
];
const APPS = ['psql', 'api', 'api', 'api', 'pg_dump', 'metabase'];

function pgStatement(r) {
  const table = r.pick(PG_TABLES);
  const kind = weighted(r, [
    ['READ', 55],
    ['WRITE', 35],
    ['DDL', 5],
    ['ROLE', 4],
    ['MISC', 1],
  ]);
  switch (kind) {
    case 'READ': {
      const multi = r.chance(0.03);
      const sql = multi
        ? `SELECT o.id, o.total, c.email\nFROM ${table} o\nJOIN public.customers c ON c.id = o.customer_id\nWHERE o.created_at > now() - interval '1 day'`
        : `SELECT id, owner, balance FROM ${table} WHERE id = ${r.int(100000)}`;
      return { cls: 'READ', cmd: 'SELECT', objType: 'TABLE', obj: table, sql, tag: 'SELECT' };
    }
    case 'WRITE': {
      const cmd = weighted(r, [
        ['INSERT', 5],
        ['UPDATE', 4],
        ['DELETE', 1],
      ]);
      const sql =
        cmd === 'INSERT'
          ? `INSERT INTO ${table} (id, note) VALUES (${r.int(1e6)}, 'it''s order ${r.hex(6)}')`
          : cmd === 'UPDATE'
            ? `UPDATE ${table} SET balance = balance - ${r.int(500)} WHERE id = ${r.int(100000)}`
            : `DELETE FROM ${table} WHERE id = ${r.int(100000)}`;
      return { cls: 'WRITE', cmd, objType: 'TABLE', obj: table, sql, tag: cmd };
    }
    case 'DDL': {
      const cmd = r.pick(['CREATE TABLE', 'ALTER TABLE', 'DROP TABLE', 'CREATE INDEX']);
      const sql =
        cmd === 'CREATE TABLE'
          ? `CREATE TABLE ${table}_${r.hex(4)} (\n  id bigint primary key,\n  payload jsonb\n)`
          : cmd === 'ALTER TABLE'
            ? `ALTER TABLE ${table} ADD COLUMN c_${r.hex(4)} text`
            : cmd === 'DROP TABLE'
              ? `DROP TABLE IF EXISTS ${table}_old`
              : `CREATE INDEX ON ${table} (created_at)`;
      return {
        cls: 'DDL',
        cmd,
        objType: cmd === 'CREATE INDEX' ? 'INDEX' : 'TABLE',
        obj: cmd === 'CREATE INDEX' ? `${table}_created_at_idx` : table,
        sql,
        tag: cmd,
      };
    }
    case 'ROLE': {
      const cmd = r.pick(['GRANT', 'REVOKE', 'CREATE ROLE', 'ALTER ROLE']);
      const who = r.pick(['alice', 'bob', 'auditor', 'app_ro']);
      const sql =
        cmd === 'GRANT'
          ? `GRANT SELECT, INSERT ON ${table} TO ${who}`
          : cmd === 'REVOKE'
            ? `REVOKE INSERT ON ${table} FROM ${who}`
            : cmd === 'CREATE ROLE'
              ? `CREATE ROLE ${who}_${r.hex(4)} LOGIN PASSWORD 'S3cret-${r.hex(8)}'`
              : `ALTER ROLE ${who} ${r.chance(0.2) ? 'SUPERUSER' : 'NOSUPERUSER'}`;
      return { cls: 'ROLE', cmd, objType: '', obj: '', sql, tag: cmd };
    }
    default:
      return { cls: 'MISC', cmd: 'SET', objType: '', obj: '', sql: `SET search_path TO public`, tag: 'SET' };
  }
}

const csvQuote = (s) => `"${s.replace(/"/g, '""')}"`;
/** pgaudit's own quoting of the statement field (CSV inside the message). */
const auditField = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function pgTime(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)} UTC`;
}

/** A pool of sessions shared by the csv and stderr generators: each yields its next log record. */
function pgSessions(r) {
  const sessions = [];
  let nextPid = 20000;
  const open = (ms) => {
    const [user, db] = r.pick(PG_USERS);
    const pid = nextPid++;
    const s = {
      pid,
      user,
      db,
      app: r.pick(APPS),
      host: `10.0.${r.int(4)}.${1 + r.int(250)}`,
      port: 40000 + r.int(20000),
      id: `${Math.floor(ms / 1000).toString(16)}.${pid.toString(16)}`,
      start: ms,
      line: 0,
      stmt: 0,
      left: 20 + r.int(400),
      state: 0,
    };
    sessions.push(s);
    return s;
  };
  return (ms) => {
    let s = sessions.length < 8 || r.chance(0.002) ? open(ms) : r.pick(sessions);
    if (s.state === 2) {
      sessions.splice(sessions.indexOf(s), 1);
      s = open(ms);
    }
    s.line++;
    if (s.state === 0) {
      s.state = 1;
      return {
        s,
        kind: 'conn',
        msg: `connection authorized: user=${s.user} database=${s.db} application_name=${s.app}`,
        tag: 'authentication',
      };
    }
    if (--s.left <= 0) {
      s.state = 2;
      return {
        s,
        kind: 'disc',
        msg: `disconnection: session time: 0:0${r.int(10)}:${pad(r.int(60))}.${pad(r.int(1000), 3)} user=${s.user} database=${s.db} host=${s.host} port=${s.port}`,
        tag: 'idle',
      };
    }
    const st = pgStatement(r);
    s.stmt++;
    const msg = `AUDIT: SESSION,${s.stmt},1,${st.cls},${st.cmd},${st.objType},${st.obj},${auditField(st.sql)},<not logged>`;
    return { s, kind: 'audit', msg, tag: st.tag };
  };
}

export function pgauditCsvLine(next, r, i, n) {
  const ms = timeOf(r, i, n);
  const { s, msg, tag } = next(ms);
  const start = pgTime(s.start).replace(/\.\d{3} UTC$/, ' UTC');
  return `${pgTime(ms)},${csvQuote(s.user)},${csvQuote(s.db)},${s.pid},${csvQuote(`${s.host}:${s.port}`)},${s.id},${s.line},${csvQuote(tag)},${start},3/${s.line},0,LOG,00000,${csvQuote(msg)},,,,,,,,,${csvQuote(s.app)},"client backend",,0\n`;
}

export function pgauditStderrLine(next, r, i, n) {
  const ms = timeOf(r, i, n);
  const { s, msg } = next(ms);
  // %m [%p] %q%u@%d : PostgreSQL writes a multi-line message with a tab after each newline.
  return `${pgTime(ms)} [${s.pid}] ${s.user}@${s.db} LOG:  ${msg.replace(/\n/g, '\n\t')}\n`;
}

// ---------------------------------------------------------------------------------------------
// MariaDB server_audit
const MY_USERS = ['app', 'app', 'app', 'report', 'root', 'admin', 'etl'];
const MY_TABLES = ['accounts', 'orders', 'customers', 'payments', 'sessions'];

function myConns(r) {
  const conns = [];
  let nextId = 100;
  return () => {
    if (conns.length < 6 || r.chance(0.003)) {
      const c = {
        id: nextId++,
        user: r.pick(MY_USERS),
        host: `10.1.${r.int(4)}.${1 + r.int(250)}`,
        db: r.chance(0.8) ? 'appdb' : '',
        q: 0,
        left: 10 + r.int(300),
        state: 0,
      };
      conns.push(c);
    }
    const c = r.pick(conns);
    return c;
  };
}

const myEscape = (s) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n');

export function mariadbLine(pickConn, r, i, n) {
  const d = new Date(timeOf(r, i, n));
  const ts = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const c = pickConn();
  const head = `${ts},db-prod-1,${c.user},${c.host},${c.id}`;
  if (c.state === 0) {
    c.state = 1;
    if (r.chance(0.03)) {
      c.state = 0;
      return `${head},0,FAILED_CONNECT,,,1045\n`;
    }
    return `${head},0,CONNECT,${c.db},,0\n`;
  }
  if (c.state === 2 || --c.left <= 0) {
    c.state = 0;
    c.q = 0;
    c.left = 10 + r.int(300);
    return `${head},0,DISCONNECT,${c.db},,0\n`;
  }
  const table = r.pick(MY_TABLES);
  const kind = weighted(r, [
    ['QUERY', 60],
    ['READ', 25],
    ['WRITE', 12],
    ['DDL', 2],
    ['DCL', 1],
  ]);
  if (kind === 'READ' || kind === 'WRITE') return `${head},${c.q},${kind},${c.db || 'appdb'},${table},\n`;
  c.q++;
  let sql;
  if (kind === 'QUERY') {
    sql = weighted(r, [
      [`SELECT id, email FROM ${table} WHERE id = ${r.int(1e5)}`, 50],
      [`INSERT INTO ${table} (id, note) VALUES (${r.int(1e6)}, 'customer''s note ${r.hex(6)}')`, 25],
      [`UPDATE ${table} SET status = 'shipped' WHERE id = ${r.int(1e5)}`, 20],
      [`SELECT o.id, o.total\nFROM orders o\nWHERE o.customer_id = ${r.int(1e5)}`, 5],
    ]);
  } else if (kind === 'DDL')
    sql = r.pick([
      `ALTER TABLE ${table} ADD COLUMN c_${r.hex(4)} int`,
      `CREATE TABLE t_${r.hex(6)} (id int primary key)`,
      `DROP TABLE IF EXISTS ${table}_old`,
    ]);
  else
    sql = r.pick([
      `GRANT SELECT ON appdb.${table} TO 'report'@'%'`,
      `CREATE USER 'u_${r.hex(4)}'@'%' IDENTIFIED BY 'Pw-${r.hex(8)}'`,
      `REVOKE INSERT ON appdb.${table} FROM 'app'@'%'`,
      'SET GLOBAL server_audit_logging=ON',
    ]);
  const retcode = r.chance(0.02) ? 1146 : 0;
  return `${head},${c.q},QUERY,${c.db},'${myEscape(sql)}',${retcode}\n`;
}

// ---------------------------------------------------------------------------------------------
// Writers

/** A function that returns record i of n as text (with its newline), for a format and seed. */
export function lineMaker(format, seed) {
  const r = prng(seed);
  switch (format) {
    case 'cloudtrail-jsonl':
      return (i, n) => `${JSON.stringify(cloudTrailRecord(r, i, n))}\n`;
    case 'pgaudit-csv': {
      const next = pgSessions(r);
      return (i, n) => pgauditCsvLine(next, r, i, n);
    }
    case 'pgaudit-stderr': {
      const next = pgSessions(r);
      return (i, n) => pgauditStderrLine(next, r, i, n);
    }
    case 'mariadb': {
      const pick = myConns(r);
      return (i, n) => mariadbLine(pick, r, i, n);
    }
    default:
      throw new Error(`unknown format ${format}`);
  }
}

/** Streams `records` records of a format to a writable, with backpressure; resolves to bytes written. */
export async function writeRecords(stream, format, records, seed = 1) {
  const make = lineMaker(format, seed);
  let bytes = 0;
  let batch = '';
  for (let i = 0; i < records; i++) {
    batch += make(i, records);
    if (batch.length >= 1 << 20) {
      bytes += Buffer.byteLength(batch);
      if (!stream.write(batch)) await once(stream, 'drain');
      batch = '';
    }
  }
  bytes += Buffer.byteLength(batch);
  if (batch) stream.write(batch);
  return bytes;
}

/** Writes a file of `records` records; resolves to its size in bytes. */
export async function writeFile(path, format, records, seed = 1) {
  const out = createWriteStream(path);
  const bytes = await writeRecords(out, format, records, seed);
  await new Promise((res, rej) => {
    out.on('error', rej);
    out.end(res);
  });
  return bytes;
}

/**
 * Writes CloudTrail's S3 layout: gzip files of `{"Records":[...]}` with `perFile` records each.
 * Returns the paths and the total uncompressed bytes.
 */
export async function writeCloudTrailGzip(dir, records, perFile = 2500, seed = 2) {
  const r = prng(seed);
  const { writeFile: wf } = await import('node:fs/promises');
  const paths = [];
  let bytes = 0;
  for (let start = 0, f = 0; start < records; start += perFile, f++) {
    const end = Math.min(records, start + perFile);
    const parts = [];
    for (let i = start; i < end; i++) parts.push(JSON.stringify(cloudTrailRecord(r, i, records)));
    const text = `{"Records":[${parts.join(',')}]}`;
    bytes += Buffer.byteLength(text);
    const p = `${dir}/${ACCOUNT}_CloudTrail_us-east-1_20240501T${pad(Math.floor(f / 60) % 24)}${pad(f % 60)}Z_${pad(f, 5)}.json.gz`;
    await wf(p, gzipSync(text));
    paths.push(p);
  }
  return { paths, bytes };
}

// As a command: stream one format to stdout.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [format, n, seed] = process.argv.slice(2);
  if (!FORMATS.includes(format) || !(Number(n) >= 0)) {
    process.stderr.write(`usage: node scripts/bench/gen.mjs <${FORMATS.join('|')}> <records> [seed]\n`);
    process.exit(2);
  }
  process.stdout.on('error', () => process.exit(0));
  await writeRecords(process.stdout, format, Number(n), Number(seed ?? 1));
}
