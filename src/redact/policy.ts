// The redaction policy: which names hold secrets, in one place and one table (README "What is
// redacted" is generated from the same rules; test/redact/policy.test.ts keeps them in step).
//
// A member or column name is compared in normalized form: lower case, separators (_ - . space)
// removed, so `DB_PASSWORD`, `dbPassword` and `db-password` are one name. A name is a secret when
// it contains one of SECRET_WORDS (or is one of EXACT_SECRET_NAMES), unless it is on ALLOWED_NAMES
// or ends with one of METADATA_SUFFIXES (`passwordLastUsed`, `tokenType`, `accessKeyId`,
// `secretArn`: facts about a secret an auditor needs, not the secret).

export const REDACTED = '<REDACTED>';

/**
 * Version of the rules below. Recorded in every bundle's manifest (predicate.redaction) so a reader
 * knows which rules the kept text went through. Bump it whenever a rule changes what is redacted.
 */
export const POLICY_VERSION = '2';

export interface RuleRow {
  rule: string;
  matches: string;
  examples: string;
}

/** Substrings of a normalized name that make it a secret. */
export const SECRET_WORDS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'pwd',
  'secret',
  'token',
  'credential',
  'privatekey',
  'apikey',
  'accesskey',
  'secretkey',
  'sessionkey',
  'signingkey',
  'sharedkey',
  'masterkey',
  'encryptionkey',
  'hmackey',
  'accountkey',
  'sslkey',
  'connectionstring',
  'connstring',
  'connstr',
  'cookie',
  'authkey',
  'authstring',
  'authenticationstring',
  'authorization',
];
/** Whole normalized names that are secrets although they contain none of the words. */
export const EXACT_SECRET_NAMES: readonly string[] = [
  'auth',
  'pass',
  'pw',
  'dsn',
  'databaseurl',
  'dburl',
  'basicauth',
  'httpauth',
  'proxyauth',
];
/** Names that look like secrets but hold identifiers or facts auditors need. */
export const ALLOWED_NAMES: readonly string[] = [
  'accesskeyid',
  'tokentype',
  'passwordlastused',
  'passwordlastchanged',
  'passwordresetrequired',
  'passwordpolicy',
  'clienttoken',
  'nexttoken',
  'pagetoken',
  'nextpagetoken',
  'paginationtoken',
  'continuationtoken',
  'idempotencytoken',
  'sessioncredentialfromconsole',
  'credentialscope',
  'authorizationinfo',
  'authenticationinfo',
  'keyid',
  'keyname',
  'tokenissuer',
  'credentialprovider',
  'secretsmanager',
  'passwordreusepolicy',
  'passwordexpired',
  'passwordlifetime',
  'tokencount',
  'inputtokens',
  'outputtokens',
  'totaltokens',
  'authorizationmode',
  'passwordencryption',
  'tokenendpoint',
  'tokenurl',
  'tokenuri',
  'credentialprocess',
];
/** Endings of a name that describe a secret rather than hold it (`...Id`, `...Arn`, `...Type`, ...). */
export const METADATA_SUFFIXES: readonly string[] = [
  'id',
  'ids',
  'arn',
  'arns',
  'name',
  'names',
  'type',
  'types',
  'version',
  'versions',
  'versionid',
  'stage',
  'stages',
  'expiration',
  'expiry',
  'expires',
  'expiresat',
  'expiresin',
  'expirationtime',
  'expirationdate',
  'lastused',
  'lastuseddate',
  'lastchanged',
  'lastrotated',
  'lastrotateddate',
  'lastaccessed',
  'lastset',
  'createddate',
  'creationdate',
  'count',
  'length',
  'enabled',
  'required',
  'policy',
  'policies',
  'status',
  'state',
  'kind',
  'format',
  'algorithm',
  'age',
  'ttl',
  'lifetime',
  'duration',
  'source',
  'location',
  'path',
  'file',
  'uri',
  'present',
  'exists',
  'rotation',
  'rotationenabled',
  'rotationrules',
  'region',
  'issuer',
  'scope',
  'scopes',
  'fingerprint',
  'label',
  'labels',
  'mode',
  'hint',
  'description',
  'tags',
  'encryption',
  'history',
  'interval',
  'reuseinterval',
  'requirecurrent',
  'minlength',
  'maxlength',
  'complexity',
  'changed',
  'changedate',
  'reset',
  'resetrequired',
  'verified',
  'validuntil',
  'lock',
  'locked',
  'attempts',
  'timeout',
  'endpoint',
  'challenge',
  'date',
  'time',
  'timestamp',
  'created',
  'updated',
  'method',
  'provider',
  'service',
  'protocol',
];

