/**
 * Password checks hold a libuv thread each (scrypt), the threads the HEC's gzip decoding uses too: a login flood
 * from many addresses filled all four and stalled gzip HEC posts over 30 s. They run one at a time.
 */
import { describe, expect, it, vi } from 'vitest';

const inFlight = { now: 0, max: 0 };
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  const scrypt = (...args: unknown[]): void => {
    const done = args.pop() as (err: Error | null, key: Buffer) => void;
    // 'boom' stands for a check that fails (scrypt's error: out of memory, say).
    if (args[0] === 'boom') return void setImmediate(() => done(new Error('scrypt failed'), Buffer.alloc(0)));
    inFlight.now++;
    inFlight.max = Math.max(inFlight.max, inFlight.now);
    (real.scrypt as (...a: unknown[]) => void)(...args, (err: Error | null, key: Buffer) => {
      inFlight.now--;
      done(err, key);
    });
  };
  return { ...real, default: { ...real, scrypt }, scrypt };
});

const { hashPassword, verifyPassword } = await import('../../src/web/users.js');

describe('password checks', () => {
  it('run one scrypt at a time however many logins arrive together, each with its own answer', async () => {
    const hash = await hashPassword('right', { N: 1024, r: 8, p: 1 });
    inFlight.max = 0;
    const guesses = Array.from({ length: 12 }, (_, i) => (i === 5 ? 'right' : `wrong-${i}`));
    const results = await Promise.all(guesses.map((g) => verifyPassword(g, hash)));
    expect(results).toEqual(guesses.map((g) => g === 'right'));
    expect(inFlight.max).toBe(1);
  });

  it('a check that fails does not block the checks after it', async () => {
    const hash = await hashPassword('pw', { N: 1024, r: 8, p: 1 });
    const failing = verifyPassword('boom', hash).catch(() => 'failed');
    expect(await Promise.all([failing, verifyPassword('pw', hash)])).toEqual(['failed', true]);
  });
});
