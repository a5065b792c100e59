import { describe, expect, it } from 'vitest';
import { toObject } from '../../../src/events/result.js';
import { MemorySource } from '../../../src/sources/memory.js';
import { runSearch, SplError } from '../../../src/spl/index.js';
import { at, NOW } from './helpers.js';

// Semantics from the SPL reference, "multisearch" (Splunk Cloud Platform 10.0.2503,
// https://help.splunk.com/splunk-cloud-platform/spl-search-reference/10.0.2503/search-commands/multisearch): "a
// generating command that runs multiple streaming searches at the same time. This command requires at least two
// subsearches and allows only streaming operations in each subsearch. Examples of streaming searches include searches
// with the following commands: search, eval, where, fields, and rex." Results come as one search's: newest first.

const ev = (i: number, index: string) => ({ _time: NOW - i, _raw: JSON.stringify({ i }), index, sourcetype: 'json', source: 's', host: 'h' });
const events = [ev(1, 'a'), ev(2, 'b'), ev(3, 'b'), ev(4, 'a')];

async function search(spl: string) {
  return (await runSearch(spl, { now: NOW, source: new MemorySource(events) })).results.map(toObject);
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

describe('multisearch', () => {
  it('runs the reference\'s example: both searches\' events, interleaved by _time', async () => {
    // "| multisearch [search index=a | eval type = "foo"] [search index=b | eval mytype = "bar"]"
    const rows = await search('| multisearch [search index=a | eval type = "foo"] [search index=b | eval mytype = "bar"] | table i type mytype');
    expect(rows).toEqual([
      { i: 1, type: 'foo' },
      { i: 2, mytype: 'bar' },
      { i: 3, mytype: 'bar' },
      { i: 4, type: 'foo' },
    ]);
  });

  it('refuses a non-streaming command inside, at it', async () => {
    let spl = '| multisearch [search index=a] [search index=b | stats count]';
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.message).toContain('subsearch 2 has "stats"');
    expect(e.format()).toContain(at(spl, 'stats'));
    // head depends on the order of the events (centralized streaming): not run per subsearch either.
    spl = '| multisearch [search index=a | head 1] [search index=b]';
    expect((await errorOf(spl)).format()).toContain(at(spl, 'head'));
    spl = '| multisearch [| makeresults] [search index=b]';
    expect((await errorOf(spl)).message).toContain('starts with "makeresults", not a search');
  });

  it('needs two subsearches and to be first', async () => {
    const spl = '| multisearch [search index=a]';
    expect((await errorOf(spl)).message).toContain('at least two subsearches');
    expect((await errorOf('| makeresults | multisearch [search index=a] [search index=b]')).message).toContain('must be the first command');
  });
});
