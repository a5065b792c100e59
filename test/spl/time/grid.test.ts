import { describe, expect, it } from 'vitest';
import { binsBetween, floorOnGrid, fromDecimal, makeGrid, toDecimal } from '../../../src/spl/time/grid.js';
import { rng } from '../../rng.js';

/**
 * Reference: the exact floor on decimal values with nothing but BigInt, no fast path. A number's
 * decimal value is the text JavaScript prints for it.
 */
function exact(x: number): { digits: bigint; scale: number } {
  const [mantissa, exp = '0'] = String(x).split('e');
  const [int, frac = ''] = mantissa!.split('.');
  const shift = Number(exp) - frac.length;
  const digits = BigInt(int! + frac);
  return shift >= 0 ? { digits: digits * 10n ** BigInt(shift), scale: 0 } : { digits, scale: -shift };
}

function referenceFloor(value: number, step: number, origin: number): string {
  const [v, s, o] = [exact(value), exact(step), exact(origin)];
  const scale = Math.max(v.scale, s.scale, o.scale);
  const up = (d: { digits: bigint; scale: number }) => d.digits * 10n ** BigInt(scale - d.scale);
  const offset = up(v) - up(o);
  const q = offset / up(s);
  const k = offset < 0n && q * up(s) !== offset ? q - 1n : q;
  const start = up(o) + k * up(s);
  return `${start}e-${scale}`;
}

describe('floorOnGrid', () => {
  it('floors exactly near a boundary, where a tolerance would round up', () => {
    // 1795255198.92 / 300 = 5984183.99640 is within 1.8 s of the next multiple.
    expect(floorOnGrid(1795255198.92, makeGrid(300)).start).toBe(1795254900);
    expect(floorOnGrid(1795255199, makeGrid(3600)).start).toBe(1795251600);
    expect(floorOnGrid(1795255199.999999, makeGrid(1)).start).toBe(1795255199);
    expect(floorOnGrid(1795255199.95, makeGrid(0.1)).start).toBe(1795255199.9);
    expect(floorOnGrid(1000000000.6, makeGrid(1))).toEqual({ start: 1000000000, end: 1000000001 });
  });

  it('reads numbers as their decimal values (0.3 is on the 0.1 grid)', () => {
    expect(floorOnGrid(0.3, makeGrid(0.1))).toEqual({ start: 0.3, end: 0.4 });
    expect(floorOnGrid(0.7, makeGrid(0.1))).toEqual({ start: 0.7, end: 0.8 });
    expect(floorOnGrid(-0.3, makeGrid(0.1))).toEqual({ start: -0.3, end: -0.2 });
    expect(floorOnGrid(-0.31, makeGrid(0.1))).toEqual({ start: -0.4, end: -0.3 });
    // Beyond the microsecond fast path: seven decimals and values far from the epoch.
    expect(floorOnGrid(0.0000003, makeGrid(0.0000001)).start).toBe(0.0000003);
    expect(floorOnGrid(1e21 + 2 ** 17, makeGrid(1e21)).start).toBe(1e21);
  });

  it('counts from the origin', () => {
    expect(floorOnGrid(1795255198, makeGrid(3600, 1800)).start).toBe(1795253400);
    expect(floorOnGrid(10, makeGrid(4, 0.5))).toEqual({ start: 8.5, end: 12.5 });
  });

  it('agrees with a BigInt reference on random values, many of them next to a boundary', () => {
    const r = rng(12);
    const steps = [1, 5, 60, 300, 3600, 86400, 0.1, 0.25, 0.001, 0.000001, 0.0000001, 0.5, 7, 2.5, 1e15, 1e-12];
    const origins = [0, 1500567890, 0.5, -3, 1795253400.25, 0.1];
    for (let i = 0; i < 20000; i++) {
      const step = steps[Math.floor(r() * steps.length)]!;
      const origin = origins[Math.floor(r() * origins.length)]!;
      let value: number;
      switch (i % 4) {
        case 0: // an epoch with 0..9 decimals
          value = Number((1.6e9 + r() * 3e8).toFixed(Math.floor(r() * 10)));
          break;
        case 1: {
          // just below, on, or just above a multiple of the step
          const k = Math.floor((r() - 0.5) * 2e6);
          const nudge = [0, 1e-9, -1e-9, 1e-7, -1e-7, 1e-6, -1e-6][Math.floor(r() * 7)]!;
          value = Number((origin + k * step + nudge).toPrecision(1 + Math.floor(r() * 17)));
          break;
        }
        case 2: // integers up to 2^53, either sign
          value = Math.floor((r() - 0.5) * 2 ** 54);
          break;
        default: // anything
          value = (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
      }
      const grid = makeGrid(step, origin);
      const got = floorOnGrid(value, grid);
      const want = Number(referenceFloor(value, step, origin));
      if (got.start !== want) expect({ value, step, origin, start: got.start }).toEqual({ value, step, origin, start: want });
      // end can equal value only where doubles cannot tell them apart (2^52 on a 0.5 grid)
      if (!(got.start <= value && value <= got.end)) expect({ value, step, origin, got }).toBe(null);
    }
  });
});

describe('decimal helpers', () => {
  it('round-trip numbers through their decimal value', () => {
    for (const x of [0, 0.1, -2.5, 1795255198.92, 1e-7, 1.5e300, 123456789012345680000]) expect(fromDecimal(toDecimal(x))).toBe(x);
    expect(toDecimal(0.1)).toEqual({ coefficient: 1n, scale: 1 });
    expect(toDecimal(1e21)).toEqual({ coefficient: 10n ** 21n, scale: 0 });
  });

  it('counts the bins a range touches', () => {
    expect(binsBetween(17, 85, makeGrid(10))).toBe(8);
    expect(binsBetween(0, 100, makeGrid(10))).toBe(11);
    expect(binsBetween(5, 5, makeGrid(1))).toBe(1);
  });
});
