import type { CompiledDataset } from '../datamodel/types.js';
import { datasetReader } from '../datamodel/view.js';
import { cover, type Span } from '../source.js';
import { defineCommand } from './types.js';

export interface FromArgs {
  model: string;
  /** The dataset path after the model (`Processes`), or null for a model with one root dataset. */
  dataset: string | null;
  span: Span;
  /** Bound at plan time (eventQuery). */
  compiled: CompiledDataset | null;
}

/**
 * `| from datamodel:<Model>.<Dataset>` (or `datamodel <Model>.<Dataset>`): the events of a data model
 * dataset, after its constraints and calculated fields, with plain field names (`process_name`, not
 * `Processes.process_name`) — every field of the event plus the calculated ones, which is what ESCU's
 * `| from datamodel Web.Web | ... by action, dest` searches read. Other dataset types (lookup:,
 * savedsearch:, inputlookup:) are not supported.
 */
export const fromCommand = defineCommand<FromArgs>({
  name: 'from',
  doc: '| from datamodel:<Model>.<Dataset>: the events of a data model dataset, with plain field names.',
  parse: (p) => {
    const t = p.next('search');
    if (t.kind !== 'word') throw p.error('from needs a dataset: | from datamodel:Endpoint.Processes', t.span);
    let value: { text: string; span: Span };
    const colon = t.value.indexOf(':');
    const kind = (colon < 0 ? t.value : t.value.slice(0, colon)).toLowerCase();
    if (kind !== 'datamodel') throw p.error(`from supports data model datasets only (datamodel:<Model>.<Dataset>), not "${kind}"`, t.span, 'SPL_BAD_ARGUMENT');
    if (colon >= 0 && colon < t.value.length - 1) value = { text: t.value.slice(colon + 1), span: t.span };
    else {
      const v = p.next('search');
      if (v.kind !== 'word' && v.kind !== 'string') throw p.error('expected <Model>.<Dataset> after datamodel', v.span);
      value = { text: v.value, span: cover(t.span, v.span) };
    }
    const dot = value.text.indexOf('.');
    const model = dot < 0 ? value.text : value.text.slice(0, dot);
    return { model, dataset: dot < 0 ? null : value.text.slice(dot + 1), span: value.span, compiled: null };
  },
  ...datasetReader<FromArgs>(),
  create: (args, ctx, next) => {
    const evaluator = args.compiled!.evaluator({ now: ctx.now, tz: ctx.tz, lookups: ctx.lookups, warn: (m) => ctx.warn(m) });
    const emit = (row: Parameters<typeof next.push>[0]) => next.push(row);
    return {
      push: (row) => evaluator.evaluate(row, emit),
      end: () => next.end(),
    };
  },
});
