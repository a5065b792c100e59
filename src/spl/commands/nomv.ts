import type { Multivalue } from '../../events/value.js';
import { joinedText } from './mvcombine.js';
import { defineCommand } from './types.js';

export interface NomvArgs {
  field: string;
}

/**
 * `nomv <field>` (SPL reference, nomv): "Converts values of the specified multivalue field into one single
 * value. Separates the values using a new line "\n" delimiter" (or the delim= of the mvcombine that made them). A single value or a missing field is left as
 * it is. Decision: internal fields are refused, as mvexpand and makemv refuse them (the reference says nothing).
 */
export const nomvCommand = defineCommand<NomvArgs>({
  name: 'nomv',
  doc: 'nomv <field>: join the values of a multivalue field into one value, one per line.',
  parse: (p) => ({ field: p.optionsAndField('nomv', [], () => undefined, 'nomv senders').name }),
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => [a.field],
  create: (args, _ctx, next) => ({
    push: (row) => {
      const v = row.get(args.field);
      if (Array.isArray(v)) row.set(args.field, joinedText(v as Multivalue));
      next.push(row);
    },
    end: () => next.end(),
  }),
});
