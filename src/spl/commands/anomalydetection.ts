import { Row, type Result } from '../../events/result.js';
import { isMultivalue, toNumber, toText, valuesOf, type FieldValue } from '../../events/value.js';
import { SplError, type Span } from '../source.js';
import { nearestRank } from '../stats/aggregations.js';
import { allFieldNames, iqrSink, parseIqrOption, type IqrOptions } from './outlier.js';
import { defineCommand } from './types.js';

type HistogramAction = 'filter' | 'annotate' | 'summary';

export interface AnomalyDetectionArgs {
  method: 'histogram' | 'iqr';
  action: HistogramAction;
  /** Where the action was given (its error points there), else null. */
  actionSpan: Span | null;
  /** The event probability under which an event is anomalous; null: computed from the data (cutoff). */
  pthresh: number | null;
  cutoff: boolean;
  /** method=iqr: outlier's options and the fields. */
  iqr: IqrOptions;
  /** method=histogram: the fields (empty: every field but the internal ones). */
  fields: { name: string; span: Span }[];
}

/** At most this many distinct values, all fields together, are counted (one Map entry each). */
export const MAX_HISTOGRAM_VALUES = 1_000_000;

/**
 * `anomalydetection [method=histogram|zscore|iqr] [action=...] [pthresh=<num>] [cutoff=<bool>] [<field-list>]`.
 *
 * method=histogram (default), what the Search Reference documents: "The probability is defined as the product of
 * the frequencies of each individual field value in the event. For categorical fields, the frequency of a value X is
 * the number of times X occurs divided by the total number of events." Each event gets `log_event_prob` (the natural
 * log of that product), `probable_cause` (the field of the rarest value: the first listed on a tie),
 * `probable_cause_freq` and `max_freq`. Not documented, so refused rather than guessed (SPL_UNSUPPORTED_COMMAND):
 * the histogram bins of a numerical field (at the field, when one of its values is a number) and the threshold of
 * `cutoff=true` (the default) for action=filter and summary (give `pthresh=` or `cutoff=false`, whose threshold
 * "1st-quartile - 1.5 * IRQ" of the log probabilities is documented). method=zscore (anomalousvalue) is refused too.
 * method=iqr is `outlier` (its options; `pthresh` "returns an invalid argument error").
 */
