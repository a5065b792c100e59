import { describe, it, expect } from 'vitest';
import { ArgParser } from '../../../src/spl/parse/parser.js';
import { Lexer } from '../../../src/spl/parse/lexer.js';
import { SourceText, SplError } from '../../../src/spl/source.js';
import { compileEval } from '../../../src/spl/eval/compile.js';
import { Row } from '../../../src/events/result.js';
import type { FieldValue } from '../../../src/events/value.js';
import type { EvalValue } from '../../../src/spl/eval/value.js';
import { EVAL_FUNCTIONS } from '../../../src/spl/eval/functions/index.js';
import { MVRANGE_LIMIT } from '../../../src/spl/eval/functions/multivalue.js';
import { errorOf, run } from '../commands/helpers.js';

// 2023-11-14T22:13:20Z: the search start time every test runs with.
const NOW = 1_700_000_000;

function compile(text: string, tz = 'UTC'): (row: Row) => EvalValue {
  const source = new SourceText(text);
  const p = new ArgParser(new Lexer(source, 0, text.length), source, { resolve: () => undefined, parseArgs: () => null });
  const expr = p.evalExpr();
  p.expectEnd();
  const c = compileEval(expr, { now: NOW, tz }, source);
  return (row) => c(row);
}

function ev(text: string, fields: Record<string, FieldValue | null> = {}, tz = 'UTC'): EvalValue {
  return compile(text, tz)(new Row(fields));
}

