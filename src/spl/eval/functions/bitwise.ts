import type { EvalFunction } from './types.js';
import { numberOf, type EvalValue } from '../value.js';

/**
 * Bitwise functions (Search Reference, "Bitwise functions"). "Only nonnegative integers in the range of 0 to
 * 2^53 -1 are accepted as input to bitwise functions. This means that numbers that are negative or greater than
 * 53 bits return null" (a fraction too: they take integers), and "All results are masked to stay below the
 * 2^53 -1 limit". BigInt, because JavaScript's own bitwise operators work on 32 bits.
 */

const MASK = (1n << 53n) - 1n;

/** The argument as a 53-bit integer, or null when it is missing, not a number, not whole or out of range. */
function bits(v: EvalValue | undefined): bigint | null {
  const n = numberOf(v ?? null);
  if (n === null || !Number.isSafeInteger(n) || n < 0) return null;
  return BigInt(n);
}

function fold(name: string, op: (a: bigint, b: bigint) => bigint, doc: string): EvalFunction {
  return {
    name,
    minArgs: 2,
    maxArgs: Infinity,
    doc,
    returns: 'number',
    call: (args) => {
      let acc: bigint | null = null;
      for (const a of args) {
        const b = bits(a);
        if (b === null) return null;
        acc = acc === null ? b : op(acc, b);
      }
      return Number(acc! & MASK);
    },
  };
}

function shift(name: string, op: (v: bigint, by: bigint) => bigint, doc: string): EvalFunction {
  return {
    name,
    minArgs: 2,
    maxArgs: 2,
    doc,
    returns: 'number',
    call: ([a, b]) => {
      const v = bits(a);
      const by = bits(b);
      if (v === null || by === null) return null;
      // An offset past 53 shifts every bit out: "if the shift offset is greater than 53 bits, the function returns 0".
      return by > 53n ? 0 : Number(op(v, by) & MASK);
    },
  };
}

export const bitwiseFunctions: EvalFunction[] = [
  fold('bit_and', (a, b) => a & b, 'bit_and(x, y, ...): the bitwise AND of nonnegative integers below 2^53 (bit_and(12, 9) is 8); null for any other argument.'),
  fold('bit_or', (a, b) => a | b, 'bit_or(x, y, ...): the bitwise OR of nonnegative integers below 2^53 (bit_or(4, 2) is 6).'),
  fold('bit_xor', (a, b) => a ^ b, 'bit_xor(x, y, ...): the bitwise XOR of nonnegative integers below 2^53 (bit_xor(3, 2) is 1).'),
  {
    name: 'bit_not',
    minArgs: 1,
    maxArgs: 2,
    doc: 'bit_not(x[, bitmask]): every one of the 53 bits of x inverted, ANDed with the bitmask (default 2^53-1): bit_not(9, 15) is 6.',
    returns: 'number',
    call: ([a, m]) => {
      const v = bits(a);
      const mask = m === undefined ? MASK : bits(m);
      if (v === null || mask === null) return null;
      return Number(~v & mask & MASK);
    },
  },
  shift('bit_shift_left', (v, by) => v << by, 'bit_shift_left(x, n): x shifted left by n bits, bits past the 53rd dropped (bit_shift_left(2, 1) is 4).'),
  shift('bit_shift_right', (v, by) => v >> by, 'bit_shift_right(x, n): x shifted right by n bits (bit_shift_right(4, 1) is 2).'),
];
