// Maps a CloudTrail `userIdentity` element to the event's user. Field meanings from
//   https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
// (types Root, IAMUser, AssumedRole, FederatedUser, AWSAccount, AWSService, SAMLUser,
// WebIdentityUser, IdentityCenterUser, Unknown) and, for sign-in, from
//   https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
import type { User } from '../../event/types.generated.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** What CloudTrail writes in `userName` for a failed sign-in whose user name it will not record. */
export const HIDDEN_USER = 'HIDDEN_DUE_TO_SECURITY_REASONS';

export interface IdentityResult {
  user: Partial<User> | undefined;
  /** userIdentity.type is Root: a privileged identity by definition. */
  root: boolean;
  /** snake_case facts for event.details. */
  details: Record<string, unknown>;
  /** Why the user name is null, when it is (for a run note). */
  missing: string | null;
}

/** The session name of an assumed-role ARN `arn:aws:sts::acct:assumed-role/Role/session`. */
function sessionName(arn: string | null, principalId: string | null): string | null {
  if (arn) {
    const i = arn.indexOf(':assumed-role/');
    if (i >= 0) {
      const j = arn.indexOf('/', i + ':assumed-role/'.length);
      if (j >= 0) return arn.slice(j + 1) || null;
    }
  }
  if (principalId) {
    const k = principalId.indexOf(':');
    if (k >= 0) return principalId.slice(k + 1) || null;
  }
  return null;
}

/** The user fields mapIdentity decides: made once per record, filled in by the helpers below. */
type Principal = Pick<User, 'name' | 'type' | 'id' | 'session_user' | 'role' | 'authenticated_by' | 'delegation'>;

/** MFA: the session's mfaAuthenticated attribute, or ConsoleLogin's additionalEventData.MFAUsed. */
function mfaOf(attrs: Obj | null, aed: Obj | null): boolean | null {
  let mfa: boolean | null = null;
  const mfaAttr = attrs?.mfaAuthenticated;
  if (mfaAttr === 'true' || mfaAttr === true) mfa = true;
  else if (mfaAttr === 'false' || mfaAttr === false) mfa = false;
  const mfaUsed = aed?.MFAUsed;
  if (mfaUsed === 'Yes') mfa = true;
  else if (mfaUsed === 'No' && mfa === null) mfa = false;
  return mfa;
}

/** How the caller authenticated: the access key that signed the request, or the console sign-in. */
function authenticatedByOf(
  eventName: string,
  type: string | null,
  ui: Obj,
  aed: Obj | null,
  mfa: boolean | null,
): string | null {
  const accessKeyId = str(ui.accessKeyId); // userIdentity.accessKeyId
  let authenticatedBy: string | null = null;
  if (eventName === 'ConsoleLogin') {
    authenticatedBy = str(aed?.SamlProviderArn) ? 'saml' : 'console_password';
  } else if (type === 'SAMLUser') authenticatedBy = 'saml';
  else if (type === 'WebIdentityUser') authenticatedBy = 'web_identity';
  else if (accessKeyId) authenticatedBy = `access_key:${accessKeyId}`;
  else if (type === 'IdentityCenterUser') authenticatedBy = 'identity_center';
  if (authenticatedBy && mfa === true) authenticatedBy += '+mfa';
  return authenticatedBy;
}

/** userIdentity.type AssumedRole: an STS session of the role named in sessionContext.sessionIssuer. */
function assumedRole(
  u: Principal,
  details: Record<string, unknown>,
  ui: Obj,
  sc: Obj | null,
  arn: string | null,
  principalId: string | null,
  issuerArn: string | null,
  obUser: string | null,
): void {
  u.name = arn ?? principalId;
  u.id = principalId;
  u.role = issuerArn;
  const s = sessionName(arn, principalId);
  if (s) details.session_name = s;
  // The person behind the session when STS recorded one: source identity, or the Identity Center user.
  u.session_user = str(sc?.sourceIdentity) ?? str(ui.sourceIdentity) ?? obUser;
  // EC2 instance-profile credentials: the caller is the workload on the instance.
  if (sc && sc.ec2RoleDelivery !== undefined) {
    u.type = 'service';
    details.ec2_role_delivery = sc.ec2RoleDelivery;
  }
  // A service-linked role (sessionIssuer.arn under role/aws-service-role/) is only ever assumed by
  // the AWS service it belongs to: the caller is that service, as for userIdentity.type AWSService.
  else if (issuerArn && issuerArn.includes(':role/aws-service-role/')) u.type = 'service';
  else if (obUser) u.type = 'human';
}

/**
 * userIdentity.type SAMLUser / WebIdentityUser (AssumeRoleWithSAML / AssumeRoleWithWebIdentity):
 * userName is saml:sub or the provider's user id; the response repeats the subject.
 */
function samlOrWebIdentity(
  u: Principal,
  details: Record<string, unknown>,
  rec: Obj,
  ui: Obj,
  type: string,
  userName: string | null,
  principalId: string | null,
): void {
  const re = obj(rec.responseElements);
  u.name = userName ?? str(re?.subject) ?? str(re?.subjectFromWebIdentityToken) ?? principalId;
  u.id = principalId;
  // SAML sign-in is made for people; web identity is as often a workload (CI OIDC tokens).
  u.type = type === 'SAMLUser' ? 'human' : 'unknown';
  const idp = str(ui.identityProvider) ?? str(re?.issuer) ?? str(re?.provider);
  if (idp) details.identity_provider = idp;
}

