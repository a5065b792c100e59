import { mv, toNumber, valuesOf, type Scalar } from '../../events/value.js';
import type { ArgParser } from '../parse/parser.js';
import type { Span } from '../source.js';
import { defineCommand } from './types.js';

/** The most ranges one rangemap takes (*decision*: each is tested per result, so this bounds its work per result). */
export const MAX_RANGEMAP_RANGES = 1_000;

export interface RangemapArgs {
  field: string;
  ranges: { name: string; start: number; end: number }[];
  default: string;
}

/** `<num>-<num>`, either side negative or a decimal: `-5--1`, `0-0`, `1.5-3`. */
const RANGE = /^(-?(?:\d+\.?\d*|\.\d+))-(-?(?:\d+\.?\d*|\.\d+))$/;

/**
 * `rangemap field=<field> [<attribute_name>=<numeric_range>]... [default=<string>]` (Search Reference: "adds in a new
 * field called range to each event"; "Set the range field to the names of any attribute_name that the value of the
 * input field is within. If no range is matched, the range value is set to the default value"; "The ranges that you
 * set can overlap. If you have overlapping values, the range field is created as a multivalue field containing all the
 * values that apply"; a range is `<num>-<num>`, "The first value must be lower than the second", e.g.
 * `Dislike=-5--1 DontCare=0-0 Like=1-5`).
 * - Both ends are inclusive (`DontCare=0-0` matches 0). Matches are listed in the order the ranges are written.
 * - *Decision:* without default=, `None` (what Splunk's rangemap writes when no range matches); a value that is
 *   not a number, or a missing field, gets the default; a multivalue field gives the ranges any of its values is in.
 */
export const rangemapCommand = defineCommand<RangemapArgs>({
  name: 'rangemap',
  doc: 'rangemap field=<field> <name>=<start>-<end>... [default=<string>]: set range to the names of the ranges the value is in.',
  parse: (p) => {
    let field: string | null = null;
    let dflt = 'None';
    const ranges: RangemapArgs['ranges'] = [];
    const seen = new Set<string>();
    for (;;) {
      const k = p.peek('search');
      if (k.kind === 'eof') break;
      const eq = p.peek2('search');
      if (k.kind !== 'word' || eq.kind !== 'op' || eq.value !== '=') throw p.error('rangemap takes field=<field>, <name>=<start>-<end> and default=<string>', k.span);
      p.next('search');
      p.next('search');
      const v = p.next('search');
      if (v.kind !== 'word' && v.kind !== 'string') throw p.error(`expected a value for ${k.value}=`, v.span);
      const key = k.value;
      if (key.toLowerCase() === 'field') {
        field = v.value;
        continue;
      }
      if (key.toLowerCase() === 'default') {
        dflt = v.value;
        continue;
      }
      ranges.push(parseRange(p, key, v.value, v.span));
      if (ranges.length > MAX_RANGEMAP_RANGES) throw p.error(`more than ${MAX_RANGEMAP_RANGES} ranges`, k.span, 'SPL_BAD_ARGUMENT');
      if (seen.has(key)) throw p.error(`the range ${key} is given twice`, k.span, 'SPL_BAD_ARGUMENT');
      seen.add(key);
    }
    if (field === null) throw p.error('rangemap needs field=<field>, e.g. rangemap field=count low=0-10 high=11-100', p.peek('search').span);
    return { field, ranges, default: dflt };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => ['range'],
  create: (args, _ctx, next) => ({
    push: (row) => {
      const nums = valuesOf(row.get(args.field))
        .map((v: Scalar) => toNumber(v))
        .filter((n): n is number => n !== null);
      const names = args.ranges.filter((r) => nums.some((n) => n >= r.start && n <= r.end)).map((r) => r.name);
      row.set('range', names.length === 0 ? args.default : mv(names));
      next.push(row);
    },
    end: () => next.end(),
  }),
});

function parseRange(p: ArgParser, name: string, text: string, at: Span): RangemapArgs['ranges'][number] {
  const m = RANGE.exec(text);
  if (!m) throw p.error(`${name}=${text}: a range is <start>-<end>, two numbers such as 0-10 or -5--1`, at, 'SPL_BAD_ARGUMENT');
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw p.error(`${name}=${text}: a range's ends must be finite numbers`, at, 'SPL_BAD_ARGUMENT');
  if (start > end) throw p.error(`${name}=${text}: the first value of a range must not be above the second`, at, 'SPL_BAD_ARGUMENT');
  return { name, start, end };
}
