// Helpers for bundle tests: build a real bundle from the shipped sample logs with the real CLI,
// read a bundle's files, and write them back into a zip (with other zip settings than collect's).
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { openBundle } from '../../src/bundle/zip-reader.js';
import { runCli, type CliResult } from '../helpers/cli.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEMO = join(ROOT, 'fixtures/demo');
/** 2026-11-29T12:00:00Z: the clock of every reproducible test run. */
export const EPOCH = '1795953600';

export function tempDir(prefix = 'ae-bundle-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A config over the shipped samples that have a working adapter in every version of this test. */
export function writeConfig(dir: string, extra = '', name = 'audit-evidence.yaml'): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `version: 1
profile: soc2
sources:
  - name: pg
    type: file
    paths: [${join(DEMO, 'pgaudit')}]
    format: pgaudit
    log_line_prefix: '%m [%p] %q%u@%d/%a '
  - name: mariadb
    type: file
    paths: [${join(DEMO, 'mariadb/*.log')}]
    format: mariadb-audit
    timezone: UTC
  - name: aws
    type: file
    paths: [${join(DEMO, 'cloudtrail')}]
    format: cloudtrail
${extra}`,
  );
  return path;
}

export async function keygen(dir: string, name = 'k'): Promise<{ key: string; pub: string }> {
  const r = await runCli(['keygen', '--out', join(dir, name)]);
  if (r.code !== 0) throw new Error(r.stderr);
  return { key: join(dir, `${name}.key`), pub: join(dir, `${name}.pub.pem`) };
}

/** collect over the fixed period that holds the samples (the pg15 and MariaDB runs of 2026-11-22; the CloudTrail file of 2024). */
export function collect(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliResult> {
  return runCli(['collect', ...args], { env: { SOURCE_DATE_EPOCH: EPOCH, ...env }, cwd });
}

export async function readAll(zip: string): Promise<Map<string, Buffer>> {
  const b = await openBundle(zip);
  try {
    const out = new Map<string, Buffer>();
    for (const name of b.names) out.set(name, await b.read(name));
    return out;
  } finally {
    b.close();
  }
}

/** Writes files into a new zip with settings unlike collect's (stored, other times and modes, other order). */
export async function rezip(files: Map<string, Buffer>, out: string, opts: { reverse?: boolean } = {}): Promise<void> {
  const zip = new yazl.ZipFile();
  const names = [...files.keys()];
  if (opts.reverse) names.reverse();
  for (const n of names)
    zip.addBuffer(files.get(n)!, n, { compress: false, mtime: new Date(2001, 1, 2), mode: 0o100600 });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(out));
}

export function unzipTo(files: Map<string, Buffer>, dir: string): void {
  for (const [n, data] of files) {
    mkdirSync(dirname(join(dir, n)), { recursive: true });
    writeFileSync(join(dir, n), data);
  }
}

export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

export const read = (p: string) => readFileSync(p);
