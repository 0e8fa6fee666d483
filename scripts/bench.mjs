#!/usr/bin/env node
// `npm run bench`: throughput and memory of audit-evidence side by side with baselines, on
// synthetic inputs generated from a fixed seed (scripts/bench/gen.mjs), all in one run on the same
// files. Every measured command is a child process (the real CLI binary, bin/audit-evidence.js ->
// dist/), timed by wall clock and, when /usr/bin/time exists, its peak RSS and CPU time.
// Normalize writes its events to /dev/null (--out /dev/null), so disk speed is not measured.
//
//   npm run bench                     # 1,000,000 records per format, memory at 1M and 10M
//   npm run bench -- --quick          # 100,000 records, memory at 100k and 400k (< 2 minutes)
//   npm run bench -- --records 300000 --json-out bench-out/r.json --keep
//   npm run bench -- --quick --ref HEAD~3     # also run the build of another commit, same files
//
// Options: --records N, --quick, --json-out FILE (default bench-out/results.json), --jobs J
// (default 2: the multi-core run), --no-build (use dist/ as it is), --keep (keep the temp dir),
// --only a,b (formats to run: cloudtrail-jsonl, cloudtrail-gzip, pgaudit-csv, pgaudit-stderr, mariadb,
// cloudtrail-s3: collect of an org trail from the local S3 server vs the same files on disk),
// --ref REV (build commit REV in a temporary git worktree and run its normalize, collect and verify
// on the same files in the same run: before/after figures side by side, never from two runs),
// --repeat N (run each normalize N times and keep the run of median CPU time: steadier ratios).
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  statSync,
  readdirSync,
} from 'node:fs';
import { cpus, totalmem, tmpdir, platform, release, loadavg } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFile as genFile, writeCloudTrailGzip, PGAUDIT_PREFIX, BASE_MS, SPAN_MS } from './bench/gen.mjs';
import { runCloudTrailS3Bench, cloudTrailS3Targets } from './bench/cloudtrail-s3.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'audit-evidence.js');
const GEN = join(ROOT, 'scripts', 'bench', 'gen.mjs');
const BARE = join(ROOT, 'scripts', 'bench', 'bare-parse.mjs');
const DUCK = join(ROOT, 'scripts', 'bench', 'duckdb.mjs');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

// ---------------------------------------------------------------------------------------------
// Options
function parseArgs(argv) {
  const o = {
    records: 1_000_000,
    quick: false,
    jsonOut: 'bench-out/results.json',
    jobs: 2,
    build: true,
    keep: false,
    only: null,
    ref: null,
    repeat: 1,
  };
  let recordsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--records') {
      o.records = Number(val());
      recordsGiven = true;
    } else if (a === '--json-out') o.jsonOut = val();
    else if (a === '--jobs') o.jobs = Number(val());
    else if (a === '--no-build') o.build = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '--only') o.only = new Set(val().split(','));
    else if (a === '--ref') o.ref = val();
    else if (a === '--repeat') o.repeat = Number(val());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\n')
          .slice(1)
          .filter((l, i, a) => a.slice(0, i + 1).every((x) => x.startsWith('//')))
          .map((l) => l.replace(/^\/\/ ?/, ''))
          .join('\n') + '\n',
      );
      process.exit(0);
    } else fail(`unknown option ${a}`);
  }
  if (o.quick && !recordsGiven) o.records = 100_000;
  if (!Number.isInteger(o.records) || o.records < 1) fail('--records must be a positive integer');
  if (!Number.isInteger(o.jobs) || o.jobs < 1) fail('--jobs must be a positive integer');
  if (!Number.isInteger(o.repeat) || o.repeat < 1) fail('--repeat must be a positive integer');
  o.memFactor = o.quick ? 4 : 10;
  return o;
}
function fail(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}
const opts = parseArgs(process.argv.slice(2));
const wanted = (name) => !opts.only || opts.only.has(name);
const log = (m) => process.stderr.write(`bench: ${m}\n`);

// ---------------------------------------------------------------------------------------------
// Running children
/**
 * Runs a command (argv array, or a shell string when `shell`), measuring wall time and, with
 * /usr/bin/time, the peak RSS and user+sys CPU of the measured process.
 */
