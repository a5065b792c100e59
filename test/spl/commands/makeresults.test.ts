import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../../src/events/event.js';
import type { EventSource } from '../../../src/events/scan.js';
import { streamSearch } from '../../../src/spl/index.js';
import { NOW, run } from './helpers.js';

describe('makeresults', () => {
  it('makes count rows stamped with the search time', async () => {
    expect(await run('| makeresults count=3 | streamstats count as i | table _time i')).toEqual([1, 2, 3].map((i) => ({ _time: NOW, i })));
    expect(await run('| makeresults count=0')).toEqual([]);
  });

  it('annotate=true adds splunk_server (this host) and leaves host, source, sourcetype without a value', async () => {
    // SPL reference, makeresults, "Fields generated with annotate=true": _raw, host, source, sourcetype and
    // splunk_server_group "None."; splunk_server "The name of the server that the makeresults command is run on".
    expect(await run('| makeresults annotate=true')).toEqual([{ _time: NOW, splunk_server: hostname() }]);
    expect(await run('| makeresults annotate=true | stats count by sourcetype')).toEqual([]);
  });
});

describe('a search waits for a backed-up output (SearchOptions.ready)', () => {
  /** A ready() that is backed up every time: records how many rows had reached the output when it was asked. */
  function backedUp() {
    const asked: number[] = [];
    let rows = 0;
    return {
      asked,
      sink: { push: () => void rows++, end: () => {} },
      ready: () => {
        asked.push(rows);
        return new Promise<void>((resolve) => setImmediate(resolve));
      },
    };
  }

  it('makeresults asks after every 4096 rows and waits, so rows do not pile up ahead of a slow reader', async () => {
    const b = backedUp();
    await streamSearch('| makeresults count=10000 | eval x=1', { now: NOW, ready: b.ready }, b.sink);
    expect(b.asked).toEqual([4096, 8192]);
  });

  it('stops making rows once the pipeline needs no more (head), whatever the count', async () => {
    const b = backedUp();
    await streamSearch('| makeresults count=1000000000000 | head 5000', { now: NOW, ready: b.ready }, b.sink);
    expect(b.asked).toEqual([4096]);
  });

  it('the scan asks after each batch of events', async () => {
    const ev = (i: number): Event => ({ _time: NOW - i, index: 'main', sourcetype: 'json', source: 'm', host: 'h', _raw: `{"i":${i}}` });
    const source: EventSource = {
      newestFirst: true,
      async *scan() {
        yield [ev(1), ev(2)];
        yield [ev(3)];
      },
    };
    const b = backedUp();
    await streamSearch('index=main', { now: NOW, source, ready: b.ready }, b.sink);
    expect(b.asked).toEqual([2, 3]);
  });
});
