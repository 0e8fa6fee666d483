// Baseline: DuckDB (what Tailpipe users run) on one thread, over the same CloudTrail JSON Lines
// file as `normalize`. Two kinds of work:
//   equivalent  each record read whole, sha256 of its text, the four fields extracted, the whole
//               record re-emitted as JSON (what normalize must do at the least: raw hash, four
//               fields, the record kept), written to /dev/null
//   parquet     only the four fields, to a Parquet file (the columnar shortcut, no raw record)
// Prints {"records": n} on stdout.
//   node scripts/bench/duckdb.mjs equivalent|parquet FILE [OUT.parquet]
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, file, out] = process.argv.slice(2);
if (!['equivalent', 'parquet'].includes(mode) || !file) {
  process.stderr.write('usage: node scripts/bench/duckdb.mjs equivalent|parquet FILE [OUT.parquet]\n');
  process.exit(2);
}
const q = (s) => `'${s.replace(/'/g, "''")}'`;
const fields = `json_extract_string(json, '$.userIdentity.arn') AS "user",
  json_extract_string(json, '$.eventSource') || ':' || json_extract_string(json, '$.eventName') AS action,
  json_extract_string(json, '$.eventTime') AS ts,
  json_extract_string(json, '$.resources[0].ARN') AS resource`;
const source = `read_json_objects(${q(file)}, format = 'newline_delimited', maximum_object_size = 67108864)`;
const sql =
  mode === 'equivalent'
    ? `COPY (SELECT sha256(json::VARCHAR) AS raw_hash, ${fields}, json AS raw FROM ${source}) TO '/dev/null' (FORMAT JSON)`
    : `COPY (SELECT ${fields} FROM ${source}) TO ${q(out ?? '/dev/null')} (FORMAT PARQUET)`;
const db = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await db.connect();
const res = await con.runAndReadAll(sql);
const n = Number(res.getRows()[0][0]);
process.stdout.write(`${JSON.stringify({ records: n })}\n`);
