import { describe, it, expect } from 'vitest';
import { NOW, run, errorOf, at } from './helpers.js';
import { commandBlueprint } from '../../../src/spl/commands/index.js';
import { plan, SplError } from '../../../src/spl/index.js';


/** The column SplError.format() reports. */
const columnOf = (e: SplError) => Number(/at 1:(\d+)/.exec(e.format())?.[1]);

describe('rex (extraction)', () => {
  it('extracts named groups from _raw by default', async () => {
    const rows = await run('| makeresults | eval _raw="user=alice src=10.0.0.1 port=22" | rex "user=(?<user>\\w+) src=(?<src>\\S+)" | table user src');
    expect(rows).toEqual([{ user: 'alice', src: '10.0.0.1' }]);
  });

  it('reads field=, accepts PCRE (?P<name>) groups, and is unanchored', async () => {
    const rows = await run('| makeresults | eval email="bob@example.com" | rex field=email "@(?P<domain>[^@]+)$" | table domain');
    expect(rows).toEqual([{ domain: 'example.com' }]);
  });

  it('max_match defaults to 1; 0 means every match, in order, as a multivalue', async () => {
    const base = '| makeresults | eval s="(a) (b) (c)"';
    expect(await run(`${base} | rex field=s "\\((?<v>\\w)\\)" | table v`)).toEqual([{ v: 'a' }]);
    expect(await run(`${base} | rex field=s max_match=0 "\\((?<v>\\w)\\)" | table v`)).toEqual([{ v: ['a', 'b', 'c'] }]);
    expect(await run(`${base} | rex max_match=2 field=s "\\((?<v>\\w)\\)" | table v`)).toEqual([{ v: ['a', 'b'] }]);
    expect(await run(`${base} | rex field=s "\\((?<v>\\w)\\)" max_match=10000 | table v`)).toEqual([{ v: ['a', 'b', 'c'] }]);
  });

  it('leaves fields unchanged when nothing matches or a group does not take part', async () => {
    const rows = await run('| makeresults | eval s="y", a="old", b="old" | rex field=s "(?<a>x)|(?<b>y)" | rex field=s "(?<c>z)" | table a b c');
    expect(rows).toEqual([{ a: 'old', b: 'y' }]);
  });

  it('leaves results without the field alone', async () => {
    expect(await run('| makeresults | eval keep=1 | rex field=nope "(?<x>.)" | table keep x')).toEqual([{ keep: 1 }]);
  });

  it('matches each value of a multivalue field, max_match counting across values', async () => {
    const base = '| makeresults | eval s=split("k1 k2,k3", ",")';
    expect(await run(`${base} | rex field=s "k(?<n>\\d)" | table n`)).toEqual([{ n: '1' }]);
    expect(await run(`${base} | rex field=s max_match=0 "k(?<n>\\d)" | table n`)).toEqual([{ n: ['1', '2', '3'] }]);
  });

  it('matches numbers through their text', async () => {
    expect(await run('| makeresults | eval n=12345 | rex field=n "^(?<head>\\d{2})" | table head')).toEqual([{ head: '12' }]);
  });

  it('offset_field records where each group matched (0-based, end inclusive)', async () => {
    const rows = await run('| makeresults | eval s="abc 123 de 45" | rex field=s max_match=0 offset_field=off "(?<word>[a-z]+) (?<num>\\d+)" | table off');
    expect(rows).toEqual([{ off: ['word=0-2&num=4-6', 'word=8-9&num=11-12'] }]);
  });

  it('offset_field counts characters, not UTF-16 units', async () => {
    // Search Reference, rex: offset_field holds "the endpoints of the match in terms of zero-offset characters
    // into the matched field" (its example: ten characters are 0-9). An emoji is one character, as len() counts.
    const rows = await run('| makeresults | eval s="h\u00e9llo\u{1F600}xy\u{1F600}" | rex field=s max_match=0 offset_field=off "(?<c>[xy\u{1F600}])" | table off');
    expect(rows).toEqual([{ off: ['c=5-5', 'c=6-6', 'c=7-7', 'c=8-8'] }]);
    const ten = await run('| makeresults | eval s="\u{1F600}\u{1F600}abcdefghij" | rex field=s offset_field=off "(?<tenchars>.{10})" | table off');
    expect(ten).toEqual([{ off: 'tenchars=0-9' }]);
  });

  it('_KEY_n/_VAL_n pairs name fields from the data', async () => {
    const rows = await run('| makeresults | eval s="a=1;bb=22" | rex field=s max_match=0 "(?<_KEY_1>\\w+)=(?<_VAL_1>\\w+)" | fields - _time s');
    expect(rows).toEqual([{ a: '1', bb: '22' }]);
  });

  it('does not loop on empty matches', async () => {
    expect(await run('| makeresults | eval s="ab" | rex field=s max_match=0 "(?<c>x?)" | table c')).toEqual([{ c: ['', '', ''] }]);
  });

  it('supports the detection idiom rex max_match | mvexpand | rex', async () => {
    const spl =
      '| makeresults | eval new_value="D:(A;;RP;;;WD)(A;;GA;;;SY)" | rex field=new_value max_match=10000 "\\((?P<new_ace>.*?)\\)" | mvexpand new_ace | rex field=new_ace "(?P<aceType>.*?);(?P<aceFlags>.*?);(?P<aceAccessRights>.*?);(?P<aceObjectGuid>.*?);(?P<aceInheritedTypeGuid>.*?);(?P<aceSid>.*?)$" | table aceType aceAccessRights aceSid';
    expect(await run(spl)).toEqual([
      { aceType: 'A', aceAccessRights: 'RP', aceSid: 'WD' },
      { aceType: 'A', aceAccessRights: 'GA', aceSid: 'SY' },
    ]);
  });

  it('rejects bad arguments at their position', async () => {
    let spl = '| makeresults | rex field=x "(\\d+)"';
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toMatch(/named group/);
    expect(e.format()).toContain(at(spl, '"('));

    spl = '| makeresults | rex field=x foo';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(spl, 'foo'));

    spl = '| makeresults | rex field=x';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.message).toMatch(/quoted regular expression/);

    spl = '| makeresults | rex max_match=-1 "(?<a>.)"';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, '-1'));

    spl = '| makeresults | rex mode=awk "s/a/b/"';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'awk'));

    spl = '| makeresults | rex "(?<a>.)" "(?<b>.)"';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(spl, '"(?<b>'));

    spl = '| makeresults | rex mode=sed max_match=2 "s/a/b/"';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'max_match'));
  });

  it('reports an invalid regex inside the literal', async () => {
    const spl = '| makeresults | rex field=x "(?<a>[a-"';
    const e = await errorOf(spl);
    expect(e.code).toMatch(/^REGEX_/);
    const start = spl.indexOf('"(?<a>') + 1;
    expect(columnOf(e)).toBeGreaterThanOrEqual(start);
    expect(columnOf(e)).toBeLessThanOrEqual(spl.length);
  });
});

