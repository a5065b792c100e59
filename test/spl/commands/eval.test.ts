import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { MAX_DYNAMIC_FIELD_NAME_CHARS, MAX_DYNAMIC_NAME_ROUNDS } from '../../../src/spl/commands/eval.js';
import { runSearch } from '../../../src/spl/index.js';
import { at, errorOf, NOW, run, sharedScanSame } from './helpers.js';

// SPL reference, eval, "Dynamic field name creation" (a stored copy of the 9.x page): "You can use the value of one
// field as the name of another field by using curly braces ( { } ) ... if you have an event with the aName=counter
// and aValue=1234 fields, use | eval {aName}=aValue to return counter=1234." And: "Searches that dynamically create
// field names generate errors and do not complete if there are unbounded recursive replacements ... | eval p="{p}",
// v_{p} = p ... In this case, {p} replaces the value of p in the fieldname, so v_{p} becomes v_{p} over and over
// again, in a recursive loop." ... "| eval field1="counter", {field1}="1234"" gives "counter ... 1234".
describe('eval {field}=: the target named by a field value', () => {
  it('sets the field the value names (the reference example)', async () => {
    expect(await run('| makeresults | eval aName="counter", aValue=1234 | eval {aName}=aValue | fields - _time')).toEqual([{ aName: 'counter', aValue: 1234, counter: 1234 }]);
  });

  it('names a field per row, and later assignments see it', async () => {
    const rows = await run('| makeresults count=3 | streamstats count AS n | eval k="f" . n | eval {k}=n*10, total=coalesce(f1, f2, f3) | fields - _time');
    expect(rows).toEqual([
      { n: 1, k: 'f1', f1: 10, total: 10 },
      { n: 2, k: 'f2', f2: 20, total: 20 },
      { n: 3, k: 'f3', f3: 30, total: 30 },
    ]);
  });

  it('sets nothing when the naming field is missing or empty, and uses a multivalue field\'s first value', async () => {
    // Decisions (docs/spl.md).
    expect(await run('| makeresults | eval v=1 | eval {nosuch}=v | fields - _time')).toEqual([{ v: 1 }]);
    expect(await run('| makeresults | eval k="", v=1 | eval {k}=v | fields - _time')).toEqual([{ k: '', v: 1 }]);
    expect(await run('| makeresults | eval k=split("a,b", ","), v=1 | eval {k}=v | fields - _time')).toEqual([{ k: ['a', 'b'], v: 1, a: 1 }]);
  });

  it('replaces {x} inside a longer name (v_{p}), each part and again in a replaced value; a quoted target is a name as written', async () => {
    // The reference's own example, in one eval: field1 is set before {field1} is read.
    expect(await run('| makeresults | eval field1="counter", {field1}="1234" | fields - _time')).toEqual([{ field1: 'counter', counter: '1234' }]);
    expect(await run('| makeresults | eval y="b" | eval x_{y}=1, \'{y}\'=2 | fields - _time')).toEqual([{ y: 'b', x_b: 1, '{y}': 2 }]);
    expect(await run('| makeresults | eval a="p", b="q" | eval {a}_{b}.n=1 | fields - _time')).toEqual([{ a: 'p', b: 'q', 'p_q.n': 1 }]);
    // p's value names {q}, q's value is r: v_{p} -> v_{q} -> v_r.
    expect(await run('| makeresults | eval p="{q}", q="r" | eval v_{p}=1 | fields - _time')).toEqual([{ p: '{q}', q: 'r', v_r: 1 }]);
    // A part whose field is missing sets nothing; spath-style {} is no part.
    expect(await run('| makeresults | eval y="b" | eval x_{y}_{nosuch}=1, a{}.b=2 | fields - _time')).toEqual([{ y: 'b', 'a{}.b': 2 }]);
  });

  it('stops with SPL_RUNTIME at the target when a replacement never ends (the reference\'s p="{p}", v_{p})', async () => {
    const spl = '| makeresults | eval p="{p}", v_{p} = p';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.format()).toContain(at(spl, 'v_{p}'));
    expect(e.message).toContain(`after ${MAX_DYNAMIC_NAME_ROUNDS} rounds`);
  });

  it('takes any name a value holds, __proto__ and internal names alike, and skips names that are too long', async () => {
    expect(await run('| makeresults | eval k="__proto__" | eval {k}=1 | fields - _time')).toEqual([{ k: '__proto__', ['__proto__']: 1 }]);
    expect((await run('| makeresults | eval k="constructor" | eval {k}="x" | fields - _time'))[0]!['constructor']).toBe('x');
    expect((await run('| makeresults | eval k="_time" | eval {k}=5'))[0]!['_time']).toBe(5);
    const warnings: string[] = [];
    const r = await runSearch(`| makeresults count=2 | eval k=printf("%${MAX_DYNAMIC_FIELD_NAME_CHARS + 1}s", "x"), j=printf("%${MAX_DYNAMIC_FIELD_NAME_CHARS}s", "x") | eval {k}=1, {j}=2 | fields - _time`, { now: NOW, onWarning: (m) => warnings.push(m) });
    // k and j, and the field j names; none named by k.
    expect(r.results.map((x) => Object.keys(toObject(x)).map((n) => n.length))).toEqual([
      [1, 1, MAX_DYNAMIC_FIELD_NAME_CHARS],
      [1, 1, MAX_DYNAMIC_FIELD_NAME_CHARS],
    ]);
    expect(warnings.filter((w) => w.includes('longer than 1024 characters'))).toHaveLength(1);
  });

  it('sets any name on the rows stats and table emit (slot rows) too', async () => {
    expect(await run('| makeresults count=2 | streamstats count AS n | stats count by n | eval k=if(n=1, "__proto__", "count") | eval {k}=n*7')).toEqual([
      { n: 1, count: 1, k: '__proto__', ['__proto__']: 7 },
      { n: 2, count: 14, k: 'count' },
    ]);
    expect(await run('| makeresults | eval k="a b", v=1 | table k v | eval {k}=v')).toEqual([{ k: 'a b', v: 1, 'a b': 1 }]);
  });

  it('later filters are not derived from the events for a field it may have written', async () => {
    const ev = (i: number, o: Record<string, unknown>) => ({ _time: NOW - 100 + i, _raw: JSON.stringify(o), index: 'main', sourcetype: 'json', source: 's', host: 'h' });
    const evs = [ev(1, { kind: 'counter', v: 7 }), ev(2, { kind: 'gauge', v: 8 })];
    const r = await runSearch('index=main | eval {kind}=v | search counter=7 | table kind counter', { now: NOW, source: new MemorySource(evs) });
    expect(r.results.map(toObject)).toEqual([{ kind: 'counter', counter: 7 }]);
  });

  it('gives over a shared scan what it gives alone', async () => {
    await sharedScanSame(['index=main | eval k="x" . n | eval {k}=name | table k x0 x1 x2', 'index=main | eval {name}=n | stats count(sh) AS sh count(curl) AS curl']);
  });
});