function measure(cmd, { shell = false, cwd = ROOT, env = {}, tmp } = {}) {
  return new Promise((resolvePromise) => {
    const timeFile = join(tmp, `time-${process.hrtime.bigint()}.txt`);
    const fmt = '%e %U %S %M';
    let file;
    let args;
    if (shell) {
      // The measured command is the last one of the pipeline: wrap only it.
      const parts = cmd.split(' | ');
      const last = parts.pop();
      const timed = TIME ? `${TIME} -f '${fmt}' -o ${timeFile} ${last}` : last;
      file = '/bin/sh';
      args = ['-c', [...parts, timed].join(' | ')];
    } else if (TIME) {
      file = TIME;
      args = ['-f', fmt, '-o', timeFile, ...cmd];
    } else {
      file = cmd[0];
      args = cmd.slice(1);
    }
    const t0 = process.hrtime.bigint();
    const child = spawn(file, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      let rssMB = null;
      let cpuSeconds = null;
      if (TIME && existsSync(timeFile)) {
        const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
        const m = lines[lines.length - 1].split(' ').map(Number);
        if (m.length === 4 && m.every(Number.isFinite)) {
          cpuSeconds = Math.round((m[1] + m[2]) * 100) / 100;
          rssMB = m[3] / 1024;
        }
        rmSync(timeFile, { force: true });
      }
      resolvePromise({
        code,
        seconds,
        cpuSeconds,
        rssMB,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
  });
}

/** Reads "read R records from ...: E events, J rejected, S skipped" from normalize's summary line. */
function parseSummary(stderr) {
  const m = /read (\d+) records from .*?: (\d+) events, (\d+) rejected, (\d+) skipped/.exec(stderr);
  return m ? { read: +m[1], events: +m[2], rejects: +m[3], skipped: +m[4] } : null;
}

function lastError(stderr) {
  const lines = stderr.trim().split('\n').filter(Boolean);
  return (lines.find((l) => /error/.test(l)) ?? lines[lines.length - 1] ?? '')
    .replace(/^audit-evidence: (error: )?/, '')
    .slice(0, 160);
}

/** Whether dist/ was built after the last change to src/ and schemas/ (a build takes ~12 s here). */
function distIsCurrent() {
  const built = join(ROOT, 'dist', 'cli', 'index.js');
  if (!existsSync(built)) return false;
  const builtAt = statSync(built).mtimeMs;
  const newest = (dir) => {
    let m = 0;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      m = Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }
    return m;
  };
  return Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'schemas'))) < builtAt;
}

