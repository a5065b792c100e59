import { describe, expect, it } from 'vitest';
import { Row } from '../../src/events/result.js';
import type { FieldValue } from '../../src/events/value.js';
import type { Detection } from '../../src/detections/detection.js';
import { throttleKey } from '../../src/schedule/outputs.js';

const d = { id: 'd1', throttle: { fields: ['a', 'b'], periodSeconds: 60 } } as unknown as Detection;
const key = (a: FieldValue, b: FieldValue): string | null => {
  const r = new Row();
  r.set('a', a);
  r.set('b', b);
  return throttleKey(d, r);
};

describe('throttleKey', () => {
  it('keeps the key of plain values (suppressions already stored still match)', () => {
    expect(key('x', 'y')).toBe('throttle:d1:x\u0000y');
    expect(key(['x', 'z'], 1)).toBe('throttle:d1:x\u0001z\u00001');
  });

  it('tells apart values holding the separators: a result is never suppressed by another one', () => {
    const keys = [
      key('p\u0000q', 'r'),
      key('p', 'q\u0000r'),
      key('p\u0001q', 'r'),
      key(['p', 'q'], 'r'),
      key('p', ['q\u0000', 'r']),
      key(['p', 'q\u0000'], 'r'),
      key('p\u0000\u0000q', 'r'),
      key('p\u0000', '\u0000q'),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
