// CloudTrail event-name tables: which of the six categories an API call belongs to, by event
// source and event name. Signals from docs/design sources.md ("Category signals"); event names
// from the services' API references, as CloudTrail logs them:
//   https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
// Lookups are Map/Set only (no regex per record). Names are matched without the API version
// suffix that some services append (Lambda's `UpdateFunctionCode20150331v2`); see baseEventName.
import type { Category } from '../../event/build.js';

/** Strips a trailing API-version suffix: UpdateFunctionCode20150331v2 -> UpdateFunctionCode. */
const VERSION_SUFFIX = /\d{8}(?:v\d+)?$/;
const baseNames = new Map<string, string>();
export function baseEventName(eventName: string): string {
  let b = baseNames.get(eventName);
  if (b === undefined) {
    b = eventName.replace(VERSION_SUFFIX, '') || eventName;
    if (baseNames.size < 20_000) baseNames.set(eventName, b);
  }
  return b;
}

/** `iam.amazonaws.com` -> `iam`; other hosts (rare) are kept whole. */
export function serviceOf(eventSource: string): string {
  return eventSource.endsWith('.amazonaws.com') ? eventSource.slice(0, -'.amazonaws.com'.length) : eventSource;
}

type Table = Record<string, readonly string[]>;

function build(t: Partial<Record<Category, Table>>): Map<string, Category> {
  const m = new Map<string, Category>();
  for (const [category, bySource] of Object.entries(t) as Array<[Category, Table]>) {
    for (const [source, names] of Object.entries(bySource)) for (const n of names) m.set(`${source}:${n}`, category);
  }
  return m;
}

const IAM_PRINCIPALS = [
  'CreateUser',
  'DeleteUser',
  'UpdateUser',
  'CreateRole',
  'DeleteRole',
  'UpdateRole',
  'UpdateRoleDescription',
  'CreateGroup',
  'DeleteGroup',
  'UpdateGroup',
  'AddUserToGroup',
  'RemoveUserFromGroup',
  'AttachUserPolicy',
  'DetachUserPolicy',
  'AttachRolePolicy',
  'DetachRolePolicy',
  'AttachGroupPolicy',
  'DetachGroupPolicy',
  'PutUserPolicy',
  'DeleteUserPolicy',
  'PutRolePolicy',
  'DeleteRolePolicy',
  'PutGroupPolicy',
  'DeleteGroupPolicy',
  'PutUserPermissionsBoundary',
  'DeleteUserPermissionsBoundary',
  'PutRolePermissionsBoundary',
  'DeleteRolePermissionsBoundary',
  'CreateAccessKey',
  'DeleteAccessKey',
  'UpdateAccessKey',
  'CreateLoginProfile',
  'DeleteLoginProfile',
  'UpdateLoginProfile',
  'ChangePassword',
  'UpdateAssumeRolePolicy',
  'CreateInstanceProfile',
  'DeleteInstanceProfile',
  'AddRoleToInstanceProfile',
  'RemoveRoleFromInstanceProfile',
  'CreateServiceLinkedRole',
  'DeleteServiceLinkedRole',
  'EnableMFADevice',
  'DeactivateMFADevice',
  'CreateVirtualMFADevice',
  'DeleteVirtualMFADevice',
  'ResyncMFADevice',
  'UploadSSHPublicKey',
  'UpdateSSHPublicKey',
  'DeleteSSHPublicKey',
  'UploadSigningCertificate',
  'UpdateSigningCertificate',
  'DeleteSigningCertificate',
  'CreateServiceSpecificCredential',
  'ResetServiceSpecificCredential',
  'UpdateServiceSpecificCredential',
  'DeleteServiceSpecificCredential',
  'CreateSAMLProvider',
  'UpdateSAMLProvider',
  'DeleteSAMLProvider',
  'CreateOpenIDConnectProvider',
  'DeleteOpenIDConnectProvider',
  'AddClientIDToOpenIDConnectProvider',
  'RemoveClientIDFromOpenIDConnectProvider',
  'UpdateOpenIDConnectProviderThumbprint',
];

