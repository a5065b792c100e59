import { Row, type Result } from '../../events/result.js';
import { finite, toNumber, type FieldValue } from '../../events/value.js';
import { fieldPattern, isInternalField } from '../fields.js';
import type { ArgParser } from '../parse/parser.js';
import type { Span } from '../source.js';
import { ExactSum } from '../stats/exact-sum.js';
import { defineCommand, type CommandBlueprint } from './types.js';

export interface AddtotalsArgs {
  row: boolean;
  col: boolean;
  labelfield: string | null;
  label: string;
  fieldname: string;
  /** The field list (wildcards allowed); empty = every field that is not internal. */
  fields: string[];
}

const OPTIONS = ['row', 'col', 'labelfield', 'label', 'fieldname'];
/** addcoltotals' options: its summary result is always made, never a row total. */
const COL_OPTIONS = ['labelfield', 'label'];

/** A single value that reads as a number ("3" too: Splunk keeps values as text); a multivalue is not one. */
function numberOf(v: FieldValue | null): number | null {
  return v === null || Array.isArray(v) ? null : toNumber(v as string | number);
}

/**
 * `addtotals [row=<bool>] [col=<bool>] [labelfield=<field>] [label=<string>] [fieldname=<field>] [<field-list>]`
 * (SPL reference, addtotals): "computes the arithmetic sum of all numeric fields for each search result".
 *
 * - `row=true` (default) writes each result's sum into `fieldname` (default `Total`); `col=true` (default false)
 *   "adds a new result at the end that represents the sum of each field", with `label` (default `Total`) in
 *   `labelfield` when given ("labelfield, if specified, is a field that will be added to this summary event with
 *   the value set by the 'label' option"): the results pass unchanged in their order, then the summary result.
 * - The field list names the fields summed, with wildcards ("count*"); without one, every field with a numeric
 *   value. A value counts when its text is a number (`"3"`, as Splunk's values are text); other text is skipped.
 * - Streaming with `col=false`; with `col=true` it needs every result ("a transforming command" for column
 *   totals), so a search split over threads computes it in its final part. Sums are exact (stats/exact-sum.ts):
 *   they do not depend on the order of the results.
 * - *Decisions*: internal fields (`_time`) are summed only when named (a pattern starting with `_` included);
 *   the `fieldname` field is not summed into itself unless named; a multivalue field is not a number; a result
 *   with no numeric field gets no total; a column with no numeric value gets no sum; the summary result's own
 *   `fieldname` is its row total (the sum of the column sums) and `label` overwrites a sum in `labelfield`; no
 *   input, no summary result.
 */
const ADDTOTALS: CommandBlueprint<AddtotalsArgs> = {
  name: 'addtotals',
  doc: 'addtotals [row=<bool>] [col=<bool>] [labelfield=<f>] [label=<s>] [fieldname=<f>] [<fields>]: sum numeric fields per result (Total) and/or per column (a summary result).',
  parse: (p) => parseArgs(p, 'addtotals', OPTIONS, { row: true, col: false }),
  kind: (a) => (a.col ? 'transforming' : 'streaming'),
  orderSensitive: () => false,
  writes: (a) => (a.col ? '*' : a.row ? [a.fieldname] : []),
  create: (args, _ctx, next) => {
    const summed = summedFields(args);
    const rowTotal = (row: Result): void => {
      const sum = new ExactSum();
      let any = false;
      for (const f of summed(row)) {
        const n = numberOf(row.get(f));
        if (n === null) continue;
        sum.add(n);
        any = true;
      }
      if (any) row.set(args.fieldname, finite(sum.value()));
    };
    if (!args.col) {
      if (!args.row) return next;
      return {
        push: (row) => {
          rowTotal(row);
          next.push(row);
        },
        end: () => next.end(),
      };
    }
    // Column sums by field, in the order fields are first seen; results pass on at once (none is held).
    const columns = new Map<string, ExactSum>();
    let seen = false;
    return {
      push: (row) => {
        seen = true;
        if (args.row) rowTotal(row);
        for (const f of summed(row)) {
          const n = numberOf(row.get(f));
          if (n === null) continue;
          let s = columns.get(f);
          if (!s) columns.set(f, (s = new ExactSum()));
          s.add(n);
        }
        next.push(row);
      },
      end: () => {
        if (seen) {
          const summary = new Row();
          for (const [f, s] of columns) summary.set(f, finite(s.value()));
          if (args.row) rowTotal(summary);
          if (args.labelfield !== null) summary.set(args.labelfield, args.label);
          next.push(summary);
        }
        next.end();
      },
    };
  },
};
export const addtotalsCommand = defineCommand(ADDTOTALS);

