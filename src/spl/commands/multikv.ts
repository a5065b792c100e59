import { Row, type Result } from '../../events/result.js';
import { firstValue, toNumber, toText } from '../../events/value.js';
import type { ArgParser } from '../parse/parser.js';
import { SplError, type SourceText, type Span } from '../source.js';
import { cleanKey } from './extract.js';
import { defineCommand } from './types.js';

export interface MultikvArgs {
  copyattrs: boolean;
  /** Only these fields are set (names after cleaning); null: every column. */
  fields: string[] | null;
  /** A table row is kept when it contains one of these (case-insensitive); null: every row. */
  filter: string[] | null;
  /** The header is this non-empty line (1-based); null: detected. */
  forceheader: number | null;
  noheader: boolean;
  rmorig: boolean;
}

/** A header (or, with noheader=true, a first row) of more columns than this is an error: each row gets a field per column. */
export const MAX_MULTIKV_COLUMNS = 1000;

/** Cells read from one line (cellsOf): more than a header may have, so that one past the limit is seen. */
const MAX_CELLS = 2 * MAX_MULTIKV_COLUMNS + 1;

/** A cell of a line: its text and where it starts and ends in the line. */
interface Cell {
  text: string;
  start: number;
  end: number;
}

const OPTIONS = ['conf', 'copyattrs', 'forceheader', 'multitable', 'noheader', 'rmorig'];

/**
 * `multikv [conf=<stanza>] [copyattrs=<bool>] [fields <field-list>] [filter <term-list>] [forceheader=<int>]
 * [multitable=<bool>] [noheader=<bool>] [rmorig=<bool>]`: a table in `_raw` (a header line of names, then a line
 * per row) becomes an event per row (Search Reference, multikv: "creates a new event for each table row and assigns
 * field names from the title row of the table"). Rules (docs/spl.md for the decisions):
 * - lines are split at `\n` (a `\r` before it dropped); empty lines are skipped and not counted (forceheader);
 * - the header is the `forceheader`th line, else the first line holding no number whose cells are all Capitalized or
 *   ALLCAPS, else the first line holding no number (the reference: "Auto-detection of header rows favors rows that are
 *   text, and are ALLCAPS or Capitalized"; a Capitalized line is looked for until a line holding a number); with
 *   noheader=true the first line is a row, its cell count the table's width, and the columns are Column_1, Column_2,
 *   ...; lines before the header are not rows;
 * - a header line holding a comma makes a comma-separated table (cells by order, quotes kept as written: ESCU's
 *   `search status="\"200\""` on a GCS usage log); otherwise cells are runs of non-space characters, given to the
 *   columns by order when a row has as many cells as the header, else by alignment (the column whose header overlaps
 *   the cell most, else the nearest column starting before it; the last column takes the rest of the line);
 * - column names are cleaned as extract's CLEAN_KEYS (`"sc_status"` is `sc_status_`);
 * - each row's event is a copy of the original (copyattrs=true) or has only the row's fields, with `_raw` the row's
 *   line; with rmorig=false the original follows its rows.
 * One table per event: multitable=true (the default) reads the first table only (a Deviation). conf= names
 * multikv.conf, which vigil has not: SPL_BAD_ARGUMENT at it.
 */
