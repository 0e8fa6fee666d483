// One adapter alone, for profiling and for before/after figures of adapter changes: its records()
// (framing) and normalize() over a file, with the real modules from dist/, and nothing of the
// pipeline around them (no redaction pass, no validation, no output). CPU time, not wall time
// (the machine may be shared). Modes:
//   all    records() streamed into normalize()   (what the adapter costs in a run)
//   pre    records() buffered first, normalize() timed alone (the mapping)
//   frame  records() only (framing: core splitLines / frameJson and the raw sha256)
// A digest of every outcome (events as JSON, reject and skip reasons) shows that a change kept the
// output byte for byte.
//   node scripts/bench/adapter-path.mjs <adapter-id> FILE [all|pre|frame] [reps] [--digest]
//   node --cpu-prof --cpu-prof-dir=bench-out/prof scripts/bench/adapter-path.mjs mariadb-audit FILE pre 3
import { createHash } from 'node:crypto';
import { openInput } from '../../dist/pipeline/input.js';
import { adapters } from '../../dist/sources/registry.js';

const [id, file, mode = 'all', reps = '1', ...flags] = process.argv.slice(2);
const adapter = adapters.find((a) => a.id === id);
if (!adapter || !file || !['all', 'pre', 'frame'].includes(mode)) {
  process.stderr.write(
    `usage: node scripts/bench/adapter-path.mjs <${adapters.map((a) => a.id).join('|')}> FILE [all|pre|frame] [reps] [--digest]\n`,
  );
  process.exit(2);
}
const digest = flags.includes('--digest');
const ctx = { options: {}, input: file, note: () => {} };
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
async function* fromArray(a) {
  for (const x of a) yield x;
}

for (let rep = 0; rep < Number(reps); rep++) {
  const h = digest ? createHash('sha256') : null;
  let n = 0,
    events = 0,
    rejects = 0,
    skipped = 0;
  let buffered = null;
  if (mode === 'pre') {
    buffered = [];
    for await (const r of adapter.records(await openInput(file), {})) buffered.push(r);
  }
  const t0 = cpu();
  if (mode === 'frame') {
    for await (const r of adapter.records(await openInput(file), {})) {
      n++;
      if (h) h.update(r.text);
    }
  } else {
    const records = buffered ? fromArray(buffered) : adapter.records(await openInput(file), {});
    for await (const o of adapter.normalize(records, ctx)) {
      n++;
      if (o.kind === 'event') {
        events++;
        h?.update(JSON.stringify(o.event));
      } else if (o.kind === 'reject') {
        rejects++;
        h?.update(`R${o.reason}`);
      } else {
        skipped++;
        h?.update(`S${o.reason}`);
      }
    }
  }
  const us = cpu() - t0;
  process.stdout.write(
    `${JSON.stringify({ adapter: id, mode, records: n, events, rejects, skipped, cpuSeconds: +(us / 1e6).toFixed(3), cpuMicrosPerRecord: +(us / Math.max(n, 1)).toFixed(2), ...(h ? { digest: h.digest('hex').slice(0, 16) } : {}) })}\n`,
  );
}
