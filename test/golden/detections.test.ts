import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { BUNDLED_DATASETS_DIR, resolveAttackData } from '../../src/detections/datasets.js';
import { FileSource } from '../../src/sources/file.js';
import { runSearch } from '../../src/spl/index.js';
import { toText, valuesOf } from '../../src/events/value.js';
import type { Result } from '../../src/events/result.js';

/**
 * Golden tests: each bundled detection over its bundled dataset must return exactly the rows that
 * test/golden/expected.py computes independently (in Python, from the SPL's documented semantics).
 */
const pack = loadContent();
const isovalent = pack.detections.filter((d) => d.name.startsWith('Cisco Isovalent - '));
const EXPECTED_DIR = join(import.meta.dirname, 'expected');

function asText(r: Result): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const f of r.fieldNames()) {
    const vs = valuesOf(r.get(f)).map(toText);
    if (vs.length) out[f] = vs.length === 1 ? vs[0]! : vs;
  }
  return out;
}

const canonical = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1))))).sort();

describe('golden: bundled detections over bundled datasets', () => {
  it('ships ten Cisco Isovalent detections, each with an expectation file', () => {
    expect(isovalent).toHaveLength(10);
    for (const d of isovalent) expect(existsSync(join(EXPECTED_DIR, `${d.filterMacro.replace(/_filter$/, '')}.json`)), d.name).toBe(true);
  });

  for (const d of isovalent) {
    it(d.name, async () => {
      const expected = JSON.parse(readFileSync(join(EXPECTED_DIR, `${d.filterMacro.replace(/_filter$/, '')}.json`), 'utf8')) as Record<string, unknown>[];
      const data = d.tests[0]!.attackData[0]!;
      const file = resolveAttackData(data.data, [BUNDLED_DATASETS_DIR], d.file);
      const source = new FileSource([file], { sourcetype: data.sourcetype });
      const { results } = await runSearch(d.search, { macros: pack.macros, lookups: pack.lookups, source, now: Date.UTC(2026, 10, 21) / 1000 });
      expect(results.length).toBeGreaterThan(0);
      expect(canonical(results.map(asText))).toEqual(canonical(expected));
    });
  }
});
