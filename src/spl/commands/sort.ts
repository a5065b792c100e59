import type { Result } from '../../events/result.js';
import { compareText, firstValue, toNumber, toText, type Scalar } from '../../events/value.js';
import { ipToBigInt } from '../search/cidr.js';
import { defineCommand } from './types.js';

type SortType = 'auto' | 'num' | 'str' | 'ip';

export interface SortArgs {
  limit: number;
  keys: { field: string; desc: boolean; type: SortType }[];
  reverse: boolean;
}

/**
 * `sort [N] [limit=N] [+|-]<field> | num(f) | str(f) | ip(f) ... [desc]`: default limit 10000 (0 = all).
 * Results missing a sort field go last, whatever the direction ("smallest when descending, largest when
 * ascending"). auto: numbers numerically and before text, text in byte order.
 */
export const sortCommand = defineCommand<SortArgs>({
  name: 'sort',
  doc: 'sort [N] [+|-]<field>...: order results (default limit 10000; 0 = unlimited).',
  parse: (p) => {
    let limit = 10000;
    const keys: SortArgs['keys'] = [];
    let reverse = false;
    const t0 = p.peek('search');
    if (t0.kind === 'word' && /^\d+$/.test(t0.value)) {
      p.next('search');
      limit = Number(t0.value);
    }
    for (;;) {
      const o = p.option(['limit']);
      if (o) {
        limit = p.parseInt(o.value, o.valueSpan);
        continue;
      }
      if (p.accept('comma')) continue;
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (t.kind === 'word' && (t.value === 'd' || t.value.toLowerCase() === 'desc') && keys.length > 0 && p.peek2('search').kind === 'eof') {
        p.next('search');
        reverse = true;
        continue;
      }
      let desc = false;
      let name: string;
      let type: SortType = 'auto';
      const tok = p.next('search');
      if (tok.kind !== 'word' && tok.kind !== 'string') throw p.error(`expected a field to sort by, found '${tok.value}'`, tok.span);
      name = tok.value;
      if (tok.kind === 'word' && (name === '-' || name === '+')) {
        desc = name === '-';
        const f = p.fieldName();
        name = f.name;
      } else if (tok.kind === 'word' && (name.startsWith('-') || name.startsWith('+'))) {
        desc = name[0] === '-';
        name = name.slice(1);
      }
      const lower = name.toLowerCase();
      if (['auto', 'num', 'str', 'ip'].includes(lower) && p.peek('search').kind === 'lparen') {
        p.next('search');
        type = lower as SortType;
        name = p.fieldName().name;
        p.expect('rparen', '`)`');
      }
      keys.push({ field: name, desc, type });
    }
    if (keys.length === 0) throw p.error('sort needs at least one field', p.peek('search').span);
    return { limit, keys, reverse };
  },
  kind: () => 'transforming',
  orderSensitive: () => false,
  ordersOutput: () => true,
  writes: () => [],
  create: (args, _ctx, next) => {
    const rows: Result[] = [];
    return {
      push: (row) => void rows.push(row),
      end: () => {
        const keyed = rows.map((r, i) => ({ r, i, k: args.keys.map((k) => firstValue(r.get(k.field))) }));
        keyed.sort((a, b) => {
          for (let j = 0; j < args.keys.length; j++) {
            const key = args.keys[j]!;
            const x = a.k[j] ?? null;
            const y = b.k[j] ?? null;
            if (x === null && y === null) continue;
            if (x === null) return 1;
            if (y === null) return -1;
            let c = compareBy(key.type, x, y);
            if (key.desc !== args.reverse) c = -c;
            if (c !== 0) return c;
          }
          return a.i - b.i;
        });
        const n = args.limit === 0 ? keyed.length : Math.min(args.limit, keyed.length);
        for (let i = 0; i < n; i++) next.push(keyed[i]!.r);
        next.end();
      },
    };
  },
});

function compareBy(type: SortType, x: Scalar, y: Scalar): number {
  switch (type) {
    case 'str':
      return compareText(toText(x), toText(y));
    case 'num': {
      const a = toNumber(x);
      const b = toNumber(y);
      if (a === null && b === null) return compareText(toText(x), toText(y));
      if (a === null) return 1;
      if (b === null) return -1;
      return a - b;
    }
    case 'ip': {
      const a = ipToBigInt(toText(x));
      const b = ipToBigInt(toText(y));
      if (a !== null && b !== null) return a < b ? -1 : a > b ? 1 : 0;
      return compareText(toText(x), toText(y));
    }
    case 'auto': {
      const a = toNumber(x);
      const b = toNumber(y);
      if (a !== null && b !== null) return a - b;
      if (a !== null) return -1;
      if (b !== null) return 1;
      return compareText(toText(x), toText(y));
    }
  }
}
