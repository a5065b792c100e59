import { describe, expect, it } from 'vitest';
import { outputSink } from '../../src/cli/output.js';
import { runSearch } from '../../src/spl/index.js';

const NOW = 1_800_000_000;

async function csvOf(spl: string): Promise<string> {
  const { results } = await runSearch(spl, { now: NOW, tz: 'UTC' });
  let out = '';
  const sink = outputSink({ format: 'csv', tz: 'UTC', write: (s) => (out += s) });
  for (const r of results) sink.push(r);
  sink.end();
  await Promise.resolve(); // the chunked writer flushes in a microtask
  return out;
}

describe('CSV output: cells a spreadsheet would run as a formula (OWASP CSV injection)', () => {
  it("prefixes text starting with = + - @ tab or CR with ' and leaves numbers and other text as they are", async () => {
    const csv = await csvOf(
      '| makeresults | eval a="=HYPERLINK(\\"http://x\\",\\"y\\")", b="+cmd|\' /C calc\'!A0", c="-2+3+cmd|\' /C calc\'!A0", d="@SUM(1+1)", e=-3, f="-1.5e3", g="a=b", h="\tx", "=f"="x" | fields - _time',
    );
    expect(csv.split('\n')).toEqual([
      "a,b,c,d,e,f,g,h,'=f",
      `"'=HYPERLINK(""http://x"",""y"")",'+cmd|' /C calc'!A0,'-2+3+cmd|' /C calc'!A0,'@SUM(1+1),-3,-1.5e3,a=b,'\tx,x`,
      '',
    ]);
  });

  it('escapes a multivalue cell by its first character (the values are joined with newlines in one cell)', async () => {
    const csv = await csvOf('| makeresults | eval m=mvappend("=1", "ok") | fields - _time');
    expect(csv).toBe(`m\n"'=1\nok"\n`);
  });
});
