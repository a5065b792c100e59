/** The event source of one partition, the same on the main thread and on a worker. */
import type { EventSource } from '../events/scan.js';
import { FileSource } from '../sources/file.js';
import type { PartitionedInput, PartitionIssue } from './protocol.js';

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

export function partitionSource(input: PartitionedInput, partition: number, report: (issue: PartitionIssue) => void): EventSource {
  const p = input.partitions[partition]!;
  return new FileSource([p.path], {
    ...input.options,
    ...(p.gzip ? {} : { range: { start: p.start, end: p.end } }),
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
