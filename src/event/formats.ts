// The event schema's pattern and format checks, as the generated validator calls them
// (scripts/gen-validator.mjs wires them in place of ajv's RegExps and ajv-formats' date-time). They
// accept exactly what those accept (test/core/formats.test.ts compares them over random and edge
// inputs) and cost less on what events hold: two sha256 hex strings and a 24-character
// toISOString() timestamp per event. Validation was ~9% of a MariaDB normalize profile, most of it
// these three checks (ajv-formats' date-time splits the string and runs two more RegExps).
import { fullFormats } from 'ajv-formats/dist/formats.js';

const ajvDateTime = (fullFormats['date-time'] as { validate: (s: string) => boolean }).validate;

// `^[0-9a-f]{64}$` (flag u): a fixed repeat count costs V8's RegExp about twice as much per
// character as `+`; with the length checked first, `+` accepts the same strings.
const HEX = /^[0-9a-f]+$/;

/** The schema's `^[0-9a-f]{64}$` (id, source.raw_sha256), as an object with RegExp's test. */
export const hex64Pattern = {
  test(s: string): boolean {
    return s.length === 64 && HEX.test(s);
  },
};

/** Digit value of s[i], or -1 when s[i] is not an ASCII digit (`\d` with flag u). */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Whether s has the shape `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`. */
function isMillisZ(s: string): boolean {
  if (s.length !== 24) return false;
  if (
    s.charCodeAt(4) !== 45 || // -
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 || // T
    s.charCodeAt(13) !== 58 || // :
    s.charCodeAt(16) !== 58 ||
    s.charCodeAt(19) !== 46 || // .
    s.charCodeAt(23) !== 90 // Z
  )
    return false;
  for (const i of DIGIT_AT) if (digit(s, i) < 0) return false;
  return true;
}
const DIGIT_AT = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

// The last string isMillisZ accepted: the validator checks the timestamp's pattern, then its
// format, on the same string, and the format check need not look at its shape again.
let lastMillisZ: string | undefined;

/** The schema's timestamp pattern `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$` (flag u). */
export const millisZPattern = {
  test(s: string): boolean {
    if (s === lastMillisZ) return true;
    if (!isMillisZ(s)) return false;
    lastMillisZ = s;
    return true;
  },
};

const DAYS = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * ajv-formats' `date-time` (RFC 3339, time zone required). A string of the toISOString shape
 * (`YYYY-MM-DDTHH:MM:SS.sssZ`) is checked here from its digits; any other string goes to
 * ajv-formats' own function.
 */
export const dateTimeFormat = {
  validate(s: string): boolean {
    if (s !== lastMillisZ && !isMillisZ(s)) return ajvDateTime(s);
    const month = digit(s, 5) * 10 + digit(s, 6);
    const day = digit(s, 8) * 10 + digit(s, 9);
    if (month < 1 || month > 12 || day < 1) return false;
    if (day > DAYS[month]) {
      if (month !== 2 || day !== 29) return false;
      const year = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
      if (!(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return false;
    }
    const hour = digit(s, 11) * 10 + digit(s, 12);
    const minute = digit(s, 14) * 10 + digit(s, 15);
    const second = digit(s, 17) * 10 + digit(s, 18);
    if (hour <= 23 && minute <= 59 && second <= 59) return true;
    // A leap second is valid only at 23:59 UTC (the Z offset).
    return hour === 23 && minute === 59 && second === 60;
  },
};
