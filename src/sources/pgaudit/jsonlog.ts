// PostgreSQL jsonlog (PostgreSQL 15+): one JSON object per line. Keys, per
// https://www.postgresql.org/docs/current/runtime-config-logging.html#RUNTIME-CONFIG-LOGGING-JSONLOG :
//   timestamp, user, dbname, pid, remote_host, remote_port, session_id, line_num, ps,
//   session_start, vxid, txid, error_severity, state_code, message, detail, hint, internal_query,
//   internal_query_pos, context, statement, cursor_position, func_name, file_name, file_line_num,
//   application_name, backend_type, leader_pid, query_id. Keys with no value are left out.
import { parseJsonObject } from '../../pipeline/json-frames.js';
import { pgValue, hostValue, type LogLine, type TimeReader } from './log-line.js';

const str = (v: unknown): string | null =>
  typeof v === 'string' ? pgValue(v) : typeof v === 'number' ? String(v) : null;

/** A jsonlog record from its text, or from the object the adapter parsed (and redacted) once. */
export function parseJsonlogRecord(
  input: string | Record<string, unknown>,
  times: TimeReader,
): { line: LogLine } | { error: string } {
  let o: Record<string, unknown>;
  if (typeof input === 'string') {
    const parsed = parseJsonObject(input);
    if ('error' in parsed) return { error: `jsonlog line is not a JSON object (${parsed.error})` };
    o = parsed.value;
  } else o = input;
  if (typeof o.message !== 'string' || typeof o.error_severity !== 'string') {
    return { error: 'jsonlog object has no message or error_severity' };
  }
  const t = times.read(str(o.timestamp)); // timestamp
  if (t.invalid)
    return { error: `jsonlog timestamp '${String(o.timestamp).slice(0, 40)}' is not a time that exists: ${t.invalid}` };
  const port =
    typeof o.remote_port === 'number'
      ? o.remote_port
      : typeof o.remote_port === 'string' && /^\d+$/.test(o.remote_port)
        ? Number(o.remote_port)
        : null;
  return {
    line: {
      timestamp: t.iso,
      zoneAssumed: t.assumed,
      user: str(o.user), // user
      database: str(o.dbname), // dbname
      application: str(o.application_name), // application_name
      host: hostValue(str(o.remote_host)), // remote_host
      port, // remote_port
      pid: str(o.pid), // pid
      sessionId: str(o.session_id), // session_id
      vxid: str(o.vxid), // vxid
      backendType: str(o.backend_type), // backend_type
      severity: o.error_severity, // error_severity
      sqlstate: str(o.state_code), // state_code
      message: o.message, // message
      userKnowable: true,
      ...(t.leap ? { leapSecond: true } : {}),
    },
  };
}
