import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { BUNDLED_DATASETS_DIR, resolveAttackData } from '../../src/detections/datasets.js';
import type { Event } from '../../src/events/event.js';
import { emptyScanRequest } from '../../src/events/scan.js';
import { toText, valuesOf } from '../../src/events/value.js';
import type { Result } from '../../src/events/result.js';
import { FileSource } from '../../src/sources/file.js';
import { parseSearch, runSearch } from '../../src/spl/index.js';
import { openStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { cleanupDirs, tempDir } from './helpers.js';

afterAll(cleanupDirs);

/** Invariant 3: the same SPL gives the same rows over a file and over the store (with its pushdowns). */
const pack = loadContent();
const NOW = Date.UTC(2026, 10, 21) / 1000;

function canonical(rows: readonly Result[]): string[] {
  return rows
    .map((r) => {
      const o: Record<string, string | string[]> = {};
      for (const f of [...r.fieldNames()].sort()) {
        const vs = valuesOf(r.get(f)).map(toText);
        if (vs.length) o[f] = vs.length === 1 ? vs[0]! : vs;
      }
      return JSON.stringify(o);
    })
    .sort();
}

/** The search (macros expanded) without its `regex` commands: what the store's literal pushdowns can express. */
function withoutRegex(search: string): string {
  const ast = parseSearch(search, pack.macros);
  const text = ast.source.text;
  let out = '';
  let at = 0;
  for (const c of ast.commands.filter((x) => x.name === 'regex')) {
    out += text.slice(at, text.lastIndexOf('|', c.span.start));
    at = c.span.end;
  }
  return out + text.slice(at);
}

describe('the engine over the store', () => {
  it('returns what it returns over the files, for every bundled detection', async () => {
    const opts = { macros: pack.macros, lookups: pack.lookups, now: NOW };
    const stores = new Map<string, SqliteStore>(); // one per dataset: a store holds exactly what the file holds
    const threaded = new Map<string, SqliteStore>();
    try {
      for (const d of pack.detections.filter((x) => x.tests.length > 0)) {
        const data = d.tests[0]!.attackData[0]!;
        const file = resolveAttackData(data.data, [BUNDLED_DATASETS_DIR], d.file);
        const key = `${file}\0${data.sourcetype}`;
        let store = stores.get(key);
        if (!store) {
          const dir = tempDir();
          store = await openStore(dir);
          stores.set(key, store);
          // The same data dir read on the scan thread (scan-thread.ts), whatever its size.
          threaded.set(key, await openStore(dir, { readonly: true, scanThreadMinEvents: 0 }));
          for await (const batch of new FileSource([file], { sourcetype: data.sourcetype }).scan(emptyScanRequest())) {
            await store.append(batch.map(({ json: _json, ...e }): Event => e));
          }
        }
        const overFile = await runSearch(d.search, { ...opts, source: new FileSource([file], { sourcetype: data.sourcetype }) });
        const overStore = await runSearch(d.search, { ...opts, source: store });
        expect(overStore.results.length, d.name).toBeGreaterThan(0);
        expect(canonical(overStore.results), d.name).toEqual(canonical(overFile.results));
        const overThread = await runSearch(d.search, { ...opts, source: threaded.get(key)! });
        expect(canonical(overThread.results), d.name).toEqual(canonical(overFile.results));
        // The store's pushdowns (sourcetype, raw literals) hand the engine no more events than the file reader's
        // literal prefilter passes; the file reader also tests a regex's JSON-text form (not pushed into SQL), so
        // it may pass fewer.
        const literalsOnly = await runSearch(withoutRegex(d.search), { ...opts, source: new FileSource([file], { sourcetype: data.sourcetype }) });
        expect(overStore.stats.eventsScanned, d.name).toBeLessThanOrEqual(Math.max(overFile.stats.eventsScanned, literalsOnly.stats.eventsScanned));
      }
    } finally {
      for (const s of [...threaded.values(), ...stores.values()]) await s.close();
    }
  });
});
