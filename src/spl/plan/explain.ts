import type { RawFilter } from '../../events/scan.js';
import type { SearchPlan } from './plan.js';
import { statsPushdown } from './pushdown.js';
import { describeSplit, splitPlan } from './split.js';

/**
 * A human-readable description of a plan (`vigil search --explain`); `aggregates`: whether the event source
 * computes aggregations itself (`EventSource.aggregate`: ClickHouse), for the stats pushdown line. `oneThread`: why
 * this run stays on one thread whatever the plan allows (`--threads 1`, stdin): the split line then says so instead
 * of describing partitions that will not be made. `workers`: what this machine does with a plan that splits (how
 * many worker threads may start, and when), under the split line.
 */
export function explainPlan(plan: SearchPlan, opts: { aggregates?: boolean; oneThread?: string; workers?: string } = {}): string {
  const lines: string[] = [];
  // A bound past the years a Date holds (`latest=+99999999999y`, `daysago=99999999999`) in epoch seconds: toISOString
  // threw a RangeError, which `vigil search --explain` printed as "internal error: Invalid time value".
  const fmt = (t: number | null): string => {
    if (t === null) return 'unbounded';
    const d = new Date(t * 1000);
    return Number.isNaN(d.getTime()) ? `${t} (epoch seconds)` : d.toISOString();
  };
  if (plan.generating) lines.push(`generate: ${plan.generating.command.name}`);
  else {
    lines.push(`scan: time [${fmt(plan.earliest)}, ${fmt(plan.latest)})`);
    for (const m of plan.scan.metadata) lines.push(`  pushdown ${m.field} IN (${m.patterns.join(', ')})`);
    if (plan.scan.raw) lines.push(`  raw prefilter: ${describeRaw(plan.scan.raw)}`);
    for (const c of plan.scan.indexed ?? []) lines.push(`  indexed field ${c.field} IN (${c.values.map((v) => JSON.stringify(v)).join(', ')}) (the store reads these from its index)`);
    lines.push(`filter: leading search${plan.lead ? '' : ' (all events)'}`);
  }
  for (const s of plan.stages) {
    if (s.sortBefore) lines.push('sort: newest first by event time (order matters from here on)');
    lines.push(`${s.blueprint.kind(s.command.args)}: ${s.command.name}`);
  }
  if (plan.sortAtEnd) lines.push('sort: newest first by event time');
  const names = plan.stages.slice(0, 2).map((s) => s.command.name);
  if (!plan.generating && (names[0] === 'stats' || names[0] === 'tstats' || (names[0] === 'bin' && names[1] === 'stats'))) {
    const p = statsPushdown(plan);
    const by = p !== null && typeof p !== 'string' ? [...p.columns, ...(p.time?.grouped ? ['_time bins'] : [])].join(', ') : '';
    if (typeof p === 'string') lines.push(`stats pushdown: none (${p})`);
    else if (opts.aggregates) lines.push(`stats pushed down to the store: it counts events by ${by || 'nothing (one group)'}; vigil merges the groups`);
    else lines.push('stats pushdown: possible, but this event source does not aggregate (ClickHouse does): the scan runs');
  }
  if (opts.oneThread !== undefined) lines.push(`parallel: none, one thread: ${opts.oneThread}`);
  else {
    const split = splitPlan(plan);
    lines.push(describeSplit(plan, split));
    if (split.serial === null && opts.workers !== undefined) lines.push(`  workers: ${opts.workers}`);
  }
  return lines.join('\n');
}

function describeRaw(f: RawFilter): string {
  switch (f.kind) {
    case 'contains':
      return JSON.stringify(f.text);
    case 'regex':
      return `/${f.source}/`;
    case 'and':
      return f.items.map(describeRaw).join(' AND ');
    case 'or':
      return '(' + f.items.map(describeRaw).join(' OR ') + ')';
  }
}
