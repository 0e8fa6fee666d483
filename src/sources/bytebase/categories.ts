// Which admin-activity category a Bytebase audit log entry belongs to, from its method
// (`/bytebase.v1.<Service>/<Method>`) and, where the method alone does not say, from its request
// and response: the issue type (grant request, export), the policy type (masking exemption), the
// setting name, whether a query returned a sensitive column unmasked, the SQL statement.
// The table is the documentation: README.md lists it (keep both in step).
// Services and methods: https://github.com/bytebase/bytebase/tree/main/proto/v1/v1 (*_service.proto)
import type { Category } from '../../event/build.js';
import type { AccessRequest } from '../../event/types.generated.js';
import { sqlCategory, sqlCommand } from '../../sql/classify.js';
import { arr, at, obj, str, type Json } from '../gcp-audit/payload.js';

/** Methods with a fixed category, by `<Service>/<Method>` (without the `/bytebase.v1.` prefix). */
export const METHOD_CATEGORIES: Record<string, Category> = {
  // Sign-in, token exchange and password resets: who got in, or tried to.
  'AuthService/Login': 'authentication',
  'AuthService/Logout': 'authentication',
  'AuthService/ExchangeToken': 'authentication',
  'AuthService/Refresh': 'authentication',
  'AuthService/SwitchWorkspace': 'authentication',
  'AuthService/RequestPasswordReset': 'authentication',
  'AuthService/ResetPassword': 'authentication',
  'AuthService/SendEmailLoginCode': 'authentication',
  // SSO: the identity providers people sign in through.
  'IdentityProviderService/CreateIdentityProvider': 'authentication',
  'IdentityProviderService/UpdateIdentityProvider': 'authentication',
  'IdentityProviderService/DeleteIdentityProvider': 'authentication',
  // Who may do what: IAM policies, roles, groups, accounts.
  'WorkspaceService/SetIamPolicy': 'permission_change',
  'ProjectService/SetIamPolicy': 'permission_change',
  'RoleService/CreateRole': 'permission_change',
  'RoleService/UpdateRole': 'permission_change',
  'RoleService/DeleteRole': 'permission_change',
  'GroupService/CreateGroup': 'permission_change',
  'GroupService/UpdateGroup': 'permission_change',
  'GroupService/DeleteGroup': 'permission_change',
  'UserService/CreateUser': 'permission_change',
  'UserService/UpdateUser': 'permission_change', // 2FA and password updates: authentication (below)
  'UserService/DeleteUser': 'permission_change',
  'UserService/UndeleteUser': 'permission_change',
  'UserService/UpdateEmail': 'permission_change',
  'AuthService/Signup': 'permission_change',
  'ServiceAccountService/CreateServiceAccount': 'permission_change',
  'ServiceAccountService/UpdateServiceAccount': 'permission_change',
  'ServiceAccountService/DeleteServiceAccount': 'permission_change',
  'ServiceAccountService/UndeleteServiceAccount': 'permission_change',
  'WorkloadIdentityService/CreateWorkloadIdentity': 'permission_change',
  'WorkloadIdentityService/UpdateWorkloadIdentity': 'permission_change',
  'WorkloadIdentityService/DeleteWorkloadIdentity': 'permission_change',
  'WorkloadIdentityService/UndeleteWorkloadIdentity': 'permission_change',
  'WorkspaceService/RotateDirectorySyncToken': 'permission_change',
  // Guardrails: org policies, settings (SQL review, masking, approval flows, classification,
  // allowlists, watermark, profile), SQL review configs, risk rules, column classification.
  'OrgPolicyService/CreatePolicy': 'policy_change', // MASKING_EXCEPTION policies: data_exposure (below)
  'OrgPolicyService/UpdatePolicy': 'policy_change',
  'OrgPolicyService/DeletePolicy': 'policy_change',
  'SettingService/UpdateSetting': 'policy_change',
  'ReviewConfigService/CreateReviewConfig': 'policy_change',
  'ReviewConfigService/UpdateReviewConfig': 'policy_change',
  'ReviewConfigService/DeleteReviewConfig': 'policy_change',
  'RiskService/CreateRisk': 'policy_change',
  'RiskService/UpdateRisk': 'policy_change',
  'RiskService/DeleteRisk': 'policy_change',
  'DatabaseCatalogService/UpdateDatabaseCatalog': 'policy_change',
  // Approvals and just-in-time access.
  'IssueService/ApproveIssue': 'access_request',
  'IssueService/RejectIssue': 'access_request',
  'IssueService/RequestIssue': 'access_request',
  'AccessGrantService/CreateAccessGrant': 'access_request',
  'AccessGrantService/ActivateAccessGrant': 'access_request',
  'AccessGrantService/RevokeAccessGrant': 'access_request',
  // Data leaving the databases.
  'SQLService/Export': 'data_exposure',
  'AuditLogService/ExportAuditLogs': 'data_exposure',
  // Changes run against databases: plans, issues, rollouts, tasks, admin-mode SQL.
  'PlanService/CreatePlan': 'change_execution',
  'PlanService/UpdatePlan': 'change_execution',
  'PlanService/RunPlanChecks': 'change_execution',
  'IssueService/CreateIssue': 'change_execution', // GRANT_REQUEST / DATABASE_EXPORT issues: access_request (below)
  'RolloutService/CreateRollout': 'change_execution',
  'RolloutService/BatchRunTasks': 'change_execution',
  'RolloutService/BatchSkipTasks': 'change_execution',
  'RolloutService/BatchCancelTaskRuns': 'change_execution',
  'SQLService/AdminExecute': 'change_execution',
};

