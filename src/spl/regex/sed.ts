/**
 * sed expressions for `rex mode=sed`, and PCRE-style replacement strings for eval `replace()`.
 *
 * Splunk documents two sed commands: `s/<regex>/<replacement>/<flags>` ("flags can be either: g to
 * replace all matches, or a number to replace a specified match"; back-references are `\n` with a
 * single digit) and `y/<string1>/<string2>/`. Any delimiter may replace `/`.
 *
 * Replacements are applied with a function replacer, so a `$` in the replacement is always literal
 * (JS `String.replace` would otherwise read `$1`, `$&`, `$$` ...).
 */

import { RegexError, compilePcreInfo, type TranslatedRegex } from './pcre.js';

export interface SedSubstitute {
  kind: 's';
  /** PCRE pattern text, with escaped delimiters resolved. */
  pattern: string;
  /** Replacement text, with escaped delimiters resolved (still holds `\1`, `\\` ...). */
  replacement: string;
  /** `g` flag: replace every match. */
  global: boolean;
  /** 1-based match to replace when not global (a numeric flag; default 1). */
  occurrence: number;
}

export interface SedTransliterate {
  kind: 'y';
  /** Code points to replace ... */
  from: number[];
  /** ... and their replacements, position by position. */
  to: number[];
}

export type SedExpression = SedSubstitute | SedTransliterate;

/** A String.prototype.replace callback. */
export type ReplaceFn = (match: string, ...args: unknown[]) => string;

type ReplacementPart = string | { group: number };

function sedError(expr: string, offset: number, construct: string, detail: string): RegexError {
  return new RegexError('REGEX_INVALID', detail, { pattern: expr, offset, construct, subject: 'sed expression' });
}

/** Characters that are PCRE syntax: an escaped delimiter must stay escaped in the regex part. */
const PCRE_META = new Set('\\^$.|?*+()[]{}');

/**
 * Splits the body of an `s` or `y` command on unescaped delimiters. `\<delim>` becomes the delimiter
 * (kept escaped in a regex part when the delimiter is a regex metacharacter); other escapes are kept
 * verbatim for the next stage.
 */
function splitParts(
  expr: string,
  delim: string,
  count: number,
  regexParts: number,
): { parts: string[]; rest: string; offsets: number[] } {
  const parts: string[] = [];
  const offsets: number[] = [];
  let current = '';
  let i = 2;
  offsets.push(i);
  while (parts.length < count) {
    if (i >= expr.length) {
      throw sedError(expr, 0, expr.charAt(0), `unterminated ${expr.charAt(0)} command (missing ${delim})`);
    }
    const c = expr.charAt(i);
    if (c === '\\' && i + 1 < expr.length) {
      const next = expr.charAt(i + 1);
      if (next === delim) current += parts.length < regexParts && PCRE_META.has(delim) ? `\\${delim}` : delim;
      else current += `\\${next}`;
      i += 2;
    } else if (c === delim) {
      parts.push(current);
      current = '';
      i++;
      offsets.push(i);
    } else {
      current += c;
      i++;
    }
  }
  return { parts, rest: expr.slice(i), offsets };
}

const parsedCache = new Map<string, SedExpression>();

export function parseSedExpression(expr: string): SedExpression {
  const cached = parsedCache.get(expr);
  if (cached) return cached;
  const parsed = parseSedUncached(expr.trim());
  if (parsedCache.size >= 256) parsedCache.clear();
  parsedCache.set(expr, parsed);
  return parsed;
}

function parseSedUncached(expr: string): SedExpression {
  const cmd = expr.charAt(0);
  const delim = expr.charAt(1);
  if (cmd !== 's' && cmd !== 'y') {
    throw sedError(expr, 0, cmd, 'only the s (substitute) and y (transliterate) commands are supported');
  }
  if (delim === '' || delim === '\\' || delim === '\n' || /[A-Za-z0-9\s]/.test(delim)) {
    throw sedError(expr, 1, delim, 'invalid delimiter');
  }
  if (cmd === 's') {
    const { parts, rest } = splitParts(expr, delim, 2, 1);
    const flagsAt = expr.length - rest.length;
    let global = false;
    let occurrence = 1;
    if (rest === 'g') global = true;
    else if (/^[0-9]+$/.test(rest)) {
      occurrence = Number(rest);
      if (occurrence < 1) throw sedError(expr, flagsAt, rest, 'the occurrence number must be at least 1');
    } else if (rest !== '') {
      throw sedError(expr, flagsAt, rest, 'flags must be g or a number');
    }
    return { kind: 's', pattern: parts[0] as string, replacement: parts[1] as string, global, occurrence };
  }
  const { parts, rest, offsets } = splitParts(expr, delim, 2, 0);
  if (rest !== '') throw sedError(expr, expr.length - rest.length, rest, 'the y command takes no flags');
  const from = transliterationChars(expr, parts[0] as string, offsets[0] as number);
  const to = transliterationChars(expr, parts[1] as string, offsets[1] as number);
  if (from.length !== to.length) {
    throw sedError(expr, 0, expr, `y strings have different lengths (${from.length} and ${to.length})`);
  }
  return { kind: 'y', from, to };
}

