// The signed statement: written as collect writes it, of our types, a predicate that matches
// schemas/manifest.schema.json, every subject with a digest; then what the predicate says about
// its sources that can be checked without reading the files.
import { readFileSync } from 'node:fs';
import { formatAjvErrors, getAjv, packageFile } from '../../event/schema.js';
import {
  type EvidencePredicate,
  MANIFEST_FILE,
  PREDICATE_TYPE,
  rawFileName,
  STATEMENT_TYPE,
  type Statement,
  statementBytes,
} from '../manifest.js';
import type { Ctx, Fail, State } from './types.js';

const manifestSchema = JSON.parse(readFileSync(packageFile('schemas/manifest.schema.json'), 'utf8'));
let predicateFn: ReturnType<ReturnType<typeof getAjv>['compile']> | null = null;
/** The manifest schema's validator, compiled on first use. */
const validatePredicate = (v: unknown): boolean => (predicateFn ??= getAjv().compile(manifestSchema))(v) as boolean;

/** Reads the statement from the signed payload; null when it is not one the other checks can read. */
export function readStatement({ fail, facts, warnings }: Ctx, payload: Buffer, state: State): Statement | null {
  let st: Statement;
  try {
    st = JSON.parse(payload.toString('utf8'));
  } catch {
    fail(MANIFEST_FILE, 'the signed manifest is not JSON');
    return null;
  }
  // A repeated key ("demo": true ... "demo": false) is read as the last by JSON parsers and as the
  // first by an auditor's grep; collect writes neither that nor any other layout.
  if (!statementBytes(st).equals(payload))
    fail(
      MANIFEST_FILE,
      'is not in the form collect writes (two-space JSON, no repeated keys): a reader and a JSON parser could see different values',
    );
  if (st._type !== STATEMENT_TYPE) fail(MANIFEST_FILE, `_type is not ${STATEMENT_TYPE}`);
  if (st.predicateType !== PREDICATE_TYPE) {
    fail(MANIFEST_FILE, `predicateType is not ${PREDICATE_TYPE}`);
    return null;
  }
  if (!validatePredicate(st.predicate)) {
    fail(
      MANIFEST_FILE,
      `the predicate does not match schemas/manifest.schema.json (${formatAjvErrors(predicateFn?.errors ?? [])
        .slice(0, 3)
        .join('; ')})`,
    );
    return null;
  }
  if (
    !Array.isArray(st.subject) ||
    st.subject.some((s) => typeof s?.name !== 'string' || !/^[0-9a-f]{64}$/.test(s?.digest?.sha256 ?? ''))
  ) {
    fail(MANIFEST_FILE, 'subject must list every file with a sha256 digest');
    return null;
  }
  const p = st.predicate;
  facts.demo = p.demo;
  facts.period = p.period;
  if (p.demo)
    warnings.push(
      'this is a DEMO bundle built from sample logs with shifted timestamps: it is not evidence of any real system',
    );
  if (p.signer.ephemeral) warnings.push('the bundle was signed with an EPHEMERAL key: the signer cannot be verified');
  state.predicate = p;
  return st;
}

/** The sources' demo shift and raw file names agree with the rest of the predicate. */
export function checkSources(p: EvidencePredicate, fail: Fail): void {
  // A demo bundle says so in the predicate; shifted timestamps in a bundle that claims not to be one are a contradiction.
  if (!p.demo)
    for (const s of p.sources)
      if (s.demo_time_shift_days !== null)
        fail(
          MANIFEST_FILE,
          `source ${s.name} has demo_time_shift_days ${s.demo_time_shift_days} (timestamps shifted for a demo), but predicate.demo is false`,
        );
  for (const s of p.sources)
    if (s.raw_file !== rawFileName(s.name))
      fail(MANIFEST_FILE, `source ${s.name}: raw_file is '${s.raw_file}', not ${rawFileName(s.name)}`);
}

/** The subjects by name, each listed once (with two digests, only the last would be checked; grep shows the first). */
export function subjectsOf(st: Statement, fail: Fail): Map<string, string> {
  const subjects = new Map(st.subject.map((s) => [s.name, s.digest.sha256]));
  if (subjects.size !== st.subject.length) {
    const seen = new Set<string>();
    for (const s of st.subject) {
      if (seen.has(s.name)) fail(MANIFEST_FILE, `subject lists ${s.name} more than once`);
      seen.add(s.name);
    }
  }
  return subjects;
}
