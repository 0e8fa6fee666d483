// The core path alone, for profiling: open -> frameJson -> redaction -> a minimal JSON adapter ->
// validation -> time window -> JSON Lines -> TextWriter, with the real core modules from dist/ and
// an adapter that does only what every JSON adapter must (parse, build an event from four fields).
// It shows what the pipeline costs before any adapter's own mapping work:
//   node --cpu-prof --cpu-prof-dir=bench-out/prof scripts/bench/core-path.mjs FILE.jsonl
import { createWriteStream } from 'node:fs';
import { openInput } from '../../dist/pipeline/input.js';
import { frameJson, parseJsonObject } from '../../dist/pipeline/json-frames.js';
import { normalizeOne, emptySummary } from '../../dist/pipeline/run.js';
import { event, reject } from '../../dist/pipeline/record.js';
import { buildEvent } from '../../dist/event/build.js';
import { eventToJsonLine } from '../../dist/export/jsonl.js';
import { TextWriter } from '../../dist/export/writer.js';

const minimalJson = {
  id: 'core-path',
  kind: 'aws',
  title: 'core path',
  description: '',
  sniff: () => 0,
  records: (input) => frameJson(input.chunks, { file: input.name, unwrap: ['Records'] }),
  async *normalize(records) {
    for await (const raw of records) {
      if (raw.error) {
        yield reject(raw, raw.error);
        continue;
      }
      const p = parseJsonObject(raw.text);
      if ('error' in p) {
        yield reject(raw, p.error);
        continue;
      }
      const v = p.value;
      yield event(
        buildEvent(
          {
            timestamp: new Date(v.eventTime).toISOString(),
            user: { name: v.userIdentity?.arn ?? null, type: 'human' },
            action: { name: v.eventName, service: v.eventSource },
            resource: { name: v.resources?.[0]?.ARN ?? null },
            category: 'change_execution',
            outcome: v.errorCode ? 'failure' : 'success',
          },
          { kind: 'aws', format: 'cloudtrail', location: raw.location, raw_sha256: raw.sha256 },
        ),
        raw,
      );
    }
  },
};

const [file, outPath = '/dev/null'] = process.argv.slice(2);
const t0 = process.hrtime.bigint();
const summary = emptySummary();
const out = new TextWriter(createWriteStream(outPath));
const input = await openInput(file);
for await (const o of normalizeOne(minimalJson, input, { format: 'core-path', options: {} }, summary)) {
  if (o.kind === 'event') await out.write(eventToJsonLine(o.event));
}
await out.end();
const s = Number(process.hrtime.bigint() - t0) / 1e9;
process.stdout.write(
  `${JSON.stringify({ seconds: s, read: summary.read, events: summary.events, eventsPerSecond: Math.round(summary.events / s), maxRssKB: process.resourceUsage().maxRSS })}\n`,
);
