import { describe, expect, it } from 'vitest';
import { expandMacros, MacroLibrary, MAX_MACRO_DEPTH, MAX_MACRO_EXPANDED_CHARS, MAX_MACRO_EXPANSIONS } from '../../src/spl/macros/macros.js';
import { checkSearch, parseSearch, SplError } from '../../src/spl/index.js';

function lib(...defs: [string, string, string[]?][]): MacroLibrary {
  const l = new MacroLibrary();
  for (const [name, definition, args] of defs) l.define({ name, definition, args: args ?? [] });
  return l;
}

describe('macro expansion', () => {
  it('expands plain and argument macros with $arg$ substitution', () => {
    const m = lib(['src', 'sourcetype=x'], ['ctime', 'convert ctime($field$)', ['field']]);
    expect(expandMacros('`src` a=1 | `ctime(firstTime)`', m).text).toBe('sourcetype=x a=1 | convert ctime(firstTime)');
  });

  it('supports named arguments and overloading by arity', () => {
    const m = lib(['f', 'one'], ['f', 'two $a$ $b$', ['a', 'b']]);
    expect(expandMacros('`f` `f(1,2)` `f(b=3, a=4)`', m).text).toBe('one two 1 2 two 4 3');
  });

  // macros.conf.spec (Splunk Admin Manual), args: "Argument names can only contain alphanumeric characters, underscores
  // ( _ ), and hyphens ( - )"; definition: "replaces the $<arg>$ pattern globally in the string, even inside quotation marks".
  it('substitutes arguments named with hyphens or starting with a digit, positional and named, inside quotes too', () => {
    const m = lib(['hy', 'eval a="$src-ip$", b=$2nd$', ['src-ip', '2nd']]);
    expect(expandMacros('`hy(10.0.0.1, x)`', m).text).toBe('eval a="10.0.0.1", b=x');
    expect(expandMacros('`hy(2nd=y, src-ip=h)`', m).text).toBe('eval a="h", b=y');
  });

  it('replaces every $arg$ even where a $word$ that is no argument shares its dollar sign', () => {
    // Splunk replaces each argument's pattern over the whole string: in "$5$x$" the "$x$" is still found.
    const m = lib(['pr', 'eval a="$5$x$ $x$$x$"', ['x']]);
    expect(expandMacros('`pr(Z)`', m).text).toBe('eval a="$5Z ZZ"');
  });

  it('keeps commas inside quotes and parentheses in one argument', () => {
    const m = lib(['g', '[$x$]', ['x']]);
    expect(expandMacros('`g("a,b")` `g(f(1,2))`', m).text).toBe('["a,b"] [f(1,2)]');
  });

  it('expands nested macros', () => {
    const m = lib(['a', '`b` x'], ['b', '`c` y'], ['c', 'z']);
    expect(expandMacros('`a`', m).text).toBe('z y x');
  });

  it('does not expand backticks inside quoted strings', () => {
    const m = lib(['a', 'EXPANDED']);
    expect(expandMacros('x="`a`" `a`', m).text).toBe('x="`a`" EXPANDED');
  });

  it('blanks ```comments``` out', () => {
    expect(expandMacros('a=1 ```why this filter``` b=2', lib()).text).toBe('a=1                       b=2');
  });

  it('names an unknown macro and points at the call', () => {
    try {
      expandMacros('a=1\n| `nope(1)`', lib());
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SplError);
      const err = e as SplError;
      expect(err.code).toBe('SPL_UNKNOWN_MACRO');
      expect(err.message).toContain('nope');
      expect(err.location()).toMatchObject({ line: 2, column: 3 });
    }
  });

  it('reports a wrong number of arguments', () => {
    expect(() => expandMacros('`f(1)`', lib(['f', 'x']))).toThrow(/takes 0 argument/);
  });

  it('stops recursive macros at the depth limit', () => {
    try {
      expandMacros('`loop`', lib(['loop', 'a `loop`']));
      expect.unreachable();
    } catch (e) {
      expect((e as SplError).code).toBe('SPL_MACRO_DEPTH');
      expect((e as SplError).message).toContain(String(MAX_MACRO_DEPTH));
    }
  });

  it('shows the first calls of a recursive chain and its last two, not 50 lines', () => {
    try {
      parseSearch('index=main `loop_a`', lib(['loop_a', '`loop_b`'], ['loop_b', 'x=1 `loop_a`']));
      expect.unreachable();
    } catch (e) {
      const err = e as SplError;
      let depth = 0;
      for (let o = err.location()!.origin; o.kind === 'macro'; o = o.parent) depth++;
      expect(depth).toBeGreaterThanOrEqual(MAX_MACRO_DEPTH);
      const trace = err.format().split('\n').filter((l) => l.startsWith('  in macro') || l.startsWith('  ...'));
      expect(trace).toHaveLength(9);
      expect(trace.slice(0, 2)).toEqual(['  in macro `loop_b`, called at 1:1', '  in macro `loop_a`, called at 1:5']);
      expect(trace[6]).toBe(`  ... ${depth - 8} more macro calls ...`);
      // The last: the call in the search.
      expect(trace[8]).toBe('  in macro `loop_a`, called at 1:12');
    }
  });

  it('maps an error inside a macro body to the macro and its call site', () => {
    const m = lib(['bad', 'stats count | frobnicate x']);
    try {
      parseSearch('index=main\n| `bad`', m);
      expect.unreachable();
    } catch (e) {
      const err = e as SplError;
      expect(err.code).toBe('SPL_UNSUPPORTED_COMMAND');
      const loc = err.location()!;
      expect(loc.origin.kind).toBe('macro');
      expect(loc.column).toBe(15);
      expect(err.format()).toContain('in macro `bad`, called at 2:3');
    }
  });

  it('puts an error at the end of the text just past its last word: inside the macro, not on the line end after the call', () => {
    // A filter macro written as a block literal (its definition ends with a line end), called at the end of a block-literal
    // search (which ends with one too): the error was at 3:1 of the search, an empty line after the call.
    const m = lib(['f_filter', 'search *\n| where pod_name=="x" AND (\n']);
    const err = (() => {
      try {
        parseSearch('| makeresults\n| `f_filter`\n', m);
      } catch (e) {
        return e as SplError;
      }
      throw new Error('no error');
    })();
    expect(err.message).toBe('expression ends too early: expected a value');
    const loc = err.location()!;
    expect([loc.origin.kind, loc.line, loc.column]).toEqual(['macro', 2, 28]);
    expect(err.format()).toContain('in macro `f_filter`, called at 2:3');
    // In the search as typed: just past the last word, not after the line end.
    expect((() => {
      try {
        parseSearch('| makeresults | where x==1 AND (\n\n', new MacroLibrary());
      } catch (e) {
        return (e as SplError).location();
      }
      return null;
    })()).toMatchObject({ line: 1, column: 33 });
  });

  it('names the macro an unknown one most likely meant (contentctl suggests close matches)', () => {
    const m = lib(['pod_scoped', 'pod_namespace="$ns$"', ['ns']], ['cisco_isovalent_process_exec', 'sourcetype=x'], ['Mixed_Case', 'a=1']);
    const message = (search: string) => {
      try {
        expandMacros(search, m);
      } catch (e) {
        return (e as SplError).message;
      }
      return null;
    };
    expect(message('`pod_scope(default)`')).toBe('unknown macro `pod_scope`; did you mean `pod_scoped`?');
    expect(message('`cisco_isovalent_proces_exec`')).toBe('unknown macro `cisco_isovalent_proces_exec`; did you mean `cisco_isovalent_process_exec`?');
    expect(message('`mixed_case`')).toBe('unknown macro `mixed_case`; did you mean `Mixed_Case`?');
    expect(message('`something_else`')).toBe('unknown macro `something_else`');
  });

  it('maps an error in a substituted argument back to the caller text', () => {
    const m = lib(['w', 'where $cond$', ['cond']]);
    try {
      parseSearch('| makeresults | `w(x >)`', m);
      expect.unreachable();
    } catch (e) {
      const loc = (e as SplError).location()!;
      expect(loc.origin.kind).toBe('search');
    }
  });

  it('later layers override earlier ones (user content wins)', () => {
    const bundled = lib(['f_filter', 'search *']);
    const user = bundled.with([{ name: 'f_filter', args: [], definition: 'search pod_name!=debug*' }]);
    expect(expandMacros('`f_filter`', user).text).toBe('search pod_name!=debug*');
    bundled.defineDefault({ name: 'f_filter', args: [], definition: 'ignored' });
    expect(bundled.get('f_filter', 0)!.definition).toBe('search *');
  });
});

