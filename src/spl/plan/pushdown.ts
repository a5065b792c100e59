import type { MetadataField } from '../../events/scan.js';
import { toNumber } from '../../events/value.js';
import type { SearchExpr } from '../parse/ast.js';
import { cidrMatcher } from '../search/cidr.js';
import type { StatsArgs } from '../stats/parse.js';
import type { TstatsArgs } from '../commands/tstats.js';
import type { BinArgs } from '../commands/bin.js';
import type { Span as BinSpan } from '../time/span.js';
import type { SearchPlan } from './plan.js';

/**
 * Whether a search's first aggregation can be computed by an event source that aggregates
 * (`EventSource.aggregate`: ClickHouse's shards), with exactly the rows the engine would produce: the source
 * counts events per combination of metadata values, and the engine turns those groups into the same partial
 * state a partition of the events would give (spl/exec/pushdown.ts), merged as partitions are.
 *
 * It holds when the events reaching the aggregation are decided by time and metadata alone (the leading search
 * is time bounds and index/sourcetype/source/host terms whose matching equals the scan's, no raw-text condition,
 * no command before it but a `bin _time span=...`), and every function reads only what the groups carry: `count`,
 * `dc`/`values`/`min`/`max` of a metadata field (from its distinct values), `min`/`max`/`count` of `_time`, BY
 * metadata fields and binned `_time` (`bin _time span=` then stats, tstats `by _time span=`).
 */
export interface StatsPushdown {
  /** The plan's stage that aggregates (after a `bin _time span=...`, 1; else 0). */
  stage: number;
  /** The BY fields in order: metadata fields, and `_time` when it is binned. */
  by: (MetadataField | '_time')[];
  /** What the source groups by: the BY metadata fields, then the other metadata fields the functions read. */
  columns: MetadataField[];
  /** How many of `columns` are BY fields. */
  byColumns: number;
  /** `_time` bins: BY `_time` (`binned` is false for tstats' `by _time span=`), or `_time` binned before a stats that does not group by it. */
  time: { span: BinSpan; binned: boolean; grouped: boolean } | null;
  /** What feeds each aggregation, in the command's order. */
  inputs: PushedInput[];
}

/** An aggregation's input from a group: its event count, the distinct values of a column, or its time range. */
export type PushedInput = { kind: 'count' } | { kind: 'values'; column: number } | { kind: 'earliest' } | { kind: 'latest' };

const METADATA: readonly MetadataField[] = ['index', 'sourcetype', 'source', 'host'];

const isMetadata = (f: string): f is MetadataField => (METADATA as readonly string[]).includes(f);

/** The pushdown of a plan, or why there is none (for --explain). */
export function statsPushdown(plan: SearchPlan): StatsPushdown | string {
  if (plan.generating) return 'the search generates its results';
  let stage = 0;
  let time: StatsPushdown['time'] = null;
  const head = plan.stages[0];
  if (head?.command.name === 'bin') {
    const b = head.command.args as BinArgs;
    if (b.field !== '_time' || b.as !== null || b.span === null || b.aligntime !== null) return 'bin is not a plain bin _time span=... before the stats';
    if (b.span.kind !== 'seconds' && b.span.kind !== 'months' && b.span.kind !== 'number') return 'bin has a span that cannot bin time';
    time = { span: b.span, binned: true, grouped: false };
    stage = 1;
  }
  const first = plan.stages[stage];
  if (!first || (first.command.name !== 'stats' && (first.command.name !== 'tstats' || stage !== 0))) {
    return `the first command after the search is ${plan.stages[0] ? plan.stages[0].command.name : 'none'}, not stats or tstats (or bin _time span=... then stats)`;
  }
  const name = first.command.name;
  if (plan.scan.raw !== null) return 'the search has a raw-text condition, which only vigil decides: a store that counts holds no search-time fields';
  if (plan.lead && !timeAndMetadata(plan.lead)) return 'the leading search tests more than time and index/sourcetype/source/host values';
  let by: readonly string[];
  let aggregations: StatsArgs['aggregations'];
  if (name === 'tstats') {
    const a = first.command.args as TstatsArgs;
    if (a.from) return 'tstats reads a data model (its fields come from _raw)';
    if (a.where && !timeAndMetadata(a.where)) return 'the tstats WHERE tests more than time and index/sourcetype/source/host values';
    if (a.span) time = { span: a.span, binned: false, grouped: true };
    by = a.by;
    aggregations = a.aggregations;
  } else {
    const a = first.command.args as StatsArgs;
    by = a.by;
    aggregations = a.aggregations;
  }
  if (!first.blueprint.splits?.(first.command.args)) return `${name} does not split into partial states`;
  const columns: MetadataField[] = [];
  const byFields: StatsPushdown['by'] = [];
  for (const f of by) {
    if (byFields.includes(f as MetadataField)) return `${name} names a BY field twice`;
    if (f === '_time' && time !== null) {
      time.grouped = true;
      byFields.push(f);
      continue;
    }
    if (!isMetadata(f)) return `${name} groups by ${f}, not an index/sourcetype/source/host field${f === '_time' ? ' or binned _time' : ''}`;
    columns.push(f);
    byFields.push(f);
  }
  const byColumns = columns.length;
  const inputs: PushedInput[] = [];
  for (const a of aggregations) {
    const fn = a.blueprint.name;
    const f = a.field;
    if (a.expr) return `${a.as} evaluates an expression`;
    if (fn === 'count' && (f === null || f === '_time' || isMetadata(f))) {
      inputs.push({ kind: 'count' });
      continue;
    }
    if (f === '_time' && (fn === 'min' || fn === 'max')) {
      inputs.push({ kind: fn === 'min' ? 'earliest' : 'latest' });
      continue;
    }
    if (f !== null && isMetadata(f) && (fn === 'dc' || fn === 'values' || fn === 'min' || fn === 'max')) {
      let column = columns.indexOf(f);
      if (column < 0) column = columns.push(f) - 1;
      inputs.push({ kind: 'values', column });
      continue;
    }
    return `${a.as} is not computed by the store (count, or dc/values/min/max of index, sourcetype, source, host; min/max of _time)`;
  }
  return { stage, by: byFields, columns, byColumns, time, inputs };
}

/** Every conjunct is a time bound or a metadata term whose match is the scan's own (a pushed constraint). */
function timeAndMetadata(e: SearchExpr): boolean {
  if (e.kind === 'and') return e.items.every(timeAndMetadata);
  return e.kind === 'time' || metadataField(e) !== null;
}

/**
 * The field of a term the planner pushes as a metadata constraint (plan.ts metadataConstraint) whose matching in
 * the search (search/predicate.ts valueMatcher) equals the scan's (metadataPredicate): plain or wildcard text,
 * case-insensitive. Not a number (`sourcetype=1` matches `01` in the search) nor a CIDR block.
 */
function metadataField(e: SearchExpr): MetadataField | null {
  if (e.kind === 'compare') return e.op === '=' && !e.caseSensitive && isMetadata(e.field) && sameMatch(e.value.value) ? e.field : null;
  if (e.kind === 'in') return isMetadata(e.field) && e.values.every((v) => sameMatch(v.value)) ? e.field : null;
  if (e.kind === 'or' && e.items.length > 0) {
    const fields = e.items.map(metadataField);
    return fields.every((f) => f !== null && f === fields[0]) ? fields[0]! : null;
  }
  return null;
}

function sameMatch(pattern: string): boolean {
  return cidrMatcher(pattern) === null && (pattern.includes('*') || toNumber(pattern) === null);
}
