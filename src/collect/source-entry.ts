// A source's entry in the manifest, once its outcomes have ended: its status (with the rules for
// 'unreadable', 'empty' and 'partial'), counts, retention, warnings, and the files it adds to the
// bundle. A stage of runCollect.
import type { DeflatedEntry } from '../bundle/deflated-file.js';
import type { SourceEntry, SourceStatus } from '../bundle/manifest.js';
import type { ZipItem } from '../bundle/zip-writer.js';
import type { SourceInfo } from '../checks/index.js';
import type { IntegrityInput } from '../checks/rules/integrity-cloudtrail-digest.js';
import { sha256Hex } from '../event/hash.js';
import { retention, type Retention } from '../retention/types.js';
import { findAdapter } from '../sources/registry.js';
import { collectHint } from './hints.js';
import type { SourceConfig, SourceResult } from './source.js';
import { LIVE_KIND } from './sources.js';
import type { StreamedSource } from './stream.js';
import type { SourceCounts } from './tally.js';

/** A file of the bundle with its digest. */
export type BundleFile = ZipItem & { sha256: string };

/** What the sources gave the run, in the order of the configuration. */
export interface Collected {
  entries: SourceEntry[];
  /** raw/<source>.jsonl of each source. */
  rawFiles: Array<{ name: string; deflated: DeflatedEntry; sha256: string }>;
  /** Files sources added under raw/<source>/ and integrity/<source>/. */
  extraFiles: BundleFile[];
  warnings: string[];
  /** CloudTrail digest reports (rule integrity.cloudtrail-digest), filled in as each source ends. */
  integrity: IntegrityInput[];
  /** What the completeness check knows of each source (its retention is filled in as each source ends). */
  checkSources: SourceInfo[];
}

/** Records a source that has ended: its files, its manifest entry, its warnings; says how it went. */
export function finishSource(
  acc: Collected,
  cfg: SourceConfig,
  got: StreamedSource,
  rawName: string,
  now: Date,
  say: (m: string) => void,
): void {
  const { c } = got.s;
  acc.rawFiles.push({ name: rawName, deflated: got.raw, sha256: got.raw.sha256 });
  const res = got.run ? got.run.result() : null;
  acc.extraFiles.push(...sourceFiles(cfg.name, rawName, res));
  const { status, reason } = sourceStatus(res, c, got.error, got.firstReject, cfg.name);
  const sourceWarnings = (res?.warnings ?? []).map((w) => collectHint(w, cfg.name));
  if (c.mismatched)
    sourceWarnings.push(
      `${c.mismatched} events name a raw_sha256 that differs from the raw record they came from (an adapter bug): verify will report them`,
    );
  const entry = sourceEntry(cfg, got, res, rawName, status, reason, sourceWarnings);
  acc.entries.push(entry);
  const kept = sourceRetention(cfg, res?.retention ?? null, status, now);
  entry.retention = kept;
  if (entry.settings.cloudtrail_digests)
    acc.integrity.push({
      source: cfg.name,
      cloudtrail_digests: entry.settings.cloudtrail_digests as IntegrityInput['cloudtrail_digests'],
    });
  const info = acc.checkSources.find((s) => s.name === cfg.name);
  if (info) info.retention = kept;
  for (const w of sourceWarnings) acc.warnings.push(`${cfg.name}: ${w}`);
  say(
    `${cfg.name}: ${status}${reason ? ` (${reason})` : ''}: read ${c.read}, ${c.events} events, ${c.rejects} rejected, ${skippedTotal(c)} skipped (${c.outside} outside the period)`,
  );
}

function skippedTotal(c: SourceCounts): number {
  return Object.values(c.skipped).reduce((a, b) => a + b, 0);
}

/** The files a source adds to the bundle, only under its own folders and never its raw file. */
function sourceFiles(name: string, rawName: string, res: SourceResult | null): BundleFile[] {
  const files: BundleFile[] = [];
  for (const f of res?.files ?? []) {
    if (!f.name.startsWith(`raw/${name}/`) && !f.name.startsWith(`integrity/${name}/`))
      throw new Error(`source ${name} tried to add ${f.name} to the bundle`);
    if (f.name === rawName) throw new Error(`source ${name} tried to replace ${rawName}`);
    // Either bytes, or a file the source wrote compressed into the work folder as it went.
    files.push(
      'deflated' in f
        ? { name: f.name, deflated: f.deflated, sha256: f.deflated.sha256 }
        : { name: f.name, data: f.data, sha256: sha256Hex(f.data) },
    );
  }
  return files;
}

