import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanTetragonLine } from '../../src/normalize/tetragon-index.js';
import { eventKind } from '../../src/normalize/tetragon-kind.js';
import {
  parseTetragonTime,
  tetragonSourcetype,
  toEvent,
  toEventFromSpans,
  type ToEventContext,
  type ToEventOutcome,
} from '../../src/sources/tetragon.js';

const FIX = new URL('../fixtures/tetragon/', import.meta.url);
const lines = (name: string): string[] => readFileSync(new URL(name, FIX), 'utf8').split('\n').filter((l) => l !== '');
const upstream = lines('upstream-samples.jsonl');
const [splunkExample] = lines('splunk-example.jsonl') as [string];
const synthetic = lines('synthetic.jsonl');

const ctx = (over: Partial<ToEventContext> = {}): ToEventContext => ({
  index: 'main',
  source: 'test.jsonl',
  defaultHost: 'fallback-host',
  fallbackTime: () => 42,
  ...over,
});

describe('eventKind', () => {
  it('finds the body key of each real sample', () => {
    const kinds = upstream.map((l) => eventKind(JSON.parse(l)));
    expect(kinds).toEqual([
      'process_exec', 'process_exec', 'process_exec', 'process_exec', 'process_exec', 'process_exit',
      'process_kprobe', 'process_kprobe', 'process_exec', 'process_exec', 'process_exec', 'process_exec',
      'process_exit', 'process_kprobe',
    ]);
    expect(eventKind(JSON.parse(splunkExample))).toBe('process_exec');
    expect(eventKind(JSON.parse(synthetic[0] as string))).toBe('process_connect');
  });

  it('returns other kinds by their key, skipping envelope keys, and null when there is none', () => {
    expect(eventKind({ node_name: 'n', time: 't', process_lsm: { process: {} } })).toBe('process_lsm');
    expect(eventKind({ node_labels: { a: 'b' }, rate_limit_info: { number_of_dropped_process_events: '3' } })).toBe('rate_limit_info');
    expect(eventKind({ node_name: 'n', time: 't' })).toBeNull();
    expect(eventKind({ process_exec: 'not an object' })).toBeNull();
    expect(eventKind([1, 2])).toBeNull();
    expect(eventKind(null)).toBeNull();
  });
});

describe('tetragonSourcetype', () => {
  it('splits out processExec and processConnect, everything else is cisco:isovalent', () => {
    expect(tetragonSourcetype('process_exec')).toBe('cisco:isovalent:processExec');
    expect(tetragonSourcetype('process_connect')).toBe('cisco:isovalent:processConnect');
    expect(tetragonSourcetype('process_exit')).toBe('cisco:isovalent');
    expect(tetragonSourcetype('process_kprobe')).toBe('cisco:isovalent');
    expect(tetragonSourcetype('process_tracepoint')).toBe('cisco:isovalent');
    expect(tetragonSourcetype(null)).toBe('cisco:isovalent');
  });
});

