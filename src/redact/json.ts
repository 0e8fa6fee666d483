// Redaction of JSON records by value, not by text. The adapter parses each record once (as it must
// to map it); redactJsonRecord then walks that parsed value, replacing in place every string held by
// a secret-named member (src/redact/policy.ts), so the mapping never sees a secret. Only when the
// walk changed something is the raw text rewritten, by a scanner that replaces exactly those values
// in the original text: every other byte (key order, number spelling, spacing, escapes) is kept,
// the result is valid JSON, and the same input always gives the same bytes. The raw record keeps
// the sha256 of the ORIGINAL bytes (events name it); `redactions` says its text was redacted.
//
// Strings are also looked into: one that holds JSON (LookupEvents' CloudTrailEvent, request and
// response bodies) is redacted by the same rules and re-encoded; free text (commands, user data,
// error messages) by redactFreeText; SQL (query members, Cloud SQL statements) by redactSql.
import type { RawRecord } from '../pipeline/types.js';
import { REDACTED, extrasActive, isMetadataName, isSecretName } from './policy.js';
import { redactSqlCounted } from './sql.js';
import { redactFreeText, redactSecretsCounted } from './text.js';

type Obj = Record<string, unknown>;

/** Values that are already not secrets: empty, our marker, AWS's own placeholders, asterisks. */
function isPlaceholder(s: string): boolean {
  return (
    s === '' ||
    s === REDACTED ||
    s === 'HIDDEN_DUE_TO_SECURITY_REASONS' ||
    s === '<sensitiveDataRemoved>' ||
    /^\*+$/.test(s)
  );
}

const SQL_GATE = /passw|identified|connection|dblink|mapping|sslkey|secret|token|\bpw\b|pwd/i;
const STRING_GATE =
  /pass|pwd|secret|token|key|auth|credential|identified|connection|dblink|mapping|dsn|cookie|:\/\/|bearer|basic|\bpw\b|-p\S/i;
/** Names a JSON text must mention for the walk to find a secret-named member in it. */
const NAME_GATE = /pass|pwd|secret|token|credential|key|auth|dsn|conn|cookie|pw"|securestring/i;

/**
 * ASCII characters that some rule here needs (a literal's quote or '$', '=' or ':' after a name, a
 * space, '@' of URL credentials, '{'/'[' of embedded JSON, ...): a string of other ASCII characters
 * alone cannot hold a secret any rule finds. Non-ASCII characters (Unicode spaces among them) send a
 * string down the full path.
 */
const NEEDS_LOOK = new Uint8Array(128);
for (const c of ' \t\n\v\f\r=@\'"(),;&[]{}<>$\\:') NEEDS_LOOK[c.charCodeAt(0)] = 1;

/** Whether no rule below can change `s` (see NEEDS_LOOK): one table lookup per character. */
function plainIdentifier(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || NEEDS_LOOK[c] === 1) return false;
  }
  return true;
}