// ---------------------------------------------------------------------------------------------
// Machine
function machine() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {
    /* not Linux */
  }
  let load = null;
  try {
    load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    /* not Linux */
  }
  return {
    cpuModel,
    cores: cpus().length,
    node: process.version,
    platform: `${platform()} ${release()}`,
    totalMemoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: load,
    jq: jqVersion(),
    time: TIME
      ? '/usr/bin/time -v available: peak RSS and CPU of each child'
      : 'no /usr/bin/time: peak RSS not measured',
  };
}
function jqVersion() {
  const r = spawnSync('jq', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// ---------------------------------------------------------------------------------------------
async function main() {
  const started = Date.now();
  if (opts.build && distIsCurrent()) log('dist/ is newer than every file in src/ and schemas/: not rebuilding');
  else if (opts.build) {
    log('building (npx tsc -p tsconfig.json)');
    const b = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    if (b.status !== 0)
      log(
        `the build reported errors; using dist/ as emitted:\n${(b.stdout + b.stderr).split('\n').slice(0, 5).join('\n')}`,
      );
  }
  if (!existsSync(join(ROOT, 'dist', 'cli', 'index.js'))) fail('dist/ is missing: run npx tsc -p tsconfig.json');
  const mach = machine();
  const tmp = mkdtempSync(join(tmpdir(), 'audit-evidence-bench-'));
  const N = opts.records;
  const results = {
    generatedAt: new Date().toISOString(),
    machine: mach,
    records: N,
    quick: opts.quick,
    output:
      'normalize writes JSON Lines to /dev/null (--out /dev/null); times are wall clock of the child process, including its start (~0.1 s)',
    complete: false,
    inputs: {},
    runs: {},
    ratios: {},
    memory: null,
    parallel: null,
    targets: [],
  };
  // The figures are written after every step (complete: false until the end), so an interrupted
  // or failing run keeps what it measured.
  const outPath = resolve(ROOT, opts.jsonOut);
  mkdirSync(dirname(outPath), { recursive: true });
  const save = () => {
    computeRatios(results);
    results.targets = targets(results);
    results.totalSeconds = round((Date.now() - started) / 1000, 1);
    writeFileSync(outPath, `${JSON.stringify(results, null, 2)}\n`);
  };
  const cleanup = () => {
    if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    // ---- inputs
    log(`generating ${N.toLocaleString('en')} records per format in ${tmp}`);
    const files = {
      'cloudtrail-jsonl': {
        path: join(tmp, 'cloudtrail.jsonl'),
        gen: 'cloudtrail-jsonl',
        format: 'cloudtrail',
        args: [],
      },
      'pgaudit-csv': { path: join(tmp, 'postgresql.csv'), gen: 'pgaudit-csv', format: 'pgaudit', args: [] },
      'pgaudit-stderr': {
        path: join(tmp, 'postgresql.log'),
        gen: 'pgaudit-stderr',
        format: 'pgaudit',
        args: ['--log-line-prefix', PGAUDIT_PREFIX],
      },
      mariadb: {
        path: join(tmp, 'server_audit.log'),
        gen: 'mariadb',
        format: 'mariadb-audit',
        args: ['--timezone', 'UTC'],
      },
    };
    for (const [name, f] of Object.entries(files)) {
      if (!wanted(name) && !(name === 'cloudtrail-jsonl' && wanted('cloudtrail-gzip'))) continue;
      f.bytes = await genFile(f.path, f.gen, N, 1);
      results.inputs[name] = { records: N, bytes: f.bytes, file: f.path.replace(tmp, '$TMP') };
    }
    let gz = null;
    if (wanted('cloudtrail-gzip')) {
      const dir = join(tmp, 'cloudtrail-gz');
      mkdirSync(dir);
      const perFile = Math.max(500, Math.ceil(N / 40));
      const g = await writeCloudTrailGzip(dir, N, perFile, 2);
      const gzBytes = g.paths.reduce((a, p) => a + statSync(p).size, 0);
      gz = { dir, bytes: g.bytes, files: g.paths.length };
      results.inputs['cloudtrail-gzip'] = {
        records: N,
        bytes: g.bytes,
        gzipBytes: gzBytes,
        files: g.paths.length,
        recordsPerFile: perFile,
        file: '$TMP/cloudtrail-gz/',
      };
    }

    // ---- normalize each format
    const normalizeArgs = (inputArgs, format, extra, jobs) =>
      // --jobs 1 said explicitly: the default is auto (every core) since issue 14.
      [
        'normalize',
        '--format',
        format,
        ...extra,
        ...inputArgs,
        '--out',
        '/dev/null',
        '--quiet',
        '--jobs',
        String(jobs),
      ];
    const normalize = async (name, inputArgs, format, extra, bytes, jobs = 1, bin = BIN) => {
      const args = normalizeArgs(inputArgs, format, extra, jobs);
      log(`normalize ${name}${jobs > 1 ? ` --jobs ${jobs}` : ''}${bin === BIN ? '' : ` (${opts.ref})`}`);
      const tries = [];
      for (let i = 0; i < opts.repeat; i++) tries.push(await measure([process.execPath, bin, ...args], { tmp }));
      return normalizeResult(tries, args, bytes);
    };
    /** The run of median CPU time among `tries` of one normalize command, as a result. */
    const normalizeResult = (tries, args, bytes) => {
      tries.sort((x, y) => (x.cpuSeconds ?? x.seconds) - (y.cpuSeconds ?? y.seconds));
      const r = tries[Math.floor(tries.length / 2)];
      const sum = parseSummary(r.stderr);
      if (r.code !== 0 || !sum) return { status: 'not available', why: lastError(r.stderr) || `exit ${r.code}` };
      return {
        status: 'ok',
        command: `audit-evidence ${args.join(' ').replace(new RegExp(tmp, 'g'), '$TMP')}`,
        ...sum,
        seconds: round(r.seconds, 3),
        cpuSeconds: r.cpuSeconds,
        eventsPerSecond: Math.round(sum.events / r.seconds),
        recordsPerSecond: Math.round(sum.read / r.seconds),
        MBPerSecond: round(bytes / 1e6 / r.seconds, 1),
        peakRssMB: r.rssMB && round(r.rssMB, 1),
      };
    };
    save();
    // With --ref, the other commit is built first and its runs alternate with this build's, run
    // for run, so that a change of load on a shared machine weighs on both sides alike (one side
    // after the other, a busy minute made the ratios swing by 30%).
    const refBin = opts.ref ? buildRef(opts.ref, tmp) : null;
    if (refBin?.error) results.ref = { rev: opts.ref, status: 'not available', why: refBin.error };
    else if (refBin) results.ref = { rev: opts.ref, commit: refBin.commit, status: 'ok' };
    for (const [name, f] of Object.entries(files)) {
      if (!wanted(name)) continue;
      if (!refBin?.bin) {
        results.runs[`normalize ${name}`] = await normalize(name, [f.path], f.format, f.args, f.bytes);
        save();
        continue;
      }
      const args = normalizeArgs([f.path], f.format, f.args, 1);
      const mine = [];
      const theirs = [];
      log(`normalize ${name}, this build and ${opts.ref} alternately`);
      for (let i = 0; i < opts.repeat; i++) {
        mine.push(await measure([process.execPath, BIN, ...args], { tmp }));
        theirs.push(await measure([process.execPath, refBin.bin, ...args], { tmp }));
      }
      results.runs[`normalize ${name}`] = normalizeResult(mine, args, f.bytes);
      results.runs[`ref normalize ${name}`] = normalizeResult(theirs, args, f.bytes);
      save();
    }
    if (gz) {
      results.runs['normalize cloudtrail-gzip'] = await normalize(
        'cloudtrail-gzip',
        [gz.dir],
        'cloudtrail',
        [],
        gz.bytes,
      );
      save();
    }

    // ---- baselines on the CloudTrail JSON Lines file
    const ct = files['cloudtrail-jsonl'];
    if (wanted('cloudtrail-jsonl')) {
      log('baseline: bare read + JSON.parse');
      const b = await measure([process.execPath, BARE, ct.path], { tmp });
      const recs = b.code === 0 ? JSON.parse(b.stdout).records : 0;
      results.runs['baseline bare read+JSON.parse cloudtrail-jsonl'] = {
        status: b.code === 0 ? 'ok' : 'failed',
        command: 'node scripts/bench/bare-parse.mjs $TMP/cloudtrail.jsonl',
        read: recs,
        events: recs,
        seconds: round(b.seconds, 3),
        cpuSeconds: b.cpuSeconds,
        eventsPerSecond: Math.round(recs / b.seconds),
        MBPerSecond: round(ct.bytes / 1e6 / b.seconds, 1),
        peakRssMB: b.rssMB && round(b.rssMB, 1),
      };
      save();
      if (mach.jq) {
        log('baseline: jq -c projection of the four fields');
        const filter =
          '{user: .userIdentity.arn, action: (.eventSource + ":" + .eventName), timestamp: .eventTime, resource: (.resources[0].ARN // null)}';
        const j = await measure(`jq -c '${filter}' ${ct.path} > /dev/null`, { shell: true, tmp });
        results.runs['baseline jq cloudtrail-jsonl'] = {
          status: j.code === 0 ? 'ok' : 'failed',
          command: `jq -c '${filter}' $TMP/cloudtrail.jsonl > /dev/null`,
          read: N,
          events: N,
          seconds: round(j.seconds, 3),
          cpuSeconds: j.cpuSeconds,
          eventsPerSecond: Math.round(N / j.seconds),
          MBPerSecond: round(ct.bytes / 1e6 / j.seconds, 1),
          peakRssMB: j.rssMB && round(j.rssMB, 1),
        };
      } else results.runs['baseline jq cloudtrail-jsonl'] = { status: 'jq not installed' };
      save();
      log('baseline: read + JSON.parse + JSON.stringify + sha256 per line');
      const f = await measure([process.execPath, BARE, '--stringify-hash', ct.path], { tmp });
      results.runs['baseline node parse+stringify+sha256 cloudtrail-jsonl'] = baselineRun(
        f,
        'node scripts/bench/bare-parse.mjs --stringify-hash $TMP/cloudtrail.jsonl',
        ct.bytes,
      );
      save();
      for (const [mode, what] of [
        ['equivalent', 'raw hash + four fields + record re-emitted as JSON'],
        ['parquet', 'four fields to Parquet'],
      ]) {
        log(`baseline: DuckDB, one thread, ${what}`);
        const d = await measure([process.execPath, DUCK, mode, ct.path, join(tmp, 'four-fields.parquet')], { tmp });
        results.runs[`baseline duckdb ${mode} cloudtrail-jsonl`] =
          d.code === 0
            ? baselineRun(d, `node scripts/bench/duckdb.mjs ${mode} $TMP/cloudtrail.jsonl`, ct.bytes)
            : {
                status: 'not available',
                why:
                  lastError(d.stderr) ||
                  `exit ${d.code} (is @duckdb/node-api installed? npm ci installs it as a dev dependency)`,
              };
        save();
      }
    }

    // ---- the same files through the build of another commit (--ref), in the same run
    if (refBin?.bin && wanted('cloudtrail-jsonl')) {
      await bundleRuns(results, files, tmp, save, refBin.bin, 'ref ');
      save();
    }

    // ---- multi-core: the gzip files on 1 and on J workers
    if (gz && opts.jobs > 1) {
      const one = results.runs['normalize cloudtrail-gzip'];
      const many = await normalize('cloudtrail-gzip', [gz.dir], 'cloudtrail', [], gz.bytes, opts.jobs);
      results.runs[`normalize cloudtrail-gzip --jobs ${opts.jobs}`] = many;
      results.parallel =
        one.status === 'ok' && many.status === 'ok'
          ? {
              jobs: opts.jobs,
              files: gz.files,
              secondsOneJob: one.seconds,
              secondsJobs: many.seconds,
              speedup: round(one.seconds / many.seconds, 2),
            }
          : { jobs: opts.jobs, status: 'not available', why: many.why ?? one.why };
      save();
    }

    // ---- multi-core: one big JSON Lines file (split into blocks) on 1 and on J workers
    if (opts.jobs > 1 && wanted('cloudtrail-jsonl')) {
      const one = results.runs['normalize cloudtrail-jsonl'];
      const loadBefore = loadavg()[0];
      const many = await normalize('cloudtrail-jsonl', [ct.path], 'cloudtrail', [], ct.bytes, opts.jobs);
      results.runs[`normalize cloudtrail-jsonl --jobs ${opts.jobs}`] = many;
      results.parallelOneFile =
        one.status === 'ok' && many.status === 'ok'
          ? {
              jobs: opts.jobs,
              secondsOneJob: one.seconds,
              secondsJobs: many.seconds,
              speedup: round(one.seconds / many.seconds, 2),
              cpuRatio: round(many.cpuSeconds / one.cpuSeconds, 2),
              peakRssMB: many.peakRssMB,
              rssPerWorkerMB: many.peakRssMB && round(many.peakRssMB / opts.jobs, 1),
              loadAverage: [round(loadBefore, 2), round(loadavg()[0], 2)],
            }
          : { jobs: opts.jobs, status: 'not available', why: many.why ?? one.why };
      save();
    }

    // ---- start-up: a one-record normalize, median of several runs (this build and --ref)
    // (only when the CloudTrail file was generated: --only cloudtrail-s3 and the like do not make it)
    if (existsSync(files['cloudtrail-jsonl'].path)) {
      const one = join(tmp, 'one-record.jsonl');
      writeFileSync(
        one,
        `${readFileSync(ct?.path ?? files['cloudtrail-jsonl']?.path ?? '/dev/null', 'utf8').split('\n')[0] ?? ''}\n`,
      );
      const runs = opts.quick ? 7 : 15;
      const startup = async (bin) => {
        const xs = [];
        for (let i = 0; i < runs; i++)
          xs.push(
            await measure(
              [process.execPath, bin, 'normalize', '--format', 'cloudtrail', one, '--out', '/dev/null', '--quiet'],
              { tmp },
            ),
          );
        const med = (k) => {
          const v = xs
            .map((x) => x[k])
            .filter((x) => x != null)
            .sort((a, b) => a - b);
          return v.length ? round(v[Math.floor(v.length / 2)], 3) : null;
        };
        return { runs, medianSeconds: med('seconds'), medianCpuSeconds: med('cpuSeconds') };
      };
      if (ct) {
        log(`start-up: one-record normalize x${runs}`);
        results.startup = {
          command: 'audit-evidence normalize --format cloudtrail $TMP/one-record.jsonl --out /dev/null --quiet',
          this: await startup(BIN),
        };
        if (opts.ref && results.ref?.status === 'ok')
          results.startup.ref = await startup(join(tmp, 'ref', 'bin', 'audit-evidence.js'));
        save();
      }
    }

    // ---- collect and verify
    await bundleRuns(results, files, tmp, save);
    save();

    // ---- cloudtrail-s3: an org trail from the local S3 server vs the same files on local disk (scripts/bench/cloudtrail-s3.mjs)
    if (wanted('cloudtrail-s3')) {
      await runCloudTrailS3Bench({
        root: ROOT,
        bin: BIN,
        tmp,
        records: N,
        quick: opts.quick,
        measure,
        log,
        save,
        results,
        lastError,
      });
      save();
    }

    // ---- memory at N and memFactor×N (generator piped into `normalize -`, nothing on disk)
    if (wanted('cloudtrail-jsonl')) {
      const mem = {
        format: 'cloudtrail-jsonl',
        how: 'node scripts/bench/gen.mjs cloudtrail-jsonl R | audit-evidence normalize --format cloudtrail - --out /dev/null',
        sizes: [],
      };
      for (const n of [N, N * opts.memFactor]) {
        log(`memory: ${n.toLocaleString('en')} records through stdin`);
        const r = await measure(
          `${process.execPath} ${GEN} cloudtrail-jsonl ${n} 3 | ${process.execPath} ${BIN} normalize --format cloudtrail - --out /dev/null --quiet`,
          { shell: true, tmp },
        );
        const sum = parseSummary(r.stderr);
        mem.sizes.push(
          r.code === 0 && sum
            ? {
                records: n,
                events: sum.events,
                seconds: round(r.seconds, 2),
                eventsPerSecond: Math.round(sum.events / r.seconds),
                peakRssMB: r.rssMB && round(r.rssMB, 1),
              }
            : { records: n, status: 'not available', why: lastError(r.stderr) },
        );
        results.memory = mem;
        save();
      }
      const [a, b] = mem.sizes;
      if (a.peakRssMB && b.peakRssMB) mem.growthPercent = round(((b.peakRssMB - a.peakRssMB) / a.peakRssMB) * 100, 1);
      results.memory = mem;
    }

    results.complete = true;
    save();
    print(results);
    log(`figures written to ${outPath} (${results.totalSeconds} s in all)`);
  } finally {
    cleanup();
  }
}

// ---------------------------------------------------------------------------------------------
// collect + verify: run when the commands exist, 'not available' otherwise.
async function bundleRuns(results, files, tmp, save = () => {}, BIN_ = BIN, P = '') {
  const BIN = BIN_;
  const help = spawnSync(process.execPath, [BIN, 'collect', '--help'], { encoding: 'utf8' });
  const vhelp = spawnSync(process.execPath, [BIN, 'verify', '--help'], { encoding: 'utf8' });
  const missing = (h) => h.status !== 0 || /not available/i.test(h.stdout + h.stderr);
  if (missing(help) || missing(vhelp)) {
    const why = 'the command is not available in this build';
    results.runs[`${P}collect cloudtrail-jsonl`] = {
      status: 'not available',
      why: missing(help) ? why : 'verify is not available',
    };
    results.runs[`${P}verify cloudtrail-jsonl`] = {
      status: 'not available',
      why: missing(vhelp) ? why : 'collect is not available',
    };
    return;
  }
  const ct = files['cloudtrail-jsonl'];
  if (!ct.bytes) return;
  const dir = join(tmp, `${P.trim() || 'this'}-collect`);
  mkdirSync(dir, { recursive: true });
  // A throwaway signing key for the bench run only (keygen writes PREFIX.key and PREFIX.pub.pem).
  const keyPrefix = join(dir, 'bench');
  const kg = spawnSync(process.execPath, [BIN, 'keygen', '--out', keyPrefix], { encoding: 'utf8' });
  const priv = existsSync(`${keyPrefix}.key`) ? `${keyPrefix}.key` : null;
  const pub = existsSync(`${keyPrefix}.pub.pem`) ? `${keyPrefix}.pub.pem` : null;
  const config = {
    version: 1,
    sources: [{ name: 'bench-cloudtrail', type: 'file', format: 'cloudtrail', paths: [ct.path] }],
  };
  const cfgPath = join(dir, 'audit-evidence.json');
  writeFileSync(cfgPath, JSON.stringify(config, null, 2));
  const since = new Date(BASE_MS - 86400000).toISOString().slice(0, 10);
  const until = new Date(BASE_MS + SPAN_MS + 2 * 86400000).toISOString().slice(0, 10);
  const bundle = join(dir, 'bundle.zip');
  const args = [
    'collect',
    '--config',
    cfgPath,
    '--since',
    since,
    '--until',
    until,
    '--out',
    bundle,
    ...(priv ? ['--key', priv] : []),
    '--quiet',
  ];
  log(`${P}collect cloudtrail-jsonl`);
  // collect refuses a period that ends after 'now' (SOURCE_DATE_EPOCH here): now is a day after the period.
  const c = await measure([process.execPath, BIN, ...args], {
    tmp,
    env: { SOURCE_DATE_EPOCH: String(Math.floor(Date.parse(until) / 1000) + 86400) },
  });
  if (!existsSync(bundle) || c.code !== 0) {
    results.runs[`${P}collect cloudtrail-jsonl`] = {
      status: 'not available',
      why: lastError(c.stderr) || `exit ${c.code}${kg.status ? ` (keygen: ${lastError(kg.stderr)})` : ''}`,
    };
    results.runs[`${P}verify cloudtrail-jsonl`] = { status: 'not available', why: 'no bundle to verify' };
    return;
  }
  results.runs[`${P}collect cloudtrail-jsonl`] = {
    status: 'ok',
    exitCode: c.code,
    command: `SOURCE_DATE_EPOCH=... audit-evidence ${args.join(' ').replace(new RegExp(tmp, 'g'), '$TMP')}`,
    read: N_(results),
    events: N_(results),
    seconds: round(c.seconds, 3),
    cpuSeconds: c.cpuSeconds,
    eventsPerSecond: Math.round(N_(results) / c.seconds),
    MBPerSecond: round(ct.bytes / 1e6 / c.seconds, 1),
    peakRssMB: c.rssMB && round(c.rssMB, 1),
    bundleBytes: statSync(bundle).size,
  };
  save();
  log(`${P}verify cloudtrail-jsonl`);
  const vargs = ['verify', bundle, ...(pub ? ['--pubkey', pub] : []), '--quiet'];
  const v = await measure([process.execPath, BIN, ...vargs], { tmp });
  results.runs[`${P}verify cloudtrail-jsonl`] =
    v.code === 2
      ? { status: 'not available', why: lastError(v.stderr) }
      : {
          status: 'ok',
          exitCode: v.code,
          valid: v.code === 0,
          command: `audit-evidence ${vargs.join(' ').replace(new RegExp(tmp, 'g'), '$TMP')}`,
          read: N_(results),
          events: N_(results),
          seconds: round(v.seconds, 3),
          cpuSeconds: v.cpuSeconds,
          eventsPerSecond: Math.round(N_(results) / v.seconds),
          peakRssMB: v.rssMB && round(v.rssMB, 1),
        };
}
const N_ = (results) => results.records;

function baselineRun(m, command, bytes) {
  const recs = m.code === 0 ? JSON.parse(m.stdout).records : 0;
  return {
    status: m.code === 0 ? 'ok' : 'failed',
    command,
    read: recs,
    events: recs,
    seconds: round(m.seconds, 3),
    cpuSeconds: m.cpuSeconds,
    eventsPerSecond: Math.round(recs / m.seconds),
    MBPerSecond: round(bytes / 1e6 / m.seconds, 1),
    peakRssMB: m.rssMB && round(m.rssMB, 1),
  };
}

/** Checks out REV into a temporary git worktree, links this checkout's node_modules and builds it. */
function buildRef(rev, tmp) {
  const dir = join(tmp, 'ref');
  const c = spawnSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: ROOT, encoding: 'utf8' });
  if (c.status !== 0) return { error: `git does not know ${rev}` };
  const commit = c.stdout.trim();
  log(`building ${rev} (${commit.slice(0, 10)}) in a temporary worktree`);
  const w = spawnSync('git', ['worktree', 'add', '--detach', dir, commit], { cwd: ROOT, encoding: 'utf8' });
  if (w.status !== 0) return { error: `git worktree add failed: ${w.stderr.trim()}` };
  process.on('exit', () => spawnSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT }));
  spawnSync('ln', ['-s', join(ROOT, 'node_modules'), join(dir, 'node_modules')]);
  const b = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    { cwd: dir, encoding: 'utf8' },
  );
  if (!existsSync(join(dir, 'dist', 'cli', 'index.js')))
    return { error: `the build of ${rev} failed: ${(b.stdout + b.stderr).split('\n').slice(0, 3).join(' ')}` };
  return { bin: join(dir, 'bin', 'audit-evidence.js'), commit };
}

