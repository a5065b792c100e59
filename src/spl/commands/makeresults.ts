import { Row } from '../../events/result.js';
import { defineCommand } from './types.js';

export interface MakeresultsArgs {
  count: number;
  annotate: boolean;
}

/** Rows made between two looks at whether the output is backed up (`ExecContext.ready`). */
const CHUNK = 4096;

/** `| makeresults [count=N] [annotate=true]`: N results with `_time` = the search's now. */
export const makeresultsCommand = defineCommand<MakeresultsArgs>({
  name: 'makeresults',
  doc: '| makeresults [count=N] [annotate=bool]: generate N empty results stamped with the current time.',
  parse: (p) => {
    let count = 1;
    let annotate = false;
    for (;;) {
      const o = p.option(['count', 'annotate', 'splunk_server', 'splunk_server_group']);
      if (!o) break;
      if (o.key === 'count') count = p.parseInt(o.value, o.valueSpan, 0);
      if (o.key === 'annotate') annotate = p.parseBool(o.value, o.valueSpan);
    }
    return { count, annotate };
  },
  kind: () => 'generating',
  orderSensitive: () => false,
  ordersOutput: () => true,
  writes: () => '*',
  outputFields: (a) => ({ fields: new Set(a.annotate ? ['_time', 'host', 'source', 'sourcetype'] : ['_time']), open: false }),
  create: (_a, _ctx, next) => next,
  generate: async (args, ctx, next) => {
    for (let i = 0; i < args.count && !ctx.halted; i++) {
      const r = new Row({ _time: Math.floor(ctx.now) });
      if (args.annotate) {
        r.set('host', 'vigil');
        r.set('source', 'makeresults');
        r.set('sourcetype', 'makeresults');
      }
      next.push(r);
      if ((i + 1) % CHUNK === 0) {
        const backedUp = ctx.ready?.();
        if (backedUp) await backedUp;
      }
    }
  },
});
