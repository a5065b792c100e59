import { Row } from '../../events/result.js';
import { hostName } from '../node-builtins.js';
import { defineCommand } from './types.js';

export interface MakeresultsArgs {
  count: number;
  annotate: boolean;
}

/** Rows made between two looks at whether the output is backed up (`ExecContext.ready`). */
const CHUNK = 4096;

/**
 * `| makeresults [count=N] [annotate=true]`: N results with `_time` = the search's now. annotate=true adds the
 * fields of the SPL reference's table (makeresults, "Fields generated with annotate=true"): `splunk_server`, the
 * name of the server it runs on (this host's), and `_raw`, `host`, `source`, `sourcetype`, `splunk_server_group`
 * with no value, so absent here (an empty value and a missing field are the same in results).
 */
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
  outputFields: (a) => ({ fields: new Set(a.annotate ? ['_time', 'splunk_server'] : ['_time']), open: false }),
  create: (_a, _ctx, next) => next,
  generate: async (args, ctx, next) => {
    const server = args.annotate ? hostName() : null;
    for (let i = 0; i < args.count && !ctx.halted; i++) {
      const r = new Row({ _time: Math.floor(ctx.now) });
      if (server !== null) r.set('splunk_server', server);
      next.push(r);
      if ((i + 1) % CHUNK === 0) {
        const backedUp = ctx.ready?.();
        if (backedUp) await backedUp;
      }
    }
  },
});