function compileError(text: string): SplError {
  try {
    compile(text);
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error(`expected ${text} to fail to compile`);
}

/** The text an error's span covers. */
function spanText(text: string, e: SplError): string {
  return text.slice(e.span.start, e.span.end);
}

describe('registration', () => {
  it('registers every group without duplicates', () => {
    for (const name of ['lower', 'match', 'round', 'tostring', 'mvindex', 'strftime', 'cidrmatch', 'md5', 'typeof', 'if']) {
      expect(EVAL_FUNCTIONS.has(name)).toBe(true);
    }
  });

  it('reports arity errors at the call', () => {
    const text = 'lower()';
    const e = compileError(text);
    expect(e.message).toBe('lower() takes 1 argument(s), got 0');
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(spanText(text, e)).toBe('lower()');
    const e2 = compileError('x + substr("a", 1, 2, 3)');
    expect(e2.message).toBe('substr() takes 2 to 3 argument(s), got 4');
    expect(spanText('x + substr("a", 1, 2, 3)', e2)).toBe('substr("a", 1, 2, 3)');
    expect(compileError('mvappend()').message).toBe('mvappend() takes at least 1 argument(s), got 0');
  });

  it('reports arity errors of if(), whose type is its arguments\', in eval and where (was a TypeError)', async () => {
    for (const [spl, call, message] of [
      ['| makeresults | eval z=if(1)', 'if(1)', 'if() takes 3 argument(s), got 1'],
      ['| makeresults | where if()', 'if()', 'if() takes 3 argument(s), got 0'],
      ['| makeresults | eval z=len(if(true(), 1))', 'if(true(), 1)', 'if() takes 3 argument(s), got 2'],
    ] as const) {
      const e = await errorOf(spl);
      expect(e.message).toBe(message);
      expect(spl.slice(e.span.start, e.span.end)).toBe(call);
    }
  });
});

describe('text functions', () => {
  it('lower/upper, per value of a multivalue', () => {
    expect(ev('lower("AbC")')).toBe('abc');
    expect(ev('upper(x)', { x: 'aB' })).toBe('AB');
    expect(ev('lower(x)', { x: ['A', 'B'] })).toEqual(['a', 'b']);
    expect(ev('upper(x)')).toBeNull();
    expect(ev('lower(12)')).toBe('12');
  });

  it('len counts code points; a multivalue uses its first value', () => {
    expect(ev('len("abc")')).toBe(3);
    expect(ev('len("é😀")')).toBe(2);
    expect(ev('len(x)', { x: ['abcd', 'b'] })).toBe(4);
    // Text functions, len: "you can use either len or length for the function name".
    expect(ev('length("buttercup")')).toBe(9);
    expect(ev('length(x)')).toBeNull();
    expect(ev('len(x)')).toBeNull();
  });

  it('substr follows SQLite: 1-based, negative start from the end', () => {
    expect(ev('substr("abcdef", -3)')).toBe('def');
    expect(ev('substr("string", 1, 3) . substr("string", -3)')).toBe('string');
    expect(ev('substr("abcdef", 2, 3)')).toBe('bcd');
    expect(ev('substr("abcdef", 0, 2)')).toBe('a');
    expect(ev('substr("abcdef", 5, 10)')).toBe('ef');
    expect(ev('substr("abcdef", 10)')).toBe('');
    expect(ev('substr("abcdef", -10, 3)')).toBe('');
    expect(ev('substr("abcdef", 4, -2)')).toBe('bc');
    expect(ev('substr(x, 1)')).toBeNull();
    expect(ev('substr("abc", x)')).toBeNull();
  });

  it('trim, ltrim, rtrim (default: spaces and tabs)', () => {
    expect(ev('trim(" ZZZZabcZZ ", " Z")')).toBe('abc');
    expect(ev('ltrim(" ZZZZabcZZ ", " Z")')).toBe('abcZZ ');
    expect(ev('rtrim(" ZZZZabcZZ ", " Z")')).toBe(' ZZZZabc');
    expect(ev('trim(x)', { x: '\t a b \t' })).toBe('a b');
    expect(ev('trim(x)')).toBeNull();
  });

  it('urldecode', () => {
    expect(ev('urldecode("http%3A%2F%2Fwww.splunk.com%2Fdownload%3Fr%3Dheader")')).toBe('http://www.splunk.com/download?r=header');
    expect(ev('urldecode("a+b%20c%C3%A9%zz")')).toBe('a b cé%zz');
    expect(ev('urldecode(x)')).toBeNull();
  });

  it('urldecode replaces the valid escapes next to a byte that is not UTF-8 (the whole run stayed encoded)', () => {
    // Text functions, urldecode: "Replaces URL escaped characters with the original characters". A byte that
    // starts no UTF-8 sequence cannot be replaced and stays as its escape; its neighbours are replaced.
    expect(ev('urldecode("%C3%A9%FF")')).toBe('é%FF');
    expect(ev('urldecode("a%2F%ff%2Fb")')).toBe('a/%ff/b');
    expect(ev('urldecode("%E2%82%AC%E2%82")')).toBe('€%E2%82');
    expect(ev('urldecode("%C3%28%41")')).toBe('%C3(A');
    expect(ev('urldecode("%ED%A0%80x")')).toBe('%ED%A0%80x');
  });

  it('split makes a multivalue, keeping empty pieces', () => {
    expect(ev('split("a,b", ",")')).toEqual(['a', 'b']);
    expect(ev('split("a,,b", ",")')).toEqual(['a', '', 'b']);
    expect(ev('split("abc", ",")')).toBe('abc');
    expect(ev('split("abc", "")')).toEqual(['a', 'b', 'c']);
    expect(ev('split(x, ",")')).toBeNull();
    expect(ev('mvcount(split(To, "@")) - 1', { To: 'a@x.com,b@y.com' })).toBe(2);
  });

  it('replace: global PCRE with \\1 back-references', () => {
    expect(ev('replace(date, "^(\\d{1,2})/(\\d{1,2})/", "\\2/\\1/")', { date: '1/14/2023' })).toBe('14/1/2023');
    expect(ev('replace("aaa", "a", "b")')).toBe('bbb');
    expect(ev('replace("C:\\\\Windows\\\\x.exe", "\\\\\\\\", "/")')).toBe('C:/Windows/x.exe');
    expect(ev('replace(x, "a", "b")')).toBeNull();
    // A pattern computed per row: an invalid one gives null instead of failing the search.
    expect(ev('replace("abc", p, "x")', { p: 'b' })).toBe('axc');
    expect(ev('replace("abc", p, "x")', { p: '(' })).toBeNull();
  });

  it('spath reads JSON paths (0-based indexes, {} for every element)', () => {
    const json = JSON.stringify({ a: { b: [{ c: 1 }, { c: 2 }], s: 'x' }, list: ['p', 'q'], t: true });
    expect(ev('spath(j, "a.s")', { j: json })).toBe('x');
    expect(ev('spath(j, "a.b{1}.c")', { j: json })).toBe(2);
    expect(ev('spath(j, "a.b{}.c")', { j: json })).toEqual([1, 2]);
    expect(ev('spath(j, "list{}")', { j: json })).toEqual(['p', 'q']);
    expect(ev('spath(j, "list{-1}")', { j: json })).toBe('q');
    expect(ev('spath(j, "a.b{0}")', { j: json })).toBe('{"c":1}');
    expect(ev('spath(j, "t")', { j: json })).toBe('true');
    expect(ev('spath(j, "a.missing")', { j: json })).toBeNull();
    expect(ev('spath(j, "a")', { j: 'not json' })).toBeNull();
    // A JSON number past the largest double: null, not Infinity (docs/spl.md: there are no infinite values).
    expect(ev('spath(j, "a")', { j: '{"a":1e400}' })).toBeNull();
    expect(ev('spath(j, "a{}")', { j: '{"a":[1e400,2]}' })).toBe(2);
    expect(ev('spath(j, "a")')).toBeNull();
  });

  it('spath on XML is null with a warning, once per call (the Search Reference reads "XML and JSON"; vigil JSON only)', () => {
    // Search Reference, spath: "extract information from the structured data formats XML and JSON ... You can
    // also use the spath() function with the eval command". vigil reads no XML: not a silent null.
    const text = 'spath(x, "vendorProductSet.product.desc.locDesc")';
    const source = new SourceText(text);
    const parser = new ArgParser(new Lexer(source, 0, text.length), source, { resolve: () => undefined, parseArgs: () => null });
    const warnings: { message: string; at: string }[] = [];
    const c = compileEval(parser.evalExpr(), { now: NOW, tz: 'UTC', warn: (message, at) => warnings.push({ message, at: at ? text.slice(at.start, at.end) : '' }) }, source);
    const json = JSON.stringify({ vendorProductSet: { product: { desc: { locDesc: 'd' } } } });
    expect(c(new Row({ x: json }))).toBe('d');
    expect(warnings).toEqual([]);
    const xml = ' <vendorProductSet><product><desc><locDesc>d</locDesc></desc></product></vendorProductSet>';
    expect(c(new Row({ x: xml }))).toBeNull();
    expect(c(new Row({ x: xml }))).toBeNull();
    expect(warnings).toEqual([{ message: expect.stringMatching(/^spath\(\) reads JSON only: it is null for XML/) as string, at: 'x' }]);
  });
});

describe('matching functions', () => {
  it('match is an unanchored PCRE test', () => {
    expect(ev('match("foobar", "ob")')).toBe(true);
    expect(ev('match("foobar", "^ob")')).toBe(false);
    expect(ev('match(ip, "^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$")', { ip: '10.1.2.3' })).toBe(true);
    expect(ev('match(x, "(?i)ABC")', { x: 'xabcx' })).toBe(true);
    expect(ev('match(x, "a")')).toBeNull();
    expect(ev('match(x, "^b")', { x: ['a', 'b'] })).toBe(true);
    expect(ev('match(x, p)', { x: 'abc', p: 'b+' })).toBe(true);
  });

  it('reports a bad literal regex at its position', () => {
    const text = 'match(x, "a(b")';
    const e = compileError(text);
    expect(['REGEX_INVALID', 'REGEX_UNSUPPORTED']).toContain(e.code);
    expect(e.message).toMatch(/^match\(\): /);
    expect(e.span.start).toBeGreaterThanOrEqual(text.indexOf('"'));
    expect(e.span.end).toBeLessThanOrEqual(text.length - 1);
  });

  it('reports an unsupported PCRE construct exactly, and bad group references in replace()', () => {
    const text = 'match(x, "ab(?R)")';
    const e = compileError(text);
    expect(e.code).toBe('REGEX_UNSUPPORTED');
    expect(spanText(text, e)).toBe('(?R)');
    const r = 'replace(x, "(a)", "\\2")';
    const e2 = compileError(r);
    expect(e2.code).toBe('REGEX_INVALID');
    expect(e2.message).toMatch(/^replace\(\): .*group 2/);
    expect(spanText(r, e2)).toBe('\\2');
    // Computed per row, the same mistakes give null instead of failing the search.
    expect(ev('replace("abc", "(b)", r)', { r: '\\2' })).toBeNull();
    expect(ev('match("abc", p)', { p: 'a(?R)' })).toBeNull();
  });

  it("warns, once per call, when a row's pattern cannot be run (it is null there)", () => {
    const text = 'match(s, p)';
    const source = new SourceText(text);
    const parser = new ArgParser(new Lexer(source, 0, text.length), source, { resolve: () => undefined, parseArgs: () => null });
    const expr = parser.evalExpr();
    const warnings: { message: string; at: string }[] = [];
    const c = compileEval(expr, { now: NOW, tz: 'UTC', warn: (message, at) => warnings.push({ message, at: at ? text.slice(at.start, at.end) : '' }) }, source);
    expect(c(new Row({ s: 'ab', p: 'a' }))).toBe(true);
    expect(warnings).toEqual([]);
    // PCRE runs \K (reset the match start); JavaScript has none, so vigil cannot: not a silent false.
    expect(c(new Row({ s: 'ab', p: 'a\\Kb' }))).toBeNull();
    expect(c(new Row({ s: 'ab', p: '(' }))).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.at).toBe('p');
    expect(warnings[0]!.message).toMatch(/^match\(\) is null where a row's pattern cannot be run .*\\K/);
  });

  it('translates PCRE-only syntax', () => {
    expect(ev('replace("aXb", "(?i)x", "-")')).toBe('a-b');
    expect(ev('match("aaa", "^a++$")')).toBe(true);
    expect(ev('replace("k=v", "(?P<k>\\w+)=(?P<v>\\w+)", "\\2=\\1")')).toBe('v=k');
    expect(ev('mvfind(x, "(?i)^B")', { x: ['a', 'b'] })).toBe(1);
  });

  it('like: anchored SQL pattern, case-sensitive', () => {
    expect(ev('like("foobar", "foo%")')).toBe(true);
    expect(ev('like("foobar", "f_obar")')).toBe(true);
    expect(ev('like("foobar", "Foo%")')).toBe(false);
    expect(ev('like("foobar", "oba")')).toBe(false);
    expect(ev('like(x, "a%")')).toBeNull();
    expect(ev('like(ip, "198.%")', { ip: '198.51.100.1' })).toBe(true);
    // "Use the underscore ( _ ) character as a wildcard to match a single character" (Comparison and Conditional
    // functions, like): a character outside the BMP is one, as len() counts it (it took two _ before).
    expect(ev('like("👍", "_")')).toBe(true);
    expect(ev('like("a👍b", "a_b")')).toBe(true);
    expect(ev('like("a👍b", "a__b")')).toBe(false);
    expect(ev('like("é/x", "__x")')).toBe(true);
  });

  it('like runs in linear time: many % on a long value that does not match (catastrophic backtracking before: the test never ended)', () => {
    const long = 'a'.repeat(5000);
    const many = `${'%a'.repeat(30)}b`;
    expect(ev(`like(x, "${many}")`, { x: long })).toBe(false);
    expect(ev(`like(x . "b", "${many}")`, { x: long })).toBe(true);
    expect(ev(`x LIKE "${many}"`, { x: long })).toBe(false);
    // The same verdicts as the plain reading of the pattern.
    const cases: [string, string, boolean][] = [
      ['abcabc', '%abc', true], ['abcabc', 'abc%abc', true], ['abcab', 'abc%abc', false], ['abc', 'abc%abc', false],
      ['axbxc', 'a%b%c', true], ['axbx', 'a%b%c', false], ['a_b', 'a\\_b', false], ['ab', '%%', true], ['', '%', true],
      ['', '_', false], ['xyz', '_%_', true], ['x', '_%_', false], ['aXbYc', '%X_Y%', true], ['aXbYc', '%X__Y%', false],
      ['a\nb', 'a%b', true], ['a\nb', 'a_b', true], ['a.b', 'a.b', true], ['axb', 'a.b', false], ['(a)', '(%)', true],
      ['ab', 'A%', false], ['😀x', '_x', true], ['😀x', '__x', false], ['😀x', '%x', true],
      ['axbyc', 'a%%x%%b%y%c', true], ['axbyc', 'a%%y%%b%c', false], ['xaay', '%a%%a%', true], ['xay', '%a%%a%', false],
    ];
    for (const [v, p, want] of cases) expect(ev(`like(x, p)`, { x: v, p }), `${v} like ${p}`).toBe(want);
  });

  it('in() compares like =, case-sensitively', () => {
    expect(ev('in(status, "400", "404")', { status: '404' })).toBe(true);
    expect(ev('in(status, "400", "404")', { status: '200' })).toBe(false);
    expect(ev('in(s, "Error")', { s: 'error' })).toBe(false);
    expect(ev('in(n, 1, 2)', { n: '2.0' })).toBe(true);
    expect(ev('in(x, "a")')).toBeNull();
    expect(ev('in(x, "b")', { x: ['a', 'b'] })).toBe(true);
    expect(ev('if(in(status, "error", "failure"), "true", "false")', { status: 'failure' })).toBe('true');
  });

  it('cidrmatch handles IPv4 and IPv6; invalid input is false', () => {
    expect(ev('cidrmatch("10.0.0.0/8", "10.1.2.3")')).toBe(true);
    expect(ev('cidrmatch("10.0.0.0/8", "11.1.2.3")')).toBe(false);
    expect(ev('cidrmatch("123.132.32.0/25", ip)', { ip: '123.132.32.200' })).toBe(false);
    expect(ev('cidrmatch(subnet, ip)', { subnet: '2001:0db8:ffff:ffff:ffff:ffff:ffff:ff00/120', ip: '2001:0db8:ffff:ffff:ffff:ffff:ffff:ff99' })).toBe(true);
    expect(ev('cidrmatch("2001:db8::/32", "2001:db9::1")')).toBe(false);
    expect(ev('cidrmatch("10.0.0.0/8", "::ffff:10.1.2.3")')).toBe(false);
    expect(ev('cidrmatch("10.0.0.0/8", "not an ip")')).toBe(false);
    expect(ev('cidrmatch("10.0.0.0/99", "10.1.2.3")')).toBe(false);
    expect(ev('cidrmatch("10.1.2.3", "10.1.2.3")')).toBe(true);
    expect(ev('cidrmatch("10.0.0.0/8", ip)')).toBeNull();
    expect(ev('cidrmatch("10.0.0.0/8", ip)', { ip: ['192.168.0.1', '10.9.9.9'] })).toBe(true);
  });

  it('ipmask', () => {
    expect(ev('ipmask("255.255.255.0", "10.20.30.120")')).toBe('10.20.30.0');
    expect(ev('ipmask("0.255.0.224", "10.20.30.120")')).toBe('0.20.0.96');
    expect(ev('ipmask("255.255.255.0", "nope")')).toBeNull();
  });

  it('searchmatch applies the search command to the result (docs example: x=hi y=* matches)', () => {
    const docs = { _raw: 'x=hi y=bye', x: 'hi', y: 'bye' };
    expect(ev('if(searchmatch("x=hi y=*"), "yes", "no")', docs)).toBe('yes');
    expect(ev('searchmatch("x=HI")', docs)).toBe(true);
    expect(ev('searchmatch("x=hi y=no*")', docs)).toBe(false);
    expect(ev('searchmatch("x=hi OR y=no")', docs)).toBe(true);
    expect(ev('searchmatch("NOT z=1")', docs)).toBe(true);
    expect(ev('searchmatch("z!=1")', docs)).toBe(false);
    // Bare terms match _raw at token boundaries; CIDR values and numbers as in search.
    expect(ev('searchmatch("bye")', docs)).toBe(true);
    expect(ev('searchmatch("by")', docs)).toBe(false);
    expect(ev('searchmatch("ip=10.0.0.0/8 n>5")', { ip: '10.1.2.3', n: '7.0' })).toBe(true);
    expect(ev('searchmatch("p=\\"a b\\"")', { p: 'A B' })).toBe(true);
  });

  it('searchmatch runs in the engine as in the docs example', async () => {
    const spl = '| makeresults count=1 | eval _raw = "x=hi y=bye" | eval x="hi" | eval y="bye" | eval test=if(searchmatch("x=hi y=*"), "yes", "no") | table test';
    expect(await run(spl)).toEqual([{ test: 'yes' }]);
    expect(await run('| makeresults count=3 | streamstats count as n | where searchmatch("n>1 NOT n=3") | table n')).toEqual([{ n: 2 }]);
  });

  it('searchmatch needs a literal search string and reports errors inside it at their position', () => {
    const e = compileError('searchmatch(x)');
    expect(e.code).toBe('SPL_BAD_ARGUMENT');
    expect(spanText('searchmatch(x)', e)).toBe('x');
    const text = 'searchmatch("a=1 (b=2")';
    const e2 = compileError(text);
    expect(e2.code).toBe('SPL_SYNTAX');
    expect(e2.format()).toContain('at 1:18');
    // Its search string is one expression, run per result: a subsearch in it was 'unsupported command "search"'.
    const text3 = 'searchmatch("x=1 [search y=2]")';
    const e3 = compileError(text3);
    expect(e3.code).toBe('SPL_BAD_ARGUMENT');
    expect(e3.message).toMatch(/subsearch cannot run/);
    expect(e3.format()).toContain('at 1:18'); // the [
  });

  it('validate returns the value of the first failing check', () => {
    const expr = 'validate(isint(port), "ERROR: Port is not an integer", port >= 1 AND port <= 65535, "ERROR: Port is out of range")';
    expect(ev(expr, { port: '80' })).toBeNull();
    expect(ev(expr, { port: 'x' })).toBe('ERROR: Port is not an integer');
    expect(ev(expr, { port: '70000' })).toBe('ERROR: Port is out of range');
    expect(compileError('validate(true(), "a", false())').message).toMatch(/pairs/);
  });

  it('nullif is null when its arguments are equal as = compares them', () => {
    // Comparison and Conditional functions, nullif: the names/ponies example.
    const rows: [string, string][] = [['buttercup', 'mistmane'], ['rarity', 'rarity'], ['dash', 'dash']];
    expect(rows.map(([names, ponies]) => ev('nullif(names, ponies)', { names, ponies }))).toEqual(['buttercup', null, null]);
    // "returns NULL if <value1> = <value2>": = compares numbers numerically and text case-sensitively.
    expect(ev('nullif(x, "1.0")', { x: '1' })).toBeNull();
    expect(ev('nullif(x, 1)', { x: '01' })).toBeNull();
    expect(ev('nullif("A", "a")')).toBe('A');
    expect(ev('nullif(x, y)', { x: 'a' })).toBe('a');
    expect(ev('nullif(x, "a")')).toBeNull();
  });

  it('if, case and validate need boolean conditions', () => {
    // Comparison and Conditional functions: if "<predicate>", case "The <condition> arguments are Boolean
    // expressions", validate "The <condition> arguments must be expressions" (a number or a quoted string is none).
    for (const [text, at] of [
      ['if(1, "a", "b")', '1'],
      ['if("x", "a", "b")', '"x"'],
      ['case(status==200, "OK", 1, "Other")', '1'],
      ['validate(isint(port), "a", "x", "b")', '"x"'],
    ] as const) {
      const e = compileError(text);
      expect(e.code).toBe('SPL_BAD_ARGUMENT');
      expect(e.message).toMatch(/needs a boolean expression/);
      expect(spanText(text, e)).toBe(at);
    }
    // A field's type is known only when the search runs: a field that holds no boolean is not true.
    expect(ev('if(x, "a", "b")', { x: 'true' })).toBe('b');
    expect(ev('case(status==200, "OK", true(), "Other")', { status: '404' })).toBe('Other');
  });
});

describe('informational functions', () => {
  it('typeof', () => {
    // Informational functions, typeof: "This example returns "NumberStringBoolInvalid"".
    expect(ev('typeof(12) + typeof("string") + typeof(1==2) + typeof(badfield)')).toBe('NumberStringBoolInvalid');
    expect(ev('typeof(isnull(x))')).toBe('Bool');
    expect(ev('typeof(x)', { x: '12' })).toBe('Number');
    expect(ev('typeof("12")')).toBe('String');
    expect(ev('typeof(x)', { x: ['a', 'b'] })).toBe('Multivalue');
  });

  it('isdouble, isarray, isobject', () => {
    // Informational functions: every expectation is one of the page's examples.
    expect(ev('isdouble(3.546)')).toBe(true);
    expect(ev('isdouble(1000000)')).toBe(false);
    expect(ev('isarray("[1, 2, 3]")')).toBe(true);
    expect(ev('isarray(1)')).toBe(false);
    expect(ev('isobject("games")')).toBe(false);
    expect(ev('isobject(games)', { games: 'Ticket to Ride, Settlers of Catan' })).toBe(false);
    expect(ev('isobject(games)', { games: '{"type": "competitive", "name": "Ticket to Ride"}' })).toBe(true);
    expect(ev('isobject("{cities: \\"3\\"}")')).toBe(false);
  });

  it('isnum, isint, isstr, isbool, ismv', () => {
    expect(ev('isnum(x)', { x: '3.5' })).toBe(true);
    expect(ev('isnum(x)', { x: 'abc' })).toBe(false);
    expect(ev('isnum(x)')).toBe(false);
    expect(ev('isint(x)', { x: '3' })).toBe(true);
    expect(ev('isint(x)', { x: 3.5 })).toBe(false);
    expect(ev('isstr(x)', { x: 'abc' })).toBe(true);
    expect(ev('isstr(x)', { x: '12' })).toBe(false);
    expect(ev('isstr("12")')).toBe(true);
    expect(ev('isbool(1==2)')).toBe(true);
    expect(ev('isbool(x)', { x: 'true' })).toBe(false);
    expect(ev('ismv(x)', { x: ['a', 'b'] })).toBe(true);
    expect(ev('ismv(x)', { x: 'a' })).toBe(false);
  });
});

describe('mathematical functions', () => {
  it('abs, ceiling, floor, sqrt, pow, exp, ln, log, pi, exact', () => {
    expect(ev('abs(-3)')).toBe(3);
    expect(ev('ceiling(1.1)')).toBe(2);
    expect(ev('ceil(1.9)')).toBe(2);
    expect(ev('floor(1.9)')).toBe(1);
    expect(ev('floor(-1.1)')).toBe(-2);
    expect(ev('sqrt(9)')).toBe(3);
    expect(ev('sqrt(-1)')).toBeNull();
    expect(ev('pow(2, 10)')).toBe(1024);
    expect(ev('exp(0)')).toBe(1);
    expect(ev('ln(1)')).toBe(0);
    expect(ev('ln(0)')).toBeNull();
    expect(ev('log(100)')).toBe(2);
    expect(ev('log(8, 2)')).toBeCloseTo(3, 12);
    expect(ev('pi()')).toBe(3.14159265359);
    expect(ev('exact(3.14 * 2)')).toBeCloseTo(6.28, 12);
    expect(ev('abs(x)', { x: 'abc' })).toBeNull();
    expect(ev('abs(x)')).toBeNull();
    expect(ev('abs(x)', { x: '-4' })).toBe(4);
  });

  it('round: halves go up, decimal digits are exact', () => {
    expect(ev('round(2.5)')).toBe(3);
    expect(ev('round(3.5)')).toBe(4);
    expect(ev('round(-2.5)')).toBe(-2);
    expect(ev('round(-4.51)')).toBe(-5);
    expect(ev('round(2.555, 2)')).toBe(2.56);
    expect(ev('round(1.005, 2)')).toBe(1.01);
    expect(ev('round(3.14159, 3)')).toBe(3.142);
    expect(ev('round(1234.5678, 0)')).toBe(1235);
    expect(ev('round(1, -1)')).toBeNull();
    expect(ev('round(x)')).toBeNull();
  });

  it('trigonometry', () => {
    expect(ev('cos(0)')).toBe(1);
    expect(ev('atan2(1, 1)')).toBeCloseTo(Math.PI / 4, 12);
    expect(ev('hypot(3, 4)')).toBe(5);
    expect(ev('acos(2)')).toBeNull();
  });

  it('min/max: numbers numerically, strings lexically, strings above numbers', () => {
    expect(ev('max(1, 3, 6, 7, "foo", name)', { name: 'baz' })).toBe('foo');
    expect(ev('max(1, 3, 6, 7, "foo", name)', { name: 'zaz' })).toBe('zaz');
    expect(ev('min(3, 6, 7, "maria", size)', { size: '9' })).toBe(3);
    expect(ev('min(3, 6, 7, "maria", size)', { size: '1' })).toBe('1');
    expect(ev('max(n)', { n: ['1', '3', '10', '6'] })).toBe('10');
    expect(ev('min(n)', { n: ['3', '5', '2'] })).toBe('2');
    expect(ev('max(x, 2)')).toBe(2);
    expect(ev('max(x)')).toBeNull();
  });

  it('sigfig rounds by significant-figure rules', async () => {
    // Mathematical functions, sigfig: "The calculation 1.00*1111 returns the value n=1111, but the following search
    // using the sigfig function returns n=1110"; "123.0 + 4.567 = 127.567 ... the result returned is 127.6".
    expect(ev('sigfig(1.00*1111)')).toBe(1110);
    expect(ev('sigfig(123.0 + 4.567)')).toBe(127.6);
    expect(ev('sigfig(test*1.00)', { test: 3.990000000000215 })).toBe(3.99);
    expect(ev('sigfig(a - b)', { a: '10.25', b: '0.1' })).toBe(10.2);
    expect(ev('sigfig(x)', { x: '12.345' })).toBe(12.345);
    expect(ev('sigfig(x * 2)')).toBeNull();
    expect(await run('| makeresults count=10000 | eval test=3.99 | stats avg(test) AS test | eval new_test=sigfig(test*1.00) | table new_test')).toEqual([{ new_test: 3.99 }]);
  });

  it('sum adds every numeric value', () => {
    expect(ev('sum(a, b, c)', { a: 5.0, b: '9' })).toBe(14);
    expect(ev('sum(1, 2, 3)')).toBe(6);
    expect(ev('sum(a, 2, 3)', { a: 'somedata' })).toBe(5);
    expect(ev('sum(m)', { m: ['1', '2', 'x'] })).toBe(3);
    expect(ev('sum(x)')).toBeNull();
    // Mathematical functions, sum: "sum(1, 2, "3")" and "sum("somedata", 2, 3)" return an error; tonumber("3") is accepted.
    expect(ev('sum(1, 2, tonumber("3"))')).toBe(6);
    for (const text of ['sum(1, 2, "3")', 'sum("somedata", 2, 3)', 'avg(1, "2")']) {
      const e = compileError(text);
      expect(e.code).toBe('SPL_BAD_ARGUMENT');
      expect(spanText(text, e)).toMatch(/^"[^"]*"$/);
    }
  });

  it('avg is the mean of every numeric value', () => {
    // Statistical eval functions, avg: "a field called a with value 5.0, a field called b with value 9, and a field
    // called x with value 7 that is the average of a and b" for `eval a = 5.0, b = "9", x = avg(a, b, c)`.
    expect(ev('avg(a, b, c)', { a: 5.0, b: '9' })).toBe(7);
    // "avg(x,y) is equivalent to sum(x,y)/(mvcount(x) + mvcount(y))".
    expect(ev('avg(x, y)', { x: ['1', '2'], y: '6' })).toBe(3);
    expect(ev('avg(x)', { x: 'somedata' })).toBeNull();
  });

  it('random returns a 31-bit integer', () => {
    for (let i = 0; i < 20; i++) {
      const r = ev('random()');
      expect(typeof r).toBe('number');
      expect(Number.isInteger(r)).toBe(true);
      expect(r as number).toBeGreaterThanOrEqual(0);
      expect(r as number).toBeLessThan(2 ** 31);
    }
  });
});

describe('conversion functions', () => {
  it('tonumber', () => {
    expect(ev('tonumber("0A4", 16)')).toBe(164);
    expect(ev('tonumber("0101", 2)')).toBe(5);
    expect(ev('tonumber("0x1F", 16)')).toBe(31);
    expect(ev('tonumber("12.5")')).toBe(12.5);
    expect(ev('tonumber("-7")')).toBe(-7);
    // A field value that does not parse is null ("for example if the value contains a leading and trailing space");
    // a quoted string that does not parse is an error: "the following search fails: ... tonumber("seven")".
    expect(ev('tonumber(x)', { x: 'seven' })).toBeNull();
    expect(ev('tonumber(x)', { x: ' 12' })).toBeNull();
    expect(ev('tonumber(x, 2)', { x: '12' })).toBeNull();
    for (const text of ['tonumber("seven")', 'tonumber("12", 2)', 'tonumber(" 12")']) {
      const e = compileError(text);
      expect(e.code).toBe('SPL_BAD_ARGUMENT');
      expect(e.message).toMatch(/cannot parse/);
      expect(spanText(text, e)).toBe(text.slice(9, text.indexOf('"', 10) + 1));
    }
    expect(ev('tonumber(x)')).toBeNull();
    expect(ev('tonumber(x, b)', { x: 'ff', b: '16' })).toBe(255);
    expect(ev('tonumber(x, b)', { x: 'ff', b: '40' })).toBeNull();
    expect(ev('tonumber("ff", "16")')).toBe(255);
    const text = 'tonumber("1", 37)';
    const e = compileError(text);
    expect(e.message).toMatch(/base/);
    expect(spanText(text, e)).toBe('37');
  });

  it('todouble, toint, tobool', () => {
    // Conversion functions: todouble("16.00") and todouble(5), todouble("number") returns no result.
    expect(ev('todouble("16.00")')).toBe(16);
    expect(ev('todouble(5)')).toBe(5);
    expect(ev('todouble("number")')).toBeNull();
    expect(ev('todouble(x, 16)', { x: 'ff' })).toBe(255);
    // "toint(\"24\")" is 24, "toint(3.14)" rounds down to 3; a value with spaces does not parse.
    expect(ev('toint("24")')).toBe(24);
    expect(ev('toint(3.14)')).toBe(3);
    expect(ev('toint(x)', { x: ' 7' })).toBeNull();
    expect(ev('toint("0101", 2)')).toBe(5);
    // tobool: "true"/"True" true, "false"/"False" false, 0 false, any non-zero number true, null otherwise.
    const units = ['12', '0', '15', '35', '1'];
    expect(units.map((u) => ev('if(tobool(units), "In Stock", "Not in Stock")', { units: u }))).toEqual([
      'In Stock', 'Not in Stock', 'In Stock', 'In Stock', 'In Stock',
    ]);
    expect([ev('tobool("True")'), ev('tobool("false")'), ev('tobool(x)', { x: 'yes' }), ev('tobool(1==1)')]).toEqual([true, false, null, true]);
    expect(compileError('toint("1", 37)').message).toMatch(/base/);
  });

  it('tostring: booleans, hex, commas, duration, binary', () => {
    expect(ev('tostring(1==1) + " " + tostring(15, "hex") + " " + tostring(12345.6789, "commas")')).toBe('True 0xF 12,345.68');
    expect(ev('tostring(1==2)')).toBe('False');
    expect(ev('tostring(foo, "duration")', { foo: 615 })).toBe('00:10:15');
    expect(ev('tostring(3661, "duration")')).toBe('01:01:01');
    expect(ev('tostring(90061, "duration")')).toBe('1+01:01:01');
    expect(ev('tostring(61.5, "duration")')).toBe('00:01:01.500000');
    expect(ev('tostring(1234567, "commas")')).toBe('1,234,567');
    expect(ev('tostring(-1234.5, "commas")')).toBe('-1,234.50');
    expect(ev('tostring(9, "binary")')).toBe('1001');
    expect(ev('tostring(-255, "hex")')).toBe('0xFFFFFFFFFFFFFF01');
    expect(ev('tostring(x, "hex")', { x: '255' })).toBe('0xFF');
    expect(ev('tostring(x, "hex")', { x: 'abc' })).toBe('abc');
    expect(ev('tostring(42)')).toBe('42');
    expect(ev('tostring(0.1 + 0.2)')).toBe('0.3');
    expect(ev('tostring(x)')).toBeNull();
    expect(ev('tostring(x, "hex")', { x: ['10', '11'] })).toEqual(['0xA', '0xB']);
    const text = 'tostring(1, "bogus")';
    expect(spanText(text, compileError(text))).toBe('"bogus"');
  });

  it('tostring(x, "commas") groups every digit of a number of 1e21 or more (it gave "1e+21", without commas)', () => {
    // Search Reference, Conversion functions, tostring: "commas" formats the number with commas (12345.6789 gives
    // 12,345.68); an integer has no decimals to round.
    expect(ev('tostring(1e21, "commas")')).toBe('1,000,000,000,000,000,000,000');
    expect(ev('tostring(-2e21, "commas")')).toBe('-2,000,000,000,000,000,000,000');
    expect(ev('tostring(x, "commas")', { x: '1e21' })).toBe('1,000,000,000,000,000,000,000');
    expect(ev('tostring(12345.6789, "commas")')).toBe('12,345.68');
  });

  it('tostring(x, "duration") of a huge number gives its exact days and clock (an exponent and a wrong clock before)', () => {
    // Search Reference, Conversion functions, tostring: "duration" converts seconds to the readable HH:MM:SS
    // (615 gives 00:10:15), days as D+ in front. 2^80 s = 13992196986280430262 days and 69376 s (19:16:16).
    expect(ev('tostring(pow(2, 80), "duration")')).toBe('13992196986280430262+19:16:16');
    expect(ev('tostring(-pow(2, 80), "duration")')).toBe('-13992196986280430262+19:16:16');
    expect(ev('tostring(615, "duration")')).toBe('00:10:15');
  });

  it('printf', () => {
    expect(ev('printf("%.3A", pi())')).toBe('0X1.922P+1');
    expect(ev('printf("%c,%c", 65, "Foo")')).toBe('A,F');
    expect(ev('printf("%d,%i,%d", -2, +4, 30)')).toBe('-2,4,30');
    expect(ev('printf("%.2e", 5139)')).toBe('5.14e+03');
    expect(ev('printf("%.2f", pi())')).toBe('3.14');
    expect(ev('printf("%.2g,%.2g", pi(), 123)')).toBe('3.1,1.2e+02');
    expect(ev('printf("%o", 255)')).toBe('377');
    expect(ev('printf("%s%z", "foo", "bar")')).toBe('foobar');
    expect(ev('printf("%u", 99)')).toBe('99');
    expect(ev('printf("%x,%X,%p", 10, 10, 10)')).toBe('a,A,A');
    expect(ev('printf("100%%")')).toBe('100%');
    expect(ev('printf("%\'d", 12345)')).toBe('12,345');
    expect(ev('printf("%-4d|", 1)')).toBe('1   |');
    expect(ev('printf("%04d", 1)')).toBe('0001');
    expect(ev('printf("%+4d", 1)')).toBe('  +1');
    expect(ev('printf("% d", 1)')).toBe(' 1');
    expect(ev('printf("%#x", 1)')).toBe('0x1');
    expect(ev('printf("%*d", 5, 123)')).toBe('  123');
    expect(ev('printf("%.*f", 1, 1.23)')).toBe('1.2');
    expect(ev('printf("%*.*e", 9, 2, pi())')).toBe(' 3.14e+00');
    expect(ev('printf("%04.4f %-6s|", 3.14159, "ab")')).toBe('3.1416 ab    |');
    expect(ev('printf("%g", 100000)')).toBe('100000');
    expect(ev('printf("%g", 1000000)')).toBe('1e+06');
    expect(ev('printf("%g", 0.0001)')).toBe('0.0001');
    expect(ev('printf("%.3s", "abcdef")')).toBe('abc');
    expect(ev('printf("%s-%d", x, y)')).toBe('-0');
    expect(ev('printf(x)')).toBeNull();
  });

  it('printf with a precision past 100 prints the exact decimal digits, as C does (was a RangeError from toFixed)', () => {
    // Expected: Python's %-formatting, which prints doubles exactly as glibc does.
    expect(ev('printf("%.120f", 0.1)')).toBe('0.1000000000000000055511151231257827021181583404541015625' + '0'.repeat(65));
    expect(ev('printf("%.110e", 0.1)')).toBe('1.00000000000000005551115123125782702118158340454101562500000000000000000000000000000000000000000000000000000000e-01');
    expect(ev('printf("%.105g", 1/3)')).toBe('0.333333333333333314829616256247390992939472198486328125');
    expect(ev('printf("%.101f", 1e22)')).toBe('10000000000000000000000.' + '0'.repeat(101));
    expect(ev('printf("%.110e", 5e-324)')).toBe('4.94065645841246544176568792868221372365059802614324764425585682500675507270208751865299836361635992379796564695e-324');
    expect(ev('printf("%.102e", 123.456)')).toBe('1.234560000000000030695446184836328029632568359375' + '0'.repeat(54) + 'e+02');
    expect(ev('printf("%.101f|%.101e", 0, 0)')).toBe(`0.${'0'.repeat(101)}|0.${'0'.repeat(101)}e+00`);
    expect(ev('printf("%.*f", 1100, 5e-324)')).toHaveLength(1102);
    expect(ev('printf("%.101f", -2.5)')).toBe('-2.5' + '0'.repeat(100));
  });

  it('printf rounds an exact half to even, as glibc does (JS toFixed/toExponential round it up)', () => {
    // Expected: Python's %-formatting (glibc's rounding) of the same values, and the shell's printf for the first four.
    expect(ev('printf("%.0f|%.0f|%.0f|%.0f|%.0f", 0.5, 2.5, 3.5, 4.5, -2.5)')).toBe('0|2|4|4|-2');
    expect(ev('printf("%.1f|%.2f|%5.1f|%.2f|%.1f", 0.25, 1.125, -0.25, 2.675, 0.35)')).toBe('0.2|1.12| -0.2|2.67|0.3');
    expect(ev('printf("%.0e|%.1e|%.2g|%.1g|%#.0f|%#.0e", 2.5, 1.25, 0.125, 2.5, 2.5, 2.5)')).toBe('2e+00|1.2e+00|0.12|2|2.|2.e+00');
    expect(ev('printf("%.0f|%.0e|%.3f", 9.5, 0, 1.0005)')).toBe('10|0e+00|1.000');
  });
});

describe('multivalue functions', () => {
  const names = ['alex', 'celestino', 'claudia', 'david', 'ikraam', 'nyah', 'rutherford', 'wei'];

  it('mvcount', () => {
    expect(ev('mvcount(x)', { x: ['a', 'b', 'c'] })).toBe(3);
    expect(ev('mvcount(x)', { x: 'a' })).toBe(1);
    expect(ev('mvcount(x)')).toBeNull();
  });

  it('mvindex: 0-based, negative from the end, end inclusive', () => {
    expect(ev('mvindex(names, 2)', { names })).toBe('claudia');
    expect(ev('mvindex(names, 0, 3)', { names })).toEqual(['alex', 'celestino', 'claudia', 'david']);
    expect(ev('mvindex(f, -1)', { f: names })).toBe('wei');
    expect(ev('mvindex(f, -3)', { f: names })).toBe('nyah');
    expect(ev('mvindex(f, -3, -1)', { f: names })).toEqual(['nyah', 'rutherford', 'wei']);
    expect(ev('mvindex(f, 8)', { f: names })).toBeNull();
    expect(ev('mvindex(f, -9)', { f: names })).toBeNull();
    // "If the indexes are out of range or invalid, the result is NULL."
    expect(ev('mvindex(f, 6, 20)', { f: names })).toBeNull();
    expect(ev('mvindex(f, 6, 7)', { f: names })).toEqual(['rutherford', 'wei']);
    expect(ev('mvindex(f, -9, 1)', { f: names })).toBeNull();
    expect(ev('mvindex(f, 0, -9)', { f: names })).toBeNull();
    expect(ev('mvindex(f, 3, 1)', { f: names })).toBeNull();
    expect(ev('mvindex(f, 0)', { f: 'single' })).toBe('single');
    expect(ev('mvindex(f, 0)')).toBeNull();
  });

  it('mvjoin, mvappend, mvdedup, mvsort, mvreverse', () => {
    expect(ev('mvjoin(mvrange(1, 6), " OR ")')).toBe('1 OR 2 OR 3 OR 4 OR 5');
    expect(ev('mvjoin(x, ";")', { x: 'one' })).toBe('one');
    expect(ev('mvjoin(x, ";")')).toBeNull();
    expect(ev('mvappend("localhost", srcip, destip, "192.168.1.1")', { srcip: ['a', 'b'], destip: 'c' })).toEqual(['localhost', 'a', 'b', 'c', '192.168.1.1']);
    expect(ev('mvappend(mvappend("localhost", srcip), x)', { srcip: 'a' })).toEqual(['localhost', 'a']);
    expect(ev('mvappend(x, y)')).toBeNull();
    expect(ev('mvappend(x, "a")')).toBe('a');
    expect(ev('mvdedup(x)', { x: ['b', 'a', 'b', 'c', 'a'] })).toEqual(['b', 'a', 'c']);
    expect(ev('mvsort(x)', { x: ['10', '9', '70', '100', 'b', 'B', 'a'] })).toEqual(['10', '100', '70', '9', 'B', 'a', 'b']);
    expect(ev('mvreverse(split("1,2,3", ","))')).toEqual(['3', '2', '1']);
  });

  it('mvfind returns the index of the first matching value', () => {
    expect(ev('mvfind(x, "err\\d+")', { x: ['ok', 'warn', 'err42', 'err7'] })).toBe(2);
    expect(ev('mvfind(x, "nope")', { x: ['ok', 'warn'] })).toBeNull();
    expect(ev('mvfind(x, "a")')).toBeNull();
  });

  it('mvzip pairs values up to the shorter field', () => {
    expect(ev('mvzip(hosts, ports)', { hosts: ['h1', 'h2', 'h3'], ports: ['80', '443'] })).toEqual(['h1,80', 'h2,443']);
    expect(ev('mvzip(mvzip(a, b, "|"), c, "|")', { a: ['1', '2'], b: ['x', 'y'], c: ['p', 'q'] })).toEqual(['1|x|p', '2|y|q']);
    expect(ev('mvzip(a, b)', { a: 'x' })).toBeNull();
  });

  it('commands lists the commands of a search string', () => {
    // Multivalue eval functions: commands("search foo | stats count | sort count") contains search, stats and sort.
    expect(ev('commands("search foo | stats count | sort count")')).toEqual(['search', 'stats', 'sort']);
    expect(ev('commands(q)', { q: 'index=a "x|y" [search b | head 1] | eval z=1' })).toEqual(['search', 'eval']);
    expect(ev('commands(q)', { q: '| makeresults' })).toBe('makeresults');
    expect(ev('commands(q)', { q: 'search "unterminated' })).toBeNull();
  });

  it('mvrange, with numeric and time-span steps', () => {
    expect(ev('mvrange(1, 11, 2)')).toEqual([1, 3, 5, 7, 9]);
    expect(ev('mvrange(0, 3)')).toEqual([0, 1, 2]);
    expect(ev('mvrange(3, 0, -1)')).toEqual([3, 2, 1]);
    expect(ev('mvrange(0, 3, 0)')).toBeNull();
    expect(ev('mvrange(5, 5)')).toBeNull();
    const weekly = ev('mvrange(1514834731, 1524134919, "7d")') as number[];
    expect(weekly).toHaveLength(16);
    expect(weekly[0]).toBe(1514834731);
    expect(weekly[1]).toBe(1514834731 + 7 * 86400);
    // Daylight saving: in New York a week step keeps the wall-clock time, so one step is an hour short.
    const ny = ev('mvrange(1710000000, 1711000000, "7d")', {}, 'America/New_York') as number[];
    expect(ny[1]! - ny[0]!).toBe(7 * 86400 - 3600);
    expect(ev('mvrange(0, 10, "bogus")')).toBeNull();
  });

  it('mvrange past MVRANGE_LIMIT values is null with a warning (once per call), not a silent cut', () => {
    // It used to give the first 100,000 values without a word: mvcount(mvrange(0, 200000)) was 100000.
    const text = 'mvrange(0, n, s)';
    const source = new SourceText(text);
    const parser = new ArgParser(new Lexer(source, 0, text.length), source, { resolve: () => undefined, parseArgs: () => null });
    const warnings: { message: string; at: string }[] = [];
    const c = compileEval(parser.evalExpr(), { now: NOW, tz: 'UTC', warn: (message, at) => warnings.push({ message, at: at ? text.slice(at.start, at.end) : '' }) }, source);
    // Exactly the limit: every value, no warning (both step kinds).
    expect((c(new Row({ n: MVRANGE_LIMIT, s: 1 })) as number[]).length).toBe(MVRANGE_LIMIT);
    expect((c(new Row({ n: MVRANGE_LIMIT, s: '1s' })) as number[]).length).toBe(MVRANGE_LIMIT);
    expect(warnings).toEqual([]);
    expect(c(new Row({ n: MVRANGE_LIMIT + 1, s: 1 }))).toBeNull();
    expect(c(new Row({ n: 2 * MVRANGE_LIMIT, s: '1s' }))).toBeNull();
    expect(c(new Row({ n: 1e12, s: 0.5 }))).toBeNull();
    expect(c(new Row({ n: 1e12, s: '1s' }))).toBeNull();
    // A zero-length span step still gives the start alone, as before.
    expect(c(new Row({ n: 10, s: '0d' }))).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.at).toBe('0, n, s');
    expect(warnings[0]!.message).toBe(`mvrange() is null where it would make more than ${MVRANGE_LIMIT} values (the first such row; later ones are not reported)`);
    // A range under the limit still works after one over it.
    expect(c(new Row({ n: 3, s: 1 }))).toEqual([0, 1, 2]);
  });

  it('mvfilter evaluates its predicate once per value', () => {
    expect(ev('mvfilter(match(f, "x"))', { f: ['ax', 'b', 'xc'] })).toEqual(['ax', 'xc']);
    expect(ev('mvfilter(match(email, "\\.net$") OR match(email, "\\.org$"))', { email: ['a@b.net', 'c@d.com', 'e@f.org'] })).toEqual(['a@b.net', 'e@f.org']);
    expect(ev('mvfilter(x > 2)', { x: ['1', '3', '5'] })).toEqual(['3', '5']);
    expect(ev('mvfilter(x != "b")', { x: ['a', 'b'] })).toBe('a');
    expect(ev('mvfilter(match(f, "zzz"))', { f: ['a', 'b'] })).toBeNull();
    expect(ev('mvfilter(match(f, "a"))')).toBeNull();
    const text = 'mvfilter(a = b)';
    const e = compileError(text);
    expect(e.message).toMatch(/exactly one field/);
    expect(spanText(text, e)).toBe('a = b');
    expect(compileError('mvfilter(1 = 1)').message).toMatch(/references a field/);
  });

  it('mvmap evaluates an expression per value', () => {
    expect(ev('mvmap(results, results * 10)', { results: ['1', '2', '3'] })).toEqual([10, 20, 30]);
    expect(ev('mvmap(results, results * threshold)', { results: ['1', '2'], threshold: '3' })).toEqual([3, 6]);
    expect(ev('mvmap(mvindex(results, 1, 2), results * 10)', { results: ['1', '2', '3'] })).toEqual([20, 30]);
    expect(ev('mvmap(x, upper(x))', { x: 'a' })).toBe('A');
    expect(ev('mvmap(x, x)')).toBeNull();
    expect(compileError('mvmap(1, 2)').message).toMatch(/field/);
  });
});

