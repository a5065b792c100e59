import { once } from 'node:events';
import { DeclaredColumns, type Result } from '../events/result.js';
import { toText, valuesOf, type FieldValue } from '../events/value.js';
import type { Sink } from '../spl/commands/types.js';
import { strftime } from '../spl/time/format.js';
import { resultToIndentedJsonText, resultToJsonText, TIME_OUTPUT_FORMAT } from '../outputs/json.js';
import { printable } from '../outputs/printable.js';
import { isSparkline } from '../spl/stats/sparkline.js';

export type OutputFormat = 'table' | 'jsonl' | 'json' | 'csv';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'jsonl', 'json', 'csv'];

export interface OutputOptions {
  format: OutputFormat;
  tz: string;
  write: (s: string) => void;
  /** Fields not to print (e.g. `_raw` in tables). */
  hide?: readonly string[];
  /** A row as json/jsonl print it (default: `resultToJsonText`'s text): rows hold no booleans, so a command with one makes it here. */
  jsonOf?: (r: Result) => unknown;
}

function cellText(f: string, v: FieldValue | null, tz: string, mvJoin: string): string {
  if (v === null) return '';
  if (f === '_time' && typeof v === 'number') return strftime(v, TIME_OUTPUT_FORMAT, tz);
  return valuesOf(v).map(toText).join(mvJoin);
}

/**
 * Text is handed to `write` in pieces of about this many characters: a write per row (a system call each when
 * stdout is a file) was 0.3 s of `vigil run --all` printing 216k rows.
 */
const CHUNK_CHARS = 64 * 1024;

/**
 * When stdout (a pipe: asynchronous) holds more than its high-water mark, the promise of its drain, else null: what
 * a command printing many rows waits for between them, instead of queueing them all in memory for a slow reader.
 */
export function stdoutDrain(): Promise<void> | null {
  return process.stdout.writableNeedDrain ? once(process.stdout, 'drain').then(() => undefined) : null;
}

/**
 * `write` in chunks: what a synchronous run of calls gives is written once it reaches CHUNK_CHARS, and the rest
 * before anything else runs (a microtask): rows still appear as they come, in order, and nothing waits for a
 * later turn of the event loop.
 */
export function chunkedWriter(write: (s: string) => void): (s: string) => void {
  let parts: string[] = [];
  let size = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (parts.length === 0) return;
    const text = parts.join('');
    parts = [];
    size = 0;
    write(text);
  };
  return (s) => {
    parts.push(s);
    size += s.length;
    if (size >= CHUNK_CHARS) flush();
    else if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  };
}

/**
 * A sink that prints results as they come (jsonl) or at the end (table, json, csv: they need every
 * column or the closing bracket). Table columns appear in the order fields are first seen.
 */
export function outputSink(opts: OutputOptions): Sink & { count: number } {
  const { format, tz } = opts;
  const write = chunkedWriter(opts.write);
  const hide = new Set(opts.hide ?? []);
  const { jsonOf } = opts;
  const jsonLine = jsonOf !== undefined ? (r: Result) => JSON.stringify(jsonOf(r)) : (r: Result) => resultToJsonText(r, tz);
  // A row of json's array, one level in (JSON strings hold no raw newline, so indenting after each is exact).
  const jsonRow = jsonOf !== undefined ? (r: Result) => JSON.stringify(jsonOf(r), null, 2).replace(/\n/g, '\n  ') : (r: Result) => resultToIndentedJsonText(r, tz);
  const rows: Result[] = [];
  const sink = {
    count: 0,
    push(r: Result) {
      sink.count++;
      if (format === 'jsonl') write(jsonLine(r) + '\n');
      else rows.push(r);
    },
    end() {
      // The bytes of `JSON.stringify(rows, null, 2)`, each row written as text: an object per row moved integer
      // names first and dropped a field named `__proto__`, which jsonl keeps.
      if (format === 'json') {
        for (let i = 0; i < rows.length; i++) write((i === 0 ? '[\n  ' : ',\n  ') + jsonRow(rows[i]!));
        write(rows.length === 0 ? '[]\n' : '\n]\n');
      }
      else if (format === 'csv') writeCsv(rows, tz, write);
      else if (format === 'table') writeTable(rows, tz, write, hide);
    },
  };
  return sink;
}

function columnsOf(rows: readonly Result[], hide: ReadonlySet<string>): string[] {
  const cols: string[] = [];
  const seen = new Set<string>();
  const declared = new DeclaredColumns();
  for (const r of rows) {
    declared.add(r);
    for (const f of r.fieldNames()) {
      if (!seen.has(f) && !hide.has(f)) {
        seen.add(f);
        cols.push(f);
      }
    }
  }
  const names = declared.names();
  if (names.length === 0) return cols;
  // The columns a chart, timechart or xyseries declared come in its order (a row leaves its empty cells out of
  // fieldNames(), so first appearance put a column where it first had a value), then the others as they came.
  const ordered = names.filter((c) => seen.has(c));
  return [...ordered, ...cols.filter((c) => !declared.has(c))];
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

/**
 * A cell a spreadsheet would run as a formula (first character = + - @ tab or CR; OWASP "CSV injection")
 * gets a leading `'`: the data is hostile (process arguments, pod names). Numbers stay as they are.
 */
function defuse(s: string): string {
  return /^[=+\-@\t\r]/.test(s) && !NUMBER.test(s) ? `'${s}` : s;
}

function writeCsv(rows: readonly Result[], tz: string, write: (s: string) => void): void {
  // No rows, no columns: nothing at all (a lone newline read as one empty record).
  if (rows.length === 0) return;
  const cols = columnsOf(rows, new Set());
  const esc = (text: string) => {
    const s = defuse(text);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  write(cols.map(esc).join(',') + '\n');
  // Multivalues are joined with a newline inside one cell, as Splunk's CSV export does; a sparkline with commas, as
  // it exports one (`##__SPARKLINE__##,0,3,1`).
  const cell = (c: string, v: FieldValue | null) => esc(cellText(c, v, tz, isSparkline(v) ? ',' : '\n'));
  for (const r of rows) write(cols.map((c) => cell(c, r.get(c))).join(',') + '\n');
}

function writeTable(rows: readonly Result[], tz: string, write: (s: string) => void, hide: ReadonlySet<string>): void {
  if (rows.length === 0) {
    write('(no results)\n');
    return;
  }
  const cols = columnsOf(rows, hide);
  const heads = cols.map(printable);
  const cells = rows.map((r) => cols.map((c) => cellText(c, r.get(c), tz, '\n').split('\n').map(printable)));
  // Loops, not Math.max(...): a spread of 200k rows (or of a cell's 200k values) overflows the stack.
  const width = heads.map((c, i) => {
    let w = c.length;
    for (const row of cells) for (const l of row[i]!) if (l.length > w) w = l.length;
    return Math.min(80, w);
  });
  const line = (parts: string[]) => parts.map((p, i) => p.padEnd(width[i]!)).join('  ').trimEnd() + '\n';
  write(line(heads));
  write(line(width.map((w) => '-'.repeat(w))));
  for (const row of cells) {
    const height = row.reduce((h, c) => Math.max(h, c.length), 0);
    for (let k = 0; k < height; k++) write(line(row.map((c) => clip(c[k] ?? '', 80))));
  }
  write(`\n${rows.length} result${rows.length === 1 ? '' : 's'}\n`);
}

function clip(s: string, w: number): string {
  return s.length > w ? s.slice(0, w - 1) + '…' : s;
}