describe('macro expansion limits', () => {
  /** `m0` calls `m1` `calls` times, `m1` calls `m2` `calls` times, ... */
  const fanOut = (levels: number, calls: number): MacroLibrary =>
    lib(...Array.from({ length: levels }, (_, i): [string, string] => [`m${i}`, i === levels - 1 ? 'x' : Array(calls).fill(`\`m${i + 1}\``).join(' ')]));

  it('stops exponentially many expansions with SPL_MACRO_LIMIT naming the chain and pointing at the call', () => {
    // 20 macros each calling the next 10 times: 10^19 expansions without the cap.
    try {
      expandMacros('index=main\n| search `m0`', fanOut(20, 10));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SplError);
      const err = e as SplError;
      expect(err.code).toBe('SPL_MACRO_LIMIT');
      expect(err.message).toContain(`more than ${MAX_MACRO_EXPANSIONS} macro expansions`);
      expect(err.message).toMatch(/`m0` → `m1` → `m2` → `m3`/);
      expect(err.location()).toMatchObject({ line: 2, column: 10 });
      expect(err.location()!.origin.kind).toBe('search');
      expect(err.format()).toContain('^^^^');
    }
  });

  it('stops arguments that double at every level (few expansions, huge text) at the character cap', () => {
    // d0(x) passes x twice to d1, ... : 40 expansions, 2^40 characters without the cap.
    const l = lib(...Array.from({ length: 40 }, (_, i): [string, string, string[]] => [`d${i}`, i === 39 ? '$x$' : `\`d${i + 1}($x$$x$)\``, ['x']]));
    try {
      expandMacros('`d0(ab)`', l);
      expect.unreachable();
    } catch (e) {
      const err = e as SplError;
      expect(err.code).toBe('SPL_MACRO_LIMIT');
      expect(err.message).toContain(`larger than ${MAX_MACRO_EXPANDED_CHARS} characters`);
      expect(err.message).toContain('`d0(1)` → `d1(1)`');
      expect(err.location()).toMatchObject({ line: 1, column: 1 });
    }
  });

  it('still expands a fan-out under the caps', () => {
    expect(expandMacros('`m0`', fanOut(4, 10)).text).toBe(Array(1000).fill('x').join(' '));
  });

  it("takes the library's limits, and copies made by with() keep them", () => {
    const l = fanOut(3, 3); // 1 + 3 + 9 = 13 expansions, 17 characters of bodies at the last level
    l.limits = { maxExpansions: 12, maxExpandedChars: 1_000 };
    expect(() => expandMacros('`m0`', l)).toThrow(/more than 12 macro expansions in one search \(search.maxMacroExpansions\)/);
    const copy = l.with([{ name: 'extra', args: [], definition: 'y' }]);
    expect(() => expandMacros('`m0`', copy)).toThrow(/more than 12 macro expansions/);
    copy.limits = { maxExpansions: 13, maxExpandedChars: 20 };
    expect(() => expandMacros('`m0`', copy)).toThrow(/macro expansion larger than 20 characters \(search.maxMacroChars\)/);
    copy.limits = { maxExpansions: 13, maxExpandedChars: 1_000 };
    expect(expandMacros('`m0`', copy).text).toBe(Array(9).fill('x').join(' '));
  });

  it('reaches the cap through checkSearch (validate paths) without exhausting memory', () => {
    expect(() => checkSearch('`m0`', { macros: fanOut(20, 10) })).toThrow(/SPL_MACRO_LIMIT|macro expansions/);
  });
});
