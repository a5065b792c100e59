import { describe, expect, it } from 'vitest';
import { checkHeap, collectionLimitError } from '../../../src/spl/exec/heap-guard.js';
import { SourceText, SplError } from '../../../src/spl/source.js';

const MB = 2 ** 20;

describe('the heap guard', () => {
  // `vigil search 'index=*'` over a 515 MB file kept every event to return them newest first and died of V8's
  // out-of-memory abort (exit 134, a native stack trace). Run with --max-old-space-size=300 over 120k lines, the
  // CLI now ends with this error at 1:1, exit 2.
  it('stops a search whose committed heap is past 80% of the limit with SPL_LIMIT_MEMORY at the search, and lets it go below', () => {
    const source = new SourceText('index=*');
    const at = { start: 0, end: 7 };
    expect(() => checkHeap(at, source, { total_heap_size: 3276 * MB, heap_size_limit: 4096 * MB })).not.toThrow();
    let err: unknown;
    try {
      checkHeap(at, source, { total_heap_size: 3300 * MB, heap_size_limit: 4096 * MB });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SplError);
    expect((err as SplError).code).toBe('SPL_LIMIT_MEMORY');
    expect((err as SplError).message).toBe('the search holds 3300 MB of the 4096 MB heap and was stopped: aggregate (stats, top, dedup) or narrow it (head, a time range, more terms) rather than keep every event');
    // The heap this thread has now is far from its limit.
    expect(() => checkHeap(at, source)).not.toThrow();
  });

  // `| makeresults count=17000000 | streamstats count as n | stats count by n` filled one Map of stats past V8's 2^24
  // entries with the heap at a third of its limit: "internal error: Map maximum size exceeded" (51 s; the CLI now ends
  // with SPL_LIMIT_MEMORY at 1:1). V8's message is that RangeError's; the conversion is tested here, not the 51 s.
  it("turns V8's Map/Set size limit into SPL_LIMIT_MEMORY at the search, and leaves other errors as they are", () => {
    const source = new SourceText('| stats count by n');
    const at = { start: 0, end: 18 };
    for (const message of ['Map maximum size exceeded', 'Set maximum size exceeded']) {
      const e = collectionLimitError(new RangeError(message), at, source);
      expect(e).toBeInstanceOf(SplError);
      expect((e as SplError).code).toBe('SPL_LIMIT_MEMORY');
      expect((e as SplError).span).toEqual(at);
    }
    const other = new RangeError('Maximum call stack size exceeded');
    expect(collectionLimitError(other, at, source)).toBe(other);
    const plain = new Error('Map maximum size exceeded');
    expect(collectionLimitError(plain, at, source)).toBe(plain);
  });
});
