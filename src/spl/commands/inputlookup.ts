import { Row, type Result } from '../../events/result.js';
import type { FieldValue } from '../../events/value.js';
import type { SearchExpr } from '../parse/ast.js';
import { MV_COLUMN_PREFIX, parseMvCell, type LookupTable } from '../lookups.js';
import { compileSearch, type RowPredicate } from '../search/predicate.js';
import { SplError, type Span } from '../source.js';
import { lookupRefusal, resolveLookupTable } from './lookup.js';
import { defineCommand, type ExecContext, type Sink } from './types.js';

export interface InputlookupArgs {
  name: string;
  nameSpan: Span;
  append: boolean;
  start: number;
  max: number;
  /** strict=true: a missing table fails the search (SPL_BAD_ARGUMENT at the name); false (the default): a warning, no rows. */
  strict: boolean;
  where: SearchExpr | null;
}

/** Splunk's default for max=. */
const DEFAULT_MAX = 1_000_000_000;

/**
 * `| inputlookup [append=<bool>] [start=<n>] [max=<n>] [strict=<bool>] <table>[.csv] [WHERE <search>]`:
 * the rows of a lookup table as results, in file order (field order = the table's columns).
 *
 * - `start` skips that many rows (0-based), `max` caps the rows read (default 1e9); the WHERE filter
 *   applies to the rows read, with search semantics (case-insensitive values, wildcards, `!=`...).
 * - Empty cells are absent fields (Splunk's results do not distinguish empty from missing).
 * - `append=true` makes it a non-generating command that passes its input through and adds the table
 *   rows after it (`... | stats ... | inputlookup append=t baseline | stats ...`). As its pipeline's first
 *   command there is no input to append to: it generates the rows, as without it (the reference's own example
 *   is the subsearch `[| inputlookup append=t usertogroup]`).
 * - A table that does not exist gives no rows and a warning at the name (append=true: the input passes unchanged), as
 *   Splunk's "If the lookup does not exist, a warning message is displayed"; `strict=true` makes it an error
 *   (SPL_BAD_ARGUMENT at the name), raised before any event is read.
 * - A `__mv_<field>` column beside `<field>` (outputlookup output_format=splunk_mv_csv) gives the field its
 *   multivalue (`$a$;$b$`) and is not a field itself.
 */
export const inputlookupCommand = defineCommand<InputlookupArgs>({
  name: 'inputlookup',
  doc: '| inputlookup [append=bool] [start=N] [max=N] <table> [WHERE <search>]: the rows of a lookup table.',
  parse: (p) => {
    let append = false;
    let start = 0;
    let max = DEFAULT_MAX;
    let strict = false;
    let name: { name: string; span: Span } | null = null;
    let where: SearchExpr | null = null;
    for (;;) {
      const o = p.option(['append', 'start', 'max', 'strict']);
      if (o) {
        if (o.key === 'append') append = p.parseBool(o.value, o.valueSpan);
        else if (o.key === 'strict') strict = p.parseBool(o.value, o.valueSpan);
        else if (o.key === 'start') start = p.parseInt(o.value, o.valueSpan, 0);
        else max = p.parseInt(o.value, o.valueSpan, 0);
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (name && t.kind === 'word' && t.value.toLowerCase() === 'where') {
        p.next('search');
        if (p.atEnd()) throw p.error('WHERE needs a search expression', t.span);
        // The rest of the command is the search expression.
        where = p.searchExpr();
        break;
      }
      if (name) throw p.error(`unexpected ${t.kind === 'string' ? `"${t.value}"` : `'${t.value}'`} after the table name (expected WHERE <search> or an option)`, t.span);
      name = p.fieldName('a lookup table name');
    }
    if (!name) throw p.error('inputlookup needs a lookup table name', p.peek('search').span);
    // First in its pipeline (`[| inputlookup append=t x]`, the reference's example 2) there is nothing to append to.
    if (p.leading) append = false;
    return { name: name.name, nameSpan: name.span, append, start, max, strict, where };
  },
  kind: (a) => (a.append ? 'transforming' : 'generating'),
  orderSensitive: () => false,
  ordersOutput: (a) => !a.append,
  writes: () => '*',
  create: (args, ctx, next) => {
    // A missing table: strict=true fails here, before any event is read; `vigil validate` (checking) gets the warning.
    if (!args.append) {
      if (args.strict || ctx.checking) tableOf(args, ctx);
      return next;
    }
    const emit = prepare(args, ctx);
    return {
      push: (row) => next.push(row),
      end: () => {
        emit(next);
        next.end();
      },
    };
  },
  generate: (args, ctx, next) => {
    prepare(args, ctx)(next);
  },
});

/**
 * The table, or null when it does not exist and strict is false: then a warning at the name (Splunk: "If the lookup does
 * not exist, a warning message is displayed (but no syntax error is generated)"); strict=true: the error.
 */
function tableOf(args: InputlookupArgs, ctx: ExecContext): LookupTable | null {
  try {
    return resolveLookupTable(ctx.lookups, args.name, args.nameSpan, ctx.source, 'inputlookup');
  } catch (e) {
    // A table the content has but vigil refused (a KV store collection, ...) would have rows in Splunk: an error.
    if (args.strict || !(e instanceof SplError) || e.code !== 'SPL_BAD_ARGUMENT' || lookupRefusal(ctx.lookups, args.name) !== undefined) throw e;
    ctx.warn(`${e.message.replace(/^inputlookup: unknown/, 'inputlookup: no')}: no results from it (strict=true makes this an error)`, args.nameSpan);
    return null;
  }
}

/** Resolves the table and compiles WHERE (static errors before any row), returning the row emitter. */
function prepare(args: InputlookupArgs, ctx: ExecContext): (next: Sink) => void {
  const keep: RowPredicate = compileSearch(args.where, ctx.source);
  const table = tableOf(args, ctx);
  if (table === null) return () => {};
  // A table outputlookup wrote with output_format=splunk_mv_csv: `__mv_<field>` holds the field's multivalue.
  const fields = table.fields.filter((f) => !(f.startsWith(MV_COLUMN_PREFIX) && table.fields.includes(f.slice(MV_COLUMN_PREFIX.length))));
  const mvColumns = new Map(fields.filter((f) => table.fields.includes(MV_COLUMN_PREFIX + f)).map((f) => [f, MV_COLUMN_PREFIX + f]));
  return (next) => {
    const end = Math.min(table.rows.length, args.start + args.max);
    for (let i = args.start; i < end && !ctx.halted; i++) {
      const r = table.rows[i]!;
      const entries: [string, FieldValue][] = [];
      for (const f of fields) {
        const mvColumn = mvColumns.get(f);
        const values = mvColumn === undefined ? null : parseMvCell(r[mvColumn] ?? '');
        const v = values ?? r[f];
        if (v !== undefined && v !== '') entries.push([f, v]);
      }
      const row: Result = new Row(entries);
      if (keep(row)) next.push(row);
    }
  };
}
