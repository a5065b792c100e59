import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSource } from '../../../src/sources/file.js';
import { explainPlan, plan, runSearch, unknownDatasetFields } from '../../../src/spl/index.js';
import { memorySource } from '../../helpers.js';
import { NOW, packWith, processExec, rows, SHOP_MODEL, shopPack, splError } from '../datamodel/helpers.js';

/**
 * tstats semantics over a small data model of our own (JSON events, so every field is a JSON key): the
 * expected rows are worked out by hand from the rules in data-models.md §2, not by running the code.
 */
const pack = shopPack();

const T0 = 1_700_000_000; // 2023-11-14T22:13:20Z
const order = (t: number, o: Record<string, unknown>) => ({ _time: t, sourcetype: 'shop:order', index: 'main', _raw: JSON.stringify(o) });
const EVENTS = [
  order(T0, { item: 'Apple', qty: 2, price: 10, customer: 'alice', region: 'eu', status: 'paid' }), // total 20
  order(T0 + 600, { item: 'apple', qty: 5, price: 30, customer: 'bob', region: 'us' }), // total 150, status unknown
  order(T0 + 3600, { item: 'Banana', qty: 1, price: 200, customer: 'alice', status: 'paid' }), // total 200, no region
  order(T0 + 7200, { item: 'cherry', qty: 3, price: 1, customer: 'carol', region: 'eu', status: 'refunded', label_list: 'b,a' }), // total 3
  { _time: T0 + 60, sourcetype: 'other', index: 'main', _raw: JSON.stringify({ item: 'Apple', qty: 9, customer: 'dave', region: 'eu' }) },
];
const q = (spl: string) => rows(pack, spl, EVENTS);

