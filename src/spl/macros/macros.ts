import { settingHint } from '../../edit-distance.js';
import { SourceText, SplError, span, type Origin, type Span } from '../source.js';

/** A search macro, as in macros.conf / security_content `macros/*.yml`. */
export interface MacroDefinition {
  name: string;
  /** Argument names; the macro is registered as `name(N)` when N > 0 (macros can be overloaded by arity). */
  args: string[];
  definition: string;
  description?: string;
  /** Where it was defined (file path), for messages. */
  file?: string;
}

export const MAX_MACRO_DEPTH = 50;
/**
 * Caps on one search's expansion, so macros that call other macros many times (10 calls over 20 levels is
 * 10^19 expansions) fail with SPL_MACRO_LIMIT instead of exhausting the heap. Generous: ESCU's (2024-10)
 * searches use at most 20 expansions and about 5,000 characters of macro bodies.
 */
export const MAX_MACRO_EXPANSIONS = 10_000;
/** Characters of macro bodies (definitions with arguments substituted) produced by one search's expansion. */
export const MAX_MACRO_EXPANDED_CHARS = 1_000_000;

/** One search's expansion caps (`vigil serve`: `search.maxMacroExpansions`, `search.maxMacroChars`). */
export interface MacroLimits {
  maxExpansions: number;
  maxExpandedChars: number;
}

export const DEFAULT_MACRO_LIMITS: MacroLimits = { maxExpansions: MAX_MACRO_EXPANSIONS, maxExpandedChars: MAX_MACRO_EXPANDED_CHARS };

/**
 * Macro definitions in layers: later layers win (bundled content < user content < overrides from the
 * command line or config). Lookup is by name and arity, as Splunk's `name(N)` stanzas.
 */
export class MacroLibrary {
  private readonly byKey = new Map<string, MacroDefinition>();
  /** Caps of every expansion over this library; copies made by `with` keep them. */
  limits: MacroLimits = DEFAULT_MACRO_LIMITS;

  static key(name: string, arity: number): string {
    return arity === 0 ? name : `${name}(${arity})`;
  }

  define(def: MacroDefinition): void {
    this.byKey.set(MacroLibrary.key(def.name, def.args.length), def);
  }

  /** Defines `def` only when no definition of that name and arity exists (e.g. default `_filter` macros). */
  defineDefault(def: MacroDefinition): void {
    const k = MacroLibrary.key(def.name, def.args.length);
    if (!this.byKey.has(k)) this.byKey.set(k, def);
  }

  get(name: string, arity: number): MacroDefinition | undefined {
    return this.byKey.get(MacroLibrary.key(name, arity));
  }

  has(name: string, arity = 0): boolean {
    return this.byKey.has(MacroLibrary.key(name, arity));
  }

  arities(name: string): number[] {
    const out: number[] = [];
    for (const d of this.byKey.values()) if (d.name === name) out.push(d.args.length);
    return out;
  }

  all(): MacroDefinition[] {
    return [...this.byKey.values()];
  }

  /** A copy with the definitions of `other` layered on top. */
  with(other: Iterable<MacroDefinition>): MacroLibrary {
    const lib = new MacroLibrary();
    lib.limits = this.limits;
    for (const d of this.byKey.values()) lib.define(d);
    for (const d of other) lib.define(d);
    return lib;
  }
}

/** Text with a map from each offset back to its origin (search text, macro definition, or macro argument). */
class MappedText {
  constructor(
    readonly text: string,
    readonly pieces: { start: number; end: number; origin: Origin; originStart: number }[],
  ) {}

  static of(text: string, origin: Origin): MappedText {
    return new MappedText(text, text.length ? [{ start: 0, end: text.length, origin, originStart: 0 }] : []);
  }

  originAt(offset: number): { origin: Origin; offset: number } {
    // Binary search: pieces are contiguous and ordered, and a body with many substituted arguments has many.
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const p = this.pieces[mid]!;
      if (offset < p.start) hi = mid - 1;
      else if (offset >= p.end) lo = mid + 1;
      else return { origin: p.origin, offset: p.originStart + (offset - p.start) };
    }
    const last = this.pieces[this.pieces.length - 1];
    if (last) return { origin: last.origin, offset: last.originStart + (last.end - last.start) };
    throw new Error('empty mapped text');
  }
}

