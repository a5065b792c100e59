import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Row, rowLayout, SlotRow, type Result } from '../../src/events/result.js';

describe('SlotRow: new fields', () => {
  // A SlotRow adding a field shares a wider layout with the rows of its layout that add the same one. Rows adding
  // names of their own in turn (`spath` of keys that differ per row) made a layout per row and name, kept as long as
  // the stats' layout (4,000 rows of 190 keys: 4.3 GB, then out of memory). Measured after a full collection with
  // a wide margin: 300 rows of 102 new fields held ~150 MB of layouts; as Rows they hold a few MB.
  it('acts as a Row, and rows adding names of their own do not keep a layout per row and name', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const layout = rowLayout(['n', 'count'])!;
    const namesOf = (i: number) => [`a${i % 17}`, `b${Math.floor(i / 17)}`, ...Array.from({ length: 100 }, (_, k) => `k${k}`)];
    const fill = (r: Result, i: number) => {
      for (const [k, name] of namesOf(i).entries()) r.set(name, k);
    };
    gc();
    const before = process.memoryUsage().heapUsed;
    const rows: Result[] = [];
    for (let i = 0; i < 300; i++) {
      const r = new SlotRow(layout, [i], [1]);
      fill(r, i);
      rows.push(r);
    }
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(30 * 1024 * 1024);
    rows.forEach((r, i) => {
      const plain = new Row([['n', i], ['count', 1]]);
      fill(plain, i);
      expect(r.fieldNames()).toEqual(plain.fieldNames());
      expect(r.fieldNames().map((f) => r.get(f))).toEqual(plain.fieldNames().map((f) => plain.get(f)));
    });
  });
});
