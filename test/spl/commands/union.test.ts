import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { runSearch, SplError } from '../../../src/spl/index.js';
import { at, NOW } from './helpers.js';

// Semantics from the SPL reference, "union" (Splunk Cloud Platform 10.0.2503,
// https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/union): "Merges the
// results from two or more datasets into one dataset. One of the datasets can be a result set that is then piped into
// the union command", "automatically interleaves results on the _time when processing events", "A subsearch is an
// unnamed dataset", "maxout ... The default is 50000 results". Expected rows are worked out by hand from the events.

const ev = (i: number, sourcetype: string) => ({ _time: NOW - i, _raw: JSON.stringify({ i }), index: 'main', sourcetype, source: 's', host: 'h' });
// a at NOW-1 and NOW-3, b at NOW-2, NOW-4 and NOW-5.
const events = [ev(1, 'a'), ev(2, 'b'), ev(3, 'a'), ev(4, 'b'), ev(5, 'b')];

async function search(spl: string, warnings: string[] = []) {
  const { results } = await runSearch(spl, { now: NOW, source: new MemorySource(events), onWarning: (m) => warnings.push(m) });
  return results.map(toObject);
}

async function errorOf(spl: string): Promise<SplError> {
  try {
    await search(spl);
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error(`expected an error from: ${spl}`);
}

describe('union', () => {
  it('interleaves streaming datasets by _time, newest first', async () => {
    expect(await search('| union [search sourcetype=a] [search sourcetype=b] | table i sourcetype')).toEqual([
      { i: 1, sourcetype: 'a' },
      { i: 2, sourcetype: 'b' },
      { i: 3, sourcetype: 'a' },
      { i: 4, sourcetype: 'b' },
      { i: 5, sourcetype: 'b' },
    ]);
    // "use a space or a comma separator between the dataset names"
    expect(await search('| union [search sourcetype=a], [search sourcetype=b] | stats count')).toEqual([{ count: 5 }]);
  });

  it('appends the results of non-streaming datasets in their order', async () => {
    expect(await search('| union [search sourcetype=b | stats count] [search sourcetype=a | stats count]')).toEqual([{ count: 3 }, { count: 2 }]);
  });

  it('later in a search adds the datasets after the incoming results (the reference\'s "... | stats count BY category1 | union [search error | stats count BY category2]")', async () => {
    expect(await search('sourcetype=a | stats count by sourcetype | union [search sourcetype=b | stats count by sourcetype]')).toEqual([
      { sourcetype: 'a', count: 2 },
      { sourcetype: 'b', count: 3 },
    ]);
  });

  it('cuts a dataset to maxout= results, with a warning', async () => {
    const warnings: string[] = [];
    expect(await search('| union maxout=2 [search sourcetype=b | table i] [search sourcetype=a | table i]', warnings)).toEqual([{ i: 2 }, { i: 4 }, { i: 1 }, { i: 3 }]);
    expect(warnings).toEqual(["union: the subsearch's results were cut to their first 2 rows (maxout)"]);
  });

  it('refuses a named dataset, too few datasets and bad options where they are', async () => {
    let spl = '| union datamodel:Endpoint.Processes [search sourcetype=a]';
    let e = await errorOf(spl);
    expect(e.code).toBe('SPL_UNSUPPORTED_COMMAND');
    expect(e.format()).toContain(at(spl, 'datamodel:'));
    spl = '| union [search sourcetype=a]';
    e = await errorOf(spl);
    expect(e.message).toContain('at least two datasets');
    expect(e.format()).toContain(at(spl, '[search'));
    expect((await errorOf('| makeresults | union')).message).toContain('union needs a dataset');
    // Each subsearch holds up to maxout rows until union runs: at most 100 of them.
    spl = `| union ${'[search a] '.repeat(101)}`;
    e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.format()).toContain(`at 1:${spl.lastIndexOf('[search a]') + 1}`);
    spl = '| union maxout=0 [search a] [search b]';
    expect((await errorOf(spl)).format()).toContain(at(spl, '0 ['));
  });
});
