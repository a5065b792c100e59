import type { Result } from '../../events/result.js';
import type { CommandAst, EvalExpr } from '../parse/ast.js';
import { fieldPatternCaptures } from '../fields.js';
import { SplError, type SourceText } from '../source.js';
import { evalCommand, type EvalArgs } from './eval.js';
import { defineCommand, type ExecContext, type Sink } from './types.js';

/** What stands for each template token while the template is parsed (a word in field names, strings and bare positions). */
const PLACEHOLDERS = ['VIGILFOREACHFIELDSTR', 'VIGILFOREACHMATCHSTR', 'VIGILFOREACHMATCHSEG1', 'VIGILFOREACHMATCHSEG2', 'VIGILFOREACHMATCHSEG3'] as const;
const TOKEN_OPTIONS = ['fieldstr', 'matchstr', 'matchseg1', 'matchseg2', 'matchseg3'] as const;
const DEFAULT_TOKENS = ['<<FIELD>>', '<<MATCHSTR>>', '<<MATCHSEG1>>', '<<MATCHSEG2>>', '<<MATCHSEG3>>'];
/** Compiled templates kept per field name before the cache starts over (rows may carry any names). */
const MAX_COMPILED = 4096;

export interface ForeachArgs {
  /** The wildcard field names, as written. */
  patterns: string[];
  /** The template's eval commands, each token replaced by its PLACEHOLDERS word. */
  template: CommandAst[];
  /** The template's text with those words (errors in it point into the search). */
  source: SourceText;
}

/**
 * `foreach [mode=multifield] <wc-field>... [fieldstr=|matchstr=|matchseg1..3=<token>] [ eval ... ]`: for each field of a
 * result whose name matches a wildcard field (internal `_` fields only when the pattern starts with `_`), in the
 * result's field order, runs the template's `eval`s with `<<FIELD>>` replaced by the field's name, `<<MATCHSTR>>` by
 * the part the wildcards matched and `<<MATCHSEGn>>` by the n-th wildcard's part, in field names, quoted strings and
 * bare words (a bare part that is a number is that number, as Splunk's text substitution gives). The fields are those the
 * result had before the template ran. Only `eval` may be in the template; `mode=multivalue|json_array|auto_collections`
 * are not supported.
 */
