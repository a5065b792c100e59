import type { Result } from '../../events/result.js';
import { compareText, firstValue, hasSurrogate, toNumber, toText, type Scalar } from '../../events/value.js';
import { isIP } from '../node-builtins.js';
import type { ArgParser } from '../parse/parser.js';
import { ipToBigInt } from '../search/cidr.js';
import { defineCommand } from './types.js';

export type SortType = 'auto' | 'num' | 'str' | 'ip';

/** One `[+|-]field` or `[+|-]type(field)` of a sort-by clause (sort, dedup sortby). */
export interface SortKey {
  field: string;
  desc: boolean;
  type: SortType;
}

export interface SortArgs {
  limit: number;
  keys: SortKey[];
  reverse: boolean;
}

/**
 * `sort [N] [limit=N] [+|-]<field> | auto(f) | num(f) | str(f) | ip(f) ... [desc]`: default limit 10000
 * (0 = all). Results missing a sort field go last, whatever the direction ("smallest when descending,
 * largest when ascending"). Collation (`collate`): auto puts numbers first (numerically), then IPv4 and
 * IPv6 addresses (as addresses: 9.1.1.1 < 10.0.0.9 < 10.0.0.10), then other text lexicographically (byte
 * order); num() is auto without addresses, ip() without numbers, str() text only. Ties keep input order.
 * *Decision:* the docs' prose says a string starting with a number sorts "numerically based on that
 * number alone", but their own example sorts 9.1.a after 10.1.a (descending: lexicographic); vigil
 * follows the example.
 */
export const sortCommand = defineCommand<SortArgs>({
  name: 'sort',
  doc: 'sort [N] [+|-]<field>...: order results (default limit 10000; 0 = unlimited).',
  parse: (p) => {
    let limit = 10000;
    const keys: SortKey[] = [];
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
      keys.push(parseSortKey(p));
    }
    if (keys.length === 0) throw p.error('sort needs at least one field', p.peek('search').span);
    return { limit, keys, reverse };
  },
  kind: () => 'transforming',
  // Ties keep their input order (the sort is stable), so the input must be in search order.
  orderSensitive: () => true,
  ordersOutput: () => true,
  writes: () => [],
  create: (args, _ctx, next) => {
    const rows: Result[] = [];
    return {
      push: (row) => void rows.push(row),
      end: () => {
        const out = sortRows(rows, args.keys, args.reverse);
        rows.length = 0;
        const n = args.limit === 0 ? out.length : Math.min(args.limit, out.length);
        for (let i = 0; i < n; i++) next.push(out[i]!);
        next.end();
      },
    };
  },
});

/** Parses one key of a sort-by clause: `[+|-]field`, `[+|-] field` or `[+|-]auto|num|str|ip(field)`. */
export function parseSortKey(p: ArgParser): SortKey {
  let desc = false;
  let type: SortType = 'auto';
  const tok = p.next('search');
  if (tok.kind !== 'word' && tok.kind !== 'string') throw p.error(`expected a field to sort by, found '${tok.value}'`, tok.span);
  let name = tok.value;
  if (tok.kind === 'word' && (name === '-' || name === '+')) {
    desc = name === '-';
    // The next token alone: `- num(x)` is a type function, not a field named num(x).
    const f = p.next('search');
    if (f.kind !== 'word' && f.kind !== 'string') throw p.error(`expected a field to sort by, found '${f.value}'`, f.span);
    name = f.value;
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
  } else if (tok.kind === 'word') name = p.withCall(name, tok.span).name;
  return { field: name, desc, type };
}

/** A value as a sort key: its class (compared first) and its value within the class. */
interface Collated {
  cls: number;
  key: number | bigint | string;
}

const NUMBER = 0;
const IPV4 = 1;
const IPV6 = 2;
const TEXT = 3;

function collate(type: SortType, v: Scalar): Collated {
  if (type === 'auto' || type === 'num') {
    const n = toNumber(v);
    if (n !== null) return { cls: NUMBER, key: n };
  }
  const t = toText(v);
  if (type === 'auto' || type === 'ip') {
    const family = isIP(t);
    if (family !== 0) return { cls: family === 4 ? IPV4 : IPV6, key: ipToBigInt(t, family)! };
  }
  return { cls: TEXT, key: t };
}

/**
 * Rows stably sorted by a sort-by clause (`reverse`: the trailing `desc` of sort, which flips every key).
 * Each value is collated once, not per comparison.
 */
export function sortRows(rows: readonly Result[], keys: readonly SortKey[], reverse = false): Result[] {
  const keyed = rows.map((r, i) => ({
    r,
    i,
    k: keys.map((k): Collated | null => {
      const v = firstValue(r.get(k.field));
      return v === null ? null : collate(k.type, v);
    }),
  }));
  // Text keys in compareText's order, natively unless one holds a surrogate (checked once, not per comparison).
  const text = keyed.some((e) => e.k.some((c) => c !== null && typeof c.key === 'string' && hasSurrogate(c.key)))
    ? compareText
    : (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  keyed.sort((a, b) => {
    for (let j = 0; j < keys.length; j++) {
      const x = a.k[j]!;
      const y = b.k[j]!;
      if (x === null && y === null) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      // Same class, same key type: text in compareText's (UTF-8 byte) order, numbers and addresses by value.
      const yk = y.key as number | bigint;
      let c = x.cls - y.cls || (typeof x.key === 'string' ? text(x.key, y.key as string) : x.key < yk ? -1 : x.key > yk ? 1 : 0);
      if (keys[j]!.desc !== reverse) c = -c;
      if (c !== 0) return c;
    }
    return a.i - b.i;
  });
  return keyed.map((e) => e.r);
}
