import type { CompiledDataset } from '../datamodel/types.js';
import { datasetFieldNames, datasetReader, materialize } from '../datamodel/view.js';
import { cover, type Span } from '../source.js';
import { defineCommand } from './types.js';

export interface DatamodelArgs {
  model: string;
  dataset: string;
  mode: 'search' | 'flat';
  /** strict_fields=false: every field of the event too, not only the dataset's. */
  strict: boolean;
  span: Span;
  /** Bound at plan time (eventQuery). */
  compiled: CompiledDataset | null;
}

const MODES = ['search', 'flat'];
const OTHER_MODES = ['acceleration_search', 'search_string', 'flat_string', 'acceleration_search_string'];

/**
 * `| datamodel <Model> <Dataset> search|flat [strict_fields=<bool>]`: the events of a dataset, after its
 * constraints and calculated fields. `search` names the dataset's fields with the root dataset's prefix
 * (`Processes.process_name`), `flat` without it; both keep `_raw` and the base fields (`_time`, `host`,
 * `source`, `sourcetype`, `index`). `strict_fields=false` keeps the event's other fields too. The JSON modes
 * (no mode) and the `*_string` / `acceleration_search` modes are not supported.
 */
const OPTIONS = ['strict_fields', 'allow_old_summaries', 'summariesonly'];

export const datamodelCommand = defineCommand<DatamodelArgs>({
  name: 'datamodel',
  doc: '| datamodel <Model> <Dataset> search|flat [strict_fields=<bool>]: the events of a data model dataset.',
  parse: (p) => {
    const start = p.peek('search').span;
    const words: { value: string; span: Span }[] = [];
    let strict = true;
    for (;;) {
      const o = p.option(OPTIONS);
      if (o) {
        const b = p.parseBool(o.value, o.valueSpan);
        if (o.key === 'strict_fields') strict = b;
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      // `search Processes.dest=x` or a misspelt option: name it, not the `=` after it.
      const eq = p.peek2('search');
      if (t.kind === 'word' && eq.kind === 'op' && eq.value === '=') {
        throw p.error(`unknown datamodel option "${t.value}" (options: ${OPTIONS.join(', ')}; to filter the events, | search after it)`, t.span, 'SPL_BAD_ARGUMENT');
      }
      if (t.kind !== 'word' && t.kind !== 'string') throw p.error(`unexpected '${t.value}'`, t.span);
      p.next('search');
      words.push({ value: t.value, span: t.span });
    }
    // `Model.Dataset` may be written as one word.
    if (words.length === 2 && words[0]!.value.includes('.')) {
      const [m, d] = [words[0]!.value.slice(0, words[0]!.value.indexOf('.')), words[0]!.value.slice(words[0]!.value.indexOf('.') + 1)];
      words.splice(0, 1, { value: m, span: words[0]!.span }, { value: d, span: words[0]!.span });
    }
    const mode = words[2];
    if (words.length < 3 || !mode) {
      throw p.error('datamodel needs a data model, a dataset and a mode: | datamodel Endpoint Processes search (listing data models as JSON is not supported)', words.at(-1)?.span ?? start, 'SPL_BAD_ARGUMENT');
    }
    const m = mode.value.toLowerCase();
    if (!MODES.includes(m)) {
      throw p.error(OTHER_MODES.includes(m) ? `datamodel mode ${m} is not supported (modes: search, flat)` : `unknown datamodel mode "${mode.value}" (modes: search, flat)`, mode.span, 'SPL_BAD_ARGUMENT');
    }
    if (words.length > 3) throw p.error(`unexpected '${words[3]!.value}'`, words[3]!.span);
    return { model: words[0]!.value, dataset: words[1]!.value, mode: m as 'search' | 'flat', strict, span: cover(words[0]!.span, words[1]!.span), compiled: null };
  },
  ...datasetReader<DatamodelArgs>(),
  create: (args, ctx, next) => {
    const ds = args.compiled!;
    const evaluator = ds.evaluator({ now: ctx.now, tz: ctx.tz, lookups: ctx.lookups, warn: (m) => ctx.warn(m) });
    const names = datasetFieldNames(ds.resolved, args.mode === 'search' ? 'prefixed' : 'flat', ['_raw']);
    const emit = (row: Parameters<typeof next.push>[0]) => {
      const out = materialize(names, row);
      if (!args.strict) {
        const own = new Set(names.values());
        for (const f of row.fieldNames()) if (!own.has(f) && out.get(f) === null) out.set(f, row.get(f));
      }
      next.push(out);
    };
    return {
      push: (row) => evaluator.evaluate(row, emit),
      end: () => next.end(),
    };
  },
});
