// Baseline: the in-process ceiling for JSON Lines. Streams a file's lines and JSON.parse()s each
// one, nothing else; with --stringify-hash also JSON.stringify()s the parsed value and takes the
// SHA-256 of the line (the least any tool that keeps a raw hash and writes a record must do).
// Prints {"records": n} on stdout.
//   node scripts/bench/bare-parse.mjs [--stringify-hash] FILE
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';

const args = process.argv.slice(2);
const full = args[0] === '--stringify-hash';
const file = full ? args[1] : args[0];
let n = 0;
let rest = '';
let sink = 0;
const one = (line) => {
  const v = JSON.parse(line);
  if (full) {
    sink += JSON.stringify(v).length;
    sink += createHash('sha256').update(line).digest('hex').length;
  }
  n++;
};
const stream = createReadStream(file, { highWaterMark: 256 * 1024, encoding: 'utf8' });
for await (const chunk of stream) {
  const text = rest + chunk;
  let start = 0;
  let nl;
  while ((nl = text.indexOf('\n', start)) !== -1) {
    if (nl > start) one(text.slice(start, nl));
    start = nl + 1;
  }
  rest = text.slice(start);
}
if (rest.trim()) one(rest);
process.stdout.write(`${JSON.stringify({ records: n, ...(full ? { sink } : {}) })}\n`);