describe('parseTetragonTime', () => {
  it('keeps microseconds of a nanosecond timestamp, truncating', () => {
    expect(parseTetragonTime('2025-08-14T20:42:47.459945318Z')).toBe(1755204167.459945);
    expect(parseTetragonTime('2023-10-06T22:03:57.700326678Z')).toBe(1696629837.700326);
  });

  it('never rounds up into the next second', () => {
    expect(parseTetragonTime('2025-08-14T21:03:00.999999999Z')).toBe(1755205380.999999);
    expect(Math.floor(parseTetragonTime('2025-08-14T21:03:00.9999999Z') as number)).toBe(1755205380);
  });

  it('accepts millisecond, whole-second and short fractions', () => {
    expect(parseTetragonTime('2022-01-19T11:16:29.378Z')).toBe(1642590989.378);
    expect(parseTetragonTime('2022-01-19T11:16:29Z')).toBe(1642590989);
    expect(parseTetragonTime('2022-01-19T11:16:29.5Z')).toBe(1642590989.5);
  });

  it('applies offsets', () => {
    expect(parseTetragonTime('2022-01-19T13:16:29.378+02:00')).toBe(parseTetragonTime('2022-01-19T11:16:29.378Z'));
    expect(parseTetragonTime('2022-01-19T06:46:29-04:30')).toBe(parseTetragonTime('2022-01-19T11:16:29Z'));
    expect(parseTetragonTime('2025-08-14T21:01:00.5+02:00')).toBe(1755198060.5);
  });

  it('handles leap years, early years and pre-1970 times', () => {
    expect(parseTetragonTime('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29) / 1000);
    expect(parseTetragonTime('1969-12-31T23:59:59.5Z')).toBe(-0.5);
    expect(parseTetragonTime('0050-01-01T00:00:00Z')).toBe(new Date('0050-01-01T00:00:00Z').getTime() / 1000);
  });

  it('rejects what is not RFC3339', () => {
    for (const bad of [
      '', 'yesterday', '2022-01-19', '2022-01-19T11:16:29', '2022-13-01T00:00:00Z', '2023-02-29T00:00:00Z',
      '2022-01-19T24:00:00Z', '2022-01-19T11:60:00Z', '2022-01-19T11:16:29.Z', '2022-01-19T11:16:29+0200',
      '2022-01-19T11:16:29+25:00', ' 2022-01-19T11:16:29Z', '1642590989',
    ]) {
      expect(parseTetragonTime(bad), bad).toBeNull();
    }
  });

  it('gives exactly what the former regex-based parser gave, on generated timestamps', () => {
    // The previous implementation, kept as the reference.
    const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
    const daysFromCivil = (y: number, m: number, d: number): number => {
      const yy = m <= 2 ? y - 1 : y;
      const era = Math.floor(yy / 400);
      const yoe = yy - era * 400;
      const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
      return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
    };
    const dim = (y: number, m: number): number =>
      m === 2 ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28) : m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
    const reference = (text: string): number | null => {
      const m = RFC3339.exec(text);
      if (!m) return null;
      const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i])) as [number, number, number, number, number, number];
      if (mo < 1 || mo > 12 || d < 1 || d > dim(y, mo) || h > 23 || mi > 59 || s > 60) return null;
      let secs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
      if (!m[8]) {
        const oh = Number(m[10]);
        const om = Number(m[11]);
        if (oh > 23 || om > 59) return null;
        secs -= (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
      }
      const micros = m[7] ? Number((m[7] + '00000').slice(0, 6)) : 0;
      return (secs * 1_000_000 + micros) / 1_000_000;
    };
    let seed = 5;
    const rand = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 32;
    };
    const digits = (n: number): string => Array.from({ length: n }, () => String(Math.floor(rand() * 10))).join('');
    const part = (n: number, max: number): string => (rand() < 0.9 ? String(Math.floor(rand() * max)).padStart(n, '0') : digits(n));
    const noise = ['', 'x', 'Z', '.', '+', ':', '0', ' ', 'T', '-'];
    let valid = 0;
    for (let i = 0; i < 20000; i++) {
      const fraction = rand() < 0.7 ? '.' + digits(Math.floor(rand() * 12)) : '';
      const zone = rand() < 0.6 ? (rand() < 0.9 ? 'Z' : 'z') : `${rand() < 0.5 ? '+' : '-'}${part(2, 26)}:${part(2, 62)}`;
      let t = `${part(4, 10000)}-${part(2, 14)}-${part(2, 33)}${'Tt '[Math.floor(rand() * 3)]}${part(2, 25)}:${part(2, 61)}:${part(2, 62)}${fraction}${zone}`;
      if (rand() < 0.2) {
        const at = Math.floor(rand() * t.length);
        t = t.slice(0, at) + (noise[Math.floor(rand() * noise.length)] as string) + t.slice(at + (rand() < 0.5 ? 1 : 0));
      }
      const want = reference(t);
      if (want !== null) valid++;
      expect(parseTetragonTime(t), t).toBe(want);
    }
    expect(valid).toBeGreaterThan(5000);
  });
});