export const foreachCommand = defineCommand<ForeachArgs>({
  name: 'foreach',
  doc: 'foreach <wc-field>... [ eval <<FIELD>>=... ]: run an eval template for each field matching the wildcards.',
  parse: (p) => {
    const patterns: string[] = [];
    const tokens = [...DEFAULT_TOKENS];
    for (;;) {
      const t = p.peek('search');
      if (t.kind === 'lbracket') break;
      if (t.kind === 'eof') throw p.error('foreach needs a template: foreach <fields> [ eval <<FIELD>>=... ]', t.span);
      const o = p.option(['mode', ...TOKEN_OPTIONS]);
      if (o) {
        if (o.key === 'mode') {
          if (o.value.toLowerCase() !== 'multifield') throw new SplError('SPL_UNSUPPORTED_COMMAND', `foreach mode=${o.value} is not supported yet (only multifield)`, o.valueSpan, p.source);
        } else {
          if (o.value === '') throw p.error(`${o.key}= needs a token`, o.valueSpan, 'SPL_BAD_ARGUMENT');
          tokens[TOKEN_OPTIONS.indexOf(o.key as (typeof TOKEN_OPTIONS)[number])] = o.value;
        }
        continue;
      }
      const list = p.fieldList();
      if (list.length === 0) throw p.error(`foreach: expected a field or an option, found '${t.value}'`, t.span);
      patterns.push(...list.map((f) => f.name));
    }
    if (patterns.length === 0) throw p.error('foreach needs the fields to run the template for: foreach <fields> [ ... ]', p.peek('search').span);
    const { open, inner } = p.bracketed();
    const source = fillTokens(p.source, inner.start, p.source.text.slice(inner.start, inner.end), tokens);
    const pipeline = p.pipelineOf(source, open);
    for (const c of pipeline.commands) {
      if (c.name !== 'eval') throw new SplError('SPL_UNSUPPORTED_COMMAND', `foreach runs eval in its template; "${c.name}" is not supported there`, c.nameSpan, source);
    }
    return { patterns, template: pipeline.commands, source };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => '*',
  create: (args, ctx, next) => {
    // The template's operators point their errors into its text, which maps back into the search.
    const templateCtx = Object.assign(Object.create(ctx) as ExecContext, { source: args.source });
    const matchers = args.patterns.map((pattern) => ({ captures: fieldPatternCaptures(pattern), internal: pattern.startsWith('_') }));
    const build = (values: readonly string[]): Sink => {
      let sink: Sink = { push: () => {}, end: () => {} };
      for (let i = args.template.length - 1; i >= 0; i--) {
        const c = args.template[i]!;
        sink = evalCommand.create(filled(c.args as EvalArgs, values), templateCtx, sink, c);
      }
      return sink;
    };
    // Static errors (types, functions) show before any row: the template filled with a field name.
    build(['x', 'x', 'x', 'x', 'x']);
    let compiled = new Map<string, Sink>();
    return {
      push: (row: Result) => {
        for (const name of row.fieldNames()) {
          for (let k = 0; k < matchers.length; k++) {
            const m = matchers[k]!;
            if (name.startsWith('_') && !m.internal) continue;
            const match = m.captures(name);
            if (match === null) continue;
            const key = `${k}\u0000${name}`;
            let ops = compiled.get(key);
            if (ops === undefined) {
              ops = build([name, match.join(''), match[0] ?? '', match[1] ?? '', match[2] ?? '']);
              if (compiled.size >= MAX_COMPILED) compiled = new Map();
              compiled.set(key, ops);
            }
            ops.push(row);
            break;
          }
        }
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});

/**
 * The template's text (at `at` in `source`) with each token replaced by its placeholder word, as a source whose
 * offsets map back (SourceText.embedded); a leading `|` is added when the template starts with a command name.
 */
function fillTokens(source: SourceText, at: number, text: string, tokens: readonly string[]): SourceText {
  const order = tokens.map((t, i) => ({ t, i })).sort((a, b) => b.t.length - a.t.length);
  const lead = /^\s*\|/.test(text) ? '' : '| ';
  let out = lead;
  const pieces: { from: number; at: number }[] = [{ from: 0, at }];
  let i = 0;
  let literalStart = true;
  while (i < text.length) {
    const hit = order.find((o) => text.startsWith(o.t, i));
    if (hit) {
      pieces.push({ from: out.length, at: at + i });
      out += PLACEHOLDERS[hit.i];
      i += hit.t.length;
      literalStart = true;
      continue;
    }
    if (literalStart) pieces.push({ from: out.length, at: at + i });
    literalStart = false;
    out += text[i];
    i++;
  }
  return source.embedded(out, pieces);
}

/** An eval command's arguments with the placeholders replaced by `values` (in PLACEHOLDERS order). */
function filled(args: EvalArgs, values: readonly string[]): EvalArgs {
  const fill = (s: string): string => {
    if (!s.includes('VIGILFOREACH')) return s;
    for (let i = 0; i < PLACEHOLDERS.length; i++) s = s.split(PLACEHOLDERS[i]!).join(values[i]!);
    return s;
  };
  const expr = (e: EvalExpr): EvalExpr => {
    switch (e.kind) {
      case 'field': {
        const name = fill(e.name);
        // A bare token that becomes a number is that number, as the text Splunk substitutes would read.
        if (name !== e.name && /^\d+(\.\d+)?$/.test(name)) return { kind: 'number', value: Number(name), text: name, span: e.span };
        return { ...e, name };
      }
      case 'string':
        return { ...e, value: fill(e.value) };
      case 'number':
        return e;
      case 'call':
        return { ...e, args: e.args.map(expr) };
      case 'binary':
        return { ...e, left: expr(e.left), right: expr(e.right) };
      case 'unary':
        return { ...e, operand: expr(e.operand) };
      case 'in':
        return { ...e, value: expr(e.value), list: e.list.map(expr) };
    }
  };
  return { assignments: args.assignments.map((a) => ({ ...a, field: fill(a.field), expr: expr(a.expr) })) };
}
