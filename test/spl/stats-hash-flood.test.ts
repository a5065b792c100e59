import { describe, expect, it } from 'vitest';
import { Row } from '../../src/events/result.js';
import type { ExecContext } from '../../src/spl/commands/types.js';
import { aggregationFor } from '../../src/spl/stats/aggregations.js';
import { AggregationGroups, Aggregator } from '../../src/spl/stats/aggregator.js';
import type { AggregationSpec } from '../../src/spl/stats/parse.js';

/**
 * Integers whose V8 Map hash (ComputeUnseededHash, Thomas Wang's: invertible, no seed) agree in their low `bits`
 * bits: a Map keyed by them chains them all in one bucket. A sender picks pids freely.
 */
function colliding(n: number, bits: number): number[] {
  const inv = (a: number): number => {
    let [r0, r1, s0, s1] = [BigInt(a), 1n << 32n, 1n, 0n];
    while (r1 !== 0n) {
      const q = r0 / r1;
      [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
    }
    return Number(BigInt.asUintN(32, s0));
  };
  const unxor = (h: number, s: number): number => {
    let x = h;
    for (let i = 0; i <= 32 / s; i++) x = (h ^ (x >>> s)) >>> 0;
    return x;
  };
  const unhash = (h: number): number => {
    h = (h ^ (h >>> 16)) >>> 0;
    h = Math.imul(h, inv(2057)) >>> 0;
    h = unxor(h, 4);
    h = Math.imul(h, inv(5)) >>> 0;
    h = unxor(h, 12);
    return Math.imul((h + 1) >>> 0, inv(32767)) | 0;
  };
  const out: number[] = [];
  for (let j = 1; out.length < n; j++) {
    const k = unhash((j << bits) >>> 0);
    if (k >= -(2 ** 30) && k < 2 ** 30) out.push(k);
  }
  return out;
}

describe('stats by a numeric field a sender controls', () => {
  it('does not slow down on numbers crafted to share a V8 Map hash bucket', () => {
    const spec: AggregationSpec = { fnName: 'count', blueprint: aggregationFor('count')!, field: null, expr: null, as: 'count', span: { start: 0, end: 0 } };
    const run = (pids: number[]): { ms: number; groups: number } => {
      const groups = new AggregationGroups(new Aggregator([spec], {} as ExecContext), ['pid']);
      const t0 = performance.now();
      for (const pid of pids) {
        const row = new Row({ pid });
        groups.add(row, row);
      }
      return { ms: performance.now() - t0, groups: groups.size };
    };
    const n = 32000;
    const crafted = colliding(n, 15);
    const plain = Array.from({ length: n }, (_, i) => 100000 + i * 7);
    run(plain); // warm-up
    const a = run(plain);
    const b = run(crafted);
    expect(b.groups).toBe(n);
    // Keyed by the numbers themselves (before 90cc8bf): 2.4-3.9 s against 30-150 ms, quadratic in the groups.
    expect(b.ms).toBeLessThan(4 * a.ms + 250);
  });
});