/**
 * The source's status and why: as the source reported it, 'partial' or 'failed' after an error,
 * 'unreadable' when more records of the period were rejected than became events, 'empty' when a
 * complete read found no events.
 */
export function sourceStatus(
  res: SourceResult | null,
  c: SourceCounts,
  error: string | null,
  firstReject: string | null,
  name: string,
): { status: SourceStatus; reason: string | null } {
  let status: SourceStatus = res?.status ?? 'failed';
  let reason = res?.reason ?? null;
  if (error !== null) {
    status = c.read > 0 ? 'partial' : 'failed';
    reason = reason ? `${error}; ${reason}` : error;
  } else if ((status === 'complete' || status === 'empty') && c.rejects > c.events) {
    // The rule for 'unreadable': more records of the period were rejected than became events.
    // A wrong format, a damaged file or a wrong log_line_prefix ends here, never as a quiet 'empty'.
    status = 'unreadable';
    reason = `${c.rejects} of ${c.read - c.outside} records in the period rejected, ${c.events} events (unreadable: rejects > events)${firstReject ? `; first rejected: ${firstReject}` : ''}`;
  } else if (status === 'complete' && c.events === 0) {
    status = 'empty';
    reason = 'no events in the period';
  }
  if (reason !== null) reason = collectHint(reason, name);
  return { status, reason };
}

/** The source's manifest entry (its retention is added by the caller). */
function sourceEntry(
  cfg: SourceConfig,
  got: StreamedSource,
  res: SourceResult | null,
  rawName: string,
  status: SourceStatus,
  reason: string | null,
  warnings: string[],
): SourceEntry {
  const { c } = got.s;
  const formats = [...new Set(got.summary.inputs.map((s) => s.format))];
  const kinds = [...new Set(formats.map((f) => findAdapter(f)?.kind).filter((k): k is NonNullable<typeof k> => !!k))];
  const { demo_time_shift_days: shift, ...settings } = (res?.settings ?? {}) as Record<string, unknown>;
  return {
    name: cfg.name,
    type: cfg.type,
    kind: kinds.length ? kinds.join(',') : (LIVE_KIND[cfg.type] ?? null),
    format: formats.length
      ? formats.join(',')
      : cfg.type === 'file' && cfg.format !== 'auto'
        ? String(cfg.format)
        : null,
    how: res?.how ?? `${cfg.type} source`,
    status,
    status_reason: reason,
    last_position: res?.lastPosition ?? null,
    records_read: c.read,
    events: c.events,
    rejects: c.rejects,
    skipped: c.skipped,
    outside_period: c.outside,
    raw_records: c.read - c.outside,
    raw_file: rawName,
    first_event: c.first,
    last_event: c.last,
    untimed_events: c.untimed,
    counts_reconcile: got.summary.reconciled && c.read === c.events + c.rejects + skippedTotal(c),
    settings,
    roster: (res?.roster ?? []).map((r) => ({
      principal: r.principal,
      reason: r.reason,
      origin: r.origin,
      instance: r.instance ?? null,
    })),
    warnings,
    demo_time_shift_days: typeof shift === 'number' ? shift : null,
  };
}

/** The retention a source reported, or why there is none: every source gets a line. */
function sourceRetention(cfg: SourceConfig, got: Retention | null, status: string, now: Date): Retention {
  if (got) return got;
  if (cfg.type === 'file') {
    return retention(
      null,
      'read from files: how long their writer keeps them cannot be told from the files (read the source live)',
      `config paths of source ${cfg.name}`,
      { paths: cfg.paths ?? null },
      { now },
    );
  }
  if (status === 'failed')
    return retention(
      null,
      'the source could not be read, so neither could its retention settings',
      `source ${cfg.name}`,
      {},
      { now },
    );
  return retention(
    null,
    `this version does not read retention settings for ${cfg.type} sources`,
    `source ${cfg.name}`,
    {},
    { now },
  );
}