describe('toEvent', () => {
  it('builds the Splunk example event', () => {
    const out = toEvent(splunkExample, ctx());
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.missingTime).toBe(false);
    const { json, ...rest } = out.event;
    expect(rest).toEqual({
      _time: 1755204167.459945,
      index: 'main',
      sourcetype: 'cisco:isovalent:processExec',
      source: 'test.jsonl',
      host: 'ip-10-0-10-253.us-west-2.compute.internal',
      _raw: splunkExample,
    });
    expect(json).toEqual(JSON.parse(splunkExample));
  });

  it('assigns sourcetypes per kind, and honours overrides', () => {
    const st = (l: string, over: Partial<ToEventContext> = {}): string => {
      const out = toEvent(l, ctx(over));
      if (!out.ok) throw new Error(out.reason);
      return out.event.sourcetype;
    };
    expect(st(upstream[5] as string)).toBe('cisco:isovalent'); // process_exit
    expect(st(upstream[6] as string)).toBe('cisco:isovalent'); // process_kprobe
    expect(st(synthetic[0] as string)).toBe('cisco:isovalent:processConnect');
    expect(st('{"process_lsm":{},"time":"2024-01-01T00:00:00Z"}')).toBe('cisco:isovalent');
    expect(st(upstream[5] as string, { sourcetype: 'my:st' })).toBe('my:st');
  });

  it('takes host from node_name, else the override or the default host', () => {
    const host = (l: string, over: Partial<ToEventContext> = {}): string => {
      const out = toEvent(l, ctx(over));
      if (!out.ok) throw new Error(out.reason);
      return out.event.host;
    };
    expect(host(upstream[8] as string)).toBe('minikube');
    expect(host(upstream[6] as string)).toBe('fallback-host'); // kprobe sample without node_name
    expect(host(upstream[8] as string, { host: 'override' })).toBe('override');
  });

  it('uses the fallback time for an event without time, and says so', () => {
    const out = toEvent(upstream[0] as string, ctx({ fallbackTime: () => 1234.5 }));
    expect(out).toMatchObject({ ok: true, missingTime: true, event: { _time: 1234.5 } });
  });

  it('reports malformed lines with a reason', () => {
    const reason = (l: string): string => {
      const out = toEvent(l, ctx());
      return out.ok ? 'ok' : out.reason;
    };
    expect(reason('{"process_exec": ')).toMatch(/^not JSON: /);
    expect(reason('[1,2]')).toBe('not a JSON object');
    expect(reason('"text"')).toBe('not a JSON object');
    expect(reason('null')).toBe('not a JSON object');
    expect(reason('{"process_exec":{},"time":null}')).toBe('ok'); // null counts as missing
  });

  it('keeps an event whose time is not RFC 3339, dated as a time-less one, and says which value it could not read', () => {
    // Splunk, "How timestamp assignment works" (Getting Data In): an event whose time it cannot recognise takes the
    // previous event's timestamp (else the file's modification time, else now): it is indexed, never dropped.
    const outcome = (l: string): ToEventOutcome => toEvent(l, ctx({ fallbackTime: () => 1234 }));
    for (const [line, shown] of [
      ['{"process_exec":{},"time":"yesterday"}', '"yesterday"'],
      ['{"process_exec":{},"time":1642590989}', '1642590989'],
      ['{"process_exec":{},"time":"2022-02-30T00:00:00Z"}', '"2022-02-30T00:00:00Z"'],
      ['{"process_exec":{},"time":{"seconds":1}}', '{"seconds":1}'],
    ] as const) {
      const out = outcome(line);
      expect(out.ok && { time: out.event._time, missingTime: out.missingTime, badTime: out.badTime, raw: out.event._raw }).toEqual({
        time: 1234,
        missingTime: true,
        badTime: shown,
        raw: line,
      });
      // The byte scan's path says the same (it declines a time that is not a string: toEvent then reads it).
      const spans = scanTetragonLine(Buffer.from(line), 0, Buffer.byteLength(line));
      const fast = spans === null ? null : toEventFromSpans(line, spans, ctx({ fallbackTime: () => 1234 }));
      if (fast !== null) expect(fast.ok && [fast.event._time, fast.missingTime, fast.badTime]).toEqual([1234, true, shown]);
    }
    const good = outcome('{"process_exec":{},"time":"2022-10-18T05:16:18.273546829+02:00"}');
    expect(good.ok && [good.event._time, good.missingTime, good.badTime]).toEqual([1666062978.273546, false, undefined]);
  });

  it('parses without stack traces, and leaves Error.stackTraceLimit as it found it', () => {
    const before = Error.stackTraceLimit;
    try {
      Error.stackTraceLimit = 7;
      expect(toEvent('garbage', ctx())).toEqual({ ok: false, reason: expect.stringMatching(/^not JSON: .*garbage/) });
      expect(Error.stackTraceLimit).toBe(7);
      expect(toEvent(upstream[0] as string, ctx()).ok).toBe(true);
      expect(Error.stackTraceLimit).toBe(7);
    } finally {
      Error.stackTraceLimit = before;
    }
  });
});
