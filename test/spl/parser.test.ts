import { describe, expect, it } from 'vitest';
import { toObject } from '../../src/events/result.js';
import { parseSearch, runSearch, SplError } from '../../src/spl/index.js';
import { MAX_EVAL_DEPTH, MAX_PIPELINE_COMMANDS, MAX_SPL_NESTING } from '../../src/spl/parse/parser.js';
import { MacroLibrary } from '../../src/spl/macros/macros.js';
import type { SearchArgs } from '../../src/spl/commands/search.js';

function fail(spl: string, macros = new MacroLibrary()): SplError {
  try {
    parseSearch(spl, macros);
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error(`expected ${spl} to fail`);
}

describe('pipeline parsing', () => {
  it('starts with an implicit search unless the search begins with |', () => {
    const p = parseSearch('sourcetype=x foo | stats count by host | head 3');
    expect(p.commands.map((c) => [c.name, c.implicit])).toEqual([
      ['search', true],
      ['stats', false],
      ['head', false],
    ]);
    expect(parseSearch('| makeresults count=2').commands[0]!.name).toBe('makeresults');
    expect(parseSearch('search a=1').commands[0]!.implicit).toBe(false);
  });

  it('does not split on | inside quotes or subsearch brackets', () => {
    const p = parseSearch('a="x|y" | regex b="(c|d)" | eval e="|"');
    expect(p.commands.map((c) => c.name)).toEqual(['search', 'regex', 'eval']);
  });

  it('gives every command a span covering its text', () => {
    const spl = 'a=1 | stats count by b';
    const p = parseSearch(spl);
    const stats = p.commands[1]!;
    expect(spl.slice(stats.span.start, stats.span.end)).toBe('stats count by b');
    expect(spl.slice(stats.nameSpan.start, stats.nameSpan.end)).toBe('stats');
  });

  it('parses search precedence: OR binds tighter than the implicit AND', () => {
    const e = (parseSearch('a=1 b=2 OR c=3').commands[0]!.args as SearchArgs).expr!;
    expect(e.kind).toBe('and');
    if (e.kind !== 'and') return;
    expect(e.items.map((i) => i.kind)).toEqual(['compare', 'or']);
  });

  it('keeps lowercase and/or/not as plain terms in search', () => {
    const e = (parseSearch('foo or bar').commands[0]!.args as SearchArgs).expr!;
    expect(e.kind).toBe('and');
    if (e.kind === 'and') expect(e.items.map((i) => (i.kind === 'term' ? i.value.value : i.kind))).toEqual(['foo', 'or', 'bar']);
  });
});

describe('syntax errors carry line:column and a caret', () => {
  it('names an unsupported command at its position', () => {
    const e = fail('index=main\n| kmeans host maxspan=5m');
    expect(e.code).toBe('SPL_UNSUPPORTED_COMMAND');
    expect(e.message).toContain('kmeans');
    expect(e.location()).toMatchObject({ line: 2, column: 3 });
    expect(e.format()).toContain('  | | kmeans host maxspan=5m\n  |   ^^^^^^');
  });

  it('shows a window of a long line around the error, and keeps tabs under the caret aligned', () => {
    const e = fail(`${'a=1 '.repeat(2000)}| kmeans host ${'b=2 '.repeat(2000)}`);
    expect(e.location()).toMatchObject({ line: 1, column: 8003 });
    const [, , line, caret] = e.format().split('\n');
    // 160 characters from 60 before the error: 58 of the a=1 run, '| ', then 'kmeans host ' and 22 'b=2 '.
    expect(line).toBe(`  | …1 ${'a=1 '.repeat(14)}| kmeans host ${'b=2 '.repeat(22)}…`);
    expect(caret).toBe(`  | ${' '.repeat(61)}^^^^^^`);
    const tabbed = fail('a=1\t\t| kmeans host').format().split('\n');
    expect(tabbed[3]).toBe('  |    \t\t  ^^^^^^');
  });

  it('reports an unterminated string where it starts', () => {
    const e = fail('a=1 | eval x="abc');
    expect(e.code).toBe('SPL_SYNTAX');
    expect(e.location()).toMatchObject({ line: 1, column: 14 });
  });

  it('reports an empty command between pipes', () => {
    const e = fail('a=1 | | stats count');
    expect(e.message).toMatch(/empty command/);
    expect(e.location()!.line).toBe(1);
  });

  it('reports unbalanced parentheses in search and eval', () => {
    expect(fail('(a=1 OR b=2').message).toMatch(/missing `\)`/);
    expect(fail('a=1 | eval x=if(a, 1, 2').message).toMatch(/missing `\)`|expected/);
    expect(fail('a=1 | where (x>1').location()).toMatchObject({ line: 1, column: 13 });
  });

  it('reports an unterminated subsearch at its last unclosed `[`, also inside a macro', () => {
    const e = fail('a=1\n| search [ | makeresults [\n| eval x=1 ] \n| head 1');
    expect(e.message).toMatch(/unterminated subsearch/);
    expect(e.location()).toMatchObject({ line: 2, column: 10 });
    const macros = new MacroLibrary();
    macros.define({ name: 'sub', args: [], definition: 'search x=1\n  [ | makeresults' });
    const m = fail('a=1\n| `sub` | head 1', macros);
    expect(m.location()).toMatchObject({ line: 2, column: 3, origin: { kind: 'macro', name: 'sub' } });
  });

  it('reports a missing value after an operator', () => {
    const e = fail('a= | stats count');
    expect(e.message).toMatch(/expected a value after =/);
  });

  it('rejects unknown stats functions and bad arguments with positions', () => {
    const e = fail('a=1 | stats bogus(x) by y');
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(e.location()).toMatchObject({ column: 13 });
    expect(fail('a=1 | head limit=x').code).toBe('SPL_BAD_ARGUMENT');
    expect(fail('a=1 | rename a b').message).toMatch(/expected AS/);
  });

  it('rejects an empty search', () => {
    expect(fail('   ').message).toMatch(/empty search/);
  });
});

describe('eval expression grammar', () => {
  it('parses AND before OR, comparison, concatenation and calls', () => {
    const p = parseSearch('| makeresults | eval x=if(a=1 OR b=2 AND c=3, "y" . d, 1+2*3)');
    expect(p.commands[1]!.name).toBe('eval');
  });

  it('treats a.b without spaces as a field name and a . b as concatenation', () => {
    const p = parseSearch('| makeresults | eval x=a.b, y=a . b');
    const args = p.commands[1]!.args as { assignments: { expr: { kind: string } }[] };
    expect(args.assignments[0]!.expr.kind).toBe('field');
    expect(args.assignments[1]!.expr.kind).toBe('binary');
  });
});

describe('nesting limits', () => {
  const paren = (n: number) => '('.repeat(n) + '1' + ')'.repeat(n);

  it('parses and runs MAX_SPL_NESTING levels and MAX_EVAL_DEPTH-deep chains', async () => {
    const deep = `| makeresults | eval a=${paren(MAX_SPL_NESTING)}, b=${Array(MAX_EVAL_DEPTH).fill('1').join('+')}, c=${'abs('.repeat(MAX_SPL_NESTING)}1${')'.repeat(MAX_SPL_NESTING)} | where ${'NOT '.repeat(MAX_SPL_NESTING)}a=1 | search ${'('.repeat(MAX_SPL_NESTING)}a=1${')'.repeat(MAX_SPL_NESTING)}`;
    const { results } = await runSearch(deep);
    expect(toObject(results[0]!)).toMatchObject({ a: 1, b: MAX_EVAL_DEPTH, c: 1 });
  });

  it('reports deeper nesting as SPL_TOO_DEEP at the level past the limit, never a stack overflow', () => {
    const cases: [string, number][] = [
      [`| makeresults | eval x=${paren(10_000)}`, '| makeresults | eval x='.length + MAX_SPL_NESTING],
      [`| makeresults | eval x=${'abs('.repeat(10_000)}1${')'.repeat(10_000)}`, '| makeresults | eval x='.length + 4 * MAX_SPL_NESTING],
      [`| makeresults | eval x=${'-'.repeat(10_000)}1`, '| makeresults | eval x='.length + MAX_SPL_NESTING],
      [`| makeresults | where ${'NOT '.repeat(10_000)}x`, '| makeresults | where '.length + 4 * MAX_SPL_NESTING],
      [`| makeresults | eval x=1 IN (${'1 IN ('.repeat(10_000)}1${')'.repeat(10_001)}`, -1],
      [`search ${'('.repeat(10_000)}a${')'.repeat(10_000)}`, 'search '.length + MAX_SPL_NESTING],
      [`search ${'NOT '.repeat(10_000)}a`, 'search '.length + 4 * MAX_SPL_NESTING],
      [`search ${'[search '.repeat(10_000)}a${']'.repeat(10_000)}`, 'search '.length + 8 * MAX_SPL_NESTING],
    ];
    for (const [spl, column] of cases) {
      const e = fail(spl);
      expect(e.code, spl.slice(0, 40)).toBe('SPL_TOO_DEEP');
      expect(e.message).toMatch(/more than 256 levels/);
      if (column >= 0) expect(e.span.start, spl.slice(0, 40)).toBe(column);
    }
  });

  it('runs MAX_PIPELINE_COMMANDS commands; one more is SPL_TOO_DEEP at it, not a stack overflow while running', async () => {
    const { results } = await runSearch('| makeresults' + ' | eval x=x+1'.repeat(MAX_PIPELINE_COMMANDS - 2) + ' | fillnull value=0 x');
    expect(results).toHaveLength(1);
    const spl = '| makeresults' + ' | eval x=1'.repeat(20_000);
    const e = fail(spl);
    expect(e.code).toBe('SPL_TOO_DEEP');
    expect(e.message).toMatch(/more than 1000 commands in one pipeline/);
    expect(e.span.start).toBe(('| makeresults' + ' | eval x=1'.repeat(MAX_PIPELINE_COMMANDS - 1)).length + 1);
  });

  it('reports an eval chain deeper than MAX_EVAL_DEPTH as SPL_TOO_DEEP', () => {
    const e = fail(`| makeresults | eval x=${Array(10_000).fill('1').join('+')}`);
    expect(e.code).toBe('SPL_TOO_DEEP');
    expect(e.message).toMatch(/more than 1000 levels deep/);
  });
});
