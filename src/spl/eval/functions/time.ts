import type { Compiled, CompileHelpers, EvalFunction } from './types.js';
import type { EvalExpr } from '../../parse/ast.js';
import { isVigilError } from '../../../errors.js';
import { toText } from '../../../events/value.js';
import { numberOf, scalarOf } from '../value.js';
import { strftime, strptime, validateTimeFormat } from '../../time/format.js';
import { applyTimeModifier, parseTimeModifier, TimeModifierError, type TimeModifier } from '../../time/modifiers.js';
import { compileAll, literalString, SmallCache, spanInLiteral } from './helpers.js';

/**
 * Date and time functions (Search Reference, "Date and Time functions"). Times are epoch seconds
 * (fractional); every function works in the search's time zone `ctx.tz`.
 *
 * - now() is the search's start time (`ctx.now`), the same for every row, so a search is repeatable.
 * - time() is the wall clock when the row is evaluated ("The time will be different for each event").
 * - A literal format (strftime/strptime) or modifier (relative_time) is checked when the search is
 *   compiled and reported at its position; one computed per row that is invalid gives null.
 */

/** Wall-clock seconds with microsecond resolution (Date.now() alone has milliseconds). */
function wallClock(): number {
  const ms = performance.timeOrigin + performance.now();
  return Math.round(ms * 1000) / 1e6;
}

function textArg(v: ReturnType<typeof scalarOf>): string | null {
  if (v === null || typeof v === 'boolean') return null;
  return toText(v);
}

/** strftime/strptime's two arguments, with a literal format checked now and reported at its position. */
function compileTimeAndFormat(name: string, args: EvalExpr[], h: CompileHelpers): [Compiled, Compiled] {
  const compiled = compileAll(args, h) as [Compiled, Compiled];
  const lit = literalString(args[1]!);
  if (lit !== null) {
    try {
      validateTimeFormat(lit, name === 'strptime' ? 'parse' : 'format');
    } catch (err) {
      // docs/errors.md: an invalid strftime/strptime format is TIME_FORMAT (validateTimeFormat's code).
      if (isVigilError(err)) h.fail(`${name}(): ${err.message}`, args[1]!.span, 'TIME_FORMAT');
      throw err;
    }
  }
  return compiled;
}

const modifierCache = new SmallCache<TimeModifier | null>();

function parseModifierOrNull(text: string): TimeModifier | null {
  return modifierCache.get(text, (t) => {
    try {
      return parseTimeModifier(t);
    } catch (err) {
      if (err instanceof TimeModifierError) return null;
      throw err;
    }
  });
}

export const timeFunctions: EvalFunction[] = [
  {
    name: 'now',
    minArgs: 0,
    maxArgs: 0,
    doc: 'now(): the time the search started (epoch seconds); the same value for every row.',
    returns: 'number',
    call: (_args, ctx) => ctx.now,
  },
  {
    name: 'time',
    minArgs: 0,
    maxArgs: 0,
    doc: 'time(): the wall-clock time when the row is evaluated, with microseconds (differs between rows and runs).',
    returns: 'number',
    call: () => wallClock(),
  },
  {
    name: 'strftime',
    minArgs: 2,
    maxArgs: 2,
    doc: 'strftime(time, format): formats epoch seconds in the search time zone (%Y %m %d %H %M %S %Q %N %z ...). Null when time is not a number.',
    returns: 'string',
    compile: (args, h) => {
      const [t, f] = compileTimeAndFormat('strftime', args, h);
      const tz = h.ctx.tz;
      return (row) => {
        const epoch = numberOf(t(row));
        const format = textArg(scalarOf(f(row)));
        if (epoch === null || format === null) return null;
        return strftime(epoch, format, tz);
      };
    },
  },
  {
    name: 'strptime',
    minArgs: 2,
    maxArgs: 2,
    doc: 'strptime(text, format): parses text into epoch seconds (in the search time zone unless the format has %z/%Z/%s); null when it does not match.',
    returns: 'number',
    compile: (args, h) => {
      const [t, f] = compileTimeAndFormat('strptime', args, h);
      const tz = h.ctx.tz;
      return (row) => {
        const text = textArg(scalarOf(t(row)));
        const format = textArg(scalarOf(f(row)));
        if (text === null || format === null) return null;
        return strptime(text, format, tz);
      };
    },
  },
  {
    name: 'relative_time',
    minArgs: 2,
    maxArgs: 2,
    doc: 'relative_time(time, modifier): applies a time modifier such as "-1d@d" or "+5m" to epoch seconds, snapping in the search time zone.',
    returns: 'number',
    compile: (args, h) => {
      const [t, m] = compileAll(args, h) as [ReturnType<typeof h.compile>, ReturnType<typeof h.compile>];
      const tz = h.ctx.tz;
      const lit = literalString(args[1]!);
      if (lit !== null) {
        let modifier: TimeModifier;
        try {
          modifier = parseTimeModifier(lit);
        } catch (err) {
          if (err instanceof TimeModifierError) {
            // The parser trims the text; offsets are into the trimmed text.
            const lead = lit.length - lit.trimStart().length;
            h.fail(`relative_time(): ${err.message}`, spanInLiteral(args[1]!, err.offset + lead), 'TIME_MODIFIER');
          }
          throw err;
        }
        return (row) => {
          const epoch = numberOf(t(row));
          return epoch === null ? null : applyTimeModifier(modifier, epoch, tz);
        };
      }
      return (row) => {
        const epoch = numberOf(t(row));
        const text = textArg(scalarOf(m(row)));
        if (epoch === null || text === null) return null;
        const modifier = parseModifierOrNull(text);
        return modifier === null ? null : applyTimeModifier(modifier, epoch, tz);
      };
    },
  },
];