describe('tstats over a data model', () => {
  it('drops rows whose BY field is null, or gives them fillnull_value', async () => {
    expect(await q('| tstats count from datamodel=Shop.Orders by Orders.region')).toEqual([
      { 'Orders.region': 'eu', count: '2' },
      { 'Orders.region': 'us', count: '1' },
    ]);
    expect(await q('| tstats fillnull_value=null count from datamodel=Shop.Orders by Orders.region')).toEqual([
      { 'Orders.region': 'eu', count: '2' },
      { 'Orders.region': 'null', count: '1' },
      { 'Orders.region': 'us', count: '1' },
    ]);
    // fillnull_value applies to BY fields only: WHERE still sees the null.
    expect(await q('| tstats fillnull_value=null count from datamodel=Shop.Orders where Orders.region=null')).toEqual([{ count: '0' }]);
  });

  it('matches values case-insensitively, with wildcards, IN lists, and NOT unlike !=', async () => {
    expect(await q('| tstats count from datamodel=Shop.Orders where Orders.item=APPLE')).toEqual([{ count: '2' }]);
    expect(await q('| tstats count from datamodel=Shop.Orders where Orders.item IN ("ban*", "CHERRY")')).toEqual([{ count: '2' }]);
    expect(await q('| tstats count from datamodel=Shop.Orders where Orders.region!=eu')).toEqual([{ count: '1' }]);
    expect(await q('| tstats count from datamodel=Shop.Orders where NOT Orders.region=eu')).toEqual([{ count: '2' }]);
    expect(await q('| tstats count from datamodel=Shop.Orders where NOT(Orders.item IN("apple"))')).toEqual([{ count: '2' }]);
  });

  it('binds OR tighter than AND, as the search command does', async () => {
    // alice AND (eu OR us): only the first order (alice's Banana order has no region). eval's precedence would give 2.
    expect(await q('| tstats count from datamodel=Shop.Orders where Orders.customer=alice Orders.region=eu OR Orders.region=us')).toEqual([{ count: '1' }]);
    expect(await q('| tstats count from datamodel=Shop.Orders where Orders.customer=alice AND Orders.region=eu OR Orders.region=us')).toEqual([{ count: '1' }]);
    expect(await q('| tstats count from datamodel=Shop.Orders where (Orders.customer=alice Orders.region=eu) OR Orders.region=us')).toEqual([{ count: '2' }]);
  });

  it('sees calculated fields, evaluated in order, and only members of the dataset', async () => {
    expect(await q('| tstats count sum(Orders.total) as total from datamodel=Shop.Orders by Orders.status')).toEqual([
      { 'Orders.status': 'paid', count: '2', total: '220' },
      { 'Orders.status': 'refunded', count: '1', total: '3' },
      { 'Orders.status': 'unknown', count: '1', total: '150' },
    ]);
  });

  it('selects child datasets by nodename= or by name; the prefix stays the root name', async () => {
    expect(await q('| tstats count from datamodel=Shop.Orders where nodename=Orders.Big_Orders by Orders.item')).toEqual([
      { 'Orders.item': 'Banana', count: '1' },
      { 'Orders.item': 'apple', count: '1' },
    ]);
    expect(await q('| tstats count from datamodel=Shop.Big_Orders')).toEqual([{ count: '2' }]);
    expect(await q('| tstats count from datamodel=Shop where nodename = Big_Orders')).toEqual([{ count: '2' }]);
  });

  it('counts a row once per value of a multivalue BY field', async () => {
    expect(await q('| tstats count from datamodel=Shop.Orders by Orders.labels')).toEqual([
      { 'Orders.labels': 'a', count: '1' },
      { 'Orders.labels': 'b', count: '1' },
    ]);
  });

  it('names outputs fn(field) or AS, and computes the stats functions', async () => {
    expect(
      await q(
        '| tstats count count(Orders.region) values(Orders.item) AS items dc(Orders.customer) min(Orders.qty) max(Orders.qty) avg(Orders.qty) earliest(Orders.item) latest(Orders.item) min(_time) from datamodel=Shop.Orders',
      ),
    ).toEqual([
      {
        count: '4',
        'count(Orders.region)': '3',
        items: ['Apple', 'Banana', 'apple', 'cherry'],
        'dc(Orders.customer)': '3',
        'min(Orders.qty)': '1',
        'max(Orders.qty)': '5',
        'avg(Orders.qty)': '2.75',
        'earliest(Orders.item)': 'Apple',
        'latest(Orders.item)': 'cherry',
        'min(_time)': String(T0),
      },
    ]);
  });

  it('gives no value to fields outside the dataset; base fields are unprefixed', async () => {
    // price is in the events but not declared by the dataset.
    expect(await q('| tstats count from datamodel=Shop.Orders by Orders.price')).toEqual([]);
    expect(await q('| tstats fillnull_value=none count from datamodel=Shop.Orders by Orders.price customer')).toEqual([{ 'Orders.price': 'none', customer: 'none', count: '4' }]);
    expect(await q('| tstats count from datamodel=Shop.Orders by sourcetype, index')).toEqual([{ sourcetype: 'shop:order', index: 'main', count: '4' }]);
    expect(await q('| tstats count from datamodel=Shop.Orders where source=* "Orders.item"=apple')).toEqual([{ count: '2' }]);
    // Quoted names (ESCU: BY "Authentication.user") keep their name without the quotes.
    expect(await q('| tstats count from datamodel="Shop.Orders" by "Orders.customer"')).toEqual([
      { 'Orders.customer': 'alice', count: '2' },
      { 'Orders.customer': 'bob', count: '1' },
      { 'Orders.customer': 'carol', count: '1' },
    ]);
  });

  it('bins _time by span= wherever it is written, and by the bin rule without one', async () => {
    const hourly = [
      { _time: '1699999200', count: '2' },
      { _time: '1700002800', count: '1' },
      { _time: '1700006400', count: '1' },
    ];
    expect(await q('| tstats count from datamodel=Shop.Orders by _time span=1h')).toEqual(hourly);
    expect(await q('| tstats count from datamodel=Shop.Orders by _time span=1h,')).toEqual(hourly);
    expect(await q('| tstats count from datamodel=Shop.Orders by span=1h _time')).toEqual(hourly);
    expect(await q('| tstats count from datamodel=Shop.Orders by Orders.customer _time span=1h')).toEqual([
      { 'Orders.customer': 'alice', _time: '1699999200', count: '1' },
      { 'Orders.customer': 'alice', _time: '1700002800', count: '1' },
      { 'Orders.customer': 'bob', _time: '1699999200', count: '1' },
      { 'Orders.customer': 'carol', _time: '1700006400', count: '1' },
    ]);
    // Two hours of data: 1 min would make 121 bins, 5 min makes 25 (at most 100).
    expect(await q('| tstats count min(_time) as first from datamodel=Shop.Orders by _time')).toEqual([
      { _time: '1699999800', count: '1', first: String(T0) },
      { _time: '1700000400', count: '1', first: String(T0 + 600) },
      { _time: '1700003400', count: '1', first: String(T0 + 3600) },
      { _time: '1700007000', count: '1', first: String(T0 + 7200) },
    ]);
  });

  it('lists the fields a search names that its dataset lacks (for vigil validate)', () => {
    const p = plan('| tstats count values(Orders.prices) from datamodel=Shop.Orders where Orders.item=a Orders.colour=red OR sourcetype=x by Orders.customer customer _time', {
      macros: pack.macros,
      knowledge: pack.knowledge,
      now: NOW,
    });
    // With the field each most likely meant: the prefixed name (ESCU's "Create local admin accounts using net exe"
    // reads values(parent_process_name)), another case (processes.process_name), two edits at most; else none.
    expect(unknownDatasetFields(p)).toEqual([
      { name: 'Orders.colour', hint: null },
      { name: 'customer', hint: 'Orders.customer' },
      { name: 'Orders.prices', hint: null },
    ]);
    const typos = plan('| tstats count from datamodel=Shop.Orders where orders.qty>1 by Orders.qtty', { macros: pack.macros, knowledge: pack.knowledge, now: NOW });
    expect(unknownDatasetFields(typos)).toEqual([
      { name: 'orders.qty', hint: 'Orders.qty' },
      { name: 'Orders.qtty', hint: 'Orders.qty' },
    ]);
    // Over index data any name may be an indexed field a HEC client sent (`fields`): none is unknown.
    expect(unknownDatasetFields(plan('| tstats count where index=main by host, pod_name', { now: NOW }))).toEqual([]);
    // The nearest name, not the first within two edits: usr is one edit from user, two from os (declared first).
    const near = plan('| tstats count from datamodel=Endpoint.Processes by Processes.usr', { macros: pack.macros, knowledge: pack.knowledge, now: NOW });
    expect(unknownDatasetFields(near)).toEqual([{ name: 'Processes.usr', hint: 'Processes.user' }]);
  });

  it('takes earliest=/latest= in WHERE as the time range', async () => {
    expect(await q(`| tstats count from datamodel=Shop.Orders where earliest=${T0 + 3600} Orders.item=*`)).toEqual([{ count: '2' }]);
    expect(await q(`| tstats count from datamodel=Shop.Orders where latest=${T0 + 3600}`)).toEqual([{ count: '2' }]);
  });

  it('takes the older time modifiers in WHERE as the search command does (they were field comparisons: count=0)', async () => {
    // Search Reference, tstats: WHERE "supports the same time arguments" as search; Search Reference, Time
    // modifiers, "Other time modifiers": starttimeu/endtimeu (UNIX time), starttime/endtime (in timeformat,
    // default %m/%d/%Y:%H:%M:%S), hoursago ("the last integer number of hours").
    expect(await q(`| tstats count from datamodel=Shop.Orders where starttimeu=${T0 + 3600}`)).toEqual([{ count: '2' }]);
    expect(await q(`| tstats count from datamodel=Shop.Orders where endtimeu=${T0 + 3600}`)).toEqual([{ count: '2' }]);
    expect(await q('| tstats count from datamodel=Shop.Orders where starttime=11/14/2023:23:13:20')).toEqual([{ count: '2' }]); // T0 + 3600
    expect(await q(`| tstats count from datamodel=Shop.Orders where timeformat=%s starttime=${T0 + 600} Orders.item=*`)).toEqual([{ count: '3' }]);
    expect(await q('| tstats count from datamodel=Shop.Orders where hoursago=27 by Orders.item')).toEqual([ // since NOW - 27h = T0 + 2800
      { 'Orders.item': 'Banana', count: '1' },
      { 'Orders.item': 'cherry', count: '1' },
    ]);
    expect(await q(`| tstats count where index=main starttimeu=${T0 + 3600}`)).toEqual([{ count: '2' }]); // without FROM too
    const e = await splError(pack, `| tstats count from datamodel=Shop.Orders where starttimeu=${T0} OR Orders.item=x`, EVENTS);
    expect({ code: e.code, message: e.message }).toEqual({ code: 'SPL_BAD_ARGUMENT', message: 'earliest= must not be inside OR or NOT' });
  });

  it('runs a subsearch in WHERE first and keeps the rows matching its results, as the search command does', async () => {
    // Search Reference, tstats: WHERE filters "in much the same ways as you use it with the search command", where a
    // subsearch's results become (f=v f2=v2) OR (...), as `format` writes them (ESCU's Suspicious Linux Discovery
    // Commands: where [| inputlookup ... | rename process as Processes.process]). Orders 1-4: alice Apple eu, bob
    // apple us, alice Banana (no region), carol cherry eu.
    const sub = (evals: string, count = 1) => `[| makeresults count=${count} | streamstats count as n | eval ${evals} | fields - n]`;
    expect(await q(`| tstats count from datamodel=Shop.Orders where ${sub('Orders.customer="alice"')} by Orders.item`)).toEqual([
      { 'Orders.item': 'Apple', count: '1' },
      { 'Orders.item': 'Banana', count: '1' },
    ]);
    // Two results OR-ed, values case-insensitive: bob's and carol's orders.
    expect(await q(`| tstats count from datamodel=Shop.Orders where ${sub('Orders.customer=if(n=1,"BOB","carol")', 2)}`)).toEqual([{ count: '2' }]);
    // The fields of one result AND-ed: alice in eu is order 1 only.
    expect(await q(`| tstats count from datamodel=Shop.Orders where ${sub('Orders.customer="alice", Orders.region="eu"')}`)).toEqual([{ count: '1' }]);
    expect(await q(`| tstats count from datamodel=Shop.Orders where NOT ${sub('Orders.customer="alice"')} Orders.item=*`)).toEqual([{ count: '2' }]);
    // No result matches nothing.
    expect(await q(`| tstats count from datamodel=Shop.Orders where [| makeresults | where 1=2 | eval Orders.customer="alice"]`)).toEqual([{ count: '0' }]);
    // A tstats in the subsearch: who ordered a banana (alice), then alice's orders.
    expect(await q('| tstats count from datamodel=Shop.Orders where [| tstats count from datamodel=Shop.Orders where Orders.item=banana by Orders.customer | fields Orders.customer]')).toEqual([{ count: '2' }]);
    // Over index data too.
    expect(await q(`| tstats count where ${sub('sourcetype="other"')} by sourcetype`)).toEqual([{ sourcetype: 'other', count: '1' }]);
    // Its results obey WHERE's rules: a "query" result is a raw-text term, which tstats cannot search (at the subsearch).
    const e = await splError(pack, '| tstats count from datamodel=Shop.Orders where [| makeresults | eval query="apple" | fields query]', EVENTS);
    expect({ code: e.code, raw: e.message.includes('raw text'), at: e.format().split('\n')[1]!.trim() }).toEqual({ code: 'SPL_BAD_ARGUMENT', raw: true, at: 'at 1:49' });
  });

  it('accepts ESCU options and keeps one row with no input', async () => {
    expect(await q('| tstats summariesonly=false allow_old_summaries=true fillnull_value=null local=f chunk_size=10000000 include_reduced_buckets=t count from datamodel=Shop.Orders where Orders.item=kiwi')).toEqual([{ count: '0' }]);
    expect(await q('| tstats summariesonly=t count from datamodel=Shop.Orders where Orders.item=kiwi by Orders.item')).toEqual([]);
  });

  it('pushes the constraint (event types expanded) and WHERE conditions on raw fields into the scan', () => {
    const p = plan('| tstats count from datamodel=Shop.Orders where Orders.customer=carol Orders.status=paid by Orders.item', {
      macros: pack.macros,
      knowledge: pack.knowledge,
      now: NOW,
      source: memorySource([]),
    });
    expect(p.scan.metadata).toEqual([{ field: 'sourcetype', patterns: ['shop:order'] }]);
    const text = explainPlan(p);
    expect(text).toContain('pushdown sourcetype IN (shop:order)');
    // customer is declared (its row value is the event's): "carol" must be in the raw text. status is filled
    // with "unknown" when absent, but "paid" cannot be the fill, so it must be in the raw text too.
    expect(text).toMatch(/raw prefilter: .*carol/);
    expect(text).toMatch(/raw prefilter: .*paid/);
    // The cim_<Model>_indexes macro, once set, restricts the indexes scanned.
    const indexed = packWith({
      'datamodels/Shop.yml': SHOP_MODEL,
      'eventtypes/shop_order.yml': 'name: shop_order\nsearch: sourcetype=shop:order\ntags: [order]\n',
      'macros/cim_Shop_indexes.yml': 'name: cim_Shop_indexes\ndefinition: index=shop OR index=orders\n',
    });
    expect(plan('| tstats count from datamodel=Shop.Orders', { macros: indexed.macros, knowledge: indexed.knowledge, now: NOW }).scan.metadata).toEqual([
      { field: 'index', patterns: ['shop', 'orders'] },
      { field: 'sourcetype', patterns: ['shop:order'] },
    ]);
    // A condition its fill value satisfies says nothing about the event.
    const u = explainPlan(plan('| tstats count from datamodel=Shop.Orders where Orders.status=unk*', { macros: pack.macros, knowledge: pack.knowledge, now: NOW }));
    expect(u).not.toContain('raw prefilter');
  });
});

