import { availableParallelism } from 'node:os';

/**
 * What `--explain` (`vigil search`, `vigil run`) says of the threads a search would run on: why it stays on one
 * (`--threads 1`, stdin among the inputs: the parallel run cannot partition it), else what this machine does with a plan
 * that splits (parallel/run.ts).
 */
export async function explainThreads(threads: number, events: readonly string[] | undefined): Promise<{ oneThread?: string; workers?: string }> {
  const oneThread = threads === 1 ? '--threads 1' : events?.some((f) => f === '-') ? 'stdin is read in one pass' : undefined;
  if (oneThread !== undefined) return { oneThread };
  const parallel = await import('../parallel/run.js');
  const workers = parallel.autoWorkers(threads);
  if (workers === 0) return { workers: `none start on this ${availableParallelism()}-core machine (one core is left to V8's background threads): the partitions run on this thread, in one go` };
  return { workers: `up to ${workers} beside this thread, once it has measured that the rest of an input of ${parallel.MIN_PARALLEL_BYTES >> 20} MiB or more is worth them` };
}