// ---------------------------------------------------------------------------------------------
function computeRatios(res) {
  const r = res.runs;
  const ok = (k) => (r[k]?.status === 'ok' ? r[k] : null);
  const ours = ok('normalize cloudtrail-jsonl');
  const bare = ok('baseline bare read+JSON.parse cloudtrail-jsonl');
  const full = ok('baseline node parse+stringify+sha256 cloudtrail-jsonl');
  const jq = ok('baseline jq cloudtrail-jsonl');
  const duck = ok('baseline duckdb equivalent cloudtrail-jsonl');
  const parquet = ok('baseline duckdb parquet cloudtrail-jsonl');
  const col = ok('collect cloudtrail-jsonl');
  const ver = ok('verify cloudtrail-jsonl');
  const ratio = (a, b) => (a && b ? round(a / b, 3) : null);
  res.ratios = {
    // CPU time (user+sys of each child) first: steadier than wall time when other work shares the
    // machine. "x / ours" > 1 means ours is faster.
    'bare parse CPU / ours CPU (cloudtrail-jsonl)': ratio(bare?.cpuSeconds, ours?.cpuSeconds),
    'node parse+stringify+sha256 CPU / ours CPU': ratio(full?.cpuSeconds, ours?.cpuSeconds),
    'jq CPU / ours CPU': ratio(jq?.cpuSeconds, ours?.cpuSeconds),
    'DuckDB equivalent work CPU / ours CPU': ratio(duck?.cpuSeconds, ours?.cpuSeconds),
    'DuckDB Parquet four fields CPU / ours CPU': ratio(parquet?.cpuSeconds, ours?.cpuSeconds),
    'collect / normalize (CPU time)': ratio(col?.cpuSeconds, ours?.cpuSeconds),
    'verify / normalize (CPU time)': ratio(ver?.cpuSeconds, ours?.cpuSeconds),
    'collect / normalize (time, cloudtrail-jsonl)': ratio(col?.seconds, ours?.seconds),
    'verify / normalize (time, cloudtrail-jsonl)': ratio(ver?.seconds, ours?.seconds),
    'speed-up on 2+ cores (cloudtrail-gzip, --jobs)': res.parallel?.speedup ?? null,
    'speed-up on 2+ cores (one cloudtrail-jsonl file split, --jobs)': res.parallelOneFile?.speedup ?? null,
    'CPU with --jobs / CPU with one thread (one file split)': res.parallelOneFile?.cpuRatio ?? null,
    'peak RSS MB per worker (one file split: process peak / jobs)': res.parallelOneFile?.rssPerWorkerMB ?? null,
    'load average before/after the split run': res.parallelOneFile?.loadAverage?.join(' / ') ?? null,
    'start-up: one-record normalize median wall s (this)': res.startup?.this?.medianSeconds ?? null,
    'start-up: one-record normalize median CPU s (this)': res.startup?.this?.medianCpuSeconds ?? null,
    'start-up: one-record normalize median CPU s (ref)': res.startup?.ref?.medianCpuSeconds ?? null,
  };
  // --ref: this build against the other commit's, run for run (CPU time; > 1 = this build is faster).
  for (const k of Object.keys(r)) {
    if (!k.startsWith('ref ')) continue;
    const mine = ok(k.slice(4));
    const theirs = ok(k);
    res.ratios[`${k.slice(4)}: ref CPU / this CPU`] = ratio(theirs?.cpuSeconds, mine?.cpuSeconds);
  }
}

