import type { SearchPlan } from './plan.js';

/**
 * How a search splits to run over partitions of its events on several threads, as Splunk splits a search
 * into a streaming part (on the indexers) and a reduce: a *parallel part* that every partition runs (the
 * scan with its pushdowns, the leading search, the leading streaming commands that are not order-sensitive,
 * then the partial state of the first aggregation when its functions merge), and a *final part* (the
 * merge of the partial states, or the rows of every partition, then the rest of the pipeline) on one thread.
 * The results are those of one pass: partial states are merged in partition order (partitions are in the
 * source's order), and rows keep what the newest-first sort needs (exec/newest-first.ts).
 */
export interface PlanSplit {
  /** Why the search runs on one thread; null when it can run over partitions. */
  serial: string | null;
  /** Stages [0, boundary) run on every partition. */
  boundary: number;
  /** Stage `boundary` is an aggregation split into a partial state per partition and a merge (`CommandBlueprint.splits`). */
  partial: boolean;
  /**
   * Rows (not partial states) reach the final part and it must get them in search order, partition after
   * partition (an ordered source, no sort first). False when the final part starts by sorting them.
   */
  inOrder: boolean;
  /**
   * The final part takes rows in search order and may stop taking them (`head`, the one command that halts a search):
   * the warnings of the parallel part travel with its rows, so none is said of an event one pass would not have read.
   */
  halts: boolean;
  /** Why the parallel part ends at `boundary` (for --explain); null when it runs every stage. */
  stop: string | null;
}

export function splitPlan(plan: SearchPlan): PlanSplit {
  if (plan.generating) return { serial: `"${plan.generating.command.name}" generates its results (no events are read)`, boundary: 0, partial: false, inOrder: true, halts: false, stop: null };
  // Its results are on the thread that ran it, before the scan (exec/subsearch.ts).
  const sub = plan.subsearches[0];
  if (sub) return { serial: `"${sub.command.name}" has a subsearch, which runs first`, boundary: 0, partial: false, inOrder: true, halts: false, stop: null };
  // Its searches run on the thread that has the search's options, after all its input (exec/subsearch.ts searchRunner).
  const mapping = plan.stages.find((s) => s.blueprint.runsSearches?.(s.command.args));
  if (mapping) return { serial: `"${mapping.command.name}" runs a search per result`, boundary: 0, partial: false, inOrder: true, halts: false, stop: null };
  const stages = plan.stages;
  let boundary = 0;
  let stop: string | null = null;
  let partial = false;
  for (; boundary < stages.length; boundary++) {
    const s = stages[boundary]!;
    const name = s.command.name;
    const args = s.command.args;
    if (s.sortBefore) {
      stop = `order matters from ${name} on: the final part sorts the rows newest first`;
      break;
    }
    // States merge in partition order, which is search order here (no sort was needed): order-sensitive
    // functions (first, last, earliest) merge exactly too.
    if (s.blueprint.splits?.(args)) {
      partial = true;
      break;
    }
    if (s.blueprint.orderSensitive(args)) {
      stop = `${name} depends on the order of its input: the final part takes the rows partition after partition`;
      break;
    }
    if (s.blueprint.kind(args) === 'streaming') continue;
    stop = `${name} needs all its input in one place`;
    break;
  }
  const sorted = (boundary < stages.length && stages[boundary]!.sortBefore) || (boundary === stages.length && plan.sortAtEnd);
  const inOrder = !partial && !sorted;
  return { serial: null, boundary, partial, inOrder, halts: inOrder && stages.slice(boundary).some((s) => s.command.name === 'head'), stop };
}

/** The split as `--explain` prints it (one line). */
export function describeSplit(plan: SearchPlan, split: PlanSplit): string {
  if (split.serial !== null) return `parallel: none, one thread: ${split.serial}`;
  const names = plan.stages.map((s) => s.command.name);
  const parallel = ['scan', 'leading search', ...names.slice(0, split.boundary)];
  let final: string[];
  if (split.partial) {
    parallel.push(`${names[split.boundary]} (partial state)`);
    final = [`merge ${names[split.boundary]}`, ...names.slice(split.boundary + 1)];
  } else {
    final = names.slice(split.boundary);
    const sorted = split.boundary < names.length ? plan.stages[split.boundary]!.sortBefore : plan.sortAtEnd;
    if (sorted) final.unshift('newest-first sort');
    else final.unshift(split.inOrder ? 'rows in partition order' : 'rows');
  }
  return `parallel: per partition: ${parallel.join(', ')}; final: ${final.join(', ')}${split.stop ? ` (${split.stop})` : ''}`;
}
