import type { Result } from '../../events/result.js';
import { toText, valuesOf } from '../../events/value.js';
import { VigilError } from '../../errors.js';
import { lookupFileName, MV_COLUMN_PREFIX, mvCellText, type LookupWriter, type WritableLookups } from '../lookups.js';
import { SplError, type Span } from '../source.js';
import { defineCommand, type ExecContext } from './types.js';

export interface OutputlookupArgs {
  name: string;
  nameSpan: Span;
  /** The file in the lookup directory (`x` and `x.csv` are both `x.csv`). */
  file: string;
  append: boolean;
  createEmpty: boolean;
  overrideIfEmpty: boolean;
  /** Rows written at most (all rows pass through); Infinity: no limit. */
  max: number;
  /** splunk_mv_csv: a `__mv_<field>` column beside each field holding multivalues as `$a$;$b$`. */
  mvFormat: boolean;
}

const OPTIONS = ['append', 'create_empty', 'override_if_empty', 'max', 'key_field', 'allow_updates', 'createinapp', 'create_context', 'output_format'];

/**
 * `| outputlookup [append=<bool>] [create_empty=<bool>] [override_if_empty=<bool>] [max=<int>] [createinapp=<bool>]
 * [output_format=splunk_sv_csv|splunk_mv_csv] <filename>|<tablename>`: writes the results to a CSV lookup in the
 * run's writable lookup directory (`LookupWriter`) when its input ends, then passes them on unchanged (held until then,
 * so a `head` after it does not stop the search before every result reached the file).
 *
 * - Columns: the results' fields in first-seen order, without internal fields (`_time`, `_raw`: a leading `_`);
 *   append=true to an existing file keeps its header and writes only those columns, the rows after its rows.
 * - No results: the file is removed (override_if_empty=true, the default), kept (false), or made empty
 *   (create_empty=true); append=true leaves it as it is.
 * - Multivalues: their values joined with spaces (the reference: outputlookup "merges values in a multivalued field into
 *   single space-delimited value"); splunk_mv_csv adds `__mv_<field>` as `$a$;$b$`, which inputlookup reads back.
 * - Rows and bytes are bounded by the writer's limits (SPL_LOOKUP_WRITE at the command, nothing written).
 * - key_field/allow_updates (KV store) are refused; createinapp/create_context have one place to write: accepted.
 */
