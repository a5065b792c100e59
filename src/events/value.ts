/**
 * Field values as SPL sees them. A field is absent (null), a single value, or a multivalue.
 * Splunk keeps field values as text; numbers appear where the data or eval produced them and are
 * rendered back to text with `toText`. A multivalue always has at least two values: one value is a
 * single value and zero values is null (see `mv`).
 */
export type Scalar = string | number;
export type Multivalue = readonly Scalar[];
export type FieldValue = Scalar | Multivalue;

export function isMultivalue(v: FieldValue | null | undefined): v is Multivalue {
  return Array.isArray(v);
}

/** Normalizes a list of values into a FieldValue: [] → null, [x] → x. */
export function mv(values: readonly Scalar[]): FieldValue | null {
  if (values.length === 0) return null;
  if (values.length === 1) return values[0] as Scalar;
  return values;
}

/** Every value of a field as a list (null → [], scalar → [scalar]). */
export function valuesOf(v: FieldValue | null | undefined): readonly Scalar[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v as Scalar];
}

/**
 * One key for several fields' values (dedup, alert throttling): a field's value texts joined by \u0001, fields by
 * NUL (n-1 NULs); when a text holds either separator, n NULs then the texts' JSON, so that a value holding a
 * separator never gives another list's key.
 */
export function valuesKey(fields: readonly (readonly Scalar[])[]): string {
  const texts = fields.map((vs) => vs.map(toText));
  const plain = texts.every((ts) => ts.every((t) => !/[\u0000\u0001]/.test(t)));
  return plain ? texts.map((ts) => ts.join('\u0001')).join('\u0000') : '\u0000'.repeat(texts.length) + JSON.stringify(texts);
}

/**
 * A lone UTF-16 surrogate: text holding one has no UTF-8 spelling, so what stores it (SQLite, ClickHouse) gives back
 * another string (U+FFFD).
 */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first value of a field (how eval sees a multivalue in a scalar context). */
export function firstValue(v: FieldValue | null | undefined): Scalar | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return (v[0] as Scalar | undefined) ?? null;
  return v as Scalar;
}

/** Renders a scalar the way Splunk prints it: integers without a fraction, no exponent for usual magnitudes. */
export function toText(s: Scalar): string {
  if (typeof s === 'string') return s;
  if (Number.isInteger(s)) return Math.abs(s) < 1e21 ? s.toFixed(0) : String(s);
  if (!Number.isFinite(s)) return String(s);
  // Up to 15 significant digits avoids artefacts such as 0.30000000000000004.
  const t = Number(s.toPrecision(15));
  return String(t);
}

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Whether a numeric text can start with this character: a digit, sign or point, or white space that
 * `trim` removes (ASCII ones here; every non-ASCII character is left to the full check).
 */
function mayStartNumber(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46 || c === 32 || (c >= 9 && c <= 13) || c >= 128;
}

/** `n`, or null when it is NaN or infinite: Splunk has no such values. */
export function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/** Splunk treats a value as a number when its whole text is numeric (surrounding spaces allowed). */
export function toNumber(s: Scalar | null | undefined): number | null {
  if (s === null || s === undefined) return null;
  if (typeof s === 'number') return finite(s);
  // Most text values are not numbers: reject them on their first character, without trim and regex.
  if (s.length === 0 || !mayStartNumber(s.charCodeAt(0))) return null;
  const t = s.trim();
  if (t === '' || !NUMERIC.test(t)) return null;
  // Past the largest double ("1e309") is not a number, as a computed infinity is not one either.
  return finite(Number(t));
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * Lexicographic order as Splunk defines it for `values()`, `sort str()`: the order of the UTF-8 bytes, which is
 * code point order. Never localeCompare. JavaScript's `<` compares UTF-16 code units, which is the same order
 * except where the first difference is a surrogate (half of a character above U+FFFF, 4 UTF-8 bytes from F0)
 * against U+E000-U+FFFF (3 bytes from EE: private use, fullwidth forms): `<` puts 😀 first, the bytes put Ａ.
 */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  // Without a surrogate in either, `<` is already that order (and native: the loop below is ~5x slower on
  // command lines sharing a 60-character prefix).
  if (!hasSurrogate(a) && !hasSurrogate(b)) return a < b ? -1 : 1;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  return codePointRank(a.charCodeAt(i)) < codePointRank(b.charCodeAt(i)) ? -1 : 1;
}

/** A UTF-16 code unit's place in code point order: surrogates after U+E000-U+FFFF, the rest unmoved. */
function codePointRank(unit: number): number {
  return unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/** Whether `s` holds a surrogate: only then can `<` and compareText disagree on it. */
export function hasSurrogate(s: string): boolean {
  return SURROGATE.test(s);
}

/** Sorts `texts` in place in compareText's order: natively (UTF-16 order, the same) unless one holds a surrogate. */
export function sortTexts(texts: string[]): string[] {
  texts.sort();
  return texts.some(hasSurrogate) ? texts.sort(compareText) : texts;
}
