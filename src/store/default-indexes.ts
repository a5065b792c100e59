import { NOTABLE_INDEX, RISK_INDEX } from '../events/event.js';
import type { EventStore } from './types.js';

/**
 * The indexes a search reads when it names none (Splunk's "default searched indexes"). vigil searches
 * every event index except internal ones (`_*`) and the risk and notable indexes, which hold what
 * detections wrote rather than what was ingested: searches over them name them (`index=risk`).
 * Deliberate difference: Splunk's default is per role and usually just `main`.
 */
export async function defaultSearchIndexes(store: Pick<EventStore, 'indexes'>): Promise<string[]> {
  return (await store.indexes()).map((i) => i.name).filter((n) => !n.startsWith('_') && n !== RISK_INDEX && n !== NOTABLE_INDEX);
}
