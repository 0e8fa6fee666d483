// The work behind `audit-evidence verify`, loaded only when verify runs (the bundle reader and the
// manifest schema are not needed by any other command). The first line of standard output is the
// verdict a reader can take alone: authentic or not, complete or not, and why; the lines after it
// give the signature and integrity result, each source's status and counts, the completeness
// result with its failing rules, and the chain.
import { verifyBundle, formatFailure, type VerifyResult } from '../bundle/verify/index.js';
import { loadPublicKey, KeyError } from '../bundle/keys.js';
import { BundleReadError } from '../bundle/zip-reader.js';
import { OK_STATUSES, type EvidencePredicate } from '../bundle/manifest.js';
import { completenessLine } from '../checks/report.js';
import { UserError, EXIT_FINDINGS, EXIT_OK } from './errors.js';

export interface VerifyCliOptions {
  pubkey?: string;
  previous?: string;
  quiet?: boolean;
  json?: boolean;
  requireComplete?: boolean;
  requireRetention?: boolean;
  endpoint?: string;
  region?: string;
  profile?: string;
}

/** The storage facts of a bundle verified from s3:// or gs:// (see src/publish/fetch.ts). */
type Fetched = import('../publish/fetch.js').FetchedBundle;

function storageLines(f: Fetched): string[] {
  const o = f.object;
  return [
    `storage: ${o.url}: ${o.size} bytes, sha256 ${o.sha256}`,
    `storage: ${o.protection.summary}`,
    ...f.notes.map((n) => `storage: ${n}`),
  ];
}

/** What the bundle's (signed) manifest says about how complete its evidence is. */
export interface EvidenceVerdict {
  /** Every source complete or empty, and the completeness check passed. */
  complete: boolean;
  /** Why not, in short phrases: "source aws-prod failed (AccessDenied)", "completeness FAIL (audit.disabled)". */
  reasons: string[];
}

/** The first clause of a reason, cut at a word near `n` characters: the verdict line stays one line. */
function short(s: string | null, n = 90): string {
  if (s === null) return '';
  const clause = s.split('; ')[0]!;
  if (clause.length <= n) return clause;
  const cut = clause.lastIndexOf(' ', n);
  return `${clause.slice(0, cut > n / 2 ? cut : n)} ...`;
}

export function evidenceVerdict(p: EvidencePredicate): EvidenceVerdict {
  const reasons: string[] = [];
  for (const s of p.sources) {
    if (!OK_STATUSES.has(s.status))
      reasons.push(`source ${s.name} ${s.status}${s.status_reason ? ` (${short(s.status_reason)})` : ''}`);
  }
  for (const s of p.sources) {
    // A CloudTrail trail whose log files were changed or deleted before collection (the bundle is a
    // faithful record of that trail, so it stays VALID, but its evidence is not complete).
    if ((s.settings?.cloudtrail_digests as { pass?: boolean } | undefined)?.pass === false)
      reasons.push(`source ${s.name} CloudTrail digest validation FAIL`);
  }
  const c = p.completeness;
  if (!c.pass) {
    const rules = Object.keys(c.failing_rules ?? {});
    reasons.push(
      `completeness FAIL (${rules.length ? rules.join(', ') : short(c.failed_because.join('; ')) || 'no reason recorded'})`,
    );
  }
  return { complete: reasons.length === 0, reasons };
}

function sourceLine(s: EvidencePredicate['sources'][number]): string {
  const skipped = Object.entries(s.skipped).filter(([, n]) => n > 0);
  const ok = OK_STATUSES.has(s.status);
  return `source ${s.name} (${s.type}${s.format ? `, ${s.format}` : ''}): ${ok ? s.status : s.status.toUpperCase()}${s.status_reason && !ok ? `: ${s.status_reason}` : ''}; read ${s.records_read}, ${s.events} events, ${s.rejects} rejected, ${skipped.reduce((a, [, n]) => a + n, 0)} skipped${skipped.length ? ` (${skipped.map(([k, n]) => `${k}: ${n}`).join('; ')})` : ''}${s.counts_reconcile ? '' : '; counts do NOT reconcile'}`;
}

