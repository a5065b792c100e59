import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { MemorySource } from '../../src/sources/memory.js';
import { runSearch } from '../../src/spl/index.js';
import { riskEventsSearch } from '../../src/web/spl-quote.js';

const NOW = 1_800_000_000;

/** A risk event as the scheduler writes it (index=risk, sourcetype stash, JSON _raw). */
const risk = (object: string, i: number): Event => ({
  _time: NOW - 60 + i,
  _raw: JSON.stringify({ risk_object: object, risk_object_type: 'other', risk_score: 10 + i }),
  index: 'risk',
  sourcetype: 'stash',
  source: 'test',
  host: 'vigil',
});

describe("the risk object page's 'Search its risk events' link", () => {
  // Risk objects come from event fields (user names, process arguments): any text.
  const objects = ['plain', 'a" OR risk_object="plain', 'C:\\Users\\eve\\', 'x\\" | head 1 | search "', '<img src=x onerror=alert(1)>'];
  const events = objects.map(risk);

  for (const object of objects) {
    it(`finds exactly the risk events of ${JSON.stringify(object)}`, async () => {
      const { results } = await runSearch(riskEventsSearch(object), { now: NOW, tz: 'UTC', source: new MemorySource(events) });
      expect(results.map((r) => r.get('risk_object'))).toEqual([object]);
    });
  }
});
