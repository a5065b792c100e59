import { getHeapStatistics, type HeapInfo } from 'node:v8';
import { SplError, type SourceText, type Span } from '../source.js';

/**
 * Share of the heap limit past which a search stops with SPL_LIMIT_MEMORY instead of letting V8 abort the process
 * ("JavaScript heap out of memory", a native stack trace, exit 134, every result lost): a search that keeps every
 * event (`index=*` over a 515 MB file, returned newest first) reached the 4 GB limit in ~55 s. Checked once per
 * batch of events, and every 256 rows a stage that held its input releases (exec/run.ts; a few µs each). What is
 * counted is the heap V8 has committed, not only what is in use: V8 gives up ("ineffective mark-compacts") when the
 * committed heap nears the limit, which counts the young generation (48 MB by default) the old one cannot use; with
 * `--max-old-space-size=256` it aborted with 214 MB in use, 264 MB committed, of a 304 MB limit.
 */
const HEAP_SHARE = 0.8;

/** Throws SPL_LIMIT_MEMORY when the heap is past HEAP_SHARE of its limit (this thread's: a worker has its own). */
export function checkHeap(at: Span, source: SourceText, h: Pick<HeapInfo, 'total_heap_size' | 'heap_size_limit'> = getHeapStatistics()): void {
  if (h.total_heap_size <= HEAP_SHARE * h.heap_size_limit) return;
  const mb = (n: number): string => `${Math.round(n / 2 ** 20)} MB`;
  throw new SplError(
    'SPL_LIMIT_MEMORY',
    `the search holds ${mb(h.total_heap_size)} of the ${mb(h.heap_size_limit)} heap and was stopped: aggregate (stats, top, dedup) or narrow it (head, a time range, more terms) rather than keep every event`,
    at,
    source,
  );
}

/**
 * Share of the heap limit a worker may still have committed when a search ends and be given the next one. V8 keeps
 * the heap it committed (a search's garbage included) until a major collection it may not run for a while, and
 * checkHeap counts it: a search stopped at HEAP_SHARE left its worker at ~900 MB of 1,072, and every later search on
 * that worker that read a batch of events (`index=main | head 5000 | sort 0 _raw`, even `| stats count`) was
 * SPL_LIMIT_MEMORY at once, for minutes (found by the hostile-client probes). Past this share the worker is retired.
 */
const REUSE_SHARE = 0.5;

/** Whether this thread's heap is too full for a worker to take another search (see REUSE_SHARE). */
export function heapSpent(h: Pick<HeapInfo, 'total_heap_size' | 'heap_size_limit'> = getHeapStatistics()): boolean {
  return h.total_heap_size > REUSE_SHARE * h.heap_size_limit;
}

/**
 * JavaScript's own bound on a Map or Set (2^24 entries: ~16.7 million distinct values of a field in stats, dedup,
 * transaction...) met by a search's state, as SPL_LIMIT_MEMORY at `at`; any other error as it is. The heap check
 * above usually stops such a search first, but not with small values in a large heap: it was "internal error".
 */
export function collectionLimitError(e: unknown, at: Span, source: SourceText): unknown {
  if (!(e instanceof RangeError) || !/^(Map|Set) maximum size exceeded/.test(e.message)) return e;
  return new SplError(
    'SPL_LIMIT_MEMORY',
    'the search holds more distinct values than a JavaScript Map can (about 16.7 million): aggregate by fewer or coarser fields, or narrow the search',
    at,
    source,
  );
}
