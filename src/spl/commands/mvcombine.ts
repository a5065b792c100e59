import type { Result } from '../../events/result.js';
import { toText, valuesOf, type Multivalue, type Scalar } from '../../events/value.js';
import { SplError } from '../source.js';
import { defineCommand } from './types.js';

/**
 * The most values one mvcombine collects in all (*decision*: the reference gives none): every combined value is kept
 * until the input ends, besides the results themselves (bounded by `search.maxMemory` as sort's are). Past it the
 * search stops with SPL_RUNTIME at the command.
 */
export const MAX_MVCOMBINE_VALUES = 10_000_000;

export interface MvcombineArgs {
  field: string;
  delim: string;
}

/**
 * The `delim=` of the multivalues mvcombine made: `nomv` right after it joins them with it (Search Reference,
 * mvcombine: "If you use the delim argument, you must use the nomv command immediately after the mvcombine command").
 * Keyed by the value itself, so a value made anew (eval, another command) has none.
 */
const DELIMITERS = new WeakMap<Multivalue, string>();

/** A result's fields other than `field`, names and values, as one text: results with the same key are combined. */
function keyOf(row: Result, field: string): string {
  const parts: string[] = [];
  for (const name of row.fieldNames()) {
    if (name === field) continue;
    const v = row.get(name);
    if (v === null) continue;
    // JSON keeps a number apart from its text and a multivalue apart from its joined text.
    parts.push(name, JSON.stringify(Array.isArray(v) ? v : [v]));
  }
  return JSON.stringify(parts.length > 2 ? sortedPairs(parts) : parts);
}

/** Field order does not make results different: the pairs sorted by name. */
function sortedPairs(parts: string[]): string[] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < parts.length; i += 2) pairs.push([parts[i]!, parts[i + 1]!]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return pairs.flat();
}

/**
 * `mvcombine [delim=<string>] <field>` (Search Reference: "Takes a group of events that are identical except for the
 * specified field, which contains a single value, and combines those events into a single event. The specified field
 * becomes a multivalue field that contains all of the single values from the combined events"; "does not apply to
 * internal fields"; a transforming command; delim "Default: a single space").
 * - Results are compared on every other field, internal ones included ("Because raw events have many fields that vary,
 *   this command is most useful after you reduce the set of available fields"), by name and value, in any field order.
 * - *Decision:* groups come out in the order of their first result, each where its first result was; values in input
 *   order, duplicates kept (one per combined result; a multivalue input adds each of its values); a result without
 *   the field (or an empty value) joins its group and adds no value; a group of one value keeps a single value.
 * - `delim=` (default a space) is what `nomv` right after joins the values with (as the reference requires); CSV export
 *   still joins a multivalue with newlines (*Deviation:* Splunk's export shows the delim-joined text).
 * - Holds its input until it ends; at most MAX_MVCOMBINE_VALUES values collected.
 */
export const mvcombineCommand = defineCommand<MvcombineArgs>({
  name: 'mvcombine',
  doc: 'mvcombine [delim=<string>] <field>: combine results identical but for the field into one, the field multivalue.',
  parse: (p) => {
    let delim = ' ';
    const field = p.optionsAndField('mvcombine', ['delim'], (o) => (delim = o.value), 'mvcombine host');
    return { field: field.name, delim };
  },
  kind: () => 'transforming',
  // The first result of a group gives its other fields' place and the values' order.
  orderSensitive: () => true,
  writes: (a) => [a.field],
  create: (args, ctx, next, cmd) => {
    const groups = new Map<string, { row: Result; values: Scalar[] }>();
    let collected = 0;
    return {
      push: (row) => {
        const key = keyOf(row, args.field);
        let g = groups.get(key);
        if (!g) {
          g = { row, values: [] };
          groups.set(key, g);
        }
        for (const v of valuesOf(row.get(args.field))) {
          if (v === '') continue;
          if (++collected > MAX_MVCOMBINE_VALUES) {
            throw new SplError('SPL_RUNTIME', `mvcombine: more than ${MAX_MVCOMBINE_VALUES.toLocaleString('en-US')} values to combine (reduce the results first: fields, stats)`, cmd.nameSpan, ctx.source);
          }
          g.values.push(v);
        }
      },
      end: () => {
        for (const { row, values } of groups.values()) {
          if (values.length === 1) row.set(args.field, values[0]!);
          else if (values.length > 1) {
            DELIMITERS.set(values, args.delim);
            row.set(args.field, values);
          }
          next.push(row);
        }
        groups.clear();
        next.end();
      },
    };
  },
});

/** The joined text nomv writes for a value (newline, or the delim= of the mvcombine that made it). */
export function joinedText(v: Multivalue): string {
  return valuesOf(v).map(toText).join(DELIMITERS.get(v) ?? '\n');
}
