import { Row, type Result } from '../../events/result.js';
import { toText, valuesOf } from '../../events/value.js';
import { SplError, type SourceText, type Span } from '../source.js';
import { defineCommand } from './types.js';

/**
 * The most characters the search text of `format` or `return` may hold. A subsearch's text is parsed into the
 * search that holds it (exec/subsearch.ts): 10,000 results (its maxout) of huge values must not build a text
 * that takes the thread's memory or seconds to parse. Past it the search stops with SPL_RUNTIME at the command.
 */
export const MAX_SEARCH_TEXT_CHARS = 4_000_000;

/** `v` as a quoted search value: `\` and `"` escaped with a backslash, so the search reads back `v` itself. */
export function quoteSearchValue(v: string): string {
  return `"${v.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}

/**
 * A field name as a search term writes it: bare when the search lexer reads it back as one word, else quoted
 * (`"a b"="1"`, the reference's way of naming fields with spaces or `{}`).
 */
export function searchFieldName(name: string): string {
  return /^[A-Za-z0-9_.:@-]+$/.test(name) ? name : quoteSearchValue(name);
}

/** Appends pieces to a search text, failing at `at` once it passes MAX_SEARCH_TEXT_CHARS. */
export class SearchTextBuilder {
  private readonly parts: string[] = [];
  private length = 0;

  constructor(
    private readonly command: string,
    private readonly at: Span,
    private readonly source: SourceText,
  ) {}

  add(piece: string): void {
    this.length += piece.length;
    if (this.length > MAX_SEARCH_TEXT_CHARS) {
      throw new SplError('SPL_RUNTIME', `${this.command}: the search text would be longer than ${MAX_SEARCH_TEXT_CHARS.toLocaleString('en-US')} characters (keep fewer results or shorter values)`, this.at, this.source);
    }
    this.parts.push(piece);
  }

  text(): string {
    return this.parts.join('');
  }
}

export interface FormatArgs {
  mvsep: string;
  /** 0: no limit. */
  maxresults: number;
  rowPrefix: string;
  colPrefix: string;
  colSep: string;
  colEnd: string;
  rowSep: string;
  rowEnd: string;
  emptystr: string;
}

const POSITIONAL = ['rowPrefix', 'colPrefix', 'colSep', 'colEnd', 'rowSep', 'rowEnd'] as const;

/**
 * One result's terms as `format` writes them, each a piece of `out`: `field="value"` (a multivalue as
 * `( f="a" OR f="b" )` with mvsep), `search`'s first value as it is, `query`'s values quoted without the name;
 * internal `_` fields left out; `lead` (the row prefix, or the row separator) before them. False when the result has
 * none (then nothing is written).
 */
function writeRow(r: Result, a: FormatArgs, out: SearchTextBuilder, lead: string): boolean {
  let cols = 0;
  // In name order: the reference's `fields source, sourcetype, host | format` gives `( ( host="mylaptop" AND
  // source="syslog.log" AND sourcetype="syslog" ) OR ...`.
  for (const field of [...r.fieldNames()].filter((f) => !f.startsWith('_')).sort()) {
    const values = valuesOf(r.get(field)).map(toText);
    if (values.length === 0) continue;
    let term: string;
    if (field === 'search') term = values[0]!;
    else {
      const one = (v: string): string => (field === 'query' ? quoteSearchValue(v) : `${searchFieldName(field)}=${quoteSearchValue(v)}`);
      term = values.length === 1 ? one(values[0]!) : `( ${values.map(one).join(` ${a.mvsep} `)} )`;
    }
    if (term === '') continue;
    out.add(cols === 0 ? `${lead}${a.colPrefix} ${term}` : ` ${a.colSep} ${term}`);
    cols++;
  }
  if (cols > 0) out.add(` ${a.colEnd}`);
  return cols > 0;
}

/**
 * `format [mvsep=] [maxresults=] ["<row prefix>" "<column prefix>" "<column separator>" "<column end>" "<row
 * separator>" "<row end>"] [emptystr=]` (SPL reference, format): "takes the results of a subsearch, formats the
 * results into a single result and places that result into a new field called search"; by default
 * `( ( a="1" AND b="2" ) OR ( a="3" ) )`, and `NOT( )` (emptystr) when the results hold no field but internal
 * ones; each result's fields in name order (the reference's example 1). Decisions (docs/spl.md): values quoted
 * with `\` and `"` escaped, a multivalue in parentheses of its own.
 */
export const formatCommand = defineCommand<FormatArgs>({
  name: 'format',
  doc: 'format [mvsep=] [maxresults=] ["(" "(" "AND" ")" "OR" ")"] [emptystr=]: the results as one search text, in the field search.',
  parse: (p) => {
    const a: FormatArgs = { mvsep: 'OR', maxresults: 0, rowPrefix: '(', colPrefix: '(', colSep: 'AND', colEnd: ')', rowSep: 'OR', rowEnd: ')', emptystr: 'NOT( )' };
    const strings: { value: string; span: Span }[] = [];
    for (;;) {
      const o = p.option(['mvsep', 'maxresults', 'emptystr']);
      if (o) {
        if (o.key === 'maxresults') a.maxresults = p.parseInt(o.value, o.valueSpan);
        else if (o.key === 'mvsep') a.mvsep = o.value;
        else a.emptystr = o.value;
        continue;
      }
      const t = p.next('search');
      if (t.kind === 'eof') {
        if (strings.length > 0 && strings.length < POSITIONAL.length) {
          throw p.error(`format takes all six row and column strings or none ("<row prefix>" "<column prefix>" "<column separator>" "<column end>" "<row separator>" "<row end>"); found ${strings.length}`, strings[strings.length - 1]!.span, 'SPL_BAD_ARGUMENT');
        }
        break;
      }
      if (t.kind !== 'string') throw p.error(`format: unexpected '${t.value}' (options are mvsep=, maxresults=, emptystr=; the row and column strings are quoted)`, t.span);
      if (strings.length === POSITIONAL.length) throw p.error('format takes six row and column strings, not more', t.span, 'SPL_BAD_ARGUMENT');
      strings.push({ value: t.value, span: t.span });
    }
    strings.forEach((s, i) => (a[POSITIONAL[i]!] = s.value));
    return a;
  },
  kind: () => 'transforming',
  orderSensitive: () => true,
  ordersOutput: () => true,
  emitsOwnRows: () => true,
  writes: () => ['search'],
  outputFields: () => ({ fields: new Set(['search']), open: false }),
  create: (args, ctx, next, cmd) => {
    const out = new SearchTextBuilder('format', cmd.nameSpan, ctx.source);
    let seen = 0;
    let rows = 0;
    return {
      // Written as the rows come, so the results are never all kept: the text is what is bounded.
      push: (row) => {
        if (args.maxresults > 0 && seen >= args.maxresults) return;
        seen++;
        if (writeRow(row, args, out, rows === 0 ? `${args.rowPrefix} ` : ` ${args.rowSep} `)) rows++;
      },
      end: () => {
        next.push(new Row({ search: rows === 0 ? args.emptystr : `${out.text()} ${args.rowEnd}` }));
        next.end();
      },
    };
  },
});