/**
 * The principal by userIdentity.type: name, id, type, role and session user, and the facts that
 * go with that type. `userName` is null when CloudTrail hid it.
 */
function principalByType(
  u: Principal,
  details: Record<string, unknown>,
  rec: Obj,
  ui: Obj,
  type: string | null,
  userName: string | null,
  arn: string | null,
  principalId: string | null,
  invokedBy: string | null,
  sc: Obj | null,
  issuerArn: string | null,
  onBehalfOf: Obj | null,
  obUser: string | null,
): void {
  switch (type) {
    case 'IAMUser':
      u.name = userName ?? arn;
      u.id = arn ?? principalId;
      u.type = 'human';
      break;
    case 'Root':
      // userName holds the account alias when one is set; the ARN names the root user itself.
      u.name = arn ?? principalId;
      u.id = principalId;
      u.type = 'root';
      if (userName) details.account_alias = userName;
      break;
    case 'AssumedRole':
      assumedRole(u, details, ui, sc, arn, principalId, issuerArn, obUser);
      break;
    case 'FederatedUser':
      // GetFederationToken sessions: the issuer is the IAM user (or root) that asked for the token.
      u.name = arn ?? principalId;
      u.id = principalId;
      u.session_user = issuerArn;
      u.type = 'human';
      break;
    case 'SAMLUser':
    case 'WebIdentityUser':
      samlOrWebIdentity(u, details, rec, ui, type, userName, principalId);
      break;
    case 'AWSService':
      u.name = invokedBy ?? principalId;
      u.id = principalId;
      u.type = 'service';
      break;
    case 'AWSAccount': {
      // Cross-account call: CloudTrail gives the caller's principal id and account only.
      const accountId = str(ui.accountId); // userIdentity.accountId
      u.name = principalId ?? accountId;
      u.id = principalId;
      if (accountId) details.caller_account = accountId;
      break;
    }
    case 'IdentityCenterUser':
      u.name = obUser ?? userName ?? principalId;
      u.id = obUser;
      u.type = 'human';
      if (onBehalfOf && str(onBehalfOf.identityStoreArn)) details.identity_store_arn = onBehalfOf.identityStoreArn;
      if (str(ui.credentialId)) details.credential_id = ui.credentialId;
      break;
    default:
      // 'Unknown' (Identity Center sign-in steps, some service calls) and future types.
      u.name = userName ?? arn ?? principalId;
      u.id = principalId ?? arn;
      break;
  }
}

/**
 * `rec` is the whole record: AssumeRoleWithSAML / WithWebIdentity and ConsoleLogin name the
 * principal or the sign-in method in the request, response or additionalEventData.
 */
export function mapIdentity(rec: Obj, eventName: string): IdentityResult {
  const ui = obj(rec.userIdentity);
  const details: Record<string, unknown> = {};
  if (!ui) {
    return {
      user: undefined,
      root: false,
      details,
      missing: 'the record has no userIdentity element (AWS service events, Insights events)',
    };
  }
  const type = str(ui.type);
  details.user_identity_type = type;
  const arn = str(ui.arn); // userIdentity.arn
  const principalId = str(ui.principalId); // userIdentity.principalId
  let userName = str(ui.userName); // userIdentity.userName
  const invokedBy = str(ui.invokedBy); // userIdentity.invokedBy: the AWS service that made the call
  const sc = obj(ui.sessionContext); // userIdentity.sessionContext
  const issuer = obj(sc?.sessionIssuer); // sessionContext.sessionIssuer (empty {} for console IAM users)
  const issuerArn = str(issuer?.arn);
  const issuerType = str(issuer?.type);
  const onBehalfOf = obj(ui.onBehalfOf); // Identity Center user the call was made for
  const obUser = str(onBehalfOf?.userId);

  if (userName === HIDDEN_USER) {
    details.user_name_hidden = true;
    userName = null;
  }

  const aed = obj(rec.additionalEventData);
  // sessionContext.attributes.mfaAuthenticated, creationDate
  const mfa = mfaOf(obj(sc?.attributes), aed);
  if (mfa !== null) details.mfa = mfa;

  const delegation: string[] = [];
  if (invokedBy) {
    delegation.push(invokedBy);
    details.invoked_by = invokedBy;
  }
  const u: Principal = {
    name: null,
    type: 'unknown',
    id: null,
    session_user: null,
    role: null,
    authenticated_by: authenticatedByOf(eventName, type, ui, aed, mfa),
    delegation,
  };
  principalByType(u, details, rec, ui, type, userName, arn, principalId, invokedBy, sc, issuerArn, onBehalfOf, obUser);

  if (onBehalfOf && type !== 'IdentityCenterUser' && obUser) {
    details.on_behalf_of = obUser;
    if (str(onBehalfOf.identityStoreArn)) details.identity_store_arn = onBehalfOf.identityStoreArn;
  }
  if (issuerArn) details.session_issuer = issuerArn;
  if (issuerType && type !== 'AssumedRole') details.session_issuer_type = issuerType;
  if (details.user_name_hidden && u.name === null) u.type = 'unknown';
  let missing: string | null = null;
  if (u.name === null) {
    missing = details.user_name_hidden
      ? `CloudTrail hides the user name of a failed sign-in (userName ${HIDDEN_USER})`
      : `the userIdentity element (type ${type ?? 'absent'}) names no principal`;
  }
  return { user: u, root: type === 'Root', details, missing };
}
