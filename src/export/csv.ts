// CSV export of events, safe to open in a spreadsheet: any value that a spreadsheet would read as
// a formula (starting with = + - @, tab or carriage return) is prefixed with a single quote, as
// OWASP's CSV-injection guidance recommends. The header names every column.
import { stringify } from 'csv-stringify/sync';
import type { AuditEvent } from '../event/types.generated.js';

export const CSV_COLUMNS: Array<[string, (e: AuditEvent) => unknown]> = [
  ['timestamp', (e) => e.timestamp],
  ['user', (e) => e.user.name],
  ['user_type', (e) => e.user.type],
  ['user_role', (e) => e.user.role],
  ['session_user', (e) => e.user.session_user],
  ['action', (e) => e.action.name],
  ['action_source_name', (e) => e.action.source_name],
  ['service', (e) => e.action.service],
  ['resource_type', (e) => e.resource.type],
  ['resource', (e) => e.resource.name],
  ['resource_implicit', (e) => e.resource.implicit],
  ['database', (e) => e.resource.scope.database],
  ['instance', (e) => e.resource.scope.instance],
  ['project', (e) => e.resource.scope.project],
  ['account', (e) => e.resource.scope.account],
  ['region', (e) => e.resource.scope.region],
  ['category', (e) => e.category],
  ['outcome', (e) => e.outcome],
  ['outcome_reason', (e) => e.outcome_reason],
  ['origin_address', (e) => e.origin.address],
  ['origin_application', (e) => e.origin.application],
  ['privileged', (e) => e.privileged.value],
  ['privileged_reasons', (e) => e.privileged.reasons.join(' ')],
  ['statement', (e) => e.action.statement],
  ['source_kind', (e) => e.source.kind],
  ['source_format', (e) => e.source.format],
  ['source_instance', (e) => e.source.instance],
  ['source_file', (e) => e.source.location.file],
  ['source_line', (e) => e.source.location.line],
  ['source_byte_offset', (e) => e.source.location.byte_offset],
  ['source_index', (e) => e.source.location.index],
  ['source_record_id', (e) => e.source.record_id],
  ['raw_sha256', (e) => e.source.raw_sha256],
  ['id', (e) => e.id],
];

/** Neutralises a cell a spreadsheet would evaluate as a formula. */
export function formulaSafe(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return formulaSafe(String(v));
}

export function csvHeader(): string {
  return stringify([CSV_COLUMNS.map(([name]) => name)], { eof: true, record_delimiter: 'unix' });
}

export function eventToCsvRow(e: AuditEvent): string {
  return stringify([CSV_COLUMNS.map(([, get]) => cell(get(e)))], {
    eof: true,
    record_delimiter: 'unix',
    quoted_match: /[\r\n]/,
  });
}