describe('rex mode=sed', () => {
  it('s///g replaces every match (docs example: masking card numbers)', async () => {
    const rows = await run('| makeresults | eval cc="1234-5678-9012-3456" | rex field=cc mode=sed "s/(\\d{4}-){3}/XXXX-XXXX-XXXX-/g" | table cc');
    expect(rows).toEqual([{ cc: 'XXXX-XXXX-XXXX-3456' }]);
  });

  it('without g replaces the first match; a number N replaces the Nth', async () => {
    const base = '| makeresults | eval s="banana"';
    expect(await run(`${base} | rex field=s mode=sed "s/a/X/" | table s`)).toEqual([{ s: 'bXnana' }]);
    expect(await run(`${base} | rex field=s mode=sed "s/a/X/g" | table s`)).toEqual([{ s: 'bXnXnX' }]);
    expect(await run(`${base} | rex mode=sed field=s "s/a/X/2" | table s`)).toEqual([{ s: 'banXna' }]);
  });

  it('supports back-references; $ is literal', async () => {
    const rows = await run('| makeresults | eval s="bob@corp" | rex field=s mode=sed "s/(\\w+)@(\\w+)/\\2 $1 \\1/" | table s');
    expect(rows).toEqual([{ s: 'corp $1 bob' }]);
  });

  it('y/// transliterates', async () => {
    expect(await run('| makeresults | eval s="a-b-c" | rex field=s mode=sed "y/abc/xyz/" | table s')).toEqual([{ s: 'x-y-z' }]);
  });

  it('rewrites _raw by default, each value of a multivalue, and leaves a missing field missing', async () => {
    expect(await run('| makeresults | eval _raw="pass=secret" | rex mode=sed "s/=.*/=***/" | table _raw')).toEqual([{ _raw: 'pass=***' }]);
    expect(await run('| makeresults | eval s=split("a1,b2", ",") | rex field=s mode=sed "s/\\d//" | table s')).toEqual([{ s: ['a', 'b'] }]);
    expect(await run('| makeresults | rex field=nope mode=sed "s/a/b/" | table nope')).toEqual([{}]);
  });

  it('reports a bad sed expression inside the literal', async () => {
    const cases: [string, string][] = [
      ['| makeresults | rex mode=sed "q/a/b/"', 'q/'],
      ['| makeresults | rex mode=sed "s/a/b/x"', 'x"'],
      ['| makeresults | rex mode=sed "s/a/b"', 's/a'],
    ];
    for (const [spl, token] of cases) {
      const e = await errorOf(spl);
      expect(e.code, spl).toBe('REGEX_INVALID');
      expect(e.format(), spl).toContain(at(spl, token, spl.indexOf('"')));
    }
    const bad = '| makeresults | rex mode=sed "s/(a/b/"';
    const e = await errorOf(bad);
    expect(e.code).toMatch(/^REGEX_/);
    expect(columnOf(e)).toBeGreaterThan(bad.indexOf('"'));

    // Search Reference, rex: the sed flags are "g to replace all matches, or a number to replace a specified
    // match"; the error names the sed expression, not a PCRE pattern (gi is not a regex).
    const flags = await errorOf('| makeresults | rex mode=sed "s/a/X/gi"');
    expect(flags.message).toMatch(/^invalid sed expression "gi" at offset 6: flags must be g or a number \(sed expression: "s\/a\/X\/gi"\)/);

    const group = '| makeresults | rex mode=sed "s/(a)/\\2/"';
    const g = await errorOf(group);
    expect(g.code).toBe('REGEX_INVALID');
    expect(g.message).toMatch(/^invalid replacement "\\\\2" at offset 0: .*group 2/);
    expect(g.format()).toContain(at(group, '\\2'));
  });

  it('a text longer than JavaScript can hold is an SPL_RUNTIME error on the search, not a RangeError', async () => {
    // 32 characters doubled 22 times (ropes: nothing copied) is 2^27; four copies pass V8's 2^29 - 24.
    const spl = `| makeresults | eval x="${'a'.repeat(32)}"${' | eval x=x . x'.repeat(22)} | rex field=x mode=sed "s/(.*)/\\1\\1\\1\\1/"`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(e.message).toMatch(/longer than/);
    expect(e.location()).toMatchObject({ line: 1, column: 1 });
  });
});

describe('rex planning', () => {
  it('declares the fields it may write', () => {
    const writes = (spl: string) => {
      const p = plan(spl, { now: NOW });
      const s = p.stages[0]!;
      return commandBlueprint(s.command.name)!.writes(s.command.args);
    };
    expect(writes('| makeresults | rex "(?<a>.)(?P<b>.)(?\'c\'.)" offset_field=o')).toEqual(['a', 'b', 'c', 'o']);
    expect(writes('| makeresults | rex "(?<_KEY_1>\\w+)=(?<_VAL_1>\\w+)"')).toBe('*');
    expect(writes('| makeresults | rex field=x mode=sed "s/a/b/"')).toEqual(['x']);
  });
});
