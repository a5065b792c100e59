import { describe, it, expect } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { runSearch, SplError, type LookupProvider, type LookupTable } from '../../../src/spl/index.js';

const NOW = 1700000000;

const TABLES: LookupTable[] = [
  {
    name: 'users',
    fields: ['user', 'dept', 'level'],
    rows: [
      { user: 'alice', dept: 'it', level: '3' },
      { user: 'bob', dept: 'hr', level: '' },
      { user: 'alice', dept: 'sec', level: '5' },
      { user: 'Carol', dept: 'ops', level: '1' },
    ],
    caseSensitive: true,
  },
  {
    name: 'ports.csv',
    fields: ['port', 'proto', 'service'],
    rows: [
      { port: '22', proto: 'tcp', service: 'ssh' },
      { port: '53', proto: 'udp', service: 'dns' },
      { port: '53', proto: 'tcp', service: 'dns-tcp' },
    ],
    caseSensitive: true,
  },
  {
    name: 'hosts_ci',
    fields: ['host', 'owner'],
    rows: [{ host: 'WEB01', owner: 'web team' }],
    caseSensitive: false,
  },
];

// transforms.conf: match_type WILDCARD(<field>), min_matches, default_match, max_matches (as security_content's
// linux_tool_discovery_process: WILDCARD(process), min_matches 1, case_sensitive_match false).
TABLES.push(
  {
    name: 'tools',
    fields: ['process', 'tool'],
    rows: [
      { process: '*nmap*', tool: 'scanner' },
      { process: 'curl *-o*', tool: 'download' },
      { process: 'a*b*a', tool: 'aba' },
      { process: '', tool: 'empty' },
    ],
    caseSensitive: false,
    wildcardFields: ['process'],
    minMatches: 1,
    defaultMatch: 'none',
  },
  {
    // Search Reference, lookup, example "IPv6 CIDR match in Splunk Web": ipv6test.csv, match type CIDR(ip).
    name: 'ipv6test',
    fields: ['ip', 'expected'],
    rows: [
      { ip: '2001:0db8:ffff:ffff:ffff:ffff:ffff:ff00/120', expected: 'true' },
      { ip: '10.0.0.0/8', expected: 'ten' },
      { ip: '10.1.2.3', expected: 'host' },
    ],
    caseSensitive: true,
    cidrFields: ['ip'],
  },
  {
    name: 'first_only',
    fields: ['k', 'v'],
    rows: [
      { k: 'a', v: '1' },
      { k: 'a', v: '2' },
    ],
    caseSensitive: true,
    maxMatches: 1,
    minMatches: 3,
  },
);

const lookups: LookupProvider = {
  get: (name) => TABLES.find((t) => t.name === name),
  names: () => TABLES.map((t) => t.name),
};

const run = async (spl: string) => (await runSearch(spl, { now: NOW, lookups })).results.map(toObject);

