import { valuesOf, toText } from '../../events/value.js';
import { compileRegexArgument } from '../regex-literal.js';
import type { Span } from '../source.js';
import { defineCommand } from './types.js';

export interface RegexArgs {
  field: string;
  negate: boolean;
  pattern: string;
  patternSpan: Span;
}

/**
 * `regex [field=|field!=]"<pcre>"`: keeps results whose field matches the unanchored PCRE (or does not,
 * with !=). Multivalue: `=` keeps a result when any value matches, `!=` when none does; a missing field
 * never matches, so `!=` keeps it.
 */
export const regexCommand = defineCommand<RegexArgs>({
  name: 'regex',
  doc: 'regex [<field>=|<field>!=]"<pcre>": keep results whose field matches (or not) the regular expression.',
  parse: (p) => {
    const t = p.next('search');
    if (t.kind === 'string') return { field: '_raw', negate: false, pattern: t.value, patternSpan: t.span };
    if (t.kind !== 'word') throw p.error('regex needs a quoted regular expression, optionally after field= or field!=', t.span);
    const op = p.next('search');
    if (op.kind !== 'op' || (op.value !== '=' && op.value !== '!=')) {
      // The reference: "Although != is valid within a regex command, NOT is not valid" (a field named NOT still is).
      if (t.value === 'NOT') throw p.error('regex does not take NOT: keep the results that do not match with <field>!="<regex>"', t.span);
      throw p.error(`expected = or != after ${t.value}`, op.span);
    }
    const v = p.next('search');
    if (v.kind !== 'string' && v.kind !== 'word') throw p.error('expected a regular expression', v.span);
    return { field: t.value, negate: op.value === '!=', pattern: v.value, patternSpan: v.span };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => [],
  create: (args, ctx, next) => {
    const re = compileRegexArgument(args.pattern, args.patternSpan, ctx.source);
    const { field, negate } = args;
    return {
      push: (row) => {
        const vs = valuesOf(row.get(field));
        let hit = false;
        for (const v of vs) {
          if (re.test(typeof v === 'string' ? v : toText(v))) {
            hit = true;
            break;
          }
        }
        if (hit !== negate) next.push(row);
      },
      end: () => next.end(),
    };
  },
});
