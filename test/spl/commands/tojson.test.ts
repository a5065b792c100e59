import { describe, expect, it } from 'vitest';
import { expectPartitionedLikeOnePass } from '../../parallel/helpers.js';
import { at, errorOf, NOW, run } from './helpers.js';

// Semantics from the SPL reference, "tojson" (Splunk Enterprise 9.2,
// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.2/search-commands/tojson): "Converts events into
// JSON objects ... The tojson command converts multivalue fields into JSON arrays", "When fields are specifically named
// in a tojson search, the command generates JSON objects that are limited to the values of just those named fields. If
// no fields are specified for tojson, tojson generates JSON objects for all fields", "If you provide no fields, the
// tojson processor ... applies none(*)"; datatype functions auto, bool, json, none, num, str; default_type,
// fill_null, include_internal, output_field. Keys in name order and the datatypes' details are docs/spl.md Decisions.
// Expected texts written by hand.

const raw = async (spl: string) => (await run(spl)).map((r) => r._raw);

describe('tojson', () => {
  it('writes every non-internal field into _raw, multivalues as arrays, numbers as numbers', async () => {
    expect(await raw('| makeresults | eval b="x", a=1, c=split("p,q", ",") | tojson')).toEqual(['{"a":1,"b":"x","c":["p","q"]}']);
    expect(await raw(`| makeresults | eval a=1 | tojson include_internal=true`)).toEqual([`{"_time":${NOW},"a":1}`]);
    expect((await run('| makeresults | eval a=1 | tojson output_field=out'))[0]!.out).toBe('{"a":1}');
  });

  it('auto: numbers, booleans, null and JSON objects by their text, other text as strings', async () => {
    const spl = `| makeresults | eval s="12", t="true", n="null", w="word", j="{\\"k\\":[1, 2]}" | tojson auto(*)`;
    expect(await raw(spl)).toEqual(['{"j":{"k":[1,2]},"n":null,"s":12,"t":true,"w":"word"}']);
  });

  it('num, bool, str and json validate each value; invalid ones are left out, or null with fill_null=true', async () => {
    const base = '| makeresults | eval a="7.50", b="abc", c="TRUE", d="0", e="maybe", f=3, g="[1,"';
    expect(await raw(`${base} | tojson num(a, b) bool(c, d, e) str(f) json(g)`)).toEqual(['{"a":7.5,"c":true,"d":false,"f":"3"}']);
    expect(await raw(`${base} | tojson num(a, b) bool(c, d, e) str(f) json(g) fill_null=true`)).toEqual(['{"a":7.5,"b":null,"c":true,"d":false,"e":null,"f":"3","g":null}']);
    // A bare field takes default_type.
    expect(await raw(`${base} | tojson a f default_type=str`)).toEqual(['{"a":"7.50","f":"3"}']);
  });

  it('a multivalue keeps its valid values', async () => {
    expect(await raw('| makeresults | eval m=split("1,x,3", ",") | tojson num(m)')).toEqual(['{"m":[1,3]}']);
  });

  it('survives hostile values: JSON nested too deep, odd names', async () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const spl = `| makeresults | eval j="${deep}", "__proto__"="p", "a b"=1 | tojson json(j) none(__proto__) none("a b")`;
    const out = String((await raw(spl))[0]);
    // The deep array is valid JSON; if it is too deep to write it is left out, never a crash.
    expect(out === '{"__proto__":"p","a b":1}' || out.startsWith('{"__proto__":"p","a b":1,"j":[[[')).toBe(true);
  });

  it('reads a quoted field name inside a function, escapes undone', async () => {
    expect(await raw('| makeresults | eval "a\\"b"=1, "c d"=2 | tojson num("a\\"b", "c d")')).toEqual(['{"a\\"b":1,"c d":2}']);
  });

  it('refuses an unknown datatype where it is', async () => {
    let spl = '| makeresults | tojson foo(x)';
    expect((await errorOf(spl)).format()).toContain(at(spl, 'foo'));
    spl = '| makeresults | tojson default_type=date';
    expect((await errorOf(spl)).format()).toContain(at(spl, 'date'));
  });

  it('gives the one-thread results over a generated file', async () => {
    await expectPartitionedLikeOnePass(['* | tojson auto(process_*) str(node_name) | table _raw', '* | tojson output_field=j | stats count by j | sort - count | head 5'], 13, NOW, 1);
  }, 120_000);
});
