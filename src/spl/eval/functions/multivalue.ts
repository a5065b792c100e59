import type { EvalFunction } from './types.js';
import { compareText, mv, toText, type FieldValue, type Scalar } from '../../../events/value.js';
import { truthy } from '../truthy.js';
import { numberOf, scalarOf, textOf, toFieldValue, type EvalValue } from '../value.js';
import { applyTimeModifier, parseTimeModifier, TimeModifierError, type TimeModifier, type TimeUnit } from '../../time/modifiers.js';
import { BoundResult, evalValues, fieldsOf, SmallCache } from './helpers.js';
import { regexArgument } from './regex.js';
import { parsePipeline, type CommandParsers } from '../../parse/parser.js';
import { SourceText, SplError } from '../../source.js';

/**
 * Multivalue eval functions (Search Reference, "Multivalue eval functions"). split() lives in
 * string.ts. Every function treats a single value as a one-value multivalue and null as no values;
 * results with no values are null and results with one value are single values.
 */

/** commands(): no command is known, so each parses as its name plus argument text. */
const NAMES_ONLY: CommandParsers = { resolve: () => undefined, parseArgs: () => undefined };

/** The most values mvrange() makes; a longer range (mvrange(0, 1e12)) is null with a warning, not run out of memory. */
export const MVRANGE_LIMIT = 100_000;

/** Resolves a (possibly negative) index against `len`: -1 is the last value. Null when out of range. */
function index(i: number, len: number): number | null {
  const k = Math.trunc(i) < 0 ? Math.trunc(i) + len : Math.trunc(i);
  return k >= 0 && k < len ? k : null;
}

const spanCache = new SmallCache<TimeModifier | null>();

/** mvrange's step as a time span ("7d", "1mon"), applied as the relative-time offset "+7d". */
function spanStep(text: string): TimeModifier | null {
  return spanCache.get(text, (t) => {
    if (!/^\d*[a-z]+$/i.test(t)) return null;
    try {
      const m = parseTimeModifier(`+${t}`);
      return m.kind === 'relative' && m.steps.length === 1 && m.steps[0]!.kind === 'offset' ? m : null;
    } catch (err) {
      if (err instanceof TimeModifierError) return null;
      throw err;
    }
  });
}

/** A lower bound of one step of each time unit in any zone (a day of a DST change is 23 h, a month at least 28 days). */
const SHORTEST_STEP_SECONDS: Record<TimeUnit, number> = { us: 1e-6, ms: 1e-3, cs: 1e-2, ds: 0.1, s: 1, m: 60, h: 3600, d: 22 * 3600, w: 6 * 86400, mon: 27 * 86400, q: 88 * 86400, y: 364 * 86400 };

/** What mvrangeValues gives for a range of more than MVRANGE_LIMIT values. */
const TOO_MANY = Symbol('too many');

/** mvrange's values: null for no values or bad arguments, TOO_MANY past MVRANGE_LIMIT values. */
function mvrangeValues(s: EvalValue, e: EvalValue, st: EvalValue | undefined, tz: string): EvalValue | typeof TOO_MANY {
  const start = numberOf(s);
  const end = numberOf(e);
  if (start === null || end === null) return null;
  const out: number[] = [];
  const stepScalar = st === undefined ? 1 : scalarOf(st);
  if (stepScalar === null || typeof stepScalar === 'boolean') return null;
  const stepNum = numberOf(stepScalar);
  if (stepNum !== null) {
    if (stepNum === 0) return null;
    // Clearly too long: said without making the values (a row of mvrange(0, 1e12) would otherwise build 100,000).
    if ((end - start) / stepNum > MVRANGE_LIMIT + 1) return TOO_MANY;
    for (let x = start; stepNum > 0 ? x < end : x > end; x += stepNum) {
      if (out.length === MVRANGE_LIMIT) return TOO_MANY;
      out.push(x);
    }
    return mv(out);
  }
  const modifier = spanStep(toText(stepScalar));
  if (modifier === null) return null;
  const step = modifier.kind === 'relative' ? modifier.steps[0] : undefined;
  if (step?.kind === 'offset' && step.amount > 0 && (end - start) / (step.amount * SHORTEST_STEP_SECONDS[step.unit]) > MVRANGE_LIMIT + 1) return TOO_MANY;
  for (let x = start; x < end; ) {
    if (out.length === MVRANGE_LIMIT) return TOO_MANY;
    out.push(x);
    const nextX = applyTimeModifier(modifier, x, tz);
    if (!(nextX > x)) break;
    x = nextX;
  }
  return mv(out);
}