/**
 * `addcoltotals [labelfield=<field>] [label=<string>] [<wc-field-list>]` (SPL reference, addcoltotals): "appends a
 * new result to the end of the search result set. The result contains the sum of each numeric field or you can
 * specify which fields to summarize"; `label` (default `Total`) "has no effect" without `labelfield`. The reference
 * names `addtotals col=true` as its alternative, so it is that operator without row totals.
 */
export const addcoltotalsCommand = defineCommand<AddtotalsArgs>({
  ...ADDTOTALS,
  name: 'addcoltotals',
  doc: 'addcoltotals [labelfield=<f>] [label=<s>] [<fields>]: append a result with the sum of each numeric field.',
  parse: (p) => parseArgs(p, 'addcoltotals', COL_OPTIONS, { row: false, col: true }),
});

/** The arguments of addtotals, or of addcoltotals (`options` are those its syntax lists). */
function parseArgs(p: ArgParser, name: string, options: readonly string[], mode: { row: boolean; col: boolean }): AddtotalsArgs {
  const args: AddtotalsArgs = { ...mode, labelfield: null, label: 'Total', fieldname: 'Total', fields: [] };
  const fieldOption = (value: string, span: Span, key: string) => {
    if (value === '' || value.includes('*')) throw p.error(`${key}= takes a field name, not ${value === '' ? 'an empty one' : 'a wildcard'}`, span, 'SPL_BAD_ARGUMENT');
    return value;
  };
  for (;;) {
    if (p.accept('comma')) continue;
    const o = p.option(options);
    if (o) {
      if (o.key === 'row') args.row = p.parseBool(o.value, o.valueSpan);
      else if (o.key === 'col') args.col = p.parseBool(o.value, o.valueSpan);
      else if (o.key === 'label') args.label = o.value;
      else if (o.key === 'labelfield') args.labelfield = fieldOption(o.value, o.valueSpan, o.key);
      else args.fieldname = fieldOption(o.value, o.valueSpan, o.key);
      continue;
    }
    const list = p.fieldList();
    if (list.length > 0) {
      for (const f of list) if (!args.fields.includes(f.name)) args.fields.push(f.name);
      continue;
    }
    const t = p.peek('search');
    if (t.kind === 'eof') break;
    const what = t.kind === 'word' && p.peek2('search').value === '=' ? `unknown option ${t.value}=` : `unexpected ${t.kind === 'string' ? `"${t.value}"` : `'${t.value}'`}`;
    throw p.error(`${what}: ${name} takes ${options.map((k) => `${k}=`).join(', ')} and field names`, t.span);
  }
  return args;
}

/** The fields of a row that addtotals sums (those it reads numbers from). */
function summedFields(args: AddtotalsArgs): (row: Result) => readonly string[] {
  // The total's own field is not summed into itself (a second addtotals, the summary result) unless named.
  const own = (n: string) => args.row && n === args.fieldname;
  if (args.fields.length === 0) return (row) => row.fieldNames().filter((n) => !isInternalField(n) && !own(n));
  if (!args.fields.some((f) => f.includes('*'))) return () => args.fields;
  const matchers = args.fields.map((f) => {
    if (!f.includes('*')) return (n: string) => n === f;
    const m = fieldPattern(f);
    return f.startsWith('_') ? (n: string) => m(n) && !own(n) : (n: string) => m(n) && !isInternalField(n) && !own(n);
  });
  return (row) => row.fieldNames().filter((n) => matchers.some((m) => m(n)));
}
