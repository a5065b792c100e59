/**
 * Boundaries of concatenated JSON values (`{...}{...} {...}`, HEC's batch format) without parsing them:
 * JSON.parse then validates each value alone. Everything here is iterative (no recursion), so nesting depth
 * costs nothing but a counter, and strings are skipped with indexOf rather than char by char.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/** JSON whitespace (RFC 8259): space, tab, LF, CR. */
export function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function skipSpace(text: string, i: number): number {
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
  return i;
}

/** Index just past the string whose opening quote is at `i`, or -1 when it is not closed. */
export function skipString(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    if (q < 0) return -1;
    let slashes = 0;
    for (let k = q - 1; k > i && text.charCodeAt(k) === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/**
 * Index just past the JSON value starting at `i`, or -1 when it is cut off. The value is not validated:
 * mismatched brackets or bad literals are found by JSON.parse afterwards. A stray delimiter is one character
 * long, so callers always progress.
 */
export function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === QUOTE) return skipString(text, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const d = text.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(text, j);
        if (j < 0) return -1;
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return -1;
  }
  // Number or literal: up to the next delimiter.
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (isJsonSpace(d) || d === QUOTE || d === OPEN_BRACE || d === OPEN_BRACKET || d === CLOSE_BRACE || d === CLOSE_BRACKET || d === COMMA || d === COLON) break;
    j++;
  }
  return j === i ? i + 1 : j;
}

export interface Span {
  start: number;
  end: number;
}

/**
 * A top-level value, and (when `splitValues` was given a key) the span of its last member of that name and
 * the value's nesting depth (an object of scalars: 1).
 */
export interface ValueSpan extends Span {
  member?: Span | null;
  depth?: number;
}

/**
 * Splits `text` into its top-level values. Returns the spans, or `{ truncatedAt }` with the 0-based number of
 * the value that is cut off (an unclosed object or string at the end of the body).
 *
 * With `memberKey`, each object value's span also carries the span of its last top-level member named so
 * (what `memberSpan` would return), found in the same pass: the text is read once instead of twice. Like
 * `memberSpan`'s, that span is only meaningful for a value JSON.parse accepts.
 */
export function splitValues(text: string, memberKey?: string): { spans: ValueSpan[] } | { spans: ValueSpan[]; truncatedAt: number } {
  const spans: ValueSpan[] = [];
  const found: FoundMember = { member: null, depth: 0 };
  let i = skipSpace(text, 0);
  while (i < text.length) {
    let end: number;
    found.member = null;
    found.depth = 0;
    if (memberKey !== undefined && text.charCodeAt(i) === OPEN_BRACE) end = skipObject(text, i, memberKey, found);
    else end = skipValue(text, i);
    if (end < 0) return { spans, truncatedAt: spans.length };
    spans.push(memberKey === undefined ? { start: i, end } : { start: i, end, member: found.member, depth: found.depth });
    i = skipSpace(text, end);
  }
  return { spans };
}

interface FoundMember {
  member: Span | null;
  depth: number;
}

/** Where the object's scanner is among its own (depth 1) members. */
const EXPECT_KEY = 0;
const EXPECT_COLON = 1;
const EXPECT_VALUE = 2;
const AFTER_VALUE = 3;

/**
 * `skipValue` for an object (`text[i]` is `{`) that also records in `found` the span of its last member
 * named `key`. One pass: the depth-1 structure is followed with a small state machine, everything deeper
 * is skipped exactly as `skipValue` does. Assumes well-formed JSON for the member span (the caller uses it
 * only after JSON.parse accepted the object); the returned end is the same as `skipValue`'s for any input.
 */
function skipObject(text: string, i: number, key: string, found: FoundMember): number {
  let depth = 0;
  let deepest = 0;
  let state = EXPECT_KEY;
  let matches = false;
  let valueStart = -1;
  let j = i;
  while (j < text.length) {
    const d = text.charCodeAt(j);
    if (d === QUOTE) {
      const s = skipString(text, j);
      if (s < 0) return -1;
      if (depth === 1) {
        if (state === EXPECT_KEY) {
          matches = keyEquals(text, j, s, key);
          state = EXPECT_COLON;
        } else if (state === EXPECT_VALUE) {
          if (matches) found.member = { start: j, end: s };
          state = AFTER_VALUE;
        }
      }
      j = s;
      continue;
    }
    if (d === OPEN_BRACE || d === OPEN_BRACKET) {
      if (depth === 1 && state === EXPECT_VALUE) valueStart = j;
      if (++depth > deepest) deepest = depth;
    } else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) {
        found.depth = deepest;
        return j + 1;
      }
      if (depth === 1 && state === EXPECT_VALUE && valueStart >= 0) {
        if (matches) found.member = { start: valueStart, end: j + 1 };
        valueStart = -1;
        state = AFTER_VALUE;
      }
    } else if (depth === 1) {
      if (d === COLON && state === EXPECT_COLON) state = EXPECT_VALUE;
      else if (d === COMMA) state = EXPECT_KEY;
      else if (state === EXPECT_VALUE && valueStart < 0 && !isJsonSpace(d)) {
        // A number or literal: up to the next delimiter.
        const end = skipValue(text, j);
        if (matches) found.member = { start: j, end };
        state = AFTER_VALUE;
        j = end;
        continue;
      }
    }
    j++;
  }
  return -1;
}