/** Resolves `\\`, `\n`, `\t` in a y string (escaped delimiters were resolved by splitParts). */
function transliterationChars(expr: string, text: string, offset: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) as number;
    if (cp === 0x5c /* \ */ && i + 1 < text.length) {
      const next = text.charAt(i + 1);
      if (next === 'n') out.push(0x0a);
      else if (next === 't') out.push(0x09);
      else if (next === '\\' || !/[A-Za-z0-9]/.test(next)) out.push(next.codePointAt(0) as number);
      else throw sedError(expr, offset + i, `\\${next}`, 'unsupported escape in a y string');
      i += 2;
    } else {
      out.push(cp);
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return out;
}

/** Parses a replacement: `\0`..`\9` are group references (`\0` is the whole match), `\x` is `x`. */
function parseReplacement(replacement: string): ReplacementPart[] {
  const parts: ReplacementPart[] = [];
  let text = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement.charAt(i);
    if (c !== '\\' || i + 1 >= replacement.length) {
      text += c; // includes `$` and `&`, both literal
      continue;
    }
    const next = replacement.charAt(i + 1);
    i++;
    if (next >= '0' && next <= '9') {
      if (text) parts.push(text);
      text = '';
      parts.push({ group: Number(next) });
    } else {
      text += next;
    }
  }
  if (text) parts.push(text);
  return parts;
}

/** Highest group number a replacement refers to (0 when none). */
function maxGroup(parts: readonly ReplacementPart[]): number {
  let max = 0;
  for (const p of parts) if (typeof p !== 'string' && p.group > max) max = p.group;
  return max;
}

/**
 * Turns a Splunk/PCRE replacement string into a String.prototype.replace callback. `info` (from the
 * translated pattern) maps PCRE group numbers to JS ones and validates them; without it the numbers
 * are used as they are. A group that did not participate contributes the empty string.
 */
export function convertReplacement(
  replacement: string,
  info?: Pick<TranslatedRegex, 'groupMap' | 'groupCount'>,
): ReplaceFn {
  const parts = parseReplacement(replacement);
  const max = maxGroup(parts);
  if (info && max > info.groupCount) {
    const at = replacement.indexOf(`\\${max}`);
    throw new RegexError(
      'REGEX_INVALID',
      `replacement refers to group ${max} but the pattern has ${info.groupCount} group(s)`,
      { pattern: replacement, offset: Math.max(at, 0), construct: `\\${max}`, subject: 'replacement' },
    );
  }
  const js = parts.map((p) => (typeof p === 'string' ? p : p.group === 0 ? 0 : (info?.groupMap[p.group] ?? p.group)));
  return (match: string, ...args: unknown[]): string => {
    let out = '';
    for (const p of js) {
      if (typeof p === 'string') out += p;
      else if (p === 0) out += match;
      else {
        const g = args[p - 1];
        if (typeof g === 'string') out += g;
      }
    }
    return out;
  };
}

/**
 * Replaces matches of a PCRE pattern. `global` (default true, as eval `replace()`) replaces every
 * match; otherwise only the `occurrence`-th (default 1).
 */
export function replacePcre(
  input: string,
  pattern: string,
  replacement: string,
  opts: { global?: boolean; occurrence?: number } = {},
): string {
  const parts = parseReplacement(replacement);
  const global = opts.global ?? true;
  const occurrence = opts.occurrence ?? 1;
  // Capture values only matter when the replacement uses them.
  const needCaptures = maxGroup(parts) > 0;
  const { regex, translated } = compilePcreInfo(pattern, { global: global || occurrence > 1, needCaptures });
  const fn = convertReplacement(replacement, translated);
  if (global || occurrence === 1) return input.replace(regex, fn);
  let count = 0;
  return input.replace(regex, (match: string, ...args: unknown[]) => (++count === occurrence ? fn(match, ...args) : match));
}

/** Applies a sed expression (`s/.../.../flags` or `y/.../.../`) to a string. */
export function applySed(expr: string | SedExpression, input: string): string {
  const sed = typeof expr === 'string' ? parseSedExpression(expr) : expr;
  if (sed.kind === 's') {
    return replacePcre(input, sed.pattern, sed.replacement, { global: sed.global, occurrence: sed.occurrence });
  }
  const map = new Map<number, number>();
  sed.from.forEach((cp, i) => {
    if (!map.has(cp)) map.set(cp, sed.to[i] as number);
  });
  let out = '';
  for (const ch of input) {
    const to = map.get(ch.codePointAt(0) as number);
    out += to === undefined ? ch : String.fromCodePoint(to);
  }
  return out;
}
