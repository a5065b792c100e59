import type { Result } from '../../events/result.js';
import { isMultivalue, toNumber, toText, type FieldValue } from '../../events/value.js';
import type { ArgParser } from '../parse/parser.js';
import { SplError, type SourceText, type Span } from '../source.js';
import { nearestRank } from '../stats/aggregations.js';
import type { Sink } from './types.js';
import { defineCommand } from './types.js';

/** The IQR method's options, shared by `outlier` and `anomalydetection method=iqr`. */
export interface IqrOptions {
  remove: boolean;
  mark: boolean;
  param: number;
  uselower: boolean;
  /** Empty: every field of the results but the internal ones (`_time`, `_raw`...). */
  fields: string[];
}

/** Without a field list, at most this many distinct field names are examined (each keeps a number per row). */
export const MAX_IQR_FIELDS = 1000;

/**
 * Reads `action=`, `mark=`, `param=`, `uselower=` if the next token is one of them (true), else nothing (false).
 * Actions: remove (rm) and transform (tf), as the reference abbreviates them; case-insensitive (ESCU writes RM).
 */
export function parseIqrOption(p: ArgParser, o: IqrOptions): boolean {
  const opt = p.option(['action', 'mark', 'param', 'uselower']);
  if (!opt) return false;
  if (opt.key === 'action') {
    const a = opt.value.toLowerCase();
    if (a === 'remove' || a === 'rm') o.remove = true;
    else if (a === 'transform' || a === 'tf') o.remove = false;
    else throw p.error(`action must be remove (rm) or transform (tf), not "${opt.value}"`, opt.valueSpan, 'SPL_BAD_ARGUMENT');
  } else if (opt.key === 'param') {
    const n = toNumber(opt.value);
    if (n === null || n < 0) throw p.error(`param must be a number >= 0, not "${opt.value}"`, opt.valueSpan, 'SPL_BAD_ARGUMENT');
    o.param = n;
  } else if (opt.key === 'mark') o.mark = p.parseBool(opt.value, opt.valueSpan);
  else o.uselower = p.parseBool(opt.value, opt.valueSpan);
  return true;
}

/** Every field of the rows but the internal ones, first seen first; more than MAX_IQR_FIELDS is an error at `at`. */
export function allFieldNames(rows: readonly Result[], at: Span, source: SourceText, command: string): string[] {
  const seen = new Set<string>();
  for (const row of rows) {
    for (const f of row.fieldNames()) {
      if (f.startsWith('_') || seen.has(f)) continue;
      if (seen.size >= MAX_IQR_FIELDS) throw new SplError('SPL_BAD_ARGUMENT', `${command}: the results have more than ${MAX_IQR_FIELDS} fields; name the fields to examine`, at, source);
      seen.add(f);
    }
  }
  return [...seen];
}

/** A field's value as a number when it is one number (a multivalue is not: Decision, docs/spl.md). */
function numeric(v: FieldValue | null): number | null {
  return v === null || isMultivalue(v) ? null : toNumber(v);
}

/**
 * The IQR method over all the rows (it holds them, then emits them in input order). Per field, over its
 * numeric values: p25 and p75 by nearest rank (Splunk's percentile method, `perc`), IQR = p75 - p25; a value
 * above p75 + param*IQR, or below p25 - param*IQR with uselower, is an outlier ("If the value of a field in an
 * event is less than (25th percentile) - param*IQR or greater than (75th percentile) + param*IQR, that field is
 * transformed or that event is removed based on the action parameter"). Transform sets it to that bound, as
 * "000<bound>" with mark=true; remove drops the row. Values that are not numbers are left alone.
 */
export function iqrSink(o: IqrOptions, next: Sink, at: Span, source: SourceText, command: string): Sink {
  const rows: Result[] = [];
  return {
    push: (row) => {
      rows.push(row);
    },
    end: () => {
      const fields = o.fields.length > 0 ? o.fields : allFieldNames(rows, at, source, command);
      const bounds = fields.map((f) => {
        const xs: number[] = [];
        for (const row of rows) {
          const n = numeric(row.get(f));
          if (n !== null) xs.push(n);
        }
        if (xs.length === 0) return null;
        xs.sort((a, b) => a - b);
        const p25 = nearestRank(xs, 25);
        const p75 = nearestRank(xs, 75);
        const iqr = p75 - p25;
        return { low: o.uselower ? p25 - o.param * iqr : -Infinity, high: p75 + o.param * iqr };
      });
      for (const row of rows) {
        let drop = false;
        for (let i = 0; i < fields.length && !drop; i++) {
          const b = bounds[i];
          if (!b) continue;
          const n = numeric(row.get(fields[i]!));
          if (n === null || (n >= b.low && n <= b.high)) continue;
          if (o.remove) drop = true;
          else {
            const bound = n > b.high ? b.high : b.low;
            row.set(fields[i]!, o.mark ? `000${toText(bound)}` : bound);
          }
        }
        if (!drop) next.push(row);
      }
      rows.length = 0;
      next.end();
    },
  };
}

/**
 * `outlier [action=remove|transform] [mark=<bool>] [param=<num>] [uselower=<bool>] [<field-list>]`: removes or
 * truncates outlying numeric values by the inter-quartile range (iqrSink). Options and fields in any order;
 * field names, not wildcards. It needs all its input: it runs in the final part of a split search.
 */
export const outlierCommand = defineCommand<IqrOptions>({
  name: 'outlier',
  doc: 'outlier [action=remove|transform] [mark=<bool>] [param=<num>] [uselower=<bool>] [<field>...]: remove or truncate values outside param*IQR of the quartiles.',
  parse: (p) => {
    const o: IqrOptions = { remove: false, mark: false, param: 2.5, uselower: false, fields: [] };
    for (;;) {
      if (parseIqrOption(p, o)) continue;
      const list = p.fieldList();
      if (list.length === 0) {
        const t = p.peek('search');
        if (t.kind === 'eof') break;
        throw p.error(`unexpected '${t.value}': outlier takes action=, mark=, param=, uselower= and field names`, t.span);
      }
      for (const f of list) {
        if (f.name.includes('*')) throw p.error('outlier takes field names, not wildcards', f.span, 'SPL_BAD_ARGUMENT');
        o.fields.push(f.name);
      }
    }
    return o;
  },
  kind: () => 'transforming',
  orderSensitive: () => false,
  writes: (o) => (o.fields.length === 0 ? '*' : o.fields),
  create: (o, ctx, next, cmd) => iqrSink(o, next, cmd.nameSpan, ctx.source, 'outlier'),
});
