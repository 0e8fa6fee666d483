// Percona Server audit_log plugin adapter (`--format percona-audit`): the OLD (XML attributes),
// NEW (XML elements), JSON (`{"audit_record":{...}}` per line) and CSV formats
// (audit_log_format). https://docs.percona.com/percona-server/8.0/audit-log-plugin.html
// Records of Percona's newer audit_log_filter in JSON follow MySQL Enterprise's JSON layout and
// are read with that mapper.
// Options: instance.
import type { AuditEvent } from '../../event/types.generated.js';
import type { FormatAdapter, NormalizeContext, Outcome, RawRecord } from '../../pipeline/types.js';
import { frameJson, parseJsonObject } from '../../pipeline/json-frames.js';
import { recordLimit } from '../../pipeline/lines.js';
import { redactJsonRecord } from '../../redact/json.js';
import { redactTextRecord } from '../../redact/text.js';
import { event, reject } from '../../pipeline/record.js';
import { splitXmlRecords, parseXmlRecord } from '../mysql-common/xml-records.js';
import { mapAuditRecord, type RecordSource } from '../mysql-common/audit-record.js';
import { mapEnterpriseJson } from '../mysql-enterprise-audit/map.js';
import { frameCsvRecords, parseCsvRecord, csvFieldMap } from './csv.js';

export { frameCsvRecords, parseCsvRecord, csvFieldMap } from './csv.js';

export const FORMAT = 'percona-audit';

function firstChar(head: string): string {
  const m = /\S/.exec(head.slice(0, 4096).replace(/^\uFEFF/, ''));
  return m ? m[0] : '';
}

const CSV_START =
  /^"(Audit|NoAudit|Connect|Quit|Change user|Query|Execute|Prepare|Init DB|Field List|Close stmt|Ping|Shutdown|[A-Z][A-Za-z ]{1,30})","\d+_\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d","\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d( UTC|Z)?",/;

function sniff(head: string): number {
  const h = head.slice(0, 16384);
  const c = firstChar(h);
  if (c === '{' || c === '[') return /"audit_record"\s*:\s*\{\s*"name"\s*:/.test(h) ? 0.95 : 0;
  if (c === '<') {
    if (!/<AUDIT_RECORD\b/.test(h)) return 0;
    if (/\bRECORD\s*=\s*"|<RECORD>/.test(h)) return 0.95; // Percona writes RECORD, MySQL RECORD_ID
    if (/COMMAND_CLASS|NAME="Query"|<NAME>Query<\/NAME>/.test(h)) return 0.45;
    return 0.3;
  }
  if (c === '"') return CSV_START.test(h.replace(/^\uFEFF/, '').trimStart()) ? 0.95 : 0;
  return 0;
}

/**
 * Which of the layouts a file is in, from a sample of its head (not only its first character, so a
 * stray first line or a BOM does not send the whole file to the wrong reader): the earliest of an
 * <AUDIT_RECORD, a CSV record start, or a JSON object.
 */
function variantOf(head: string): 'xml' | 'csv' | 'json' {
  const at = (re: RegExp): number => {
    const m = re.exec(head);
    return m ? m.index : Infinity;
  };
  const xml = at(/<AUDIT_RECORD\b/);
  const csv = at(/^"[A-Za-z][A-Za-z ]{0,30}","\d+_\d{4}-\d\d-\d\dT/m);
  const json = at(/\{\s*"(?:audit_record|class|timestamp)"\s*:/);
  const first = Math.min(xml, csv, json);
  if (first === Infinity) {
    const c = firstChar(head);
    return c === '<' ? 'xml' : c === '"' ? 'csv' : 'json';
  }
  return first === xml ? 'xml' : first === csv ? 'csv' : 'json';
}

function source(variant: string, instance: string | null): RecordSource {
  return { kind: 'mysql', format: FORMAT, variant, instance, service: 'mysql' };
}

const upperKeys = (o: Record<string, unknown>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o))
    if (v !== null && v !== undefined && typeof v !== 'object') out[k.toUpperCase()] = String(v);
  return out;
};

async function* normalize(records: AsyncIterable<RawRecord>, ctx: NormalizeContext): AsyncGenerator<Outcome> {
  const instance =
    typeof ctx.options.instance === 'string' && ctx.options.instance !== '' ? ctx.options.instance : null;
  for await (const raw0 of records) {
    if (raw0.error) {
      yield reject(raw0, raw0.error);
      continue;
    }
    let raw = raw0;
    let out: AuditEvent | { error: string };
    if (!raw0.text.trimStart().startsWith('{')) raw = redactTextRecord(raw0);
    const t = raw.text.trimStart();
    if (t.startsWith('<')) {
      const x = parseXmlRecord(t);
      out =
        'error' in x
          ? x
          : mapAuditRecord(x.fields, x.attributes, raw, source(x.style === 'old' ? 'xml-old' : 'xml-new', instance));
    } else if (t.startsWith('{')) {
      const p = parseJsonObject(raw); // the framer's parse, reused (one parse per record)
      if (!('error' in p)) raw = redactJsonRecord(raw, p.value);
      if ('error' in p) out = p;
      else if (p.value.audit_record && typeof p.value.audit_record === 'object') {
        // {"audit_record":{"name":..,"record":..,...}}: the XML field names in lower case.
        out = mapAuditRecord(
          upperKeys(p.value.audit_record as Record<string, unknown>),
          null,
          raw,
          source('json', instance),
        );
      } else if (typeof p.value.class === 'string')
        out = mapEnterpriseJson(p.value, raw, source('filter-json', instance));
      else out = { error: 'a JSON object without "audit_record": not a Percona audit_log record' };
    } else {
      const f = parseCsvRecord(raw.text);
      const m = 'error' in f ? f : csvFieldMap(f);
      out = 'error' in m ? { error: m.error } : mapAuditRecord(m, null, raw, source('csv', instance));
    }
    if ('error' in out) yield reject(raw, out.error);
    else yield event(out, raw);
  }
}

export const adapter: FormatAdapter = {
  id: FORMAT,
  kind: 'mysql',
  title: 'Percona audit_log',
  description:
    'Percona Server audit_log plugin files (audit.log) in OLD / NEW XML (<AUDIT_RECORD> with RECORD), JSON ({"audit_record":...}) or CSV format',
  sniff: (head) => sniff(head),
  redaction: 'json',
  async *records(input, options) {
    const v = variantOf(input.head.toString('utf8', 0, 16384));
    const max = recordLimit(options);
    if (v === 'xml') yield* splitXmlRecords(input.chunks, input.name, max);
    else if (v === 'csv') yield* frameCsvRecords(input.chunks, input.name, max);
    else yield* frameJson(input.chunks, { file: input.name, maxRecordBytes: max });
  },
  normalize,
};
