import { describe, expect, it, vi } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { compileRawFilter, GUARD_ESCAPE, GUARD_LONG_S, literalGuards, metadataPredicate, rawAnchors, textGuards, trimRawFilter, wildcardMatcher, wildcardTest, emptyScanRequest, type RawFilter } from '../../src/events/scan.js';
import { anchorsFit, LineScanner, scanGroups } from '../../src/sources/line-scan/line-scan.js';

/** Deterministic pseudo-random numbers (the test must be reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Characters whose case folding differs between toLowerCase and RegExp `i` (Kelvin sign, dotted I, long s, sharp s).
// `\\`, `u` and `/` make the escapes that may spell a literal another way (`\\u`, `\\/`).
const ALPHABET = ['a', 'B', 'k', 'K', 'i', 'S', 's', 'u', '\u212a', '\u0130', '\u017f', '\u00df', '\u00e9', '\u00c9', '*', '-', '"', '/', ' ', '.', '\\'];
const word = (r: () => number, max: number): string =>
  Array.from({ length: Math.floor(r() * max) }, () => ALPHABET[Math.floor(r() * ALPHABET.length)] as string).join('');

/** The former anchored-regex implementation of wildcard patterns, kept as the reference. */
function regexWildcard(pattern: string, caseInsensitive: boolean): (v: string) => boolean {
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*') + '$', caseInsensitive ? 'i' : '');
  return (v) => re.test(v);
}

describe('wildcardTest', () => {
  it('matches exactly what the anchored regex matched, in linear time', () => {
    const r = rng(1);
    for (let i = 0; i < 6000; i++) {
      const pattern = word(r, 6) + '*' + word(r, 6);
      const value = r() < 0.5 ? word(r, 12) : pattern.replace(/\*/g, () => word(r, 3));
      for (const ci of [true, false]) expect(wildcardTest(pattern, ci)(value), `${pattern} ~ ${value} (${ci})`).toBe(regexWildcard(pattern, ci)(value));
    }
    // A value that made the regex backtrack (O(n^6) here: it would never finish within the test's timeout).
    expect(wildcardTest('*a*a*a*a*a*a*b', true)('a'.repeat(50_000))).toBe(false);
  });

  it('keeps wildcardMatcher: toLowerCase for exact patterns, RegExp i with *', () => {
    expect(wildcardMatcher('cisco:isovalent:processExec')('CISCO:ISOVALENT:PROCESSEXEC')).toBe(true);
    expect(wildcardMatcher('k')('\u212a')).toBe(true); // toLowerCase folds the Kelvin sign to k
    expect(wildcardMatcher('k*')('\u212a')).toBe(false); // RegExp i does not
    expect(wildcardMatcher('cisco:*')('Cisco:isovalent')).toBe(true);
    expect(wildcardMatcher('*')('')).toBe(true);
  });
});

describe('metadataPredicate', () => {
  it('remembers verdicts per value without mixing fields or events up', () => {
    const pass = metadataPredicate({ ...emptyScanRequest(), metadata: [{ field: 'sourcetype', patterns: ['a*'] }, { field: 'host', patterns: ['h1', 'h2'] }] });
    const e = (sourcetype: string, host: string): Event => ({ _time: 0, index: 'main', sourcetype, source: 's', host, _raw: '' });
    const seq: [string, string, boolean][] = [
      ['ab', 'h1', true], ['ab', 'h3', false], ['ab', 'H2', true], ['b', 'h2', false], ['A', 'h2', true], ['A', 'h1', true], ['b', 'h1', false],
    ];
    for (const [st, host, want] of seq) expect(pass(e(st, host)), `${st} ${host}`).toBe(want);
    const byIndex = metadataPredicate({ ...emptyScanRequest(), defaultIndexes: ['main'] });
    expect([byIndex({ ...e('x', 'h'), index: 'MAIN' }), byIndex({ ...e('x', 'h'), index: 'risk' }), byIndex(e('x', 'h'))]).toEqual([true, false, true]);
  });
});

