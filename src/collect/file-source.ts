// File sources: logs on disk (files, globs, directories; gzip read transparently), read through
// the normalization pipeline one file after another. A file that cannot be opened, recognised or
// read to its end makes the source partial (or failed when nothing could be read), with the reason.
import { createReadStream } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { describeDamage, expandInputs, openStream, type FailedInput } from '../pipeline/input.js';
import { detectFormat } from '../pipeline/detect.js';
import { normalizeOne, resolveAdapter, type RunSummary } from '../pipeline/run.js';
import { catalog } from '../sources/registry.js';
import type { AdapterOptions, FormatAdapter, Outcome } from '../pipeline/types.js';
import type { SourceConfig, SourceResult, SourceRun, SourceRunContext } from './source.js';

export interface FileSourceSettings extends SourceConfig {
  type: 'file';
  /** Files, globs or directories as written in the configuration. */
  paths: string[];
  /** Directory that relative paths are taken from (the configuration's directory). */
  base: string;
  format: string;
  log_line_prefix?: string;
  timezone?: string;
  /** A record longer than this is rejected with its head and hash (--max-record-bytes; default 8 MiB). */
  max_record_bytes?: number;
}

/** Path shown in events and messages: relative to the base when the pattern was, else absolute. */
function displayName(file: string, base: string, patternRelative: boolean): string {
  if (!patternRelative) return file;
  const r = relative(base, file);
  return sep === '/' ? r : r.split(sep).join('/');
}

export interface FileSourceOptions {
  /** Apply the time window in the pipeline (false when the caller shifts and filters itself, as the demo does). */
  applyWindow?: boolean;
}

const MAX_PROBLEMS_IN_REASON = 3;

export function openFileSource(
  cfg: FileSourceSettings,
  ctx: SourceRunContext,
  summary: RunSummary,
  fo: FileSourceOptions = {},
): SourceRun {
  const st: ReadState = { problems: [], filesRead: 0, filesTried: 0, formats: new Set<string>() };
  const options: AdapterOptions = {
    logLinePrefix: cfg.log_line_prefix,
    timezone: cfg.timezone ?? undefined,
    instance: cfg.name,
    ...(cfg.max_record_bytes !== undefined ? { maxRecordBytes: cfg.max_record_bytes } : {}),
  };
  const applyWindow = fo.applyWindow ?? true;

  async function* outcomes(): AsyncGenerator<Outcome> {
    let named: FormatAdapter | null;
    try {
      named = resolveAdapter(cfg.format, catalog);
    } catch (e) {
      st.problems.push((e as Error).message);
      return;
    }
    const files = await listFiles(cfg, st.problems);
    for (const f of files) {
      if (ctx.signal?.aborted) throw new Error('interrupted');
      st.filesTried++;
      ctx.progress?.(`${cfg.name}: reading ${f.name}`);
      let ok = false;
      try {
        const input = await openStream(
          f.name,
          f.path === '-' ? process.stdin : createReadStream(f.path, { highWaterMark: 256 * 1024 }),
        );
        const adapter = named ?? detectFormat(input, catalog).adapter;
        st.formats.add(adapter.id);
        yield* normalizeOne(
          adapter,
          input,
          {
            adapters: catalog,
            format: adapter.id,
            options,
            since: applyWindow ? ctx.since : null,
            until: applyWindow ? ctx.until : null,
          },
          summary,
          named ? 'named' : 'detected',
        );
        // A gzip cut short (or a read error) stopped the file early: its records before the damage
        // were read, the rest is missing, so the source is partial.
        if (input.damage) st.problems.push(describeDamage(f.name, input.damage));
        else ok = true;
      } catch (e) {
        st.problems.push((e as Error).message);
      }
      if (ok) st.filesRead++;
    }
    if (files.length === 0 && st.problems.length === 0) st.problems.push(`no files found in ${cfg.paths.join(', ')}`);
  }

  return { outcomes: outcomes(), result: () => fileSourceResult(cfg, summary, st) };
}

/** What reading the files found, for the source's result. */
interface ReadState {
  problems: string[];
  filesRead: number;
  filesTried: number;
  formats: Set<string>;
}

/** The files of the configured paths (folders expanded); what cannot be listed is a problem. */
async function listFiles(cfg: FileSourceSettings, problems: string[]): Promise<Array<{ path: string; name: string }>> {
  const files: Array<{ path: string; name: string }> = [];
  for (const p of cfg.paths) {
    const rel = p !== '-' && !isAbsolute(p);
    const abs = p === '-' ? '-' : resolve(cfg.base, p);
    try {
      const failed: FailedInput[] = [];
      for (const f of await expandInputs([abs], failed))
        files.push({ path: f, name: f === '-' ? '-' : displayName(f, cfg.base, rel) });
      for (const f of failed) problems.push(f.reason);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return files;
}

/** The source's status (complete, empty, partial or failed), why, and what was read. */
function fileSourceResult(cfg: FileSourceSettings, summary: RunSummary, st: ReadState): SourceResult {
  const { problems, filesRead, filesTried, formats } = st;
  const warnings: string[] = [];
  for (const s of summary.inputs) for (const n of s.notes) warnings.push(`${s.input}: ${n}`);
  const events = summary.events;
  let status: SourceResult['status'];
  if (problems.length === 0) status = events === 0 ? 'empty' : 'complete';
  else status = filesRead === 0 && summary.read === 0 ? 'failed' : 'partial';
  const reason =
    problems.length === 0
      ? events === 0
        ? `no events in the period in ${filesRead} file${filesRead === 1 ? '' : 's'}`
        : null
      : `${
          problems.length === 1
            ? problems[0]
            : problems.length <= MAX_PROBLEMS_IN_REASON
              ? `${problems.length} problems: ${problems.join('; ')}`
              : // A long list would bury the status line: the reason names the first few, settings.problems holds all.
                `${problems.length} problems, the first ${MAX_PROBLEMS_IN_REASON}: ${problems.slice(0, MAX_PROBLEMS_IN_REASON).join('; ')} (all ${problems.length} in this source's settings.problems)`
        }${filesTried ? ` (${filesRead} of ${filesTried} files read completely)` : ''}`;
  return {
    status,
    reason,
    how: `files: ${cfg.paths.join(', ')} read as ${cfg.format === 'auto' ? `detected format${formats.size ? ` (${[...formats].join(', ')})` : ''}` : cfg.format}`,
    settings: {
      paths: cfg.paths,
      format: cfg.format,
      ...(cfg.log_line_prefix !== undefined ? { log_line_prefix: cfg.log_line_prefix } : {}),
      ...(cfg.timezone !== undefined ? { timezone: cfg.timezone } : {}),
      ...(problems.length > MAX_PROBLEMS_IN_REASON ? { problems } : {}),
      files: summary.inputs.map((s) => ({
        file: s.input,
        format: s.format,
        read: s.read,
        events: s.events,
        rejects: s.rejects,
        skipped: s.skipped,
      })),
    },
    warnings,
  };
}