describe('tstats over Tetragon files', () => {
  it('reads only the process_exec lines for Endpoint.Processes (the constraint becomes a sourcetype pushdown)', async () => {
    const bundled = packWith();
    const kprobe = (i: number) => JSON.stringify({ process_kprobe: { process: { binary: '/bin/cat', pid: i }, function_name: 'security_file_permission' }, time: '2023-11-14T22:13:20Z' });
    const lines = [processExec(T0, { binary: '/usr/bin/curl', pid: 1 })._raw, kprobe(2), kprobe(3), processExec(T0 + 1, { binary: '/usr/bin/id', pid: 4 })._raw, kprobe(5)];
    const file = join(mkdtempSync(join(tmpdir(), 'vigil-tstats-')), 'tetragon.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const { results, stats } = await runSearch('| tstats count from datamodel=Endpoint.Processes by Processes.process_name', {
      source: new FileSource([file]),
      macros: bundled.macros,
      knowledge: bundled.knowledge,
      now: NOW,
    });
    expect(results.map((r) => [r.get('Processes.process_name'), r.get('count')])).toEqual([
      ['curl', 1],
      ['id', 1],
    ]);
    // The kprobe lines were skipped by the file reader, never parsed.
    expect(stats.eventsScanned).toBe(2);
  });
});

