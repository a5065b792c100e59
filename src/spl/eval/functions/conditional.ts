import type { EvalFunction } from './types.js';
import { truthy } from '../truthy.js';
import { compareScalars } from '../compare.js';
import { isMv } from '../value.js';

/** Conditional and null-handling functions. if/case/coalesce evaluate only the arguments they need. */
export const conditionalFunctions: EvalFunction[] = [
  {
    name: 'if',
    minArgs: 3,
    maxArgs: 3,
    doc: 'if(predicate, then, else): then when the predicate is true, else otherwise (also when it is null).',
    returns: (args, h) => {
      const a = h.typeOf(args[1]!);
      const b = h.typeOf(args[2]!);
      return a === b ? a : 'any';
    },
    compile: (args, h) => {
      // "If the <predicate> expression evaluates to TRUE": a number or a quoted string is no predicate.
      h.requireBoolean(args[0]!, 'if()');
      const [p, t, f] = args.map((a) => h.compile(a)) as [ReturnType<typeof h.compile>, ReturnType<typeof h.compile>, ReturnType<typeof h.compile>];
      return (row) => (truthy(p(row)) ? t(row) : f(row));
    },
  },
  {
    name: 'case',
    minArgs: 2,
    maxArgs: Infinity,
    doc: 'case(cond1, value1, cond2, value2, ...): the value of the first true condition, null when none is.',
    returns: 'any',
    compile: (args, h) => {
      if (args.length % 2 !== 0) h.fail('case() takes condition/value pairs: the number of arguments must be even', args[args.length - 1]!.span);
      const pairs: [ReturnType<typeof h.compile>, ReturnType<typeof h.compile>][] = [];
      for (let i = 0; i < args.length; i += 2) {
        // "The <condition> arguments are Boolean expressions".
        h.requireBoolean(args[i]!, 'case()');
        pairs.push([h.compile(args[i]!), h.compile(args[i + 1]!)]);
      }
      return (row) => {
        for (const [c, v] of pairs) if (truthy(c(row))) return v(row);
        return null;
      };
    },
  },
  {
    name: 'coalesce',
    minArgs: 1,
    maxArgs: Infinity,
    doc: 'coalesce(a, b, ...): the first argument that is not null.',
    returns: 'any',
    compile: (args, h) => {
      const cs = args.map((a) => h.compile(a));
      return (row) => {
        for (const c of cs) {
          const v = c(row);
          if (v !== null) return v;
        }
        return null;
      };
    },
  },
  {
    name: 'isnull',
    minArgs: 1,
    maxArgs: 1,
    doc: 'isnull(x): true when x is null.',
    returns: 'boolean',
    call: ([v]) => v === null,
  },
  {
    name: 'isnotnull',
    minArgs: 1,
    maxArgs: 1,
    doc: 'isnotnull(x): true when x is not null.',
    returns: 'boolean',
    call: ([v]) => v !== null,
  },
  {
    name: 'nullif',
    minArgs: 2,
    maxArgs: 2,
    // "returns NULL if the value in <field1> is equal to the value in <field2>": equal as `=` compares (numbers
    // numerically, so nullif(1, "1.0") is null; text case-sensitively; a multivalue when any value is equal).
    doc: 'nullif(a, b): null when a equals b (as a = b compares), else a.',
    returns: 'any',
    call: ([a, b]) => {
      if (a === undefined || a === null) return null;
      if (b === undefined || b === null) return a;
      const xs = isMv(a) ? a : [a];
      const ys = isMv(b) ? b : [b];
      for (const x of xs) for (const y of ys) if (compareScalars(x, y) === 0) return null;
      return a;
    },
  },
  { name: 'true', minArgs: 0, maxArgs: 0, doc: 'true(): the boolean true.', returns: 'boolean', call: () => true },
  { name: 'false', minArgs: 0, maxArgs: 0, doc: 'false(): the boolean false.', returns: 'boolean', call: () => false },
  { name: 'null', minArgs: 0, maxArgs: 0, doc: 'null(): null (removes the field when assigned).', returns: 'any', call: () => null },
];