const TABLE = build({
  authentication: {
    // sts: credentials for a session (AssumeRole* and tokens); GetCallerIdentity is a plain read.
    sts: [
      'AssumeRole',
      'AssumeRoleWithSAML',
      'AssumeRoleWithWebIdentity',
      'AssumeRoot',
      'GetSessionToken',
      'GetFederationToken',
    ],
    // IAM Identity Center portal and OIDC sign-in.
    sso: ['Authenticate', 'Federate', 'GetRoleCredentials', 'Logout'],
    'sso-oauth': ['CreateToken', 'CreateTokenWithIAM', 'RegisterClient', 'StartDeviceAuthorization'],
    'portal.sso': ['Authenticate', 'Federate', 'GetRoleCredentials', 'Logout'],
  },
  permission_change: {
    iam: IAM_PRINCIPALS,
    // Identity Center users, groups, permission sets and account assignments.
    sso: [
      'CreatePermissionSet',
      'UpdatePermissionSet',
      'DeletePermissionSet',
      'ProvisionPermissionSet',
      'AttachManagedPolicyToPermissionSet',
      'DetachManagedPolicyFromPermissionSet',
      'AttachCustomerManagedPolicyReferenceToPermissionSet',
      'DetachCustomerManagedPolicyReferenceFromPermissionSet',
      'PutInlinePolicyToPermissionSet',
      'DeleteInlinePolicyFromPermissionSet',
      'PutPermissionsBoundaryToPermissionSet',
      'DeletePermissionsBoundaryFromPermissionSet',
      'CreateAccountAssignment',
      'DeleteAccountAssignment',
    ],
    'sso-directory': [
      'CreateUser',
      'DeleteUser',
      'UpdateUser',
      'CreateGroup',
      'DeleteGroup',
      'AddMemberToGroup',
      'RemoveMemberFromGroup',
      'UpdatePassword',
      'DisableUser',
      'EnableUser',
    ],
    identitystore: [
      'CreateUser',
      'DeleteUser',
      'UpdateUser',
      'CreateGroup',
      'DeleteGroup',
      'UpdateGroup',
      'CreateGroupMembership',
      'DeleteGroupMembership',
    ],
    kms: ['CreateGrant', 'RetireGrant', 'RevokeGrant'],
    lambda: ['AddPermission', 'RemovePermission', 'AddLayerVersionPermission', 'RemoveLayerVersionPermission'],
  },
  policy_change: {
    iam: [
      'CreatePolicy',
      'DeletePolicy',
      'CreatePolicyVersion',
      'DeletePolicyVersion',
      'SetDefaultPolicyVersion',
      'UpdateAccountPasswordPolicy',
      'DeleteAccountPasswordPolicy',
      'SetSecurityTokenServicePreferences',
    ],
    organizations: [
      'AttachPolicy',
      'DetachPolicy',
      'CreatePolicy',
      'UpdatePolicy',
      'DeletePolicy',
      'EnablePolicyType',
      'DisablePolicyType',
      'LeaveOrganization',
      'RemoveAccountFromOrganization',
      'DeleteOrganization',
      'EnableAWSServiceAccess',
      'DisableAWSServiceAccess',
      'RegisterDelegatedAdministrator',
      'DeregisterDelegatedAdministrator',
    ],
    cloudtrail: [
      'StopLogging',
      'StartLogging',
      'CreateTrail',
      'UpdateTrail',
      'DeleteTrail',
      'PutEventSelectors',
      'PutInsightSelectors',
      'CreateEventDataStore',
      'UpdateEventDataStore',
      'DeleteEventDataStore',
      'StopEventDataStoreIngestion',
      'PutResourcePolicy',
      'DeleteResourcePolicy',
    ],
    s3: [
      'PutBucketPolicy',
      'DeleteBucketPolicy',
      'PutBucketEncryption',
      'DeleteBucketEncryption',
      'PutBucketLogging',
      'PutBucketVersioning',
      'PutObjectLockConfiguration',
      'PutBucketOwnershipControls',
      'DeleteBucketOwnershipControls',
    ],
    kms: [
      'PutKeyPolicy',
      'DisableKey',
      'EnableKey',
      'ScheduleKeyDeletion',
      'CancelKeyDeletion',
      'DisableKeyRotation',
      'EnableKeyRotation',
    ],
    secretsmanager: ['PutResourcePolicy', 'DeleteResourcePolicy', 'ValidateResourcePolicy'],
    config: [
      'StopConfigurationRecorder',
      'DeleteConfigurationRecorder',
      'PutConfigurationRecorder',
      'DeleteDeliveryChannel',
      'PutDeliveryChannel',
      'PutConfigRule',
      'DeleteConfigRule',
      'DeleteConformancePack',
      'PutConformancePack',
    ],
    guardduty: [
      'DeleteDetector',
      'UpdateDetector',
      'CreateFilter',
      'UpdateFilter',
      'DeleteFilter',
      'CreateIPSet',
      'UpdateIPSet',
      'DeleteIPSet',
      'DisassociateFromMasterAccount',
      'DisassociateFromAdministratorAccount',
      'DisassociateMembers',
      'DeleteMembers',
      'StopMonitoringMembers',
      'UpdateMalwareScanSettings',
    ],
    securityhub: [
      'DisableSecurityHub',
      'BatchDisableStandards',
      'DisableImportFindingsForProduct',
      'DisableOrganizationAdminAccount',
    ],
    'access-analyzer': ['DeleteAnalyzer', 'CreateArchiveRule', 'UpdateArchiveRule', 'DeleteArchiveRule'],
    ec2: [
      'AuthorizeSecurityGroupIngress',
      'AuthorizeSecurityGroupEgress',
      'RevokeSecurityGroupIngress',
      'RevokeSecurityGroupEgress',
      'CreateNetworkAclEntry',
      'ReplaceNetworkAclEntry',
      'DeleteNetworkAclEntry',
      'DeleteFlowLogs',
      'DisableEbsEncryptionByDefault',
      'EnableEbsEncryptionByDefault',
      'ModifyInstanceMetadataOptions',
    ],
    s3control: ['PutAccessPointPolicy', 'DeleteAccessPointPolicy'],
  },
  data_exposure: {
    // Public or cross-account exposure, and reads of secret material.
    s3: [
      'PutBucketAcl',
      'PutObjectAcl',
      'DeletePublicAccessBlock',
      'DeleteBucketPublicAccessBlock',
      'GetObject',
      'SelectObjectContent',
    ],
    s3control: ['DeletePublicAccessBlock'],
    ec2: ['GetPasswordData', 'CreateInstanceExportTask', 'ModifyImageAttribute'],
    rds: ['StartExportTask'],
    secretsmanager: ['GetSecretValue', 'BatchGetSecretValue'],
    dynamodb: ['ExportTableToPointInTime'],
    redshift: ['AuthorizeSnapshotAccess'],
    ram: ['CreateResourceShare', 'AssociateResourceShare'],
  },
  change_execution: {
    lambda: [
      'UpdateFunctionCode',
      'UpdateFunctionConfiguration',
      'CreateFunction',
      'DeleteFunction',
      'PublishVersion',
      'Invoke',
    ],
    ec2: ['RunInstances', 'StartInstances', 'StopInstances', 'TerminateInstances'],
    ssm: ['StartSession', 'ResumeSession', 'TerminateSession', 'SendCommand', 'StartAutomationExecution'],
  },
});

