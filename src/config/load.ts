// Loads and validates the collect configuration (YAML or JSON) against schemas/config.schema.json
// with the process's one ajv instance. A problem becomes one sentence naming the file and the key
// path (sources[1].paths), never a dump of schema errors.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { getAjv, packageFile } from '../event/schema.js';
import { sha256Hex } from '../event/hash.js';
import { isValidZone } from '../event/time.js';
import type { Roster, RosterEntry } from '../privilege/roster.js';
import { DEFAULT_RETENTION_MIN_DAYS } from '../retention/types.js';
import { makePolicy, type RedactionSettings } from '../redact/policy.js';
import type { SourceConfig } from '../collect/source.js';
import type { FileSourceSettings } from '../collect/file-source.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const configSchema: Record<string, unknown> & { $id: string } = JSON.parse(
  readFileSync(packageFile('schemas/config.schema.json'), 'utf8'),
);
let compiled: ValidateFunction | null = null;
/** The config schema's validator, compiled on first use (a run that reads no config never loads ajv). */
const configValidator = (): ValidateFunction => (compiled ??= getAjv().compile(configSchema));
const validateConfig = (v: unknown): boolean => configValidator()(v) as boolean;
const SOURCE_DEFS: Record<string, string> = {
  file: 'fileSource',
  postgres: 'postgresSource',
  mysql: 'mysqlSource',
  'gcp-logging': 'gcpLoggingSource',
  cloudtrail: 'cloudtrailSource',
  'cloudtrail-s3': 'cloudtrailS3Source',
  'cloudwatch-logs': 'cloudwatchLogsSource',
  bytebase: 'bytebaseSource',
};

export type ProfileName = 'soc2' | 'pci' | 'iso27001' | 'hipaa';

export interface CollectConfig {
  /** The config file (absolute), or null for the built-in demo configuration. */
  file: string | null;
  /** sha256 of the config file's bytes, recorded in the manifest. */
  digest: string | null;
  timezone?: string;
  profile: ProfileName;
  sharedIdentities?: string[];
  /** Days every source must keep its records (retention.minimum_days, default 365). */
  retentionMinDays: number;
  roster: Roster;
  /** Where the roster came from, for the manifest. */
  rosterFrom: string[];
  sources: SourceConfig[];
  bundle: { out?: string; key?: string; sampleRows: number; ocsf?: boolean };
  /** The redact section (additions to the built-in rules). */
  redact?: RedactionSettings;
  /** The publish section (write-once storage for bundles); absent when not configured. */
  publish?: PublishSettings;
}

export interface PublishSettings {
  to?: string;
  retentionDays?: number;
  mode?: 'compliance' | 'governance';
  lockRetention?: boolean;
  allowMutable?: boolean;
  endpoint?: string;
  region?: string;
  profile?: string;
  publicKey?: string;
}

/** Administrator events per category in the HTML summary's sample (bundle.sample_rows). */
export const DEFAULT_SAMPLE_ROWS = 10;

function keyPath(instancePath: string): string {
  let out = '';
  for (const part of instancePath.split('/').slice(1)) {
    const p = part.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(p) ? `[${p}]` : `${out ? '.' : ''}${p}`;
  }
  return out || '(top level)';
}

