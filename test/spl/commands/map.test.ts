import { describe, expect, it } from 'vitest';
import { Row, toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { explainPlan, MacroLibrary, plan, runSearch, SplError } from '../../../src/spl/index.js';
import { MAP_MAX_SEARCHES, substitute } from '../../../src/spl/commands/map.js';
import { loadContent } from '../../../src/detections/content.js';
import { runDetections } from '../../../src/detections/run.js';
import { at, errorOf, NOW, run } from './helpers.js';

const ev = (t: number, fields: Record<string, unknown>) => ({ _time: t, _raw: JSON.stringify(fields), index: 'main', sourcetype: 'json', source: 's', host: 'h' });
/** Logins and a sudo (newest first in a search: the sudo, bob's login, alice's login), and one event long before. */
const EVENTS = [
  ev(NOW - 30, { user: 'alice', action: 'login' }),
  ev(NOW - 20, { user: 'bob', action: 'login' }),
  ev(NOW - 10, { user: 'alice', action: 'sudo' }),
  ev(NOW - 1000, { user: 'bob', action: 'sudo' }),
];

async function runWith(spl: string, earliest: number | null = null): Promise<{ rows: Record<string, unknown>[]; warnings: string[] }> {
  const warnings: string[] = [];
  const { results } = await runSearch(spl, { now: NOW, earliest, source: new MemorySource(EVENTS), onWarning: (m) => warnings.push(m) });
  return { rows: results.map(toObject), warnings };
}

describe('map', () => {
  it('runs the search once per result with $field$ replaced by its values, results concatenated in input order', async () => {
    // Search Reference, map: `...| map search="search index=_internal earliest=$myearliest$ latest=$mylatest$"`, and
    // "A search with a string like $count$, for example, will replace the variable with the value of the count field
    // in the input search result." Worked by hand: the first window [NOW-35, NOW-15) holds bob's and alice's logins
    // (newest first), the second [NOW-15, NOW) alice's sudo.
    const spl = `| makeresults count=2 | streamstats count as n | eval myearliest=if(n=1, ${NOW - 35}, ${NOW - 15}), mylatest=if(n=1, ${NOW - 15}, ${NOW}) | map search="search index=main earliest=$myearliest$ latest=$mylatest$ | table user, action"`;
    expect((await runWith(spl)).rows).toEqual([
      { user: 'bob', action: 'login' },
      { user: 'alice', action: 'login' },
      { user: 'alice', action: 'sudo' },
    ]);
  });

  it('the bracketed form runs its subsearch text as the template, over the same events and time range as the search', async () => {
    // Search Reference (6.x), map: `<searchoption>` Syntax: `[subsearch] | search="<string>"`. The event before the
    // default range (earliest=NOW-100: bob's old sudo) is seen by neither the search nor map's searches.
    const spl = 'action=login | table user | map [search user=$user$ | stats count by user]';
    expect((await runWith(spl, NOW - 100)).rows).toEqual([
      { user: 'bob', count: 1 },
      { user: 'alice', count: 2 },
    ]);
  });

  it('$_serial_id$ is the number of the search: 1, 2, 3...', async () => {
    // Search Reference, map: "the first run search will have the ID value 1, and the second 2, and so on."
    expect(await run('| makeresults count=3 | streamstats count as n | eval n=n*10 | map search="| makeresults | eval id=$_serial_id$, n=$n$ | fields - _time"')).toEqual([
      { id: 1, n: 10 },
      { id: 2, n: 20 },
      { id: 3, n: 30 },
    ]);
  });

  it('maxsearches (default 10): the first results run searches, a warning says how many did not', async () => {
    // Search Reference, map: maxsearches "The maximum number of searches to run. A message is generated if there are
    // more search results than the maximum number that you specify. Zero ( 0 ) does not equate to unlimited searches.
    // Default: 10".
    const many = await runWith('| makeresults count=12 | streamstats count as n | map search="| makeresults | eval n=$n$ | fields - _time"');
    expect(many.rows.map((r) => r['n'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(many.warnings).toEqual(['map: 12 results, searches ran for the first 10 only (maxsearches=10)']);
    const three = await runWith('| makeresults count=5 | streamstats count as n | map maxsearches=3 search="| makeresults | eval n=$n$ | fields - _time"');
    expect(three.rows.map((r) => r['n'])).toEqual([1, 2, 3]);
    const none = await runWith('| makeresults count=2 | map search="| makeresults" maxsearches=0');
    expect(none.rows).toEqual([]);
    expect(none.warnings).toEqual(['map: 2 results, searches ran for the first 0 only (maxsearches=0)']);
    // A huge maxsearches is no more than the results there are.
    const all = await runWith('| makeresults count=3 | streamstats count as n | map maxsearches=99999999999999999999 search="| makeresults | eval n=$n$ | fields - _time"');
    expect(all.rows.map((r) => r['n'])).toEqual([1, 2, 3]);
    expect(all.warnings).toEqual([]);
  });

  it(`runs at most ${MAP_MAX_SEARCHES} searches whatever maxsearches says, and keeps no more results than that`, async () => {
    // 1,000,000 results: only the first 10,000 are kept (each would scan the events again).
    const { rows, warnings } = await runWith('| makeresults count=1000000 | streamstats count as n | map maxsearches=2000000 search="| makeresults | eval n=$n$ | fields - _time" | stats count, max(n) as last');
    expect(rows).toEqual([{ count: MAP_MAX_SEARCHES, last: MAP_MAX_SEARCHES }]);
    expect(warnings).toEqual([`map: 1000000 results, searches ran for the first ${MAP_MAX_SEARCHES} only (vigil runs at most ${MAP_MAX_SEARCHES} searches per map)`]);
  });

  it('a value cannot change the search: escaped inside quotes, quoted outside when it is not a plain word', async () => {
    // Splunk substitutes the raw text (a value with a quote breaks its search); vigil keeps the value one value
    // (docs/spl.md, map, Deviation). Worked by hand: each search's `got` is the value itself, no `pwned` field.
    const values = ['a"b', 'x" | eval pwned="1', 'c\\', 'd] | eval pwned=1 | eval e=[', 'two words', '`notamacro`', '$w$'];
    for (const v of values) {
      const input = `| makeresults | eval v=${JSON.stringify(v)}, w="z" | fields - _time`;
      for (const template of ['search="| makeresults | eval got=\\"$v$\\" | fields - _time"', 'search="| makeresults | eval got=$v$ | fields - _time"', '[| makeresults | eval got="$v$" | fields - _time]']) {
        expect(await run(`${input} | map ${template}`), `${v} in ${template}`).toEqual([{ got: v }]);
      }
    }
    // A backslash written just before the token stays a backslash before the value (`"\$v$"` is `\` and the value),
    // never one that escapes the value's first quote and ends its string early.
    for (const v of ['" | eval pwned=1 | eval z="', 'a | eval pwned=1', '\\', 'plain']) {
      const input = `| makeresults | eval v=${JSON.stringify(v)} | fields - _time`;
      expect(await run(`${input} | map [| makeresults | eval got="\\$v$" | fields - _time]`), v).toEqual([{ got: `\\${v}` }]);
      expect(await run(`${input} | map [| makeresults | eval got="\\\\\\$v$" | fields - _time]`), v).toEqual([{ got: `\\\\${v}` }]);
      // Outside quotes, `y=\$v$`: the value stays one quoted term after the backslash, no pipe ends it (no pwned=1).
      expect(await run(`${input} | map [| makeresults | eval x=1 | search x=1 OR y=\\$v$ | stats count(eval(pwned=1)) as p]`), v).toEqual([{ p: 0 }]);
    }
    // A plain word outside quotes is written as it is: a number stays a number, a field name reads that field.
    expect(await run('| makeresults | eval v=42 | map search="| makeresults | eval got=$v$ + 1 | fields - _time"')).toEqual([{ got: 43 }]);
  });

  it("'$f$' names the field the value names (an eval field name), a name with spaces included", async () => {
    // Splunk pastes the value between the single quotes: `'$f$'` with f="my field" is `'my field'`, that field.
    for (const name of ['my field', 'a-b.c/d@e', 'plain']) {
      const spl = `| makeresults | eval f=${JSON.stringify(name)} | map search="| makeresults | eval ${JSON.stringify(name).replace(/"/g, '\\"')}=5 | eval got='$f$'*2 | table got"`;
      expect(await run(spl), name).toEqual([{ got: 10 }]);
    }
    // Anything else is quoted, so that it cannot split the pipeline or add terms: in a search command `'$v$'` with a
    // `|` in the value would otherwise run the commands after it.
    for (const v of ['x | eval pwned=1 | search pwned=1 OR y=z', 'a OR b', "x' | eval pwned=1 | eval y='"]) {
      const spl = `| makeresults | eval v=${JSON.stringify(v)} | map search="| makeresults | search _time>0 OR '$v$' | stats count(eval(pwned=1)) as p"`;
      expect(await run(spl), v).toEqual([{ p: 0 }]);
    }
  });

  it('a template of many tokens is filled in one pass (each token does not re-read the text before it)', () => {
    // 40,000 tokens, alternately inside and outside double quotes: re-reading the text before each token (as the
    // first version did) is ~5e9 character reads (about a minute, past the 30 s test timeout); one pass is ~4e5.
    const n = 40_000;
    const template = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'x=$v$' : 'y="$v$"')).join(' ');
    const out = substitute(template, new Row({ v: 'a b' }), 1, new Set());
    // Outside quotes a value with a space is written quoted; inside, as it is.
    expect(out).toBe(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'x="a b"' : 'y="a b"')).join(' '));
  });

  it('a multivalue field gives its values joined by a space', async () => {
    expect(await run('| makeresults | eval v=split("a,b", ",") | map search="| makeresults | eval got=\\"$v$\\", again=$v$ | fields - _time"')).toEqual([{ got: 'a b', again: 'a b' }]);
  });

  it('a result without a token\'s field runs no search (a warning names the field)', async () => {
    const { rows, warnings } = await runWith('| makeresults count=3 | streamstats count as n | eval k=if(n=2, null(), "k".n) | map search="| makeresults | eval k=\\"$k$\\", id=$_serial_id$ | fields - _time"');
    expect(rows).toEqual([
      { k: 'k1', id: 1 },
      { k: 'k3', id: 2 },
    ]);
    expect(warnings).toEqual(['map: results without "k" ran no search (their tokens had no value)']);
  });

  it('no results: no search, no rows', async () => {
    expect(await run('| makeresults | where 1=2 | map search="| makeresults"')).toEqual([]);
  });

  it('a head after map stops the searches', async () => {
    expect(await run('| makeresults count=5 | streamstats count as n | map search="| makeresults count=3 | eval n=$n$ | fields - _time" | head 4')).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }, { n: 2 }]);
  });

  it('a head before map (which halts the reading of events) still lets map run its searches', async () => {
    // `... | head 2 | map ...`: map's input is the first 2 results, and a search runs for each of them.
    expect(await run('| makeresults count=5 | streamstats count as n | head 2 | map search="| makeresults | eval m=$n$*10 | fields - _time"')).toEqual([{ m: 10 }, { m: 20 }]);
    // Over events: the search stopped reading at its head; map's searches read the events again.
    expect((await runWith('action=login | head 1 | table user | map search="search user=$user$ | stats count by user"')).rows).toEqual([{ user: 'bob', count: 2 }]);
    // In appendpipe after a head, and with a head after map too (its rows cut, not the search's).
    expect(await run('| makeresults count=3 | streamstats count as n | head 2 | table n | appendpipe [ map search="| makeresults count=2 | eval m=$n$ | table m" | head 3 ]')).toEqual([
      { n: 1 },
      { n: 2 },
      { m: 1 },
      { m: 1 },
      { m: 2 },
    ]);
  });

  it('inside appendpipe, as ESCU writes it: the logons of each result appended, then aggregated', async () => {
    // Shape of ESCU's "Windows AD Replication Request Initiated by User Account":
    // `| appendpipe [| map search="search `wineventlog_security` EventCode=4624 TargetLogonId=$TargetLogonId$"] | stats ... by TargetLogonId`.
    const events = [
      ev(NOW - 50, { EventCode: 4624, TargetLogonId: '0x1', src_ip: '10.0.0.1' }),
      ev(NOW - 40, { EventCode: 4624, TargetLogonId: '0x1', src_ip: '10.0.0.2' }),
      ev(NOW - 30, { EventCode: 4624, TargetLogonId: '0x9', src_ip: '10.0.0.9' }),
      ev(NOW - 20, { EventCode: 4662, TargetLogonId: '0x2', user: 'eve' }),
      ev(NOW - 10, { EventCode: 4662, TargetLogonId: '0x1', user: 'mallory' }),
    ];
    const spl = 'EventCode=4662 | table user, TargetLogonId | appendpipe [| map search="search EventCode=4624 TargetLogonId=$TargetLogonId$"] | stats values(user) as user, values(src_ip) as src_ip by TargetLogonId';
    const { results } = await runSearch(spl, { now: NOW, source: new MemorySource(events) });
    // 0x1: mallory, logons from .1 and .2; 0x2: eve, no logon; 0x9's logon belongs to no result.
    expect(results.map(toObject)).toEqual([
      { TargetLogonId: '0x1', user: 'mallory', src_ip: ['10.0.0.1', '10.0.0.2'] },
      { TargetLogonId: '0x2', user: 'eve' },
    ]);
  });

  it('macros in the search are expanded when it runs', async () => {
    const macros = new MacroLibrary();
    macros.define({ name: 'logins', args: [], definition: 'action=login' });
    const { results } = await runSearch('| makeresults | eval u="bob" | map search="search `logins` user=$u$ | table user, action"', { now: NOW, macros, source: new MemorySource(EVENTS) });
    expect(results.map(toObject)).toEqual([{ user: 'bob', action: 'login' }]);
  });

  it("a token in a macro's arguments takes a plain word only: the macro pastes it into its definition", async () => {
    const macros = new MacroLibrary();
    macros.define({ name: 'qm', args: ['u'], definition: 'eval got="$u$"' });
    const exec = async (v: string, call: string) => {
      const warnings: string[] = [];
      const { results } = await runSearch(`| makeresults | eval v=${JSON.stringify(v)} | map search="| makeresults | ${call} | table got, pwned"`, { now: NOW, macros, onWarning: (m) => warnings.push(m) });
      return { rows: results.map(toObject), warnings };
    };
    expect((await exec('plain', '`qm($v$)`')).rows).toEqual([{ got: 'plain' }]);
    // Quoted or not, such a value would close the definition's quotes: `eval got="" | eval pwned=1 | eval z=""`.
    for (const call of ['`qm($v$)`', '`qm(\\"$v$\\")`']) {
      const { rows, warnings } = await exec(' | eval pwned=1 | eval z=', call);
      expect(rows, call).toEqual([]);
      expect(warnings, call).toEqual([expect.stringContaining('map: results whose "v" is not a plain word ran no search')]);
    }
    // Outside the macro call the value is quoted as usual; a backtick inside double quotes starts no macro.
    expect((await exec('a b', '`qm(x)` | eval got=\\"`$v$\\"')).rows).toEqual([{ got: '`a b' }]);
  });

  it('a detection with map runs apart from the pack\'s shared scan, with the content\'s macros', async () => {
    const pack = loadContent();
    const base = pack.detections[0]!;
    const exec = (t: number, name: string, pod: string) => ({ _time: t, _raw: JSON.stringify({ name, pod }), index: 'main', sourcetype: 'cisco:isovalent:processExec', source: 's', host: 'h' });
    const events = [exec(NOW - 30, 'curl', 'a'), exec(NOW - 20, 'sh', 'a'), exec(NOW - 10, 'curl', 'b')];
    const detections = [
      { ...base, id: 'm', name: 'with map', search: '`cisco_isovalent_process_exec` name=curl | stats count by pod | map search="search `cisco_isovalent_process_exec` pod=$pod$ | stats count as all by pod"' },
      { ...base, id: 'p1', name: 'plain 1', search: '`cisco_isovalent_process_exec` | stats count' },
      { ...base, id: 'p2', name: 'plain 2', search: '`cisco_isovalent_process_exec` name=sh | table pod' },
    ];
    const runs = await runDetections(pack, detections, { source: new MemorySource(events), now: NOW, tz: 'UTC', earliest: null, latest: null });
    // Pod a ran curl and sh (2 events), pod b curl (1); stats orders pods a, b.
    expect(runs.map((r) => r.results.map(toObject))).toEqual([
      [
        { pod: 'a', all: 2 },
        { pod: 'b', all: 1 },
      ],
      [{ count: 3 }],
      [{ pod: 'a' }],
    ]);
  });

  it('runs on one thread, after all its input; explain says why', () => {
    const text = explainPlan(plan('index=main | map search="search user=$user$"', { now: NOW, sourceNewestFirst: false }));
    expect(text).toContain('one thread: "map" runs a search per result');
  });

  it('static errors of a fixed search point into the user\'s text', async () => {
    const spl = '| makeresults | map search="| makeresults | nosuchcommand x"';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_UNSUPPORTED_COMMAND');
    expect(e.format()).toContain(at(spl, 'nosuchcommand'));
    const bracket = '| makeresults | map [| makeresults | eval x=(1]';
    expect((await errorOf(bracket)).format()).toContain(at(bracket, '('));
  });

  it('an error only the filled-in search has is reported with that search', async () => {
    const e = await errorOf('| makeresults | eval v=1 | map search="| makeresults | eval x=($v$"');
    expect(e).toBeInstanceOf(SplError);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.message).toMatch(/^map: search 1 failed at 1:\d+: .*; the search was: \| makeresults \| eval x=\(1$/);
  });

  it('a saved search, a missing search, two searches, a map inside map: errors at their place', async () => {
    const saved = '| makeresults | map mysavedsearch';
    const e1 = await errorOf(saved);
    expect([e1.code, e1.format().includes(at(saved, 'mysavedsearch'))]).toEqual(['SPL_UNSUPPORTED_COMMAND', true]);
    expect((await errorOf('| makeresults | map maxsearches=3')).code).toBe('SPL_SYNTAX');
    expect((await errorOf('| makeresults | map search="| makeresults" [| makeresults]')).code).toBe('SPL_BAD_ARGUMENT');
    expect((await errorOf('| makeresults | map maxsearches=-1 search="| makeresults"')).code).toBe('SPL_BAD_ARGUMENT');
    const nested = '| makeresults | map search="| makeresults | map search=\\"| makeresults\\""';
    const e2 = await errorOf(nested);
    expect([e2.code, e2.format().includes(at(nested, 'map', 20))]).toEqual(['SPL_UNSUPPORTED_COMMAND', true]);
    // With a token the nested map is only known once filled in.
    const e3 = await errorOf('| makeresults | eval v=1 | map search="| makeresults count=$v$ | map search=\\"| makeresults\\""');
    expect(e3.code).toBe('SPL_UNSUPPORTED_COMMAND');
    expect(e3.message).toContain('a search run by map cannot run searches itself ("map")');
  });
});
