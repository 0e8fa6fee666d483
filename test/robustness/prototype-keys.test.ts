// A record whose name, method or collection is spelled like an Object method (constructor,
// toString) is read like any other: the formats' lookup tables answer for their own keys only.
// Before, a Percona/MySQL XML record NAME="Constructor" stopped the whole input (TypeError: the
// records after it were not read), and a GCP PAM method or a Bytebase resource collection named
// `constructor` was rejected with a schema error.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { emptySummary, normalizeInputs } from '../../src/pipeline/run.js';
import { catalog } from '../../src/sources/registry.js';
import type { Outcome } from '../../src/pipeline/types.js';

const dir = mkdtempSync(join(tmpdir(), 'ae-proto-keys-'));

async function read(format: string, name: string, text: string) {
  const file = join(dir, name);
  writeFileSync(file, text);
  const summary = emptySummary();
  const out: Outcome[] = [];
  for await (const o of normalizeInputs([file], { format, adapters: catalog, options: {} }, summary)) out.push(o);
  return { out, summary };
}

const xmlRecord = (name: string, id: number) =>
  `<AUDIT_RECORD\n  NAME="${name}"\n  RECORD="${id}_2024-01-01T00:00:00"\n  TIMESTAMP="2024-01-01T00:00:0${id} UTC"\n  COMMAND_CLASS="select"\n  CONNECTION_ID="5"\n  STATUS="0"\n  SQLTEXT="select ${id}"\n  USER="app[app] @ localhost []"\n  HOST="localhost"\n  OS_USER=""\n  IP=""\n  DB=""\n/>\n`;

test('percona-audit: a record named Constructor is an event, and the records after it are read', async () => {
  const { out, summary } = await read(
    'percona-audit',
    'audit.xml',
    xmlRecord('Query', 1) + xmlRecord('Constructor', 2) + xmlRecord('toString', 3) + xmlRecord('Query', 4),
  );
  expect(summary.failed).toEqual([]);
  expect(out.map((o) => o.kind)).toEqual(['event', 'event', 'event', 'event']);
});

test('gcp-audit: a PAM method named constructor is not taken for an access decision', async () => {
  const entry = {
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      serviceName: 'privilegedaccessmanager.googleapis.com',
      methodName: 'google.cloud.privilegedaccessmanager.v1.PrivilegedAccessManager.constructor',
      resourceName: 'projects/p/locations/global/entitlements/e',
      authenticationInfo: { principalEmail: 'a@example.com' },
    },
    insertId: 'x1',
    logName: 'projects/p/logs/cloudaudit.googleapis.com%2Factivity',
    timestamp: '2024-05-01T00:00:00Z',
    resource: { type: 'audited_resource', labels: { project_id: 'p' } },
  };
  const { out } = await read('gcp-audit', 'entries.json', `${JSON.stringify(entry)}\n`);
  expect(out.map((o) => o.kind)).toEqual(['event']);
  const o = out[0]!;
  expect(o.kind === 'event' && o.event.access_request).toBeNull();
});

test('bytebase: a resource under a collection named constructor has a resource type', async () => {
  const entry = {
    name: 'workspaces/-/auditLogs/1',
    createTime: '2024-05-01T00:00:00Z',
    user: 'users/a@example.com',
    method: '/bytebase.v1.SQLService/Query',
    resource: 'constructor/x',
    severity: 'INFO',
  };
  const { out } = await read('bytebase', 'logs.json', `${JSON.stringify(entry)}\n`);
  expect(out.map((o) => o.kind)).toEqual(['event']);
  const o = out[0]!;
  expect(o.kind === 'event' && o.event.resource.type).toBe('constructor');
});
