// The cloudtrail-s3 case of `npm run bench` (issue 15): an organization trail of N events (1,000,000
// full size, 100,000 with --quick) laid out exactly as CloudTrail writes it (AWSLogs/<org>/<account>/
// CloudTrail/<region>/YYYY/MM/DD/*.json.gz, one file per 5 minutes per account and region, plus one
// signed digest per account, region and hour under CloudTrail-Digest/), written once to local disk
// and put, byte for byte, into the project's local S3 server (test/helpers/servers/s3.ts, the S3
// REST API the real @aws-sdk/client-s3 talks to) on loopback, with the CloudTrail ListPublicKeys
// server for the digest check. In the same run, on the same files:
//   - collect with a `cloudtrail-s3` source (list, GetObject 8 at a time, streamed gunzip, digest check);
//   - collect with a `file` source over the same folder on local disk (what `aws s3 sync` leaves).
// Each is the real binary as a child process: wall, CPU (user+sys) and peak RSS from /usr/bin/time;
// the S3 server runs in the bench process and its CPU is reported apart. Target: the S3 collect
// within 1.3x of the local-disk collect's wall time.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { prng, cloudTrailRecord } from './gen.mjs';

export const CASE = 'cloudtrail-s3';
const ORG = 'o-benchorg01';
const BUCKET = 'bench-org-trail';
const ACCOUNTS = ['111111111111', '222222222222', '333333333333', '444444444444'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const HOURS = 24;
const FILES_PER_HOUR = 12; // CloudTrail delivers about every 5 minutes
const START = Date.UTC(2024, 4, 2); // the period: 2024-05-02T00:00Z, 24 hours
const TARGET = 1.3;

const iso = (t) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ymd = (t) => new Date(t).toISOString().slice(0, 10).replace(/-/g, '/');
const fileStamp = (t) => {
  const d = new Date(t).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}T${d.slice(11, 13)}${d.slice(14, 16)}Z`;
};
const digestStamp = (t) => `${fileStamp(t).slice(0, -1)}00Z`;
const round = (x, d) => Math.round(x * 10 ** d) / 10 ** d;

/** Loads a TypeScript test helper (node: imports only) by transpiling it with the project's typescript. */
async function loadHelper(root, tmp, rel) {
  const ts = createRequire(join(root, 'package.json'))('typescript');
  const out = ts.transpileModule(readFileSync(join(root, rel), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = join(tmp, rel.replace(/[/\\]/g, '_').replace(/\.ts$/, '.mjs'));
  writeFileSync(file, out.outputText);
  return import(pathToFileURL(file).href);
}

/** Writes the trail to `dir` (the local copy) and into the S3 server. Returns counts and bytes. */
function writeTrail(dir, s3, n) {
  const groups = ACCOUNTS.length * REGIONS.length * HOURS * FILES_PER_HOUR;
  const perFile = Math.ceil(n / groups);
  const r = prng(15);
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ type: 'pkcs1', format: 'der' }).toString('base64');
  const fingerprint = createHash('md5').update(Buffer.from(der, 'base64')).digest('hex');
  s3.createBucket(BUCKET);
  const put = (key, body, meta) => {
    const p = join(dir, ...key.split('/'));
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, body);
    s3.putObject(BUCKET, key, body, { contentType: 'application/json', ...(meta ? { meta } : {}) });
  };
  let events = 0;
  let files = 0;
  let digests = 0;
  let bytes = 0;
  let gzBytes = 0;
  let i = 0;
  for (const account of ACCOUNTS) {
    for (const region of REGIONS) {
      let prev = null;
      for (let h = 0; h < HOURS; h++) {
        const hourStart = START + h * 3600_000;
        const logFiles = [];
        for (let f = 0; f < FILES_PER_HOUR; f++) {
          const sliceStart = hourStart + f * 300_000;
          const take = Math.max(0, Math.min(perFile, n - events));
          const recs = [];
          for (let k = 0; k < take; k++, i++) {
            const rec = cloudTrailRecord(r, i, n);
            rec.eventTime = iso(sliceStart + Math.floor((k * 300_000) / take));
            rec.awsRegion = region;
            rec.recipientAccountId = account;
            recs.push(JSON.stringify(rec));
          }
          events += take;
          const json = Buffer.from(`{"Records":[${recs.join(',')}]}`);
          const delivered = sliceStart + 300_000 + 60_000 * (1 + (f % 4));
          const key = `AWSLogs/${ORG}/${account}/CloudTrail/${region}/${ymd(delivered)}/${account}_CloudTrail_${region}_${fileStamp(delivered)}_${createHash('md5').update(`${account}${region}${h}${f}`).digest('hex').slice(0, 16)}.json.gz`;
          const gz = gzipSync(json, { level: 6 });
          put(key, gz);
          files++;
          bytes += json.length;
          gzBytes += gz.length;
          logFiles.push({
            s3Bucket: BUCKET,
            s3Object: key,
            hashValue: createHash('sha256').update(json).digest('hex'),
            hashAlgorithm: 'SHA-256',
            newestEventTime: iso(sliceStart + 299_000),
            oldestEventTime: iso(sliceStart),
          });
        }
        const end = hourStart + 3600_000;
        const key = `AWSLogs/${ORG}/${account}/CloudTrail-Digest/${region}/${ymd(end)}/${account}_CloudTrail-Digest_${region}_org-trail_us-east-1_${digestStamp(end)}.json.gz`;
        const digest = {
          awsAccountId: account,
          digestStartTime: iso(hourStart),
          digestEndTime: iso(end),
          digestS3Bucket: BUCKET,
          digestS3Object: key,
          digestPublicKeyFingerprint: fingerprint,
          digestSignatureAlgorithm: 'SHA256withRSA',
          newestEventTime: iso(end - 1000),
          oldestEventTime: iso(hourStart),
          previousDigestS3Bucket: prev ? BUCKET : null,
          previousDigestS3Object: prev?.key ?? null,
          previousDigestHashValue: prev?.sha256 ?? null,
          previousDigestHashAlgorithm: prev ? 'SHA-256' : null,
          previousDigestSignature: prev?.signature ?? null,
          logFiles,
        };
        const body = Buffer.from(JSON.stringify(digest));
        const sha = createHash('sha256').update(body).digest('hex');
        const signature = sign(
          'sha256',
          Buffer.from(`${digest.digestEndTime}\n${BUCKET}/${key}\n${sha}\n${digest.previousDigestSignature ?? 'null'}`),
          privateKey,
        ).toString('hex');
        put(key, gzipSync(body), { signature, 'signature-algorithm': 'SHA256withRSA' });
        digests++;
        prev = { key, sha256: sha, signature };
      }
    }
  }
  return {
    events,
    files,
    digests,
    bytes,
    gzBytes,
    perFile,
    key: {
      Value: der,
      ValidityStartTime: START / 1000 - 86400 * 30,
      ValidityEndTime: START / 1000 + 86400 * 30,
      Fingerprint: fingerprint,
    },
  };
}

/**
 * Runs the case. `ctx`: { root, bin, tmp, records, quick, measure, log, save, results, lastError }.
 * Adds runs 'collect cloudtrail-s3 (S3 on loopback)' and 'collect cloudtrail-s3 files (local disk)' and
 * results.cloudtrailS3 (layout, ratio, server CPU).
 */
export async function runCloudTrailS3Bench(ctx) {
  const { root, bin, tmp, records: n, measure, log, save, results, lastError } = ctx;
  const base = join(tmp, 'cloudtrail-s3');
  mkdirSync(base, { recursive: true });
  const { startS3 } = await loadHelper(root, base, 'test/helpers/servers/s3.ts');
  const { startCloudTrail } = await loadHelper(root, base, 'test/helpers/servers/cloudtrail.ts');
  const s3 = await startS3();
  const local = join(base, 'copy');
  log(
    `${CASE}: generating an organization trail of ${n.toLocaleString('en')} events (${ACCOUNTS.length} accounts × ${REGIONS.length} regions × ${HOURS} h × ${FILES_PER_HOUR} files) on disk and in the local S3 server`,
  );
  const t0 = Date.now();
  const trail = writeTrail(local, s3, n);
  const ct = await startCloudTrail({ pages: [], publicKeys: [trail.key] });
  const info = (results.cloudtrailS3 = {
    layout: `s3://${BUCKET}/AWSLogs/${ORG}/<account>/CloudTrail/<region>/YYYY/MM/DD/, ${ACCOUNTS.length} accounts × ${REGIONS.length} regions × ${HOURS} hours × ${FILES_PER_HOUR} files an hour, ${trail.perFile} events a file; one signed digest per account, region and hour`,
    events: trail.events,
    logFiles: trail.files,
    digestFiles: trail.digests,
    uncompressedBytes: trail.bytes,
    gzipBytes: trail.gzBytes,
    generationSeconds: round((Date.now() - t0) / 1000, 1),
    server:
      'test/helpers/servers/s3.ts in the bench process, HTTP on 127.0.0.1 (objects in memory); ListPublicKeys from test/helpers/servers/cloudtrail.ts',
  });
  save();
  try {
    const keyPrefix = join(base, 'signer');
    spawnSync(process.execPath, [bin, 'keygen', '--out', keyPrefix], { encoding: 'utf8' });
    const since = iso(START);
    const until = iso(START + HOURS * 3600_000);
    const env = {
      SOURCE_DATE_EPOCH: String(Math.floor((START + (HOURS + 24) * 3600_000) / 1000)),
      AWS_ACCESS_KEY_ID: 'AKIDBENCHONLY',
      AWS_SECRET_ACCESS_KEY: 'bench-not-a-secret',
      AWS_PROFILE: '',
      AWS_REGION: 'us-east-1',
    };
    const one = async (label, source) => {
      const cfg = join(base, `${label}.json`);
      writeFileSync(cfg, JSON.stringify({ version: 1, sources: [source] }, null, 2));
      const out = join(base, `${label}.zip`);
      const args = [
        'collect',
        '--config',
        cfg,
        '--since',
        since,
        '--until',
        until,
        '--timezone',
        'UTC',
        '--out',
        out,
        '--key',
        `${keyPrefix}.key`,
        '--quiet',
        '--force',
      ];
      log(`${CASE}: collect ${label}`);
      const cpu0 = process.cpuUsage();
      // BENCH_CPU_PROF=DIR: a V8 CPU profile of each collect child in DIR (node --cpu-prof).
      const prof = process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF, '--cpu-prof-name', `${label}.cpuprofile`]
        : [];
      const m = await measure([process.execPath, ...prof, bin, ...args], { tmp, env });
      const cpu = process.cpuUsage(cpu0);
      let evs = null;
      if (existsSync(out)) {
        const { openBundle } = await import(pathToFileURL(join(root, 'dist', 'bundle', 'zip-reader.js')).href);
        const b = await openBundle(out);
        try {
          const st = JSON.parse((await b.read('manifest.intoto.json')).toString());
          evs = st.predicate.events.count;
          info[`${label}Status`] = st.predicate.sources[0].status;
          if (st.predicate.sources[0].settings?.cloudtrail_digests)
            info.digestReport = {
              pass: st.predicate.sources[0].settings.cloudtrail_digests.pass,
              digests: st.predicate.sources[0].settings.cloudtrail_digests.digests,
              files_covered: st.predicate.sources[0].settings.cloudtrail_digests.files_covered,
            };
        } finally {
          b.close();
        }
      }
      if (m.code !== 0 || evs === null)
        return { run: { status: 'not available', why: lastError(m.stderr) || `exit ${m.code}` }, serverCpu: null };
      return {
        run: {
          status: 'ok',
          exitCode: m.code,
          command: `audit-evidence ${args.join(' ').replace(new RegExp(tmp, 'g'), '$TMP')}`,
          read: evs,
          events: evs,
          seconds: round(m.seconds, 3),
          cpuSeconds: m.cpuSeconds,
          eventsPerSecond: Math.round(evs / m.seconds),
          MBPerSecond: round(trail.bytes / 1e6 / m.seconds, 1),
          peakRssMB: m.rssMB && round(m.rssMB, 1),
          bundleBytes: statSync(out).size,
        },
        serverCpu: round((cpu.user + cpu.system) / 1e6, 2),
      };
    };
    const disk = await one('local-disk', {
      name: 'org-trail',
      type: 'file',
      format: 'cloudtrail',
      paths: [join(local, 'AWSLogs')],
    });
    results.runs['collect cloudtrail-s3 files (local disk, file source)'] = disk.run;
    save();
    const viaS3 = await one('s3', {
      name: 'org-trail',
      type: 'cloudtrail-s3',
      bucket: BUCKET,
      organization_id: ORG,
      regions: REGIONS,
      endpoint: s3.endpoint,
      cloudtrail_endpoint: ct.endpoint,
    });
    results.runs['collect cloudtrail-s3 (S3 on loopback)'] = viaS3.run;
    info.s3ServerCpuSeconds = viaS3.serverCpu;
    info.s3Requests = s3.requests.length;
    if (disk.run.status === 'ok' && viaS3.run.status === 'ok') {
      info.ratioWall = round(viaS3.run.seconds / disk.run.seconds, 3);
      info.ratioCpu = round(viaS3.run.cpuSeconds / disk.run.cpuSeconds, 3);
    }
    save();
  } finally {
    await s3.stop();
    await ct.stop();
  }
}

/** The case's target for bench.mjs's table. */
export function cloudTrailS3Targets(res) {
  const x = res.cloudtrailS3;
  if (!x) return [];
  const v = x.ratioWall ?? null;
  return [
    {
      target: `cloudtrail-s3 collect (S3 on loopback) wall time / the same files from local disk (${(x.events ?? 0).toLocaleString('en')} events)`,
      goal: `<= ${TARGET}`,
      value: v,
      result: v === null ? 'n/a' : v <= TARGET ? 'PASS' : 'FAIL',
    },
  ];
}