/** Method names that only read (the rest of the writes are admin writes: change_execution). */
const READ_ONLY = /^(Get|List|Search|BatchGet|Check|Diff|Preview|Test|Validate|Parse|Query|Stream|Export$)/;

export interface Classification {
  category: Category;
  /** Why, when not from the table: one phrase for details.category_reason. */
  reason: string | null;
  access_request: (Partial<AccessRequest> & Pick<AccessRequest, 'state'>) | null;
  /** Privilege reasons beyond the category's own (break_glass for admin mode). */
  extra: string[];
  details: Json;
}

export interface ClassifyInput {
  /** `<Service>/<Method>` for /bytebase.v1. methods, else null. */
  key: string | null;
  leaf: string | null;
  request: Json | null;
  response: Json | null;
  statement: string | null;
  actor: string | null;
}

/** Grant-request and export issue types (IssueService Issue.Type). */
const ACCESS_ISSUE_TYPES = new Set(['GRANT_REQUEST', 'DATABASE_EXPORT', 'DATABASE_DATA_EXPORT']);

/**
 * A method-specific rule: `applies` picks the methods it reads (`fixed` is the method's category
 * in the table, if any); `decide` may add details and returns true when it settled the category.
 */
interface Rule {
  applies(key: string, fixed: Category | undefined): boolean;
  decide(c: ClassifyInput, out: Classification): boolean;
}

/** The rules, in the order they are tried; the first that decides wins, else the table or the fallbacks. */
const RULES: Rule[] = [
  { applies: (k) => k === 'UserService/UpdateUser', decide: signInFactors },
  { applies: (k) => k === 'AuthService/Login', decide: loginDetails },
  { applies: (k) => k === 'IssueService/CreateIssue', decide: accessIssueCreated },
  {
    applies: (k) =>
      k === 'IssueService/ApproveIssue' || k === 'IssueService/RejectIssue' || k === 'IssueService/RequestIssue',
    decide: issueDecision,
  },
  { applies: (k, fixed) => k.startsWith('AccessGrantService/') && fixed !== undefined, decide: accessGrant },
  { applies: (k) => k.startsWith('OrgPolicyService/'), decide: maskingExemption },
  { applies: (k) => k === 'SettingService/UpdateSetting', decide: settingName },
  { applies: (k) => k === 'SheetService/CreateSheet' || k.startsWith('WorksheetService/'), decide: worksheetShared },
  { applies: (k) => k === 'SQLService/Query' || k === 'SQLService/AdminExecute', decide: sqlEditor },
];

