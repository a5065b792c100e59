import { Option, type Command } from 'commander';
import { VigilError } from '../errors.js';
import { printable } from '../outputs/printable.js';
import { warningText } from '../spl/source.js';
import type { LineIssue } from '../sources/file.js';
import { canonicalTimeZone } from '../spl/time/zone.js';
import { ABSOLUTE_TIME_FORMAT, checkedTime, isoTime, resolveTimeBound, TimeModifierError } from '../spl/time/modifiers.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';

/** Options shared by commands that read events from files and print results. */
export interface EventOptions {
  events?: string[];
  content?: string[];
  now?: string;
  earliest?: string;
  latest?: string;
  tz: string;
  format?: OutputFormat;
  sourcetype?: string;
  index?: string;
  threads?: string;
}

export function addEventOptions(cmd: Command): Command {
  return cmd
    .option('--events <file...>', 'Tetragon JSONL files to read (.gz ok, - for stdin)')
    .option('--content <dir...>', 'extra content directories (detections, macros, lookups); they override the bundled ones')
    .option('--now <time>', 'the search time: epoch seconds or ISO 8601, in --tz without an offset (default: the clock)')
    .option('--earliest <time>', 'earliest time: epoch, ISO 8601 (in --tz without an offset), -24h@h, now or 10/15/2026:00:00:00; default: all time')
    .option('--latest <time>', 'latest time (exclusive), written as --earliest; default: no bound')
    .option('--tz <zone>', 'IANA time zone for rendering and snapping', 'UTC')
    .addOption(new Option('--format <format>', 'output format (default: table on a terminal, jsonl otherwise)').choices([...OUTPUT_FORMATS]))
    .option('--sourcetype <sourcetype>', 'force a sourcetype instead of the add-on assignment')
    .option('--index <index>', 'index the events are read into', 'main')
    .option('--threads <n>', 'threads that read and search the events (default: VIGIL_THREADS, else every core); 1: this thread only');
}

/** A count flag: digits only (Number() would also read "1e3" or "0x2"), at least 1. */
export function positiveInteger(text: string, flag: string): number {
  const n = /^[0-9]{1,15}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1)) throw new VigilError('USAGE', `${flag} must be a positive integer, not "${printable(text)}"`);
  return n;
}

/** `--now`: epoch seconds or ISO 8601 (without an offset, a wall time in `tz`), in years 1000 to 9999. */
export function parseNow(text: string | undefined, tz: string): number {
  if (text === undefined) return Date.now() / 1000;
  if (/^\d+(\.\d+)?$/.test(text)) return checkedTime(Number(text), '--now');
  const t = isoTime(text, tz);
  if (t === null) throw new VigilError('USAGE', `--now: cannot read "${printable(text)}" as epoch seconds or an ISO 8601 time`);
  return checkedTime(t, '--now');
}

/** A point in time for --from/--to/--since: epoch seconds, ISO 8601, or a time modifier relative to now (`-24h@h`). */
export function parseTimeArg(text: string, now: number, tz: string, flag: string): number {
  let t: number;
  try {
    t = resolveTimeBound(text, now, tz);
  } catch (e) {
    throw new VigilError('USAGE', `${flag}: ${printable((e as Error).message)}`);
  }
  return checkedTime(t, flag);
}

/** What `--earliest`/`--latest` take, as the API's `?earliest=` (docs/api.md "Time ranges"). */
const BOUND_FORMS = `epoch seconds, ISO 8601 (2026-12-06T02:00:00Z, 2026-12-06T03:00+01:00, or 2026-12-06T02:00 and 2026-12-06 in --tz), now, a relative time such as -24h@h, ${ABSOLUTE_TIME_FORMAT}, or all (no bound)`;

/**
 * `--earliest`/`--latest`: what the API's ranges take (`resolveTimeBound`, and empty or `all` for no bound), resolved
 * against `now` in `tz`, in the years 1000 to 9999. Bad text stays a `TIME_MODIFIER` error at its offset, naming the
 * accepted forms.
 */
export function parseRangeArg(text: string | undefined, now: number, tz: string, flag: string): number | null {
  if (text === undefined || text.trim() === '' || text.trim() === 'all') return null;
  let t: number;
  try {
    t = resolveTimeBound(text, now, tz);
  } catch (e) {
    if (!(e instanceof TimeModifierError)) throw e;
    throw new TimeModifierError(`${flag}: ${printable(e.message)}; ${flag} takes ${BOUND_FORMS}`, e.offset);
  }
  return checkedTime(t, flag);
}

