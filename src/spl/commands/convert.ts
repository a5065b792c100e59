import type { Result } from '../../events/result.js';
import { finite, mv, toNumber, toText, type FieldValue, type Scalar } from '../../events/value.js';
import { fieldPattern, fieldPatternRenamer, isInternalField, wildcardCount } from '../fields.js';
import type { Span } from '../source.js';
import { formatCtime, strptime } from '../time/format.js';
import { defineCommand } from './types.js';

type ConvertFn = 'ctime' | 'mktime' | 'mstime' | 'dur2sec' | 'num' | 'auto' | 'rmcomma' | 'rmunit' | 'memk' | 'none';
const FUNCTIONS: readonly ConvertFn[] = ['ctime', 'mktime', 'mstime', 'dur2sec', 'num', 'auto', 'rmcomma', 'rmunit', 'memk', 'none'];
export const DEFAULT_TIMEFORMAT = '%m/%d/%Y %H:%M:%S';

export interface ConvertArgs {
  timeformat: string;
  conversions: { fn: ConvertFn; field: string; as: string | null; span: Span }[];
}

/**
 * `convert [timeformat="..."] fn(field) [AS new] ...`: converts values in place unless AS is given
 * (field names may use `*`). Functions (Search Reference, convert):
 * - auto(): a number by the first known conversion that applies: numeric text, a number with comma
 *   separators (1,234), a duration [D+]HH:MM:SS (the docs convert HH:MM:SS times with num()). "If not all
 *   values of a particular field can be converted", the field is left untouched: *decision*, a streaming
 *   command cannot look ahead, so this holds per result (all values of a multivalue, or none).
 * - num(): like auto(), "except non-convertible values are removed" (a field with none left is removed).
 * - rmcomma(): removes every comma and keeps the text (`1,000,000.00` gives `1000000.00`).
 * - ctime/mktime (with `timeformat`, default `%m/%d/%Y %H:%M:%S`, in the search's time zone), mstime
 *   ([MM:]SS.SSS), dur2sec ([D+]HH:MM:SS), rmunit (leading number), memk (k/m/g to kilobytes): a value that
 *   does not have the form is left as it is.
 * - none(): the fields it names (wildcards allowed) are kept out of every other conversion of the command
 *   (`convert auto(*) none(foo)`).
 * A pattern's AS name has as many `*` as it (`ctime(*time) AS *_str`: each match gets its own name, as rename
 * maps them); a pattern matches internal fields (`_time`, `_raw`) only when it begins with `_` (*decision*, as
 * stats and replace: `convert num(*)` removed `_raw` and `ctime(*)` turned `_time` into text).
 */