describe('date and time functions', () => {
  it('now() is the search start time, the same for every row', () => {
    expect(ev('now()')).toBe(NOW);
  });

  it('time() is the wall clock', () => {
    const before = Date.now() / 1000;
    const t = ev('time()') as number;
    expect(t).toBeGreaterThanOrEqual(before - 1);
    expect(t).toBeLessThanOrEqual(Date.now() / 1000 + 1);
  });

  it('strftime in the search time zone', () => {
    expect(ev('strftime(1700000000.25, "%Y-%m-%dT%H:%M:%S.%3N")')).toBe('2023-11-14T22:13:20.250');
    expect(ev('strftime(t, "%Y-%m-%d %H:%M")', { t: '1700000000' }, 'America/New_York')).toBe('2023-11-14 17:13');
    expect(ev('strftime(x, "%Y")')).toBeNull();
    expect(ev('strftime("abc", "%Y")')).toBeNull();
  });

  it('strptime parses to epoch seconds', () => {
    expect(ev('strptime("2023-10-06T21:52:41.123456789Z", "%Y-%m-%dT%H:%M:%S.%3Q")')).toBeCloseTo(1696629161.123, 6);
    expect(ev('strptime(x, "%Y-%m-%d")', { x: '2023-10-06' }, 'America/New_York')).toBe(1696564800);
    expect(ev('strptime("nope", "%Y-%m-%d")')).toBeNull();
    expect(ev('strptime(x, "%Y")')).toBeNull();
    // %:Z is a strptime directive (Date and time format variables: "GMT-0700 ... use %:Z"); 23:45:22 -07:00 is
    // 06:45:22 UTC the next day.
    expect(ev('strptime("Fri Apr 29 2022 23:45:22 GMT-0700", "%a %b %d %Y %H:%M:%S %:Z")')).toBe(Date.UTC(2022, 3, 30, 6, 45, 22) / 1000);
  });

  it('relative_time applies modifiers', () => {
    expect(ev('relative_time(x, "+5m")', { x: NOW })).toBe(NOW + 300);
    expect(ev('relative_time(now(), "-1d@d")')).toBe(1699833600);
    expect(ev('relative_time(now(), "@d")', {}, 'America/New_York')).toBe(1699938000);
    expect(ev('relative_time(x, "-1h")')).toBeNull();
    expect(ev('relative_time(now(), m)', { m: '-1h' })).toBe(NOW - 3600);
    expect(ev('relative_time(now(), m)', { m: 'garbage' })).toBeNull();
  });

  it('reports a bad literal modifier or format at its position', () => {
    const text = 'relative_time(now(), "-1x")';
    const e = compileError(text);
    expect(e.message).toMatch(/relative_time\(\).*unknown time unit/);
    expect(spanText(text, e)).toBe('x');
    const f = 'strftime(now(), "%Y-%q")';
    expect(spanText(f, compileError(f))).toBe('"%Y-%q"');
  });
});

