import { describe, expect, it } from 'vitest';
import { Row, type Result } from '../../src/events/result.js';
import type { FieldValue } from '../../src/events/value.js';
import type { ExecContext } from '../../src/spl/commands/types.js';
import { explainPlan, plan, SplError } from '../../src/spl/index.js';
import { splitPlan } from '../../src/spl/plan/split.js';
import { aggregationFor } from '../../src/spl/stats/aggregations.js';
import { AggregationGroups, Aggregator } from '../../src/spl/stats/aggregator.js';
import type { AggregationSpec } from '../../src/spl/stats/parse.js';
import { MAX_WILDCARD_FIELDS } from '../../src/spl/stats/wildcard.js';
import { jsonEvents, rowsText, search } from '../helpers.js';
import { expectPartitionedLikeOnePass } from '../parallel/helpers.js';
import { at, errorOf } from './commands/helpers.js';

// SPL reference, stats: "stats-agg-term Syntax: <stats-func>(<evaled-field> | <wc-field>) [AS <wc-field>] ... The
// function can be applied to an eval expression, or to a field or set of fields. ... You can use wild card
// characters in field names." The expectations below are worked out by hand from the rows given.

const fields = (rows: readonly Result[]) => rows.map((r) => r.fieldNames());

describe('stats with a field pattern', () => {
  const logins = jsonEvents([
    { src_ip: '10.0.0.1', user: 'bob', port: 22 },
    { src_ip: '10.0.0.1', user: 'alice', port: 22 },
    { src_ip: '10.0.0.2', user: 'alice' },
    { src_ip: '10.0.0.2', port: 443, action: 'blocked' },
    { user: 'carol' },
  ]);
  const table = '* | table src_ip user port action';

  // ESCU: `stats values(*) as * by src_ip`: every other field's values per group, under its own name.
  it('values(*) AS * gives each field its values per group, never the BY field; a field a group lacks is absent', async () => {
    const rows = await search(`${table} | stats values(*) AS * BY src_ip`, logins);
    expect(rowsText(rows)).toEqual([
      { src_ip: '10.0.0.1', port: '22', user: ['alice', 'bob'] },
      { src_ip: '10.0.0.2', action: 'blocked', port: '443', user: 'alice' },
    ]);
    // The BY fields, then the pattern's fields in order of their names.
    expect(fields(rows)).toEqual([
      ['src_ip', 'port', 'user'],
      ['src_ip', 'action', 'port', 'user'],
    ]);
  });

  it('names each field values(<field>) without AS, beside plain count (the rows, not a field pattern)', async () => {
    const rows = await search(`${table} | stats values(*) count BY src_ip`, logins);
    expect(rowsText(rows)).toEqual([
      { src_ip: '10.0.0.1', 'values(port)': '22', 'values(user)': ['alice', 'bob'], count: '2' },
      { src_ip: '10.0.0.2', 'values(action)': 'blocked', 'values(port)': '443', 'values(user)': 'alice', count: '2' },
    ]);
    // Without BY: one row over every result (carol's too).
    expect(rowsText(await search(`${table} | stats dc(*) AS *`, logins))).toEqual([{ action: '1', port: '2', src_ip: '2', user: '3' }]);
  });

  it('carries what each * matched into the AS name: avg(x*) AS avg_x*', async () => {
    const evs = jsonEvents([
      { g: 'a', x1: 1, x2: 10 },
      { g: 'a', x1: 3 },
      { g: 'b', x2: 'n/a', xy: 5 },
      { g: 'b', x2: 4, y: 7 },
    ]);
    // avg of a: x1 (1+3)/2, x2 10; of b: x2 only 4 is a number, xy 5; y does not match.
    expect(rowsText(await search('* | table g x1 x2 xy y | stats avg(x*) AS avg_x* BY g', evs))).toEqual([
      { g: 'a', avg_x1: '2', avg_x2: '10' },
      { g: 'b', avg_x2: '4', avg_xy: '5' },
    ]);
  });

  // ESCU: `stats ... values(requestParameters.*) as * by src region ...`: the part after the prefix is the name;
  // requestParameters.region would be named region, a BY field, whose column stays the group's.
  it('values(a.*) AS * names fields by the matched part, and never writes over a BY field', async () => {
    const spl =
      '| makeresults count=2 | streamstats count AS n | eval region="eu-west-1", requestParameters.region="us-east-1", requestParameters.bucketName="logs-".n | stats values(requestParameters.*) AS * BY region';
    expect(rowsText(await search(spl))).toEqual([{ region: 'eu-west-1', bucketName: ['logs-1', 'logs-2'] }]);
    // A field named as the prefix itself would get an empty name: left out.
    expect(rowsText(await search('| makeresults | eval p=1, px=2 | stats values(p*) AS *'))).toEqual([{ x: '2' }]);
  });

  // ESCU (Okta): `stats min(_time) as _time values(*) as * sum(total_challenges) as total_challenges ... by ...`:
  // a field another aggregation names is that aggregation's, wherever it stands.
  it('leaves a name another aggregation gives to it: sum(total) AS total, not values(total)', async () => {
    const spl = '| makeresults count=2 | streamstats count AS total | eval g="a", user=if(total=1, "u1", "u2") | stats min(_time) AS _time values(*) AS * sum(total) AS total BY g';
    const rows = await search(spl);
    expect(rowsText(rows)).toEqual([{ g: 'a', _time: '1700000000', user: ['u1', 'u2'], total: '3' }]);
    expect(fields(rows)).toEqual([['g', '_time', 'user', 'total']]);
  });

  // Decision (docs/spl.md): as with `replace`/`addtotals`, `*` does not match fields beginning with `_` (_time,
  // _raw); a pattern that begins with `_` does.
  it('does not match internal fields unless the pattern begins with _', async () => {
    expect(rowsText(await search('| makeresults | eval _hidden=1, shown=2 | stats values(*) AS *'))).toEqual([{ shown: '2' }]);
    expect(rowsText(await search('| makeresults | eval _hidden=1, shown=2 | stats values(_h*) AS h*'))).toEqual([{ hidden: '1' }]);
  });

  // Decision (docs/spl.md): a group that never had a value of a field has no such field, count(*) included.
  it('count(*) counts each field per group: a field missing in a group is absent, not 0', async () => {
    const evs = jsonEvents([
      { g: 'a', x: 1, y: 5 },
      { g: 'a', x: 2 },
      { g: 'b', x: 3 },
    ]);
    expect(rowsText(await search('* | table g x y | stats count count(*) AS c_* BY g', evs))).toEqual([
      { g: 'a', count: '2', c_x: '2', c_y: '1' },
      { g: 'b', count: '1', c_x: '1' },
    ]);
  });

  it('feeds every value of a multivalue field, and several patterns side by side', async () => {
    const spl = '| makeresults | eval a1=split("p,q,p", ","), a2="r", b1=7 | stats values(a*) AS va*, max(b*) AS mb*, dc(a*)';
    expect(rowsText(await search(spl))).toEqual([{ va1: ['p', 'q'], va2: 'r', mb1: '7', 'dc(a1)': '2', 'dc(a2)': '1' }]);
  });

  // SPL reference, stats, Usage, "Statistical functions that are not applied to specific fields": "With the exception
  // of the count function, ... when you have | stats avg in a search, it returns results for | stats avg(*)."
  it('reads a function without a field as applied to every field (stats avg is stats avg(*)), count excepted', async () => {
    const evs = jsonEvents([
      { g: 'a', x: 1, y: 10 },
      { g: 'a', x: 3 },
      { g: 'b', x: 5, y: 'n/a' },
    ]);
    // avg(x) (1+3+5)/3 = 3, avg(y) of its numbers: 10; count still counts the rows.
    expect(rowsText(await search('* | table g x y | stats avg count', evs))).toEqual([{ 'avg(x)': '3', 'avg(y)': '10', count: '3' }]);
    expect(rowsText(await search('* | table g x y | stats max BY g', evs))).toEqual([
      { g: 'a', 'max(x)': '3', 'max(y)': '10' },
      { g: 'b', 'max(x)': '5', 'max(y)': 'n/a' },
    ]);
    const rows = await search('* | table g x y | eventstats sum BY g', evs);
    // Events come newest first: b's, then a's two.
    expect(rowsText(rows).map((r) => [r.g, r['sum(x)'], r['sum(y)']])).toEqual([
      ['b', '5', undefined],
      ['a', '4', '10'],
      ['a', '4', '10'],
    ]);
    // streamstats takes no pattern: the function still needs its field there.
    const e = await errorOf('| makeresults | streamstats sum');
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain('sum needs a field');
  });

  it('refuses an AS name with another number of wildcards, at the name', async () => {
    for (const [spl, name] of [
      ['| makeresults | stats values(*) AS everything', 'everything'],
      ['| makeresults | stats values(a*) AS x*y*', 'x*y*'],
    ] as const) {
      const e = await errorOf(spl);
      expect(e.code).toBe('SPL_BAD_ARGUMENT');
      expect(e.message).toMatch(/needs as many wildcards as its field \(1\)/);
      expect(e.format()).toContain(at(spl, name));
    }
  });

  it(`stops at more than ${MAX_WILDCARD_FIELDS} fields of one pattern, at the aggregation`, async () => {
    const wide = (n: number) => jsonEvents([Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))]);
    const ok = await search('* | stats count(k*) AS k*', wide(MAX_WILDCARD_FIELDS));
    expect(ok[0]!.fieldNames()).toHaveLength(MAX_WILDCARD_FIELDS);
    // One row per field name (the hostile case: ever-new names) as well as one row of them all.
    const many = jsonEvents(Array.from({ length: MAX_WILDCARD_FIELDS + 1 }, (_, i) => ({ [`k${i}`]: 1 })));
    for (const evs of [wide(MAX_WILDCARD_FIELDS + 1), many]) {
      const spl = '* | stats count(k*) AS k*';
      const e = await errorOver(spl, evs);
      expect(e.code).toBe('SPL_BAD_ARGUMENT');
      expect(e.message).toContain(`count(k*) matches more than ${MAX_WILDCARD_FIELDS} fields`);
      expect(e.format()).toContain(at(spl, 'count('));
    }
  });

  // SPL reference, eventstats: its syntax takes the same "<stats-agg-term>"; each result receives its group's fields.
  it('works in eventstats: each result gets the fields its group has, after the named ones', async () => {
    const spl = '| makeresults count=4 | streamstats count AS n | eval g=case(n<3, "a", n=3, "b"), u="u".n | eventstats values(u*) AS all_u* count BY g';
    const rows = await search(spl);
    expect(rowsText(rows).map(({ _time, ...r }) => r)).toEqual([
      { n: '1', g: 'a', u: 'u1', count: '2', all_u: ['u1', 'u2'] },
      { n: '2', g: 'a', u: 'u2', count: '2', all_u: ['u1', 'u2'] },
      { n: '3', g: 'b', u: 'u3', count: '1', all_u: 'u3' },
      { n: '4', u: 'u4' },
    ]);
    const e = await errorOver('* | eventstats count(k*) AS k*', jsonEvents([Object.fromEntries(Array.from({ length: MAX_WILDCARD_FIELDS + 1 }, (_, i) => [`k${i}`, i]))]));
    expect(e.message).toContain(`count(k*) matches more than ${MAX_WILDCARD_FIELDS} fields`);
  });

  it('runs its stats over partitions (the functions merge) and says so in --explain', () => {
    const p = plan('index=main | stats values(*) AS * latest(process*) BY node_name', { now: 1_700_000_000 });
    expect(splitPlan(p).partial).toBe(true);
    expect(explainPlan(p)).toContain('stats (partial state)');
  });
});