/** The per-literal semantics (a literal holds when found, or when the line may spell it another way): the reference. */
function reference(f: RawFilter): (raw: string) => boolean {
  switch (f.kind) {
    case 'contains': {
      const t = f.text;
      const other = (raw: string) => (textGuards(raw) & literalGuards(f)) !== 0;
      if (f.key === true || !/[a-z]/i.test(t)) return (raw) => raw.includes(t) || other(raw);
      const re = new RegExp(t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
      return (raw) => re.test(raw) || other(raw);
    }
    case 'regex': {
      const re = new RegExp(f.source, f.flags);
      return (raw) => re.test(raw) || (!f.verbatim && (textGuards(raw) & 1) !== 0);
    }
    case 'and': {
      const parts = f.items.map(reference);
      return (raw) => parts.every((p) => p(raw));
    }
    case 'or': {
      const parts = f.items.map(reference);
      return (raw) => parts.some((p) => p(raw));
    }
  }
}

function genFilter(r: () => number, depth: number): RawFilter {
  const x = r();
  if (depth > 2 || x < 0.5) {
    const text = word(r, 4) || 'a';
    const y = r();
    return y < 0.3 ? { kind: 'contains', text, key: true } : y < 0.45 ? { kind: 'contains', text, verbatim: true } : { kind: 'contains', text };
  }
  // Disjunctions up to 7 wide: past 4, compileRawFilter tests their anchors' alternation first.
  const items = Array.from({ length: Math.floor(r() * (x < 0.75 ? 4 : 8)) }, () => genFilter(r, depth + 1));
  return { kind: x < 0.75 ? 'and' : 'or', items };
}

describe('compileRawFilter and rawAnchors', () => {
  it('compile to the per-literal semantics, and the line scan of the anchors never skips a passing line', () => {
    const r = rng(2);
    let anchored = 0;
    let skippedLines = 0;
    for (let i = 0; i < 5000; i++) {
      const f = genFilter(r, 0);
      // Half the time ordered by a sample (its items rarest or most frequent first): the same semantics.
      const sample = i % 4 < 2 ? undefined : Array.from({ length: 6 }, () => word(r, 24));
      const test = compileRawFilter(f, sample) as (raw: string) => boolean;
      const ref = reference(f);
      const anchors = rawAnchors(f, undefined, { keys: i % 2 === 0 }); // key names as anchors too, half the time
      const groups = anchors === null ? null : scanGroups(anchors);
      const scanner = groups === null ? null : new LineScanner(groups, Buffer.alloc(0));
      if (scanner !== null) anchored++;
      for (let j = 0; j < 8; j++) {
        const raw = word(r, 24);
        const pass = ref(raw);
        expect(test(raw), `${JSON.stringify(f)} on ${raw}`).toBe(pass);
        if (scanner === null) continue;
        // What FileSource does: an object-shaped line's UTF-8 bytes, skipped unless it holds an anchor or a
        // guard's spelling; a line the filter passes is never skipped.
        const line = Buffer.from(`{${raw}}\n`, 'utf8');
        const at = scanner.load(line, 0, line.length);
        const skipped = scanner.next(at, at + line.length) !== at;
        if (skipped) skippedLines++;
        expect(pass && skipped, `${JSON.stringify(anchors)} on ${raw}`).toBe(false);
      }
    }
    expect(anchored).toBeGreaterThan(500);
    expect(skippedLines).toBeGreaterThan(1000);
  });

  it('finds a key name starting with a quote exactly where includes does (its rest is searched first)', () => {
    const cases: [string, string][] = [
      ['"pod"', '{"pod":1}'],
      ['"pod"', 'pod" "pod'],
      ['"pod"', 'x"pod"'],
      ['"pod"', '"pod'],
      ['""a', '"""a'],
      ['""a', '"a""a'],
      ['"a"', 'a"a"'],
      ['"process_exec"', '{"process_exit":{},"x":"process_exec"}'],
      ['"process_exec"', '{"y":"process_exec\\"}'],
    ];
    for (const [text, raw] of cases) {
      const test = compileRawFilter({ kind: 'contains', text, key: true, verbatim: true }) as (raw: string) => boolean;
      expect(test(raw), `${text} in ${raw}`).toBe(raw.includes(text));
    }
  });

  it('tests a wide disjunction through its anchors first, with the same verdicts', () => {
    const tools = ['nmap', 'curl', 'zmap', 'hydra', 'john', 'nc'];
    const f: RawFilter = {
      kind: 'or',
      items: tools.map((t) => ({ kind: 'and', items: [{ kind: 'contains', text: t }, { kind: 'contains', text: `/${t}"` }] })),
    };
    const test = compileRawFilter(f) as (raw: string) => boolean;
    const ref = reference(f);
    for (const raw of ['{"binary":"/usr/bin/curl"}', '{"binary":"/usr/bin/CURL"}', '{"binary":"/usr/bin/wget"}', '{"binary":"/usr/bin/\\u0063url"}', '{"a":"nc","binary":"/bin/sh"}', '{"binary":"/bin/nc"}', '']) {
      expect(test(raw), raw).toBe(ref(raw));
    }
    expect(test('{"binary":"/usr/bin/curl"}')).toBe(true);
    expect(test('{"binary":"/usr/bin/wget"}')).toBe(false);
    expect(test('{"binary":"/usr/bin/\\u0063url"}')).toBe(true); // another spelling: cannot be ruled out
    // With alternatives of no anchors of their own (a key name, a regex): those tested apart, the same verdicts.
    const mixed: RawFilter = { kind: 'or', items: [...f.items, { kind: 'contains', text: '"process_connect"', key: true }, { kind: 'regex', source: 'wg[e]t', flags: 'i', verbatim: true }] };
    const mixedTest = compileRawFilter(mixed) as (raw: string) => boolean;
    const mixedRef = reference(mixed);
    for (const raw of ['{"binary":"/usr/bin/curl"}', '{"process_connect":{}}', '{"binary":"/usr/bin/wget"}', '{"binary":"/usr/bin/\\u0063url"}', '{"binary":"/bin/sh"}']) {
      expect(mixedTest(raw), raw).toBe(mixedRef(raw));
    }
    expect(['{"process_connect":{}}', '{"binary":"/usr/bin/wget"}', '{"binary":"/bin/sh"}'].map(mixedTest)).toEqual([true, true, false]);
    // The alternatives an anchor found picks, anchors overlapping (`ab` then `bcd` in `abcd`), in any case.
    const pair = (t: string, u: string): RawFilter => ({ kind: 'and', items: [{ kind: 'contains', text: t, verbatim: true }, { kind: 'contains', text: u, verbatim: true }] });
    const overlapping: RawFilter = { kind: 'or', items: [pair('ab', 'zz'), pair('bcd', 'bcd'), pair('xy', 'x'), pair('qr', 'q'), pair('mn', 'm')] };
    const overlapTest = compileRawFilter(overlapping) as (raw: string) => boolean;
    expect(['abcd', 'ABCD', 'ab zz', 'abcabc', 'ab', 'qr', 'nm'].map(overlapTest)).toEqual([true, true, true, false, false, true, false]);
  });

  it('tests the alternatives of each anchor a line holds once, however often the anchors come back in it', () => {
    // Tool names, each with a condition the line lacks (shorter: the names are the anchors).
    const c = (text: string): RawFilter => ({ kind: 'contains', text });
    const f: RawFilter = { kind: 'or', items: ['nmap', 'hydra', 'curl', 'socat', 'ncat', 'john'].map((t) => ({ kind: 'and', items: [c(`"${t}"`), c('/bin')] })) };
    const test = compileRawFilter(f) as (raw: string) => boolean;
    // Two anchors alternating 2000 times: each occurrence tested its alternative again, a search of the whole line
    // (quadratic: `Pods Running Offensive Tools` over one 400 KB line of them took 4.4 s, a 16 MB HEC event hours).
    const line = `{"process_exec":{"x":[${'"nmap","hydra",'.repeat(2000)}""]}}`;
    const searches = vi.spyOn(RegExp.prototype, 'test');
    try {
      expect(test(line)).toBe(false);
      expect(searches.mock.calls.length).toBeLessThan(20);
    } finally {
      searches.mockRestore();
    }
    expect(test(line.replace('"x"', '"/bin"'))).toBe(true);
  });

  it('passes a line where an alternative that is its own anchor (a literal) is found, searching it once', () => {
    const c = (text: string): RawFilter => ({ kind: 'contains', text });
    const shells = ['ksh', 'zsh', 'bash', 'fish'].map((t): RawFilter => ({ kind: 'and', items: [c(t), c(`/${t}"`)] }));
    const test = compileRawFilter({ kind: 'or', items: [c('/sh"'), ...shells] }) as (raw: string) => boolean;
    const searches = vi.spyOn(RegExp.prototype, 'test');
    try {
      expect(test('{"binary":"/bin/SH","x":"/bin/bash"}')).toBe(true);
      expect(searches.mock.calls.length).toBe(0); // the alternation's one search found `/sh"`: nothing else
      expect(test('{"binary":"/bin/bas","x":"bash"}')).toBe(false);
    } finally {
      searches.mockRestore();
    }
    expect(test('{"binary":"/bin/bash"}')).toBe(true);
  });

  it('picks value literals over key literals, longer over shorter, and gives up on key literals alone', () => {
    const c = (text: string, key = false): RawFilter => (key ? { kind: 'contains', text, key } : { kind: 'contains', text });
    expect(rawAnchors(null)).toBeNull();
    expect(rawAnchors(c('"binary"', true))).toBeNull();
    // Unless key names will do (a pack's event kinds).
    expect(rawAnchors({ kind: 'or', items: [c('"process_exec"', true), c('"process_kprobe', true)] }, undefined, { keys: true })).toMatchObject({ texts: ['"process_exec"', '"process_kprobe'], weak: true });
    expect(rawAnchors({ kind: 'and', items: [c('curl'), { kind: 'or', items: [c('/curl"'), c('"curl"')] }, c('"binary"', true)] })?.texts).toEqual(['/curl"', '"curl"']);
    expect(rawAnchors({ kind: 'and', items: [c('"process_exec"', true), c('nsenter')] })).toEqual({ texts: ['nsenter'], guards: GUARD_ESCAPE | GUARD_LONG_S, weak: false, conjuncts: [{ texts: ['"process_exec"'], guards: GUARD_ESCAPE | GUARD_LONG_S }] });
    // A conjunct every anchor holds adds nothing.
    expect(rawAnchors({ kind: 'and', items: [c('curl'), { kind: 'or', items: [c('/curl"'), c('"curl"')] }] })?.conjuncts).toEqual([]);
    expect(rawAnchors({ kind: 'or', items: [c('sh'), c('"pod"', true)] })).toBeNull();
    expect(rawAnchors(c('caf\u00e9'))).toBeNull(); // not ASCII: a latin1 search would miss it
    expect(rawAnchors({ kind: 'or', items: [c('SH'), c('sh'), c('a.b')] })?.texts).toEqual(['sh', 'a.b']);
    // An empty literal is in every line: never an anchor, and a sample does not make the choice loop on it.
    const sample = 'abc curl def\n"x"\n';
    expect(rawAnchors({ kind: 'and', items: [c('curl'), c('')] }, sample)?.texts).toEqual(['curl']);
    expect(rawAnchors(c(''), sample)).toBeNull();
    expect(rawAnchors({ kind: 'or', items: [c('curl'), c('')] }, sample)).toBeNull();
    expect(rawAnchors({ kind: 'and', items: [c('curl'), { kind: 'or', items: [c('a'), c('"x"')] }, { kind: 'or', items: [c(''), c('d')] }] }, sample)?.texts).toEqual(['curl']);
  });
});

describe('trimRawFilter and the anchors of a trimmed filter', () => {
  const c = (text: string, key = false): RawFilter => (key ? { kind: 'contains', text, key } : { kind: 'contains', text });
  const and = (...items: RawFilter[]): RawFilter => ({ kind: 'and', items });
  const or = (...items: RawFilter[]): RawFilter => ({ kind: 'or', items });
  /** The filter of `process_name IN (...) OR process IN ("*x*", "*ps aux*")` as normalize/raw-conditions.ts writes it. */
  const name = (n: string): RawFilter => and(c(n), or(and(or(c(`/${n}"`), c(`"${n}"`)), c('"binary"', true)), and(c(`"${n}"`), c('"process_name"', true))));
  const cmd = (...words: string[]): RawFilter => and(...words.map((w) => c(w)), or(and(...words.map((w) => c(w)), c('"binary"', true)), and(c(words.join(' ')), c('"process"', true))));
  const ESCAPE = or(or(name('nsenter'), name('mount'), name('ps'), name('ls')), or(cmd('nsenter'), cmd('mount'), cmd('ps', 'aux'), cmd('ps', '-ef')));
  // Process_exec lines: `"binary"`, `"process"` and `ls` (of `"false"`) in each, never `"process_name"`.
  const exec = (binary: string, args: string): string => `{"process_exec":{"process":{"binary":"${binary}","arguments":"${args}","flags":"execve","in_init_tree":false}}}`;
  const SAMPLE = Array.from({ length: 40 }, (_, i) => exec(['/bin/sh', '/usr/bin/curl', '/usr/bin/cat'][i % 3] as string, `-c x${i}`));
  const show = (f: RawFilter | null): string =>
    f === null ? 'TRUE' : f.kind === 'contains' ? f.text : f.kind === 'regex' ? `/${f.source}/` : `(${f.items.map(show).join(f.kind === 'and' ? ' AND ' : ' OR ')})`;

  it('leaves out what every sample line passes and what the rest implies; the anchors then fit a line scan', () => {
    const trimmed = trimRawFilter(ESCAPE, SAMPLE);
    expect(show(trimmed)).toBe('((ps AND (/ps" OR "ps")) OR /ls" OR "ls" OR nsenter OR mount OR (ps AND aux) OR (ps AND -ef))');
    // One alternative's `ps` serves three: five texts (`/ls"` and `"ls"` then share a slot), not eight.
    const anchors = rawAnchors(trimmed, SAMPLE.join('\n'), { fits: anchorsFit });
    expect(anchors?.texts).toEqual(['ps', '/ls"', '"ls"', 'nsenter', 'mount']);
    expect(scanGroups(anchors as NonNullable<typeof anchors>)).not.toBeNull();
    // Untrimmed, `ls` holds in every line and the anchors did not fit.
    expect(scanGroups(rawAnchors(ESCAPE, SAMPLE.join('\n'), { fits: anchorsFit }) as NonNullable<typeof anchors>)).toBeNull();
    // All but one in 32 lines (40: one line) will do; a filter every line passes is not worth testing: null.
    expect(show(trimRawFilter(and(c('cat'), c('"flags"', true)), SAMPLE))).toBe('cat');
    expect(show(trimRawFilter(and(c('curl'), c('in_init'), c('x1')), [...SAMPLE.slice(1), exec('/bin/sh', '')]))).toBe('(curl AND x1)');
    expect(trimRawFilter(or(c('sh'), c('curl')), SAMPLE)).not.toBeNull();
    expect(trimRawFilter(or(c('/sh"'), c('curl'), c('cat')), SAMPLE)).toBeNull();
    // Too few lines to judge: as it was.
    expect(trimRawFilter(ESCAPE, SAMPLE.slice(0, 19))).toBe(ESCAPE);
    // A keyed regex is tested on a few values, which pass fewer lines than the line: not judged by the line.
    const keyed: RawFilter = { kind: 'regex', source: 'x', flags: 'i', keys: ['arguments'] };
    expect(show(trimRawFilter(and(c('"binary"', true), keyed), SAMPLE))).toBe('/x/');
    expect(trimRawFilter(or(c('"binary"', true), keyed), SAMPLE)).toBeNull();
  });

  it('stays a necessary condition, and the line scan of its anchors never skips a line the filter passes', () => {
    const r = rng(31);
    let trimmed = 0;
    let scanned = 0;
    for (let i = 0; i < 3000; i++) {
      const f = genFilter(r, 0);
      // Sample lines sharing words (literals every line holds) around words of their own.
      const common = word(r, 5);
      const sample = Array.from({ length: 20 + Math.floor(r() * 30) }, () => `${word(r, 10)}${common}${word(r, 10)}`);
      const t = trimRawFilter(f, sample);
      if (t !== f) trimmed++;
      const ref = reference(f);
      const trimmedRef = t === null ? () => true : reference(t);
      const anchors = t === null ? null : rawAnchors(t, sample.join('\n'), { keys: true, fits: anchorsFit });
      const groups = anchors === null ? null : scanGroups(anchors);
      const scanner = groups === null ? null : new LineScanner(groups, Buffer.from(sample.join('\n')));
      if (scanner !== null) scanned++;
      for (const raw of [...sample.slice(0, 4), ...Array.from({ length: 8 }, () => word(r, 24))]) {
        if (!ref(raw)) continue;
        expect(trimmedRef(raw), `${JSON.stringify(f)} -> ${JSON.stringify(t)} on ${raw}`).toBe(true);
        if (scanner === null) continue;
        const line = Buffer.from(`{${raw}}\n`, 'utf8');
        const at = scanner.load(line, 0, line.length);
        expect(scanner.next(at, at + line.length), `${JSON.stringify(anchors)} on ${raw}`).toBe(at);
      }
    }
    expect(trimmed).toBeGreaterThan(300);
    expect(scanned).toBeGreaterThan(300);
  });
});

describe('wide disjunctions of ASCII anchors (the alternatives tested per anchor found)', () => {
  // Few letters: anchors overlap and hold one another (`ab`, `ba`, `aba`); lines add other spellings of `k`, `s`, `/`.
  const LETTERS = ['a', 'b', 'A', 'k', 's', '/', '-'];
  const LINE = ['a', 'b', 'A', 'B', 'k', 'K', 's', 'S', '/', '-', '\u212a', '\u017f', '\\', 'u', ' '];
  const pick = <T,>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const lit = (r: () => number): RawFilter => {
    const text = Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, LETTERS)).join('');
    const y = r();
    return y < 0.15 ? { kind: 'contains', text, key: true } : y < 0.35 ? { kind: 'contains', text, verbatim: true } : { kind: 'contains', text };
  };
  const alt = (r: () => number, depth: number): RawFilter => {
    const x = r();
    if (depth > 1 || x < 0.3) return lit(r);
    if (x < 0.4) return { kind: 'regex', source: pick(r, ['a.b', 'k+', 's/']), flags: 'i', verbatim: r() < 0.5 };
    const items = Array.from({ length: 1 + Math.floor(r() * 3) }, () => alt(r, depth + 1));
    return { kind: x < 0.8 ? 'and' : 'or', items };
  };
  it('gives the per-literal verdicts, trimmed or not, and the scan of its anchors skips no passing line', () => {
    const r = rng(97);
    let passing = 0;
    for (let i = 0; i < 3000; i++) {
      const f: RawFilter = { kind: 'or', items: Array.from({ length: 5 + Math.floor(r() * 8) }, () => alt(r, 0)) };
      const line = (): string => Array.from({ length: Math.floor(r() * 30) }, () => pick(r, LINE)).join('');
      const sample = Array.from({ length: 24 }, line);
      const ref = reference(f);
      const plain = compileRawFilter(f) as (raw: string) => boolean;
      const ordered = compileRawFilter(f, sample) as (raw: string) => boolean;
      const t = trimRawFilter(f, sample);
      const trimmed = t === null ? () => true : (compileRawFilter(t, sample) as (raw: string) => boolean);
      const anchors = t === null ? null : rawAnchors(t, sample.join('\n'), { keys: true, fits: anchorsFit });
      const groups = anchors === null ? null : scanGroups(anchors);
      const scanner = groups === null ? null : new LineScanner(groups, Buffer.from(sample.join('\n')));
      for (let j = 0; j < 12; j++) {
        const raw = line();
        const pass = ref(raw);
        if (pass) passing++;
        expect(plain(raw), `${JSON.stringify(f)} on ${raw}`).toBe(pass);
        expect(ordered(raw), `${JSON.stringify(f)} on ${raw}`).toBe(pass);
        if (!pass) continue;
        expect(trimmed(raw), `${JSON.stringify(t)} on ${raw}`).toBe(true);
        if (scanner === null) continue;
        const bytes = Buffer.from(`{${raw}}\n`, 'utf8');
        const at = scanner.load(bytes, 0, bytes.length);
        expect(scanner.next(at, at + bytes.length), `${JSON.stringify(anchors)} on ${raw}`).toBe(at);
      }
    }
    expect(passing).toBeGreaterThan(1000);
  });
});