class MappedBuilder {
  private parts: string[] = [];
  private len = 0;
  readonly pieces: MappedText['pieces'] = [];

  appendSlice(src: MappedText, start: number, end: number): void {
    if (end <= start) return;
    for (const p of src.pieces) {
      const s = Math.max(start, p.start);
      const e = Math.min(end, p.end);
      if (s >= e) continue;
      this.pieces.push({ start: this.len + (s - start), end: this.len + (e - start), origin: p.origin, originStart: p.originStart + (s - p.start) });
    }
    this.parts.push(src.text.slice(start, end));
    this.len += end - start;
  }

  appendMapped(m: MappedText): void {
    this.appendSlice(m, 0, m.text.length);
  }

  get length(): number {
    return this.len;
  }

  build(): MappedText {
    return new MappedText(this.parts.join(''), this.pieces);
  }
}

/**
 * Expands `` `macro` `` and `` `macro(a,b)` `` calls textually, as Splunk does before parsing, and
 * blanks out ```` ```comments``` ````. Backticks inside double-quoted strings are left alone
 * ("Macros inside of quoted values are not expanded"). The result maps back to the user's text.
 */
export function expandMacros(search: string, library: MacroLibrary, root?: Origin): SourceText {
  const rootOrigin: Origin = root ?? { kind: 'search', text: search };
  const expanded = expand(MappedText.of(search, rootOrigin), library, 0, rootOrigin, new Budget(rootOrigin, library.limits));
  const b = SourceText.builder(rootOrigin);
  for (const p of expanded.pieces) b.append(expanded.text.slice(p.start, p.end), p.origin, p.originStart);
  return b.build();
}

/** One search's expansion budget (its library's `limits`) and the chain of calls being expanded. */
class Budget {
  private expansions = 0;
  private chars = 0;
  /** Names of the macros being expanded, outermost first. */
  readonly chain: string[] = [];
  /** The outermost call, in the user's text: where a limit error points. */
  userCall: Span = span(0, 0);
  constructor(
    private readonly root: Origin,
    private readonly limits: MacroLimits,
  ) {}

  /** Enters the expansion of `name` (pushed on the chain; the caller pops it). */
  enter(name: string): void {
    this.chain.push(name);
    const max = this.limits.maxExpansions;
    if (++this.expansions > max) this.fail(`more than ${max} macro expansions in one search (search.maxMacroExpansions)`);
  }

  /** Fails when `pending` more body characters would exceed the cap; `commit` adds them. */
  check(pending: number): void {
    const max = this.limits.maxExpandedChars;
    if (this.chars + pending > max) this.fail(`macro expansion larger than ${max} characters (search.maxMacroChars)`);
  }

  commit(n: number): void {
    this.chars += n;
  }