// Splunk's "Quotation marks" page (Search Manual): "Use single quotation marks around field names that include special
// characters, spaces, dashes, and wildcards", with `eval 'low-user' = lower(username)` as its example; the eval
// reference reads 'Account ID' as the field Account ID. A target with a space was a syntax error ("expected = after 'a").
describe("eval 'name with spaces'=", () => {
  it('sets the field named inside the single quotes, spaces and dashes included, and an expression reads it back', async () => {
    expect(await run("| makeresults | eval username=\"Bob\" | eval 'low-user' = lower(username), 'Account ID'=7, n='Account ID'+1 | fields - _time")).toEqual([
      { username: 'Bob', 'low-user': 'bob', 'Account ID': 7, n: 8 },
    ]);
  });

  it("sets a foreach field with a space through a '<<FIELD>>' target", async () => {
    expect(await run("| makeresults | eval 'a b'=5, 'a c'=1 | foreach a* [eval '<<FIELD>>'='<<FIELD>>'*2] | fields - _time")).toEqual([{ 'a b': 10, 'a c': 2 }]);
  });

  it('reports an unterminated quoted target at its quote, and a missing = after it', async () => {
    const open = "| makeresults | eval 'Account ID =1";
    const e = await errorOf(open);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(open, "'Account"));
    const noEq = "| makeresults | eval 'Account ID' 1";
    expect((await errorOf(noEq)).format()).toContain(at(noEq, '1', noEq.indexOf("ID'")));
  });
});
