// Compiles a PostgreSQL `log_line_prefix` into one regular expression that matches the start of a
// stderr log line (prefix + severity), and detects the prefix of a log when none is given.
// Format: https://www.postgresql.org/docs/current/runtime-config-logging.html#GUC-LOG-LINE-PREFIX
// Compiled once per input: matching a line is one RegExp#exec, with no per-line compilation.

/** What one escape of the prefix captured, by escape letter. */
export type PrefixValues = Partial<Record<string, string>>;

export interface CompiledPrefix {
  /** The log_line_prefix as given (without surrounding quotes). */
  source: string;
  /** ^prefix(SEVERITY):  — one capture group per escape, then the severity. */
  regex: RegExp;
  /** Escape letter of each capture group, in order (the severity group follows). */
  letters: string[];
  /** Escape letters present in the prefix. */
  has: Set<string>;
}

export interface PrefixMatch {
  values: PrefixValues;
  severity: string;
  /** Index in the line where the message text begins. */
  messageStart: number;
}

/** Severities PostgreSQL writes after the prefix, and the detail lines that follow a message. */
export const SEVERITY =
  'DEBUG[1-5]?|INFO|NOTICE|WARNING|ERROR|LOG|FATAL|PANIC|DETAIL|HINT|QUERY|CONTEXT|STATEMENT|LOCATION';

const ZONE = String.raw`(?:[A-Za-z][A-Za-z0-9_/+-]*|[+-]\d{2}(?::?\d{2})?)`;
/** Pattern of each escape's value. Unknown escapes match lazily anything. */
const ESCAPES: Record<string, string> = {
  a: '(.*?)', // application_name (may contain spaces: "pgAdmin 4 - CONN:3040112")
  u: '(.*?)', // session user name
  d: '(.*?)', // database name
  r: String.raw`(\[local\]|[^\s()]+\(\d+\)|[^\s()]*)`, // remote host(port), or [local]
  h: String.raw`(\S*?)`, // remote host
  b: '(.*?)', // backend type
  p: String.raw`(\d+)`, // process id
  P: String.raw`(\d*)`, // parallel group leader pid (empty when not a worker)
  t: String.raw`(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ${ZONE})`, // time stamp without milliseconds
  m: String.raw`(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ${ZONE})`, // time stamp with milliseconds
  n: String.raw`(\d+\.\d+)`, // epoch seconds with milliseconds
  i: '(.*?)', // command tag
  e: String.raw`([0-9A-Z]{5})`, // SQLSTATE
  c: String.raw`([0-9a-f]+\.[0-9a-f]+)`, // session id
  l: String.raw`(\d+)`, // log line number in the session
  s: String.raw`(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ${ZONE})`, // session start time
  v: String.raw`(-?\d+/\d+|)`, // virtual transaction id
  x: String.raw`(\d+)`, // transaction id
  Q: String.raw`(-?\d+)`, // query id
};

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Removes quotes a user may have copied from postgresql.conf: '%m [%p] ' -> %m [%p] . */
export function cleanPrefix(prefix: string): string {
  const t = prefix.trim();
  if (t.length >= 2 && ((t.startsWith("'") && t.endsWith("'")) || (t.startsWith('"') && t.endsWith('"'))))
    return prefix.trim().slice(1, -1);
  return prefix;
}

export function compilePrefix(prefixIn: string): CompiledPrefix {
  const source = cleanPrefix(prefixIn);
  const letters: string[] = [];
  const has = new Set<string>();
  let head = '';
  let tail = '';
  let inTail = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    let piece: string;
    if (ch !== '%' || i === source.length - 1) piece = escapeRe(ch);
    else {
      // %[-]NN<letter>: padded to NN characters (left-aligned when negative).
      let j = i + 1;
      let padded = false;
      if (source[j] === '-') {
        j++;
        padded = true;
      }
      while (j < source.length && /[0-9]/.test(source[j]!)) {
        j++;
        padded = true;
      }
      const letter = source[j];
      i = j;
      if (letter === undefined) {
        piece = '%';
      } else if (letter === '%') piece = '%';
      else if (letter === 'q') {
        inTail = true;
        continue;
      } else {
        has.add(letter);
        letters.push(letter);
        const pat = ESCAPES[letter] ?? '(.*?)';
        piece = padded ? ` *${pat} *` : pat;
      }
    }
    if (inTail) tail += piece;
    else head += piece;
  }
  // %q: non-session processes (postmaster, checkpointer) stop the prefix there.
  const body = inTail ? `${head}(?:${tail})?` : head;
  return { source, regex: new RegExp(`^${body}(${SEVERITY}): +`), letters, has };
}