/** A string that starts like a SQL statement (after spaces and comments). */
export const SQL_START =
  /^\s*(?:\/\*[\s\S]*?\*\/\s*|--[^\n]*\n\s*)*\(?\s*(?:SELECT|INSERT|UPDATE|DELETE|MERGE|UPSERT|CREATE|ALTER|DROP|SET|GRANT|REVOKE|CALL|DO|WITH|COPY|EXECUTE|EXEC|PREPARE|CHANGE|RENAME|IMPORT|BEGIN|START|COMMIT|TRUNCATE|REPLACE|LOAD|INSTALL|UNINSTALL|SHOW|FLUSH|LOCK|USE|DECLARE|VALUES|TABLE|COMMENT|SECURITY|REASSIGN|REFRESH|VACUUM|ANALYZE|EXPLAIN|CLUSTER|REINDEX|LISTEN|NOTIFY|DISCARD|RESET|HANDLER|KILL|PURGE|RESTORE|BACKUP)\b/i;

const embedded = new WeakMap<object, Map<string, unknown>>();

/** The parsed value of a JSON string member the walk already parsed (so an adapter need not parse it again). */
export function embeddedValue(holder: object, key: string): unknown {
  return embedded.get(holder)?.get(key);
}

function looksLikeJson(s: string): boolean {
  const a = s.charCodeAt(0);
  if (a !== 0x7b && a !== 0x5b) return false; // { [
  const b = s.charCodeAt(s.length - 1);
  return (a === 0x7b && b === 0x7d) || (a === 0x5b && b === 0x5d);
}

/**
 * Redacts one decoded string that is not itself under a secret name: JSON inside it, SQL, free
 * text. Returns the new string, or null when nothing changed. `holder`/`key` receive the parsed
 * embedded JSON for embeddedValue.
 */
function redactLeaf(s: string, counter: { n: number }, holder: object | null, key: string): string | null {
  if (s.length < 4) return null;
  const extras = extrasActive();
  // Most strings are identifiers (ids, names, hosts, regions) that no rule below can touch: every
  // rule needs one of these characters (a literal's quote or '$', '=' or ':' after a name, a space,
  // '@' of URL credentials, '{'/'[' of embedded JSON, ...). One character-class scan rules them out
  // before the word gate (the gate regex was half the cost of the walk). Strings with ':' (ARNs,
  // times, name: value) take the full path.
  if (!extras && plainIdentifier(s)) return null;
  if (looksLikeJson(s) && (extras || NAME_GATE.test(s))) {
    let v: unknown;
    try {
      v = JSON.parse(s);
    } catch {
      v = undefined;
    }
    if (v !== undefined && v !== null && typeof v === 'object') {
      if (holder) {
        let m = embedded.get(holder);
        if (!m) {
          m = new Map();
          embedded.set(holder, m);
        }
        m.set(key, v);
      }
      const before = counter.n;
      walk(v, false, counter);
      if (counter.n === before) return null;
      const t = scanText(s, v);
      return t ?? JSON.stringify(v);
    }
  }
  if (!extras && !STRING_GATE.test(s)) return null;
  let out = s;
  if (extras || SQL_GATE.test(s)) {
    // A statement goes through the tokenizer; prose (an error message quoting SQL) through the text
    // patterns, which never take a whole message for an unterminated literal.
    const q = SQL_START.test(s) ? redactSqlCounted(out) : redactSecretsCounted(out);
    if (q.count) {
      out = q.text;
      counter.n += q.count;
    }
  }
  const f = redactFreeText(out);
  if (f.count) {
    out = f.text;
    counter.n += f.count;
  }
  return out === s ? null : out;
}

/** Public form of redactLeaf: one decoded string (a statement, a message), with the count. */
export function redactString(s: string): { text: string; count: number } {
  const c = { n: 0 };
  const r = redactLeaf(s, c, null, '');
  return { text: r ?? s, count: c.n };
}

function walk(v: unknown, inSecret: boolean, counter: { n: number }): void {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x === 'string') {
        if (inSecret) {
          if (!isPlaceholder(x)) {
            v[i] = REDACTED;
            counter.n++;
          }
        } else {
          const r = redactLeaf(x, counter, v, String(i));
          if (r !== null) v[i] = r;
        }
      } else if (x !== null && typeof x === 'object') walk(x, inSecret, counter);
    }
    return;
  }
  if (v === null || typeof v !== 'object') return;
  const o = v as Obj;
  for (const k in o) {
    const x = o[k];
    if (typeof x === 'string') {
      if (inSecret ? !isMetadataName(k) : isSecretName(k)) {
        if (!isPlaceholder(x)) {
          o[k] = REDACTED;
          counter.n++;
        }
        continue;
      }
      const r = redactLeaf(x, counter, o, k);
      if (r !== null) o[k] = r;
    } else if (x !== null && typeof x === 'object') walk(x, inSecret || isSecretName(k), counter);
  }
  // SSM PutParameter: {"name": ..., "type": "SecureString", "value": "..."}
  if (
    typeof o.value === 'string' &&
    typeof o.type === 'string' &&
    /^securestring$/i.test(o.type) &&
    !isPlaceholder(o.value)
  ) {
    o.value = REDACTED;
    counter.n++;
  }
}

/** Redacts a parsed JSON value in place; returns the number of values redacted. */
export function redactJsonValue(v: unknown): number {
  const c = { n: 0 };
  walk(v, false, c);
  return c.n;
}

/**
 * Redacts a JSON record the adapter has parsed (`value`, from raw.text): the value in place, and
 * the text when anything changed. Returns the raw record to keep (the same one when nothing was
 * redacted), marked with its redaction count either way so the pipeline runs no text pass on it.
 */
export function redactJsonRecord<R extends RawRecord>(raw: R, value: unknown): R {
  const n = redactJsonValue(value);
  if (n === 0) {
    raw.redactions = 0;
    return raw;
  }
  const text = scanText(raw.text, value) ?? JSON.stringify(value);
  return { ...raw, text, redactions: n };
}

// ---------------------------------------------------------------------------------------------
// The text scanner: the same decisions over JSON text, replacing values in place.

class Fail extends Error {}

const SCALAR = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

const NO_NODE: unique symbol = Symbol('no node');
type Node = unknown;

/**
 * The member `k` (or element) of a walked value, NO_NODE when it is no container. Only compared with
 * a string the scanner read at the same path: an inherited property is never a string.
 */
function child(node: Node, k: string | number): Node {
  return node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[k] : NO_NODE;
}

/**
 * Redacted text of a JSON text (null when it is not JSON the scanner can read).
 *
 * `walked`: the same text's parsed value after walk() redacted it. The scanner follows it member by
 * member, and a string the walk left as it was (the value at the same path is still the same
 * string, so the walk made the same decision on it and changed nothing) is not decided again: that
 * re-decision was most of the cost of a redacted CloudTrail record. Any other string (changed by the
 * walk, or shadowed by a duplicate key) is decided here as before, so the text is the same either way.
 */
