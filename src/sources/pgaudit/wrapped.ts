// stderr log lines wrapped by a log shipper, one per line, as IBM Cloud Databases for PostgreSQL
// exports them (IBM Guardium's sample): a syslog line whose JSON body's `message` holds a
// container log line ("<RFC 3339> stderr F <the PostgreSQL stderr line>"), or IBM Cloud Logs JSON
// whose `data.message.message` holds the stderr line, written with its quotes backslash-escaped
// ({\"data\":...}). Plain JSON with a `message`/`log` string (Fluent Bit, Docker) unwraps the same.
// Containers: https://github.com/kubernetes/design-proposals-archive/blob/main/node/kubelet-cri-logging.md

const SYSLOG_HEAD = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ /;
/** CRI container log line: time, stream, partial/full tag. */
const CRI_HEAD = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) (?:stdout|stderr) [FP] /;

export type Unwrapped = { text: string } | { error: string } | null;

function messageIn(o: Record<string, unknown>): string | null {
  const m = o.message;
  if (typeof m === 'string') return m;
  if (m && typeof m === 'object' && typeof (m as Record<string, unknown>).message === 'string')
    return (m as Record<string, string>).message!;
  const data = o.data;
  if (data && typeof data === 'object') return messageIn(data as Record<string, unknown>);
  if (typeof o.log === 'string') return o.log;
  return null;
}

/** True when the line looks like a wrapper this module reads (for detection). */
export function looksWrapped(line: string): boolean {
  return (
    (SYSLOG_HEAD.test(line) && line.includes('{')) ||
    line.startsWith('{\\"') ||
    (line.startsWith('{') && line.includes('"message"'))
  );
}

/**
 * The PostgreSQL stderr line inside a wrapped line. null: the line is no wrapper at all (a blank
 * line, a banner); an error: it is a wrapper that cannot be read.
 */
export function unwrapLine(line: string): Unwrapped {
  let body: string | null = null;
  if (line.startsWith('{\\"')) {
    try {
      body = JSON.parse(`"${line.trimEnd()}"`) as string;
    } catch {
      return { error: 'backslash-escaped JSON line cannot be unescaped' };
    }
  } else if (line.startsWith('{')) body = line;
  else if (SYSLOG_HEAD.test(line)) {
    const brace = line.indexOf('{');
    if (brace < 0) return null;
    body = line.slice(brace);
  } else return null;
  let o: unknown;
  try {
    o = JSON.parse(body);
  } catch (e) {
    return { error: `wrapped line is not valid JSON (${(e as Error).message})` };
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return { error: 'wrapped line is not a JSON object' };
  const msg = messageIn(o as Record<string, unknown>);
  if (msg === null) return { error: 'wrapped line has no message field holding a log line' };
  const cri = CRI_HEAD.exec(msg);
  return { text: cri ? msg.slice(cri[0].length) : msg };
}