/** The most useful single sentence for a list of ajv errors. */
export function describeConfigError(errors: ErrorObject[], file: string, known?: string[], root?: unknown): string {
  const e =
    errors.find((x) => x.keyword === 'additionalProperties') ??
    errors.find((x) => x.keyword !== 'oneOf' && x.keyword !== 'if') ??
    errors[0];
  const at = keyPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  let what: string;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const keys = known ?? knownKeys(schemaAt(e.schemaPath));
      return `${file}: ${at === '(top level)' ? key : `${at}.${key}`} is not a known setting${keys.length ? ` (known settings: ${keys.join(', ')})` : ''}`;
    }
    case 'required':
      return `${file}: ${at === '(top level)' ? '' : `${at}: `}the setting ${String(p.missingProperty)} is required`;
    case 'enum':
      what = `must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
      break;
    case 'const':
      what = `must be ${JSON.stringify(p.allowedValue)}`;
      break;
    case 'type':
      what = `must be ${p.type === 'array' ? 'a list' : p.type === 'object' ? 'a mapping of settings' : `a ${String(p.type)}`}`;
      break;
    case 'pattern':
      what = `'${String(valueAt(root, e.instancePath))}' is not allowed (use letters, digits, dot, underscore and dash, up to 64 characters)`;
      break;
    case 'minItems':
      what = 'must not be empty';
      break;
    case 'minLength':
      what = 'must not be empty';
      break;
    case 'oneOf':
      what = 'must be a name or a list of names';
      break;
    default:
      what = e.message ?? 'is not valid';
  }
  return `${file}: ${at} ${what}`;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let node = root;
  for (const part of instancePath.split('/').slice(1))
    node = (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return node;
}

/** The schema object an error's schemaPath ('#/properties/bundle/additionalProperties') points into. */
function schemaAt(schemaPath: string): unknown {
  let node: unknown = configSchema;
  for (const part of schemaPath.replace(/^#\//, '').split('/').slice(0, -1))
    node = (node as Record<string, unknown> | undefined)?.[part];
  return node;
}

function knownKeys(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

/** Validates a parsed config; throws ConfigError with one sentence. Exposed for tests and init. */
export function validateConfigValue(value: unknown, file: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`${file}: the configuration must be a mapping of settings (with at least sources:)`);
  const v = value as Record<string, unknown>;
  if (v.redact && typeof v.redact === 'object') {
    try {
      makePolicy(v.redact as RedactionSettings);
    } catch (e) {
      if (!(e instanceof TypeError)) throw new ConfigError(`${file}: ${(e as Error).message}`);
    }
  }
  // Sources first, one at a time against the definition their type selects, so that the message
  // is about the source the user wrote and not about every alternative of the oneOf.
  if (Array.isArray(v.sources)) {
    const names = new Set<string>();
    v.sources.forEach((s, i) => {
      if (s === null || typeof s !== 'object' || Array.isArray(s))
        throw new ConfigError(`${file}: sources[${i}] must be a mapping of settings (name, type, ...)`);
      const t = (s as Record<string, unknown>).type;
      if (typeof t !== 'string')
        throw new ConfigError(`${file}: sources[${i}] needs a type (${Object.keys(SOURCE_DEFS).join(', ')})`);
      const def = SOURCE_DEFS[t];
      if (!def)
        throw new ConfigError(
          `${file}: sources[${i}].type '${t}' is not a source type (use ${Object.keys(SOURCE_DEFS).join(', ')})`,
        );
      configValidator();
      const fn = getAjv().getSchema(`${configSchema.$id}#/$defs/${def}`)!;
      if (!fn(s)) {
        const errs = (fn.errors ?? []).map((e) => ({ ...e, instancePath: `/sources/${i}${e.instancePath}` }));
        throw new ConfigError(
          describeConfigError(errs, file, knownKeys((configSchema.$defs as Record<string, unknown>)[def]), v),
        );
      }
      // Unique ignoring case: raw/pg/ and raw/PG/ are one folder once unzipped on macOS or Windows.
      const name = String((s as Record<string, unknown>).name);
      if (names.has(name.toLowerCase()))
        throw new ConfigError(`${file}: sources[${i}].name '${name}' is used by another source (names must be unique)`);
      names.add(name.toLowerCase());
    });
  }
  if (!validateConfig(v)) throw new ConfigError(describeConfigError(compiled?.errors ?? [], file, undefined, v));
  const zones: Array<[string, unknown]> = [
    ['timezone', v.timezone],
    ...(v.sources as Array<Record<string, unknown>>).map((s, i): [string, unknown] => [
      `sources[${i}].timezone`,
      s.timezone,
    ]),
  ];
  for (const [at, z] of zones) {
    if (typeof z === 'string' && !isValidZone(z))
      throw new ConfigError(
        `${file}: ${at} '${z}' is not a time zone this system knows (use an IANA name such as Europe/Berlin, or an offset such as +02:00)`,
      );
  }
}

