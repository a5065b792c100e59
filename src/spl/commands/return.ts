import { Row } from '../../events/result.js';
import { toText, valuesOf } from '../../events/value.js';
import type { Span } from '../source.js';
import { searchFieldName, SearchTextBuilder } from './format.js';
import { defineCommand } from './types.js';

/** One item of `return`: `alias=field` (name: alias), `field` (name: field), `$field` (name: null, the value alone). */
export interface ReturnItem {
  name: string | null;
  field: string;
  span: Span;
}

export interface ReturnArgs {
  count: number;
  items: ReturnItem[];
}

/**
 * `return [<count>] [<alias>=<field>...] [<field>...] [$<field>...]` (SPL reference, return): "replaces the incoming
 * events with one event, with one attribute: "search"", "By default, the return command uses only the first row of
 * results", "Each row is viewed as an OR clause": `return source` gives `source="..."`, `return ip=srcip` gives
 * `ip="..."`, `return $srcip` the value alone; values between quotes, not escaped ("The return command does not
 * escape quotation marks"). Decisions (docs/spl.md): a row's items are separated by a space (an implied AND),
 * several rows are `(...) OR (...)`, a missing field is left out, a multivalue is `( f="a" OR f="b" )` and `$f` of
 * one is its first value; no row with a returned field gives an empty text (which a subsearch reads as no
 * condition: "the subsearch returns an empty string").
 */
export const returnCommand = defineCommand<ReturnArgs>({
  name: 'return',
  doc: 'return [<count>] [<alias>=<field>...] [<field>...] [$<field>...]: the first count results (default 1) as a search text, in the field search.',
  parse: (p) => {
    let count = 1;
    const first = p.peek('search');
    if (first.kind === 'word' && /^\d+$/.test(first.value)) {
      p.next('search');
      count = p.parseInt(first.value, first.span, 1);
    }
    const items: ReturnItem[] = [];
    for (;;) {
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (p.accept('comma')) continue;
      if (t.kind !== 'word' && t.kind !== 'string') throw p.error(`return: expected a field, alias=field or $field, found '${t.value}'`, t.span);
      const eq = p.peek2('search');
      if (t.kind === 'word' && eq.kind === 'op' && eq.value === '=') {
        p.next('search');
        p.next('search');
        const f = p.fieldName('the field after alias=');
        items.push({ name: t.value, field: f.name, span: { start: t.span.start, end: f.span.end } });
        continue;
      }
      p.next('search');
      if (t.kind === 'word' && t.value.startsWith('$')) {
        if (t.value.length === 1) throw p.error('return: $ needs a field name ($field)', t.span);
        items.push({ name: null, field: t.value.slice(1), span: t.span });
      } else items.push({ name: t.value, field: t.value, span: t.span });
    }
    if (items.length === 0) throw p.error('return needs a field: return [<count>] [<alias>=<field>...] [<field>...] [$<field>...]', p.peek('search').span, 'SPL_BAD_ARGUMENT');
    return { count, items };
  },
  kind: () => 'transforming',
  orderSensitive: () => true,
  ordersOutput: () => true,
  emitsOwnRows: () => true,
  writes: () => ['search'],
  outputFields: () => ({ fields: new Set(['search']), open: false }),
  create: (args, ctx, next, cmd) => {
    const out = new SearchTextBuilder('return', cmd.nameSpan, ctx.source);
    let seen = 0;
    let rows = 0;
    let firstLength = 0;
    return {
      push: (row) => {
        if (seen >= args.count) return;
        seen++;
        const terms: string[] = [];
        for (const it of args.items) {
          const values = valuesOf(row.get(it.field)).map(toText);
          if (values.length === 0) continue;
          if (it.name === null) terms.push(values[0]!);
          else {
            // Between quotes as it is: "The return command does not escape quotation marks that are in the fields
            // that are returned" (the reference tells users to escape them with eval first).
            const one = (v: string): string => `${searchFieldName(it.name!)}="${v}"`;
            terms.push(values.length === 1 ? one(values[0]!) : `( ${values.map(one).join(' OR ')} )`);
          }
        }
        if (terms.length === 0) return;
        const text = terms.join(' ');
        if (rows++ === 0) firstLength = text.length;
        out.add(rows === 1 ? text : ` OR (${text})`);
      },
      end: () => {
        // The first row gets its parentheses once a second one shows it is one of several.
        const text = out.text();
        next.push(new Row({ search: rows > 1 ? `(${text.slice(0, firstLength)})${text.slice(firstLength)}` : text }));
        next.end();
      },
    };
  },
});
