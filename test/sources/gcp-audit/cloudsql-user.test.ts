// Audit finding: fixtures/gcp-audit/universal-connectors__cloudsql-pgaudit-a.log (read as gcp-audit, as a
// mixed Cloud Logging export would be) had user null and no database although protoPayload.request
// names them (user "postgres", database "postgres"); the same record read as pgaudit had both.
import { expect, test } from 'vitest';
import { normalizeFiles } from '../../helpers/golden.js';

test('a Cloud SQL pgaudit entry read as gcp-audit takes its user and database from protoPayload.request', async () => {
  const { events } = await normalizeFiles(
    ['fixtures/gcp-audit/universal-connectors__cloudsql-pgaudit-a.log'],
    'gcp-audit',
  );
  expect(events).toHaveLength(1);
  expect(events[0]!.user.name).toBe('postgres');
  expect(events[0]!.resource.scope.database).toBe('postgres');
});