export const outputlookupCommand = defineCommand<OutputlookupArgs>({
  name: 'outputlookup',
  doc: '| outputlookup [append=bool] [create_empty=bool] [override_if_empty=bool] [max=N] [output_format=splunk_sv_csv|splunk_mv_csv] <file.csv|table>: write the results to a lookup.',
  parse: (p) => {
    const args = { append: false, createEmpty: false, overrideIfEmpty: true, max: Infinity, mvFormat: false };
    let name: { name: string; span: Span } | null = null;
    for (;;) {
      const o = p.option(OPTIONS);
      if (o) {
        const key = o.key.toLowerCase();
        if (key === 'append') args.append = p.parseBool(o.value, o.valueSpan);
        else if (key === 'create_empty') args.createEmpty = p.parseBool(o.value, o.valueSpan);
        else if (key === 'override_if_empty') args.overrideIfEmpty = p.parseBool(o.value, o.valueSpan);
        else if (key === 'max') args.max = p.parseInt(o.value, o.valueSpan, 0);
        else if (key === 'createinapp') p.parseBool(o.value, o.valueSpan);
        else if (key === 'output_format') {
          const f = o.value.toLowerCase();
          if (f !== 'splunk_sv_csv' && f !== 'splunk_mv_csv') throw p.error(`output_format must be splunk_sv_csv or splunk_mv_csv, not "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
          args.mvFormat = f === 'splunk_mv_csv';
        } else if (key === 'create_context') {
          // Where in Splunk's app hierarchy the file goes; vigil has one directory.
        } else throw new SplError('SPL_UNSUPPORTED_COMMAND', `outputlookup ${key}= is for KV store collections, which vigil does not have: write a CSV lookup without it`, o.span, p.source);
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (name) throw p.error(`unexpected '${t.value}' after the lookup name (outputlookup takes one name)`, t.span);
      name = p.fieldName('a lookup file or table name');
    }
    if (!name) throw p.error('outputlookup needs a lookup file or table name', p.peek('search').span);
    const f = lookupFileName(name.name);
    if ('error' in f) throw p.error(`outputlookup: ${f.error}`, name.span, 'SPL_BAD_ARGUMENT');
    return { name: name.name, nameSpan: name.span, file: f.file, ...args };
  },
  // Needs all its input before it writes: it runs after the merge of a split search, on one thread.
  kind: () => 'transforming',
  // The file's rows are in result order.
  orderSensitive: () => true,
  writes: () => [],
  create: (args, ctx, next, cmd) => {
    const at = cmd.nameSpan;
    const fail = (message: string): SplError => new SplError('SPL_LOOKUP_WRITE', `outputlookup: ${message}`, at, ctx.source);
    const writer = (ctx.lookups as WritableLookups).writer;
    if (ctx.checking) return next;
    if (!writer) throw fail('no writable lookup directory: name one with --lookup-dir <dir> or VIGIL_LOOKUP_DIR (vigil serve writes to <dataDir>/lookups)');
    if (writer.refusal !== null) throw fail(writer.refusal);
    const table = new CsvTable(args, writer, fail, ctx);
    // The results pass on after the file is written, as a command that needs all its input: passed on as they came, a
    // `head` after it stopped the search at its count and the file held only those rows (`| makeresults count=1000 |
    // outputlookup x | head 1` wrote 1 row; over files, where a sort came first, 1000).
    const held: Result[] = [];
    return {
      push: (row) => {
        table.add(row);
        held.push(row);
      },
      end: () => {
        table.finish();
        for (let i = 0; i < held.length && !ctx.halted; i++) next.push(held[i]!);
        held.length = 0;
        next.end();
      },
    };
  },
});

/** The rows being written, as the text of their cells, kept within the writer's limits as they come. */
class CsvTable {
  /** Per row, each column's values as text (by column number; absent: no value). */
  private readonly rows: (string[] | undefined)[][] = [];
  private readonly columns = new Map<string, number>();
  /** The cells' characters and separators so far: checked against maxBytes as rows come, so memory stays bounded. */
  private size = 0;

  constructor(
    private readonly args: OutputlookupArgs,
    private readonly writer: LookupWriter,
    private readonly fail: (m: string) => SplError,
    private readonly ctx: ExecContext,
  ) {}

  add(row: Result): void {
    const { args, writer } = this;
    if (this.rows.length >= args.max) return;
    if (this.rows.length >= writer.maxRows) throw this.fail(`${args.file} would hold more than ${writer.maxRows} rows, the most a written lookup may (nothing was written)`);
    const cells: (string[] | undefined)[] = [];
    for (const f of row.fieldNames()) {
      // Internal fields (_time, _raw...) are not lookup columns.
      if (f.startsWith('_')) continue;
      const values = valuesOf(row.get(f)).map(toText);
      if (values.length === 0) continue;
      let i = this.columns.get(f);
      if (i === undefined) {
        this.columns.set(f, (i = this.columns.size));
        this.size += f.length + 1;
      }
      cells[i] = values;
      for (const v of values) this.size += v.length + 1;
    }
    if (this.size > writer.maxBytes) throw this.fail(`${args.file} would hold more than ${writer.maxBytes} bytes, the most a written lookup may (nothing was written)`);
    this.rows.push(cells);
  }

  finish(): void {
    // A stopped search (cancelled, past its time) has not seen all its results: the file is left as it was.
    if (this.ctx.aborted) return;
    const { args, writer } = this;
    // No rows, and the file is to be left as it is: nothing to wait for a lock for.
    if (this.rows.length === 0 && (args.append || (!args.createEmpty && !args.overrideIfEmpty))) return;
    try {
      // Read, built and written under the file's lock: another search appending at the same time waits, so no row is lost.
      writer.update(args.file, args.append, (existing) => {
        if (this.rows.length === 0) return args.createEmpty ? { write: '' } : 'remove';
        let text: string;
        if (existing !== null && existing.header.length > 0) {
          if (existing.rows + this.rows.length > writer.maxRows) throw this.fail(`${args.file} would hold more than ${writer.maxRows} rows, the most a written lookup may (nothing was written)`);
          text = (/[\r\n]$/.test(existing.text) ? existing.text : `${existing.text}\n`) + this.lines(existing.header).join('\n') + '\n';
        } else {
          const names = [...this.columns.keys()];
          const header = args.mvFormat ? names.flatMap((f) => [f, MV_COLUMN_PREFIX + f]) : names;
          text = [header.map(cell).join(','), ...this.lines(header)].join('\n') + '\n';
        }
        if (Buffer.byteLength(text, 'utf8') > writer.maxBytes) throw this.fail(`${args.file} would hold more than ${writer.maxBytes} bytes, the most a written lookup may (nothing was written)`);
        return { write: text };
      });
    } catch (e) {
      if (e instanceof SplError) throw e;
      if (e instanceof VigilError) throw this.fail(e.message.replace(/^outputlookup: /, ''));
      throw e;
    }
  }

  /** The rows as CSV lines under `header` (a `__mv_<field>` column gets splunk_mv_csv's form of the field). */
  private lines(header: readonly string[]): string[] {
    const slots = header.map((h) => {
      const mvOf = h.startsWith(MV_COLUMN_PREFIX) ? this.columns.get(h.slice(MV_COLUMN_PREFIX.length)) : undefined;
      return mvOf !== undefined ? { i: mvOf, mv: true } : { i: this.columns.get(h), mv: false };
    });
    return this.rows.map((cells) =>
      slots
        .map(({ i, mv }) => {
          const values = i === undefined ? undefined : cells[i];
          if (!values) return '';
          return cell(mv ? mvCellText(values) : values.join(' '));
        })
        .join(','),
    );
  }
}

/** RFC 4180: quoted when it holds a quote, comma or line break, quotes doubled. */
function cell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