describe('tstats over index data (no FROM)', () => {
  it('groups by the indexed fields; other fields have no value', async () => {
    expect(await q('| tstats count where index=* by sourcetype')).toEqual([
      { sourcetype: 'other', count: '1' },
      { sourcetype: 'shop:order', count: '4' },
    ]);
    expect(await q('| tstats count where index=main sourcetype=shop* by index')).toEqual([{ index: 'main', count: '4' }]);
    expect(await q('| tstats count where customer=alice')).toEqual([{ count: '0' }]);
  });
});

describe('tstats prestats=true', () => {
  // Search Reference, tstats: "prestats ... Use this to output the answer in prestats format, which enables you
  // to pipe the results to a different type of processor, such as chart or timechart, that takes prestats
  // output"; "tstats is a report-generating command, except when prestats=true"; "You can also rename the
  // result using the AS keyword, unless you are in prestats mode". vigil passes the dataset's rows on (BY
  // fields filled or dropped, _time binned), so the stats after it gives the tstats result.
  it('feeds stats, chart and timechart the rows that give tstats results', async () => {
    // Members: orders 1-4. Regions eu, us, (none), eu; the order without a region is dropped, as by tstats.
    expect(await q('| tstats prestats=t count from datamodel=Shop.Orders by Orders.region | stats count by Orders.region')).toEqual([
      { 'Orders.region': 'eu', count: '2' },
      { 'Orders.region': 'us', count: '1' },
    ]);
    expect(await q('| tstats prestats=t fillnull_value=none count from datamodel=Shop.Orders by Orders.region | chart count over Orders.region')).toEqual([
      { 'Orders.region': 'eu', count: '2' },
      { 'Orders.region': 'none', count: '1' },
      { 'Orders.region': 'us', count: '1' },
    ]);
    // Totals (qty*price): alice 20 + 200, bob 150, carol 3.
    expect(await q('| tstats prestats=t sum(Orders.total) from datamodel=Shop.Orders by Orders.customer | stats sum(Orders.total) as total by Orders.customer')).toEqual([
      { 'Orders.customer': 'alice', total: '220' },
      { 'Orders.customer': 'bob', total: '150' },
      { 'Orders.customer': 'carol', total: '3' },
    ]);
    // T0 is 22:13:20 UTC: orders at +0 and +600 s in the 22:00 hour, +3600 in 23:00, +7200 in 00:00.
    expect(await q('| tstats prestats=t count from datamodel=Shop.Orders by _time span=1h | timechart span=1h count | eval h=strftime(_time, "%H") | table h count')).toEqual([
      { h: '22', count: '2' },
      { h: '23', count: '1' },
      { h: '00', count: '1' },
    ]);
  });

  it('passes one row per dataset row: BY fields, _time (binned when grouped by), the fields the functions read; AS has no effect', async () => {
    // alice's orders: Apple at T0 (qty 2), Banana at T0+3600 (qty 1).
    expect(await q(`| tstats prestats=t max(Orders.qty) AS m from datamodel=Shop.Orders where Orders.customer=alice by Orders.item | eval t=_time-${T0} | table Orders.item Orders.qty t m | sort Orders.item`)).toEqual([
      { 'Orders.item': 'Apple', 'Orders.qty': '2', t: '0' },
      { 'Orders.item': 'Banana', 'Orders.qty': '1', t: '3600' },
    ]);
    // by _time span=1h: 22:13:20 and 23:13:20 become 22:00:00 and 23:00:00 (800 s before each).
    expect(await q(`| tstats prestats=t count from datamodel=Shop.Orders where Orders.customer=alice by _time span=1h | eval t=_time-${T0} | table t | sort t`)).toEqual([{ t: '-800' }, { t: '2800' }]);
  });

  it('refuses earliest/latest(_time) functions beside BY _time span=: the rows hold the bins, not the event times', async () => {
    // tstats reads each event's time (orders at T0+0 and T0+600 share the 22:00 bin): earliest_time is T0, not the bin start.
    expect(await q(`| tstats earliest_time(Orders.item) as e latest(Orders.item) as l from datamodel=Shop.Orders by _time span=1h | eval e=e-${T0} | table e l | head 1`)).toEqual([{ e: '0', l: 'apple' }]);
    const e = await splError(pack, '| tstats prestats=t count earliest_time(Orders.item) from datamodel=Shop.Orders by _time span=1h | timechart span=1h earliest_time(Orders.item)', EVENTS);
    expect({ code: e.code, at: e.format().split('\n')[1]!.trim() }).toEqual({ code: 'SPL_BAD_ARGUMENT', at: 'at 1:27' });
    for (const f of ['earliest', 'latest', 'latest_time']) expect((await splError(pack, `| tstats prestats=t ${f}(Orders.item) from datamodel=Shop.Orders by _time span=1h | stats ${f}(Orders.item) by _time`, EVENTS)).code).toBe('SPL_BAD_ARGUMENT');
    // Without span= the rows keep the event times; the command after it bins: the same as tstats.
    expect(await q(`| tstats prestats=t earliest_time(Orders.item) latest(Orders.item) from datamodel=Shop.Orders by _time | timechart span=1h earliest_time(Orders.item) as e latest(Orders.item) as l | eval e=e-${T0} | table e l | head 1`)).toEqual([{ e: '0', l: 'apple' }]);
  });

  it('refuses min/max/any function of _time beside span=, and a function of a BY field that fillnull_value fills (differential fuzzing found both)', async () => {
    // tstats' min(_time) is the first event's time (T0 = 22:13:20 in the 22:00 bin), not the bin's start; the prestats
    // rows hold only the bin, so '| stats min(_time)' after them said 22:00:00.
    expect(await q(`| tstats min(_time) as m from datamodel=Shop.Orders by _time span=1h | eval m=m-${T0} | table m | head 1`)).toEqual([{ m: '0' }]);
    for (const f of ['min', 'max', 'range', 'values', 'dc']) {
      const e = await splError(pack, `| tstats prestats=t ${f}(_time) from datamodel=Shop.Orders by _time span=1h | stats ${f}(_time) by _time`, EVENTS);
      expect({ code: e.code, at: e.format().split('\n')[1]!.trim() }).toEqual({ code: 'SPL_BAD_ARGUMENT', at: 'at 1:21' });
    }
    // Search Reference, tstats: fillnull_value "substitutes for null values for any field within its group-by field
    // list": the functions still read the null. Order 3 has no region: tstats' values(Orders.region) of its group is
    // empty, where the filled prestats rows would give "none".
    expect(await q('| tstats fillnull_value=none count values(Orders.region) as r from datamodel=Shop.Orders by Orders.region | where Orders.region="none"')).toEqual([{ 'Orders.region': 'none', count: '1' }]);
    const e = await splError(pack, '| tstats prestats=t fillnull_value=none values(Orders.region) from datamodel=Shop.Orders by Orders.region | stats values(Orders.region) by Orders.region', EVENTS);
    expect({ code: e.code, at: e.format().split('\n')[1]!.trim() }).toEqual({ code: 'SPL_BAD_ARGUMENT', at: 'at 1:41' });
    // Without fillnull_value the null rows are dropped: nothing differs, so it runs.
    expect(await q('| tstats prestats=t values(Orders.region) from datamodel=Shop.Orders by Orders.region | stats values(Orders.region) as r count by Orders.region')).toEqual([
      { 'Orders.region': 'eu', r: 'eu', count: '2' },
      { 'Orders.region': 'us', r: 'us', count: '1' },
    ]);
  });
});

