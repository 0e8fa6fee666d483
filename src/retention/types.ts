// How long a source keeps its audit records, as read from the source itself. An auditor asks
// "is the log kept at least 12 months?": a bundle answers per source with the number of days and how
// that number was worked out, or says it is unknown and why. Unknown is never reported as fine.

export interface Retention {
  /**
   * Days the source keeps its records (the shortest store the records pass through before they
   * are gone), or null when it cannot be told from what the source says.
   */
  days: number | null;
  /** One sentence: how `days` was worked out, or why it is unknown. */
  basis: string;
  /** True when `days` is an estimate (e.g. size-based rotation at the write rate seen). */
  estimated: boolean;
  /** Where the facts were read (server and settings, API and resource). */
  read_from: string;
  /** When they were read (RFC 3339). */
  read_at: string;
  /** The facts themselves (settings, buckets, lifecycle rules), never secrets. */
  facts: Record<string, unknown>;
}

export const DEFAULT_RETENTION_MIN_DAYS = 365;

export function retention(
  days: number | null,
  basis: string,
  readFrom: string,
  facts: Record<string, unknown>,
  opts: { estimated?: boolean; now?: Date } = {},
): Retention {
  return {
    days: days === null ? null : Math.round(days * 100) / 100,
    basis,
    estimated: opts.estimated ?? false,
    read_from: readFrom,
    read_at: (opts.now ?? new Date()).toISOString(),
    facts,
  };
}

/** '7 days', '1 day', '12 hours'. */
export function formatDays(days: number): string {
  if (days < 1) return `${Math.round(days * 24 * 10) / 10} hours`;
  return `${Math.round(days * 10) / 10} day${days === 1 ? '' : 's'}`;
}
