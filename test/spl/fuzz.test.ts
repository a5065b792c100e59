import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { checkSearch, parseSearch, SplError } from '../../src/spl/index.js';
import { rng } from '../rng.js';

/**
 * Throws random and mutated SPL at the front end: it must never crash (only SplError), and every error
 * must carry a position inside the text it reports on. Seeded, so a failure reproduces.
 */

const PIECES = [
  '|', '||', '(', ')', '[', ']', '"', "'", '`', '```', ',', '=', '!=', '<', '>=', '==', '*', '\\', '$', '/*', '*/',
  'search', 'stats', 'count', 'by', 'BY', 'AS', 'as', 'eval', 'where', 'regex', 'rex', 'table', 'rename', 'bin', 'span=5m',
  'AND', 'OR', 'NOT', 'IN', 'like', 'if(', 'case(', 'match(', 'values(', 'mvindex(', 'x', 'process_name', '"curl"', '"(?i)a|b"',
  '-70m@m', 'earliest=', 'latest=now', '10', '3.5', '-1', 'max_match=0', 'mode=sed', '"s/a/b/g"', '`cisco_isovalent`',
  '`security_content_ctime(firstTime)`', 'makeresults', 'head', 'sort', '-x', 'dedup', 'convert', 'ctime(x)', '\n', ' ', '  ',
];

function randomSpl(r: () => number): string {
  const n = 1 + Math.floor(r() * 25);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)]! + (r() < 0.7 ? ' ' : '');
  return s;
}

function mutate(s: string, r: () => number): string {
  const ops = 1 + Math.floor(r() * 4);
  let out = s;
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(r() * (out.length + 1));
    const kind = r();
    if (kind < 0.4) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(r() * 5));
    else if (kind < 0.8) out = out.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)]! + out.slice(at);
    else out = out.slice(0, at) + out.slice(at).split('').reverse().join('').slice(0, 3) + out.slice(at + 3);
  }
  return out;
}

const outcome = { ok: 0, errors: 0 };

function check(spl: string, macros: ReturnType<typeof loadContent>['macros']): void {
  for (const run of [() => parseSearch(spl, macros), () => checkSearch(spl, { macros, now: 1_700_000_000 })]) {
    try {
      run();
      outcome.ok++;
    } catch (e) {
      outcome.errors++;
      if (!(e instanceof SplError)) throw new Error(`crash on ${JSON.stringify(spl)}`, { cause: e });
      const loc = e.location();
      expect(loc, `no position for ${JSON.stringify(spl)}: ${e.message}`).not.toBeNull();
      expect(loc!.offset).toBeGreaterThanOrEqual(0);
      expect(loc!.offset).toBeLessThanOrEqual(loc!.origin.text.length);
      expect(e.format()).toContain(`${loc!.line}:${loc!.column}`);
    }
  }
}

describe('SPL front end fuzzing', () => {
  const pack = loadContent();
  it('survives 3000 random token soups', () => {
    const r = rng(42);
    for (let i = 0; i < 3000; i++) check(randomSpl(r), pack.macros);
  });

  it('survives 3000 mutations of the bundled detections', () => {
    const r = rng(7);
    const seeds = pack.detections.map((d) => d.search);
    for (let i = 0; i < 3000; i++) check(mutate(seeds[i % seeds.length]!, r), pack.macros);
  });

  it('exercised both outcomes', () => {
    // A fuzzer that only ever fails (or only passes) would prove nothing.
    expect(outcome.ok).toBeGreaterThan(100);
    expect(outcome.errors).toBeGreaterThan(100);
  });
});
