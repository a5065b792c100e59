import type { Result } from '../../events/result.js';
import { parseSubsearchList, pushAll, resultKey, subsearchSpecs, type Datasets } from './datasets.js';
import { defineCommand, subsearchResultsOf } from './types.js';

/** limits.conf [subsearch] maxout and maxtime, which bound set's two subsearches as any subsearch. */
const SET_MAX_ROWS = 10_000;
const SET_MAX_SECONDS = 60;

type SetOperation = 'union' | 'diff' | 'intersect';

export interface SetArgs {
  operation: SetOperation;
  datasets: Datasets;
}

/**
 * `| set (union|diff|intersect) [ ... ] [ ... ]`: a set operation on the results of two subsearches, results compared
 * by all their fields (datasets.ts `resultKey`). Each result appears once, in the first subsearch's order, then the
 * second's.
 */
export const setCommand = defineCommand<SetArgs>({
  name: 'set',
  doc: '| set (union|diff|intersect) [ <subsearch> ] [ <subsearch> ]: a set operation on the results of two subsearches.',
  parse: (p) => {
    const t = p.next('search');
    const operation = t.kind === 'word' ? t.value.toLowerCase() : '';
    if (operation !== 'union' && operation !== 'diff' && operation !== 'intersect') {
      throw p.error(`set needs an operation, union, diff or intersect, then two subsearches; found ${t.kind === 'eof' ? 'nothing' : `'${t.value}'`}`, t.span);
    }
    const datasets = parseSubsearchList(p, 'set', false);
    if (datasets.pipelines.length !== 2) {
      throw p.error(`set ${operation} needs exactly two subsearches, found ${datasets.pipelines.length}`, datasets.spans[2] ?? datasets.spans[0] ?? t.span);
    }
    return { operation, datasets };
  },
  kind: () => 'generating',
  orderSensitive: () => false,
  ordersOutput: () => true,
  writes: () => '*',
  subsearches: (a) => subsearchSpecs(a.datasets, SET_MAX_ROWS, SET_MAX_SECONDS),
  create: (_a, _ctx, next) => next,
  generate: async (args, ctx, next, cmd) => {
    const [a = [], b = []] = subsearchResultsOf(ctx, cmd);
    await pushAll(setOperation(args.operation, a, b), ctx, next);
  },
});

/**
 * union: every distinct result of either ("Provides results that are common to both subsets only once"); diff: those
 * of one only ("excludes the events common to both. Does not indicate which subsearch the results originated from");
 * intersect: those of both ("results common to both subsearches"). A result repeated in one subsearch counts once.
 */
function setOperation(op: SetOperation, a: readonly Result[], b: readonly Result[]): Result[] {
  const keysA = new Map<string, Result>();
  for (const r of a) if (!keysA.has(resultKey(r))) keysA.set(resultKey(r), r);
  const keysB = new Map<string, Result>();
  for (const r of b) if (!keysB.has(resultKey(r))) keysB.set(resultKey(r), r);
  if (op === 'intersect') return [...keysA].filter(([k]) => keysB.has(k)).map(([, r]) => r);
  const onlyB = [...keysB].filter(([k]) => !keysA.has(k)).map(([, r]) => r);
  if (op === 'union') return [...keysA.values(), ...onlyB];
  return [...[...keysA].filter(([k]) => !keysB.has(k)).map(([, r]) => r), ...onlyB];
}