/** The rules as one table (README "What is redacted"). */
export const RULES: readonly RuleRow[] = [
  {
    rule: 'JSON member (any depth, any source)',
    matches:
      'normalized name contains one of: ' +
      SECRET_WORDS.join(', ') +
      '; or is one of: ' +
      EXACT_SECRET_NAMES.join(', '),
    examples:
      '`masterUserPassword`, `DB_PASSWORD`, `SecretString`, `aws_secret_access_key`, `sessionToken`, `privateKeyData`, `Authorization`',
  },
  {
    rule: 'JSON member: not a secret',
    matches:
      'on the allow list (' +
      ALLOWED_NAMES.slice(0, 8).join(', ') +
      ', ...) or ending in a metadata word (Id, Arn, Name, Type, Version, Expiration, LastUsed, ...)',
    examples: '`accessKeyId`, `tokenType`, `passwordLastUsed`, `secretArn`, `clientToken`, `nextToken`',
  },
  {
    rule: 'JSON container under a secret name',
    matches: 'every string inside is redacted except metadata-named members',
    examples: '`credentials: {accessKeyId (kept), sessionToken, secretAccessKey}`',
  },
  {
    rule: 'SSM SecureString',
    matches: '`value` of an object whose `type` is `SecureString`',
    examples: 'PutParameter requestParameters',
  },
  {
    rule: 'JSON inside a string',
    matches: 'a string value that holds a JSON object or array is redacted by these rules and re-encoded',
    examples: 'LookupEvents `CloudTrailEvent`, request/response bodies',
  },
  {
    rule: 'SQL: password literals',
    matches:
      'the string literal after any secret-named word or quoted identifier (PASSWORD, sslpassword, sslkey, MASTER_PASSWORD, a password column in WHERE ... = ...; comments, `=` and `(` between are skipped); every literal after IDENTIFIED (BY, WITH plugin BY|AS, VIA ... USING, REPLACE) but the plugin name; every literal after `=` in SET PASSWORD; the OPTIONS of CREATE/ALTER USER MAPPING but user names; CONNECTION (CREATE/ALTER SUBSCRIPTION); the arguments of dblink_connect(_u); `password=` inside any literal (conninfo)',
    examples: "`ALTER ROLE a PASSWORD /*c*/ 'x'`, `IDENTIFIED BY 'n' REPLACE 'o'`, `OPTIONS (user 'u', password 'x')`",
  },
  {
    rule: 'SQL: cannot be tokenized',
    matches: 'every string literal in the statement',
    examples: 'an unterminated quote or dollar quote',
  },
  {
    rule: 'SQL parameters',
    matches:
      'pgaudit PARAMETER values when the statement names a column or function matching the name rules (all of them with `redact.parameters: all`)',
    examples: '`INSERT INTO users (name, pw) VALUES ($1, $2)`',
  },
  {
    rule: 'Free text',
    matches:
      '`NAME=value`, `NAME: value`, `--name value`, `--name=value` where NAME matches the name rules; `-p<value>` after mysql/mysqldump; `scheme://user:secret@`; `Bearer`/`Basic` credentials',
    examples: '`export PGPASSWORD=x`, `mysql -u root -px`, `--password hunter2`',
  },
  {
    rule: 'Configured',
    matches:
      '`redact.extra_names` (normalized like the above), `redact.extra_patterns` (regular expressions over the original member name)',
    examples: '`extra_names: [pin, otp]`',
  },
];

export interface RedactionSettings {
  /** Extra names, compared normalized (separators ignored, case-insensitive). */
  extra_names?: string[];
  /** Extra regular expressions (source text, case-insensitive) over the original name. */
  extra_patterns?: string[];
  /** 'matching' (default): redact parameters when the statement touches a secret name; 'all': drop them all. */
  parameters?: 'matching' | 'all';
}

export interface Policy {
  extraNames: Set<string>;
  extraPatterns: RegExp[];
  parameters: 'matching' | 'all';
}

