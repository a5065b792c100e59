import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import type { Detection } from '../../src/detections/detection.js';
import { Row } from '../../src/events/result.js';
import { MAX_RUN_RISK_CHARS, riskEventsOfRun } from '../../src/schedule/outputs.js';

// ES's risk action writes one event per value of a multivalue risk field, each with all of its result's fields
// (Splunk_SA_CIM cim_actions.py result2stash): a row whose risk field has N values is N events of N values. vigil
// bounds a run's risk events by their JSON (a documented limit, docs/security.md): 20,000 values took the server's memory.

const CURL = loadContent().detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
const T = 1_800_000_000;
const ALL = { earliest: null, latest: null };
const multi: Detection = { ...CURL, riskObjects: [{ field: 'multi', type: 'system', score: 10, message: 'hosts $multi$' }], threatObjects: [] };
const row = (n: number) => new Row([['_time', T], ['multi', Array.from({ length: n }, (_, i) => `host-${i}`)]]);

describe("a run's risk events are bounded by their JSON", () => {
  it('stops making events past maxChars, keeps the first ones in order, and says how many it made', () => {
    const cuts: number[] = [];
    const events = riskEventsOfRun(multi, [row(2000)], T, ALL, { maxChars: 2_000_000, onCut: (made) => cuts.push(made) });
    expect(events.length).toBeGreaterThan(10);
    expect(events.length).toBeLessThan(2000);
    expect(cuts).toEqual([events.length]);
    expect(events.reduce((n, e) => n + e._raw.length, 0)).toBeLessThanOrEqual(2_000_000);
    expect(events.map((e) => (JSON.parse(e._raw) as { risk_object: string }).risk_object)).toEqual(Array.from({ length: events.length }, (_, i) => `host-${i}`));
    // Rows after the cut make nothing.
    const later = riskEventsOfRun(multi, [row(2000), row(1)], T, ALL, { maxChars: 2_000_000 });
    expect(later).toHaveLength(events.length);
  });

  it('makes every event of a run within the limit, and does not call onCut', () => {
    const cuts: number[] = [];
    expect(riskEventsOfRun(multi, [row(3), row(2)], T, ALL, { onCut: (made) => cuts.push(made) })).toHaveLength(5);
    expect(cuts).toEqual([]);
  });

  it('a 20,000-value risk field ends at the limit (512 Mi characters by default: about a minute of work), not out of memory', () => {
    expect(MAX_RUN_RISK_CHARS).toBe(512 * 1024 * 1024);
    let made = -1;
    const events = riskEventsOfRun(multi, [row(20_000)], T, ALL, { maxChars: 20_000_000, onCut: (n) => (made = n) });
    expect(made).toBe(events.length);
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThan(100);
    expect(events.reduce((n, e) => n + e._raw.length, 0)).toBeLessThanOrEqual(20_000_000);
  });
});
