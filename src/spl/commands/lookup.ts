import { toText, valuesOf, mv, type Scalar } from '../../events/value.js';
import { fieldPatternCaptures } from '../fields.js';
import type { ArgParser } from '../parse/parser.js';
import type { LookupProvider, LookupTable } from '../lookups.js';
import { isIP } from '../node-builtins.js';
import { cidrMatcher } from '../search/cidr.js';
import { SplError, type SourceText, type Span } from '../source.js';
import { defineCommand } from './types.js';

/**
 * Finds a lookup table by the name a search uses: as written, then with `.csv` added or removed
 * (Splunk accepts both the lookup definition name and the file name). Unknown → SPL_BAD_ARGUMENT at
 * the name, listing what exists.
 */
export function resolveLookupTable(lookups: LookupProvider, name: string, at: Span, source: SourceText, command: string): LookupTable {
  const alt = name.toLowerCase().endsWith('.csv') ? name.slice(0, -4) : name + '.csv';
  const table = lookups.get(name) ?? lookups.get(alt);
  if (table) return table;
  const why = lookupRefusal(lookups, name);
  if (why !== undefined) throw new SplError('SPL_BAD_ARGUMENT', `${command}: lookup table "${name}" is not loaded: ${why}`, at, source);
  const known = lookups.names();
  const hint = known.length ? ` (known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', ...' : ''})` : ' (no lookup tables are configured)';
  throw new SplError('SPL_BAD_ARGUMENT', `${command}: unknown lookup table "${name}"${hint}`, at, source);
}

/** Why the content has a table of this name (or of its file name) that vigil did not load, or undefined. */
export function lookupRefusal(lookups: LookupProvider, name: string): string | undefined {
  const alt = name.toLowerCase().endsWith('.csv') ? name.slice(0, -4) : name + '.csv';
  return lookups.refusal?.(name) ?? lookups.refusal?.(alt);
}

/** transforms.conf max_matches default for lookups without time_field. */
export const LOOKUP_MAX_MATCHES = 100;

interface FieldPair {
  /** The field in the lookup table. */
  table: string;
  /** The field in the event. */
  event: string;
  /** The table field's token (errors point here). */
  span: Span;
}

export interface LookupArgs {
  name: string;
  nameSpan: Span;
  inputs: FieldPair[];
  /** null: no OUTPUT clause, every non-input table field is output. */
  outputs: FieldPair[] | null;
  outputNew: boolean;
}

function parsePairs(p: ArgParser, stop: readonly string[]): FieldPair[] {
  const out: FieldPair[] = [];
  for (;;) {
    if (p.accept('comma')) continue;
    const t = p.peek('search');
    if (t.kind === 'eof' || (t.kind === 'word' && stop.includes(t.value.toLowerCase()))) break;
    const f = p.fieldName();
    let event = f.name;
    if (p.acceptWord('as')) event = p.fieldName('a field name after AS').name;
    out.push({ table: f.name, event, span: f.span });
  }
  return out;
}

/**
 * `lookup [local=] [update=] <table> <field> [AS <event_field>] [, ...] [OUTPUT | OUTPUTNEW <field> [AS <new>], ...]`
 *
 * - A table row matches when, for every input field, the table value equals one of the event field's
 *   values (a multivalue event field matches any of its values). Matching is exact text comparison,
 *   case-sensitive unless the table says otherwise (`caseSensitive`, transforms.conf
 *   case_sensitive_match); a WILDCARD field's cells are patterns (`*` any run of characters, `wildcardMatcher`), a CIDR
 *   field's subnets (`subnetMatcher`). Time-bounded lookups are not supported (such definitions are not loaded).
 * - Several matching rows make each output field multivalue, in table order, up to the table's max_matches (100,
 *   the transforms.conf default without time_field) for each value input: each value of a multivalue input field
 *   has its own max_matches and min_matches. Empty table cells output nothing. Fewer matches than the
 *   table's min_matches add its default_match that many times more (an empty default_match, the default: nothing),
 *   for a result that has every input field.
 * - No OUTPUT clause: every table field that is not an input field is output under its own name.
 * - OUTPUT overwrites the event fields; an event that matches nothing has its output fields removed
 *   (decision, UNVERIFIED: recalled Splunk behaviour — OUTPUTNEW is the documented way to keep values).
 * - OUTPUTNEW writes an output field only where the event does not have it already (per field).
 * - The table is resolved when the search starts (name as written, or with/without `.csv`); an unknown
 *   table, or a field the table does not have, is an SPL_BAD_ARGUMENT error at its position.
 */
