// Opening the sources: the live source types loaded when the configuration uses one, the logging
// probe run first when asked, each configured source opened as a stream of outcomes, and what the
// completeness check is told about each. Stages of runCollect.
import { fileURLToPath } from 'node:url';
import type { SourceInfo } from '../checks/index.js';
import type { CollectConfig } from '../config/load.js';
import type { RunSummary } from '../pipeline/run.js';
import type { SourceProbeReport } from '../probe/types.js';
import { findAdapter } from '../sources/registry.js';
import { openDemoSource } from './demo.js';
import { CollectError } from './errors.js';
import { type FileSourceSettings, openFileSource } from './file-source.js';
import { liveSourceTypes, type SourceConfig, type SourceRun, type SourceRunContext } from './source.js';

export const LIVE_KIND: Record<string, SourceInfo['kind']> = {
  postgres: 'postgresql',
  mysql: 'mysql',
  'gcp-logging': 'gcp',
  cloudtrail: 'aws',
  'cloudtrail-s3': 'aws',
  'cloudwatch-logs': 'aws',
  bytebase: 'bytebase',
};
const LIVE_FORMAT: Record<string, string> = {
  postgres: 'pgaudit',
  mysql: 'mysql',
  'gcp-logging': 'gcp-audit',
  cloudtrail: 'cloudtrail',
  'cloudtrail-s3': 'cloudtrail',
  'cloudwatch-logs': 'cloudwatch-logs',
  bytebase: 'bytebase',
};

/** Loads the live source types (src/live/ registers them) when the configuration uses one. */
export async function loadLiveSources(config: CollectConfig): Promise<void> {
  if (!config.sources.some((s) => s.type !== 'file') || liveSourceTypes.size > 0) return;
  const url = new URL('../live/index.js', import.meta.url).href;
  try {
    await import(url);
  } catch (e) {
    // Only a build without src/live/ is tolerated; a live module that fails to load is an error.
    if (
      (e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' ||
      !String((e as Error).message).includes(fileURLToPath(url))
    )
      throw e;
  }
}

/**
 * Runs the logging probe on the sources that have a probe section. Loaded only when probing:
 * probe/run.js loads every live source (the AWS and Google client libraries: ~1.5 s of CPU at
 * start-up that a file-only collect does not need).
 */
export async function probeSources(
  config: CollectConfig,
  say: (m: string) => void,
  signal: AbortSignal | undefined,
): Promise<SourceProbeReport[]> {
  const { runProbes, ProbeError } = await import('../probe/run.js');
  try {
    return await runProbes(config.sources, { progress: say, signal });
  } catch (e) {
    if (e instanceof ProbeError) throw new CollectError(e.message);
    throw e;
  }
}

/** Opens a configured source as a stream of outcomes (files, the built-in demo, or a live source type). */
export function openSource(cfg: SourceConfig, ctx: SourceRunContext, summary: RunSummary, demo: boolean): SourceRun {
  if (cfg.type === 'file')
    return demo
      ? openDemoSource(cfg as FileSourceSettings, ctx, summary)
      : openFileSource(cfg as FileSourceSettings, ctx, summary);
  const opener = liveSourceTypes.get(cfg.type);
  if (!opener) throw new Error(`the live source type '${cfg.type}' is not available in this version of audit-evidence`);
  return opener(cfg, ctx, summary);
}

/** What the completeness check is told about a source (null for a format or type this version does not know). */
export function sourceInfo(cfg: SourceConfig): SourceInfo | null {
  if (cfg.type === 'file') {
    const a = findAdapter(String(cfg.format ?? 'auto'));
    return a ? { name: cfg.name, kind: a.kind, format: a.id, instance: cfg.name } : null;
  }
  const kind = LIVE_KIND[cfg.type];
  return kind ? { name: cfg.name, kind, format: LIVE_FORMAT[cfg.type], instance: cfg.name } : null;
}
