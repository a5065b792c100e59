import { renameField } from '../../events/result.js';
import { fieldRef } from '../../normalize/event-result.js';
import { fieldPatternRenamer, wildcardCount } from '../fields.js';
import type { Span } from '../source.js';
import { defineCommand } from './types.js';

export interface RenameArgs {
  pairs: { from: string; to: string; span: Span }[];
}

/**
 * `rename a AS b, c* AS d*`: renames fields; a wildcard in both names carries the matched part over.
 * Renaming onto an existing field replaces it; renaming a missing field removes the target ("the data in fieldB
 * is removed", SPL reference); the names must have as many wildcards each. A result row's field
 * keeps its place (`stats count by src | rename src AS Source`: Source, then count, as Splunk's columns); a raw
 * event's renamed field comes after its other fields (their order is not a table's).
 */
export const renameCommand = defineCommand<RenameArgs>({
  name: 'rename',
  doc: 'rename <field> AS <new>[, ...]: rename fields (wildcards allowed).',
  parse: (p) => {
    const pairs: RenameArgs['pairs'] = [];
    for (;;) {
      if (p.accept('comma')) continue;
      if (p.atEnd()) break;
      const from = p.fieldName();
      if (!p.acceptWord('as')) throw p.error(`expected AS after ${from.name}`, p.peek('search').span);
      const to = p.fieldName('a new field name after AS');
      // "Both the original and renamed fields must include the same number of wildcards" (SPL reference, rename).
      if (wildcardCount(to.name) !== wildcardCount(from.name)) throw p.error('the wildcards in both names of a rename must correspond', to.span, 'SPL_BAD_ARGUMENT');
      // "You can't rename one field with multiple names ... | rename A as B, A as C" (SPL reference, rename).
      if (pairs.some((x) => x.from === from.name)) throw p.error(`${from.name} is renamed twice: a field can't be renamed to several names`, from.span, 'SPL_BAD_ARGUMENT');
      pairs.push({ from: from.name, to: to.name, span: { start: from.span.start, end: to.span.end } });
    }
    if (pairs.length === 0) throw p.error('rename needs <field> AS <new>', p.peek('search').span);
    return { pairs };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => (a.pairs.some((x) => x.from.includes('*')) ? '*' : a.pairs.flatMap((x) => [x.from, x.to])),
  outputFields: (a, input) => {
    if (a.pairs.some((x) => x.from.includes('*'))) return { fields: input.fields, open: true };
    const out = new Set(input.fields);
    for (const x of a.pairs) {
      if (out.delete(x.from) || input.open) out.add(x.to);
      else out.delete(x.to);
    }
    return { fields: out, open: input.open };
  },
  create: (args, _ctx, next) => {
    const steps = args.pairs.map((pr) => {
      if (!pr.from.includes('*')) {
        const from = fieldRef(pr.from);
        return (row: Parameters<typeof next.push>[0]) => renameField(row, pr.from, pr.to, from);
      }
      const targetOf = fieldPatternRenamer(pr.from, pr.to);
      return (row: Parameters<typeof next.push>[0]) => {
        for (const name of row.fieldNames()) {
          const target = targetOf(name);
          if (target !== null) renameField(row, name, target);
        }
      };
    });
    return {
      push: (row) => {
        for (const s of steps) s(row);
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
