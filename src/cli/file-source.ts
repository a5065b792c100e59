import { VigilError } from '../errors.js';
import { FileSource } from '../sources/file.js';
import type { EventOptions, InputIssues } from './shared.js';

/** The events of `--events` (files, `.gz`, `-` for stdin), malformed lines reported through `issues`. */
export function fileSource(opts: EventOptions, issues: InputIssues, now: number): FileSource {
  if (!opts.events || opts.events.length === 0) throw new VigilError('USAGE', 'no events: pass --events <file...> (or - for stdin)');
  return new FileSource(opts.events, {
    ...(opts.sourcetype ? { sourcetype: opts.sourcetype } : {}),
    index: opts.index ?? 'main',
    now,
    onMalformed: issues.onMalformed,
    onWarning: issues.onWarning,
  });
}
