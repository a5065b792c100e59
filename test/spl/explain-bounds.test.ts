import { describe, expect, it } from 'vitest';
import { plan } from '../../src/spl/index.js';
import { explainPlan } from '../../src/spl/plan/explain.js';

/**
 * `vigil search --explain` of a time bound past the years a JavaScript Date holds printed "internal error: Invalid time
 * value" (found by test/spl/run-fuzz.test.ts's huge numbers). The search itself runs (Search Reference, "Time modifiers":
 * `+<int><unit>` is relative to now, with no stated bound); its plan now shows such a bound in epoch seconds.
 */
describe('explainPlan with time bounds no Date holds', () => {
  it('prints them in epoch seconds', () => {
    const text = explainPlan(plan('index=main latest=+99999999999y', { now: 1_700_000_000 }));
    expect(text).toMatch(/^scan: time \[unbounded, \d+ \(epoch seconds\)\)$/m);
    expect(explainPlan(plan('index=main daysago=99999999999', { now: 1_700_000_000 }))).toMatch(/^scan: time \[-\d+ \(epoch seconds\), /m);
  });

  it('still prints bounds a Date holds as ISO 8601', () => {
    expect(explainPlan(plan('index=main earliest=-1d latest=now', { now: 1_700_000_000 }))).toMatch(/^scan: time \[2023-11-13T22:13:20\.000Z, 2023-11-14T22:13:20\.000Z\)$/m);
  });
});
