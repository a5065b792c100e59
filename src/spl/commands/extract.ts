import { mv, toText, valuesOf, type Scalar } from '../../events/value.js';
import type { Result } from '../../events/result.js';
import type { Span } from '../source.js';
import { defineCommand } from './types.js';

/** Most pairs one `limit=` may ask for: each becomes a field of the row, so it bounds a row's width. */
export const MAX_EXTRACT_LIMIT = 10_000;
/** Pair delimiters when only `kvdelim=` is given (Decision, docs/spl.md). */
const DEFAULT_PAIR_DELIMS = ' \t\r\n,;';

export interface ExtractArgs {
  cleanKeys: boolean;
  /** Each a set of delimiter characters; both null: Splunk's automatic `key=value` extraction. */
  pairDelims: string | null;
  kvDelims: string | null;
  limit: number;
  maxchars: number;
  mvAdd: boolean;
}

/**
 * `extract`/`kv [clean_keys=] [kvdelim=] [pairdelim=] [limit=] [maxchars=] [mv_add=] [reload=] [segment=]`
 * (SPL reference, extract): fields from `_raw` only. Without delimiters, automatic extraction of `key=value` and
 * `key="quoted value"`; with them, DELIMS-style splitting (transforms.conf): the event is cut at every `pairdelim`
 * character, each piece at its `kvdelim` character, and a piece whose value holds a `kvdelim` character again
 * gives nothing. `limit` pairs (50) from the first `maxchars` characters (10240). A field that exists keeps its
 * value (MV_ADD=false) or gets the new one appended (`mv_add=true`). `clean_keys` (CLEAN_KEYS, default true):
 * non-alphanumeric characters in a key become `_`, leading `_` and digits are dropped. A transforms.conf
 * extractor name cannot be run: vigil has no transforms.conf. `reload` and `segment` change nothing here.
 * Each event is scanned once, left to right, with no regular expression (hostile text stays linear).
 */
