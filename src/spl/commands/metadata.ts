import { DEFAULT_INDEX } from '../../events/event.js';
import { Row, type Result } from '../../events/result.js';
import { toText, type FieldValue } from '../../events/value.js';
import type { SearchExpr } from '../parse/ast.js';
import type { ArgParser, ParsedOption } from '../parse/parser.js';
import { cover, type Span } from '../source.js';
import { defineCommand } from './types.js';

type MetadataType = 'hosts' | 'sources' | 'sourcetypes';

export interface MetadataArgs {
  type: MetadataType;
  /** `index=` options as one condition on the events read. */
  indexes: SearchExpr;
}

/** Distinct values kept (`metadata`: hosts, sources or sourcetypes; `eventcount`: indexes): past it a warning, and new values are not counted. */
export const MAX_METADATA_VALUES = 100_000;

const FIELD: Record<MetadataType, 'host' | 'source' | 'sourcetype'> = { hosts: 'host', sources: 'source', sourcetypes: 'sourcetype' };

/**
 * `index=<v>` options (wildcards allowed) as an OR of `index=<v>`: the engine tests it and pushes it into the scan.
 * None: the default index (`main`), as the reference says of both metadata and eventcount.
 */
export function indexCondition(options: readonly ParsedOption[], at: Span): SearchExpr {
  const given = options.length > 0 ? options : [{ key: 'index', value: DEFAULT_INDEX, span: at, valueSpan: at, quoted: true }];
  const items: SearchExpr[] = given.map((o) => ({ kind: 'compare', field: 'index', fieldSpan: o.span, op: '=', value: { value: o.value, quoted: o.quoted, span: o.valueSpan }, caseSensitive: false, span: o.span }));
  if (items.length === 1) return items[0]!;
  return { kind: 'or', items, span: cover(items[0]!.span, items[items.length - 1]!.span) };
}

/** A metadata field's text (the event's own fields are single texts). */
export function metadataText(v: FieldValue | null): string | null {
  return v === null || Array.isArray(v) ? null : toText(v as Exclude<FieldValue, readonly unknown[]>);
}

/**
 * `| metadata type=<hosts|sources|sourcetypes> [index=<index>]...` (SPL reference, metadata): a row per host, source
 * or sourcetype of the events in the search's time range, with `firstTime`/`lastTime` (earliest and latest `_time`),
 * `recentTime` (the latest index time; vigil keeps none, so the latest `_time`: Decision in docs/spl.md),
 * `totalCount` and `type`. Rows are sorted by value.
 */
export const metadataCommand = defineCommand<MetadataArgs>({
  name: 'metadata',
  doc: '| metadata type=<hosts|sources|sourcetypes> [index=<index>]...: first/last time and count per host, source or sourcetype.',
  parse: (p: ArgParser) => {
    const at = p.peek('search').span;
    let type: MetadataType | null = null;
    const indexes: ParsedOption[] = [];
    let typeSpan: Span | null = null;
    for (;;) {
      const o = p.option(['type', 'index', 'splunk_server', 'splunk_server_group', 'datatype']);
      if (!o) break;
      if (o.key === 'index') indexes.push(o);
      else if (o.key === 'type') {
        const t = o.value.toLowerCase();
        if (t !== 'hosts' && t !== 'sources' && t !== 'sourcetypes') throw p.error(`type must be hosts, sources or sourcetypes, got "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
        type = t;
        typeSpan = o.span;
      }
    }
    if (!p.atEnd()) throw p.error('metadata takes only type=, index=, splunk_server=, splunk_server_group= and datatype=', p.peek('search').span);
    if (type === null || typeSpan === null) throw p.error('metadata needs type=hosts, type=sources or type=sourcetypes', p.peek('search').span, 'SPL_BAD_ARGUMENT');
    return { type, indexes: indexCondition(indexes, at) };
  },
  kind: () => 'transforming',
  orderSensitive: () => false,
  ordersOutput: () => true,
  writes: () => '*',
  emitsOwnRows: () => true,
  outputFields: (a) => ({ fields: new Set([FIELD[a.type], 'firstTime', 'lastTime', 'recentTime', 'totalCount', 'type']), open: false }),
  readsEvents: () => true,
  eventQuery: (args) => ({ args, lead: args.indexes, prefilter: null }),
  create: (args, ctx, next, cmd) => {
    const field = FIELD[args.type];
    const seen = new Map<string, { first: number; last: number; count: number }>();
    let warned = false;
    return {
      push: (row: Result) => {
        const value = metadataText(row.get(field));
        const t = row.get('_time');
        if (value === null || typeof t !== 'number') return;
        const s = seen.get(value);
        if (s) {
          if (t < s.first) s.first = t;
          if (t > s.last) s.last = t;
          s.count++;
        } else if (seen.size < MAX_METADATA_VALUES) seen.set(value, { first: t, last: t, count: 1 });
        else if (!warned) {
          warned = true;
          ctx.warn(`metadata counts at most ${MAX_METADATA_VALUES} ${args.type}; events of further ${args.type} were not counted`, cmd.nameSpan);
        }
      },
      end: () => {
        for (const [value, s] of [...seen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
          next.push(new Row({ firstTime: Math.floor(s.first), lastTime: Math.floor(s.last), recentTime: Math.floor(s.last), totalCount: s.count, type: args.type, [field]: value }));
        }
        next.end();
      },
    };
  },
});
