import { mv, toText, valuesOf, type Scalar } from '../../events/value.js';
import { compileRegexArgument } from '../regex-literal.js';
import { RegexError } from '../regex/pcre.js';
import { applySed, parseSedExpression, type SedExpression } from '../regex/sed.js';
import { SplError, type Span } from '../source.js';
import { defineCommand, type ExecContext, type Sink } from './types.js';

export type RexArgs =
  | { mode: 'extract'; field: string; pattern: string; patternSpan: Span; maxMatch: number; offsetField: string | null }
  | { mode: 'sed'; field: string; expr: string; exprSpan: Span };

/**
 * Named groups as written (`(?<n>`, `(?P<n>`, `(?'n'`): a superset of the real ones (escapes are not
 * skipped), which is what `writes` needs.
 */
function declaredGroups(pattern: string): string[] {
  return [...pattern.matchAll(/\(\?(?:P?<([A-Za-z_]\w*)>|'([A-Za-z_]\w*)')/g)].map((m) => (m[1] ?? m[2])!);
}

/**
 * Code-point offsets of a text's UTF-16 indexes (index 0 to length), or null when the text has no
 * surrogate (then they are equal): made once per value, so many matches cost no rescans.
 */
function charOffsets(text: string): Int32Array | null {
  if (!/[\uD800-\uDFFF]/.test(text)) return null;
  const map = new Int32Array(text.length + 1);
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    map[i] = cp;
    const c = text.charCodeAt(i);
    // The low half of a pair has the pair's offset: a match never starts or ends inside one.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) map[++i] = cp;
    }
    cp++;
  }
  map[text.length] = cp;
  return map;
}

/** The index after `i`, stepping over a whole surrogate pair in unicode mode. */
function advance(text: string, i: number, unicode: boolean): number {
  if (unicode && i + 1 < text.length) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) return i + 2;
    }
  }
  return i + 1;
}

/** The named groups of a compiled regex, in pattern order. */
function groupNames(re: RegExp): string[] {
  const probe = new RegExp(`(?:${re.source})|`, re.flags.replace(/[gyd]/g, ''));
  return Object.keys(probe.exec('')?.groups ?? {});
}

/**
 * `rex [field=<f>] "<regex>" [max_match=<n>] [offset_field=<f>]` and `rex [field=<f>] mode=sed "<sed>"`.
 *
 * Extraction: the unanchored PCRE is matched against the field (default `_raw`) and each named group
 * becomes a field. `max_match` (default 1; 0 = unlimited) allows several matches, whose values make a
 * multivalue in match order. `(?<_KEY_n>..)(?<_VAL_n>..)` pairs name fields from the data. A regex
 * without named groups is an error ("does not extract anything"), as in Splunk.
 * Decisions (UNVERIFIED, the docs are silent):
 * - No match, or a named group that did not take part in any match, leaves that field as it was.
 * - A multivalue field is matched value by value, in order; `max_match` counts matches over all values.
 * - `offset_field` gets `<group>=<start>-<end>` (0-based, end inclusive) joined by `&` for each match,
 *   one value per match. Offsets count characters (code points), as the reference says ("zero-offset
 *   characters") and as `len()`/`substr()` count, not UTF-16 units.
 *
 * sed mode rewrites the field in place, each value of a multivalue on its own: `s/<regex>/<replacement>/<flags>`
 * (flags `g` and a number N = replace the Nth match) and `y/<from>/<to>/` (transliteration); "No other
 * sed commands are implemented". A missing field stays missing.
 */