function targets(res) {
  const r = res.runs;
  const t = [];
  const add = (name, value, pass, goal) =>
    t.push({
      target: name,
      goal,
      value,
      result: value === null || value === undefined ? 'n/a' : pass ? 'PASS' : 'FAIL',
    });
  const q = res.ratios;
  const duck = q['DuckDB equivalent work CPU / ours CPU'];
  add(
    'CloudTrail JSONL normalize CPU vs DuckDB doing the equivalent work (one thread)',
    duck,
    duck >= 1,
    'DuckDB CPU / ours >= 1.0',
  );
  const jq = q['jq CPU / ours CPU'];
  add('CloudTrail JSONL normalize CPU vs jq four-field projection', jq, jq >= 2, 'jq CPU / ours >= 2.0');
  if (res.ref?.status === 'ok') {
    for (const k of ['cloudtrail-jsonl', 'pgaudit-csv', 'pgaudit-stderr', 'mariadb']) {
      const v = q[`normalize ${k}: ref CPU / this CPU`];
      add(`${k} normalize: no loss against ${res.ref.rev}`, v, v >= 0.95, 'ref CPU / this >= 0.95');
      // Issue 14 target 1, judged when --ref is the state before the issue's work (e.g. --ref ab738f9).
      const want = k === 'cloudtrail-jsonl' ? 2.5 : 2;
      add(
        `${k} normalize: ${want}x faster than ${res.ref.rev} (issue 14, one thread)`,
        v,
        v >= want,
        `ref CPU / this >= ${want}`,
      );
    }
  }
  for (const k of ['pgaudit-csv', 'mariadb']) {
    const x = r[`normalize ${k}`];
    add(
      `${k} normalize events/s`,
      x?.status === 'ok' ? x.eventsPerSecond : null,
      x?.eventsPerSecond >= 150000,
      '>= 150000',
    );
  }
  add(
    'collect CPU / normalize CPU',
    q['collect / normalize (CPU time)'],
    q['collect / normalize (CPU time)'] <= 1.5,
    '<= 1.5',
  );
  add(
    'verify CPU / normalize CPU',
    q['verify / normalize (CPU time)'],
    q['verify / normalize (CPU time)'] <= 1.0,
    '<= 1.0',
  );
  // One core: the --jobs run has a heap per worker and is reported, not judged, here.
  const rss = Object.entries(r)
    .filter(([k, v]) => k.startsWith('normalize') && !k.includes('--jobs') && v.status === 'ok' && v.peakRssMB)
    .map(([, v]) => v.peakRssMB);
  for (const s of res.memory?.sizes ?? []) if (s.peakRssMB) rss.push(s.peakRssMB);
  add(
    'normalize peak RSS (MB, max over one-core runs)',
    rss.length ? Math.max(...rss) : null,
    Math.max(...rss) < 200,
    '< 200',
  );
  add(
    `peak RSS growth from N to ${opts.memFactor}×N (%)`,
    res.memory?.growthPercent ?? null,
    res.memory?.growthPercent <= 10,
    '<= 10',
  );
  add(
    `speed-up of --jobs ${opts.jobs} (several files)`,
    res.parallel?.speedup ?? null,
    res.parallel?.speedup >= 1.7,
    '>= 1.7 on 2 cores',
  );
  add(
    `speed-up of --jobs ${opts.jobs} (one big file, split)`,
    res.parallelOneFile?.speedup ?? null,
    res.parallelOneFile?.speedup >= 1.7,
    '>= 1.7 on 2 cores',
  );
  add(
    `peak RSS per worker (one big file, --jobs ${opts.jobs})`,
    res.parallelOneFile?.rssPerWorkerMB ?? null,
    res.parallelOneFile?.rssPerWorkerMB < 200,
    '< 200 MB',
  );
  const su = res.startup;
  if (su?.ref?.medianCpuSeconds)
    add(
      `start-up CPU of a one-record normalize vs ${res.ref.rev}`,
      round(su.this.medianCpuSeconds / su.ref.medianCpuSeconds, 3),
      su.this.medianCpuSeconds <= 0.85 * su.ref.medianCpuSeconds,
      'this / ref <= 0.85',
    );
  t.push(...cloudTrailS3Targets(res));
  return t;
}