export const multikvCommand = defineCommand<MultikvArgs>({
  name: 'multikv',
  doc: 'multikv [copyattrs=<bool>] [fields <field>...] [filter <term>...] [forceheader=<int>] [noheader=<bool>] [rmorig=<bool>]: an event per row of a table in _raw.',
  parse: (p) => {
    const a: MultikvArgs = { copyattrs: true, fields: null, filter: null, forceheader: null, noheader: false, rmorig: true };
    let forceSpan: Span | null = null;
    for (;;) {
      const o = p.option(OPTIONS);
      if (o) {
        if (o.key === 'conf') throw p.error('multikv conf= names a multikv.conf stanza, which vigil does not read; use the multikv options instead', o.span, 'SPL_BAD_ARGUMENT');
        if (o.key === 'forceheader') {
          a.forceheader = p.parseInt(o.value, o.valueSpan, 1);
          forceSpan = o.span;
        } else {
          const b = p.parseBool(o.value, o.valueSpan);
          if (o.key === 'copyattrs') a.copyattrs = b;
          else if (o.key === 'noheader') a.noheader = b;
          else if (o.key === 'rmorig') a.rmorig = b;
        }
        continue;
      }
      const kw = p.acceptWord('fields') ?? p.acceptWord('filter');
      if (kw) {
        const isFields = kw.value.toLowerCase() === 'fields';
        const list = isFields ? p.fieldList(['fields', 'filter']).map((f) => f.name) : terms(p);
        if (list.length === 0) throw p.error(`multikv ${kw.value} needs ${isFields ? 'field names' : 'terms'}`, kw.span, 'SPL_BAD_ARGUMENT');
        if (isFields) a.fields = [...(a.fields ?? []), ...list];
        else a.filter = [...(a.filter ?? []), ...list.map((t) => t.toLowerCase())];
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      throw p.error(`unexpected '${t.value}': multikv takes fields <field-list>, filter <term-list> and ${OPTIONS.slice(1).join('=, ')}=`, t.span);
    }
    if (a.noheader && forceSpan) throw p.error('forceheader= names a header line, and noheader=true says there is none', forceSpan, 'SPL_BAD_ARGUMENT');
    return a;
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => '*',
  create: (a, ctx, next, cmd) => {
    const only = a.fields ? new Set(a.fields) : null;
    return {
      push: (row) => {
        const raw = firstValue(row.get('_raw'));
        if (raw !== null) {
          for (const r of tableRows(toText(raw), a, cmd.nameSpan, ctx.source)) {
            const out: Result = a.copyattrs ? row.clone() : new Row();
            for (const [name, value] of r.fields) if (only === null || only.has(name)) out.set(name, value);
            out.set('_raw', r.line);
            next.push(out);
          }
        }
        if (!a.rmorig) next.push(row);
      },
      end: () => next.end(),
    };
  },
});

/** filter's terms: words and quoted strings, up to `fields`, another option or the end. */
function terms(p: ArgParser): string[] {
  const out: string[] = [];
  for (;;) {
    const t = p.peek('search');
    if (t.kind !== 'word' && t.kind !== 'string') return out;
    if (t.kind === 'word') {
      const w = t.value.toLowerCase();
      if (w === 'fields' || w === 'filter') return out;
      const t2 = p.peek2('search');
      if (OPTIONS.includes(w) && t2.kind === 'op' && t2.value === '=') return out;
    }
    p.next('search');
    out.push(t.value);
  }
}

/** The rows of the table in `raw`, each as its fields (in column order, empty cells left out) and its line. */
function* tableRows(raw: string, a: MultikvArgs, at: Span, source: SourceText): Generator<{ fields: [string, string][]; line: string }> {
  let header: string[] | null = null;
  let headerCells: Cell[] = [];
  let csv = false;
  let nonEmpty = 0;
  let from = 0;
  // Detection: the first text line not Capitalized, kept until the body starts (a line holding a number) or the text
  // ends without a Capitalized text line; then it is the header and the lines after it are read again as rows.
  let fallback: { line: string; next: number } | null = null;
  const setHeader = (line: string): void => {
    csv = line.includes(',');
    headerCells = cellsOf(line, csv);
    if (headerCells.length > MAX_MULTIKV_COLUMNS) {
      throw new SplError('SPL_BAD_ARGUMENT', `multikv: a table header of more than ${MAX_MULTIKV_COLUMNS} columns`, at, source);
    }
    header = a.noheader ? headerCells.map((_, i) => `Column_${i + 1}`) : headerCells.map((c, i) => cleanKey(c.text) || `Column_${i + 1}`);
  };
  for (;;) {
    if (from > raw.length) {
      if (header !== null || fallback === null) return;
      setHeader(fallback.line);
      from = fallback.next;
      fallback = null;
      continue;
    }
    let to = raw.indexOf('\n', from);
    if (to === -1) to = raw.length;
    const line = raw.charCodeAt(to - 1) === 13 && to > from ? raw.slice(from, to - 1) : raw.slice(from, to);
    from = to + 1;
    if (line.trim() === '') continue;
    nonEmpty++;
    if (header === null) {
      if (a.noheader || a.forceheader !== null) {
        if (!a.noheader && nonEmpty !== a.forceheader) continue;
        setHeader(line);
        if (!a.noheader) continue;
      } else if (headerLike(line)) {
        if (!capitalized(line)) {
          fallback ??= { line, next: from };
          continue;
        }
        setHeader(line);
        fallback = null;
        continue;
      } else {
        if (fallback === null) continue;
        // The body starts under text lines none of them Capitalized: the first of them is the header.
        setHeader(fallback.line);
        from = fallback.next;
        fallback = null;
        continue;
      }
    }
    if (a.filter !== null) {
      const lower = line.toLowerCase();
      if (!a.filter.some((t) => lower.includes(t))) continue;
    }
    yield { fields: assign(line, header!, headerCells, csv), line };
  }
}

/** A line holding no number among its cells (a header, not a row). */
function headerLike(line: string): boolean {
  return cellsOf(line, line.includes(',')).every((c) => toNumber(c.text) === null);
}

/**
 * A line whose every cell starts, past punctuation, with an uppercase letter (`PID`, `Name`, `%CPU`, `Recv-Q`,
 * `"Status"`): the reference's detection "favors rows that are text, and are ALLCAPS or Capitalized".
 */
function capitalized(line: string): boolean {
  return cellsOf(line, line.includes(',')).every((c) => /^[^\p{L}\p{N}]*\p{Lu}/u.test(c.text));
}

/**
 * The cells of a line: comma-separated (trimmed; empty ones kept, as they hold a column's place) or space-separated.
 * At most MAX_CELLS: the last one then holds the rest of the line (a hostile line of millions of cells makes no
 * million objects; a header that long is refused, and a row's last column takes the rest of it anyway).
 */
function cellsOf(line: string, csv: boolean): Cell[] {
  const cells: Cell[] = [];
  const rest = (start: number): Cell[] => {
    const text = line.slice(start).trim();
    if (text !== '' || csv) cells.push({ text, start, end: line.length });
    return cells;
  };
  if (csv) {
    let start = 0;
    for (;;) {
      if (cells.length === MAX_CELLS - 1) return rest(start);
      const comma = line.indexOf(',', start);
      const end = comma === -1 ? line.length : comma;
      cells.push({ text: line.slice(start, end).trim(), start, end });
      if (comma === -1) return cells;
      start = comma + 1;
    }
  }
  const re = /\S+/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    if (cells.length === MAX_CELLS - 1) return rest(m.index);
    cells.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  }
  return cells;
}

/** A row's cells given to the columns (see multikvCommand); the last column takes the rest of a longer row. */
function assign(line: string, names: readonly string[], header: readonly Cell[], csv: boolean): [string, string][] {
  const cells = cellsOf(line, csv);
  const n = names.length;
  const first: number[] = new Array<number>(n).fill(-1);
  const last: number[] = new Array<number>(n).fill(-1);
  let col = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i]!;
    if (csv || cells.length === n) col = Math.min(i, n - 1);
    else {
      // Columns are in order: move right while the next column overlaps the cell more (or starts before it).
      while (col + 1 < n && overlap(header[col + 1]!, c) >= Math.max(1, overlap(header[col]!, c))) col++;
      while (col + 1 < n && overlap(header[col]!, c) === 0 && header[col + 1]!.start <= c.start) col++;
    }
    if (first[col] === -1) first[col] = i;
    last[col] = i;
  }
  const out: [string, string][] = [];
  for (let k = 0; k < n; k++) {
    if (first[k] === -1) continue;
    const text = line.slice(cells[first[k]!]!.start, cells[last[k]!]!.end).trim();
    if (text !== '') out.push([names[k]!, text]);
  }
  return out;
}

function overlap(h: Cell, c: Cell): number {
  return Math.max(0, Math.min(h.end, c.end) - Math.max(h.start, c.start));
}
