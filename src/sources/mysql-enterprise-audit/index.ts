// MySQL Enterprise Audit adapter (`--format mysql-enterprise-audit`): the audit_log plugin's JSON
// format (one top-level array the server never closes while it runs: `},` separators, no `]`)
// and its old-style and new-style XML formats.
// https://dev.mysql.com/doc/refman/8.0/en/audit-log-file-formats.html
// Options: instance.
import type { FormatAdapter, NormalizeContext, Outcome, RawRecord } from '../../pipeline/types.js';
import { frameJson, parseJsonObject } from '../../pipeline/json-frames.js';
import { recordLimit } from '../../pipeline/lines.js';
import { redactJsonRecord } from '../../redact/json.js';
import { redactTextRecord } from '../../redact/text.js';
import { event, reject } from '../../pipeline/record.js';
import { splitXmlRecords, parseXmlRecord } from '../mysql-common/xml-records.js';
import { mapAuditRecord, type RecordSource } from '../mysql-common/audit-record.js';
import { mapEnterpriseJson } from './map.js';

export { mapEnterpriseJson } from './map.js';

export const FORMAT = 'mysql-enterprise-audit';

function firstChar(head: string): string {
  const m = /\S/.exec(head.slice(0, 4096).replace(/^\uFEFF/, ''));
  return m ? m[0] : '';
}

function sniff(head: string): number {
  const h = head.slice(0, 16384);
  const c = firstChar(h);
  if (c === '[' || c === '{') {
    // MySQL Enterprise JSON: "class" and "connection_id" keys (Percona's JSON is {"audit_record":...}).
    if (/"audit_record"\s*:/.test(h)) return 0.05;
    if (
      /"class"\s*:\s*"(audit|connection|general|table_access|global_variable|authentication|command|query|message)"/.test(
        h,
      ) &&
      /"connection_id"\s*:/.test(h) &&
      /"timestamp"\s*:\s*"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"/.test(h)
    )
      return 0.95;
    return 0;
  }
  if (c === '<') {
    if (!/<AUDIT_RECORD\b/.test(h)) return 0;
    // RECORD_ID is MySQL's key (Percona's audit_log writes RECORD).
    if (/\bRECORD_ID\s*=\s*"|<RECORD_ID>/.test(h)) return 0.9;
    return 0.4;
  }
  return 0;
}

export function source(variant: string, instance: string | null): RecordSource {
  return { kind: 'mysql', format: FORMAT, variant, instance, service: 'mysql' };
}

async function* normalize(records: AsyncIterable<RawRecord>, ctx: NormalizeContext): AsyncGenerator<Outcome> {
  const instance =
    typeof ctx.options.instance === 'string' && ctx.options.instance !== '' ? ctx.options.instance : null;
  for await (const raw0 of records) {
    if (raw0.error) {
      yield reject(raw0, raw0.error);
      continue;
    }
    if (raw0.text.trimStart().startsWith('<')) {
      const raw = redactTextRecord(raw0);
      const x = parseXmlRecord(raw.text.trimStart());
      if ('error' in x) {
        yield reject(raw, x.error);
        continue;
      }
      const e = mapAuditRecord(
        x.fields,
        x.attributes,
        raw,
        source(x.style === 'old' ? 'xml-old' : 'xml-new', instance),
      );
      if ('error' in e) yield reject(raw, e.error);
      else yield event(e, raw);
      continue;
    }
    const p = parseJsonObject(raw0); // the framer's parse, reused (one parse per record)
    if ('error' in p) {
      yield reject(raw0, p.error);
      continue;
    }
    const raw = redactJsonRecord(raw0, p.value);
    const e = mapEnterpriseJson(p.value, raw, source('json', instance));
    if ('error' in e) yield reject(raw, e.error);
    else yield event(e, raw);
  }
}

export const adapter: FormatAdapter = {
  id: FORMAT,
  kind: 'mysql',
  title: 'MySQL Enterprise Audit',
  description:
    'MySQL Enterprise Audit log files (audit.log / audit.json): JSON format (objects with "class", "event", "connection_id"), old-style and new-style XML (<AUDIT_RECORD> with RECORD_ID)',
  sniff: (head) => sniff(head),
  redaction: 'json',
  async *records(input, options) {
    const max = recordLimit(options);
    // XML or JSON from a sample of the head (a stray first line or a BOM must not decide it).
    const h = input.head.toString('utf8', 0, 16384);
    const xml = h.search(/<AUDIT_RECORD\b/);
    const json = h.search(/\{\s*"(?:timestamp|class|id)"\s*:/);
    const isXml = xml >= 0 && (json < 0 || xml < json) ? true : xml < 0 && json < 0 ? firstChar(h) === '<' : false;
    if (isXml) yield* splitXmlRecords(input.chunks, input.name, max);
    else yield* frameJson(input.chunks, { file: input.name, maxRecordBytes: max });
  },
  normalize,
};
