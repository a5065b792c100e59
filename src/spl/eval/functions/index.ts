import type { EvalFunction } from './types.js';
import { bitwiseFunctions } from './bitwise.js';
import { conditionalFunctions } from './conditional.js';
import { convertFunctions } from './convert.js';
import { cryptoFunctions } from './crypto.js';
import { infoFunctions } from './info.js';
import { jsonFunctions } from './json.js';
import { mathFunctions } from './math.js';
import { multivalueFunctions } from './multivalue.js';
import { networkFunctions } from './network.js';
import { stringFunctions } from './string.js';
import { matchFunctions } from './text-match.js';
import { timeFunctions } from './time.js';

/**
 * The eval function table: every function SPL's eval/where can call, by lower-case name.
 * To add a function, write its blueprint in the file of its group and list the group here.
 */
const groups: EvalFunction[][] = [
  conditionalFunctions,
  stringFunctions,
  matchFunctions,
  mathFunctions,
  convertFunctions,
  multivalueFunctions,
  timeFunctions,
  networkFunctions,
  cryptoFunctions,
  infoFunctions,
  bitwiseFunctions,
  jsonFunctions,
];

export const EVAL_FUNCTIONS: ReadonlyMap<string, EvalFunction> = (() => {
  const m = new Map<string, EvalFunction>();
  for (const g of groups) {
    for (const f of g) {
      if (m.has(f.name)) throw new Error(`eval function ${f.name} registered twice`);
      if (!f.call && !f.compile) throw new Error(`eval function ${f.name} has neither call nor compile`);
      m.set(f.name, f);
    }
  }
  return m;
})();