describe('cryptographic functions', () => {
  it('hex digests of the UTF-8 text', () => {
    expect(ev('md5("abc")')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(ev('sha1("abc")')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(ev('sha256("abc")')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(ev('sha512("abc")')).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
    expect(ev('md5(x)')).toBeNull();
  });
});

describe('numbers past the largest double', () => {
  it('text such as "1e309" is not a number (it was Infinity, and strftime threw a RangeError from convert, strftime() and bin)', async () => {
    expect(ev('tonumber(x)', { x: '1e309' })).toBeNull();
    expect(ev('isnum(x)', { x: '-1e309' })).toBe(false);
    expect(ev('x > 5', { x: '1e309' })).toBe(false);
    expect(ev('x + 1', { x: '9'.repeat(400) })).toBeNull();
    // + overflowed to Infinity where - * / % gave null.
    expect(ev('x + x', { x: 1e308 })).toBeNull();
    expect(ev('1e308 + 1e308 - 1')).toBeNull();
    expect(await run('| makeresults | eval _time=1e308 + 1e308 | table _time')).toEqual([{}]);
    // A literal past it is an error at the literal (--1e309 was Infinity).
    for (const spl of ['| makeresults | eval _time=--1e309', '| makeresults | where x > 1e999']) {
      const e = await errorOf(spl);
      expect(e.code).toBe('SPL_BAD_ARGUMENT');
      expect(e.message).toMatch(/past the largest/);
      expect(spl.slice(e.span.start, e.span.end)).toMatch(/^1e(309|999)$/);
    }
    expect(ev('strftime("1e309", "%Y")')).toBeNull();
    expect(await run('| makeresults | eval x="1e309" | convert ctime(x) | table x')).toEqual([{ x: '1e309' }]);
    expect(await run('| makeresults | eval _time="-1e309" | bin _time span=1h | table _time')).toEqual([{}]);
    expect(await run('| makeresults | eval x="1e309", y="5" | stats max(x) as mx sum(x) as s by y | table mx s')).toEqual([{ mx: '1e309' }]);
  });
});

describe('values longer than a JavaScript string can hold', () => {
  // V8 strings stop at 2^29 - 24 characters: 32 characters doubled 24 times is 2^29 (ropes: nothing is copied).
  const doubled = (n: number, expr: string) => `| makeresults | eval x="${'a'.repeat(32)}"${' | eval x=x . x'.repeat(n - 1)} | eval x=${expr}`;

  it('fail at the expression that made them (SPL_RUNTIME), not with a RangeError', async () => {
    for (const [spl, expr] of [
      [doubled(24, 'x . x'), 'x . x'],
      [doubled(24, 'x + x'), 'x + x'],
      [doubled(24, 'printf("%s%s%s", x, x, x)'), 'printf("%s%s%s", x, x, x)'],
      ['| makeresults | eval y=printf("%1000000000d", 1)', 'printf("%1000000000d", 1)'],
    ] as const) {
      const e = await errorOf(spl);
      expect(e.code).toBe('SPL_RUNTIME');
      expect(e.message).toMatch(/longer than/);
      expect(spl.slice(e.span.start, e.span.end)).toBe(expr);
    }
  });

  it('also in where', async () => {
    const spl = `${doubled(23, 'x . x')} | where len(x . x . "b") > 0`;
    const e = await errorOf(spl);
    expect(e.code).toBe('SPL_RUNTIME');
    expect(spl.slice(e.span.start, e.span.end)).toBe('len(x . x . "b") > 0');
  });
});

describe('bitwise functions', () => {
  // Search Reference, "Bitwise functions": every expected value below is one of the page's examples.
  it('bit_and, bit_or, bit_xor, bit_not', () => {
    expect(ev('bit_and(12, 9)')).toBe(8);
    expect(ev('bit_or(4, 2)')).toBe(6);
    expect(ev('bit_xor(3, 2)')).toBe(1);
    expect([ev('bit_and(4, 6)'), ev('bit_or(4, 6)'), ev('bit_xor(4, 6)')]).toEqual([4, 6, 2]);
    expect(ev('bit_not(9)')).toBe(9007199254740982);
    expect(ev('tostring(bit_not(9), "binary")')).toBe('11111111111111111111111111111111111111111111111110110');
    expect(ev('bit_not(9, tonumber("1111", 2))')).toBe(6);
    expect(ev('tostring(bit_not(9, tonumber("111", 2)), "binary")')).toBe('110');
    expect(ev('tostring(bit_or(tonumber(flags, 2), tonumber("11001", 2)), "binary")', { flags: '00010' })).toBe('11011');
    // "numbers that are negative or greater than 53 bits return null"
    expect(ev('bit_and(m + 1, 1)', { m: 2 ** 53 - 1 })).toBeNull();
  });

  it('bit_shift_left and bit_shift_right', () => {
    expect(ev('bit_shift_left(2, 1)')).toBe(4);
    expect(ev('bit_shift_right(4, 1)')).toBe(2);
    expect(ev('bit_shift_right(2, 1)')).toBe(1);
    expect(ev('bit_shift_left(1, 53)')).toBe(0);
    expect(ev('bit_shift_left(3, 1)')).toBe(6);
    expect(ev('bit_shift_left(3, 52)')).toBe(4503599627370496);
    expect(ev('bit_shift_left(3, 57)')).toBe(0);
    expect(ev('bit_shift_left(3, pow(2, 53) - 1)')).toBe(0);
    expect(ev('bit_shift_left(3, pow(2, 53))')).toBeNull();
    expect(ev('bit_shift_left(67, 1)')).toBe(134);
    expect(ev('bit_shift_left(pow(2, 53), 1)')).toBeNull();
    expect(ev('bit_shift_left(3, -2)')).toBeNull();
    expect(ev('bit_shift_right(-3, 1)')).toBeNull();
  });
});

describe('boolean operator precedence', () => {
  it('XOR binds loosest: NOT, then AND, then OR, then XOR', () => {
    // Search Reference, where: "The order in which Boolean expressions are evaluated with the where command is:
    // Expressions within parentheses, NOT clauses, AND clauses, OR clauses, XOR clauses".
    expect(ev('true() OR false() XOR true()')).toBe(false); // (true OR false) XOR true
    expect(ev('true() XOR true() OR true()')).toBe(false); // true XOR (true OR true)
    expect(ev('true() XOR false() AND false()')).toBe(true); // true XOR (false AND false)
    expect(ev('true() OR (false() XOR true())')).toBe(true);
    expect(ev('NOT true() XOR true()')).toBe(true);
  });

  it('the where command keeps a row by that order', async () => {
    expect(await run('| makeresults | eval x=1 | where x=1 OR x=2 XOR x=1 | table x')).toEqual([]);
    expect(await run('| makeresults | eval x=1 | where x=2 OR x=3 XOR x=1 | table x')).toEqual([{ x: 1 }]);
  });
});