export function classify(c: ClassifyInput): Classification {
  const out: Classification = { category: 'other', reason: null, access_request: null, extra: [], details: {} };
  const fixed = c.key ? METHOD_CATEGORIES[c.key] : undefined;
  if (c.key) for (const rule of RULES) if (rule.applies(c.key, fixed) && rule.decide(c, out)) return out;
  if (fixed) {
    out.category = fixed;
    return out;
  }
  if (!c.leaf) {
    out.reason = 'no method';
    return out;
  }
  if (!c.key) {
    out.reason = 'not a /bytebase.v1. API method';
    return out;
  }
  if (READ_ONLY.test(c.leaf)) {
    out.reason = 'read-only method';
    return out;
  }
  out.category = 'change_execution';
  out.reason = 'other administrative write';
  return out;
}

/** updateMask "mfa_enabled", "password", "otp_code", "recovery_codes": sign-in factors (2FA). */
function signInFactors(c: ClassifyInput, out: Classification): boolean {
  const req = c.request;
  const mask = String(req?.['updateMask'] ?? '').toLowerCase();
  if (
    /mfa|otp|recovery|password/.test(mask) ||
    req?.['otpCode'] !== undefined ||
    req?.['regenerateRecoveryCodes'] !== undefined
  ) {
    out.category = 'authentication';
    out.reason = `user sign-in factors changed (updateMask ${mask || 'not given'})`;
    return true;
  }
  return false;
}

function loginDetails(c: ClassifyInput, out: Classification): boolean {
  const req = c.request;
  const idp = str(req?.['idpName']);
  if (idp) out.details['identity_provider'] = idp; // SSO sign-in
  if (req?.['otpCode'] !== undefined || req?.['recoveryCode'] !== undefined || req?.['mfaTempToken'] !== undefined)
    out.details['mfa'] = true;
  return false;
}

function accessIssueCreated(c: ClassifyInput, out: Classification): boolean {
  const issue = obj(c.request?.['issue']);
  const type = str(issue?.['type']);
  if (type) out.details['issue_type'] = type;
  if (!type || !ACCESS_ISSUE_TYPES.has(type)) return false;
  out.category = 'access_request';
  out.reason = `${type} issue created`;
  out.access_request = {
    state: 'requested',
    requester: c.actor,
    justification: str(issue?.['description']) ?? str(issue?.['title']),
    entitlement: type === 'GRANT_REQUEST' ? (str(at(issue, 'grantRequest', 'role')) ?? type) : type,
    expires: str(at(issue, 'grantRequest', 'expiration')) ?? str(at(issue, 'grantRequest', 'expireTime')),
  };
  return true;
}

