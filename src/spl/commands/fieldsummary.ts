import { Row } from '../../events/result.js';
import { compareText, toNumber, toText, valuesOf, type FieldValue } from '../../events/value.js';
import { fieldPattern, isInternalField } from '../fields.js';
import { aggregationFor, type Accumulator } from '../stats/aggregations.js';
import { MAX_WILDCARD_FIELDS } from '../stats/wildcard.js';
import { defineCommand } from './types.js';

/** "maxvals ... Default: 100"; 0 lists every distinct value kept. */
const DEFAULT_MAXVALS = 100;
/** Distinct values counted per field; past it a field's distinct_count is a lower bound and is_exact 0. */
export const FIELDSUMMARY_MAX_DISTINCT = 10_000;
/** Characters of distinct values kept over all fields (~100 MB); past it no new value is kept (is_exact 0). */
export const FIELDSUMMARY_MAX_CHARS = 50_000_000;
/** Fields summarized, as a stats field pattern's (stats/wildcard.ts); further fields are left out, with a warning. */
const FIELDSUMMARY_MAX_FIELDS = MAX_WILDCARD_FIELDS;
/** Names of fields left out that are remembered (rows share names). */
const MAX_REMEMBERED_NAMES = 10_000;

export interface FieldsummaryArgs {
  /** 0: all kept values. */
  maxvals: number;
  /** Field patterns; none: every field that is not internal. */
  patterns: string[];
}

/** What is known of one field so far. */
interface FieldSummary {
  count: number;
  numericCount: number;
  /** min, max, avg, stdev of the numeric values: the stats functions' own accumulators. */
  numeric: [Accumulator, Accumulator, Accumulator, Accumulator];
  values: Map<string, number>;
  exact: boolean;
}

/**
 * `fieldsummary [maxvals=N] [<wc-field>...]`: one row per field with field, count ("The number of events/results with
 * that field"), distinct_count, is_exact, max, mean, min, numeric_count, stdev (of its numeric values; absent when it
 * has none) and values (a JSON array of {"value","count"}, most frequent first, at most maxvals of them). Rows in field
 * name order; every value of a multivalue counts.
 */
export const fieldsummaryCommand = defineCommand<FieldsummaryArgs>({
  name: 'fieldsummary',
  doc: 'fieldsummary [maxvals=N] [<field>...]: summary statistics of each field (count, distinct_count, min, max, mean, stdev, top values).',
  parse: (p) => {
    let maxvals = DEFAULT_MAXVALS;
    const patterns: string[] = [];
    for (;;) {
      const o = p.option(['maxvals']);
      if (o) {
        maxvals = p.parseInt(o.value, o.valueSpan, 0);
        continue;
      }
      const list = p.fieldList(['maxvals']);
      if (list.length === 0) break;
      patterns.push(...list.map((f) => f.name));
    }
    p.expectEnd();
    return { maxvals, patterns };
  },
  kind: () => 'transforming',
  orderSensitive: () => false,
  ordersOutput: () => true,
  writes: () => '*',
  emitsOwnRows: () => true,
  outputFields: () => ({ fields: new Set(COLUMNS), open: false }),
  create: (args, ctx, next, cmd) => {
    const matchers = args.patterns.map((pattern) => ({ test: fieldPattern(pattern), wildcard: pattern.includes('*') }));
    const wanted = (name: string): boolean => {
      if (matchers.length === 0) return !isInternalField(name);
      return matchers.some((m) => m.test(name) && !(m.wildcard && isInternalField(name)));
    };
    const fields = new Map<string, FieldSummary | null>();
    let summarized = 0;
    let chars = 0;
    let warned = false;
    const summaryOf = (name: string): FieldSummary | null => {
      let s = fields.get(name);
      if (s !== undefined) return s;
      s = null;
      if (wanted(name)) {
        if (summarized < FIELDSUMMARY_MAX_FIELDS) {
          s = { count: 0, numericCount: 0, numeric: [create('min'), create('max'), create('avg'), create('stdev')], values: new Map(), exact: true };
          summarized++;
        } else if (!warned) {
          warned = true;
          ctx.warn(`fieldsummary: more than ${FIELDSUMMARY_MAX_FIELDS} fields; the others are left out`, cmd.nameSpan);
        }
      }
      // Names left out are remembered up to a bound too (ever-new names must not grow it).
      if (s !== null || fields.size < MAX_REMEMBERED_NAMES) fields.set(name, s);
      return s;
    };
    const add = (s: FieldSummary, v: FieldValue): void => {
      s.count++;
      for (const value of valuesOf(v)) {
        const n = toNumber(value);
        if (n !== null) {
          s.numericCount++;
          for (const a of s.numeric) a.add(n, null);
        }
        const text = toText(value);
        const seen = s.values.get(text);
        if (seen !== undefined) s.values.set(text, seen + 1);
        else if (s.values.size < FIELDSUMMARY_MAX_DISTINCT && chars + text.length <= FIELDSUMMARY_MAX_CHARS) {
          s.values.set(text, 1);
          chars += text.length;
        } else s.exact = false;
      }
    };
    return {
      push: (row) => {
        for (const name of row.fieldNames()) {
          const v = row.get(name);
          if (v === null) continue;
          const s = summaryOf(name);
          if (s) add(s, v);
        }
      },
      end: () => {
        const names = [...fields].filter(([, s]) => s !== null).map(([n]) => n);
        names.sort(compareText);
        for (const name of names) next.push(summaryRow(name, fields.get(name)!, args.maxvals));
        next.end();
      },
    };
  },
});

const COLUMNS = ['field', 'count', 'distinct_count', 'is_exact', 'max', 'mean', 'min', 'numeric_count', 'stdev', 'values'];

function create(fn: string): Accumulator {
  return aggregationFor(fn)!.create();
}

function summaryRow(name: string, s: FieldSummary, maxvals: number): Row {
  const [min, max, mean, stdev] = s.numeric.map((a) => a.result());
  // Most frequent first; equal counts in value order.
  const top = [...s.values].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
  const shown = maxvals === 0 ? top : top.slice(0, maxvals);
  return new Row({
    field: name,
    count: s.count,
    distinct_count: s.values.size,
    is_exact: s.exact ? 1 : 0,
    max,
    mean,
    min,
    numeric_count: s.numericCount,
    stdev,
    values: '[' + shown.map(([value, count]) => `{"value":${JSON.stringify(value)},"count":${count}}`).join(',') + ']',
  });
}