  private fail(what: string): never {
    const b = SourceText.builder(this.root);
    b.append(this.root.text, this.root, 0);
    throw new SplError('SPL_MACRO_LIMIT', `${what}, in ${this.chain.map((n) => `\`${n}\``).join(' → ')}`, this.userCall, b.build());
  }
}

function expand(input: MappedText, library: MacroLibrary, depth: number, rootOrigin: Origin, budget: Budget): MappedText {
  const text = input.text;
  const out = new MappedBuilder();
  let i = 0;
  let copyFrom = 0;
  const fail = (code: 'SPL_SYNTAX' | 'SPL_UNKNOWN_MACRO' | 'SPL_MACRO_DEPTH' | 'SPL_MACRO_ARGS', msg: string, s: number, e: number): never => {
    throw errorAt(input, code, msg, s, e, rootOrigin);
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '"') {
      i = skipQuoted(text, i);
      continue;
    }
    if (c !== '`') {
      i++;
      continue;
    }
    if (text.startsWith('```', i)) {
      // SPL comment: ```...```. Replace it with spaces so offsets of what follows stay meaningful.
      const close = text.indexOf('```', i + 3);
      const end = close < 0 ? fail('SPL_SYNTAX', 'unterminated comment: ``` without a closing ```', i, i + 3) : close + 3;
      out.appendSlice(input, copyFrom, i);
      out.appendSlice(MappedText.of(' '.repeat(end - i), input.originAt(i).origin), 0, end - i);
      i = end;
      copyFrom = end;
      continue;
    }
    const close = text.indexOf('`', i + 1);
    if (close < 0) fail('SPL_SYNTAX', 'unterminated macro call: ` without a closing `', i, i + 1);
    const callText = text.slice(i + 1, close);
    const call = parseMacroCall(callText);
    if (!call) fail('SPL_SYNTAX', `malformed macro call \`${callText}\``, i, close + 1);
    const { name, args } = call!;
    const def = lookup(library, name, args);
    if (!def) {
      const ar = library.arities(name);
      if (ar.length > 0) {
        fail('SPL_MACRO_ARGS', `macro \`${name}\` takes ${ar.join(' or ')} argument(s), got ${args.length}`, i, close + 1);
      }
      // The defined macro it most likely meant, as contentctl suggests close matches.
      const like = settingHint(library.all().map((d) => d.name), name);
      fail('SPL_UNKNOWN_MACRO', `unknown macro \`${name}\`${like ? `; did you mean \`${like}\`?` : ''}`, i, close + 1);
    }
    if (depth >= MAX_MACRO_DEPTH) fail('SPL_MACRO_DEPTH', `macro expansion deeper than ${MAX_MACRO_DEPTH} levels at \`${name}\` (recursive macro?)`, i, close + 1);

    const at = input.originAt(i);
    const macroName = def!.args.length ? `${def!.name}(${def!.args.length})` : def!.name;
    if (depth === 0) budget.userCall = span(i, close + 1);
    budget.enter(macroName);
    const macroOrigin: Origin = {
      kind: 'macro',
      name: macroName,
      text: def!.definition,
      ...(def!.file ? { file: def!.file } : {}),
      callSpan: span(at.offset, at.offset + (close + 1 - i)),
      parent: at.origin,
    };
    // Substitute $arg$ with the argument text, mapping substituted text to the call site.
    const body = substitute(def!, args, macroOrigin, input, i + 1, budget);
    budget.commit(body.text.length);
    const inner = expand(body, library, depth + 1, rootOrigin, budget);
    budget.chain.pop();
    out.appendSlice(input, copyFrom, i);
    out.appendMapped(inner);
    i = close + 1;
    copyFrom = i;
  }
  out.appendSlice(input, copyFrom, text.length);
  return out.build();
}

function lookup(library: MacroLibrary, name: string, args: MacroArg[]): MacroDefinition | undefined {
  return library.get(name, args.length);
}

interface MacroArg {
  name: string | null;
  value: string;
  /** Offset of the value inside the call text (after the opening backtick). */
  offset: number;
}

/** Parses `name` or `name(a, "b,c", d=e)`; returns null when malformed. */
function parseMacroCall(text: string): { name: string; args: MacroArg[] } | null {
  const m = /^\s*([A-Za-z0-9_.:-]+)\s*/.exec(text);
  if (!m) return null;
  const name = m[1]!;
  const rest = m[0].length;
  if (rest === text.length) return { name, args: [] };
  if (text[rest] !== '(' || !text.trimEnd().endsWith(')')) return null;
  const inner = text.slice(rest + 1, text.trimEnd().length - 1);
  const base = rest + 1;
  const args: MacroArg[] = [];
  let depth = 0;
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const raw = inner.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    const value = raw.trim();
    const named = /^([A-Za-z0-9_-]+)\s*=\s*([\s\S]*)$/.exec(value);
    args.push(
      named && !value.startsWith('"')
        ? { name: named[1]!, value: named[2]!, offset: base + start + lead + (value.length - named[2]!.length) }
        : { name: null, value, offset: base + start + lead },
    );
  };
  while (i < inner.length) {
    const c = inner[i];
    if (c === '"') {
      i = skipQuoted(inner, i);
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      push(i);
      start = i + 1;
    }
    i++;
  }
  if (inner.trim().length > 0 || args.length > 0) push(inner.length);
  return { name, args };
}