function issueDecision(c: ClassifyInput, out: Classification): boolean {
  const key = c.key ?? '';
  const res = c.response;
  const state = key.endsWith('ApproveIssue') ? 'approved' : key.endsWith('RejectIssue') ? 'denied' : 'requested';
  const type = str(res?.['type']);
  if (type) out.details['issue_type'] = type;
  out.category = 'access_request';
  out.access_request = {
    state,
    approver: state === 'requested' ? null : c.actor,
    requester: state === 'requested' ? c.actor : (str(res?.['creator'])?.replace(/^users\//, '') ?? null),
    justification: str(c.request?.['comment']),
    entitlement: type === 'GRANT_REQUEST' ? (str(at(res, 'grantRequest', 'role')) ?? type) : type,
  };
  return true;
}

function accessGrant(c: ClassifyInput, out: Classification): boolean {
  const key = c.key ?? '';
  const grant = obj(c.request?.['accessGrant']) ?? c.response;
  const state = key.endsWith('CreateAccessGrant')
    ? 'requested'
    : key.endsWith('ActivateAccessGrant')
      ? 'activated'
      : 'revoked';
  out.category = 'access_request';
  out.access_request = {
    state,
    requester: state === 'requested' ? c.actor : (str(grant?.['creator'])?.replace(/^users\//, '') ?? null),
    approver: state === 'requested' ? null : c.actor,
    justification: str(grant?.['reason']),
    expires: str(grant?.['expireTime']) ?? str(grant?.['ttl']),
    entitlement:
      [
        grant?.['unmask'] === true ? 'unmask' : null,
        grant?.['export'] === true ? 'export' : null,
        str(grant?.['query']) ? 'query' : null,
      ]
        .filter(Boolean)
        .join('+') || null,
  };
  if (grant?.['unmask'] === true || grant?.['export'] === true) out.details['grants_data_access'] = true;
  return true;
}

function maskingExemption(c: ClassifyInput, out: Classification): boolean {
  const policy = obj(c.request?.['policy']) ?? c.response;
  const type = str(policy?.['type']);
  if (type) out.details['policy_type'] = type;
  if (type !== 'MASKING_EXCEPTION' && type !== 'MASKING_EXEMPTION') return false;
  out.category = 'data_exposure';
  out.reason = 'masking exemption: named users see sensitive data unmasked';
  out.extra.push('admin_action');
  return true;
}

function settingName(c: ClassifyInput, out: Classification): boolean {
  const name = str(at(c.request, 'setting', 'name'));
  if (name) out.details['setting'] = name.replace(/^settings\//, '');
  return false;
}

/** A worksheet shared with the project or made public: the SQL (and what it reveals) is shared. */
function worksheetShared(c: ClassifyInput, out: Classification): boolean {
  const req = c.request;
  const v = str(at(req, 'worksheet', 'visibility')) ?? str(at(req, 'sheet', 'visibility'));
  if (!v || v === 'PRIVATE' || /PRIVATE$/.test(v)) return false;
  out.category = 'data_exposure';
  out.reason = `worksheet shared (visibility ${v})`;
  out.details['visibility'] = v;
  return true;
}

/** Sensitive columns returned without masking are exposure; so are statements that export. */
function sqlEditor(c: ClassifyInput, out: Classification): boolean {
  const unmasked = unmaskedColumns(c.response);
  const cmd = sqlCommand(c.statement ?? '');
  if (cmd) out.details['sql_command'] = cmd;
  if (c.key === 'SQLService/AdminExecute') {
    out.category = 'change_execution';
    out.reason = 'admin mode: SQL run directly, outside the review and approval flow';
    out.extra.push('admin_action', 'break_glass');
    out.details['admin_mode'] = true;
    if (unmasked.length) out.details['unmasked_sensitive_columns'] = unmasked;
    return true;
  }
  if (unmasked.length) {
    out.category = 'data_exposure';
    out.reason = 'the query returned sensitive columns unmasked';
    out.details['unmasked_sensitive_columns'] = unmasked;
    return true;
  }
  const sqlCat = c.statement ? sqlCategory(cmd, c.statement) : 'other';
  if (sqlCat === 'data_exposure') {
    out.category = 'data_exposure';
    out.reason = 'the statement exports data';
    return true;
  }
  out.category = 'other';
  out.reason = 'read-only query in the SQL editor; no sensitive column was returned unmasked';
  return true;
}

/** The names of sensitive columns a query returned without masking. */
function unmaskedColumns(res: Json | null): string[] {
  const unmasked: string[] = [];
  for (const r of arr(res?.['results'])) {
    const ro = obj(r);
    const names = arr(ro?.['columnNames']);
    const sensitive = arr(ro?.['sensitive']);
    const masked = arr(ro?.['masked']);
    sensitive.forEach((s, i) => {
      if (s === true && masked[i] !== true) unmasked.push(String(names[i] ?? `#${i + 1}`));
    });
  }
  return unmasked;
}