async function errorOf(spl: string): Promise<SplError> {
  try {
    await runSearch(spl, { now: NOW, lookups });
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error(`expected an error from: ${spl}`);
}

const at = (spl: string, text: string, from = 0) => `at 1:${spl.indexOf(text, from) + 1}`;

describe('lookup', () => {
  it('without OUTPUT adds every non-input table field; several matching rows make multivalues in table order', async () => {
    const rows = await run('| makeresults | eval user="alice" | lookup users user | table user dept level');
    expect(rows).toEqual([{ user: 'alice', dept: ['it', 'sec'], level: ['3', '5'] }]);
  });

  it('matches case-sensitively unless the table says otherwise', async () => {
    expect(await run('| makeresults | eval user="ALICE" | lookup users user | table dept')).toEqual([{}]);
    expect(await run('| makeresults | eval user="Carol" | lookup users user OUTPUT dept | table dept')).toEqual([{ dept: 'ops' }]);
    expect(await run('| makeresults | eval host="web01" | lookup hosts_ci host OUTPUT owner | table owner')).toEqual([{ owner: 'web team' }]);
  });

  it('AS maps table fields to event fields on both sides', async () => {
    const rows = await run('| makeresults | eval who="bob" | lookup users user AS who OUTPUT dept AS department | table who department dept');
    expect(rows).toEqual([{ who: 'bob', department: 'hr' }]);
  });

  it('skips empty table cells', async () => {
    const rows = await run('| makeresults | eval user="bob" | lookup users user OUTPUT dept, level | table dept level');
    expect(rows).toEqual([{ dept: 'hr' }]);
  });

  it('OUTPUT overwrites, and clears the output fields when nothing matches', async () => {
    const spl = '| makeresults count=2 | streamstats count as n | eval user=if(n=1, "bob", "nobody"), dept="old" | lookup users user OUTPUT dept | table n dept';
    expect(await run(spl)).toEqual([{ n: 1, dept: 'hr' }, { n: 2 }]);
  });

  it('OUTPUTNEW only fills fields the event does not have', async () => {
    const spl = '| makeresults | eval user="alice", dept="keep" | lookup users user OUTPUTNEW dept, level | table dept level';
    expect(await run(spl)).toEqual([{ dept: 'keep', level: ['3', '5'] }]);
    const none = '| makeresults | eval user="nobody", dept="keep" | lookup users user OUTPUTNEW dept | table dept';
    expect(await run(none)).toEqual([{ dept: 'keep' }]);
  });

  it('matches several input fields together, and a multivalue event field by any value', async () => {
    const both = '| makeresults | eval port=53, proto="tcp" | lookup ports port, proto OUTPUT service | table service';
    expect(await run(both)).toEqual([{ service: 'dns-tcp' }]);
    const mvPorts = '| makeresults | eval p=split("53,22", ",") | lookup ports.csv port AS p OUTPUT service | table service';
    expect(await run(mvPorts)).toEqual([{ service: ['ssh', 'dns', 'dns-tcp'] }]);
  });

  it('resolves the table name with or without .csv', async () => {
    expect(await run('| makeresults | eval port=22 | lookup ports port OUTPUT service | table service')).toEqual([{ service: 'ssh' }]);
    expect(await run('| makeresults | eval user="bob" | lookup users.csv user OUTPUT dept | table dept')).toEqual([{ dept: 'hr' }]);
  });

  // transforms.conf.spec: match_type "WILDCARD, CIDR, and EXACT"; min_matches: "if min_matches > 0, and Splunk software gets
  // less than min_matches, it provides the default_match value"; default_match: "one or more times until the min_matches
  // threshold is reached" (default: empty string); max_matches: "uses the first <integer> entries, in file order".
  it('WILDCARD fields match their patterns (case as the table says); min_matches fills with default_match; max_matches caps', async () => {
    const tool = async (p: string) => (await run(`| makeresults | eval p="${p}" | lookup tools process AS p OUTPUT tool | table tool`))[0]!.tool;
    expect(await tool('/usr/bin/NMAP -sS')).toBe('scanner');
    expect(await tool('curl http://x -o /tmp/y')).toBe('download');
    expect(await tool('aba')).toBe('aba');
    expect(await tool('abba')).toBe('aba');
    expect(await tool('ab')).toBe('none');
    expect(await tool('curl -x')).toBe('none');
    // No input value: no lookup, so no default either.
    expect(await run('| makeresults | lookup tools process OUTPUT tool | table tool')).toEqual([{}]);
    // max_matches 1: the first row in file order; min_matches 3: default_match (empty by default) outputs nothing.
    expect(await run('| makeresults | eval k="a" | lookup first_only k OUTPUT v | table v')).toEqual([{ v: '1' }]);
    expect(await run('| makeresults | eval k="z" | lookup first_only k OUTPUT v | table v')).toEqual([{}]);
  });

  // Knowledge Manager Manual, "Add field matching rules to your lookup configuration": max_matches and min_matches count
  // "for each value input to the lookup table from your events"; default_match is given "for any given input" with fewer.
  it('max_matches and min_matches apply to each value of a multivalue input field', async () => {
    // max_matches 1: each of a, b gets its first row (file order), not the event its first row only.
    const firstOnly = { name: 'first_each', fields: ['k', 'v'], rows: [{ k: 'a', v: '1' }, { k: 'a', v: '2' }, { k: 'b', v: '3' }, { k: 'b', v: '4' }], caseSensitive: true, maxMatches: 1 };
    const one: LookupProvider = { get: (n) => (n === 'first_each' ? firstOnly : lookups.get(n)), names: () => ['first_each'] };
    const out = async (spl: string, l: LookupProvider) => (await runSearch(spl, { now: NOW, lookups: l })).results.map(toObject);
    expect(await out('| makeresults | eval k=split("b,a", ",") | lookup first_each k OUTPUT v | table v', one)).toEqual([{ v: ['1', '3'] }]);
    // min_matches 1 with default_match "none": the value that matches nothing gets the default, the other its row.
    expect(await run('| makeresults | eval p=split("nmap -sS,ls", ",") | lookup tools process AS p OUTPUT tool | table tool')).toEqual([{ tool: ['scanner', 'none'] }]);
    // One value given twice (case-insensitive table: NMAP and nmap are one input) is one input.
    expect(await run('| makeresults | eval p=split("NMAP,nmap", ",") | lookup tools process AS p OUTPUT tool | table tool')).toEqual([{ tool: 'scanner' }]);
  });

  // Search Reference, lookup: "The lookup command supports IPv4 and IPv6 addresses and subnets that use CIDR notation";
  // its example: 2001:0db8:ffff:ffff:ffff:ffff:ffff:ff99 in ipv6test (CIDR(ip)) gives expected=true.
  it('CIDR fields match addresses in their subnets, in file order', async () => {
    const expected = async (ip: string) => (await run(`| makeresults | eval ip="${ip}" | lookup ipv6test ip OUTPUT expected | table expected`))[0]!.expected;
    expect(await expected('2001:0db8:ffff:ffff:ffff:ffff:ffff:ff99')).toBe('true');
    expect(await expected('2001:db8:ffff:ffff:ffff:ffff:ffff:1ff')).toBeUndefined();
    expect(await expected('10.1.2.3')).toEqual(['ten', 'host']);
    expect(await expected('10.200.0.1')).toBe('ten');
    expect(await expected('11.0.0.1')).toBeUndefined();
    expect(await expected('not an ip')).toBeUndefined();
  });

  it('a WILDCARD pattern of many stars against a long value that nearly matches is quick (no backtracking)', async () => {
    const long = 'a'.repeat(20_000);
    const started = performance.now();
    const rows = await runSearch(`| makeresults | eval p="${long}" | lookup stars process AS p OUTPUT tool | table tool`, {
      now: NOW,
      lookups: { get: () => ({ name: 'stars', fields: ['process', 'tool'], rows: [{ process: `${'*a'.repeat(30)}*b`, tool: 'x' }], caseSensitive: true, wildcardFields: ['process'] }), names: () => ['stars'] },
    });
    expect(rows.results.map(toObject)).toEqual([{}]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('leaves results without the input field unmatched', async () => {
    expect(await run('| makeresults | lookup users user OUTPUTNEW dept | table dept')).toEqual([{}]);
  });

  it('rejects unknown tables and fields at their position', async () => {
    let spl = '| makeresults | lookup nosuch user';
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toMatch(/unknown lookup table "nosuch"/);
    expect(e.format()).toContain(at(spl, 'nosuch'));

    spl = '| makeresults | lookup users usr OUTPUT dept';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'usr'));

    spl = '| makeresults | lookup users user OUTPUT dept, salary AS pay';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toMatch(/no field "salary"/);
    expect(e.format()).toContain(at(spl, 'salary'));
  });

  it('rejects malformed arguments at their position', async () => {
    let spl = '| makeresults | lookup users';
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');

    spl = '| makeresults | lookup users user OUTPUT';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.message).toMatch(/OUTPUT needs/);

    spl = '| makeresults | lookup users user AS';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');

    spl = '| makeresults | lookup local=maybe users user';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'maybe'));
  });
});
