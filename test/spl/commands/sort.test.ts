import { describe, it, expect } from 'vitest';
import { run, errorOf, at } from './helpers.js';

/** One result per value of a comma list, in that order. */
const values = (list: string, field = 'v') => `| makeresults | eval ${field}=split("${list}", ",") | mvexpand ${field}`;
const sorted = async (list: string, sort: string) => (await run(`${values(list)} | sort ${sort} | table v`)).map((r) => String(r.v));

describe('sort', () => {
  it('collates IP addresses as IPs by default and with ip()', async () => {
    expect(await sorted('10.0.0.10,9.1.1.1,10.0.0.9', 'v')).toEqual(['9.1.1.1', '10.0.0.9', '10.0.0.10']);
    expect(await sorted('10.0.0.10,9.1.1.1,10.0.0.9', 'auto(v)')).toEqual(['9.1.1.1', '10.0.0.9', '10.0.0.10']);
    expect(await sorted('10.0.0.10,9.1.1.1,10.0.0.9', 'ip(v)')).toEqual(['9.1.1.1', '10.0.0.9', '10.0.0.10']);
    expect(await sorted('10.0.0.10,9.1.1.1,10.0.0.9', '-v')).toEqual(['10.0.0.10', '10.0.0.9', '9.1.1.1']);
    expect(await sorted('2001:db8::10,2001:db8::9,10.0.0.1', 'ip(v)')).toEqual(['10.0.0.1', '2001:db8::9', '2001:db8::10']);
    // str() is lexicographic.
    expect(await sorted('10.0.0.10,9.1.1.1,10.0.0.9', 'str(v)')).toEqual(['10.0.0.10', '10.0.0.9', '9.1.1.1']);
  });

  it('sorts numbers numerically and alphanumeric strings lexicographically (docs usage table, descending)', async () => {
    expect(await sorted('9.1,10.1', '-v')).toEqual(['10.1', '9.1']);
    expect(await sorted('9.1.a,10.1.a', '-v')).toEqual(['9.1.a', '10.1.a']);
    expect(await sorted('10,9,70,100', 'str(v)')).toEqual(['10', '100', '70', '9']);
    expect(await sorted('10,9,70,100', 'num(v)')).toEqual(['9', '10', '70', '100']);
    // Numbers before text; uppercase before lowercase.
    expect(await sorted('b,10,B,9,a', 'v')).toEqual(['9', '10', 'B', 'a', 'b']);
  });

  it('puts results missing the field last in both directions', async () => {
    const spl = `${values('2,1,3')} | eval v=if(v="2", null(), v)`;
    expect((await run(`${spl} | sort v | table v`)).map((r) => r.v ?? null)).toEqual(['1', '3', null]);
    expect((await run(`${spl} | sort -v | table v`)).map((r) => r.v ?? null)).toEqual(['3', '1', null]);
  });

  it('sorts by several fields, each in its own direction; desc reverses them all; ties keep input order', async () => {
    const spl = '| makeresults count=6 | streamstats count as n | eval a=n%2, b=n%3';
    expect((await run(`${spl} | sort a, -b | table n`)).map((r) => r.n)).toEqual([2, 4, 6, 5, 1, 3]);
    expect((await run(`${spl} | sort a, -b desc | table n`)).map((r) => r.n)).toEqual([3, 1, 5, 6, 4, 2]);
    expect((await run(`${spl} | sort a | table n`)).map((r) => r.n)).toEqual([2, 4, 6, 1, 3, 5]);
  });

  it('returns 10000 results by default, all with 0, N with a count or limit=', async () => {
    const many = '| makeresults count=10005 | streamstats count as n';
    expect(await run(`${many} | sort -n | stats count`)).toEqual([{ count: 10000 }]);
    expect(await run(`${many} | sort 0 -n | stats count`)).toEqual([{ count: 10005 }]);
    expect((await run(`${many} | sort 3 -n | table n`)).map((r) => r.n)).toEqual([10005, 10004, 10003]);
    expect((await run(`${many} | sort limit=2 n | table n`)).map((r) => r.n)).toEqual([1, 2]);
  });

  it('rejects a sort without fields', async () => {
    const spl = '| makeresults | sort 5';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.format()).toContain(at(spl, '', spl.length));
  });
});