function substitute(def: MacroDefinition, args: MacroArg[], origin: Origin, call: MappedText, callTextStart: number, budget: Budget): MappedText {
  // Named arguments (`m(field=x)`) are matched by name when every argument is named and all names are known.
  const declared = new Set(def.args);
  const allNamed = args.length > 0 && args.every((a) => a.name !== null && declared.has(a.name));
  // By name, the first of a name (a Map, not a search per argument: a call of thousands of arguments was quadratic).
  const byName = new Map<string, MacroArg>();
  if (allNamed) for (const a of args) if (!byName.has(a.name!)) byName.set(a.name!, a);
  const valueFor = new Map<string, MacroArg>();
  def.args.forEach((argName, idx) => {
    const a = allNamed ? byName.get(argName) : args[idx];
    if (a) valueFor.set(argName, allNamed ? a : { ...a, value: a.name !== null ? `${a.name}=${a.value}` : a.value, offset: a.name !== null ? a.offset - a.name.length - 1 : a.offset });
  });
  const defText = MappedText.of(def.definition, origin);
  const b = new MappedBuilder();
  let last = 0;
  for (const t of argumentTokens(def.definition, (n) => valueFor.has(n))) {
    const a = t.argument ? valueFor.get(t.name) : undefined;
    if (!a) continue;
    b.appendSlice(defText, last, t.index);
    const s = callTextStart + a.offset;
    // The argument text is a slice of the caller's text: map it there.
    const raw = call.text.slice(s, s + a.value.length) === a.value ? null : a.value;
    if (raw === null) b.appendSlice(call, s, s + a.value.length);
    else b.appendSlice(MappedText.of(raw, call.originAt(s).origin), 0, raw.length);
    // Checked as it grows: arguments substituted into arguments double at every level.
    budget.check(b.length);
    last = t.end;
  }
  b.appendSlice(defText, last, def.definition.length);
  budget.check(b.length);
  return b.build();
}

/**
 * Argument names macros.conf allows: "alphanumeric characters, underscores ( _ ), and hyphens ( - )"
 * (macros.conf.spec, `args`), so `$src-field$` and `$1st$` are arguments too.
 */
export const MACRO_ARGUMENT_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * The `$name$` tokens of a macro definition, in order; `argument` says whether `isArgument(name)`. Splunk replaces
 * each argument's `$<arg>$` pattern globally (macros.conf.spec, `definition`), so a `$word$` that is no argument
 * does not use up its closing `$`: in `$5$x$` with argument x, `$x$` is still replaced.
 */
export function* argumentTokens(definition: string, isArgument: (name: string) => boolean): Generator<{ name: string; index: number; end: number; argument: boolean }> {
  const re = /\$([A-Za-z0-9_-]+)\$/g;
  for (let m = re.exec(definition); m; m = re.exec(definition)) {
    const name = m[1]!;
    const argument = isArgument(name);
    yield { name, index: m.index, end: m.index + m[0].length, argument };
    if (!argument) re.lastIndex = m.index + m[0].length - 1;
  }
}

/** Index just past a double-quoted string starting at `i` (backslash escapes honoured). */
export function skipQuoted(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length) {
    const c = text[j];
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (c === '"') return j + 1;
    j++;
  }
  return text.length;
}

function errorAt(input: MappedText, code: 'SPL_SYNTAX' | 'SPL_UNKNOWN_MACRO' | 'SPL_MACRO_DEPTH' | 'SPL_MACRO_ARGS', msg: string, s: number, e: number, root: Origin): SplError {
  // Report the error in the coordinates of the text where the call was written.
  const at = input.originAt(s);
  const b = SourceText.builder(root);
  b.append(at.origin.text, at.origin, 0);
  const st = b.build();
  // The end where it is in that text too: a call written with `$arg$`s is longer once they are substituted, and the
  // carets ran past it.
  const last = e > s ? input.originAt(e - 1) : null;
  const sp: Span = span(at.offset, last !== null && last.origin === at.origin && last.offset >= at.offset ? last.offset + 1 : at.offset + (e - s));
  return new SplError(code, msg, sp, st);
}
