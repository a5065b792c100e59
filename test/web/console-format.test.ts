import { describe, expect, it } from 'vitest';
import { fieldText, fmtPercent, fmtRelative, fmtSpan } from '../../web/src/format.js';

describe('console formatting: data model coverage and lag', () => {
  it('fmtPercent rounds down to one decimal so "100 %" only means complete', () => {
    expect(fmtPercent(100)).toBe('100 %');
    expect(fmtPercent(99.96)).toBe('99.9 %');
    expect(fmtPercent(99.999999)).toBe('99.9 %');
    expect(fmtPercent(64.1)).toBe('64.1 %'); // 64.1 * 10 is 640.999… in floating point
    expect(fmtPercent(0.04)).toBe('0 %');
    expect(fmtPercent(0)).toBe('0 %');
    expect(fmtPercent(12.5)).toBe('12.5 %');
  });

  it('fmtPercent clamps to 0–100 and shows a dash for no value', () => {
    expect(fmtPercent(140)).toBe('100 %');
    expect(fmtPercent(-3)).toBe('0 %');
    expect(fmtPercent(Number.NaN)).toBe('—');
    expect(fmtPercent(null)).toBe('—');
    expect(fmtPercent(undefined)).toBe('—');
  });

  it('fmtSpan writes a lag in its largest sensible unit', () => {
    expect(fmtSpan(0)).toBe('0 s');
    expect(fmtSpan(45.4)).toBe('45 s');
    expect(fmtSpan(89)).toBe('89 s');
    expect(fmtSpan(90)).toBe('2 min');
    expect(fmtSpan(3725)).toBe('62 min');
    expect(fmtSpan(5400)).toBe('2 h');
    expect(fmtSpan(172_800)).toBe('2 d');
    expect(fmtSpan(-5)).toBe('0 s');
    expect(fmtSpan(Number.POSITIVE_INFINITY)).toBe('—');
    expect(fmtSpan(null)).toBe('—');
  });

  it('fmtRelative keeps its wording on top of fmtSpan', () => {
    expect(fmtRelative(1000, 1000 + 3725)).toBe('62 min ago');
    expect(fmtRelative(1000 + 30, 1000)).toBe('in 30 s');
    expect(fmtRelative(null)).toBe('—');
  });
});

describe('console formatting: field values', () => {
  it('fieldText shows multivalues one a line and control or bidi characters as U+FFFD, keeping tabs', () => {
    // A U+202E showed the rest of a value reversed; ESC and zero-width characters were invisible.
    expect(fieldText(['pod\u202Eevil', 'a\tb'])).toBe('pod\uFFFDevil\na\tb');
    expect(fieldText('x\u200By\u001b[31m\r')).toBe('x\uFFFDy\uFFFD[31m\uFFFD');
    expect(fieldText(42)).toBe('42');
    expect(fieldText(null)).toBe('');
  });
});
