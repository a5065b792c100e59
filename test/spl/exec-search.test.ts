import { describe, expect, it } from 'vitest';
import { Row } from '../../src/events/result.js';
import type { Scalar } from '../../src/events/value.js';
import { parseSearch } from '../../src/spl/index.js';
import type { SearchArgs } from '../../src/spl/commands/search.js';
import { compileSearch, remembering } from '../../src/spl/search/predicate.js';

/** Deterministic pseudo-random numbers (the test must be reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const predicate = (spl: string): ((r: Row) => boolean) => {
  const ast = parseSearch(spl);
  return compileSearch((ast.commands[0]!.args as SearchArgs).expr, ast.source);
};

const PATTERNS = ['curl', 'CURL', 'sh', '"b a"', '*sh', 'k*', '5', '5.0', '-0', '1e1', '10.0.0.0/8', '*', '\u212a', 'K', 'ß', 'x*y', '""'];
const VALUES: Scalar[] = ['curl', 'Curl', 'bash', 'sh', 'b a', 'K', 'k', '\u212a', 'kube', 5, 5.5, '5', ' 5 ', 10, '10.1.2.3', 0, -0, '', 'ß', 'SS', 'xay', 'x'];

describe('IN (exact patterns as one Set lookup)', () => {
  it('matches exactly what the OR of its = comparisons matches', () => {
    const r = rng(4);
    for (let i = 0; i < 400; i++) {
      const pats = Array.from({ length: 1 + Math.floor(r() * 5) }, () => PATTERNS[Math.floor(r() * PATTERNS.length)] as string);
      const inPred = predicate(`search f IN (${pats.join(', ')})`);
      const orPred = predicate(`search (${pats.map((p) => `f=${p}`).join(' OR ')})`);
      for (let j = 0; j < 20; j++) {
        const n = Math.floor(r() * 3);
        const vals = Array.from({ length: n }, () => VALUES[Math.floor(r() * VALUES.length)] as Scalar);
        const row = new Row(n === 0 ? {} : { f: n === 1 ? (vals[0] as Scalar) : vals });
        expect(inPred(row), `${pats.join(',')} on ${JSON.stringify(vals)}`).toBe(orPred(row));
      }
    }
  });
});

describe('matchers remember their verdicts', () => {
  it('remember short texts and numbers, not texts longer than 512 characters (1024 of a megabyte each would stay alive)', () => {
    const seen: Scalar[] = [];
    const m = remembering((v) => {
      seen.push(v);
      return typeof v === 'string' && v.startsWith('a');
    }, true);
    const long = 'a'.repeat(513);
    const short = 'a'.repeat(512);
    for (const v of [long, 'x', long, short, 'x', short, 7, 'x', 7]) m(v);
    // Each value once, but the long one twice: it was not remembered.
    expect(seen).toEqual([long, 'x', long, short, 7]);
    expect(m(long)).toBe(true);
  });

  it('give every value the verdict a fresh matcher gives, over repeated, alternating and more than 1024 distinct values', () => {
    const r = rng(9);
    // Few values that recur (as images or process names do) and many that do not (as command lines).
    const many: Scalar[] = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? `Img-${i}` : i % 3 === 1 ? `img-${i}:latest` : i));
    const pool: Scalar[] = [...VALUES, ...many];
    for (const spl of ['search f IN (curl, "img-1*", "*:latest", 5, -0, k*)', 'search f="img-2*"', 'search f!=5', 'search NOT f IN (sh, "IMG-3*")']) {
      const kept = predicate(spl);
      for (let j = 0; j < 6000; j++) {
        const v = j % 2 === 0 ? (VALUES[Math.floor(r() * VALUES.length)] as Scalar) : (pool[Math.floor(r() * pool.length)] as Scalar);
        const row = new Row({ f: v });
        expect(kept(row), `${spl} on ${JSON.stringify(v)}`).toBe(predicate(spl)(row));
      }
    }
  });
});

describe('bare terms with wildcards', () => {
  const raw = (spl: string, text: string) => predicate(spl)(new Row({ _raw: text }));

  it('run in linear time on a long _raw that does not match (several * backtracked without end: the test never ended)', () => {
    const long = 'a'.repeat(5000);
    for (const term of [`"${'*a'.repeat(18)}*b"`, `${'a*'.repeat(18)}b`, `TERM(${'a*'.repeat(14)}b)`, 'a*b']) {
      expect(raw(`search ${term}`, long), term).toBe(false);
      expect(raw(`search ${term}`, `${long} b`), term).toBe(true);
    }
  });

  it('keep their meaning: parts in order, a boundary before a leading part and after a trailing one', () => {
    const cases: [string, string, boolean][] = [
      ['usr*curl', '/usr/bin/curl -k', true], ['usr*curl', '/usr/bin/libcurl.so', true], ['usr*curl', '/usr/bin/curlx', false], ['usr*curl', 'xusr/bin/curl', false],
      ['bin*cu*', '/usr/bin/curl', true], ['*in*url', '/usr/bin/curl', true], ['*in*ur', '/usr/bin/curl', false],
      ['a*b*c', 'a c b c', true], ['a*b*c', 'a c b', false], ['a*b*c', 'xa b c', false], ['a*a', 'a', false], ['a*a', 'a a', true],
      ['a*a', 'aa', true], ['A*B', 'a.b', true], ['CASE(A*B)', 'a.b', false], ['CASE(A*B)', 'A.B', true], ['x**y', 'x y', true],
      ['TERM(a*c)', 'a.b.c d', true], ['TERM(a*c)', 'x.a.b.c d', false], ['TERM(a*c)', 'a.b.cd', false],
    ];
    for (const [term, text, want] of cases) expect(raw(`search ${term}`, text), `${term} on ${text}`).toBe(want);
  });
});

describe('TERM()', () => {
  const raw = (spl: string, text: string) => predicate(spl)(new Row({ _raw: text }));

  // A TERM() matches a term bounded by major breakers. Splunk's default major breakers (segmenters.conf.spec, MAJOR:
  // "[ ] < > ( ) { } | ! ; , ' \" * \n \r \s \t & ? + %21 %26 %2526 %3B %7C %20 %2B %3D -- %2520 %5D %5B %3A %0A
  // %2C %28 %29", \s a space; docs.splunk.com/Documentation/Splunk/latest/Admin/Segmentersconf); minor breakers
  // ("/ : = @ . - $ # % \\ _") and other characters do not bound it (Search Manual, "Use CASE() and TERM()").
  it('is bounded by every default major breaker, single characters and the multi-character ones', () => {
    for (const b of [' ', '\n', '\r', '\t', '"', "'", '[', ']', '(', ')', '{', '}', '<', '>', '|', '!', ';', ',', '*', '&', '?', '+', '--']) {
      expect(raw('search TERM(foo)', `a${b}foo${b}b`), JSON.stringify(b)).toBe(true);
    }
    for (const b of ['%21', '%26', '%2526', '%3B', '%7C', '%20', '%2B', '%3D', '%2520', '%5D', '%5B', '%3A', '%0A', '%2C', '%28', '%29']) {
      expect(raw('search TERM(foo)', `a${b}foo${b}b`), b).toBe(true);
    }
    expect(raw('search TERM(10.0.0.1)', 'GET /x?src=1&10.0.0.1&y')).toBe(true);
  });

  it('is not bounded by minor breakers or by characters that are no breakers', () => {
    for (const b of ['/', ':', '=', '@', '.', '-', '$', '#', '%', '\\', '_', '~', '^', '\v', '\f', '\u00a0']) {
      expect(raw('search TERM(foo)', `a${b}foo${b}b`), JSON.stringify(b)).toBe(false);
    }
    expect(raw('search TERM(10.0.0.1)', 'ip=10.0.0.1 port=22')).toBe(false);
  });
});

describe('bare terms', () => {
  const raw = (spl: string, text: string) => predicate(spl)(new Row({ _raw: text }));

  // A bare term matches an indexed segment: a major segment or a minor one within it (segmenters.conf.spec: "for each
  // minor breaker found, Splunk indexes the token from the last major breaker to the current minor breaker and from
  // the last minor breaker to the current minor breaker"), so it is bounded by any default major or minor breaker.
  it('are bounded by the default major and minor breakers, the URL-encoded major ones included', () => {
    for (const b of [' ', '\t', '"', '[', '*', '&', '?', '+', '/', ':', '=', '@', '.', '-', '$', '#', '%', '\\', '_', '%20', '%2B', '%3D']) {
      expect(raw('search foo', `a${b}foo${b}b`), JSON.stringify(b)).toBe(true);
    }
  });

  it('are not bounded by characters that are no breakers (~ ^ ` and control characters)', () => {
    for (const b of ['~', '^', '`', '\v', '\u0001']) expect(raw('search foo', `a${b}foo${b}b`), JSON.stringify(b)).toBe(false);
    expect(raw('search curl', 'cd ~curl')).toBe(false);
    expect(raw('search curl', 'cd ~/curl')).toBe(true);
  });

  // Search Manual, "Search command primer": a quoted phrase returns the events "that contain the phrase". Its terms
  // are looked up as segments (segmenters.conf.spec above), so an end of the phrase that is a breaker itself
  // (`/etc/passwd` is segmented as `etc`, `passwd`) takes no other breaker beside it.
  it('need no breaker beside an end that is itself a breaker', () => {
    expect(raw('search "/etc/passwd"', 'cat x/etc/passwd')).toBe(true);
    expect(raw('search "/etc/"', 'cat /etc/passwd')).toBe(true);
    expect(raw('search "-k"', 'curl x-k')).toBe(true);
    expect(raw('search "/etc/passwd"', 'cat /etc/passwdx')).toBe(false);
    expect(raw('search TERM(/etc/passwd)', 'cat x/etc/passwd')).toBe(false);
  });
});