// ---------------------------------------------------------------------------------------------
function print(res) {
  const out = [];
  const m = res.machine;
  out.push(
    `audit-evidence benchmark: ${res.records.toLocaleString('en')} records per format${res.quick ? ' (--quick)' : ''}`,
  );
  out.push(
    `machine: ${m.cpuModel}, ${m.cores} cores, ${m.totalMemoryGB} GB, Node ${m.node}, load at start ${m.loadAverageAtStart?.join(' ') ?? '?'}; jq: ${m.jq ?? 'jq not installed'}`,
  );
  out.push(`normalize writes to /dev/null; times are wall clock of the child process (shared machine: expect noise)`);
  out.push('');
  const notes = [];
  const rows = [['run', 'status', 'records', 'events', 'seconds', 'cpu s', 'events/s', 'MB/s', 'peak RSS MB']];
  for (const [k, v] of Object.entries(res.runs)) {
    if (v.status !== 'ok') {
      rows.push([k, v.status, '', '', '', '', '', '', '']);
      if (v.why) notes.push(`${k}: ${v.why}`);
      continue;
    }
    rows.push([
      k,
      'ok',
      fmtN(v.read),
      fmtN(v.events),
      v.seconds.toFixed(2),
      v.cpuSeconds?.toFixed(2) ?? '',
      fmtN(v.eventsPerSecond),
      v.MBPerSecond?.toFixed(1) ?? '',
      v.peakRssMB?.toFixed(1) ?? '',
    ]);
  }
  for (const s of res.memory?.sizes ?? []) {
    rows.push([
      `memory: normalize - (stdin) ${fmtN(s.records)}`,
      s.status ?? 'ok',
      fmtN(s.records),
      fmtN(s.events ?? ''),
      s.seconds?.toFixed(2) ?? '',
      '',
      fmtN(s.eventsPerSecond ?? ''),
      '',
      s.peakRssMB?.toFixed(1) ?? '',
    ]);
  }
  out.push(...table(rows));
  for (const n of notes) out.push(`  ${n}`);
  out.push('');
  out.push('ratios:');
  for (const [k, v] of Object.entries(res.ratios)) out.push(`  ${k}: ${v ?? 'n/a'}`);
  if (res.memory?.growthPercent !== undefined)
    out.push(
      `  peak RSS growth ${fmtN(res.memory.sizes[0].records)} -> ${fmtN(res.memory.sizes[1].records)} records: ${res.memory.growthPercent}%`,
    );
  out.push('');
  out.push(
    ...table([
      ['target', 'goal', 'value', 'result'],
      ...res.targets.map((t) => [t.target, t.goal, t.value ?? 'n/a', t.result]),
    ]),
  );
  process.stdout.write(`${out.join('\n')}\n`);
}
function table(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r, ri) =>
    r
      .map((c, i) =>
        i === 0 || (ri > 0 && isNaN(Number(String(c).replace(/,/g, ''))))
          ? String(c).padEnd(w[i])
          : String(c).padStart(w[i]),
      )
      .join('  ')
      .trimEnd(),
  );
}
const fmtN = (n) => (typeof n === 'number' ? n.toLocaleString('en') : n);
const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d;

await main();
