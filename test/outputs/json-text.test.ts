import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Row } from '../../src/events/result.js';
import type { FieldValue } from '../../src/events/value.js';
import { resultToJsonText } from '../../src/outputs/json.js';
import { loadContent } from '../../src/detections/content.js';
import { riskEventsFor } from '../../src/risk/risk-events.js';

const row = (fields: [string, FieldValue | null][]): Row => {
  const r = new Row();
  for (const [k, v] of fields) r.set(k, v);
  return r;
};

describe('resultToJsonText: a result as one line of JSON', () => {
  it('quotes values as JSON.stringify does: escapes, control characters, lone surrogates, non-ASCII', () => {
    const values = ['a"b', 'back\\slash', 'tab\tnew\nline', '\u0000\u001f\u007f', 'caf\u00e9 \u{1F600}', 'lone \ud800 high', 'lone \udc00 low', '', '</script>'];
    const r = row(values.map((v, i) => [`f${i}`, v]));
    const want = '{' + values.map((v, i) => `"f${i}":${JSON.stringify(v)}`).join(',') + '}';
    expect(resultToJsonText(r, 'UTC')).toBe(want);
    expect(JSON.parse(resultToJsonText(r, 'UTC'))).toEqual(Object.fromEntries(values.map((v, i) => [`f${i}`, v])));
  });

  it('writes numbers as JSON does (NaN and the infinities as null, -0 as 0) and multivalues as arrays', () => {
    const r = row([['a', 0.1 + 0.2], ['b', 1e21], ['c', -0], ['d', Number.NaN], ['e', Number.POSITIVE_INFINITY], ['mv', ['x', 2, 'y"z', Number.NaN]]]);
    expect(resultToJsonText(r, 'UTC')).toBe('{"a":0.30000000000000004,"b":1e+21,"c":0,"d":null,"e":null,"mv":["x",2,"y\\"z",null]}');
  });

  it('writes _time as ISO 8601 with microseconds in the zone, and leaves out `omit`', () => {
    const t = Date.UTC(2026, 10, 20, 12, 30, 5) / 1000 + 0.25;
    const r = row([['_time', t], ['x', 'y']]);
    expect(resultToJsonText(r, 'UTC')).toBe('{"_time":"2026-11-20T12:30:05.250000+00:00","x":"y"}');
    expect(resultToJsonText(r, 'Asia/Kolkata')).toBe('{"_time":"2026-11-20T18:00:05.250000+05:30","x":"y"}');
    expect(resultToJsonText(r, 'UTC', '_time')).toBe('{"x":"y"}');
    expect(resultToJsonText(new Row(), 'UTC')).toBe('{}');
  });

  it("keeps the result's field order, integer names included, and writes a field named __proto__", () => {
    const r = row([['b', 1], ['10', 'ten'], ['a', 2], ['2', 'two'], ['__proto__', 'p']]);
    const text = resultToJsonText(r, 'UTC');
    expect(text).toBe('{"b":1,"10":"ten","a":2,"2":"two","__proto__":"p"}');
    // Parsed, it is the same data (JSON.parse makes __proto__ an own property).
    expect(Object.keys(JSON.parse(text) as object).sort()).toEqual(['10', '2', '__proto__', 'a', 'b']);
  });

  it('gives the same text for values met again and for many distinct ones (its caches)', () => {
    const out: string[] = [];
    const want: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const v = i % 3 === 0 ? `pod-${i % 7}` : `value "${i}" \u00e9`;
      out.push(resultToJsonText(row([[`name${i % 5000}`, v], ['long', 'x'.repeat(60) + i]]), 'UTC'));
      want.push(`{"name${i % 5000}":${JSON.stringify(v)},"long":"${'x'.repeat(60)}${i}"}`);
    }
    expect(out).toEqual(want);
  });
});

describe('resultToJsonText and risk events: field names of megabytes are not kept', () => {
  // Names are cached by the thread (a server's search worker lives on): a name can be megabytes (`spath` of a
  // value's keys), and 4,096 of them stayed. Measured after a full collection, with a wide margin: 8 names of
  // 8 MB each (64 MB, twice kept: the name and its text) against what the test itself holds (~nothing).
  it('leaves them to the collector after writing them', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const curl = loadContent().detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
    const write = (i: number) => {
      const name = `${i}`.padEnd(8 * 1024 * 1024, 'n');
      const r = row([['pod_name', 'p'], [name, 1]]);
      expect(resultToJsonText(r, 'UTC').length).toBe(name.length + 21);
      const [ev] = riskEventsFor(curl, [r], 0);
      expect(ev!.get(name)).toBe(1);
    };
    write(-1); // modules and caches warmed
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 8; i++) write(i);
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
  });
});