export const anomalydetectionCommand = defineCommand<AnomalyDetectionArgs>({
  name: 'anomalydetection',
  doc: 'anomalydetection [method=histogram|iqr] [action=filter|annotate|summary] [pthresh=<num>] [cutoff=<bool>] [<field>...]: event probabilities from value frequencies, or outlier (method=iqr).',
  parse: (p) => {
    const iqr: IqrOptions = { remove: false, mark: false, param: 2.5, uselower: false, fields: [] };
    const iqrGiven: Span[] = [];
    let method: 'histogram' | 'iqr' = 'histogram';
    let action: { value: string; span: Span } | null = null;
    let pthresh: { value: number; span: Span } | null = null;
    let cutoff: { value: boolean; span: Span } | null = null;
    const fields: { name: string; span: Span }[] = [];
    for (;;) {
      const o = p.option(['method', 'action', 'pthresh', 'cutoff']);
      if (o) {
        if (o.key === 'method') {
          const m = o.value.toLowerCase();
          if (m === 'zscore') throw new SplError('SPL_UNSUPPORTED_COMMAND', 'anomalydetection method=zscore (the anomalousvalue command) is not supported; use method=histogram or method=iqr', o.valueSpan, p.source);
          if (m !== 'histogram' && m !== 'iqr') throw p.error(`method must be histogram, zscore or iqr, not "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
          method = m;
        } else if (o.key === 'action') action = { value: o.value, span: o.valueSpan };
        else if (o.key === 'pthresh') {
          const n = toNumber(o.value);
          if (n === null || n <= 0 || n > 1) throw p.error(`pthresh must be a probability above 0 and at most 1, not "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
          pthresh = { value: n, span: o.span };
        } else cutoff = { value: p.parseBool(o.value, o.valueSpan), span: o.span };
        continue;
      }
      const before = p.peek('search').span;
      if (parseIqrOption(p, iqr)) {
        iqrGiven.push(before);
        continue;
      }
      const list = p.fieldList();
      if (list.length === 0) {
        const t = p.peek('search');
        if (t.kind === 'eof') break;
        throw p.error(`unexpected '${t.value}': anomalydetection takes method=, action=, pthresh=, cutoff= and field names`, t.span);
      }
      for (const f of list) {
        if (f.name.includes('*')) throw p.error('anomalydetection takes field names, not wildcards', f.span, 'SPL_BAD_ARGUMENT');
        fields.push(f);
      }
    }
    if (method === 'iqr') {
      if (pthresh) throw p.error('pthresh does not apply to method=iqr', pthresh.span, 'SPL_BAD_ARGUMENT');
      if (cutoff) throw p.error('cutoff applies to method=histogram only', cutoff.span, 'SPL_BAD_ARGUMENT');
      if (action) {
        const a = action.value.toLowerCase();
        if (a === 'remove' || a === 'rm') iqr.remove = true;
        else if (a !== 'transform' && a !== 'tf') throw p.error(`with method=iqr, action must be remove (rm) or transform (tf), not "${action.value}"`, action.span, 'SPL_BAD_ARGUMENT');
      }
      iqr.fields = fields.map((f) => f.name);
      return { method, action: 'filter', actionSpan: null, pthresh: null, cutoff: true, iqr, fields: [] };
    }
    if (iqrGiven.length > 0) throw p.error('action=remove|transform, mark, param and uselower apply to method=iqr', iqrGiven[0]!, 'SPL_BAD_ARGUMENT');
    const a = (action?.value ?? 'filter').toLowerCase();
    if (a !== 'filter' && a !== 'annotate' && a !== 'summary') throw p.error(`action must be filter, annotate or summary, not "${action!.value}"`, action!.span, 'SPL_BAD_ARGUMENT');
    return { method, action: a, actionSpan: action?.span ?? null, pthresh: pthresh?.value ?? null, cutoff: cutoff?.value ?? true, iqr, fields };
  },
  kind: () => 'transforming',
  orderSensitive: () => false,
  writes: (a) => (a.method === 'iqr' ? (a.iqr.fields.length === 0 ? '*' : a.iqr.fields) : a.action === 'summary' ? '*' : ['log_event_prob', 'probable_cause', 'probable_cause_freq', 'max_freq']),
  create: (a, ctx, next, cmd) => {
    if (a.method === 'iqr') return iqrSink(a.iqr, next, cmd.nameSpan, ctx.source, 'anomalydetection');
    if (a.action !== 'annotate' && a.pthresh === null && a.cutoff) {
      throw new SplError(
        'SPL_UNSUPPORTED_COMMAND',
        `anomalydetection action=${a.action}: the threshold of cutoff=true (the default) is not documented; give pthresh=<probability> or cutoff=false (1st quartile - 1.5*IQR of the log probabilities)`,
        a.actionSpan ?? cmd.nameSpan,
        ctx.source,
      );
    }
    const rows: Result[] = [];
    return {
      push: (row) => {
        rows.push(row);
      },
      end: () => {
        const names = a.fields.length > 0 ? a.fields : allFieldNames(rows, cmd.nameSpan, ctx.source, 'anomalydetection').map((name) => ({ name, span: cmd.nameSpan }));
        const counts = names.map(() => new Map<string, number>());
        let distinct = 0;
        for (const row of rows) {
          for (let i = 0; i < names.length; i++) {
            const v = row.get(names[i]!.name);
            if (v === null) continue;
            if (isNumber(v)) {
              throw new SplError(
                'SPL_UNSUPPORTED_COMMAND',
                `anomalydetection method=histogram: ${names[i]!.name} holds numbers (${toText(valuesOf(v)[0]!)}), whose histogram bins the reference does not document; name categorical fields, or use method=iqr for numbers`,
                names[i]!.span,
                ctx.source,
              );
            }
            const k = keyOf(v);
            const m = counts[i]!;
            const c = m.get(k);
            if (c === undefined) {
              if (++distinct > MAX_HISTOGRAM_VALUES) {
                throw new SplError('SPL_BAD_ARGUMENT', `anomalydetection: more than ${MAX_HISTOGRAM_VALUES.toLocaleString('en-US')} distinct field values to count; name fewer or less varied fields`, cmd.nameSpan, ctx.source);
              }
              m.set(k, 1);
            } else m.set(k, c + 1);
          }
        }
        const total = rows.length;
        const logps: (number | null)[] = rows.map((row) => {
          let logp = 0;
          let cause = -1;
          let causeFreq = Infinity;
          let maxFreq = 0;
          for (let i = 0; i < names.length; i++) {
            const v = row.get(names[i]!.name);
            if (v === null) continue;
            const freq = counts[i]!.get(keyOf(v))! / total;
            logp += Math.log(freq);
            if (freq < causeFreq) {
              causeFreq = freq;
              cause = i;
            }
            if (freq > maxFreq) maxFreq = freq;
          }
          if (cause < 0) return null;
          if (a.action !== 'summary') {
            row.set('log_event_prob', logp);
            row.set('probable_cause', names[cause]!.name);
            row.set('probable_cause_freq', causeFreq);
            row.set('max_freq', maxFreq);
          }
          return logp;
        });
        const known = logps.filter((x): x is number => x !== null).sort((x, y) => x - y);
        const q1 = known.length > 0 ? nearestRank(known, 25) : null;
        const q3 = known.length > 0 ? nearestRank(known, 75) : null;
        const logThresh = a.pthresh !== null ? Math.log(a.pthresh) : q1 !== null ? q1 - 1.5 * (q3! - q1) : null;
        const anomalous = (x: number | null): boolean => x !== null && logThresh !== null && x < logThresh;
        if (a.action === 'summary') {
          const summary = new Row({ num_anomalies: logps.filter(anomalous).length });
          if (logThresh !== null) summary.set('thresh', Math.exp(logThresh));
          if (known.length > 0) {
            summary.set('max_logprob', known[known.length - 1]!);
            summary.set('min_logprob', known[0]!);
            summary.set('1st_quartile', q1);
            summary.set('3rd_quartile', q3);
          }
          next.push(summary);
        } else {
          for (let r = 0; r < rows.length; r++) if (a.action === 'annotate' || anomalous(logps[r]!)) next.push(rows[r]!);
        }
        rows.length = 0;
        next.end();
      },
    };
  },
});

/** A value that is a number (any of a multivalue's values). */
function isNumber(v: FieldValue): boolean {
  return valuesOf(v).some((x) => toNumber(x) !== null);
}

/** A categorical value's identity: its text; a multivalue's values joined by newlines (one category). */
function keyOf(v: FieldValue): string {
  return isMultivalue(v) ? v.map(toText).join('\n') : toText(v as string);
}
