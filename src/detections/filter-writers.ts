import { resolve, sep } from 'node:path';
import { checkSearch, type SearchPlan } from '../spl/index.js';
import type { ContentPack } from './content.js';
import type { Detection } from './detection.js';

/** A detection's filter macro when the content defines none (security_content's `search *`). */
export const DEFAULT_FILTER = 'search *';

/** Why a filter macro saved through the API may not write lookups while API clients may not (SPL_LOOKUP_WRITE). */
export const FILTER_WRITES_REFUSAL =
  'a filter macro saved through the API may not add outputlookup or map: writing lookups is off for API clients (set search.outputLookup: true in the vigil serve config)';

/** Whether `d`'s filter macro in `pack` is one saved through the API: its file lies under `userDir` (`<dataDir>/content`). */
export function filterSavedIn(pack: ContentPack, d: Detection, userDir: string): boolean {
  const file = pack.macros.get(d.filterMacro, 0)?.file;
  return file !== undefined && resolve(file).startsWith(resolve(userDir) + sep);
}

/**
 * Whether `planned`, `d`'s search planned with some definition of its filter macro, holds more outputlookup and map
 * commands (map runs searches built from its results) than `d`'s search with the filter `search *`: those the filter
 * adds. Scheduled runs may write lookups (the content is the operator's), so a filter from an API client must not add
 * them while API clients may not write (the filter API when a filter is saved; the scheduler at each run, as the
 * switch may have been turned off since).
 */
export function filterAddsWriters(planned: SearchPlan, pack: ContentPack, d: Detection, at: { now: number; tz: string }): boolean {
  let base = 0;
  try {
    const unfiltered = pack.macros.with([{ name: d.filterMacro, args: [], definition: DEFAULT_FILTER }]);
    base = writers(checkSearch(d.search, { macros: unfiltered, lookups: pack.lookups, knowledge: pack.knowledge, name: d.name, now: at.now, tz: at.tz }));
  } catch {
    // The detection does not run without the filter either: any writer is the filter's.
  }
  return writers(planned) > base;
}

/** The outputlookup and map commands of a search and of its subsearches. */
function writers(p: SearchPlan): number {
  const own = [p.generating, ...p.stages].filter((s) => s !== null && (s.command.name === 'outputlookup' || s.command.name === 'map')).length;
  return own + p.subsearches.reduce((n, sub) => n + writers(sub.plan), 0);
}
