import { Row, type Result } from '../../events/result.js';
import type { SearchExpr } from '../parse/ast.js';
import type { ParsedOption } from '../parse/parser.js';
import { hostName } from '../node-builtins.js';
import { indexCondition, MAX_METADATA_VALUES, metadataText } from './metadata.js';
import { defineCommand } from './types.js';

export interface EventcountArgs {
  indexes: SearchExpr;
  summarize: boolean;
  reportSize: boolean;
}

/**
 * `| eventcount [index=<string>]... [summarize=<bool>] [report_size=<bool>] [list_vix=<bool>]` (SPL reference,
 * eventcount): the number of events in the indexes, one `count` (summarize=true, the default) or a row per index
 * with `count`, `index` and `server` (this host). `report_size=true` adds `size_bytes`: the UTF-8 bytes of the
 * events' `_raw` (Decision in docs/spl.md). `list_vix` changes nothing: vigil has no virtual indexes.
 */
export const eventcountCommand = defineCommand<EventcountArgs>({
  name: 'eventcount',
  doc: '| eventcount [index=<index>]... [summarize=bool] [report_size=bool] [list_vix=bool]: the number of events per index.',
  parse: (p) => {
    const at = p.peek('search').span;
    const indexes: ParsedOption[] = [];
    let summarize = true;
    let reportSize = false;
    for (;;) {
      const o = p.option(['index', 'summarize', 'report_size', 'list_vix']);
      if (!o) break;
      if (o.key === 'index') indexes.push(o);
      else {
        const b = p.parseBool(o.value, o.valueSpan);
        if (o.key === 'summarize') summarize = b;
        else if (o.key === 'report_size') reportSize = b;
      }
    }
    if (!p.atEnd()) throw p.error('eventcount takes only index=, summarize=, report_size= and list_vix=', p.peek('search').span);
    return { indexes: indexCondition(indexes, at), summarize, reportSize };
  },
  kind: () => 'transforming',
  orderSensitive: () => false,
  ordersOutput: () => true,
  writes: () => '*',
  emitsOwnRows: () => true,
  outputFields: (a) => ({ fields: new Set([...(a.summarize ? ['count'] : ['count', 'index', 'server']), ...(a.reportSize ? ['size_bytes'] : [])]), open: false }),
  readsEvents: () => true,
  eventQuery: (args) => ({ args, lead: args.indexes, prefilter: null }),
  create: (args, ctx, next, cmd) => {
    const counts = new Map<string, { count: number; bytes: number }>();
    let warned = false;
    return {
      push: (row: Result) => {
        const index = metadataText(row.get('index')) ?? '';
        let c = counts.get(index);
        if (!c) {
          if (counts.size >= MAX_METADATA_VALUES) {
            if (!warned) ctx.warn(`eventcount counts at most ${MAX_METADATA_VALUES} indexes; events of further indexes were not counted`, cmd.nameSpan);
            warned = true;
            return;
          }
          c = { count: 0, bytes: 0 };
          counts.set(index, c);
        }
        c.count++;
        if (args.reportSize) c.bytes += Buffer.byteLength(metadataText(row.get('_raw')) ?? '', 'utf8');
      },
      end: () => {
        const size = (bytes: number) => (args.reportSize ? { size_bytes: bytes } : {});
        if (args.summarize) {
          let count = 0;
          let bytes = 0;
          for (const c of counts.values()) {
            count += c.count;
            bytes += c.bytes;
          }
          next.push(new Row({ count, ...size(bytes) }));
        } else {
          const server = hostName();
          for (const [index, c] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) next.push(new Row({ count: c.count, index, server, ...size(c.bytes) }));
        }
        next.end();
      },
    };
  },
});