describe('tstats errors', () => {
  const error = async (spl: string) => {
    const e = await splError(pack, spl, EVENTS);
    return { code: e.code, message: e.message, at: e.format().split('\n')[1]!.trim() };
  };

  it('unknown data models and datasets, at the FROM clause or the nodename', async () => {
    expect(await error('| tstats count from datamodel=Nope.X')).toMatchObject({ code: 'SPL_UNKNOWN_DATAMODEL', message: expect.stringContaining('unknown data model "Nope"'), at: 'at 1:16' });
    expect(await error('| tstats count from datamodel=Shop.Refunds')).toMatchObject({ code: 'SPL_UNKNOWN_DATAMODEL', message: expect.stringContaining('has no dataset "Refunds"') });
    expect(await error('| tstats count from datamodel=Shop.Orders where nodename=Big_Orders.Orders')).toMatchObject({ code: 'SPL_UNKNOWN_DATAMODEL', at: 'at 1:49' });
    expect(await error('| tstats count from datamodel=Endpoint')).toMatchObject({ code: 'SPL_UNKNOWN_DATAMODEL', message: expect.stringContaining('5 root datasets') });
  });

  it('unsupported options and functions', async () => {
    expect(await error('| tstats prestats=t append=t count from datamodel=Shop.Orders')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: expect.stringContaining('append=true is not supported'), at: 'at 1:28' });
    expect(await error('| tstats append=t count')).toMatchObject({ code: 'SPL_BAD_ARGUMENT' });
    expect(await error('| tstats prestats=maybe count')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', at: 'at 1:19' });
    expect(await error('| tstats sumariesonly=t count')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: expect.stringContaining('unknown tstats option "sumariesonly"'), at: 'at 1:10' });
    expect(await error('| tstats list(Orders.item) from datamodel=Shop.Orders')).toMatchObject({ code: 'SPL_UNSUPPORTED_FUNCTION', at: 'at 1:10' });
    expect(await error('| tstats count(eval(Orders.qty>1)) from datamodel=Shop.Orders')).toMatchObject({ code: 'SPL_UNSUPPORTED_FUNCTION' });
    expect(await error('| tstats sum from datamodel=Shop.Orders')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: 'sum needs a field: sum(field)' });
    expect(await error('| tstats count from datamodel=Shop.Orders by _time span=1ms')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: expect.stringContaining('subseconds') });
    // A unitless span is seconds (Search Reference, tstats: "<timescale> does not support subseconds"); 0.5 binned by half seconds.
    expect(await error('| tstats count from datamodel=Shop.Orders by _time span=0.5')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: expect.stringContaining('subseconds'), at: 'at 1:57' });
    expect(await error('| tstats count from datamodel=Shop.Orders by _time span=90.25')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: expect.stringContaining('subseconds') });
    // A whole number of seconds bins as its unit form does (1800 = 30m, epoch-aligned).
    expect(await q('| tstats count from datamodel=Shop.Orders by _time span=1800')).toEqual([
      { _time: '1699999200', count: '2' },
      { _time: '1700002800', count: '1' },
      { _time: '1700006400', count: '1' },
    ]);
    expect(await error('| tstats count where nodename=Orders.Big_Orders')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: expect.stringContaining('add the FROM clause') });
    // PREFIX() (Search Reference, tstats: "<function>(PREFIX(<string>) | <field>)" and "BY (<field-list> | (PREFIX(<field>)))")
    // is refused at PREFIX wherever it is written; glued to its ( it grouped by a field named "PREFIX(kb=)" (no rows, no
    // error), and in a function it was "missing )".
    expect(await error('| tstats count where index=main by PREFIX(kb=)')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: 'PREFIX() is not supported', at: 'at 1:36' });
    expect(await error('| tstats count where index=main by host, prefix(kb=) span=1h')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: 'PREFIX() is not supported', at: 'at 1:42' });
    expect(await error('| tstats count where index=main by PREFIX (kb=)')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: 'PREFIX() is not supported', at: 'at 1:36' });
    expect(await error('| tstats sum(PREFIX(kb=)) where index=main')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: 'PREFIX() is not supported', at: 'at 1:14' });
    expect(await error('| tstats count max( prefix(kb=) ) as m where index=main')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: 'PREFIX() is not supported', at: 'at 1:21' });
    // At the span= itself, not at what follows it (the end of the command, or the next pipe).
    expect(await error('| tstats count from datamodel=Shop.Orders by Orders.item span=1h | head 1')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: expect.stringContaining('add _time'), at: 'at 1:58' });
  });

  it('a FROM or WHERE after BY is a misplaced clause, not a BY field (that grouped by a field named "where": no rows, no error)', async () => {
    expect(await error('| tstats count from datamodel=Shop.Orders by Orders.item where Orders.item=a')).toMatchObject({ code: 'SPL_SYNTAX', message: expect.stringContaining('unexpected WHERE here'), at: 'at 1:58' });
    expect(await error('| tstats count by host from datamodel=Shop.Orders')).toMatchObject({ code: 'SPL_SYNTAX', message: expect.stringContaining('unexpected FROM here'), at: 'at 1:24' });
    expect(await error('| tstats count from datamodel=Shop.Orders by Orders.item where')).toMatchObject({ code: 'SPL_SYNTAX', message: expect.stringContaining('unexpected WHERE here') });
    // A FROM or a second WHERE inside WHERE is out of order too (it was "\"from\" would search raw text").
    expect(await error('| tstats count where Orders.item=a from datamodel=Shop.Orders')).toMatchObject({ code: 'SPL_SYNTAX', message: expect.stringContaining('unexpected FROM here'), at: 'at 1:36' });
    expect(await error('| tstats count from datamodel=Shop.Orders where Orders.item=a where Orders.qty=1')).toMatchObject({ code: 'SPL_SYNTAX', message: expect.stringContaining('unexpected WHERE here'), at: 'at 1:63' });
    // Quoted, they are field names.
    expect(await q('| tstats fillnull_value=none count from datamodel=Shop.Orders by "where"')).toEqual([{ where: 'none', count: '4' }]); // the four shop:order events
  });

  it('malformed WHERE clauses, at their position, also inside macros', async () => {
    expect(await error('| tstats count from datamodel=Shop.Orders where Orders.item=')).toMatchObject({ code: 'SPL_SYNTAX', at: 'at 1:60' });
    expect(await error('| tstats count from datamodel=Shop.Orders where (Orders.item=a by Orders.item')).toMatchObject({ code: 'SPL_SYNTAX', at: 'at 1:49' });
    expect(await error('| tstats count from datamodel=Shop.Orders where curl')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', message: expect.stringContaining('raw text'), at: 'at 1:49' });
    // CASE()/TERM() around a comparison are raw-text terms too (Search Manual: they match terms in the raw event); the
    // message names them as written and the comparison they likely meant (it said "write <field>=Orders.item=Apple").
    expect(await error('| tstats count from datamodel=Shop.Orders where CASE(Orders.item=Apple)')).toMatchObject({
      code: 'SPL_BAD_ARGUMENT',
      message: 'tstats WHERE compares fields; CASE(Orders.item=Apple) would search raw text, which tstats cannot: write Orders.item=CASE(Apple)',
      at: 'at 1:49',
    });
    expect(await error('| tstats count where index=main TERM(10.0.0.1)')).toMatchObject({ message: 'tstats WHERE compares fields; TERM(10.0.0.1) would search raw text, which tstats cannot: write <field>=10.0.0.1' });
    expect(await error('| tstats count where index=main "a b"')).toMatchObject({ message: 'tstats WHERE compares fields; "a b" would search raw text, which tstats cannot: write <field>="a b"' });
    expect(await error('| tstats count from datamodel=Shop.Orders where Orders.item=a OR earliest=-1d')).toMatchObject({ code: 'SPL_BAD_ARGUMENT', at: 'at 1:66' });
    const macroPack = packWith({ 'datamodels/Shop.yml': SHOP_MODEL, 'macros/bad_items.yml': 'name: bad_items\ndefinition: (Orders.item IN (a, b)\n' });
    const e = await splError(macroPack, '| tstats count from datamodel=Shop.Orders where `bad_items` by Orders.item');
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain('in macro `bad_items`');
  });

  it('a dataset whose definition does not compile fails the search at FROM, naming the file and line', async () => {
    const broken = packWith({ 'datamodels/Shop.yml': SHOP_MODEL.replace("'qty*price'", "'qty*'"), 'macros/cim_Shop_indexes.yml': 'name: cim_Shop_indexes\ndefinition: ()\n' });
    const e = await splError(broken, '| tstats count from datamodel=Shop.Orders');
    expect(e.code).toBe('DATAMODEL_INVALID');
    expect(e.message).toMatch(/data model Shop dataset Orders calculation total is invalid \(.*datamodels\/Shop\.yml:14:\d+\)/);
    expect(e.format()).toContain('at 1:16');
  });
});
