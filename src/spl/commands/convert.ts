import type { Result } from '../../events/result.js';
import { mv, toNumber, toText, type Scalar } from '../../events/value.js';
import { fieldPattern } from '../fields.js';
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
 * `convert [timeformat="..."] ctime(f) [AS g] ...`: converts values in place unless AS is given.
 * ctime renders epoch seconds with `timeformat` (default `%m/%d/%Y %H:%M:%S`) in the search's time zone;
 * values that are not numbers are left as they are.
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
  writes: (a) => (a.conversions.some((c) => c.field.includes('*')) ? '*' : a.conversions.map((c) => c.as ?? c.field)),
  create: (args, ctx, next) => {
    const steps = args.conversions.map((c) => {
      const conv = converter(c.fn, args.timeformat, ctx.tz);
      const apply = (row: Result, name: string) => {
        const v = row.get(name);
        if (v === null) return;
        row.set(c.as ?? name, Array.isArray(v) ? mv((v as readonly Scalar[]).map(conv)) : conv(v as Scalar));
      };
      if (!c.field.includes('*')) return (row: Result) => apply(row, c.field);
      const m = fieldPattern(c.field);
      return (row: Result) => {
        for (const n of row.fieldNames()) if (m(n)) apply(row, n);
      };
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

function converter(fn: ConvertFn, timeformat: string, tz: string): (v: Scalar) => Scalar {
  switch (fn) {
    case 'ctime':
      return (v) => {
        const n = toNumber(v);
        return n === null ? v : formatCtime(n, timeformat, tz);
      };
    case 'mktime':
      return (v) => {
        const n = strptime(toText(v), timeformat, tz);
        return n === null ? v : n;
      };
    case 'mstime':
      return (v) => {
        const m = /^(?:(\d+):)?(\d+)(?:\.(\d+))?$/.exec(toText(v));
        if (!m) return v;
        return Number(m[1] ?? 0) * 60 + Number(m[2]) + (m[3] ? Number('0.' + m[3]) : 0);
      };
    case 'dur2sec':
      return (v) => {
        const m = /^(?:(\d+)\+)?(\d+):(\d{1,2}):(\d{1,2})$/.exec(toText(v));
        if (!m) return v;
        return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
      };
    case 'num':
      return (v) => toNumber(v) ?? v;
    case 'auto':
      return (v) => toNumber(v) ?? toNumber(toText(v).replace(/,/g, '')) ?? v;
    case 'rmcomma':
      return (v) => {
        const t = toText(v).replace(/,/g, '');
        return toNumber(t) ?? t;
      };
    case 'rmunit':
      return (v) => {
        const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(toText(v));
        return m ? Number(m[1]) : v;
      };
    case 'memk':
      return (v) => {
        const m = /^\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*([kKmMgG]?)\s*$/.exec(toText(v));
        if (!m) return v;
        const mult = { '': 1, k: 1, m: 1024, g: 1024 * 1024 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
        return Number(m[1]) * mult;
      };
    case 'none':
      return (v) => v;
  }
}
