import type { EvalFunction } from './types.js';
import { mv, toText, type Scalar } from '../../../events/value.js';
import { withinJsonDepth } from '../../../normalize/json-fields.js';
import { numberOf, scalarOf, textOf, type EvalValue } from '../value.js';
import { codePointLength, mapText } from './helpers.js';
import { failInLiteral, literalRegex, regexArgument } from './regex.js';
import { RegexError, type CompiledPcre } from '../../regex/pcre.js';
import { convertReplacement, type ReplaceFn } from '../../regex/sed.js';

/**
 * Text functions (Search Reference, "Text functions").
 *
 * Multivalue inputs: lower() and upper() apply to each value ("You can use this function on
 * multivalue fields"); the others are documented as "not supported on multivalue fields" and here
 * use the first value, the way a multivalue reads in any scalar context. Lengths and positions count
 * Unicode code points ("len … returns a count of the UTF-8 code points").
 */

function str(v: EvalValue | undefined): string | null {
  return textOf(v ?? null);
}

/**
 * substr with SQLite's semantics, which the docs name ("The indexes follow SQLite semantics; they
 * start at 1"): a negative start counts from the end, start 0 is one position before the first
 * character (so substr("abc", 0, 2) is "a"), a negative length takes the characters before start.
 */
export function sqliteSubstr(text: string, start: number, length: number | null): string {
  const chars = [...text];
  const len = chars.length;
  let p1 = Math.trunc(start);
  let p2 = length === null ? Number.MAX_SAFE_INTEGER : Math.trunc(length);
  let negP2 = false;
  if (p2 < 0) {
    p2 = -p2;
    negP2 = true;
  }
  if (p1 < 0) {
    p1 += len;
    if (p1 < 0) {
      p2 += p1;
      if (p2 < 0) p2 = 0;
      p1 = 0;
    }
  } else if (p1 > 0) {
    p1 -= 1;
  } else if (p2 > 0) {
    p2 -= 1;
  }
  if (negP2) {
    p1 -= p2;
    if (p1 < 0) {
      p2 += p1;
      p1 = 0;
    }
  }
  if (p1 + p2 > len) p2 = Math.max(0, len - p1);
  return chars.slice(p1, p1 + p2).join('');
}

/** Splunk trims spaces and tabs by default ("If not specified, spaces and tabs are removed"). */
const DEFAULT_TRIM = ' \t';

function trimChars(text: string, chars: string, left: boolean, right: boolean): string {
  const set = new Set(chars);
  const cs = [...text];
  let a = 0;
  let b = cs.length;
  if (left) while (a < b && set.has(cs[a]!)) a++;
  if (right) while (b > a && set.has(cs[b - 1]!)) b--;
  return cs.slice(a, b).join('');
}

function trimFunction(name: string, left: boolean, right: boolean, side: string): EvalFunction {
  return {
    name,
    minArgs: 1,
    maxArgs: 2,
    doc: `${name}(x[, chars]): x without the characters of \`chars\` (default space and tab) on ${side}.`,
    returns: 'string',
    call: ([v, c]) => {
      const text = str(v);
      if (text === null) return null;
      const chars = c === undefined ? DEFAULT_TRIM : str(c);
      return chars === null ? null : trimChars(text, chars, left, right);
    },
  };
}

function lengthFunction(name: string): EvalFunction {
  return {
    name,
    minArgs: 1,
    maxArgs: 1,
    doc: `${name}(x): the number of characters (code points) of x.`,
    returns: 'number',
    call: ([v]) => {
      const t = str(v);
      return t === null ? null : codePointLength(t);
    },
  };
}

/**
 * Percent-decoding of UTF-8 sequences, with `+` as a space (query-string form encoding, which is
 * what URLs in web and proxy logs carry). A `%` not followed by two hex digits, and bytes that are
 * not valid UTF-8, are kept as they are rather than failing the whole value.
 */
