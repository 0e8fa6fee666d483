// Baseline: the in-process ceiling for JSON Lines. Streams a file's lines and JSON.parse()s each
// one, nothing else. Prints {"records": n} on stdout.
//   node scripts/bench/bare-parse.mjs FILE
import { createReadStream } from 'node:fs';

let n = 0;
let rest = '';
const stream = createReadStream(process.argv[2], { highWaterMark: 256 * 1024, encoding: 'utf8' });
for await (const chunk of stream) {
  const text = rest + chunk;
  let start = 0;
  let nl;
  while ((nl = text.indexOf('\n', start)) !== -1) {
    if (nl > start) { JSON.parse(text.slice(start, nl)); n++; }
    start = nl + 1;
  }
  rest = text.slice(start);
}
if (rest.trim()) { JSON.parse(rest); n++; }
process.stdout.write(`${JSON.stringify({ records: n })}\n`);
