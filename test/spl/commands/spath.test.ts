import { describe, it, expect } from 'vitest';
import { NOW, run, errorOf, at } from './helpers.js';
import { toObject } from '../../../src/events/result.js';
import { runSearch } from '../../../src/spl/index.js';


/** An SPL string literal holding `v` as JSON text. */
const lit = (v: unknown) => JSON.stringify(JSON.stringify(v));

const DOC = {
  category: { boardgames: { cooperative: ['Pandemic', 'Forbidden Island', 'Pathfinder'] } },
  commits: [
    { author: { name: 'ann' }, id: 1 },
    { author: { name: 'ben' }, id: 2, ok: true },
  ],
  labels: { 'app.kubernetes.io/name': 'api' },
  n: null,
};

describe('spath', () => {
  it('without a path extracts every field like KV_MODE=json, from _raw by default', async () => {
    const rows = await run(`| makeresults | eval _raw=${lit(DOC)} | spath | fields - _raw _time`);
    expect(rows).toEqual([
      {
        'category.boardgames.cooperative{}': ['Pandemic', 'Forbidden Island', 'Pathfinder'],
        'commits{}.author.name': ['ann', 'ben'],
        'commits{}.id': [1, 2],
        'commits{}.ok': 'true',
        'labels.app.kubernetes.io/name': 'api',
        n: 'null',
      },
    ]);
  });

  it('a path writes to a field named after it; {n} is 0-based, {} takes every element', async () => {
    const rows = await run(`| makeresults | eval j=${lit(DOC)} | spath input=j path=category.boardgames.cooperative{1} | spath input=j "commits{}.author.name" | table "category.boardgames.cooperative{1}" "commits{}.author.name"`);
    expect(rows).toEqual([{ 'category.boardgames.cooperative{1}': 'Forbidden Island', 'commits{}.author.name': ['ann', 'ben'] }]);
  });

  it('output= names the field; the positional path may follow it', async () => {
    const rows = await run(`| makeresults | eval j=${lit(DOC)} | spath input=j output=first path=commits{0}.author.name | spath input=j output=last commits{-1}.id | table first last`);
    expect(rows).toEqual([{ first: 'ann', last: 2 }]);
  });

  it('a path ending on an object or array yields its JSON text', async () => {
    const rows = await run(`| makeresults | eval j=${lit(DOC)} | spath input=j output=a path=commits{0}.author | spath input=j output=all path=commits{} | table a all`);
    expect(rows).toEqual([{ a: '{"name":"ann"}', all: ['{"author":{"name":"ann"},"id":1}', '{"author":{"name":"ben"},"id":2,"ok":true}'] }]);
  });

  it('finds keys that contain dots', async () => {
    const rows = await run(`| makeresults | eval j=${lit(DOC)} | spath input=j output=app path=labels.app.kubernetes.io/name | table app`);
    expect(rows).toEqual([{ app: 'api' }]);
  });

  it('leaves the output as it was when the path reaches nothing or the input is not JSON', async () => {
    const rows = await run(`| makeresults | eval j=${lit(DOC)}, o="kept", t="plain text", p="kept too" | spath input=j output=o path=nope.x | spath input=t output=p path=a | spath input=missing output=q path=a | table o p q`);
    expect(rows).toEqual([{ o: 'kept', p: 'kept too' }]);
  });

  it('reads every value of a multivalue input', async () => {
    const rows = await run(`| makeresults | eval j=mvappend(${lit({ a: 1 })}, ${lit({ a: 2 })}) | spath input=j output=a path=a | spath input=j | table a`);
    expect(rows).toEqual([{ a: [1, 2] }]);
  });

  it('supports the detection idiom spath path=...{} output=x | mvexpand x | spath input=x', async () => {
    const doc = { responseElements: { findings: [{ sev: 'HIGH' }, { sev: 'LOW' }] } };
    const rows = await run(`| makeresults | eval _raw=${lit(doc)} | spath path=responseElements.findings{} output=findings | mvexpand findings | spath input=findings | table sev`);
    expect(rows).toEqual([{ sev: 'HIGH' }, { sev: 'LOW' }]);
  });

  it('warns once about XML input and extracts nothing from it', async () => {
    const warnings: string[] = [];
    const { results } = await runSearch('| makeresults count=2 | eval x="<a><b>1</b></a>" | spath input=x | spath input=x output=o path=a.b', {
      now: NOW,
      onWarning: (m) => warnings.push(m),
    });
    expect(results.map(toObject).map((r) => Object.keys(r).sort())).toEqual([
      ['_time', 'x'],
      ['_time', 'x'],
    ]);
    expect(warnings).toHaveLength(2); // one per spath command
    expect(warnings[0]).toMatch(/XML .* not supported/);
  });

  it('rejects bad arguments at their position', async () => {
    let spl = '| makeresults | spath output=o';
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'output'));

    spl = '| makeresults | spath path=a{x}.b';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'a{x}'));

    spl = '| makeresults | spath a..b';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'a..b'));

    spl = '| makeresults | spath a b';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(at(spl, 'b', spl.indexOf('spath a') + 7));

    spl = '| makeresults | spath input=x (';
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(spl, '('));
  });
});