/** The verdict line and the summary lines after it. */
export function verifyReport(
  bundle: string,
  r: VerifyResult,
  previous?: string,
): { first: string; lines: string[]; complete: boolean | null } {
  const p = r.predicate;
  const sigFailed = r.failures.some((f) => f.step === 'signature' || f.step === 'container');
  const digestsFailed = r.failures.some((f) => f.step === 'cloudtrail-digests');
  const filesFailed = r.failures.some(
    (f) => f.step !== 'signature' && f.step !== 'chain' && f.step !== 'container' && f.step !== 'cloudtrail-digests',
  );
  const chainFailed = r.failures.some((f) => f.step === 'chain');
  const ev = p ? evidenceVerdict(p) : null;
  let first: string;
  if (r.valid) {
    first = `${bundle}: VALID${p!.demo ? ' DEMO bundle (not evidence)' : ''}, ${ev!.complete ? 'COMPLETE' : `INCOMPLETE: ${ev!.reasons.join(', ')}`}`;
  } else {
    const what = [
      sigFailed ? 'the signature does not hold' : null,
      filesFailed ? 'the files are not what was signed' : null,
      digestsFailed
        ? 'CloudTrail digest validation failed (log files of the trail changed, deleted or without a valid digest)'
        : null,
      chainFailed ? `the chain to ${r.chain?.file ?? previous ?? 'the previous bundle'} is broken` : null,
    ]
      .filter(Boolean)
      .join('; ');
    const firstFailure = r.failures[0] ? formatFailure(r.failures[0]) : '';
    const cut = firstFailure.length > 160 ? `${firstFailure.slice(0, 157)}...` : firstFailure;
    // A broken chain alone leaves the bundle itself authentic: say so, and what it claims.
    const self =
      !sigFailed && !filesFailed && !digestsFailed && ev
        ? `; the bundle itself is signed and unchanged, ${ev.complete ? 'COMPLETE' : `INCOMPLETE: ${ev.reasons.join(', ')}`}`
        : '';
    first = `${bundle}: INVALID: ${r.failures.length} problem${r.failures.length === 1 ? '' : 's'}: ${what || 'see the failures'} (${cut})${self}`;
  }
  const lines: string[] = [];
  // Nothing here says "signed by key X" or "chained to X" when that very check failed.
  if (r.facts.keyid && !sigFailed) lines.push(`signature: OK, signed by key ${r.facts.keyid} (${r.facts.signer})`);
  else if (sigFailed)
    lines.push(
      `signature: FAILED (${r.failures.filter((f) => f.step === 'signature' || f.step === 'container').length} problems, listed on standard error)`,
    );
  else lines.push('signature: not checked');
  if (p) {
    lines.push(
      filesFailed
        ? 'integrity: FAILED (problems listed on standard error)'
        : `integrity: OK, ${r.facts.files} files, ${r.facts.events} events, every digest, line and count checked`,
    );
    lines.push(
      `period: ${p.period.start} to ${p.period.end} (${p.period.timezone})${p.demo ? '; DEMO bundle (not evidence)' : ''}`,
    );
    if (!r.valid) lines.push('the bundle claims (not to be relied on, it is INVALID):');
    for (const s of p.sources) lines.push(`${r.valid ? '' : '  '}${sourceLine(s)}`);
    lines.push(`${r.valid ? '' : '  '}completeness (${p.completeness.profile}): ${completenessLine(p.completeness)}`);
  }
  for (const { source, report: d } of r.facts.integrity ?? []) {
    lines.push(
      `source ${source}: CloudTrail digests re-checked offline: ${d.pass ? 'PASS' : 'FAIL'}: ${d.files_covered} log files covered by a valid digest, ${d.files_without_digest.length} with no valid digest, ${d.files_changed.length} changed, ${d.files_missing.length} missing; ${d.digests_valid} of ${d.digests} digests valid, ${d.digest_gaps.length} gaps`,
    );
  }
  if (r.chain) {
    if (r.chain.valid)
      lines.push(
        `chain: OK, follows ${r.chain.file} (manifest sha256 ${r.chain.manifest_sha256}), verified in full${r.chain.gap ? `; known gap ${r.chain.gap.start} to ${r.chain.gap.end} (recorded)` : ''}${r.chain.key_change ? `; signing key changed from ${r.chain.key_change}` : ''}`,
      );
    else lines.push(`chain: FAILED with ${previous ?? r.chain.file} (problems listed on standard error)`);
  } else if (p?.previous_bundle)
    lines.push(
      `chain: not checked: the bundle names the previous bundle ${p.previous_bundle.file} (manifest sha256 ${p.previous_bundle.manifest_sha256}); pass --previous to check it`,
    );
  else if (p) lines.push('chain: none (the first bundle of its chain)');
  return { first, lines, complete: ev ? ev.complete : null };
}

