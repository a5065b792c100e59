import { describe, expect, it } from 'vitest';
import { VigilError } from '../../../src/errors.js';
import { RegexError, clearPcreCache, compilePcre, compilePcreInfo, translatePcre } from '../../../src/spl/regex/pcre.js';

/** Compiles a PCRE pattern the way the regex command would (search, unanchored). */
const re = (pattern: string, opts: { extraFlags?: string; needCaptures?: boolean } = {}): RegExp => compilePcre(pattern, opts);

/** Asserts which subjects the PCRE pattern matches (PCRE semantics) and which it does not. */
function expectMatches(pattern: string, yes: string[], no: string[], opts: { extraFlags?: string } = {}): void {
  const r = re(pattern, opts);
  for (const s of yes) expect(r.test(s), `${pattern} should match ${JSON.stringify(s)}`).toBe(true);
  for (const s of no) expect(r.test(s), `${pattern} should not match ${JSON.stringify(s)}`).toBe(false);
}

/** The whole match, or null. */
function firstMatch(pattern: string, subject: string): string | null {
  const m = re(pattern).exec(subject);
  return m ? m[0] : null;
}

function rejection(pattern: string, opts: { needCaptures?: boolean } = {}): RegexError {
  try {
    translatePcre(pattern, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(RegexError);
    return err as RegexError;
  }
  throw new Error(`expected ${JSON.stringify(pattern)} to be rejected`);
}

function expectRejected(pattern: string, code: 'REGEX_UNSUPPORTED' | 'REGEX_INVALID', construct: string, offset: number): void {
  const err = rejection(pattern);
  expect(err.code, `${pattern}: ${err.message}`).toBe(code);
  expect(err.construct, `${pattern}: ${err.message}`).toBe(construct);
  expect(err.offset, `${pattern}: ${err.message}`).toBe(offset);
  expect(err.message).toContain(JSON.stringify(pattern));
}

describe('real detection regex', () => {
  const curl = '(?i)(?<!\\w)-(?:[a-z]*k[a-z]*|-(insecure|proxy-insecure|doh-insecure))';

  it('matches insecure curl flags, case-insensitively', () => {
    expectMatches(
      curl,
      ['curl -k https://x', 'curl -sSLk x', 'curl --insecure x', 'curl --proxy-insecure', 'curl -K x', 'curl --DOH-INSECURE x'],
      ['curl a-k', 'curl https://k8s.io', 'curl -s x', 'curl --secure x', 'curl x-K'],
    );
  });

  it('captures the long option name in group 1', () => {
    expect(re(curl).exec('curl --Proxy-Insecure x')?.[1]).toBe('Proxy-Insecure');
  });
});

describe('inline flags', () => {
  it('turns leading (?i), (?s), (?m) and combinations into options', () => {
    expectMatches('(?i)abc', ['xABCx', 'aBc'], ['ab']);
    expectMatches('(?s)a.b', ['a\nb'], ['ab']);
    expectMatches('a.b', ['a-b', 'a\rb'], ['a\nb']); // PCRE `.` crosses \r (JS `.` does not)
    expectMatches('(?is)A.B', ['a\nb'], ['a\n\nb']);
    expectMatches('(?m)^b$', ['a\nb\nc'], ['a\nbb']);
    expectMatches('(?i-s)a.b', ['A-B'], ['a\nb']);
  });

  it('applies (?-i) and extraFlags', () => {
    expectMatches('abc', ['ABC'], [], { extraFlags: 'i' });
    expectMatches('(?-i)abc', ['abc'], ['ABC'], { extraFlags: 'i' });
  });

  it('(?x) strips white space and comments outside classes but honours escapes', () => {
    expectMatches('(?x) a b  # a comment\n c', ['abc'], ['a b c']);
    expectMatches('(?x)a\\ b', ['a b'], ['ab']);
    expectMatches('(?x)a[ ]b', ['a b'], ['ab']);
    expectMatches('(?x)a\\#b', ['a#b'], ['ab']);
    expectMatches('(?x)a #x\n+b', ['aaab'], ['b']); // the quantifier still applies to `a`
    expectMatches('(?xx)[a b]+', ['ab'], [' ']);
  });

  it('scopes a mid-pattern (?i) to the rest of its group, including later alternatives', () => {
    expectMatches('a(?i)b', ['ab', 'aB'], ['Ab', 'AB']);
    expectMatches('(a(?i)b|c)', ['ab', 'aB', 'c', 'C'], ['Ab']); // the PCRE manual's example
    expectMatches('(?:x(?i)y)z', ['xYz'], ['xYZ']);
    expectMatches('x(?i:ab)y', ['xABy', 'xaby'], ['XABy', 'xabY']);
    expectMatches('(?i)a(?-i:b)c', ['AbC'], ['ABC']);
    expectMatches('a(?i)[b-d]', ['aC', 'ab'], ['AC']);
    expectMatches('a(?i)[^b]', ['ax'], ['ab', 'aB']);
  });

  it('expands caseless letters by hand, including Unicode case folding', () => {
    expect(translatePcre('a(?i)b').source).toBe('a[Bb]');
    expect(translatePcre('(?i)ab').flags).toBe('u'); // no JS `i` flag: \w and \b keep PCRE meaning
    expectMatches('(?i)é', ['É', 'é'], ['e']);
    expectMatches('(?i)σ', ['Σ', 'ς'], ['s']);
    expectMatches('(?i)k', ['K', '\u212A'], ['x']); // PCRE2 UTF caseless set {k, K, KELVIN SIGN}
  });

  it('keeps \\w, \\b and \\p{Lu} case-sensitive under (?i), as PCRE does', () => {
    expectMatches('(?i)^\\w$', ['a', 'Z'], ['\u212A', '\u017F']);
    expectMatches('(?i)^\\p{Lu}$', ['A'], ['a']);
    expectMatches('(?i)^[[:upper:]]$', ['A', 'a'], ['1']); // PCRE2: [:upper:] becomes [:alpha:]
    expectMatches('(?i)^[^[:lower:]]$', ['1'], ['a', 'A']);
  });

  it('supports (?n), (?U) and (?^)', () => {
    const t = translatePcre('(?n)(a)(?<x>b)');
    expect(t.groupCount).toBe(1);
    expect(t.groupNames).toEqual(['x']);
    expect(firstMatch('(?U)a+', 'aaa')).toBe('a');
    expect(firstMatch('(?U)a+?', 'aaa')).toBe('aaa');
    expectMatches('(?i)a(?^)b', ['Ab'], ['AB']);
  });
});

describe('anchors', () => {
  it('\\A, \\z and \\Z', () => {
    expectMatches('\\Aab', ['abc'], ['cab']);
    expectMatches('(?m)\\Aab', ['ab\nx'], ['x\nab']); // stays start-of-input under (?m)
    expectMatches('ab\\z', ['xab'], ['ab\n']);
    expectMatches('ab\\Z', ['xab', 'ab\n'], ['ab\n\n', 'abc']);
    expectMatches('(?m)ab\\z', ['x\nab'], ['ab\nx']);
  });

  it('$ also matches before a final newline without (?m)', () => {
    expectMatches('abc$', ['abc', 'abc\n'], ['abc\n\n', 'abc\r\n', 'abcd']);
    expectMatches('^$', ['', '\n'], ['\n\n']);
  });

  it('(?m) ^ and $ see only \\n as a line break', () => {
    expectMatches('(?m)a$', ['a\nb', 'b\na'], ['a\rb', 'a\r\n']);
    expectMatches('(?m)^b', ['a\nb'], ['a\rb']);
    expectMatches('(?m)\\n^', ['a\nb'], ['a\n']); // not after a newline that ends the subject
  });
});

describe('escapes and character types', () => {
  it('\\s is ASCII white space (not U+00A0) and \\h/\\v are PCRE horizontal/vertical space', () => {
    expectMatches('a\\sb', ['a b', 'a\tb', 'a\u000Bb'], ['a\u00A0b', 'a\u2028b']);
    expectMatches('a\\hb', ['a b', 'a\u00A0b', 'a\u3000b'], ['a\nb', 'ahb']);
    expectMatches('a\\vb', ['a\nb', 'a\rb', 'a\u2028b', 'a\u000Bb'], ['a b', 'avb']);
    expectMatches('^\\H\\V$', ['xy'], [' y', 'x\n']);
    expectMatches('^[\\S,]+$', ['a,b'], ['a b']);
    expectMatches('^[^\\s]$', ['\u00A0'], [' ']);
    expectMatches('^\\d\\w$', ['1a'], ['١a', '1é']);
  });

  it('\\R is an atomic newline sequence and \\N is "not a newline"', () => {
    expectMatches('\\A\\R\\z', ['\n', '\r\n', '\r', '\u2028'], ['\n\n', '\n\r']);
    expectMatches('^\\R$', ['\n\n'], []); // `$` also matches before the final newline
    expectMatches('^\\R\\n$', [], ['\r\n']); // \R takes \r\n and does not give back the \n
    expectMatches('^\\R\\R$', ['\r\r', '\r\n\n'], []);
    expectMatches('(?s)a\\Nb', ['a\rb'], ['a\nb']);
  });

  it('character escapes: \\e \\a \\cX \\xhh \\x{...} \\o{...} octal', () => {
    expectMatches('^\\e\\a$', ['\u001B\u0007'], ['ea']);
    expectMatches('^\\cA\\cz$', ['\u0001\u001A'], []);
    expectMatches('^\\x41\\x{263A}\\o{101}$', ['A\u263AA'], []);
    expectMatches('^\\012\\0$', ['\n\u0000'], []);
    expectMatches('^a\\-b\\"c\\/$', ['a-b"c/'], []);
  });

  it('\\x{263A} and \\p{..} work under the u flag', () => {
    expectMatches('\\x{263A}', ['I \u263A it'], ['I like it']);
    expectMatches('^\\p{L}+$', ['héllo', 'Σσ'], ['a1']);
    expectMatches('^\\P{L}$', ['1'], ['a']);
    expectMatches('^\\pL\\p{^L}$', ['a1'], ['ab']);
    expectMatches('^\\p{Greek}+$', ['σΣ'], ['s']);
    expectMatches('^\\p{L&}$', ['a', 'A'], ['\u05D0']);
    expectMatches('^\\p{Xan}+$', ['a1é'], ['_']);
    expectMatches('^[\\p{Lu}\\d]+$', ['A1'], ['a']);
    expectMatches('^\\x{1F600}.$', ['\u{1F600}\u{1F601}'], []); // `.` is one code point (UTF mode)
  });

  it('octal versus backreference', () => {
    expectMatches('(a)\\1', ['aa'], ['a\u0001']);
    expectMatches('^(a)\\11$', ['a\t'], ['aa1']); // one group: \11 is octal 011 (tab)
    expectMatches('^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\\10$', ['abcdefghijj'], []);
    expectMatches('^(a)\\1(?:)0$', ['aa0'], []);
    expectMatches('^\\18$', ['\u00018'], []);
    expect(translatePcre('(a)\\g{1}0').source).toBe('(a)\\1(?:)0'); // never `\10`
  });

  it('\\Q...\\E quotes literally, inside and outside classes', () => {
    expectMatches('^\\Qa.b*\\E$', ['a.b*'], ['axbb']);
    expectMatches('^\\Qab\\E+$', ['abbb'], ['abab']); // the quantifier applies to the last character
    expectMatches('^[\\Q]-\\E]+$', [']-]'], ['a']);
    expectMatches('^\\Qa.b', ['a.b'], ['axb']); // unterminated \Q runs to the end
    expectMatches('a\\Eb', ['ab'], []);
  });

  it('escapes that the u flag would reject are rendered validly', () => {
    for (const p of ['a\\-b', '[\\-a]', '\\"x', 'a\\ b', '\\@', '{', 'a{x}', '}', ']', 'x{2,1x']) {
      expect(() => compilePcre(p), p).not.toThrow();
    }
    expectMatches('^a{x}]$', ['a{x}]'], []);
  });
});

describe('POSIX classes', () => {
  const cases: [string, string[], string[]][] = [
    ['alnum', ['a', 'Z', '5'], ['_', '-', 'é']],
    ['alpha', ['a', 'Z'], ['5', 'é']],
    ['ascii', ['\u0000', '\u007F'], ['\u0080']],
    ['blank', [' ', '\t'], ['\n']],
    ['cntrl', ['\u0001', '\u007F'], [' ']],
    ['digit', ['0', '9'], ['a']],
    ['graph', ['!', '~'], [' ', '\u00E9']],
    ['lower', ['a', 'z'], ['A']],
    ['print', [' ', '~'], ['\t']],
    ['punct', ['!', '/', ':', '@', '[', '`', '{', '~'], ['a', ' ']],
    ['space', [' ', '\t', '\n', '\u000B', '\f', '\r'], ['\u00A0']],
    ['upper', ['A', 'Z'], ['a']],
    ['word', ['a', '_', '0'], ['-']],
    ['xdigit', ['0', 'a', 'F'], ['g']],
  ];
  it.each(cases)('[[:%s:]] and its negation', (name, yes, no) => {
    expectMatches(`^[[:${name}:]]$`, yes, no);
    expectMatches(`^[[:^${name}:]]$`, no, yes);
  });

  it('combines with other class items', () => {
    expectMatches('^[[:digit:]x-z]+$', ['1xz'], ['a']);
    expectMatches('^[[:alpha:][:^digit:]]$', ['a', '-'], ['1']);
  });

  it('reads [[:<:]] and [[:>:]] as word start and word end (PCRE2: \\b(?=\\w), \\b(?<=\\w))', () => {
    expect(firstMatch('[[:<:]]\\w+[[:>:]]', '-- ab cd')).toBe('ab');
    expectMatches('[[:<:]]b', ['a b', 'b'], ['ab']);
    expectMatches('a[[:>:]]', ['a b', 'ba'], ['ab', 'a_']);
  });

  it('takes a [ that starts no POSIX item as a literal, as PCRE2 check_posix_syntax does', () => {
    expectMatches('^[[:a]+$', ['[:a', 'a'], ['b', ']']);
    expectMatches('^[a[:]b]$', ['ab]', '[b]', ':b]'], ['a', 'b]']); // `]` ends the search: [a[:] then b]
  });

  it('rejects a POSIX item with an unknown name, whatever its characters', () => {
    expectRejected('[[:al pha:]]', 'REGEX_INVALID', '[:al pha:]', 1);
    expectRejected('[[:a\\]:]]', 'REGEX_INVALID', '[:a\\]:]', 1);
    expectRejected('[[:constructor:]]', 'REGEX_INVALID', '[:constructor:]', 1); // not an Object.prototype key
    expectRejected('[[:<:]a]', 'REGEX_INVALID', '[:<:]', 1);
    expectRejected('x[.a.]', 'REGEX_INVALID', '[.a.]', 1);
  });
});

describe('named groups and backreferences', () => {
  it('rewrites (?P<n>...) and (?P=n), and keeps (?<n>...), \\k<n>, \\g{n}', () => {
    const t = translatePcre('(?P<word>\\w+) (?P=word)');
    expect(t.groupNames).toEqual(['word']);
    expectMatches('\\b(?P<word>\\w+) (?P=word)\\b', ['hey hey'], ['hey you']);
    expectMatches("^(?<a>x)(?'b'y)\\k<a>\\k'b'\\k{a}\\g{b}\\g1\\g{-1}$", ['xyxyxyxy'], ['xyxyxyxx']);
    expect(re('(?P<user>[^@]+)@(?<host>.+)').exec('joe@example.com')?.groups).toEqual({ user: 'joe', host: 'example.com' });
  });

  it('translates a caseless backreference with the JS i flag', () => {
    const t = translatePcre('(?i)(ab)\\1');
    expect(t.flags).toBe('iu');
    expectMatches('(?i)(ab)\\1', ['abAB', 'ABab'], ['abac']);
  });

  it('rejects backreferences that JS would resolve differently', () => {
    // PCRE fails on a reference to an unset group; JS matches the empty string.
    expectRejected('(a)?b\\1', 'REGEX_UNSUPPORTED', '\\1', 5);
    expectRejected('(?:(a)|b)\\1', 'REGEX_UNSUPPORTED', '\\1', 9);
    expectRejected('(a\\1)', 'REGEX_UNSUPPORTED', '\\1', 2);
    expectRejected('\\1(a)', 'REGEX_UNSUPPORTED', '\\1', 0);
    expectRejected('(?!(a))\\1', 'REGEX_UNSUPPORTED', '\\1', 7);
    expectRejected('(?<=(a)\\1)', 'REGEX_UNSUPPORTED', '\\1', 7);
    expectRejected('(a)(?i)\\1', 'REGEX_UNSUPPORTED', 'a', 1); // case-sensitive text + caseless reference
  });

  it('rejects duplicate names and references to missing groups', () => {
    expectRejected('(?<a>x)|(?<a>y)', 'REGEX_INVALID', 'a', 11);
    expectRejected('(?J)(?<a>x)|(?<a>y)', 'REGEX_UNSUPPORTED', 'a', 15);
    expectRejected('(a)\\2', 'REGEX_INVALID', '\\2', 3);
    expectRejected('\\k<nope>', 'REGEX_INVALID', '\\k<nope>', 0);
  });
});

describe('atomic groups and possessive quantifiers', () => {
  it('atomic groups do not give back', () => {
    expectMatches('(?>a|ab)c', ['ac'], ['abc']); // PCRE manual's example
    expectMatches('^(?>a+)a', [], ['aaaa']);
    expectMatches('(*atomic:a+)b', ['aab'], []);
  });

  it('possessive quantifiers do not give back', () => {
    expectMatches('^a++a', [], ['aaa']);
    expectMatches('^a*+b', ['aab', 'b'], ['aa']);
    expectMatches('^a?+a$', ['aa'], ['a']);
    expectMatches('^a{1,3}+a$', ['aaaa'], ['aaa']);
    expectMatches('^"[^"]*+"$', ['"x"'], ['"x']);
  });

  it('renumbers later groups and backreferences', () => {
    const t = translatePcre('(?>(a))(b)\\2');
    expect(t.groupMap).toEqual([0, 2, 3]);
    expect(t.source).toBe('(?=((a)))\\1(b)\\3');
    expectMatches('^(?>(a))(b)\\2$', ['abb'], ['aba']);
    const m = re('(\\d)++(?<x>y)\\k<x>').exec('12yy');
    expect(m?.groups?.x).toBe('y');
    const info = compilePcreInfo('(a)*+(b)');
    const match = info.regex.exec('aab') as RegExpExecArray;
    expect(match[info.translated.groupMap[1] as number]).toBe('a');
    expect(match[info.translated.groupMap[2] as number]).toBe('b');
  });

  it('rejects atomic constructs inside lookbehind (JS matches those right to left)', () => {
    expectRejected('(?<=(?>ab))c', 'REGEX_UNSUPPORTED', '(?>', 4);
    expectRejected('(?<=a?+)c', 'REGEX_UNSUPPORTED', '?+', 5);
  });
});

describe('quantifier edge cases', () => {
  it('keeps PCRE semantics for optional groups that can match empty', () => {
    // PCRE keeps the empty iteration: group 1 is "" (JS would leave it unset).
    expect(re('^(a?)?$').exec('')?.[1]).toBe('');
    expect(firstMatch('^(?:|a)?', 'a')).toBe(''); // the empty branch comes first in PCRE
    expect(firstMatch('^(?:|a)??b', 'ab')).toBe('ab');
  });

  it('rejects loops whose empty iterations PCRE and JS treat differently', () => {
    expectRejected('(?:|a)*', 'REGEX_UNSUPPORTED', '*', 6);
    expectRejected('(a*)+', 'REGEX_UNSUPPORTED', '+', 4); // PCRE leaves group 1 = ""
    expect(() => translatePcre('(a*)+', { needCaptures: false })).not.toThrow();
    expectMatches('^(?:a*)*b', ['aab', 'b'], []);
  });

  it('rejects captures that a repeated group may skip (PCRE keeps the old value)', () => {
    expectRejected('(?:(a)|b)+', 'REGEX_UNSUPPORTED', '(', 3);
    expect(() => translatePcre('(?:(a)|b)+', { needCaptures: false })).not.toThrow();
    expect(re('(?:(\\d)-)+').exec('1-2-')?.[1]).toBe('2');
  });

  it('validates quantifiers', () => {
    expectRejected('*a', 'REGEX_INVALID', '*', 0);
    expectRejected('a**', 'REGEX_INVALID', '*', 2);
    expectRejected('a{3,2}', 'REGEX_INVALID', '{3,2}', 1);
    expectRejected('a{70000}', 'REGEX_INVALID', '{70000}', 1);
    expectRejected('a{,3}', 'REGEX_UNSUPPORTED', '{,3}', 1); // a quantifier only since PCRE2 10.43
    expectRejected('\\b+', 'REGEX_UNSUPPORTED', '+', 2);
    expectMatches('^a{2}b{1,}c{0,1}d{2,3}?$', ['aabdd', 'aabbbcddd'], ['abdd']);
    expectMatches('^a{x$', ['a{x'], []);
  });
});

describe('comments, lookaround and misc', () => {
  it('removes (?#...) comments', () => {
    expectMatches('a(?#comment)b', ['ab'], ['a b']);
    expectMatches('^a(?#c)+$', ['aaa'], []);
  });

  it('passes lookbehind through, variable-length up to 255 characters as PCRE2 10.43+', () => {
    expectMatches('(?<=ab|c)d', ['abd', 'cd'], ['bd']);
    expectMatches('(?<!\\.)exe', ['exe', 'xexe'], ['.exe']);
    expectMatches('(?<=ab?)c', ['ac', 'abc'], ['bc']);
    expectMatches('(?<=x{300})b', ['x'.repeat(300) + 'b'], ['x'.repeat(299) + 'b']); // fixed length: no 255 limit
    expectMatches('(a)(?<=\\1)b', ['ab'], ['b']); // a reference to a group of fixed length
    expectMatches('(*plb:a)b(*nla:c)', ['abd'], ['abc']);
  });

  it('rejects a lookbehind without a bounding length, as every PCRE2 does (JS would take it)', () => {
    // pcre2_set_max_varlookbehind(3): "Lookbehind assertions without a bounding length are not supported."
    expectRejected('x(?<=a+)b', 'REGEX_INVALID', '(?<=', 1);
    expectRejected('(?<!a|b*)c', 'REGEX_INVALID', '(?<!', 0);
    expectRejected('(a+)(?<=\\1)b', 'REGEX_INVALID', '(?<=', 4);
    expectRejected('(?<=(?:ab?){2,})c', 'REGEX_INVALID', '(?<=', 0);
    expectRejected('(?<=a{1,256})b', 'REGEX_INVALID', '(?<=', 0); // variable past max_varlookbehind (255)
    expect(() => re('(?<=a{1,255})b')).not.toThrow();
  });

  it('measures a lookbehind of references to groups of references once per group', () => {
    // Group n is \(n-1) twice: 2^39 characters; walking every reference anew would never end.
    let p = '(a)';
    for (let n = 2; n <= 40; n++) p += `(\\${n - 1}\\${n - 1})`;
    expect(() => translatePcre(`${p}(?<=\\16)`)).not.toThrow(); // 32768 characters: PCRE2 takes it
    expectRejected(`${p}(?<=\\40)`, 'REGEX_INVALID', '(?<=', p.length); // PCRE2: "lookbehind assertion is too long"
  });

  it('takes 250 nested groups and rejects a 251st, as PCRE2 (parens_nest_limit), never overflowing the stack', () => {
    expectMatches(`${'('.repeat(250)}a${')'.repeat(250)}`, ['a'], ['b']);
    expectRejected(`${'(?:'.repeat(251)}a${')'.repeat(251)}`, 'REGEX_INVALID', '(?:', 750);
    expectRejected(`x${'(?='.repeat(20000)}a${')'.repeat(20000)}`, 'REGEX_INVALID', '(?=', 751);
  });

  it('reads a long \\Q...\\E run (one atom a character) without overflowing the stack', () => {
    expect(translatePcre(`\\Q${'a.'.repeat(3_000)}\\E`).source).toBe('a\\.'.repeat(3_000));
    expect(rejection(`\\Q${'a.'.repeat(200_000)}\\E`).message).toContain('regular expression is too large'); // as PCRE2
  });

  it('rejects a pattern too large to compile when translated, as PCRE2 does, not when a search first runs it', () => {
    // V8 throws "Regular expression too large" only on the first exec; PCRE2 (10.42) refuses `ab` x 30,000 too.
    const err = rejection('ab'.repeat(20_000));
    expect(err.code).toBe('REGEX_INVALID');
    expect(err.message).toContain('regular expression is too large');
    expect(re('ab'.repeat(4_000)).test('ab'.repeat(4_000))).toBe(true);
    // The size probe never matches: a long pattern that loops on "" does not hold the translation.
    expect(translatePcre(`${'x'.repeat(9_000)}|(?:(?:a?){65535}){65535}`).source).toContain('{65535}');
  });

  it('rejects a lookbehind branch longer than 65535 characters, as PCRE2 does', () => {
    expect(() => re('(?<=a{65534}b)c')).not.toThrow();
    expectRejected('(?<=a{65535}b)c', 'REGEX_INVALID', '(?<=', 0);
    expectRejected('(?<=(?:a{300}){300})b', 'REGEX_INVALID', '(?<=', 0);
  });

  it('(*FAIL), harmless start verbs', () => {
    expectMatches('a|(*FAIL)', ['a'], ['b']);
    expectMatches('(*UTF)(*LIMIT_MATCH=1000)abc', ['abc'], []);
  });

  it('treats an unbalanced brace as a literal, like PCRE', () => {
    expectMatches('^%{|^', ['%{x', 'x'], []);
    expectMatches('\\{.*?\\}', ['{a}'], ['{a']);
  });
});

describe('rejected constructs', () => {
  const cases: [string, string, number][] = [
    ['a(?R)', '(?R)', 1],
    ['(a)(?1)', '(?1)', 3],
    ['(a)(?-1)', '(?-1)', 3],
    ['(a)(?+1)(b)', '(?+1)', 3],
    ['(?<n>a)(?&n)', '(?&n)', 7],
    ['(?<n>a)(?P>n)', '(?P>n)', 7],
    ['(a)\\g<1>', '\\g<1>', 3],
    ['(?(1)a|b)', '(?(', 0],
    ['(?(?=a)a|b)', '(?(', 0],
    ['ab\\Kc', '\\K', 2],
    ['\\Gabc', '\\G', 0],
    ['a(?C1)b', '(?C1)', 1],
    ['a(*PRUNE)b', '(*PRUNE)', 1],
    ['a(*SKIP)b', '(*SKIP)', 1],
    ['(*COMMIT)a', '(*COMMIT)', 0],
    ['(*UCP)\\w', '(*UCP)', 0],
    ['(*CRLF)a$', '(*CRLF)', 0],
    ['\\X', '\\X', 0],
    ['a\\Cb', '\\C', 1],
    ['(?|(a)|(b))', '(?|', 0],
    ['\\p{Xuc}', '\\p{Xuc}', 0],
    ['x\\p{NotAScript}', '\\p{NotAScript}', 1],
    ['(?*a)b', '(?*', 0],
    ['(*napla:a)', '(*napla:a)', 0],
  ];
  it.each(cases)('%s is REGEX_UNSUPPORTED naming %s', (pattern, construct, offset) => {
    expectRejected(pattern, 'REGEX_UNSUPPORTED', construct, offset);
  });

  it('is a VigilError with a stable code', () => {
    const err = rejection('(?R)');
    expect(err).toBeInstanceOf(VigilError);
    expect(err.code).toBe('REGEX_UNSUPPORTED');
    expect(err.message).toMatch(/recursion/);
  });
});

describe('invalid patterns', () => {
  const cases: [string, string, number][] = [
    ['(a', '(a', 0],
    ['ab)', ')', 2],
    ['a(b(c)', '(b(', 1],
    ['[abc', '[', 0],
    ['a\\', '\\', 1],
    ['[:alpha:]', '[:alpha:]', 0],
    ['[[:foo:]]', '[:foo:]', 1],
    ['[[.a.]]', '[.a.]', 1],
    ['[\\d-z]', '\\d-z', 1],
    ['[z-a]', 'z-a', 1],
    ['\\x{110000}', '\\x{110000}', 0],
    ['\\x{D800}', '\\x{D800}', 0],
    ['\\u0041', '\\u', 0],
    ['\\y', '\\y', 0],
    ['[\\R]', '\\R', 1],
    ['\\c', '\\c', 0],
    ['\\N{LATIN SMALL LETTER A}', '\\N{LATIN SMALL LETTER A}', 0],
    ['(?<1a>x)', '1a', 3],
    ['(?z)', '(?z', 2],
  ];
  it.each(cases)('%s is REGEX_INVALID at %s', (pattern, construct, offset) => {
    const err = rejection(pattern);
    const expectedCode = pattern === '(?z)' ? 'REGEX_UNSUPPORTED' : 'REGEX_INVALID';
    expect(err.code, err.message).toBe(expectedCode);
    expect(err.construct, err.message).toBe(construct);
    expect(err.offset, err.message).toBe(offset);
  });
});

describe('compilePcre cache', () => {
  it('returns the same instance for a non-global pattern and fresh ones for global', () => {
    clearPcreCache();
    expect(compilePcre('a+b')).toBe(compilePcre('a+b'));
    const g1 = compilePcre('a', { global: true });
    const g2 = compilePcre('a', { global: true });
    expect(g1).not.toBe(g2);
    expect(g1.flags).toBe('gu');
    expect('aXa'.replace(g1, 'b')).toBe('bXb');
  });

  it('caches failures too', () => {
    expect(() => compilePcre('(?R)')).toThrow(RegexError);
    expect(() => compilePcre('(?R)')).toThrow(/recursion/);
  });

  it('rejects unknown extra flags', () => {
    expect(() => compilePcre('a', { extraFlags: 'q' })).toThrow(RegexError);
  });
});

describe('patterns from ESCU detections', () => {
  it('rex with (?P<..>) groups and lazy quantifiers', () => {
    const ace = '(?P<aceType>.*?);(?P<aceFlags>.*?);(?P<aceAccessRights>.*?);(?P<aceObjectGuid>.*?);(?P<aceInheritedTypeGuid>.*?);(?P<aceSid>.*?)$';
    const m = re(ace).exec('OA;CI;RP;guid1;guid2;S-1-5-11');
    expect(m?.groups).toEqual({
      aceType: 'OA',
      aceFlags: 'CI',
      aceAccessRights: 'RP',
      aceObjectGuid: 'guid1',
      aceInheritedTypeGuid: 'guid2',
      aceSid: 'S-1-5-11',
    });
  });

  it('RTLO detection with \\x{202E}', () => {
    const m = re('(?<RTLO_command_1>.+)(?<RTLO_exist_process>\\x{202E})(?<RTLO_command_2>.+)').exec('evil\u202Etxt.exe');
    expect(m?.groups).toEqual({ RTLO_command_1: 'evil', RTLO_exist_process: '\u202E', RTLO_command_2: 'txt.exe' });
  });

  it('file extension with $ before a trailing newline', () => {
    expect(re('(?<file_extension>\\.[^\\.]+)$').exec('c:\\temp\\a.tar.gz')?.groups?.file_extension).toBe('.gz');
    // [^.] includes the newline, so PCRE's greedy match keeps it; `$` then matches at the very end.
    expect(re('(?<file_extension>\\.[^\\.]+)$').exec('a.gz\n')?.groups?.file_extension).toBe('.gz\n');
    expect(re('(?<ext>\\.\\w+)$').exec('a.gz\n')?.groups?.ext).toBe('.gz');
    expect(re('\\\\(?P<nt_user>.*?)$').exec('CORP\\alice')?.groups?.nt_user).toBe('alice');
  });

  it('case-insensitive regex filters', () => {
    expectMatches('(?i)(rundll32\\.exe.{0,4}$)', ['C:\\Windows\\RUNDLL32.EXE', 'rundll32.exe" '], ['rundll32.exe /c x', 'rundll32xexe']);
    expectMatches('(?i)java\\.lang\\.(?:runtime|processbuilder)', ['java.lang.Runtime'], ['java.lang.Thread']);
    expectMatches('[jJnNdDiI]{4}(\\:|\\%3A|\\/|\\%2F)\\w+(\\:\\/\\/|\\%3A\\%2F\\%2F)(\\$\\{.*?\\}(\\.)?)?', ['${jndi:ldap://x}', 'JnDi%3Aldap%3A%2F%2F'], ['jndi ldap://']);
  });

  it('base64 run', () => {
    const p = '(?:[A-Za-z0-9+/]{128,})(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$';
    expectMatches(p, [`x ${'A'.repeat(130)}==`], [`${'A'.repeat(100)}==`]);
  });
});
