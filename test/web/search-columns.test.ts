import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DECLARED_COLUMNS } from '../../src/schedule/executor.js';
import type { SearchLine } from '../../src/web/api-types.js';
import { startHarness, type Harness } from './harness.js';

// POST /api/search's `done` line carries the columns a chart, timechart or xyseries declared (docs/api.md): a row's
// JSON leaves its empty cells out, so a client ordering columns by the rows' keys put a column where it first had a
// value. Expectations worked out by hand from docs/spl.md's chart rules.

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

async function search(spl: string): Promise<SearchLine[]> {
  const res = await fetch(`${h.server.apiUrl}/api/search`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${h.apiToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ search: spl, progressMs: 0 }),
  });
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SearchLine);
}

const rowsOf = (lines: SearchLine[]) => lines.flatMap((l) => ('result' in l ? [l.result] : []));
const doneOf = (lines: SearchLine[]) => lines.find((l): l is Extract<SearchLine, { done: true }> => 'done' in l)!;

describe('POST /api/search: declared columns', () => {
  it("chart's columns in the column-split values' order on the done line, the rows unchanged (empty cells left out)", async () => {
    // Three events: (a=x, b=k2, n=1), (a=y, b=k1, n=2), (a=y, b=k3, n=3). Search Reference, chart: "over <row-split>
    // by <column-split>": one row per a, one column per b; docs/spl.md: columns in the column-split values' order
    // (k1, k2, k3); avg over no event is an empty cell. Rows: x {k2: 1}, y {k1: 2, k3: 3}, so the rows' keys in
    // first-seen order would be a, k2, k1, k3.
    const lines = await search('| makeresults count=3 | streamstats count as i | eval a=if(i=1, "x", "y"), b=case(i=1, "k2", i=2, "k1", i=3, "k3"), n=i | chart avg(n) over a by b');
    expect(rowsOf(lines)).toEqual([
      { a: 'x', k2: 1 },
      { a: 'y', k1: 2, k3: 3 },
    ]);
    const done = doneOf(lines);
    expect(done.columns).toEqual(['a', 'k1', 'k2', 'k3']);
    expect(done.stats.results).toBe(2);
    // The done line's other fields as before: columns is additive.
    expect(Object.keys(done).sort()).toEqual(['columns', 'done', 'stats', 'warnings']);
  });

  it('a renamed chart column keeps its place in the declared columns', async () => {
    const lines = await search('| makeresults count=3 | streamstats count as i | eval a=if(i=1, "x", "y"), b=case(i=1, "k2", i=2, "k1", i=3, "k3"), n=i | chart avg(n) over a by b | rename k2 as second');
    // Row y has no k2 to rename: its list still names k2, which no row holds any more, so it is no column.
    expect(doneOf(lines).columns).toEqual(['a', 'k1', 'second', 'k3']);
  });

  it('a search whose rows declare no columns has no columns field (stats, table)', async () => {
    for (const spl of ['| makeresults count=2 | streamstats count as i | stats sum(i) as s', '| makeresults | eval z=1, y=2 | table z y']) {
      const done = doneOf(await search(spl));
      expect(done.done, spl).toBe(true);
      expect('columns' in done, spl).toBe(false);
    }
  });

  it(`lists at most ${MAX_DECLARED_COLUMNS} declared columns (two appended charts of 6,000 columns each)`, async () => {
    // A chart makes at most 10,000 columns itself; two appended tables declare 12,002 names between them. The second
    // table's list [a, d1, d10, ...] places its columns after a, its nearest column already placed: a, the d values,
    // then the c values (texts in byte order), cut at the limit.
    const part = (a: string, p: string) => `| makeresults count=6000 | streamstats count as i | eval a="${a}", b="${p}".i | chart limit=0 count over a by b`;
    const lines = await search(`${part('x', 'c')} | append [${part('y', 'd')}]`);
    expect(rowsOf(lines)).toHaveLength(2);
    const sorted = (p: string) => Array.from({ length: 6000 }, (_, i) => `${p}${i + 1}`).sort();
    expect(doneOf(lines).columns).toEqual(['a', ...sorted('d'), ...sorted('c')].slice(0, MAX_DECLARED_COLUMNS));
  });
});