export const lookupCommand = defineCommand<LookupArgs>({
  name: 'lookup',
  doc: 'lookup <table> <field> [AS <event_field>]... [OUTPUT|OUTPUTNEW <field> [AS <new>]...]: enrich results from a lookup table.',
  parse: (p) => {
    for (;;) {
      const o = p.option(['local', 'update']);
      if (!o) break;
      p.parseBool(o.value, o.valueSpan);
    }
    const t = p.peek('search');
    if (t.kind !== 'word' && t.kind !== 'string') throw p.error('lookup needs a lookup table name', t.span);
    const name = p.fieldName('a lookup table name');
    const inputs = parsePairs(p, ['output', 'outputnew']);
    if (inputs.length === 0) throw p.error(`lookup ${name.name} needs the field(s) to match, e.g. lookup ${name.name} <field> [AS <event_field>]`, p.peek('search').span);
    let outputs: FieldPair[] | null = null;
    let outputNew = false;
    const kw = p.peek('search');
    if (kw.kind === 'word') {
      p.next('search');
      outputNew = kw.value.toLowerCase() === 'outputnew';
      outputs = parsePairs(p, []);
      if (outputs.length === 0) throw p.error(`${kw.value} needs at least one field`, p.peek('search').span);
    }
    return { name: name.name, nameSpan: name.span, inputs, outputs, outputNew };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => (a.outputs ? a.outputs.map((o) => o.event) : '*'),
  create: (args, ctx, next) => {
    const table = resolveLookupTable(ctx.lookups, args.name, args.nameSpan, ctx.source, 'lookup');
    const has = new Set(table.fields);
    for (const f of [...args.inputs, ...(args.outputs ?? [])]) {
      if (!has.has(f.table)) {
        throw new SplError('SPL_BAD_ARGUMENT', `lookup table "${table.name}" has no field "${f.table}" (fields: ${table.fields.join(', ')})`, f.span, ctx.source);
      }
    }
    const inputNames = new Set(args.inputs.map((i) => i.table));
    const outputs = args.outputs ?? table.fields.filter((f) => !inputNames.has(f)).map((f) => ({ table: f, event: f, span: args.nameSpan }));
    const norm = table.caseSensitive ? (s: string) => s : (s: string) => s.toLowerCase();
    const maxMatches = table.maxMatches ?? LOOKUP_MAX_MATCHES;
    const minMatches = table.minMatches ?? 0;
    const defaultMatch = table.defaultMatch ?? '';

    // Exact input fields are compared as text; WILDCARD and CIDR ones test the event's values with each row's cell.
    const wildcard = new Set(table.wildcardFields ?? []);
    const cidr = new Set(table.cidrFields ?? []);
    const exact = args.inputs.filter((f) => !wildcard.has(f.table) && !cidr.has(f.table));
    const patterned = args.inputs.filter((f) => wildcard.has(f.table) || cidr.has(f.table));
    const matchers = new Map<string, (((text: string) => boolean) | null)[]>();
    /** A row's cell as a test of an event value (null: an empty cell, which matches nothing), made on first use. */
    const matcherOf = (field: string, i: number): ((text: string) => boolean) | null => {
      let list = matchers.get(field);
      if (!list) matchers.set(field, (list = []));
      let m = list[i];
      if (m === undefined) {
        const cell = table.rows[i]![field] ?? '';
        m = cell === '' ? null : wildcard.has(field) ? wildcardMatcher(norm(cell), norm) : subnetMatcher(cell, norm);
        list[i] = m;
      }
      return m;
    };
    // Index the table on its first exact input field; the other input fields are checked per candidate row.
    const [first, ...rest] = exact;
    const index = new Map<string, number[]>();
    if (first) {
      table.rows.forEach((r, i) => {
        const v = r[first.table];
        if (v === undefined || v === '') return;
        const k = norm(v);
        const list = index.get(k);
        if (list) list.push(i);
        else index.set(k, [i]);
      });
    }
    const allRows = table.rows.map((_, i) => i);
    const eventTexts = (v: readonly Scalar[]): string[] => v.map(toText).filter((t) => t !== '');
    /** An input field's values, once each as the table compares them (`ALICE` and `alice` are one value without case). */
    const distinct = (texts: readonly string[]): string[] => {
      const seen = new Map<string, string>();
      for (const t of texts) if (!seen.has(norm(t))) seen.set(norm(t), t);
      return [...seen.values()];
    };

    /** The rows matching these input values (each field's values; any of them matches), in file order, capped. */
    const matchRows = (values: readonly (readonly string[])[]): number[] => {
      let matches: number[];
      const at = (f: FieldPair): readonly string[] => values[args.inputs.indexOf(f)]!;
      if (first) {
        const cand = new Set<number>();
        for (const v of at(first)) for (const i of index.get(norm(v)) ?? []) cand.add(i);
        matches = [...cand].sort((a, b) => a - b);
      } else matches = allRows;
      for (const f of rest) {
        if (matches.length === 0) break;
        const want = new Set(at(f).map(norm));
        matches = matches.filter((i) => {
          const v = table.rows[i]![f.table];
          return v !== undefined && want.has(norm(v));
        });
      }
      for (const f of patterned) {
        if (matches.length === 0) break;
        const texts = at(f);
        matches = matches.filter((i) => {
          const m = matcherOf(f.table, i);
          return m !== null && texts.some(m);
        });
      }
      return matches.length > maxMatches ? matches.slice(0, maxMatches) : matches;
    };

    return {
      push: (row) => {
        let matches: number[] = [];
        /** How many default_match values to add: min_matches less the matches, for each value input. */
        let defaults = 0;
        const values = args.inputs.map((f) => distinct(eventTexts(valuesOf(row.get(f.event)))));
        // An input field the result does not have: no lookup (nor default_match) for it.
        const looked = values.every((v) => v.length > 0);
        if (looked) {
          // transforms.conf's max_matches and min_matches count "for each value input to the lookup table from your
          // events": each value of a multivalue input field is looked up on its own (when one input field has several
          // values; with several such fields, the rows matching any of their values, as one input).
          const mvAt = values.filter((v) => v.length > 1).length === 1 ? values.findIndex((v) => v.length > 1) : -1;
          const inputs = mvAt < 0 ? [values] : values[mvAt]!.map((v) => values.map((w, k) => (k === mvAt ? [v] : w)));
          const found = new Set<number>();
          for (const input of inputs) {
            const m = matchRows(input);
            for (const i of m) found.add(i);
            if (m.length < minMatches) defaults += minMatches - m.length;
          }
          matches = inputs.length === 1 ? [...found] : [...found].sort((a, b) => a - b);
        }
        for (const o of outputs) {
          if (args.outputNew) {
            const cur = row.get(o.event);
            if (cur !== null && cur !== '') continue;
          }
          const vals: Scalar[] = [];
          for (const i of matches) {
            const v = table.rows[i]![o.table];
            if (v !== undefined && v !== '') vals.push(v);
          }
          // transforms.conf default_match: "provides this default_match value one or more times until the min_matches
          // threshold is reached" (the empty default outputs nothing, as an empty cell).
          if (defaultMatch !== '') for (let k = 0; k < defaults; k++) vals.push(defaultMatch);
          const value = mv(vals);
          if (value !== null || !args.outputNew) row.set(o.event, value);
        }
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});

/**
 * A WILDCARD cell's test (`*` any run of characters, the rest itself, the whole value): the field-pattern walk, each
 * part between `*` found leftmost first, linear in the text where a regex of many `*` backtracks on a long value.
 */
function wildcardMatcher(cell: string, norm: (s: string) => string): (text: string) => boolean {
  const matches = fieldPatternCaptures(cell);
  return (text) => matches(norm(text)) !== null;
}

/**
 * A CIDR cell's test: an address in its subnet (the reference: lookup "supports IPv4 and IPv6 addresses and subnets
 * that use CIDR notation"); a cell that is an address matches that address however written (`::1`, `0:0:...:1`), any
 * other cell its text, as an exact field.
 */
function subnetMatcher(cell: string, norm: (s: string) => string): (text: string) => boolean {
  const family = isIP(cell);
  const m = cidrMatcher(cell) ?? (family !== 0 ? cidrMatcher(`${cell}/${family === 4 ? 32 : 128}`) : null);
  if (m) return m;
  const want = norm(cell);
  return (text) => norm(text) === want;
}