/**
 * `--earliest` and `--latest` together, as the API's `?earliest=&latest=` (web/context.ts): a range that ends where
 * or before it starts is a USAGE error, not a silent run over nothing (two bounds swapped in a script).
 */
export function parseRangeArgs(opts: { earliest?: string; latest?: string }, now: number, tz: string): { earliest: number | null; latest: number | null } {
  const earliest = parseRangeArg(opts.earliest, now, tz, '--earliest');
  const latest = parseRangeArg(opts.latest, now, tz, '--latest');
  if (earliest !== null && latest !== null && earliest >= latest) {
    const iso = (t: number) => new Date(t * 1000).toISOString();
    throw new VigilError('USAGE', `--earliest (${iso(earliest)}) must be before --latest (${iso(latest)})`);
  }
  return { earliest, latest };
}

export function checkTimeZone(tz: string): string {
  try {
    return canonicalTimeZone(tz);
  } catch {
    throw new VigilError('USAGE', `--tz: unknown time zone "${tz}" (use an IANA name such as UTC or Europe/Berlin)`);
  }
}

export function outputFormat(opt: OutputFormat | undefined): OutputFormat {
  return opt ?? (process.stdout.isTTY ? 'table' : 'jsonl');
}

/**
 * Prints the engine's warnings (a row's regex vigil cannot run, spath over XML, top past maxresultrows) on stderr, each
 * once (every thread of a search raises its own), after clearing the progress line: `(message, where in the search,
 * which search when several run)`.
 */
export function warningPrinter(progress: { done(): void }, write: (s: string) => void = (s) => process.stderr.write(s)): (message: string, place: string | null, search?: string) => void {
  const shown = new Set<string>();
  return (message, place, search) => {
    const line = `vigil: warning: ${printable(warningText(message, place))}${search ? ` in ${printable(search)}` : ''}\n`;
    if (shown.has(line)) return;
    shown.add(line);
    progress.done();
    write(line);
  };
}

/** Lines remembered to report each once when several scans read them (a subsearch reads the input again). */
const MAX_REMEMBERED_ISSUES = 100_000;

/** Reports malformed lines on stderr (the first 20, then a count) and keeps going. */
export class InputIssues {
  malformed = 0;
  warnings = 0;
  private shown = 0;
  /** `file:line` of the issues met, up to MAX_REMEMBERED_ISSUES (past it, a line read twice counts twice). */
  private readonly seen = new Set<string>();
  constructor(private readonly write: (s: string) => void = (s) => process.stderr.write(s)) {}
  onMalformed = (m: LineIssue): void => {
    if (this.again(m)) return;
    this.malformed++;
    // The reason quotes the line (JSON.parse's message), the path is a file's name (`--events dir/*` over files
    // someone else named): their ESC sequences must not reach the terminal.
    // Ends with its code, as every error vigil reports does (docs/errors.md); `file:line: reason` before it, as the README shows.
    if (this.shown++ < 20) this.write(`vigil: skipped ${printable(m.file)}:${m.line}: ${printable(m.reason)} [INPUT_MALFORMED]\n`);
  };
  /** A line read with a caveat (no "time": the previous event's was used): shown as the first malformed ones are. */
  onWarning = (w: LineIssue): void => {
    if (this.again(w)) return;
    this.warnings++;
    if (this.shown++ < 20) this.write(`vigil: warning ${printable(w.file)}:${w.line}: ${printable(w.reason)}\n`);
  };
  private again(i: LineIssue): boolean {
    const key = `${i.file}\u0000${i.line}`;
    if (this.seen.has(key)) return true;
    if (this.seen.size < MAX_REMEMBERED_ISSUES) this.seen.add(key);
    return false;
  }
  summary(): void {
    const shown = Math.min(this.shown, 20);
    if (this.malformed + this.warnings > shown) this.write(`vigil: ... and ${this.malformed + this.warnings - shown} more\n`);
    if (this.malformed > 0) this.write(`vigil: ${this.malformed} malformed line${this.malformed === 1 ? '' : 's'} skipped\n`);
    if (this.warnings > 0) this.write(`vigil: ${this.warnings} line${this.warnings === 1 ? '' : 's'} read with a warning\n`);
  }
}