export const convertCommand = defineCommand<ConvertArgs>({
  name: 'convert',
  doc: 'convert [timeformat=<fmt>] <fn>(<field>) [AS <new>]...: ctime, mktime, dur2sec, num, auto, rmcomma, rmunit, memk, none.',
  parse: (p) => {
    let timeformat = DEFAULT_TIMEFORMAT;
    const conversions: ConvertArgs['conversions'] = [];
    for (;;) {
      const o = p.option(['timeformat']);
      if (o) {
        timeformat = o.value;
        continue;
      }
      if (p.accept('comma')) continue;
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (t.kind !== 'word') throw p.error(`expected a conversion function such as ctime(field), found '${t.value}'`, t.span);
      const fn = t.value.toLowerCase() as ConvertFn;
      if (!FUNCTIONS.includes(fn)) throw p.error(`unknown convert function "${t.value}" (expected one of ${FUNCTIONS.join(', ')})`, t.span, 'SPL_BAD_ARGUMENT');
      p.next('search');
      p.expect('lparen', `\`(\` after ${t.value}`);
      const f = p.fieldName();
      const close = p.expect('rparen', '`)`');
      let as: string | null = null;
      let end = close.span.end;
      if (p.acceptWord('as')) {
        const n = p.fieldName('a name after AS');
        // One name for every field a pattern matches would keep only the last one's value.
        if (wildcardCount(n.name) !== wildcardCount(f.name)) {
          throw p.error(`the AS name of ${t.value}(${f.name}) needs as many wildcards as its field (${wildcardCount(f.name)})`, n.span, 'SPL_BAD_ARGUMENT');
        }
        as = n.name;
        end = n.span.end;
      }
      conversions.push({ fn, field: f.name, as, span: { start: t.span.start, end } });
    }
    if (conversions.length === 0) throw p.error('convert needs a conversion, e.g. ctime(_time)', p.peek('search').span);
    return { timeformat, conversions };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => {
    const converting = a.conversions.filter((c) => c.fn !== 'none');
    return converting.some((c) => c.field.includes('*')) ? '*' : converting.map((c) => c.as ?? c.field);
  },
  create: (args, ctx, next) => {
    // Fields named by none() take part in no conversion.
    const keep = args.conversions.filter((c) => c.fn === 'none').map((c) => fieldPattern(c.field));
    const excluded = (name: string) => keep.some((m) => m(name));
    const steps = args.conversions.flatMap((c) => {
      if (c.fn === 'none') return [];
      const conv = converter(c.fn, args.timeformat, ctx.tz);
      const apply = (row: Result, name: string, target: string) => {
        if (excluded(name)) return;
        const v = row.get(name);
        if (v === null) return;
        if (!Array.isArray(v)) {
          // A single value, as the general path below gives it without its three arrays per row.
          const x = conv(v as Scalar);
          row.set(target, x ?? (c.fn === 'num' ? null : v));
          return;
        }
        const vs = v as readonly Scalar[];
        const out = vs.map(conv);
        let result: FieldValue | null;
        if (c.fn === 'num') result = mv(out.filter((x): x is Scalar => x !== null));
        else if (c.fn === 'auto') result = out.includes(null) ? v : mv(out as Scalar[]);
        else result = mv(out.map((x, i) => x ?? vs[i]!));
        row.set(target, result);
      };
      if (!c.field.includes('*')) return [(row: Result) => apply(row, c.field, c.as ?? c.field)];
      const m = fieldPattern(c.field);
      const internal = c.field.startsWith('_');
      const targetOf = c.as === null ? null : fieldPatternRenamer(c.field, c.as);
      return [
        (row: Result) => {
          for (const n of row.fieldNames()) if (m(n) && (internal || !isInternalField(n))) apply(row, n, targetOf?.(n) ?? n);
        },
      ];
    });
    return {
      push: (row) => {
        for (const s of steps) s(row);
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});

const DURATION = /^(?:(\d+)\+)?(\d+):(\d{1,2}):(\d{1,2})$/;

function dur2sec(t: string): number | null {
  const m = DURATION.exec(t);
  return m ? finite(Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4])) : null;
}

/** auto()'s known conversions, in order: a number, a number with comma separators, a duration. */
function autoNumber(v: Scalar): number | null {
  const n = toNumber(v);
  if (n !== null) return n;
  const t = toText(v);
  return (t.includes(',') ? toNumber(t.replace(/,/g, '')) : null) ?? dur2sec(t);
}

/** The conversion of one value, or null when the value does not have the function's form (or is past the largest double). */
function converter(fn: Exclude<ConvertFn, 'none'>, timeformat: string, tz: string): (v: Scalar) => Scalar | null {
  switch (fn) {
    case 'ctime':
      return (v) => {
        const n = toNumber(v);
        return n === null ? null : formatCtime(n, timeformat, tz);
      };
    case 'mktime':
      return (v) => strptime(toText(v), timeformat, tz);
    case 'mstime':
      return (v) => {
        const m = /^(?:(\d+):)?(\d+)(?:\.(\d+))?$/.exec(toText(v));
        if (!m) return null;
        return finite(Number(m[1] ?? 0) * 60 + Number(m[2]) + (m[3] ? Number('0.' + m[3]) : 0));
      };
    case 'dur2sec':
      return (v) => dur2sec(toText(v));
    case 'num':
    case 'auto':
      return autoNumber;
    case 'rmcomma':
      return (v) => toText(v).replace(/,/g, '');
    case 'rmunit':
      return (v) => {
        const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(toText(v));
        return m ? finite(Number(m[1])) : null;
      };
    case 'memk':
      return (v) => {
        const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*([kKmMgG]?)\s*$/.exec(toText(v));
        if (!m) return null;
        const mult = { '': 1, k: 1, m: 1024, g: 1024 * 1024 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
        return finite(Number(m[1]) * mult);
      };
  }
}