const DEFAULT: Policy = { extraNames: new Set(), extraPatterns: [], parameters: 'matching' };
let active: Policy = DEFAULT;
let cache = new Map<string, boolean>();

/** Normalizes a name: lower case, separators removed. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[\s_.\-/:]+/g, '');
}

/** Validates settings and returns a policy, or throws with one sentence. */
export function makePolicy(s: RedactionSettings | null | undefined): Policy {
  if (!s) return DEFAULT;
  const extraNames = new Set((s.extra_names ?? []).map(normalizeName).filter((n) => n !== ''));
  const extraPatterns = (s.extra_patterns ?? []).map((p) => {
    try {
      return new RegExp(p, 'i');
    } catch (e) {
      throw new Error(`redact.extra_patterns: '${p}' is not a valid regular expression (${(e as Error).message})`);
    }
  });
  const parameters = s.parameters ?? 'matching';
  if (parameters !== 'matching' && parameters !== 'all')
    throw new Error(`redact.parameters must be 'matching' or 'all', not '${String(parameters)}'`);
  return { extraNames, extraPatterns, parameters };
}

/** Makes `p` the policy of the runs that follow (a run sets it at its start). */
export function setPolicy(p: Policy | null): void {
  const next = p ?? DEFAULT;
  if (next !== active) {
    active = next;
    cache = new Map();
  }
}

export function activePolicy(): Policy {
  return active;
}

/** Whether configured names or patterns are in force (then text gates, which know only the built-in words, are bypassed). */
export function extrasActive(): boolean {
  return active.extraNames.size > 0 || active.extraPatterns.length > 0;
}

/** A digest of the configured additions, for the manifest (null when none). */
export function policyAdditions(p: Policy = active): {
  extra_names: string[];
  extra_patterns: string[];
  parameters: 'matching' | 'all';
} {
  return {
    extra_names: [...p.extraNames].sort(),
    extra_patterns: p.extraPatterns.map((r) => r.source),
    parameters: p.parameters,
  };
}

const WORDS_RE = new RegExp(SECRET_WORDS.join('|'));
const EXACT = new Set(EXACT_SECRET_NAMES);
const ALLOWED = new Set(ALLOWED_NAMES);
const SUFFIX_RE = new RegExp(
  `(?:${METADATA_SUFFIXES.slice()
    .sort((a, b) => b.length - a.length)
    .join('|')})$`,
);

/** AWS unique ids: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids */
const AWS_UNIQUE_ID = /^(?:ABIA|ACCA|AGPA|AIDA|AIPA|AKIA|ANPA|ANVA|APKA|AROA|ASCA|ASIA)[A-Z0-9]{12,28}$/;

function decide(name: string): boolean {
  const n = normalizeName(name);
  if (n === '') return false;
  if (active.extraNames.has(n)) return true;
  for (const r of active.extraPatterns) if (r.test(name)) return true;
  if (ALLOWED.has(n)) return false;
  if (EXACT.has(n)) return true;
  // An AWS unique id (AROA… role, AIDA… user, AKIA/ASIA… access key id) is a name in
  // 'AROA…:session' (CloudTrail's principalId), never a variable holding a secret, though its
  // random letters can spell one ('AROAIXVL5YF4JKVPWD4DL:deploy-bot@example.com' lost its session name).
  if (AWS_UNIQUE_ID.test(name)) return false;
  const m = WORDS_RE.exec(n);
  if (!m) return false;
  // The secret word itself may end the name ('password', 'apitoken'); otherwise a metadata ending
  // after it ('passwordLastUsed', 'secretArn', 'accessKeyId') makes it a fact about the secret.
  const rest = n.slice(m.index + m[0].length);
  if (rest === '' || rest === 's') return true;
  return !SUFFIX_RE.test(rest);
}

/** Whether a member / column / variable name holds a secret. Memoized per policy. */
export function isSecretName(name: string): boolean {
  let v = cache.get(name);
  if (v === undefined) {
    v = decide(name);
    if (cache.size > 50_000) cache = new Map();
    cache.set(name, v);
  }
  return v;
}

/** Names that describe a secret inside a secret-named container (kept): metadata endings, allow list. */
export function isMetadataName(name: string): boolean {
  const n = normalizeName(name);
  return ALLOWED.has(n) || SUFFIX_RE.test(n) || n === 'username' || n === 'user';
}
