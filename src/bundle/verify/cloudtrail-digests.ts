// CloudTrail digest validation, re-run offline from the integrity files of each cloudtrail-s3 source.
import { canonicalJson } from '../../event/canonical.js';
import { type DigestReport, validateDigests } from '../../integrity/cloudtrail-digest.js';
import {
  type DigestReportFile,
  digestsFileName,
  objectsFileName,
  publicKeysFileName,
  reportFileName,
} from '../../integrity/files.js';
import { problemLines, summarize } from '../../integrity/summary.js';
import { type EvidencePredicate, MANIFEST_FILE } from '../manifest.js';
import { EntryReadError, type OpenBundle } from '../zip-reader.js';
import { type Ctx, MAX_MANIFEST } from './types.js';

type Source = EvidencePredicate['sources'][number];

/**
 * Re-runs each cloudtrail-s3 source's digest check from the digests, signatures, public keys and
 * per-object hashes the bundle carries; the result must be the one collect recorded. A trail that
 * failed the check is reported (each changed, missing or undigested file, each invalid digest and
 * gap), but does not make the bundle INVALID: the bundle is a faithful record of a damaged trail.
 */
export async function checkCloudTrailDigests(ctx: Ctx, p: EvidencePredicate): Promise<void> {
  const { b, fail, warnings, facts } = ctx;
  for (const s of p.sources) {
    const recorded = s.settings?.cloudtrail_digests as Record<string, unknown> | undefined;
    const names = [digestsFileName(s.name), publicKeysFileName(s.name), reportFileName(s.name)];
    const present = names.filter((n) => b.entries.has(n));
    if (recorded === undefined && present.length === 0) continue;
    if (recorded === undefined) {
      fail(present[0], `is CloudTrail digest material, but the manifest records no digest check for source ${s.name}`);
      continue;
    }
    const missing = [...names, objectsFileName(s.name)].filter((n) => !b.entries.has(n));
    if (missing.length) {
      for (const n of missing) fail(n, `is missing: source ${s.name}'s CloudTrail digest check cannot be re-run`);
      continue;
    }
    const rerun = await rerunDigests(ctx, s);
    if (!rerun) continue;
    const { saved, report } = rerun;
    if (canonicalJson(report as never) !== canonicalJson(saved.report as never))
      fail(
        reportFileName(s.name),
        `source ${s.name}: re-running the CloudTrail digest check on the bundled digests, keys and hashes gives another result than the one recorded`,
      );
    if (canonicalJson(summarize(report, s.name) as never) !== canonicalJson(recorded as never))
      fail(
        MANIFEST_FILE,
        `source ${s.name}: settings.cloudtrail_digests differs from the CloudTrail digest check re-run offline`,
      );
    (facts.integrity ??= []).push({ source: s.name, report });
    if (!report.pass)
      warnings.push(
        `source ${s.name}: the CloudTrail trail FAILED digest validation (re-checked offline): ${problemLines(report).join('; ')}`,
      );
  }
}

/** The recorded report and the check re-run from the bundled material; null (with a failure) when it cannot be read. */
async function rerunDigests(
  { b, fail }: Ctx,
  s: Source,
): Promise<{ saved: DigestReportFile; report: DigestReport } | null> {
  try {
    const saved: DigestReportFile = JSON.parse((await b.read(reportFileName(s.name), MAX_MANIFEST)).toString('utf8'));
    const report = validateDigests({
      digests: await jsonLines(b, digestsFileName(s.name)),
      publicKeys: JSON.parse((await b.read(publicKeysFileName(s.name), MAX_MANIFEST)).toString('utf8')),
      logs: (await jsonLines(b, objectsFileName(s.name))).map((o) => ({
        bucket: o.bucket,
        key: o.key,
        uncompressed_sha256: o.error ? null : o.uncompressed_sha256,
      })),
      scope: saved.scope,
    });
    return { saved, report };
  } catch (e) {
    if (e instanceof EntryReadError) throw e;
    fail(
      reportFileName(s.name),
      `source ${s.name}: the CloudTrail digest material cannot be read (${(e as Error).message})`,
    );
    return null;
  }
}

async function jsonLines(b: OpenBundle, name: string) {
  return (await b.read(name, MAX_MANIFEST))
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}