export async function runVerify(bundle: string, opts: VerifyCliOptions): Promise<number> {
  const { isStorageUrl } = await import('../publish/target.js');
  if (opts.requireRetention && !isStorageUrl(bundle))
    throw new UserError('--require-retention applies to a bundle given as s3:// or gs:// URL');
  if (!isStorageUrl(bundle)) return verifyLocal(bundle, bundle, opts, null);
  const { fetchBundle } = await import('../publish/fetch.js');
  const { PublishError } = await import('../publish/types.js');
  let f: Fetched;
  try {
    f = await fetchBundle(bundle, {
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.region ? { region: opts.region } : {}),
      ...(opts.profile ? { profile: opts.profile } : {}),
    });
  } catch (e) {
    if (e instanceof PublishError) throw new UserError(e.message);
    throw e;
  }
  try {
    return await verifyLocal(f.path, bundle, opts, f);
  } finally {
    f.remove();
  }
}

async function verifyLocal(
  path: string,
  bundle: string,
  opts: VerifyCliOptions,
  fetched: Fetched | null,
): Promise<number> {
  let publicKey = null;
  try {
    if (opts.pubkey) publicKey = loadPublicKey(opts.pubkey);
    const r = await verifyBundle(path, { publicKey, previous: opts.previous ?? null });
    const rep = verifyReport(bundle, r, opts.previous);
    if (fetched) rep.lines.unshift(...storageLines(fetched));
    const complete = r.valid && rep.complete === true;
    const retained = fetched ? fetched.object.protection.active : null;
    const code = !r.valid
      ? EXIT_FINDINGS
      : opts.requireComplete && !complete
        ? EXIT_FINDINGS
        : opts.requireRetention && !retained
          ? EXIT_FINDINGS
          : EXIT_OK;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(verifyJson(bundle, r, rep.first, complete, code, fetched), null, 2)}\n`);
      return code;
    }
    if (!opts.quiet) for (const w of r.warnings) process.stderr.write(`audit-evidence: warning: ${w}\n`);
    for (const f of r.failures) process.stderr.write(`audit-evidence: INVALID: ${formatFailure(f)}\n`);
    process.stdout.write(`${rep.first}\n`);
    if (!opts.quiet) for (const l of rep.lines) process.stdout.write(`  ${l}\n`);
    if (r.valid && opts.requireComplete && !complete)
      process.stderr.write('audit-evidence: --require-complete: the evidence is not complete: exit 1\n');
    if (r.valid && opts.requireRetention && !retained)
      process.stderr.write(
        'audit-evidence: --require-retention: the stored bundle is not under an active Object Lock or retention policy: exit 1\n',
      );
    return code;
  } catch (e) {
    if (e instanceof KeyError || e instanceof BundleReadError) throw new UserError(e.message);
    throw e;
  }
}

/** verify --json: the verdict and what was checked. */
function verifyJson(
  bundle: string,
  r: VerifyResult,
  first: string,
  complete: boolean,
  code: number,
  fetched: Fetched | null,
): Record<string, unknown> {
  return {
    bundle,
    verdict: first.slice(bundle.length + 2),
    valid: r.valid,
    complete,
    exit_code: code,
    reasons: r.predicate && r.valid ? evidenceVerdict(r.predicate).reasons : [],
    signature: {
      ok: !r.failures.some((f) => f.step === 'signature' || f.step === 'container'),
      keyid: r.facts.keyid,
      key: r.facts.signer,
    },
    integrity: {
      ok: !r.failures.some(
        (f) =>
          f.step !== 'signature' && f.step !== 'chain' && f.step !== 'container' && f.step !== 'cloudtrail-digests',
      ),
      files: r.facts.files,
      events: r.facts.events,
      manifest_sha256: r.manifestSha256,
    },
    cloudtrail_digests: r.facts.integrity ?? [],
    failures: r.failures,
    warnings: r.warnings,
    demo: r.facts.demo,
    period: r.predicate?.period ?? null,
    sources:
      r.predicate?.sources.map((s) => ({
        name: s.name,
        type: s.type,
        format: s.format,
        status: s.status,
        status_reason: s.status_reason,
        ok: OK_STATUSES.has(s.status),
        records_read: s.records_read,
        events: s.events,
        rejects: s.rejects,
        skipped: s.skipped,
        outside_period: s.outside_period,
        counts_reconcile: s.counts_reconcile,
      })) ?? null,
    completeness: r.predicate
      ? {
          profile: r.predicate.completeness.profile,
          pass: r.predicate.completeness.pass,
          rows: r.predicate.completeness.rows,
          complete_rows: r.predicate.completeness.complete_rows,
          percent_complete: r.predicate.completeness.percent_complete,
          failed_because: r.predicate.completeness.failed_because,
          failing_rules: r.predicate.completeness.failing_rules ?? null,
        }
      : null,
    chain:
      r.chain ??
      (r.predicate?.previous_bundle ? { checked: false, previous_bundle: r.predicate.previous_bundle } : null),
    ...(fetched ? { storage: { ...fetched.object, versions: fetched.versions, notes: fetched.notes } } : {}),
  };
}
