import type { Result } from '../../events/result.js';
import { toText, valuesOf } from '../../events/value.js';
import { SplError, type SourceText, type Span } from '../source.js';
import { tableBlueprint } from './table-lookup.js';
import { defineCommand, type Sink } from './types.js';

/** map's default maxsearches= (Splunk's). */
export const MAP_DEFAULT_SEARCHES = 10;
/**
 * Searches one map runs at most, whatever its maxsearches= says: each scans the search's events again, so a
 * `maxsearches=1000000` over a million results would read the input a million times (the run's time limit still
 * applies below it).
 */
export const MAP_MAX_SEARCHES = 10_000;
/** Characters of a substituted search quoted in an error (the rest elided). */
const QUOTED_SEARCH_CHARS = 300;

export interface MapArgs {
  /** The search to run per result, `$field$` tokens in it. */
  template: string;
  /** Where the template is written (errors of a search made from it point here). */
  at: Span;
  /** maxsearches= as written (MAP_MAX_SEARCHES applies below it). */
  maxSearches: number;
}

/** `$name$`: a token is `$`, a field name without spaces, quotes or `$`, and `$`. */
const TOKEN = /\$([^$\s"]+)\$/g;
/** A value written as it is between single quotes (`'$f$'`): letters, digits, `_ . @ - /` and spaces. */
const FIELD_NAME_VALUE = /^[\w.@\-/ ]+$/;
/** A search operator among its words (`'a OR b'` in a search command would be two terms OR-ed). */
const OPERATOR_WORD = /(?:^| )(?:OR|AND|NOT)(?: |$)/;
/** A value written outside quotes as it is only when none of these could change the search around it. */
const BARE_VALUE = /^[^\s"'`$|[\]()=<>!,\\]+$/;

/**
 * `map (search="<string>" | [ <search> ] | <saved search>) [maxsearches=<int>]`: for each result (the first
 * `maxsearches`, default 10, in search order), runs the search with its `$field$` tokens replaced by that result's
 * values (`$_serial_id$`: the search's number, from 1), over the same events and default time range as the search
 * (a subsearch's, exec/subsearch.ts); their results, concatenated in input order, are map's. A result past
 * maxsearches runs nothing (a warning says how many). A value never changes the search's structure (a deviation
 * from Splunk's raw text substitution, docs/spl.md "map"): inside quotes its `"` and `\` are escaped; outside quotes
 * a value that is not a plain word is written as a quoted string. A token naming a field the result lacks skips that
 * result (a warning names the field). A saved search is not supported.
 */
export const mapCommand = defineCommand<MapArgs>({
  name: 'map',
  doc: 'map search="<search with $field$ tokens>" [maxsearches=N]: run a search for each result, its field values substituted.',
  parse: (p) => {
    let template: { text: string; at: Span; source: SourceText } | null = null;
    let maxSearches = MAP_DEFAULT_SEARCHES;
    for (;;) {
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (t.kind === 'lbracket') {
        if (template) throw p.error('map takes one search: search="..." or [ ... ], not both', t.span, 'SPL_BAD_ARGUMENT');
        const { open, inner } = p.bracketed();
        const text = p.source.text.slice(inner.start, inner.end);
        template = { text, at: { start: open.start, end: inner.end + 1 }, source: p.source.embedded(text, [{ from: 0, at: inner.start }]) };
        continue;
      }
      const o = p.option(['search', 'maxsearches'], ['search']);
      if (o?.key === 'maxsearches') {
        maxSearches = p.parseInt(o.value, o.valueSpan, 0);
        continue;
      }
      if (o) {
        if (template) throw p.error('map takes one search: search="..." or [ ... ], not both', o.span, 'SPL_BAD_ARGUMENT');
        template = { text: o.value, at: o.valueSpan, source: o.source! };
        continue;
      }
      if (t.kind === 'word' || t.kind === 'string') {
        throw new SplError('SPL_UNSUPPORTED_COMMAND', `map over a saved search ("${t.value}") is not supported: vigil has no saved searches; write the search as map search="..."`, t.span, p.source);
      }
      throw p.error(`map: expected search="...", [ <search> ] or maxsearches=, found '${t.value}'`, t.span);
    }
    if (!template) throw p.error('map needs a search: map search="search ... $field$ ..." (or [ search ... ])', p.peek('search').span);
    if (template.text.trim() === '') throw p.error('map needs a search: the search is empty', template.at, 'SPL_BAD_ARGUMENT');
    // A fixed text (no token, no macro to expand when it runs) is checked now, its errors at their place.
    TOKEN.lastIndex = 0;
    if (!TOKEN.test(template.text) && !template.text.includes('`')) {
      for (const c of p.pipelineOf(template.source, template.at).commands) refuseNested(c.name, c.args, c.nameSpan, template.source);
    }
    return { template: template.text, at: template.at, maxSearches };
  },
  // It runs its searches once all its input has arrived, on the thread that has the search's options (plan/split.ts).
  kind: () => 'transforming',
  // maxsearches takes the first results, and the output follows their order.
  orderSensitive: () => true,
  writes: () => '*',
  runsSearches: () => true,
  create: (args, ctx, next, cmd) => {
    const limit = Math.min(args.maxSearches, MAP_MAX_SEARCHES);
    const kept: Result[] = [];
    let seen = 0;
    return {
      push: (row) => {
        if (kept.length < limit) kept.push(row);
        seen++;
      },
      end: () => {
        if (seen > limit) {
          const why = limit < args.maxSearches ? `vigil runs at most ${MAP_MAX_SEARCHES} searches per map` : `maxsearches=${args.maxSearches}`;
          ctx.warn(`map: ${seen} results, searches ran for the first ${limit} only (${why})`, cmd.nameSpan);
        }
        const rows = kept.splice(0);
        const run = ctx.runSearch;
        if (rows.length === 0) {
          next.end();
          return;
        }
        if (!run || !ctx.defer) throw new SplError('SPL_UNSUPPORTED_COMMAND', 'map cannot run its searches on this path (a search with map runs on one thread, on its own)', cmd.nameSpan, ctx.source);
        // A head before map halted the reading of events, not map's searches (its input has all arrived): only a halt
        // after this point (a command after map has all it needs) or a stop from outside ends them.
        const haltedBefore = ctx.halted && ctx.aborted !== true;
        const stopped = (): boolean => ctx.aborted === true || (ctx.halted && !haltedBefore);
        ctx.defer(async () => {
          const missing = new Set<string>();
          const refused = new Set<string>();
          let serial = 0;
          for (const row of rows) {
            if (stopped()) break;
            const text = substitute(args.template, row, serial + 1, missing, refused);
            if (text === null) continue;
            serial++;
            const stop = new AbortController();
            const out: Sink = {
              push: (r) => {
                next.push(r);
                // A command after map has all it needs (head): this search and the next stop.
                if (stopped()) stop.abort();
              },
              end: () => {},
            };
            try {
              await run(text, out, stop.signal);
            } catch (e) {
              if (!(e instanceof SplError)) throw e;
              const where = e.source ? ` at ${e.source.place(e.span)}` : '';
              throw new SplError(e.code, `map: search ${serial} failed${where}: ${e.message}; the search was: ${clip(text)}`, args.at, ctx.source);
            }
          }
          if (missing.size > 0) ctx.warn(`map: results without ${[...missing].map((f) => `"${f}"`).join(', ')} ran no search (their tokens had no value)`, args.at);
          if (refused.size > 0) {
            const fields = [...refused].map((f) => `"${f}"`).join(', ');
            ctx.warn(`map: results whose ${fields} is not a plain word ran no search: a macro's argument takes a plain word only (the macro pastes it into its definition, where it could change the search)`, args.at);
          }
          next.end();
        });
      },
    };
  },
});

/** A map in a search map runs would multiply the scans (maxsearches times maxsearches): refused. */
function refuseNested(name: string, args: unknown, at: Span, source: SourceText): void {
  if (tableBlueprint(name)?.runsSearches?.(args)) throw new SplError('SPL_UNSUPPORTED_COMMAND', `a map inside map's search is not supported ("${name}")`, at, source);
}

/**
 * The template with each `$field$` replaced by the row's value (`$_serial_id$` by `serial`), or null when a token
 * names a field the row does not have (added to `missing`). A multivalue is its values joined by a space. Inside
 * double quotes a value is escaped; between single quotes (`'$f$'`, a field name) a name of words is written as it
 * is; otherwise, one that is not a plain word is quoted. In a macro call's arguments (between backticks) only a plain
 * word is written: the macro pastes its arguments into its definition as they are, quotes included, so no quoting
 * keeps a value one value there; a row with another value gives null too (its field added to `refused`).
 */
export function substitute(template: string, row: Result, serial: number, missing: Set<string>, refused: Set<string> = new Set()): string | null {
  let out = '';
  let from = 0;
  let absent = false;
  // Whether the text before a token is inside double quotes, read once from the start (a template of many tokens
  // re-read for each was quadratic: 20,000 tokens took 15 s per search).
  const quotes = { at: 0, quoted: false, macro: false };
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(template); m !== null; m = TOKEN.exec(template)) {
    const field = m[1]!;
    const values = field === '_serial_id' ? [String(serial)] : valuesOf(row.get(field)).map(toText);
    if (values.length === 0) {
      missing.add(field);
      absent = true;
      continue;
    }
    const value = values.join(' ');
    const end = m.index + m[0].length;
    const quoted = inQuotes(template, m.index, quotes);
    if (quotes.macro && !BARE_VALUE.test(value)) {
      refused.add(field);
      absent = true;
      continue;
    }
    let written: string;
    if (quoted) written = escaped(value);
    // `'$f$'`: an eval field name (`where '$f$'>0`), a name with spaces written as it is. Only such a name: `|`, `[`,
    // quotes or an operator word would change a search command's terms or its pipeline (pipes split outside double
    // quotes only), so anything else is quoted as below.
    else if (template[m.index - 1] === "'" && template[end] === "'" && FIELD_NAME_VALUE.test(value) && !OPERATOR_WORD.test(value)) written = value;
    else written = BARE_VALUE.test(value) ? value : `"${escaped(value)}"`;
    // After an odd run of backslashes (`"\$v$"`, `x=\$v$`) the last one would escape the value's first character (an
    // escaped `\"`, or the `"` it is quoted in) and end or open a string: doubled, it is a backslash of its own.
    let slashes = 0;
    for (let k = m.index - 1; k >= from && template[k] === '\\'; k--) slashes++;
    if (slashes % 2 === 1) written = `\\${written}`;
    out += template.slice(from, m.index) + written;
    from = end;
  }
  return absent ? null : out + template.slice(from);
}

/**
 * Whether offset `at` of `text` is inside a double-quoted string (backslash escapes honoured), reading on from where
 * `state` stopped (offsets asked in increasing order); `state.macro`: whether it is between backticks outside double
 * quotes (a macro call, whose quoted arguments count as quotes too).
 */
function inQuotes(text: string, at: number, state: { at: number; quoted: boolean; macro: boolean }): boolean {
  let i = state.at;
  let quoted = state.quoted;
  let macro = state.macro;
  for (; i < at; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '`' && !quoted) macro = !macro;
  }
  state.at = i;
  state.quoted = quoted;
  state.macro = macro;
  return quoted;
}

function escaped(value: string): string {
  return value.replace(/[\\"]/g, (c) => `\\${c}`);
}

function clip(text: string): string {
  return text.length > QUOTED_SEARCH_CHARS ? `${text.slice(0, QUOTED_SEARCH_CHARS)}...` : text;
}
