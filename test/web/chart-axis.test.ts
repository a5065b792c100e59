import { describe, expect, it } from 'vitest';
import { axisSizeFor, DEFAULT_AXIS_SIZE } from '../../web/src/axis.js';

/** A monospace stand-in for canvas measureText: 7 px per character. */
const mono = (t: string) => 7 * t.length;

describe('console chart axis size', () => {
  it('fits five- and six-digit labels whole (a fixed 50 px cut 75,000 to "5,000")', () => {
    const labels = ['0', '25,000', '50,000', '75,000'];
    const size = axisSizeFor(labels, mono, 10, 5);
    // Every label, drawn right-aligned tick + gap left of the plot, starts inside the axis box.
    for (const l of labels) expect(size - 10 - 5 - mono(l)).toBeGreaterThanOrEqual(0);
    expect(size).toBeGreaterThan(DEFAULT_AXIS_SIZE);
    expect(axisSizeFor(['0', '500,000', '1,000,000'], mono, 10, 5)).toBe(Math.ceil(10 + 5 + 7 * 9 + 2));
  });

  it('measures the widest label, not the longest (proportional fonts), line by line', () => {
    const widths: Record<string, number> = { '1,111': 20, '0,000': 30, a: 5, bbbbbbbb: 40 };
    expect(axisSizeFor(['1,111', '0,000'], (t) => widths[t]!, 10, 5)).toBe(10 + 5 + 30 + 2);
    expect(axisSizeFor(['a\nbbbbbbbb', null], (t) => widths[t]!, 0, 0)).toBe(40 + 2);
  });

  it('keeps uPlot’s default before labels exist, and shrinks for short ones', () => {
    expect(axisSizeFor(null, mono, 10, 5)).toBe(DEFAULT_AXIS_SIZE);
    expect(axisSizeFor(['0', '5', '10'], mono, 10, 5)).toBe(31);
  });
});
