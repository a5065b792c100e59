import { expect } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { eventResult } from '../../src/normalize/event-result.js';
import { extractAll } from '../../src/normalize/json-fields.js';
import { scanTetragonLine, type IndexedEvent } from '../../src/normalize/tetragon-index.js';
import { TETRAGON_CIM_FIELDS } from '../../src/normalize/tetragon.js';
import { toEvent, toEventFromSpans, type ToEventContext } from '../../src/sources/tetragon.js';

export const ctx: ToEventContext = { index: 'main', source: 'shapes', defaultHost: 'h', fallbackTime: () => 0 };

/**
 * Every CIM field and JSON path of a line, read three ways (the parse path, the fast path's spans when the byte
 * scan indexes the line, and the line's text alone, as an event read back from the store): they must agree.
 * Returns the parse path's reading.
 */
export function read(line: string): Map<string, unknown> {
  const slow = toEvent(line, ctx);
  if (!slow.ok) throw new Error(slow.reason);
  const a = eventResult(slow.event);
  const { json: _json, ...plain } = slow.event;
  const readers = [eventResult(plain as Event)];
  const spans = scanTetragonLine(Buffer.from(line), 0, Buffer.byteLength(line));
  const fast = spans === null ? null : toEventFromSpans(line, spans, ctx);
  if (fast !== null && fast.ok) {
    expect((fast.event as IndexedEvent)._time).toBe(slow.event._time);
    readers.push(eventResult(fast.event));
  }
  const names = [...TETRAGON_CIM_FIELDS, ...extractAll(JSON.parse(line)).keys()];
  for (const r of readers) {
    for (const f of names) expect(r.get(f), f).toEqual(a.get(f));
    expect(r.fieldNames()).toEqual(a.fieldNames());
  }
  return new Map(names.map((f) => [f, a.get(f)]));
}

/** Whether the byte scan indexes a line (the fast path), rather than leaving it to JSON.parse. */
export function indexed(line: string): boolean {
  const spans = scanTetragonLine(Buffer.from(line), 0, Buffer.byteLength(line));
  return spans !== null && toEventFromSpans(line, spans, ctx) !== null;
}

export const pick = (m: Map<string, unknown>, names: readonly string[]): Record<string, unknown> => Object.fromEntries(names.map((f) => [f, m.get(f) ?? null]));
