// Option parsing shared by commands: times, windows, zones.
import { isValidZone, parseZonedLocal } from '../event/time.js';
import { UserError } from './errors.js';

/**
 * Parses a time given on the command line: RFC 3339 (with zone), or a date / date-time without
 * zone, taken in `zone` (default UTC). '2024-05-01' is midnight at the start of that day.
 */
export function parseTimeOption(text: string, option: string, zone = 'UTC'): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    text.trim(),
  );
  if (!m)
    throw new UserError(`${option} takes a date or time such as 2024-05-01 or 2024-05-01T12:00:00Z, not '${text}'`);
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const parts = [
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
    ms,
  ] as const;
  const d = m[8] ? parseZonedLocal(...parts, m[8]) : parseZonedLocal(...parts, zone);
  if (!Number.isFinite(d.getTime()) || Number(m[2]) > 12 || Number(m[3]) > 31)
    throw new UserError(`${option}: '${text}' is not a valid date`);
  return d;
}

export function checkZone(zone: string | undefined): string | undefined {
  if (zone === undefined) return undefined;
  if (!isValidZone(zone))
    throw new UserError(
      `--timezone: '${zone}' is not a time zone this system knows (use an IANA name such as Europe/Berlin, or an offset such as +02:00)`,
    );
  return zone;
}

/** Output formats of the commands that write events (normalize, filter). */
export const OUTPUT_FORMATS = ['jsonl', 'csv', 'ocsf'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The format a file name implies: .csv, .jsonl/.json/.ndjson (.ocsf.jsonl is OCSF, not offered here), else none. */
export function formatOfFile(path: string): string | null {
  const p = path.toLowerCase();
  if (p.endsWith('.csv')) return 'csv';
  if (p.endsWith('.ocsf.jsonl') || p.endsWith('.ocsf.json')) return 'ocsf';
  if (p.endsWith('.jsonl') || p.endsWith('.json') || p.endsWith('.ndjson')) return 'jsonl';
  return null;
}

/**
 * The output format: --output-format (or the deprecated --output), else the one --out's extension
 * implies, else JSON Lines. A format that contradicts the file's extension is refused (--out
 * alice.csv used to get JSON Lines).
 */
export function resolveOutputFormat<K extends string>(
  o: { outputFormat?: string; output?: string; out?: string },
  kinds: readonly K[],
): K {
  if (o.outputFormat && o.output && o.outputFormat !== o.output)
    throw new UserError(
      `--output-format ${o.outputFormat} and --output ${o.output} disagree (--output is the old name of --output-format: give one)`,
    );
  const given = o.outputFormat ?? o.output;
  if (given !== undefined && !(kinds as readonly string[]).includes(given))
    throw new UserError(`--output-format: '${given}' is not one of ${kinds.join(', ')}`);
  const implied = o.out && o.out !== '-' ? formatOfFile(o.out) : null;
  if (given !== undefined) {
    if (implied !== null && implied !== given)
      throw new UserError(
        `--out ${o.out} names a ${implied} file but --output-format is ${given}: change the file name or the format`,
      );
    return given as K;
  }
  if (implied !== null) {
    if (!(kinds as readonly string[]).includes(implied))
      throw new UserError(
        `--out ${o.out} names a ${implied} file, which this command does not write (give --output-format ${kinds.join(' or ')})`,
      );
    return implied as K;
  }
  return kinds[0]!;
}

/** --max-record-bytes: a whole number of at least 1024 (normalize, check, filter). */
export function maxRecordOption(v: string | undefined): { maxRecordBytes?: number } {
  if (v === undefined) return {};
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1024)
    throw new UserError(`--max-record-bytes must be a whole number of at least 1024 (got '${v}')`);
  return { maxRecordBytes: n };
}