/** Event sources where every event is a sign-in step (console and Identity Center sign-in). */
const AUTH_SOURCES = new Set(['signin']);

/** The error codes that mean "not allowed" (the caller lacked permission), after a `Client.` prefix. */
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'UnauthorizedException',
  'AuthorizationError',
  'AuthorizationErrorException',
  'Forbidden',
  'ForbiddenException',
  'AccessDeniedError',
]);

export function isDenied(errorCode: string): boolean {
  if (DENIED.has(errorCode)) return true;
  const dot = errorCode.indexOf('.');
  return dot > 0 && DENIED.has(errorCode.slice(dot + 1));
}

/** Turning audit logging off (or blinding it): flagged as audit_disabled. */
const AUDIT_OFF = new Set([
  'cloudtrail:StopLogging',
  'cloudtrail:DeleteTrail',
  'cloudtrail:PutEventSelectors',
  'cloudtrail:StopEventDataStoreIngestion',
  'cloudtrail:DeleteEventDataStore',
  'config:StopConfigurationRecorder',
  'config:DeleteConfigurationRecorder',
  'config:DeleteDeliveryChannel',
]);

/** Read-style name prefixes, for old records (eventVersion < 1.01 style exports) without `readOnly`. */
const READ_PREFIXES = [
  'Describe',
  'Get',
  'List',
  'Head',
  'Lookup',
  'Search',
  'Scan',
  'Query',
  'BatchGet',
  'Check',
  'Preview',
  'View',
  'Select',
];

