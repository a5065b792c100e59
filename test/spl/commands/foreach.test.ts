import { describe, expect, it } from 'vitest';
import { at, errorOf, run } from './helpers.js';

describe('foreach', () => {
  it('runs the template for each matching field: <<FIELD>> in bare, quoted-field and string positions', async () => {
    const rows = await run('| makeresults | eval c_a="null", c_b="x", d="null", seen="" | fields - _time | foreach c_* [eval <<FIELD>> = if(\'<<FIELD>>\'="null", null(), <<FIELD>>), seen = seen . "<<FIELD>>;"]');
    // c_a became null (removed); d does not match; `seen` lists the fields in the row's order.
    expect(rows).toEqual([{ c_b: 'x', d: 'null', seen: 'c_a;c_b;' }]);
  });

  it("gives <<MATCHSTR>> and <<MATCHSEGn>> the wildcards' parts; a bare part that is a number is that number", async () => {
    expect(await run('| makeresults | eval a_to_b=1 | fields - _time | foreach *_to_* [eval <<MATCHSEG2>>_from_<<MATCHSEG1>> = <<FIELD>>, m="<<MATCHSTR>>"]')).toEqual([
      { a_to_b: 1, b_from_a: 1, m: 'ab' },
    ]);
    expect(await run('| makeresults | eval n_1=5, n_2=7 | fields - _time | foreach n_* [eval t_<<MATCHSTR>> = <<MATCHSTR>> * 10 + <<FIELD>>]')).toEqual([
      { n_1: 5, n_2: 7, t_1: 15, t_2: 27 },
    ]);
  });

  it('the ESCU anomaly template: compares each stdev_* field with its average', async () => {
    const spl =
      '| makeresults | eval cpu=9, avg_cpu=2, stdev_cpu=1, mem=3, avg_mem=2, stdev_mem=1, anomalies="" | fields - _time ' +
      '| foreach stdev_* [ eval anomalies =if( \'<<MATCHSTR>>\' > (\'avg_<<MATCHSTR>>\' + 3 * \'stdev_<<MATCHSTR>>\'), anomalies + "<<MATCHSTR>> higher than average by " + tostring(round(abs(\'<<MATCHSTR>>\' - \'avg_<<MATCHSTR>>\')/\'stdev_<<MATCHSTR>>\' ,2)) + " StdDev. ", anomalies)]';
    // cpu: 9 > 2 + 3*1, by (9-2)/1 = 7; mem: 3 is not > 5.
    expect((await run(spl))[0]!['anomalies']).toBe('cpu higher than average by 7 StdDev. ');
  });

  it('takes its own tokens, runs over the fields the row had before (not those it makes), and skips internal fields for *', async () => {
    expect(await run('| makeresults | eval x1=1 | fields - _time | foreach x* fieldstr=#F# [eval #F#2 = #F# + 1]')).toEqual([{ x1: 1, x12: 2 }]);
    const rows = await run('| makeresults | eval a=1 | foreach * [eval <<FIELD>> = <<FIELD>> + 1]');
    expect(rows[0]!['a']).toBe(2);
    expect(typeof rows[0]!['_time']).toBe('number');
    expect(rows[0]!['_time']).toBe((await run('| makeresults'))[0]!['_time']);
  });

  it('points errors into the template, through the tokens', async () => {
    const bad = '| makeresults | foreach a* [eval <<FIELD>> = nosuch(<<FIELD>>)]';
    const e1 = await errorOf(bad);
    expect(e1.code).toBe('SPL_UNSUPPORTED_FUNCTION');
    expect(e1.format()).toContain(at(bad, 'nosuch'));
    const notEval = '| makeresults | foreach a* [eval x=1 | stats count]';
    const e2 = await errorOf(notEval);
    expect(e2.code).toBe('SPL_UNSUPPORTED_COMMAND');
    expect(e2.format()).toContain(at(notEval, 'stats'));
    const mode = '| makeresults | foreach mode=multivalue a [eval x=<<ITEM>>]';
    const e3 = await errorOf(mode);
    expect(e3.code).toBe('SPL_UNSUPPORTED_COMMAND');
    expect(e3.format()).toContain(at(mode, 'multivalue'));
    expect((await errorOf('| makeresults | foreach a*')).message).toContain('foreach needs a template');
    expect((await errorOf('| makeresults | foreach [eval x=1]')).message).toContain('foreach needs the fields');
  });
});
