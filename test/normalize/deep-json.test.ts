import { afterAll, describe, expect, it } from 'vitest';
import { extractAll, extractPath, MAX_JSON_DEPTH } from '../../src/normalize/json-fields.js';
import { toObject } from '../../src/events/result.js';
import { runSearch } from '../../src/spl/index.js';
import { openStore } from '../../src/store/sqlite-store.js';
import { cleanupDirs, tempDir } from '../store/helpers.js';

afterAll(cleanupDirs);

/** `{"ok":"yes","deep":[[…[1]…]],"tail":2}` with `levels` nested arrays. */
const nested = (levels: number) => `{"ok":"yes","deep":${'['.repeat(levels)}1${']'.repeat(levels)},"tail":2}`;
const arrays = (levels: number) => 'deep' + '{}'.repeat(levels);

describe('JSON nested deeper than MAX_JSON_DEPTH', () => {
  it('extracts values inside up to MAX_JSON_DEPTH objects/arrays, and none deeper', () => {
    // The top-level object counts: `deep`'s value inside n arrays sits inside n + 1 containers.
    const edge = JSON.parse(nested(MAX_JSON_DEPTH - 1)) as unknown;
    expect(extractAll(edge).get(arrays(MAX_JSON_DEPTH - 1))).toBe(1);
    expect(extractPath(edge, arrays(MAX_JSON_DEPTH - 1))).toBe(1);
    const past = JSON.parse(nested(MAX_JSON_DEPTH)) as unknown;
    expect(Object.fromEntries(extractAll(past))).toEqual({ ok: 'yes', tail: 2 });
    expect(extractPath(past, arrays(MAX_JSON_DEPTH))).toBeNull();
  });

  it('a stored event of 100k nested arrays gives its other fields to table *, fields *, spath and spath()', async () => {
    const store = await openStore(tempDir());
    try {
      await store.append([{ _time: 1_700_000_000, index: 'main', sourcetype: '_json', source: 's', host: 'h', _raw: nested(100_000) }]);
      const search = async (q: string) => (await runSearch(q, { source: store })).results.map((r) => toObject(r));
      const meta = { _raw: nested(100_000), index: 'main', sourcetype: '_json', source: 's', host: 'h' };
      expect(await search('search index=main | table * | fields - _time')).toEqual([{ ...meta, ok: 'yes', tail: 2 }]);
      expect(await search('search index=main | fields * | fields - _time _raw')).toEqual([{ index: 'main', sourcetype: '_json', source: 's', host: 'h', ok: 'yes', tail: 2 }]);
      expect(await search('search index=main | spath | table ok tail')).toEqual([{ ok: 'yes', tail: 2 }]);
      // A path ending on the deep array would be its JSON text: not extracted (and not stringified).
      expect(await search('search index=main | spath output=d path=deep | spath output=t path=tail | table d t')).toEqual([{ t: 2 }]);
      expect(await search('search index=main | eval d=spath(_raw, "deep"), t=spath(_raw, "tail") | table d t')).toEqual([{ t: 2 }]);
      expect(await search(`search index=main | eval d=spath(_raw, "${arrays(100_000)}") | table d ok`)).toEqual([{ ok: 'yes' }]);
    } finally {
      await store.close();
    }
  });

  it('spath() still returns a shallow enough object or array as JSON text', async () => {
    const raw = nested(MAX_JSON_DEPTH - 1);
    const { results } = await runSearch(`| makeresults | eval j=${JSON.stringify(raw)}, d=spath(j, "deep") | table d`);
    expect(toObject(results[0]!)['d']).toBe(`${'['.repeat(MAX_JSON_DEPTH - 1)}1${']'.repeat(MAX_JSON_DEPTH - 1)}`);
  });
});