/** Whether the JSON string at [start, end) (quotes included) is `key`; escaped keys are decoded. */
function keyEquals(text: string, start: number, end: number, key: string): boolean {
  if (end - start - 2 === key.length && text.startsWith(key, start + 1)) return true;
  for (let k = start + 1; k < end - 1; k++) {
    if (text.charCodeAt(k) === BACKSLASH) {
      try {
        return (JSON.parse(text.slice(start, end)) as string) === key;
      } catch {
        return false;
      }
    }
  }
  return false;
}

/**
 * Whether the JSON text nests arrays and objects deeper than `max` (brackets inside strings do not count).
 * Checked before JSON.parse, whose time grows steeply with depth (a 1 MB `[[[[…` takes about a second).
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let j = 0; j < text.length; j++) {
    const d = text.charCodeAt(j);
    if (d === QUOTE) {
      const s = skipString(text, j);
      if (s < 0) return false;
      j = s - 1;
    } else if (d === OPEN_BRACE || d === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** How many complete top-level values `text` holds (used to number the event an encoding error falls in). */
export function countValues(text: string): number {
  const r = splitValues(text);
  return r.spans.length;
}

/**
 * Visits the elements of the array at `span` (`text[span.start]` is `[`, `span` as splitValues gives it) one at a
 * time, each with its last member named `memberKey` when it is an object (see splitValues). False, after the
 * elements before it, where the array is not `[` value (`,` value)* `]`: with every element valid JSON alone, that
 * is exactly when JSON.parse would refuse the array.
 */
export function forEachArrayValue(text: string, span: Span, memberKey: string, visit: (value: ValueSpan) => void): boolean {
  const found: FoundMember = { member: null, depth: 0 };
  const last = span.end - 1; // the closing bracket
  let i = skipSpace(text, span.start + 1);
  if (i === last) return text.charCodeAt(i) === CLOSE_BRACKET;
  for (;;) {
    found.member = null;
    found.depth = 0;
    const end = text.charCodeAt(i) === OPEN_BRACE ? skipObject(text, i, memberKey, found) : skipValue(text, i);
    if (end < 0 || end > last) return false;
    visit({ start: i, end, member: found.member, depth: found.depth });
    i = skipSpace(text, end);
    if (i === last) return text.charCodeAt(i) === CLOSE_BRACKET;
    if (text.charCodeAt(i) !== COMMA) return false;
    i = skipSpace(text, i + 1);
    if (i >= last) return false;
  }
}

/**
 * The span of the last top-level member named `key` in the object at `span` (JSON.parse keeps the last of
 * duplicate keys too). The object must already be known valid (JSON.parse succeeded on it).
 */
export function memberSpan(text: string, span: Span, key: string): Span | null {
  let found: Span | null = null;
  forEachMember(text, span, (name, value) => {
    if (name === key) found = value;
  });
  return found;
}

/**
 * Visits the top-level members of the object at `span` in order, each with its decoded name and its value's
 * span. The object must already be known valid (JSON.parse succeeded on it).
 */
export function forEachMember(text: string, span: Span, visit: (name: string, value: Span) => void): void {
  let i = skipSpace(text, span.start + 1);
  while (i < span.end && text.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return;
    const name = text.slice(i + 1, keyEnd - 1);
    // Keys without escapes compare as they are; escaped ones are decoded.
    const decoded = name.includes('\\') ? (JSON.parse(text.slice(i, keyEnd)) as string) : name;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return;
    const valueStart = skipSpace(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    if (valueEnd < 0) return;
    visit(decoded, { start: valueStart, end: valueEnd });
    i = skipSpace(text, valueEnd);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipSpace(text, i + 1);
  }
}