export const extractCommand = defineCommand<ExtractArgs>({
  name: 'extract',
  aliases: ['kv'],
  doc: 'extract [kvdelim=<chars>] [pairdelim=<chars>] [limit=<int>] [maxchars=<int>] [mv_add=<bool>] [clean_keys=<bool>]: key/value fields from _raw.',
  parse: (p) => {
    const args: ExtractArgs = { cleanKeys: true, pairDelims: null, kvDelims: null, limit: 50, maxchars: 10_240, mvAdd: false };
    let pairAt: Span | null = null;
    let kvAt: Span | null = null;
    for (;;) {
      const o = p.option(['clean_keys', 'kvdelim', 'pairdelim', 'limit', 'maxchars', 'mv_add', 'reload', 'segment']);
      if (o) {
        switch (o.key) {
          case 'clean_keys':
            args.cleanKeys = p.parseBool(o.value, o.valueSpan);
            break;
          case 'mv_add':
            args.mvAdd = p.parseBool(o.value, o.valueSpan);
            break;
          case 'reload':
          case 'segment':
            p.parseBool(o.value, o.valueSpan);
            break;
          case 'limit':
            args.limit = p.parseInt(o.value, o.valueSpan, 1);
            if (args.limit > MAX_EXTRACT_LIMIT) throw p.error(`extract limit= is at most ${MAX_EXTRACT_LIMIT}`, o.valueSpan, 'SPL_BAD_ARGUMENT');
            break;
          case 'maxchars':
            args.maxchars = p.parseInt(o.value, o.valueSpan, 1);
            break;
          default: {
            const chars = delimiters(o.value);
            if (chars === '') throw p.error(`extract ${o.key}= needs at least one delimiter character`, o.valueSpan, 'SPL_BAD_ARGUMENT');
            if (o.key === 'kvdelim') {
              args.kvDelims = chars;
              kvAt = o.valueSpan;
            } else {
              args.pairDelims = chars;
              pairAt = o.valueSpan;
            }
          }
        }
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      // The reference's own example separates options with a comma: `pairdelim="|;", kvdelim="=:"`.
      if (p.accept('comma')) continue;
      // `extract <extractor-name>`: a transforms.conf stanza, which vigil has no way to know.
      throw p.error(`extract cannot run the transforms.conf extractor "${t.value}": vigil reads no transforms.conf; give kvdelim= and pairdelim=, or use rex`, t.span, 'SPL_BAD_ARGUMENT');
    }
    if (args.kvDelims !== null || args.pairDelims !== null) {
      args.kvDelims ??= '=';
      args.pairDelims ??= [...DEFAULT_PAIR_DELIMS].filter((c) => !args.kvDelims!.includes(c)).join('');
      const shared = [...args.kvDelims].find((c) => args.pairDelims!.includes(c));
      if (shared !== undefined) throw p.error(`extract: ${JSON.stringify(shared)} cannot be both a pair and a key/value delimiter`, kvAt ?? pairAt!, 'SPL_BAD_ARGUMENT');
    }
    return args;
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => '*',
  create: (args, _ctx, next) => {
    const pairSet = args.pairDelims === null ? null : codeSet(args.pairDelims);
    const kvSet = args.kvDelims === null ? null : codeSet(args.kvDelims);
    return {
      push: (row) => {
        const raw = row.get('_raw');
        if (raw !== null) {
          const first = valuesOf(raw)[0];
          if (first !== undefined) {
            const whole = typeof first === 'string' ? first : toText(first);
            const text = whole.length > args.maxchars ? whole.slice(0, args.maxchars) : whole;
            let left = args.limit;
            const emit = (key: string, value: string): boolean => {
              const name = args.cleanKeys ? cleanKey(key) : key;
              if (name !== '') {
                setField(row, name, value, args.mvAdd);
                left--;
              }
              return left > 0;
            };
            if (pairSet !== null) delimitedPairs(text, pairSet, kvSet!, emit);
            else autoPairs(text, emit);
          }
        }
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});

/** A delimiter option's characters, with DELIMS' escapes `\t`, `\n`, `\r`, `\\` read as the characters. */
function delimiters(value: string): string {
  const out = value.replace(/\\([tnr\\])/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
  return [...new Set(out)].join('');
}

function codeSet(chars: string): Set<number> {
  return new Set([...chars].map((c) => c.charCodeAt(0)));
}

/** An existing field keeps its value (MV_ADD=false) or gets the new one after its values (mv_add=true). */
function setField(row: Result, name: string, value: string, mvAdd: boolean): void {
  const cur = row.get(name);
  if (cur === null) row.set(name, value);
  else if (mvAdd) row.set(name, mv([...(valuesOf(cur) as readonly Scalar[]), value]));
}

/** CLEAN_KEYS: non-alphanumeric characters become `_`, then leading underscores and digits go. */
export function cleanKey(key: string): string {
  return key.replace(/[^A-Za-z0-9]/g, '_').replace(/^[_0-9]+/, '');
}

const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** Trims spaces around `s.slice(from, to)`. */
function trimmed(s: string, from: number, to: number): string {
  while (from < to && isSpace(s.charCodeAt(from))) from++;
  while (to > from && isSpace(s.charCodeAt(to - 1))) to--;
  return s.slice(from, to);
}

/**
 * DELIMS: pieces between pair delimiters (runs of them give no empty piece), each split at its first key/value
 * delimiter; a piece with none, with an empty key or value, or with a second one in its value gives nothing. A key or
 * value may be double-quoted (transforms.conf DELIMS: "If a value may contain an embedded unescaped double quote
 * character, such as "foo"bar", use REGEX, not DELIMS. An escaped double quote (\") is ok"; Splunk's "Delimiter based
 * key-value pair extraction": "key = <string>|<quoter><string><quoter>", "value = <string>|<quoter><string><quoter>"):
 * a quote that starts one (after spaces) runs to the next quote not escaped by `\`, delimiters inside it are text,
 * and a key or value that is one quoted string loses its quotes (`\"` stays as written). A quote never closed is a
 * plain character. One pass: each closing quote is looked for once.
 */
function delimitedPairs(s: string, pairs: Set<number>, kv: Set<number>, emit: (k: string, v: string) => boolean): void {
  const n = s.length;
  let start = 0;
  let at = -1;
  let again = false;
  // Whether only spaces came since the current key or value started (a quote there opens a quoted one).
  let blank = true;
  // False once a quote found no closing one: no later quote has one either.
  let closers = true;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : -1;
    if (i < n && !pairs.has(c)) {
      if (kv.has(c)) {
        if (at === -1) {
          at = i;
          blank = true;
        } else again = true;
      } else if (c === DQUOTE && blank && closers) {
        const q = closingQuote(s, i + 1);
        if (q === -1) closers = false;
        else i = q;
        blank = false;
      } else if (!isSpace(c)) blank = false;
      continue;
    }
    if (at !== -1 && !again) {
      const key = unquoted(trimmed(s, start, at));
      const value = unquoted(trimmed(s, at + 1, i));
      if (key !== '' && value !== '' && !emit(key, value)) return;
    }
    start = i + 1;
    at = -1;
    again = false;
    blank = true;
  }
}

/** Where the quote opened before `from` closes: the next `"` not escaped by `\` (-1: none). */
function closingQuote(s: string, from: number): number {
  for (let q = from; q < s.length; q += s.charCodeAt(q) === BACKSLASH ? 2 : 1) if (s.charCodeAt(q) === DQUOTE) return q;
  return -1;
}

/** A key or value that is one quoted string, without its quotes (`"a b"` is `a b`); other text as it is. */
function unquoted(t: string): string {
  if (t.length < 2 || t.charCodeAt(0) !== DQUOTE || t.charCodeAt(t.length - 1) !== DQUOTE) return t;
  const q = closingQuote(t, 1);
  return q === t.length - 1 ? t.slice(1, -1) : t;
}

const DQUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A key's characters in automatic extraction: letters, digits, `_`, `.`, `-`. */
function isKeyChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e || c === 0x2d;
}

/** Where an unquoted value ends: whitespace, `,`, `;`, `&` or `"`. */
const endsValue = (c: number): boolean => isSpace(c) || c === 0x2c || c === 0x3b || c === 0x26 || c === DQUOTE;

/**
 * Automatic extraction: `key=value` (the value up to a space, `,`, `;`, `&` or `"`) and `key="quoted value"` (up to
 * the next unescaped quote; `\"` stays as written). The key is the run of key characters right before the `=`,
 * never reaching into the previous pair's value; an empty unquoted value gives nothing.
 */
function autoPairs(s: string, emit: (k: string, v: string) => boolean): void {
  const n = s.length;
  let floor = 0;
  let eq = s.indexOf('=');
  while (eq !== -1) {
    let k = eq;
    while (k > floor && isKeyChar(s.charCodeAt(k - 1))) k--;
    let end = eq + 1;
    if (k < eq) {
      if (end < n && s.charCodeAt(end) === DQUOTE) {
        let q = end + 1;
        while (q < n && s.charCodeAt(q) !== DQUOTE) q += s.charCodeAt(q) === BACKSLASH ? 2 : 1;
        if (q < n) {
          if (!emit(s.slice(k, eq), s.slice(end + 1, q))) return;
          end = q + 1;
        } else end = n;
      } else {
        while (end < n && !endsValue(s.charCodeAt(end))) end++;
        // `a=b=c`: the value runs on; an empty one (`a= b`) is no pair.
        if (end > eq + 1 && !emit(s.slice(k, eq), s.slice(eq + 1, end))) return;
      }
    }
    floor = Math.max(end, eq + 1);
    eq = s.indexOf('=', floor);
  }
}
