// One events.csv row, equal to eventToCsvRow (src/export/csv.ts, csv-stringify) for every event
// but without building a csv-stringify pipeline per row: on a 100,000-event collect the per-row
// stringify call was ~3% of the profile, and verify compares one row per event too. The columns
// and the formula neutralisation are src/export/csv.ts's own (CSV_COLUMNS, formulaSafe); only the
// quoting is written here, with the rules csv-stringify applies with the options csv.ts passes
// (delimiter ',', quote '"' doubled inside quotes, a field quoted when it holds '"', ',', '\n' or
// '\r', an empty field left bare, rows ending in '\n'). test/bundle/fast-paths.test.ts proves the
// equality on arbitrary events.
import type { AuditEvent } from '../event/types.generated.js';
import { CSV_COLUMNS, formulaSafe } from '../export/csv.js';

const NEEDS_QUOTES = /[",\n\r]/;
const QUOTE = /"/g;
const getters = CSV_COLUMNS.map(([, get]) => get);

function field(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = formulaSafe(String(v));
  return NEEDS_QUOTES.test(s) ? `"${s.replace(QUOTE, '""')}"` : s;
}

export function csvRow(e: AuditEvent): string {
  let out = field(getters[0](e));
  for (let i = 1; i < getters.length; i++) out += `,${field(getters[i](e))}`;
  return `${out}\n`;
}