export function urlDecode(text: string): string {
  const s = text.replace(/\+/g, ' ');
  let out = '';
  let i = 0;
  while (i < s.length) {
    if (s[i] !== '%' || !/^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out += s[i];
      i++;
      continue;
    }
    // Collect a run of %XX escapes and decode them together (multi-byte UTF-8 characters).
    const bytes: number[] = [];
    const runStart = i;
    while (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    }
    out += decodeRun(bytes, s.slice(runStart, i));
  }
  return out;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A run of %XX bytes as text: each valid UTF-8 sequence decoded, each byte that starts none kept as its escape
 * (`%2F%FF` is `/%FF`: one bad byte does not keep its neighbours encoded). `escapes` is the run's source text.
 */
function decodeRun(bytes: readonly number[], escapes: string): string {
  try {
    return UTF8.decode(Uint8Array.from(bytes));
  } catch {
    // Some byte is not valid UTF-8 (decoding it as Latin-1 would be a guess): sequence by sequence below.
  }
  let out = '';
  let j = 0;
  while (j < bytes.length) {
    const b = bytes[j]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let text: string | null = null;
    if (len > 0 && j + len <= bytes.length) {
      try {
        text = UTF8.decode(Uint8Array.from(bytes.slice(j, j + len)));
      } catch {
        text = null;
      }
    }
    if (text === null) {
      out += escapes.slice(j * 3, j * 3 + 3);
      j += 1;
    } else {
      out += text;
      j += len;
    }
  }
  return out;
}

/** The replacement callback for a pattern, or null when it names a group the pattern lacks (a run-time value). */
function replacementFor(replacement: string, compiled: CompiledPcre): ReplaceFn | null {
  let perPattern = replacementCache.get(compiled.translated);
  if (!perPattern) {
    perPattern = new Map();
    replacementCache.set(compiled.translated, perPattern);
  }
  let fn = perPattern.get(replacement);
  if (fn === undefined) {
    try {
      fn = convertReplacement(replacement, compiled.translated);
    } catch (err) {
      if (!(err instanceof RegexError)) throw err;
      fn = null;
    }
    if (perPattern.size >= 256) perPattern.clear();
    perPattern.set(replacement, fn);
  }
  return fn;
}

const replacementCache = new WeakMap<object, Map<string, ReplaceFn | null>>();

// ------------------------------------------------------------------------------------------ spath

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type Step = { key: string; index: number | 'all' | null };

/** Parses `a.b{0}.c{}` into steps; null when the path is malformed. Shared by spath() and json_extract() (json.ts). */
export function parsePath(path: string): Step[][] | null {
  const steps: Step[][] = [];
  for (const part of path.split('.')) {
    const m = /^([^{}]*)((?:\{-?\d*\})*)$/.exec(part);
    if (!m) return null;
    const group: Step[] = [];
    const key = m[1]!;
    const indexes = [...m[2]!.matchAll(/\{(-?\d*)\}/g)].map((x) => (x[1] === '' ? ('all' as const) : Number(x[1])));
    if (indexes.length === 0) group.push({ key, index: null });
    else {
      group.push({ key, index: indexes[0]! });
      for (const ix of indexes.slice(1)) group.push({ key: '', index: ix });
    }
    steps.push(group);
  }
  return steps;
}

function isObject(j: Json): j is { [k: string]: Json } {
  return typeof j === 'object' && j !== null && !Array.isArray(j);
}

function walk(nodes: Json[], step: Step): Json[] {
  const out: Json[] = [];
  for (const node of nodes) {
    let cur: Json | undefined = node;
    if (step.key !== '') cur = isObject(node) && Object.prototype.hasOwnProperty.call(node, step.key) ? node[step.key] : undefined;
    if (cur === undefined) continue;
    if (step.index === null) out.push(cur);
    else if (!Array.isArray(cur)) continue;
    else if (step.index === 'all') out.push(...cur);
    else {
      // JSON indexes are 0-based (the spath docs enumerate `hashtags{0}`, `hashtags{1}`, …); negative counts from the end.
      const i = step.index < 0 ? cur.length + step.index : step.index;
      const el = cur[i];
      if (el !== undefined) out.push(el);
    }
  }
  return out;
}

function jsonText(j: Json): Scalar | null {
  if (j === null) return 'null';
  if (typeof j === 'string') return j;
  // JSON.parse reads 1e400 as Infinity, its text lost: null, as vigil has no infinite values (not "Infinity").
  if (typeof j === 'number') return Number.isFinite(j) ? j : null;
  if (typeof j === 'boolean') return j ? 'true' : 'false';
  return JSON.stringify(j);
}

/**
 * spath(value, path) for JSON. Objects and arrays found at the path come back as compact JSON text
 * (Splunk returns the original text, whitespace included); several matches (through `{}`) make a
 * multivalue. XML input is not supported and gives null, as does text that is not JSON. A value with
 * anything inside more than MAX_JSON_DEPTH objects/arrays (normalize/json-fields.ts) is not returned.
 */
export function spathJson(text: string, path: string): EvalValue {
  let root: Json;
  try {
    root = JSON.parse(text) as Json;
  } catch {
    return null;
  }
  const groups = parsePath(path);
  if (groups === null) return null;
  let nodes: Json[] = [root];
  let depth = 0; // objects/arrays the nodes sit inside
  for (const group of groups) {
    for (const step of group) {
      nodes = walk(nodes, step);
      depth += (step.key !== '' ? 1 : 0) + (step.index !== null ? 1 : 0);
    }
  }
  // Like KV_MODE=json, nothing nested past MAX_JSON_DEPTH is extracted (nor stringified: JSON.stringify recurses).
  const out: Scalar[] = [];
  for (const n of nodes) {
    const t = withinJsonDepth(n, depth) ? jsonText(n) : null;
    if (t !== null) out.push(t);
  }
  return mv(out);
}

export const stringFunctions: EvalFunction[] = [
  {
    name: 'lower',
    minArgs: 1,
    maxArgs: 1,
    doc: 'lower(x): x in lower case (each value of a multivalue).',
    returns: 'any',
    call: ([v]) => mapText(v ?? null, (s) => s.toLowerCase()),
  },
  {
    name: 'upper',
    minArgs: 1,
    maxArgs: 1,
    doc: 'upper(x): x in upper case (each value of a multivalue).',
    returns: 'any',
    call: ([v]) => mapText(v ?? null, (s) => s.toUpperCase()),
  },
  lengthFunction('len'),
  // "When specifying this function, you can use either len or length for the function name" (Text functions).
  lengthFunction('length'),
  {
    name: 'substr',
    minArgs: 2,
    maxArgs: 3,
    doc: 'substr(x, start[, length]): the part of x from `start` (1-based; negative counts from the end) of `length` characters (default: the rest).',
    returns: 'string',
    call: ([v, s, l]) => {
      const t = str(v);
      const start = numberOf(s ?? null);
      if (t === null || start === null) return null;
      if (l === undefined) return sqliteSubstr(t, start, null);
      const length = numberOf(l);
      return length === null ? null : sqliteSubstr(t, start, length);
    },
  },
  trimFunction('trim', true, true, 'both sides'),
  trimFunction('ltrim', true, false, 'the left'),
  trimFunction('rtrim', false, true, 'the right'),
  {
    name: 'urldecode',
    minArgs: 1,
    maxArgs: 1,
    doc: 'urldecode(x): x with %XX escapes (UTF-8) decoded and + read as a space.',
    returns: 'string',
    call: ([v]) => {
      const t = str(v);
      return t === null ? null : urlDecode(t);
    },
  },
  {
    name: 'split',
    minArgs: 2,
    maxArgs: 2,
    // Empty pieces are kept (split("a,,b", ",") has 3 values); an empty separator splits into characters.
    doc: 'split(x, sep): the pieces of x between occurrences of `sep`, as a multivalue; "" splits into characters.',
    returns: 'any',
    call: ([v, d]) => {
      const t = str(v);
      const sep = str(d);
      if (t === null || sep === null) return null;
      return mv(sep === '' ? [...t] : t.split(sep));
    },
  },
  {
    name: 'replace',
    minArgs: 3,
    maxArgs: 3,
    doc: 'replace(x, regex, replacement): x with every match of the PCRE regex replaced; \\1..\\9 in the replacement insert groups.',
    returns: 'string',
    compile: (args, h) => {
      const subject = h.compile(args[0]!);
      const regexArg = args[1]!;
      const replArg = args[2]!;
      const regex = regexArgument('replace', regexArg, h, { global: true, needCaptures: true });
      // Both literal: check the group references once, against the pattern's groups.
      if (regexArg.kind === 'string' && replArg.kind === 'string') {
        const compiled = literalRegex('replace', regexArg, h, { global: true, needCaptures: true });
        try {
          convertReplacement(replArg.value, compiled.translated);
        } catch (err) {
          if (err instanceof RegexError) failInLiteral('replace', replArg, err, h);
          throw err;
        }
      }
      const replacement = h.compile(replArg);
      return (row) => {
        const t = textOf(subject(row));
        const compiled = regex(row);
        const r = scalarOf(replacement(row));
        if (t === null || compiled === null || r === null || typeof r === 'boolean') return null;
        const fn = replacementFor(toText(r), compiled);
        return fn === null ? null : t.replace(compiled.regex, fn);
      };
    },
  },
  {
    name: 'spath',
    minArgs: 2,
    maxArgs: 2,
    doc: 'spath(x, path): the value at a JSON location path such as "a.b{0}.c" (0-based) or "a{}.b" (every element, as a multivalue); null when absent.',
    returns: 'any',
    compile: (args, h) => {
      const value = h.compile(args[0]!);
      const pathOf = h.compile(args[1]!);
      let warned = false;
      return (row) => {
        const t = str(value(row));
        const path = str(pathOf(row));
        if (t === null || path === null) return null;
        // The Search Reference's spath reads "XML and JSON"; vigil reads JSON only: say so (once per call), not a silent null.
        if (!warned && t.trimStart().startsWith('<')) {
          warned = true;
          h.ctx.warn?.('spath() reads JSON only: it is null for XML (the first such value; later ones are not reported)', args[0]!.span);
        }
        return spathJson(t, path);
      };
    },
  },
];
