// Format detection among the three MySQL-family adapters and against the other sources' content.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { adapter as mariadb } from '../../../src/sources/mariadb-audit/index.js';
import { adapter as enterprise } from '../../../src/sources/mysql-enterprise-audit/index.js';
import { adapter as percona } from '../../../src/sources/percona-audit/index.js';

const head = (p: string) =>
  readFileSync(p)
    .subarray(0, 64 * 1024)
    .toString('utf8');
const ours = [mariadb, enterprise, percona];

const OWN: Record<string, string[]> = {
  'mariadb-audit': [
    'mariadb10.11-live__server_audit.log',
    'universal-connectors__mariadb-rds-server_audit.log',
    'universal-connectors__mariadb-server_audit.log',
    'server_audit.log.1',
    'aurora-epoch.log',
    'mariadb12-host-port.log',
  ].map((f) => `fixtures/mariadb-audit/${f}`),
  'mysql-enterprise-audit': [
    'universal-connectors__mysql-enterprise-audit_json.log',
    'audit-new-style.xml',
    'audit-old-style.xml',
    'audit-more-classes.json',
  ].map((f) => `fixtures/mysql-enterprise-audit/${f}`),
  'percona-audit': ['audit-old.xml', 'audit-new.xml', 'audit.json', 'audit.csv'].map(
    (f) => `fixtures/percona-audit/${f}`,
  ),
};

test.each(Object.entries(OWN).flatMap(([id, files]) => files.map((f) => [id, f] as const)))(
  '%s claims %s, the others do not',
  (id, file) => {
    const h = head(file);
    for (const a of ours) {
      const s = a.sniff(h, file);
      if (a.id === id) expect(s, `${a.id} on ${file}`).toBeGreaterThanOrEqual(0.9);
      else expect(s, `${a.id} on ${file}`).toBeLessThan(0.5);
    }
  },
);

const OTHERS: Record<string, string> = {
  pgaudit:
    '2023-02-03 20:29:44.139 GMT [123] postgres@db LOG:  AUDIT: SESSION,1,1,DDL,CREATE TABLE,TABLE,public.t,CREATE TABLE t (a int),<none>\n',
  cloudtrail: JSON.stringify({
    Records: [
      {
        eventVersion: '1.08',
        userIdentity: { type: 'IAMUser' },
        eventTime: '2024-01-01T00:00:00Z',
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateUser',
      },
    ],
  }),
  gcp: JSON.stringify([
    {
      protoPayload: { '@type': 'type.googleapis.com/google.cloud.audit.AuditLog', methodName: 'SetIamPolicy' },
      insertId: 'x',
      logName: 'projects/p/logs/cloudaudit.googleapis.com%2Factivity',
      timestamp: '2024-01-01T00:00:00Z',
    },
  ]),
  jsonl: '{"timestamp":"2024-01-01T00:00:00Z","level":"info","msg":"hello"}\n',
  csv: 'a,b,c\n1,2,3\n',
  xml: '<?xml version="1.0"?><root><item/></root>',
};

test.each(Object.entries(OTHERS))('none claims %s content', (_name, text) => {
  for (const a of ours) expect(a.sniff(text, 'x.log'), a.id).toBeLessThan(0.5);
});
