import type { Result } from '../../events/result.js';
import { finite } from '../../events/value.js';
import { ExactSum } from '../stats/exact-sum.js';
import { numberValue } from './accum.js';
import { defineCommand } from './types.js';

/** Trendline periods, as the reference bounds them: "an integer between 2 and 10000". */
export const MIN_TREND_PERIOD = 2;
export const MAX_TREND_PERIOD = 10_000;
/** The periods of one trendline add up to at most this many kept values (8 MB): 100 trends of the largest period. */
export const MAX_TREND_WINDOW_VALUES = 1_000_000;

type TrendType = 'sma' | 'ema' | 'wma';

export interface Trend {
  type: TrendType;
  period: number;
  field: string;
  as: string;
}

/**
 * `trendline (<sma|ema|wma><period>(<field>) [AS <newfield>])...`: moving averages in search order (Search Reference:
 * "SMA and WMA both compute a sum over the period of most recent values. WMA puts more weight on recent values"; the
 * period is "an integer between 2 and 10000"; default name `<trendtype><period>(<field>)`, as written). The reference
 * is silent on the start and on values that are not numbers, and its EMA formula has the weights swapped
 * ("EMA(t) = alpha * EMA(t-1) + (1 - alpha) * field(t)"); vigil does what Splunk's own trendline.py does
 * (splunk.Intersplunk, "validTypes = ['sma', 'wma', 'ema']"), *decisions* written in docs/spl.md:
 * - the window is the last `period` **numeric** values (others are skipped); until it is full a result gets no value;
 * - sma = sum / period; wma = Σ i·v_i / (period·(period+1)/2), the newest value weighted `period`;
 * - ema starts at the value that fills the window, then `alpha·v + (1 − alpha)·ema` with alpha = 2/(period+1);
 * - once full, a result without a number gets a value too: the same sma/wma, and an ema that takes the last number
 *   again (trendline.py recomputes from the unchanged window).
 * Sums are exact (stats/exact-sum.ts) and slide: O(1) per result, the window (≤ 10,000 numbers per trend, and
 * MAX_TREND_WINDOW_VALUES for all trends of the command) kept.
 */
export const trendlineCommand = defineCommand<Trend[]>({
  name: 'trendline',
  doc: 'trendline <sma|ema|wma><period>(<field>) [AS <newfield>]...: moving averages (period 2-10000).',
  parse: (p) => {
    const trends: Trend[] = [];
    let kept = 0;
    while (!p.atEnd()) {
      const spec = p.fieldName('a trend such as sma5(bytes)');
      // trendline.py takes each argument as a word: `sma5(a b)` is the arguments `sma5(a` and `b)`, "Invalid argument".
      if (/\s/.test(spec.name)) throw p.error(`invalid argument "${spec.name}": a trend is one word, such as sma5(bytes)`, spec.span);
      const m = /^([A-Za-z]+)(\d*)\((.*)\)$/s.exec(spec.name);
      if (!m) throw p.error(`expected a trend such as sma5(bytes), ema10(bytes) or wma3(bytes), found "${spec.name}"`, spec.span);
      const [, type, digits, field] = m as unknown as [string, string, string, string];
      if (type !== 'sma' && type !== 'ema' && type !== 'wma') throw p.error(`unknown trend type "${type}": use sma, ema or wma`, spec.span, 'SPL_BAD_ARGUMENT');
      const period = Number(digits);
      if (digits === '' || period < MIN_TREND_PERIOD || period > MAX_TREND_PERIOD) {
        throw p.error(`the period of ${spec.name} must be an integer between ${MIN_TREND_PERIOD} and ${MAX_TREND_PERIOD}`, spec.span, 'SPL_BAD_ARGUMENT');
      }
      // trendline.py: "Invalid or empty field".
      if (field === '' || field.startsWith('__')) throw p.error(`invalid or empty field "${field}" in ${spec.name}`, spec.span, 'SPL_BAD_ARGUMENT');
      kept += period;
      if (kept > MAX_TREND_WINDOW_VALUES) {
        throw p.error(`the periods of one trendline add up to more than ${MAX_TREND_WINDOW_VALUES} values kept; split it`, spec.span, 'SPL_BAD_ARGUMENT');
      }
      const as = p.acceptWord('as') ? p.fieldName('a field name after AS').name : spec.name;
      trends.push({ type, period, field, as });
    }
    if (trends.length === 0) throw p.error('trendline needs a trend such as sma5(bytes)', p.peek('search').span);
    return trends;
  },
  kind: () => 'streaming',
  orderSensitive: () => true,
  writes: (trends) => trends.map((t) => t.as),
  create: (trends, _ctx, next) => {
    const running = trends.map(movingAverage);
    return {
      push: (row) => {
        // In order, on the row: a later trend reads what an earlier one wrote (as trendline.py does).
        for (const r of running) r(row);
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});

/** One trend's state: writes its value onto each result once its window is full. */
function movingAverage(t: Trend): (row: Result) => void {
  const n = t.period;
  const window = new Float64Array(n);
  let count = 0;
  // The window's sum (sma, wma) and Σ i·v_i with the oldest value weighted 1 (wma).
  let sum = new ExactSum();
  let weighted = new ExactSum();
  let ema: number | null = null;
  const alpha = 2 / (n + 1);

  /** Sums again from the window, after an overflow (an ExactSum keeps one for good). */
  const resum = (): void => {
    sum = new ExactSum();
    weighted = new ExactSum();
    const len = Math.min(count, n);
    const oldest = count > n ? count % n : 0;
    for (let i = 0; i < len; i++) {
      const v = window[(oldest + i) % n]!;
      sum.add(v);
      if (t.type === 'wma') weighted.addProduct(i + 1, v);
    }
  };

  const add = (v: number): void => {
    if (t.type === 'wma') {
      // Sliding: every weight drops by one (Σ i·v_i − Σ v_i; the oldest value leaves with weight 0), the new one
      // comes in at weight n; until the window is full it comes in at its place.
      if (count >= n) for (const x of sum.partials) weighted.add(-x);
      weighted.addProduct(Math.min(count + 1, n), v);
    }
    if (t.type !== 'ema') {
      if (count >= n) sum.add(-window[count % n]!);
      sum.add(v);
    }
    window[count % n] = v;
    count++;
    if (sum.nonFinite !== 0 || weighted.nonFinite !== 0 || sum.overflowed || weighted.overflowed) resum();
  };

  return (row) => {
    const v = numberValue(row.get(t.field));
    if (v !== null) add(v);
    if (count < n) return;
    let value: number;
    if (t.type === 'sma') value = sum.value() / n;
    else if (t.type === 'wma') value = weighted.value() / ((n * (n + 1)) / 2);
    else {
      const last = window[(count - 1) % n]!;
      ema = ema === null ? last : alpha * last + (1 - alpha) * ema;
      value = ema;
    }
    // An average past the largest double (a sum that overflowed) is no value: null removes the field.
    row.set(t.as, finite(value));
  };
}
