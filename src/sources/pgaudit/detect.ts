// Tells which PostgreSQL log shape an input is, from its first bytes: stderr (and which
// log_line_prefix), csvlog, jsonlog, a psql transcript, wrapped stderr lines, or Cloud SQL entries.
import { compilePrefix, detectPrefix, type CompiledPrefix } from './prefix.js';
import { CSVLOG_ROW_START } from './csvlog.js';
import { TRANSCRIPT_AUDIT } from './transcript.js';
import { looksWrapped, unwrapLine } from './wrapped.js';
import { looksCloudSql } from './cloudsql.js';

export type Variant = 'stderr' | 'csvlog' | 'jsonlog' | 'psql-transcript' | 'wrapped-stderr' | 'cloudsql';

export interface Dialect {
  variant: Variant;
  /** For stderr and wrapped stderr: the compiled log_line_prefix. */
  prefix?: CompiledPrefix;
  prefixHow?: 'given' | 'detected' | 'fallback';
  score: number;
}

const AUDIT_LINE = /(?:DEBUG[1-5]?|INFO|NOTICE|WARNING|LOG):  AUDIT: (?:SESSION|OBJECT),/;

function headLines(head: string): string[] {
  const lines = head.split('\n');
  if (lines.length > 1) lines.pop(); // the last line of a head may be cut
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** Chooses the dialect of an input from its head; `prefix` is the user's log_line_prefix, if any. */
export function chooseDialect(head: string, prefix?: string | null): Dialect {
  const lines = headLines(head.startsWith('\ufeff') ? head.slice(1) : head);
  const nonEmpty = lines.filter((l) => l.trim().length > 0);
  // The first line that starts like a csvlog row or a jsonlog object, among the first few: a stray
  // or damaged first line (or a BOM) must not decide the format of the whole file.
  const sample = nonEmpty.slice(0, 8);
  const first =
    sample.find((l) => CSVLOG_ROW_START.test(l) || (l.startsWith('{"') && /"error_severity"\s*:/.test(l))) ??
    nonEmpty[0] ??
    '';
  const hasAudit = head.includes('AUDIT: SESSION,') || head.includes('AUDIT: OBJECT,');
  if (looksCloudSql(head)) return { variant: 'cloudsql', score: 0.95 };
  if (first.startsWith('{"') && /"error_severity"\s*:/.test(first) && /"message"\s*:/.test(first)) {
    return { variant: 'jsonlog', score: hasAudit ? 0.95 : 0.8 };
  }
  if (CSVLOG_ROW_START.test(first)) {
    const csvish = /,(?:LOG|ERROR|FATAL|WARNING|NOTICE|INFO|PANIC|DEBUG[1-5]?),[0-9A-Z]{5},/.test(head);
    if (csvish) return { variant: 'csvlog', score: hasAudit ? 0.95 : 0.8 };
  }
  const wrapped = nonEmpty.filter(looksWrapped);
  if (wrapped.length > 0 && wrapped.length * 2 >= nonEmpty.length) {
    const inner = wrapped.map(unwrapLine).flatMap((u) => (u && 'text' in u ? [u.text] : []));
    const auditInside = inner.some((l) => AUDIT_LINE.test(l));
    const score = auditInside ? 0.9 : 0.3;
    if (prefix !== undefined && prefix !== null)
      return { variant: 'wrapped-stderr', prefix: compilePrefix(prefix), prefixHow: 'given', score };
    const d = detectPrefix(inner);
    return { variant: 'wrapped-stderr', prefix: d.prefix, prefixHow: d.fallback ? 'fallback' : 'detected', score };
  }
  const transcriptAudits = lines.filter((l) => TRANSCRIPT_AUDIT.test(l)).length;
  if (transcriptAudits > 0 && lines.filter((l) => /^\d{4}-\d\d-\d\d/.test(l)).length * 10 < transcriptAudits)
    return { variant: 'psql-transcript', score: 0.9 };
  if (prefix !== undefined && prefix !== null) {
    const p = compilePrefix(prefix);
    const matched = nonEmpty.filter((l) => p.regex.test(l)).length;
    return {
      variant: 'stderr',
      prefix: p,
      prefixHow: 'given',
      score: matched > 0 && hasAudit ? 0.95 : matched > 0 ? 0.6 : 0.2,
    };
  }
  const d = detectPrefix(lines);
  const auditLines = nonEmpty.filter((l) => AUDIT_LINE.test(l) && d.prefix.regex.test(l)).length;
  const score =
    d.matched === 0
      ? 0
      : auditLines > 0
        ? d.fallback
          ? 0.7
          : 0.95
        : d.matched * 2 >= d.sampled
          ? d.fallback
            ? 0.3
            : 0.6
          : 0.1;
  return { variant: 'stderr', prefix: d.prefix, prefixHow: d.fallback ? 'fallback' : 'detected', score };
}
