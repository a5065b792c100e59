import { describe, expect, it } from 'vitest';
import { toObject } from '../../src/events/result.js';
import { MemorySource } from '../../src/sources/memory.js';
import { checkSearch, runSearch, SplError } from '../../src/spl/index.js';
import { SEARCH_SUBSEARCH_MAX_ROWS } from '../../src/spl/plan/plan.js';

const NOW = 1_700_000_000;
const ev = (i: number, o: Record<string, unknown>, sourcetype = 'logins') => ({ _time: NOW - 100 + i, _raw: JSON.stringify(o), index: 'main', sourcetype, source: 's', host: 'h' });
const EVENTS = [
  ev(1, { user: 'alice', src: '10.0.0.1' }),
  ev(2, { user: 'bob', src: '10.0.0.2' }),
  ev(3, { user: 'carol', src: '10.0.0.3' }),
  ev(4, { user: 'alice', src: '10.0.0.9' }),
  ev(5, { user: 'alice', admin: 'yes' }, 'admins'),
  ev(6, { user: 'carol', admin: 'yes' }, 'admins'),
];
const users = async (spl: string, warnings?: string[]) =>
  (await runSearch(spl, { now: NOW, source: new MemorySource(EVENTS), ...(warnings ? { onWarning: (m: string) => warnings.push(m) } : {}) })).results.map((r) => toObject(r)['user'] + (r.get('src') ? `@${r.get('src')}` : ''));

describe('subsearches in a search expression (Splunk format)', () => {
  it('keep the events whose fields equal a result of the subsearch, OR-ed over its results', async () => {
    expect(await users('sourcetype=logins [search sourcetype=admins | fields user] | sort src')).toEqual(['alice@10.0.0.1', 'carol@10.0.0.3', 'alice@10.0.0.9']);
    expect(await users('sourcetype=logins NOT [search sourcetype=admins | fields user]')).toEqual(['bob@10.0.0.2']);
  });

  it('AND the fields of one result, OR the values of a multivalue', async () => {
    expect(await users('sourcetype=logins [| makeresults | eval user="alice", src="10.0.0.9" | fields - _time]')).toEqual(['alice@10.0.0.9']);
    expect(await users('sourcetype=logins [| makeresults | eval user=mvappend("bob", "carol") | fields - _time] | sort user')).toEqual(['bob@10.0.0.2', 'carol@10.0.0.3']);
  });

  it('an empty subsearch matches nothing, and NOT of it everything', async () => {
    expect(await users('sourcetype=logins [search sourcetype=nothing | fields user]')).toEqual([]);
    expect(await users('sourcetype=logins NOT [search sourcetype=nothing | fields user] | stats count by user | fields user')).toEqual(['alice', 'bob', 'carol']);
  });

  it('reads a `search` field as search text, and works in a later search command', async () => {
    expect(await users('sourcetype=logins [| makeresults | eval search="user=bob OR src=10.0.0.3" | fields search] | sort user')).toEqual(['bob@10.0.0.2', 'carol@10.0.0.3']);
    expect(await users('sourcetype=logins | search [| makeresults | eval user="bob" | fields user]')).toEqual(['bob@10.0.0.2']);
  });

  it(`uses the first ${SEARCH_SUBSEARCH_MAX_ROWS} results, with a warning (limits.conf [subsearch] maxout)`, async () => {
    const warnings: string[] = [];
    const found = await users(`sourcetype=logins [| makeresults count=${SEARCH_SUBSEARCH_MAX_ROWS + 1} | streamstats count as n | eval user=if(n>${SEARCH_SUBSEARCH_MAX_ROWS}, "bob", "alice") | fields user]`, warnings);
    expect(found).toEqual(['alice@10.0.0.9', 'alice@10.0.0.1']);
    expect(warnings).toEqual([`search: the subsearch's results were cut to their first ${SEARCH_SUBSEARCH_MAX_ROWS} rows (maxout)`]);
  });

  it('an OR of many values of one field matches as the values one by one: case, wildcards, numbers, NOT', async () => {
    const evs = ['Alice', 'bob', 'carol', 'dave', '7.0', 'x-1', 'zed'].map((u, i) => ev(i, { user: u, k: i }));
    const ks = async (spl: string) => (await runSearch(spl, { now: NOW, source: new MemorySource(evs) })).results.map((r) => r.get('k')).sort();
    // alice and dave match whatever their case, 7 matches 7.0, x-* is a wildcard.
    expect(await ks('user=alice OR user=DAVE OR user=7 OR user=x-* OR user=nope')).toEqual([0, 3, 4, 5]);
    expect(await ks('NOT (user=alice OR user=DAVE OR user=7 OR user=x-* OR user=nope)')).toEqual([1, 2, 6]);
    // Another field's item in the same OR still counts.
    expect(await ks('user=alice OR user=bob OR user=carol OR user=dave OR k=6')).toEqual([0, 1, 2, 3, 6]);
    // CASE() keeps its case: only "bob" itself.
    expect(await ks('user=CASE(BOB) OR user=CASE(bob) OR user=CASE(Bob) OR user=CASE(bOb)')).toEqual([1]);
  });

  it("says where a subsearch's search field is not a search", async () => {
    const spl = '| makeresults | search [| makeresults | eval search="a=( b" | fields search]';
    try {
      await runSearch(spl, { now: NOW });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SplError);
      expect((e as SplError).message).toBe('a subsearch\'s "search" field is not a search (expected a value after =, found \'(\'): a=( b');
      expect((e as SplError).format()).toContain(`at 1:${spl.indexOf('[') + 1}`);
    }
  });

  it('checks the subsearch without running it, and its errors point into it', () => {
    expect(() => checkSearch('sourcetype=logins [search sourcetype=admins | fields user]', { now: NOW })).not.toThrow();
    const spl = 'sourcetype=logins [search sourcetype=admins | eval x=nosuch(1)]';
    try {
      checkSearch(spl, { now: NOW });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SplError);
      expect((e as SplError).format()).toContain(`at 1:${spl.indexOf('nosuch') + 1}`);
    }
  });
});