export const multivalueFunctions: EvalFunction[] = [
  {
    name: 'mvcount',
    minArgs: 1,
    maxArgs: 1,
    doc: 'mvcount(x): the number of values of x (1 for a single value); null when x has no value.',
    returns: 'number',
    call: ([v]) => {
      const n = evalValues(v ?? null).length;
      return n === 0 ? null : n;
    },
  },
  {
    name: 'mvindex',
    minArgs: 2,
    maxArgs: 3,
    // "If the indexes are out of range or invalid, the result is NULL" (Multivalue eval functions): a start or
    // an end outside the values (mvindex(x, 0, 9) on 3 values), or an end before the start, gives null.
    doc: 'mvindex(x, start[, end]): the value at 0-based `start` (negative counts from the end), or the values from start to end inclusive.',
    returns: 'any',
    call: ([v, s, e]) => {
      const values = evalValues(v ?? null);
      const start = numberOf(s ?? null);
      if (values.length === 0 || start === null) return null;
      const a = index(start, values.length);
      if (a === null) return null;
      if (e === undefined) return values[a]!;
      const endRaw = numberOf(e);
      if (endRaw === null) return null;
      const b = index(endRaw, values.length);
      if (b === null || b < a) return null;
      return mv(values.slice(a, b + 1));
    },
  },
  {
    name: 'mvjoin',
    minArgs: 2,
    maxArgs: 2,
    doc: 'mvjoin(x, delim): the values of x joined with `delim`.',
    returns: 'string',
    call: ([v, d]) => {
      const values = evalValues(v ?? null);
      const delim = textOf(d ?? null);
      if (values.length === 0 || delim === null) return null;
      return values.map(toText).join(delim);
    },
  },
  {
    name: 'mvappend',
    minArgs: 1,
    maxArgs: Infinity,
    doc: 'mvappend(x, ...): every value of every argument, in order, as one multivalue (null arguments add nothing).',
    returns: 'any',
    call: (args) => mv(args.flatMap((a) => evalValues(a))),
  },
  {
    name: 'mvdedup',
    minArgs: 1,
    maxArgs: 1,
    doc: 'mvdedup(x): the values of x without repeats, keeping the first occurrence of each (compared as text).',
    returns: 'any',
    call: ([v]) => {
      const seen = new Set<string>();
      const out: Scalar[] = [];
      for (const x of evalValues(v ?? null)) {
        const key = toText(x);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(x);
      }
      return mv(out);
    },
  },
  {
    name: 'mvsort',
    minArgs: 1,
    maxArgs: 1,
    doc: 'mvsort(x): the values of x sorted lexicographically by byte order (10, 100, 70, 9; upper case before lower case).',
    returns: 'any',
    call: ([v]) => mv([...evalValues(v ?? null)].sort((a, b) => compareText(toText(a), toText(b)))),
  },
  {
    name: 'mvreverse',
    minArgs: 1,
    maxArgs: 1,
    doc: 'mvreverse(x): the values of x in reverse order.',
    returns: 'any',
    call: ([v]) => mv([...evalValues(v ?? null)].reverse()),
  },
  {
    name: 'mvfind',
    minArgs: 2,
    maxArgs: 2,
    doc: 'mvfind(x, regex): the 0-based index of the first value of x the PCRE regex matches; null when none does.',
    returns: 'number',
    compile: (args, h) => {
      const subject = h.compile(args[0]!);
      const regex = regexArgument('mvfind', args[1]!, h, { global: false, needCaptures: false });
      return (row) => {
        const values = evalValues(subject(row));
        const compiled = regex(row);
        if (compiled === null) return null;
        const re = compiled.regex;
        const i = values.findIndex((x) => re.test(toText(x)));
        return i < 0 ? null : i;
      };
    },
  },
  {
    name: 'mvzip',
    minArgs: 2,
    maxArgs: 3,
    doc: 'mvzip(x, y[, delim]): pairs the values of x and y by position as "x<delim>y" (default ","), as long as the shorter one.',
    returns: 'any',
    call: ([a, b, d]) => {
      const xs = evalValues(a ?? null);
      const ys = evalValues(b ?? null);
      const delim = d === undefined ? ',' : textOf(d);
      if (xs.length === 0 || ys.length === 0 || delim === null) return null;
      const n = Math.min(xs.length, ys.length);
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(toText(xs[i]!) + delim + toText(ys[i]!));
      return mv(out);
    },
  },
  {
    name: 'mvrange',
    minArgs: 2,
    maxArgs: 3,
    // A numeric step must be non-zero; a negative one counts down. A time-span step ("7d", "1mon")
    // treats start/end as epoch times and moves by calendar units in the search time zone.
    // A range of more than MVRANGE_LIMIT values is null, with a warning (once per call), not a silent cut.
    doc: 'mvrange(start, end[, step]): the numbers from start up to (not including) end, by step (default 1); step may be a time span such as "7d".',
    returns: 'any',
    compile: (args, h) => {
      const parts = args.map((a) => h.compile(a));
      let warned = false;
      return (row) => {
        const values = mvrangeValues(parts[0]!(row), parts[1]!(row), parts[2]?.(row), h.ctx.tz);
        if (values !== TOO_MANY) return values;
        if (!warned) {
          warned = true;
          const at = { start: args[0]!.span.start, end: args[args.length - 1]!.span.end };
          h.ctx.warn?.(`mvrange() is null where it would make more than ${MVRANGE_LIMIT} values (the first such row; later ones are not reported)`, at);
        }
        return null;
      };
    },
  },
  {
    name: 'commands',
    minArgs: 1,
    maxArgs: 1,
    // Search Reference, Multivalue eval functions: commands("search foo | stats count | sort count") is
    // search, stats, sort. A first command without a name is the implied search.
    doc: 'commands(x): the names of the commands in the search string x, in order, as a multivalue (null when x is not a search).',
    returns: 'any',
    call: ([v]) => {
      const text = textOf(v ?? null);
      if (text === null) return null;
      try {
        const pipeline = parsePipeline(new SourceText(text), NAMES_ONLY, 0, text.length, { allowUnknownCommands: true });
        return mv(pipeline.commands.map((c) => c.name));
      } catch (err) {
        if (err instanceof SplError) return null;
        throw err;
      }
    },
  },
  {
    name: 'mvfilter',
    minArgs: 1,
    maxArgs: 1,
    doc: 'mvfilter(predicate): the values of the one field the predicate names for which it is true, e.g. mvfilter(match(email, "\\.org$")).',
    returns: 'any',
    compile: (args, h) => {
      const pred = args[0]!;
      const fields = fieldsOf(pred);
      // "The Boolean expression can reference ONLY ONE field at a time."
      if (fields.length !== 1) {
        h.fail(
          fields.length === 0
            ? 'mvfilter() needs a predicate that references a field'
            : `mvfilter() predicate must reference exactly one field, it references ${fields.map((f) => `'${f}'`).join(', ')}`,
          pred.span,
        );
      }
      h.requireBoolean(pred, 'mvfilter()');
      const name = fields[0]!;
      const test = h.compile(pred);
      return (row) => {
        const kept: Scalar[] = [];
        for (const value of evalValues(row.get(name))) {
          if (truthy(test(new BoundResult(row, name, value)))) kept.push(value);
        }
        return mv(kept);
      };
    },
  },
  {
    name: 'mvmap',
    minArgs: 2,
    maxArgs: 2,
    // The expression sees the field named in the first argument bound to one value at a time; the
    // first argument may itself be an expression over that field (mvmap(mvindex(results, 1, 2), results*10)).
    doc: 'mvmap(x, expr): evaluates expr once per value of x, with the field x names bound to that value; the results as a multivalue.',
    returns: 'any',
    compile: (args, h) => {
      const source = args[0]!;
      const found = source.kind === 'field' ? source.name : fieldsOf(source)[0];
      if (found === undefined) return h.fail('mvmap() needs a field (or an expression over one) as its first argument', source.span);
      const name = found;
      const values = h.compile(source);
      const expr = h.compile(args[1]!);
      return (row) => {
        const out: Scalar[] = [];
        for (const value of evalValues(values(row))) {
          const r: FieldValue | null = toFieldValue(expr(new BoundResult(row, name, value)));
          out.push(...evalValues(r));
        }
        return mv(out);
      };
    },
  },
];