export function matchPrefix(p: CompiledPrefix, line: string): PrefixMatch | null {
  const m = p.regex.exec(line);
  if (!m) return null;
  const values: PrefixValues = {};
  for (let k = 0; k < p.letters.length; k++) {
    const v = m[k + 1];
    if (v !== undefined) values[p.letters[k]!] = v.trim();
  }
  return { values, severity: m[p.letters.length + 1]!, messageStart: m[0].length };
}

/**
 * Common prefixes, most specific first: PostgreSQL's default since 13 and Debian's ('%m [%p] '),
 * the docs' and Debian's user@db forms, pgBadger's recommended forms, AWS RDS ('%t:%r:%u@%d:[%p]:'),
 * Azure ('%t-%c-'), IBM Cloud Databases, and older Debian defaults.
 */
export const COMMON_PREFIXES = [
  '%m [%p] %q%u@%d/%a ',
  '%m [%p] %q%u@%d ',
  '%m [%p-%l] %q%u@%d ',
  '%t [%p-%l] %q%u@%d ',
  '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ',
  '%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ',
  '%t [%p]: user=%u,db=%d,app=%a,client=%h ',
  '%m [%p]: user=%u,db=%d,app=%a,client=%h ',
  '%t [%p]: [%l-1] user=%u,db=%d ',
  '%m [%p]: [%l-1] user=%u,db=%d ',
  '%t [%a] [%e] [%p]: [%l-1] user=%u,db=%d,client=%h ',
  '%t [%p]: [%l-1] db=%d,user=%u ',
  '%m [%p] %u@%d ',
  '%t:%r:%u@%d:[%p]:',
  '%m:%r:%u@%d:[%p]:',
  '%m %u %d [%p] ',
  '%m [%p] %q[%c] %u@%d ',
  '%m [%c] %u@%d ',
  '%t-%c-',
  '%m [%p] ',
  '%t [%p] ',
  '%m [%p]: ',
  '%t [%p]: ',
  '%m ',
  '%t ',
  '',
];

let compiledCommon: CompiledPrefix[] | null = null;
function common(): CompiledPrefix[] {
  return (compiledCommon ??= COMMON_PREFIXES.map(compilePrefix));
}

export interface DetectedPrefix {
  prefix: CompiledPrefix;
  /** Lines of the sample it matched, out of the lines that looked like log lines. */
  matched: number;
  sampled: number;
  /** True when no known prefix matched and the fallback (time stamp only) is used. */
  fallback: boolean;
}

/** A compiled prefix that only reads a leading time stamp (%m or %t) and the severity. */
export function fallbackPrefix(): CompiledPrefix {
  const ts = String.raw`(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})? ${ZONE})?`;
  return { source: '(unknown)', regex: new RegExp(`^${ts}.*?(${SEVERITY}): +`), letters: ['m'], has: new Set(['m']) };
}

/**
 * Picks the prefix that matches the most sample lines; ties go to the one that captures more
 * values (so '%m [%p] %q%u@%d/%a ' beats '%m [%p] %q%u@%d ' when the lines carry an application),
 * then to the one with fewer escapes (so '%m [%p] ' beats a %q form whose optional part never
 * appears). Lines that start with white space are continuation lines and are not sampled.
 */
export function detectPrefix(lines: string[]): DetectedPrefix {
  const sample = lines.filter((l) => l.length > 0 && l[0] !== '\t' && l[0] !== ' ').slice(0, 400);
  let best: DetectedPrefix | null = null;
  let bestKey = -Infinity;
  for (const p of common()) {
    let matched = 0;
    let captured = 0;
    for (const l of sample) {
      const m = p.regex.exec(l);
      if (!m) continue;
      matched++;
      for (let k = 1; k <= p.letters.length; k++) if (m[k] !== undefined) captured++;
    }
    if (matched === 0) continue;
    const key = matched * 1e6 + (captured / matched) * 1e3 - p.letters.length;
    if (key > bestKey) {
      bestKey = key;
      best = { prefix: p, matched, sampled: sample.length, fallback: false };
    }
  }
  if (best && best.matched * 2 >= sample.length) return best;
  const fb = fallbackPrefix();
  let fbMatched = 0;
  for (const l of sample) if (fb.regex.test(l)) fbMatched++;
  if (best && best.matched >= fbMatched) return best;
  return { prefix: fb, matched: fbMatched, sampled: sample.length, fallback: true };
}
