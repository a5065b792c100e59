import { describe, expect, it } from 'vitest';
import { Row } from '../../src/events/result.js';
import type { ExecContext } from '../../src/spl/commands/types.js';
import { aggregationFor } from '../../src/spl/stats/aggregations.js';
import { AggregationGroups, Aggregator, NumberIds } from '../../src/spl/stats/aggregator.js';
import type { AggregationSpec } from '../../src/spl/stats/parse.js';

/** The inverse of an odd multiplier modulo 2^32. */
function inv(a: number): number {
  let [r0, r1, s0, s1] = [BigInt(a), 1n << 32n, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return Number(BigInt.asUintN(32, s0));
}

/** The x of h = x ^ (x >>> s). */
function unxor(h: number, s: number): number {
  let x = h;
  for (let i = 0; i <= 32 / s; i++) x = (h ^ (x >>> s)) >>> 0;
  return x;
}

/**
 * Integers that murmur3's finalizer (NumberIds' slot hash) sends to slot 0 of a table of 2^bits slots when the
 * seed is 0: what a sender who knew the code but not the seed would send.
 */
function collidingUnseeded(n: number, bits: number): number[] {
  const unmix = (h: number): number => {
    h = unxor(h >>> 0, 16);
    h = Math.imul(h, inv(0xc2b2ae35)) >>> 0;
    h = unxor(h, 13);
    h = Math.imul(h, inv(0x85ebca6b)) >>> 0;
    return unxor(h, 16) | 0;
  };
  return Array.from({ length: n }, (_, j) => unmix((j + 1) << bits));
}

/**
 * Integers whose V8 Map hash (ComputeUnseededHash, Thomas Wang's: invertible, no seed) agree in their low `bits`
 * bits: a Map keyed by them chains them all in one bucket. A sender picks pids freely.
 */
function colliding(n: number, bits: number): number[] {
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

/** V8's hash of a small-integer Map key (ComputeUnseededHash), which `colliding` inverts. */
function v8IntHash(k: number): number {
  let h = (~k + (k << 15)) | 0;
  h = h ^ (h >>> 12);
  h = (h + (h << 2)) | 0;
  h = h ^ (h >>> 4);
  h = Math.imul(h, 2057);
  h = h ^ (h >>> 16);
  return h & 0x3fffffff;
}

describe('stats by a numeric field a sender controls', () => {
  it('keys numbers crafted to share a V8 Map hash bucket so that they spread over the buckets, and keeps every group', () => {
    const n = 32000;
    const bits = 15;
    const crafted = colliding(n, bits);
    const bucket = (k: number): number => v8IntHash(k) & ((1 << bits) - 1);
    // Keyed by themselves (before 90cc8bf), all in one bucket: 2.4-3.9 s for stats by them, against 30-150 ms.
    expect(new Set(crafted.map(bucket)).size).toBe(1);
    const ids = new NumberIds();
    const slot = (k: number | string): number => (k as number) & ((1 << bits) - 1);
    const keys = crafted.map((x) => ids.key(x));
    expect(keys.every((k) => typeof k === 'number')).toBe(true);
    // Seeded slots: as spread as random ones (~63% of 2^15 slots for 32k keys).
    expect(new Set(keys.map(slot)).size).toBeGreaterThan(n / 4);
    // Ints made to share a slot of the table's hash without its seed spread as well; with the seed, they do share it.
    const unseeded = collidingUnseeded(n, bits);
    expect(new Set(unseeded.map((x) => slot(ids.key(x)))).size).toBeGreaterThan(n / 4);
    expect(new Set(unseeded.map((x) => slot(ids.key(x ^ (ids as unknown as { seed: number }).seed)))).size).toBe(1);

    const spec: AggregationSpec = { fnName: 'count', blueprint: aggregationFor('count')!, field: null, expr: null, as: 'count', span: { start: 0, end: 0 } };
    const groups = new AggregationGroups(new Aggregator([spec], {} as ExecContext), ['pid']);
    for (const pid of [...crafted, ...unseeded]) {
      const row = new Row({ pid });
      groups.add(row, row);
    }
    expect(groups.size).toBe(2 * n);
  });
});
