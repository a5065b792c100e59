import type { EvalExpr } from '../../parse/ast.js';
import type { Span } from '../../source.js';
import type { Result } from '../../../events/result.js';
import { mv, toText, type FieldValue, type Scalar } from '../../../events/value.js';
import { isMv, textOf, type EvalValue } from '../value.js';
import type { CompileHelpers, Compiled } from './types.js';

/**
 * Shared plumbing for the eval function groups: multivalue views, per-value mapping, field
 * binding for the special forms (mvfilter, mvmap) and literal-argument checks.
 */

/** Every value of an eval value as scalars: null → [], a multivalue → its values, booleans → their text. */
export function evalValues(v: EvalValue): Scalar[] {
  if (v === null) return [];
  if (isMv(v)) return [...v];
  if (typeof v === 'boolean') return [v ? 'true' : 'false'];
  return [v];
}

/** Normalizes a list of results into an eval value ([] → null, [x] → x). */
export function fromValues(values: readonly Scalar[]): EvalValue {
  return mv(values);
}

/**
 * Applies a text function to each value of a multivalue, or to the single value. Used by the
 * functions Splunk documents as working on multivalue fields (lower, upper, tostring...).
 */
export function mapText(v: EvalValue, f: (s: string) => Scalar | null): EvalValue {
  if (v === null) return null;
  if (isMv(v)) {
    const out: Scalar[] = [];
    for (const x of v) {
      const r = f(toText(x));
      if (r !== null) out.push(r);
    }
    return mv(out);
  }
  const t = textOf(v);
  return t === null ? null : f(t);
}

/** Field names an expression reads, in order of first appearance. */
export function fieldsOf(expr: EvalExpr, out: string[] = []): string[] {
  switch (expr.kind) {
    case 'field':
      if (!out.includes(expr.name)) out.push(expr.name);
      break;
    case 'call':
      for (const a of expr.args) fieldsOf(a, out);
      break;
    case 'binary':
      fieldsOf(expr.left, out);
      fieldsOf(expr.right, out);
      break;
    case 'unary':
      fieldsOf(expr.operand, out);
      break;
    case 'in':
      fieldsOf(expr.value, out);
      for (const a of expr.list) fieldsOf(a, out);
      break;
    default:
      break;
  }
  return out;
}

/**
 * A result that shows `name` as `value` and everything else from `base`: how mvfilter/mvmap
 * evaluate their expression once per value of a field. Writes to other fields go to `base`.
 */
export class BoundResult implements Result {
  constructor(
    private readonly base: Result,
    private readonly name: string,
    private value: FieldValue | null,
  ) {}

  get(field: string): FieldValue | null {
    return field === this.name ? this.value : this.base.get(field);
  }

  set(field: string, value: FieldValue | null): void {
    if (field === this.name) this.value = value;
    else this.base.set(field, value);
  }

  fieldNames(): string[] {
    const names = this.base.fieldNames().filter((f) => f !== this.name);
    if (this.value !== null) names.push(this.name);
    return names;
  }

  clone(): Result {
    return new BoundResult(this.base.clone(), this.name, this.value);
  }
}

/** The number of code points of `s`, without making an array of them (a text can be hundreds of MB). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** The first `n` code points of `s` (all of it when it has fewer), without splitting the rest. */
export function codePointPrefix(s: string, n: number): string {
  let i = 0;
  for (let k = 0; k < n && i < s.length; k++) i += s.codePointAt(i)! > 0xffff ? 2 : 1;
  return s.slice(0, i);
}

/** The literal text of a string argument, or null when the argument is computed at run time. */
export function literalString(e: EvalExpr): string | null {
  return e.kind === 'string' ? e.value : null;
}

/** A numeric literal (including a negated one, which the parser folds), or null. */
export function literalNumber(e: EvalExpr): number | null {
  return e.kind === 'number' ? e.value : null;
}

/** Compiles every argument. */
export function compileAll(args: EvalExpr[], h: CompileHelpers): Compiled[] {
  return args.map((a) => h.compile(a));
}

/** A bounded string-keyed cache for values compiled at run time (regexes, formats). */
export class SmallCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit = 256) {}

  get(key: string, make: (key: string) => V): V {
    const hit = this.map.get(key);
    if (hit !== undefined || this.map.has(key)) return hit as V;
    const v = make(key);
    // Per-row patterns usually come from a handful of values; dropping everything on overflow is enough.
    if (this.map.size >= this.limit) this.map.clear();
    this.map.set(key, v);
    return v;
  }
}

/**
 * The span of a position inside a string literal argument (an offset into its value), so an error
 * points at the bad part of a regex or modifier. Falls back to the whole literal when escapes make
 * value offsets differ from source offsets.
 */
export function spanInLiteral(arg: EvalExpr, offset: number | undefined): Span {
  if (arg.kind !== 'string' || offset === undefined || offset < 0) return arg.span;
  const inner = arg.span.end - arg.span.start - 2;
  if (inner !== arg.value.length || offset >= inner) return arg.span;
  return { start: arg.span.start + 1 + offset, end: arg.span.end - 1 };
}