export function scanText(text: string, walked: Node = NO_NODE): string | null {
  const sc = new TextScanner(text);
  try {
    sc.value(false, false, walked);
    sc.ws();
    if (sc.i !== text.length) throw new Fail();
  } catch (e) {
    if (e instanceof Fail || e instanceof SyntaxError) return null;
    throw e;
  }
  const edits = sc.edits;
  if (edits.length === 0) return text;
  edits.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [s, e, r] of edits) {
    out += text.slice(at, s) + r;
    at = e;
  }
  return out + text.slice(at);
}

/** One pass over a JSON text making redaction's decisions; the replacements go to `edits`. */
class TextScanner {
  readonly edits: Array<[number, number, string]> = [];
  i = 0;
  /** Start of the last string read (its end is `i`). */
  private sStart = 0;
  private readonly n: number;
  private readonly counter = { n: 0 };

  constructor(private readonly text: string) {
    this.n = text.length;
  }

  ws(): void {
    const { text, n } = this;
    let i = this.i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  /** Reads the string at `i`: its decoded value; sStart..i are its quotes. */
  private str(): string {
    const { text, n } = this;
    const start = this.i;
    if (text[start] !== '"') throw new Fail();
    let j = start + 1;
    let esc = false;
    for (;;) {
      if (j >= n) throw new Fail();
      const c = text.charCodeAt(j);
      if (c === 0x5c) {
        esc = true;
        j += 2;
        continue;
      }
      if (c === 0x22) break;
      j++;
    }
    this.i = j + 1;
    this.sStart = start;
    return esc ? (JSON.parse(text.slice(start, j + 1)) as string) : text.slice(start + 1, j);
  }

  private skipScalar(): void {
    SCALAR.lastIndex = this.i;
    const m = SCALAR.exec(this.text);
    // A scalar over 400 characters was never read (the scanner looked at 400 at a time): same result.
    if (!m || m[0].length > 400) throw new Fail();
    this.i += m[0].length;
  }

  /** The string just read (sStart..i, decoded `v`), in a secret place or not. */
  private leaf(v: string, secret: boolean, node: Node): void {
    if (secret) {
      if (!isPlaceholder(v)) this.edits.push([this.sStart, this.i, `"${REDACTED}"`]);
      return;
    }
    if (node === v) return; // the walk decided this very string: unchanged
    const r = redactLeaf(v, this.counter, null, '');
    if (r !== null) this.edits.push([this.sStart, this.i, JSON.stringify(r)]);
  }

  /** Expects `c` at `i` (after blanks) and steps over it; false when `close` comes instead (also stepped over). */
  private next(close: string): boolean {
    this.ws();
    const c = this.text[this.i];
    this.i++;
    if (c === ',') return true;
    if (c === close) return false;
    throw new Fail();
  }

  value(inSecret: boolean, secretHere: boolean, node: Node): void {
    this.ws();
    const c = this.text[this.i];
    if (c === '{') this.object(inSecret, node);
    else if (c === '[') this.array(inSecret, secretHere, node);
    else if (c === '"') this.leaf(this.str(), secretHere, node);
    else this.skipScalar();
  }

  private object(inSecret: boolean, node: Node): void {
    const { text, edits } = this;
    this.i++;
    this.ws();
    if (text[this.i] === '}') {
      this.i++;
      return;
    }
    let typeSecure = false;
    let valueStr: { start: number; end: number; value: string } | null = null;
    let valueEdit = -1;
    do {
      this.ws();
      const k = this.str();
      this.ws();
      if (text[this.i] !== ':') throw new Fail();
      this.i++;
      this.ws();
      if (text[this.i] === '"') {
        const s = this.str();
        const before = edits.length;
        this.leaf(s, inSecret ? !isMetadataName(k) : isSecretName(k), child(node, k));
        if (k === 'type' && /^securestring$/i.test(s)) typeSecure = true;
        if (k === 'value') {
          valueStr = { start: this.sStart, end: this.i, value: s };
          valueEdit = edits.length > before ? before : -1;
        }
      } else this.value(inSecret || isSecretName(k), false, child(node, k));
    } while (this.next('}'));
    // SSM PutParameter: {"type": "SecureString", "value": "..."}
    if (typeSecure && valueStr && !isPlaceholder(valueStr.value)) {
      const e: [number, number, string] = [valueStr.start, valueStr.end, `"${REDACTED}"`];
      if (valueEdit >= 0) edits[valueEdit] = e;
      else edits.push(e);
    }
  }

  private array(inSecret: boolean, secretHere: boolean, node: Node): void {
    this.i++;
    this.ws();
    if (this.text[this.i] === ']') {
      this.i++;
      return;
    }
    let idx = 0;
    do {
      this.ws();
      if (this.text[this.i] === '"') this.leaf(this.str(), inSecret || secretHere, child(node, idx));
      else this.value(inSecret, false, child(node, idx));
      idx++;
    } while (this.next(']'));
  }
}
