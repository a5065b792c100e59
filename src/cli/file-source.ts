import { VigilError } from '../errors.js';
import { FileSource, type FileSourceOptions } from '../sources/file.js';
import type { ReadThread } from '../sources/read-thread.js';
import type { EventOptions, InputIssues } from './shared.js';
import { threadCount } from './thread-count.js';

/**
 * The events of `--events` (files, `.gz`, `-` for stdin), malformed lines reported through `issues`. With more than
 * one thread (`--threads`), a scan that stays on this thread may read on a second one (FileSource `readThread`),
 * `started` when the command started it early.
 */
export function fileSource(opts: EventOptions, issues: InputIssues, now: number, started: ReadThread | null = null): FileSource {
  return new FileSource(eventPaths(opts), { ...fileSourceOptions(opts, issues, now), readThread: started ?? threadCount(opts.threads) > 1 });
}

/** The paths of `--events`. */
export function eventPaths(opts: EventOptions): string[] {
  if (!opts.events || opts.events.length === 0) throw new VigilError('USAGE', 'no events: pass --events <file...> (or - for stdin)');
  return opts.events;
}

/** How `--events` are read (a parallel run reads them with the same options). */
export function fileSourceOptions(opts: EventOptions, issues: InputIssues, now: number): FileSourceOptions {
  return {
    ...(opts.sourcetype ? { sourcetype: opts.sourcetype } : {}),
    index: opts.index ?? 'main',
    now,
    onMalformed: issues.onMalformed,
    onWarning: issues.onWarning,
  };
}