/** Reads a config file (YAML or JSON) and resolves its relative paths against its directory. */
export function loadConfig(path: string): CollectConfig {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ConfigError(
      `cannot read the configuration ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  const doc = parseDocument(bytes.toString('utf8'), { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const err = doc.errors[0];
    const text = bytes.toString('utf8');
    const line = err.linePos?.[0]?.line ?? (err.pos ? text.slice(0, err.pos[0]).split('\n').length : undefined);
    throw new ConfigError(
      `${path}${line ? ` line ${line}` : ''}: not valid YAML or JSON (${err.message.split('\n')[0]})`,
    );
  }
  const value = doc.toJS();
  validateConfigValue(value, path);
  return resolveConfig(value as Record<string, unknown>, resolve(path), sha256Hex(bytes));
}

function parseRosterFile(path: string, display: string): RosterEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `cannot read the admin roster ${display}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
  const out: RosterEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const p = line.replace(/#.*/, '').trim();
    if (p) out.push({ principal: p, reason: `listed in ${display}`, origin: `file:${display}`, instance: null });
  }
  return out;
}

/** Turns a validated config value into the collect configuration. `file` null: built in (demo). */
export function resolveConfig(v: Record<string, unknown>, file: string | null, digest: string | null): CollectConfig {
  const base = file ? dirname(file) : process.cwd();
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const admins = (v.admins ?? {}) as {
    file?: string;
    list?: Array<string | { principal: string; reason?: string; instance?: string }>;
  };
  const entries: RosterEntry[] = [];
  const rosterFrom: string[] = [];
  if (admins.file) {
    entries.push(...parseRosterFile(abs(admins.file), admins.file));
    rosterFrom.push(`file:${admins.file}`);
  }
  if (admins.list) {
    for (const a of admins.list) {
      entries.push(
        typeof a === 'string'
          ? { principal: a, reason: 'listed in the configuration', origin: 'config', instance: null }
          : {
              principal: a.principal,
              reason: a.reason ?? 'listed in the configuration',
              origin: 'config',
              instance: a.instance ?? null,
            },
      );
    }
    rosterFrom.push('config');
  }
  const sources = (v.sources as Array<Record<string, unknown>>).map((s) => {
    if (s.type !== 'file') return s as SourceConfig;
    const paths = (Array.isArray(s.paths) ? s.paths : [s.paths]) as string[];
    return { ...s, paths, base, format: (s.format as string | undefined) ?? 'auto' } as FileSourceSettings;
  });
  const bundle = (v.bundle ?? {}) as { out?: string; key?: string; sample_rows?: number; ocsf?: boolean };
  const identities = (v.identities ?? {}) as { shared?: string[] };
  return {
    file,
    digest,
    timezone: v.timezone as string | undefined,
    profile: (v.profile as ProfileName | undefined) ?? 'soc2',
    sharedIdentities: identities.shared,
    retentionMinDays: ((v.retention ?? {}) as { minimum_days?: number }).minimum_days ?? DEFAULT_RETENTION_MIN_DAYS,
    roster: { entries },
    rosterFrom,
    sources,
    bundle: {
      out: bundle.out ? abs(bundle.out) : undefined,
      key: bundle.key ? abs(bundle.key) : undefined,
      sampleRows: bundle.sample_rows ?? DEFAULT_SAMPLE_ROWS,
      ocsf: bundle.ocsf ?? false,
    },
    redact: v.redact as RedactionSettings | undefined,
    ...(v.publish ? { publish: publishSettings(v.publish as Record<string, unknown>, abs) } : {}),
  };
}

function publishSettings(p: Record<string, unknown>, abs: (x: string) => string): PublishSettings {
  return {
    ...(p.to !== undefined ? { to: p.to as string } : {}),
    ...(p.retention_days !== undefined ? { retentionDays: p.retention_days as number } : {}),
    ...(p.mode !== undefined ? { mode: p.mode as 'compliance' | 'governance' } : {}),
    ...(p.lock_retention !== undefined ? { lockRetention: p.lock_retention as boolean } : {}),
    ...(p.allow_mutable !== undefined ? { allowMutable: p.allow_mutable as boolean } : {}),
    ...(p.endpoint !== undefined ? { endpoint: p.endpoint as string } : {}),
    ...(p.region !== undefined ? { region: p.region as string } : {}),
    ...(p.profile !== undefined ? { profile: p.profile as string } : {}),
    ...(p.public_key !== undefined ? { publicKey: abs(p.public_key as string) } : {}),
  };
}