export function looksReadOnly(name: string): boolean {
  for (const p of READ_PREFIXES) {
    if (
      name.startsWith(p) &&
      (name.length === p.length || (name.charCodeAt(p.length) >= 65 && name.charCodeAt(p.length) <= 90))
    )
      return true;
  }
  return false;
}

export interface Classification {
  category: Category;
  /** The action turns audit logging off (or narrows it). */
  auditOff: boolean;
  /** How the category was decided: 'table', 'refined', 'read_only', 'read_only_inferred'. */
  basis: 'table' | 'refined' | 'read_only' | 'read_only_inferred';
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);

/**
 * Some names are exposure or not depending on their request: a snapshot shared with an account
 * (`restore` / `createVolumePermission` add) is exposure, removing one is a policy change; a public
 * access block switched off is exposure, switched on a policy change; SSM parameters read with
 * decryption are secret reads.
 */
function refine(key: string, rp: Obj | null): Category | null {
  switch (key) {
    case 'rds:ModifyDBSnapshotAttribute':
    case 'rds:ModifyDBClusterSnapshotAttribute': {
      // requestParameters.attributeName 'restore', valuesToAdd: the accounts (or 'all') given restore rights
      const add = rp?.valuesToAdd;
      return rp?.attributeName === 'restore' && Array.isArray(add) && add.length > 0
        ? 'data_exposure'
        : 'policy_change';
    }
    case 'ec2:ModifySnapshotAttribute': {
      // requestParameters.createVolumePermission.add.items: accounts/groups given the snapshot
      const add = obj(obj(rp?.createVolumePermission)?.add);
      const items = add?.items;
      return Array.isArray(items) && items.length > 0 ? 'data_exposure' : 'policy_change';
    }
    case 's3:PutBucketPublicAccessBlock':
    case 's3control:PutPublicAccessBlock':
    case 's3:PutAccountPublicAccessBlock': {
      // requestParameters.PublicAccessBlockConfiguration.{BlockPublicAcls,IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets}
      const c = obj(rp?.PublicAccessBlockConfiguration);
      if (!c) return 'policy_change';
      for (const k of ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets']) {
        if (c[k] === false || c[k] === 'false') return 'data_exposure';
      }
      return 'policy_change';
    }
    case 'ssm:GetParameter':
    case 'ssm:GetParameters':
    case 'ssm:GetParametersByPath':
      // requestParameters.withDecryption: SecureString values read in clear
      return rp?.withDecryption === true ? 'data_exposure' : null;
    default:
      return null;
  }
}
const REFINED = new Set([
  'rds:ModifyDBSnapshotAttribute',
  'rds:ModifyDBClusterSnapshotAttribute',
  'ec2:ModifySnapshotAttribute',
  's3:PutBucketPublicAccessBlock',
  's3control:PutPublicAccessBlock',
  's3:PutAccountPublicAccessBlock',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:GetParametersByPath',
]);

/**
 * Category for a CloudTrail record. `readOnly` is the record's own flag (true/false, or undefined
 * when the record has none: then the name decides, and the basis says it was inferred).
 */
export function classify(service: string, name: string, readOnly: boolean | undefined, rp: Obj | null): Classification {
  const key = `${service}:${name}`;
  const auditOff = AUDIT_OFF.has(key);
  if (REFINED.has(key)) {
    const c = refine(key, rp);
    if (c) return { category: c, auditOff, basis: 'refined' };
  }
  const t = TABLE.get(key);
  if (t) return { category: t, auditOff, basis: 'table' };
  if (AUTH_SOURCES.has(service)) return { category: 'authentication', auditOff, basis: 'table' };
  if (readOnly === undefined)
    return { category: looksReadOnly(name) ? 'other' : 'change_execution', auditOff, basis: 'read_only_inferred' };
  return { category: readOnly ? 'other' : 'change_execution', auditOff, basis: 'read_only' };
}
