import { describe, expect, it } from 'vitest';
import { RegexError, translatePcre } from '../../../src/spl/regex/pcre.js';
import { applySed, convertReplacement, parseSedExpression, replacePcre } from '../../../src/spl/regex/sed.js';

function sedError(expr: string): RegexError {
  try {
    parseSedExpression(expr);
  } catch (err) {
    expect(err).toBeInstanceOf(RegexError);
    return err as RegexError;
  }
  throw new Error(`expected ${JSON.stringify(expr)} to be rejected`);
}

describe('parseSedExpression', () => {
  it('parses s with g, a number, or no flag', () => {
    expect(parseSedExpression('s/a+/b/g')).toEqual({ kind: 's', pattern: 'a+', replacement: 'b', global: true, occurrence: 1 });
    expect(parseSedExpression('s/a/b/3')).toEqual({ kind: 's', pattern: 'a', replacement: 'b', global: false, occurrence: 3 });
    expect(parseSedExpression('s/a/b/')).toEqual({ kind: 's', pattern: 'a', replacement: 'b', global: false, occurrence: 1 });
  });

  it('accepts any delimiter and escaped delimiters', () => {
    expect(parseSedExpression('s|/usr|/opt|g')).toMatchObject({ pattern: '/usr', replacement: '/opt' });
    expect(parseSedExpression('s#a\\#b#c\\#d#')).toMatchObject({ pattern: 'a#b', replacement: 'c#d' });
    expect(parseSedExpression('s/\\/tmp\\//x/')).toMatchObject({ pattern: '/tmp/', replacement: 'x' });
    // An escaped delimiter that is a regex metacharacter stays a literal.
    expect(parseSedExpression('s|a\\|b|X|')).toMatchObject({ pattern: 'a\\|b', replacement: 'X' });
    // Other escapes are left for the regex and the replacement.
    expect(parseSedExpression('s/\\d\\\\/\\1\\\\/')).toMatchObject({ pattern: '\\d\\\\', replacement: '\\1\\\\' });
  });

  it('parses y', () => {
    expect(parseSedExpression('y/abc/xyz/')).toEqual({ kind: 'y', from: [0x61, 0x62, 0x63], to: [0x78, 0x79, 0x7a] });
    expect(parseSedExpression('y,\\,\\n,;\\t,')).toEqual({ kind: 'y', from: [0x2c, 0x0a], to: [0x3b, 0x09] });
  });

  it('rejects malformed expressions with an offset', () => {
    expect(sedError('x/a/b/').offset).toBe(0);
    expect(sedError('s').offset).toBe(1);
    expect(sedError('sa/b/c/').construct).toBe('a');
    expect(sedError('s/a/b').message).toMatch(/unterminated/);
    const flag = sedError('s/a/b/gx');
    expect(flag.code).toBe('REGEX_INVALID');
    expect(flag.offset).toBe(6);
    expect(flag.construct).toBe('gx');
    expect(sedError('s/a/b/0').message).toMatch(/at least 1/);
    expect(sedError('y/ab/x/').message).toMatch(/different lengths/);
    expect(sedError('y/a/b/g').message).toMatch(/no flags/);
  });
});

describe('applySed', () => {
  it('replaces the first, the Nth or every match', () => {
    expect(applySed('s/a/X/', 'banana')).toBe('bXnana');
    expect(applySed('s/a/X/2', 'banana')).toBe('banXna');
    expect(applySed('s/a/X/g', 'banana')).toBe('bXnXnX');
    expect(applySed('s/a/X/9', 'banana')).toBe('banana');
  });

  it('masks card numbers (the Splunk documentation example)', () => {
    expect(applySed('s/(\\d{4}-){3}/XXXX-XXXX-XXXX-/g', 'cc=1234-5678-9012-3456')).toBe('cc=XXXX-XXXX-XXXX-3456');
  });

  it('uses \\1 backreferences and PCRE pattern syntax', () => {
    expect(applySed('s/(?P<user>\\w+)@(\\w+)/\\2:\\1/', 'joe@corp')).toBe('corp:joe');
    expect(applySed('s/(?i)SECRET=\\S+/SECRET=***/g', 'a secret=1 b Secret=2')).toBe('a SECRET=*** b SECRET=***');
    expect(applySed('s/\\x00//g', 'a\u0000b\u0000')).toBe('ab'); // from an ESCU macro
  });

  it('keeps $ and & literal in the replacement', () => {
    expect(applySed('s/(a)/$1 $& & \\$/', 'a')).toBe('$1 $& & $');
    expect(applySed('s/a/\\\\/g', 'aXa')).toBe('\\X\\');
  });

  it('maps group numbers when atomic groups add hidden groups', () => {
    expect(applySed('s/(?>(a))(b)/\\2\\1/', 'xab')).toBe('xba');
    expect(applySed('s/(\\d)++-(\\w)/\\2\\1/', '12-z')).toBe('z2');
  });

  it('transliterates with y', () => {
    expect(applySed('y/abc/xyz/', 'aabbcc-d')).toBe('xxyyzz-d');
    expect(applySed('y/\u00e9/e/', 'caf\u00e9')).toBe('cafe');
  });

  it('reports regex errors of the s pattern', () => {
    expect(() => applySed('s/(?R)/x/', 'a')).toThrow(RegexError);
  });
});

describe('convertReplacement', () => {
  it('builds a String.replace callback that never interprets $', () => {
    const t = translatePcre('(\\w+)=(\\w+)');
    const fn = convertReplacement('\\2=\\1 ($0 \\0)', t);
    expect('a=b'.replace(new RegExp(t.source, t.flags), fn)).toBe('b=a ($0 a=b)');
  });

  it('substitutes the empty string for a group that did not participate', () => {
    const t = translatePcre('(a)|(b)');
    const fn = convertReplacement('[\\1|\\2]', t);
    expect('ab'.replace(new RegExp(t.source, `g${t.flags}`), fn)).toBe('[a|][|b]');
  });

  it('rejects a reference to a group the pattern does not have', () => {
    const t = translatePcre('(a)');
    expect(() => convertReplacement('\\2', t)).toThrow(/group 2/);
  });

  it('treats a trailing backslash and unknown escapes literally', () => {
    expect(replacePcre('a', 'a', 'x\\')).toBe('x\\');
    expect(replacePcre('a', 'a', '\\q')).toBe('q');
  });
});

describe('replacePcre (eval replace())', () => {
  it('replaces every match by default', () => {
    expect(replacePcre('1.2.3', '\\.', '-')).toBe('1-2-3');
    expect(replacePcre('CORP\\\\alice', '\\\\\\\\', '')).toBe('CORPalice');
    expect(replacePcre('web-7f8d9c6b5-x2k4p', '-\\w{5}$|-[abcdef0-9]{8,10}-\\w{5}$', '')).toBe('web');
    expect(replacePcre('C:\\Windows\\System32\\cmd.exe', '(.*\\\\)', '')).toBe('cmd.exe');
  });

  it('can replace one occurrence', () => {
    expect(replacePcre('a-a-a', 'a', 'b', { global: false })).toBe('b-a-a');
    expect(replacePcre('a-a-a', 'a', 'b', { global: false, occurrence: 3 })).toBe('a-a-b');
  });

  it('translates PCRE-only syntax in the pattern', () => {
    expect(replacePcre('abc\n', 'c$', 'C')).toBe('abC\n');
    expect(replacePcre('x\u00a0y z', '\\s', '_')).toBe('x\u00a0y_z');
  });
});