/** The SplError a search over `events` raises. */
async function errorOver(spl: string, events: ReturnType<typeof jsonEvents>): Promise<SplError> {
  try {
    await search(spl, events);
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error(`expected an error from: ${spl}`);
}

describe('stats with a field pattern, split over partitions', () => {
  // `stats values(*) AS * BY g` with its groups' states built from two parts of the rows and merged as partitions
  // are: the fields are merged by name, and a field first seen in the second part is taken as it is.
  const spec: AggregationSpec = {
    fnName: 'values',
    blueprint: aggregationFor('values')!,
    field: '*',
    expr: null,
    as: '*',
    span: { start: 0, end: 0 },
    wildcard: { by: ['g'], named: ['count'] },
  };
  const specs = [spec, { fnName: 'count', blueprint: aggregationFor('count')!, field: null, expr: null, as: 'count', span: { start: 0, end: 0 } }];
  const grouped = (rows: Record<string, FieldValue>[]): AggregationGroups => {
    const groups = new AggregationGroups(new Aggregator(specs, {} as ExecContext), ['g']);
    for (const o of rows) groups.add(new Row(o), new Row(o));
    return groups;
  };
  const emitted = (groups: AggregationGroups) => {
    const out: Result[] = [];
    groups.flush({ push: (r) => out.push(r), end: () => {} });
    return out.map((r) => Object.fromEntries(r.fieldNames().map((f) => [f, r.get(f)])));
  };
  const first: Record<string, FieldValue>[] = [
    { g: 'a', x: 'p', count: 'ignored' },
    { g: 'b', y: 'q' },
  ];
  const second: Record<string, FieldValue>[] = [
    { g: 'a', x: 'p2', z: 'r' },
    { g: 'c', x: 's' },
  ];

  it('merges each field by name, on one thread or as data, as one pass', () => {
    const want = [
      { g: 'a', x: ['p', 'p2'], z: 'r', count: 2 },
      { g: 'b', y: 'q', count: 1 },
      { g: 'c', x: 's', count: 1 },
    ];
    expect(emitted(grouped([...first, ...second]))).toEqual(want);
    const same = grouped(first);
    same.merge(grouped(second));
    expect(emitted(same)).toEqual(want);
    const data = grouped(first);
    data.merge(structuredClone(grouped(second).partial()));
    expect(emitted(data)).toEqual(want);
  });

  it(`counts the fields of all partitions against the limit of ${MAX_WILDCARD_FIELDS}`, () => {
    const wide = (g: string, from: number) => [Object.fromEntries([['g', g], ...Array.from({ length: 600 }, (_, i) => [`f${from + i}`, 1])])];
    const tooMany = /values\(\*\) matches more than 1000 fields/;
    // A group of both partitions, merged as data: its new fields are counted as they come.
    const data = grouped(wide('a', 0));
    expect(() => data.merge(structuredClone(grouped(wide('a', 600)).partial()))).toThrow(tooMany);
    // A group new to the merge, taken over on one thread: counted with the others' before any row is emitted.
    const same = grouped(wide('a', 0));
    same.merge(grouped(wide('b', 600)));
    const out: Result[] = [];
    expect(() => same.flush({ push: (r) => out.push(r), end: () => {} })).toThrow(tooMany);
    expect(out).toEqual([]);
  });

  it('gives over generated Tetragon events what one pass gives, on two threads', async () => {
    await expectPartitionedLikeOnePass(
      [
        '* | stats values(process*) AS * count BY node_name',
        '* | stats dc(*) AS dc_* min(_time) AS first BY process_name',
        'sourcetype="cisco:isovalent:processExec" | stats latest(parent*) earliest(pod*) AS first_pod* BY process_name | sort process_name',
        // A function without a field is the same pattern (`stats max` is `stats max(*)`).
        '* | stats max dc BY node_name',
      ],
      7,
      1_795_200_000,
      1,
    );
  });
});
