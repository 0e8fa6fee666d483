// Turns a mutation of the local GCS server (test/helpers/servers/gcs.ts, its onMutation hook) into
// the Admin Activity audit log entry Cloud Storage writes for it, in the form the local Cloud Logging
// gRPC server (gcp-logging.ts) serves: serviceName storage.googleapis.com, the methodName
// (storage.buckets.update, storage.setIamPermissions, ...), resourceName projects/_/buckets/<name>,
// the caller's principalEmail, and a status when the call was refused.
import type { GcsMutation } from './servers/gcs.js';
import type { FakeAuditEntry } from './servers/gcp-logging.js';

export const PROBER_PRINCIPAL = 'ae-prober@acme-prod.iam.gserviceaccount.com';

/** The Admin Activity entry Cloud Storage writes for a bucket mutation (refused ones carry a status). */
export function gcsAuditEntry(m: GcsMutation, project = 'acme-prod'): FakeAuditEntry {
  return {
    logName: `projects/${project}/logs/cloudaudit.googleapis.com%2Factivity`,
    insertId: `gcs-${m.at.getTime()}-${Math.random().toString(36).slice(2, 8)}`,
    timestamp: m.at,
    resource: { type: 'gcs_bucket', labels: { project_id: project, bucket_name: m.bucket, location: 'europe-west1' } },
    severity: m.status < 400 ? 'NOTICE' : 'ERROR',
    auditLog: {
      serviceName: 'storage.googleapis.com',
      methodName: m.methodName,
      resourceName: m.resourceName,
      authenticationInfo: { principalEmail: PROBER_PRINCIPAL },
      requestMetadata: { callerIp: '198.51.100.7', callerSuppliedUserAgent: 'gcloud-node-storage/7' },
      authorizationInfo: [
        {
          resource: m.resourceName,
          permission:
            m.methodName === 'storage.setIamPermissions' ? 'storage.buckets.setIamPolicy' : 'storage.buckets.update',
          granted: m.status < 400,
        },
      ],
      ...(m.status >= 400 ? { status: { code: 7, message: m.reason ?? 'PERMISSION_DENIED' } } : {}),
    },
  };
}