export const rexCommand = defineCommand<RexArgs>({
  name: 'rex',
  doc: 'rex [field=<f>] "<regex>" [max_match=N] [offset_field=<f>] | rex [field=<f>] mode=sed "<sed-expression>": extract or rewrite with a regex.',
  parse: (p) => {
    let field = '_raw';
    let maxMatch: { n: number; span: Span } | null = null;
    let offsetField: { name: string; span: Span } | null = null;
    let sed: Span | null = null;
    let lit: { value: string; span: Span } | null = null;
    for (;;) {
      const o = p.option(['field', 'max_match', 'offset_field', 'mode']);
      if (o) {
        if (o.key === 'field') field = o.value;
        else if (o.key === 'max_match') maxMatch = { n: p.parseInt(o.value, o.valueSpan, 0), span: o.span };
        else if (o.key === 'offset_field') offsetField = { name: o.value, span: o.span };
        else if (o.value.toLowerCase() === 'sed') sed = o.span;
        else throw p.error(`unknown rex mode "${o.value}" (the only mode is sed)`, o.valueSpan, 'SPL_BAD_ARGUMENT');
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (lit) throw p.error(`unexpected ${t.kind === 'string' ? `"${t.value}"` : `'${t.value}'`}: rex takes one quoted expression`, t.span);
      if (t.kind !== 'string') throw p.error(`rex needs a quoted regular expression, found '${t.value}'`, t.span);
      p.next('search');
      lit = { value: t.value, span: t.span };
    }
    if (!lit) throw p.error(sed ? 'rex mode=sed needs a quoted sed expression, e.g. "s/a/b/g"' : 'rex needs a quoted regular expression with a named group, e.g. "(?<user>\\w+)"', p.peek('search').span);
    if (sed) {
      const extra = maxMatch?.span ?? offsetField?.span;
      if (extra) throw p.error('max_match and offset_field do not apply to mode=sed', extra, 'SPL_BAD_ARGUMENT');
      return { mode: 'sed', field, expr: lit.value, exprSpan: lit.span };
    }
    return { mode: 'extract', field, pattern: lit.value, patternSpan: lit.span, maxMatch: maxMatch?.n ?? 1, offsetField: offsetField?.name ?? null };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => {
    if (a.mode === 'sed') return [a.field];
    const groups = declaredGroups(a.pattern);
    if (groups.some((g) => g.startsWith('_KEY_'))) return '*';
    return a.offsetField ? [...groups, a.offsetField] : groups;
  },
  create: (args, ctx, next) => {
    if (args.mode === 'sed') return createSed(args, ctx, next);
    const re = compileRegexArgument(args.pattern, args.patternSpan, ctx.source, { global: true });
    const names = groupNames(re);
    if (names.length === 0) {
      throw new SplError('SPL_BAD_ARGUMENT', 'the rex regular expression does not extract anything: it needs at least one named group, e.g. (?<name>...)', args.patternSpan, ctx.source);
    }
    // _KEY_x/_VAL_x pairs name a field from the data; they are not fields themselves.
    const pairs = names.filter((n) => n.startsWith('_KEY_') && names.includes('_VAL_' + n.slice(5))).map((k) => ({ key: k, val: '_VAL_' + k.slice(5) }));
    const paired = new Set(pairs.flatMap((p) => [p.key, p.val]));
    const plain = names.filter((n) => !paired.has(n));
    // Offsets need match indices (the `d` flag), only paid for when asked.
    const matcher = args.offsetField ? new RegExp(re.source, re.flags + 'd') : re;
    const { field, maxMatch, offsetField } = args;
    return {
      push: (row) => {
        const vs = valuesOf(row.get(field));
        if (vs.length === 0) {
          next.push(row);
          return;
        }
        const got = new Map<string, Scalar[]>();
        const add = (name: string, v: string) => {
          const list = got.get(name);
          if (list) list.push(v);
          else got.set(name, [v]);
        };
        const offsets: string[] = [];
        let count = 0;
        for (const v of vs) {
          if (maxMatch !== 0 && count >= maxMatch) break;
          const text = typeof v === 'string' ? v : toText(v);
          matcher.lastIndex = 0;
          let chars: Int32Array | null | undefined;
          while (maxMatch === 0 || count < maxMatch) {
            const m = matcher.exec(text);
            if (!m) break;
            count++;
            const g = m.groups ?? {};
            for (const n of plain) if (g[n] !== undefined) add(n, g[n]);
            for (const pr of pairs) if (g[pr.key] !== undefined && g[pr.key] !== '' && g[pr.val] !== undefined) add(g[pr.key]!, g[pr.val]!);
            if (offsetField && m.indices?.groups) {
              const parts: string[] = [];
              for (const n of names) {
                const ix = m.indices.groups[n];
                if (!ix) continue;
                if (chars === undefined) chars = charOffsets(text);
                const [from, to] = chars ? [chars[ix[0]]!, chars[ix[1]]!] : ix;
                parts.push(`${n}=${from}-${to - 1}`);
              }
              if (parts.length) offsets.push(parts.join('&'));
            }
            if (m[0] === '') matcher.lastIndex = advance(text, matcher.lastIndex, matcher.unicode); // an empty match must not loop forever
          }
        }
        for (const [n, values] of got) row.set(n, mv(values));
        if (offsetField && offsets.length) row.set(offsetField, mv(offsets));
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});

/** Builds the sed-mode operator; the expression (and its regex) is checked before data flows. */
function createSed(args: Extract<RexArgs, { mode: 'sed' }>, ctx: ExecContext, next: Sink): Sink {
  let sed: SedExpression;
  try {
    sed = parseSedExpression(args.expr);
    // Compiles the pattern and checks the replacement's group references exactly as a real run would.
    applySed(sed, '');
  } catch (e) {
    if (!(e instanceof RegexError)) throw e;
    // e.pattern is the whole expression (syntax), its regex, or its replacement: find where it starts.
    const base = e.pattern === args.expr ? 0 : Math.max(0, args.expr.indexOf(e.pattern, 2));
    const at = args.exprSpan;
    const start = Math.min(at.start + 1 + base + e.offset, at.end - 1);
    throw new SplError(e.code, e.message, { start, end: Math.min(start + Math.max(1, e.construct.length), at.end) }, ctx.source);
  }
  const field = args.field;
  return {
    push: (row) => {
      const v = row.get(field);
      if (v !== null) {
        const out = valuesOf(v).map((x) => applySed(sed, typeof x === 'string' ? x : toText(x)));
        row.set(field, mv(out));
      }
      next.push(row);
    },
    end: () => next.end(),
  };
}
