// The canonical JSON text of an event line, produced much more cheaply than the generic
// canonicalJson (src/event/canonical.ts) and equal to it for every value (a property test in
// test/bundle/fast-paths.test.ts proves it on arbitrary JSON and on events). canonicalJson sorts,
// filters and maps a fresh key array per object and builds the text from template pieces; on a
// 100,000-event collect it was ~10% of the profile. Events are built in a fixed key order, so the
// same few key lists come back for every event: each distinct key list (compared exactly, key by
// key) is sorted once and its quoted keys remembered. Primitive values go through JSON.stringify,
// exactly as canonicalJson does.

/** A key list as Object.keys gave it, the same keys sorted, and each sorted key quoted with its ':'. */
interface Shape {
  keys: string[];
  order: string[];
  quoted: string[];
}

/** Remembered shapes, by key count (a few per count at most in practice; bounded below). */
const shapes = new Map<number, Shape[]>();
const MAX_SHAPES_PER_COUNT = 64;

function sameKeys(a: string[], b: string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function shapeOf(keys: string[]): Shape {
  let list = shapes.get(keys.length);
  if (list) {
    for (const s of list) if (sameKeys(s.keys, keys)) return s;
  } else {
    list = [];
    shapes.set(keys.length, list);
  }
  const order = [...keys].sort();
  const s: Shape = { keys, order, quoted: order.map((k) => `${JSON.stringify(k)}:`) };
  if (list.length < MAX_SHAPES_PER_COUNT) list.push(s);
  return s;
}

/** Characters JSON.stringify escapes in a string (surrogates: it escapes lone ones; any one sends the string to JSON.stringify). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * One value's text. Strings without a character to escape, null and booleans are written directly
 * (the same text JSON.stringify gives, without a call into it for each of an event's ~60 values);
 * everything else goes through JSON.stringify as in canonicalJson.
 */
function valueText(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      return v === null ? 'null' : compound(v);
    default:
      return JSON.stringify(v) ?? 'null';
  }
}

function compound(value: object): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      // A hole of a sparse array is '' in canonicalJson's map().join() (JSON never makes one).
      out += (i ? ',' : '') + (v === undefined && !(i in value) ? '' : valueText(v));
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const s = shapeOf(Object.keys(obj));
  let out = '{';
  let first = true;
  for (let i = 0; i < s.order.length; i++) {
    const v = obj[s.order[i]];
    if (v === undefined) continue;
    out += (first ? '' : ',') + s.quoted[i] + valueText(v);
    first = false;
  }
  return `${out}}`;
}

export function canonicalLine(value: unknown): string {
  return valueText(value);
}

/** Whether every object in `v` (a value JSON.parse made) lists its keys in canonical (sorted) order. */
function keysSorted(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (Array.isArray(v)) {
    for (const x of v) if (!keysSorted(x)) return false;
    return true;
  }
  const obj = v as Record<string, unknown>;
  let prev: string | null = null;
  for (const k in obj) {
    if (prev !== null && !(prev < k)) return false;
    prev = k;
    if (!keysSorted(obj[k])) return false;
  }
  return true;
}

/**
 * Whether `text` is the canonical line of `parsed` (= JSON.parse(text)), i.e.
 * canonicalLine(parsed) === text, checked without building the canonical text: JSON.stringify
 * (native) gives back the text exactly when it is compact JSON in the parse's key order, and the
 * keys are then checked to be sorted. A text whose keys JavaScript reorders on parsing (integer-like
 * keys) fails the quick check and is judged by canonicalLine. verify uses it on every event line.
 */
export function isCanonicalLine(parsed: unknown, text: string): boolean {
  if (JSON.stringify(parsed) === text && keysSorted(parsed)) return true;
  return canonicalLine(parsed) === text;
}
