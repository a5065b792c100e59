import { describe, expect, it } from 'vitest';
import { renameField, Row, rowLayout, SlotRow, type Result } from '../../../src/events/result.js';
import type { FieldValue } from '../../../src/events/value.js';
import { jsonEvents, search } from '../../helpers.js';
import { rng } from '../../rng.js';
import { run } from './helpers.js';

const fieldsOf = (r: Result): [string, FieldValue | null][] => r.fieldNames().map((f) => [f, r.get(f)]);

describe('SlotRow', () => {
  const POOL: (FieldValue | null)[] = [null, 'a', '', 0, 1.5, '1', ['x', 'y']];
  const NAMES = ['p', 'q', 'r', 's', 't'];

  // A SlotRow and the Row set field by field in its order take the same writes (fields in and out of its
  // layout, nulls, writes after a clone) and must read the same, fields in the same order.
  for (let seed = 1; seed <= 40; seed++) {
    it(`reads as the Row set field by field, through any writes (seed ${seed})`, () => {
      const r = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
      const names = NAMES.filter(() => r() < 0.7);
      const cut = Math.floor(r() * (names.length + 1));
      const values = names.map(() => pick(POOL));
      const shared = values.slice(0, cut);
      const slots = new SlotRow(rowLayout(names)!, shared, values.slice(cut));
      const plain = new Row();
      names.forEach((n, i) => plain.set(n, values[i]!));
      const pairs: [Result, Result][] = [[slots, plain]];
      for (let step = 0; step < 12; step++) {
        const [a, b] = pick(pairs);
        if (r() < 0.15) {
          pairs.push([a.clone(), b.clone()]);
          continue;
        }
        if (r() < 0.2) {
          // A rename keeps the field's place in both (SlotRow through a renamed layout while it can).
          const [from, to] = [pick([...NAMES, 'u']), pick([...NAMES, 'u', 'v'])];
          renameField(a, from, to);
          renameField(b, from, to);
          continue;
        }
        const field = pick([...NAMES, 'u', 'v']);
        const value = pick(POOL);
        a.set(field, value);
        b.set(field, value);
      }
      for (const [a, b] of pairs) {
        expect(fieldsOf(a)).toEqual(fieldsOf(b));
        for (const f of [...NAMES, 'u', 'v']) expect(a.get(f)).toEqual(b.get(f));
      }
      // Shared values are never written: they may be another row's.
      expect(shared).toEqual(values.slice(0, cut));
    });
  }

  it('writes a field present in place, and never into the shared values', () => {
    const shared = ['g1'];
    const row = new SlotRow(rowLayout(['g', 'count', 'none'])!, shared, [3, null]);
    row.set('count', 30);
    row.set('g', 'g2');
    expect(shared).toEqual(['g1']);
    expect(fieldsOf(row)).toEqual([
      ['g', 'g2'],
      ['count', 30],
    ]);
    row.set('none', 1);
    expect(row.fieldNames()).toEqual(['g', 'count', 'none']);
  });

  it('has no layout for repeated names', () => {
    expect(rowLayout(['a', 'b', 'a'])).toBeNull();
  });
});

describe('table', () => {
  const events = jsonEvents([
    { a: '1', b: 'x', c: 't' },
    { b: 'y', c: 'u' },
  ]);

  it('keeps the listed fields in order, a missing one absent; later writes act on a row set field by field', async () => {
    const rows = await search('* | table c a b | convert num(a) | eval b=null(), d=c | eval b=c', events);
    // Newest first: the event without `a` comes first.
    expect(rows.map(fieldsOf)).toEqual([
      [
        ['c', 'u'],
        ['d', 'u'],
        ['b', 'u'],
      ],
      [
        ['c', 't'],
        ['a', 1],
        ['d', 't'],
        ['b', 't'],
      ],
    ]);
  });

  it('with a repeated name, lists it once, where it first appears', async () => {
    const rows = await search('* | table b a b', events);
    expect(rows.map((r) => r.fieldNames())).toEqual([['b'], ['b', 'a']]);
  });
});

// stats names its results after the call (`avg(n)`, `dc(n)`); later commands name them unquoted, as
// ESCU does (`fields - unusual_cmdline* predicted(unusual_cmdline_logits) orig_process`).
describe('field names with a parenthesised part', () => {
  const stats = '| makeresults count=3 | streamstats count as n | eval x=n%2 | stats avg(n) dc(n) by x';
  it('are one name in table, fields, rename and sort', async () => {
    expect(await run(`${stats} | table dc(n) avg(n)`)).toEqual([
      { 'dc(n)': 1, 'avg(n)': 2 },
      { 'dc(n)': 2, 'avg(n)': 2 },
    ]);
    expect(await run(`${stats} | fields - avg(n), x`)).toEqual([{ 'dc(n)': 1 }, { 'dc(n)': 2 }]);
    expect(await run(`${stats} | rename avg(n) AS a | table a`)).toEqual([{ a: 2 }, { a: 2 }]);
    expect(await run(`${stats} | sort - x | table x`)).toEqual([{ x: 1 }, { x: 0 }]);
    expect(await run(`${stats} | eval y=x | sort -dc(n), - y | table y`)).toEqual([{ y: 1 }, { y: 0 }]);
  });

  it('leave sort and dedup type functions alone', async () => {
    const rows = '| makeresults count=3 | streamstats count as n | eval v=tostring(n*5)';
    expect(await run(`${rows} | sort - num(v) | table v`)).toEqual([{ v: '15' }, { v: '10' }, { v: '5' }]);
    expect(await run(`${rows} | sort - str(v) | table v`)).toEqual([{ v: '5' }, { v: '15' }, { v: '10' }]);
    expect(await run(`${rows} | dedup v sortby +str(v) | table v`)).toEqual([{ v: '10' }, { v: '15' }, { v: '5' }]);
  });
});

// Search Reference, fields: "The fields command does not remove these internal fields unless you explicitly specify
// that the fields should not appear in the output in Splunk Web. For example, to remove all internal fields, you
// specify: ... | fields - _*. To exclude a specific field, such as _raw, you specify: ... | fields - _raw".
describe('fields - and internal fields', () => {
  const base = '| makeresults | eval _raw="a b", a=1, b_time=2';
  it('a pattern removes internal fields only when it begins with _ (fields - * removed _time and _raw)', async () => {
    expect(await run(`${base} | fields - *`)).toEqual([{ _time: 1700000000, _raw: 'a b' }]);
    expect(await run(`${base} | fields - *_time`)).toEqual([{ _time: 1700000000, _raw: 'a b', a: 1 }]);
    expect(await run(`${base} | fields - _*`)).toEqual([{ a: 1, b_time: 2 }]);
    expect(await run(`${base} | fields - _raw, a`)).toEqual([{ _time: 1700000000, b_time: 2 }]);
    expect(await run(`${base} | fields - _time`)).toEqual([{ _raw: 'a b', a: 1, b_time: 2 }]);
  });
});
