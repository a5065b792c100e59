/** The event source of one partition, the same on the main thread and on a worker. */
import type { EventSource, ScanProgress } from '../events/scan.js';
import { FileSource, type FilterMemo } from '../sources/file.js';
import type { PartitionedInput, PartitionIssue, TimeSlice } from './protocol.js';

/**
 * A time-less event in a partition that does not start its file, with no earlier line of the partition
 * giving it a time: its time is that of the previous event, in another partition. The run starts over on
 * one thread (real exports always carry `time`; tests do not).
 */
export class NeedsOneThread extends Error {
  constructor() {
    super('a time-less event takes its time from an event of another partition');
    this.name = 'NeedsOneThread';
  }
}

/**
 * `store`: the store of a store input, opened read-only on this thread. `more`: a plain file's range may grow
 * (FileRange.more). `filters`: the filters this thread compiled for the run's earlier partitions (one compile
 * per thread, not per partition).
 */
export function partitionSource(
  input: PartitionedInput,
  partition: number,
  report: (issue: PartitionIssue) => void,
  store: EventSource | null,
  filters: FilterMemo,
  more?: () => number | null,
): EventSource {
  if (input.kind === 'store') return timeSlice(store!, input.partitions[partition]!);
  const p = input.partitions[partition]!;
  return new FileSource([p.path], {
    ...input.options,
    filterMemo: filters,
    ...(p.gzip ? {} : { range: { start: p.start, end: p.end, ...(more ? { more } : {}) } }),
    ...(p.start > 0
      ? {
          timeBefore: () => {
            throw new NeedsOneThread();
          },
        }
      : {}),
    onMalformed: (m) => report({ kind: 'malformed', line: m.line, reason: m.reason }),
    onWarning: (w) => report({ kind: 'warning', line: w.line, reason: w.reason }),
  });
}

/**
 * The events of a time slice of the store: each scan's time range narrowed to [lo, hi). Newest first, and
 * events of one time in one slice, so slices newest first give the store's own order.
 */
function timeSlice(store: EventSource, slice: TimeSlice): EventSource {
  return {
    newestFirst: store.newestFirst,
    scan: (request, options) =>
      store.scan(
        {
          ...request,
          earliest: slice.lo === null ? request.earliest : request.earliest === null ? slice.lo : Math.max(request.earliest, slice.lo),
          latest: slice.hi === null ? request.latest : request.latest === null ? slice.hi : Math.min(request.latest, slice.hi),
        },
        options,
      ),
  };
}

/**
 * `count` time slices of [earliest, latest] (epoch seconds, whole seconds), newest first; the first and the
 * last are open-ended, so together they hold every event whatever its time.
 */
export function timeSlices(earliest: number, latest: number, count: number): TimeSlice[] {
  const lo = Math.floor(earliest);
  const hi = Math.floor(latest) + 1;
  const n = Math.max(1, Math.min(count, hi - lo));
  const bounds = Array.from({ length: n - 1 }, (_, k) => lo + Math.round(((hi - lo) * (n - 1 - k)) / n));
  return Array.from({ length: n }, (_, k) => ({ lo: k === n - 1 ? null : bounds[k]!, hi: k === 0 ? null : bounds[k - 1]! }));
}

/** Bytes of partition `partition` read so far, from its source's progress. */
export function bytesRead(input: PartitionedInput, partition: number, p: ScanProgress): number {
  if (input.kind === 'store') return p.bytes ?? 0;
  const part = input.partitions[partition]!;
  // A file range reports positions in its file; a gzip file, compressed bytes from its start.
  return Math.max(0, Math.min(p.bytes ?? part.start, part.end) - part.start);
}

/**
 * How far the partitions from `from` on are one contiguous run (one file's consecutive ranges, or time
 * slices), and that run as one partition at `from`: a thread left alone reads the rest in one go.
 */
export function joinRest(input: PartitionedInput, from: number): { last: number; input: PartitionedInput } {
  if (input.kind === 'store') {
    const parts = input.partitions;
    const partitions = parts.slice();
    partitions[from] = { lo: parts[parts.length - 1]!.lo, hi: parts[from]!.hi };
    return { last: parts.length - 1, input: { ...input, partitions } };
  }
  let last = from;
  while (continues(input, last)) last++;
  return { last, input: fileRun(input, from, last) };
}

/** Whether file partition `p + 1` goes on where `p` ends (the same plain file, the next bytes). */
export function continues(input: PartitionedInput & { kind: 'files' }, p: number): boolean {
  const parts = input.partitions;
  return p + 1 < parts.length && !parts[p]!.gzip && !parts[p + 1]!.gzip && parts[p + 1]!.input === parts[p]!.input && parts[p + 1]!.start === parts[p]!.end;
}

/** File partitions `from` to `last` (contiguous) as one partition at `from`. */
export function fileRun(input: PartitionedInput & { kind: 'files' }, from: number, last: number): PartitionedInput {
  const partitions = input.partitions.slice();
  partitions[from] = { ...partitions[from]!, end: partitions[last]!.end };
  return { ...input, partitions };
}
