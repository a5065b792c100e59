import type { JsonRow } from '../../src/web/api-types.js';

/**
 * The results table's columns: those a chart, timechart or xyseries declared (`done`'s `columns`, docs/api.md) first,
 * all of them in their order, as on `vigil search`'s table (the API lists only names some row holds, so one that is
 * empty in the first rows still has its column); then the other fields of the first 1,000 rows in the order the
 * rows give them (a field missing from early rows goes after its predecessor). `_raw` is left out when there is
 * anything else; at most 40 columns.
 */
export function columnsOf(rows: readonly JsonRow[], declared: readonly string[]): string[] {
  const cols: string[] = [];
  for (const r of rows.slice(0, 1000)) {
    let prev: string | null = null;
    for (const k of Object.keys(r)) {
      if (!cols.includes(k)) {
        const at = prev === null ? 0 : cols.indexOf(prev) + 1;
        cols.splice(at, 0, k);
      }
      prev = k;
    }
  }
  if (declared.length) {
    const placed = new Set(declared);
    cols.splice(0, cols.length, ...declared, ...cols.filter((c) => !placed.has(c)));
  }
  const withoutRaw = cols.filter((c) => c !== '_raw');
  return (withoutRaw.length ? withoutRaw : cols).slice(0, 40);
}
