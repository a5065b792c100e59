import { describe, expect, it } from 'vitest';
import type { JsonRow } from '../../src/web/api-types.js';
import { columnsOf } from '../../web/src/columns.js';

describe("console results table: the columns done's columns declare", () => {
  it('shows a declared column that is empty in the first 1,000 rows, as vigil search does', () => {
    // A timechart whose series `late` has its first value in the 1,001st bucket: POST /api/search's done says
    // "columns": ["_time", "early", "late", "_span"] (it lists only names some row holds, docs/api.md), and vigil
    // search's table has the late column. The console read columns from the first 1,000 rows only and dropped it.
    const rows = Array.from({ length: 1001 }, (_, i): JsonRow => (i < 1000 ? { _time: `t${i}`, early: 1, _span: 60 } : { _time: `t${i}`, late: 2, _span: 60 }));
    expect(columnsOf(rows, ['_time', 'early', 'late', '_span'])).toEqual(['_time', 'early', 'late', '_span']);
  });

  it('puts the declared columns first, then the other fields as the rows give them', () => {
    const rows: JsonRow[] = [{ x: 'a', k2: 1, extra: 'e' }, { x: 'b', k1: 2, k3: 3 }];
    expect(columnsOf(rows, ['x', 'k1', 'k2', 'k3'])).toEqual(['x', 'k1', 'k2', 'k3', 'extra']);
    // Without declared columns: first appearance, a late field after its predecessor.
    expect(columnsOf(rows, [])).toEqual(['x', 'k1', 'k3', 'k2', 'extra']);
  });
});
