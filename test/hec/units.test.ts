import { describe, expect, it, vi } from 'vitest';
import { memberSpan, splitValues } from '../../src/hec/json-stream.js';
import { tokenFromAuthorization } from '../../src/hec/auth.js';
import { routeOf } from '../../src/hec/server.js';
import { authorizationParts } from '../../src/config/token-set.js';
import { AckIds } from '../../src/hec/ack.js';
import { firstInvalidUtf8 } from '../../src/hec/body.js';
import { envelopeTime, parseEventBatch, parseRawBatch, tetragonKind } from '../../src/hec/events.js';
import { detach } from '../../src/normalize/tetragon-index.js';

describe('splitValues', () => {
  const texts = (t: string) => {
    const r = splitValues(t);
    return { values: r.spans.map((s) => t.slice(s.start, s.end)), truncatedAt: 'truncatedAt' in r ? r.truncatedAt : null };
  };

  it('splits objects back to back, with or without whitespace', () => {
    expect(texts('{"a":1}{"b":2}\n\r\n {"c":"}{"}\t')).toEqual({ values: ['{"a":1}', '{"b":2}', '{"c":"}{"}'], truncatedAt: null });
  });

  it('skips braces and escaped quotes inside strings', () => {
    expect(texts('{"a":"\\"}"}{"b":"\\\\"}')).toEqual({ values: ['{"a":"\\"}"}', '{"b":"\\\\"}'], truncatedAt: null });
  });

  it('reports the value that is cut off', () => {
    expect(texts('{"a":1}{"b":"x')).toEqual({ values: ['{"a":1}'], truncatedAt: 1 });
    expect(texts('{"a":{"b":[1,2]}')).toEqual({ values: [], truncatedAt: 0 });
  });

  it('makes progress on stray delimiters and literals', () => {
    expect(texts('}, 12 null').values).toEqual(['}', ',', '12', 'null']);
  });

  it('is iterative: a million levels of nesting', () => {
    const deep = '['.repeat(1_000_000) + ']'.repeat(1_000_000);
    expect(splitValues(deep).spans).toEqual([{ start: 0, end: deep.length }]);
  });
});

describe('memberSpan', () => {
  const member = (t: string, key: string) => {
    const s = memberSpan(t, { start: 0, end: t.length }, key);
    return s ? t.slice(s.start, s.end) : null;
  };
  it('finds the exact text of a top-level member, the last of duplicates, escaped keys', () => {
    expect(member('{"time":1, "event" : {"x":[1,{"event":2}]} ,"host":"h"}', 'event')).toBe('{"x":[1,{"event":2}]}');
    expect(member('{"event":1,"event":[2]}', 'event')).toBe('[2]');
    expect(member('{"\\u0065vent":"e"}', 'event')).toBe('"e"');
    expect(member('{"a":1}', 'event')).toBeNull();
    expect(member('{}', 'event')).toBeNull();
  });
});

describe('splitValues with a member key (one pass)', () => {
  const spanText = (t: string, s: { start: number; end: number } | null | undefined) => (s ? t.slice(s.start, s.end) : null);

  it('finds what memberSpan finds, in every value', () => {
    const t = '{"time":1, "event" : {"x":[1,{"event":2}]} ,"host":"h"} {"event":1,"event":[2]}\n{"\\u0065vent":"e"}{"a":1}{}{"event":-1.5e3 }{"event" :true}[1]"s" 7';
    const r = splitValues(t, 'event');
    expect('truncatedAt' in r).toBe(false);
    expect(r.spans.map((s) => spanText(t, s.member))).toEqual(['{"x":[1,{"event":2}]}', '[2]', '"e"', null, null, '-1.5e3', 'true', null, null, null]);
    expect(r.spans.map((s) => ({ start: s.start, end: s.end }))).toEqual(splitValues(t).spans);
  });

  it('agrees with memberSpan and splitValues on random envelopes', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const ws = () => [' ', '', '\n', '\t ', ''][Math.floor(rnd() * 5)]!;
    const str = () => JSON.stringify(['event', 'ev"ent', 'e\\v', '}{', 'x', '[', 'évent', ''][Math.floor(rnd() * 8)]);
    const value = (depth: number): string => {
      const k = Math.floor(rnd() * (depth > 3 ? 4 : 7));
      if (k === 0) return str();
      if (k === 1) return String(Math.floor(rnd() * 1e6) / 100);
      if (k === 2) return ['true', 'false', 'null'][Math.floor(rnd() * 3)]!;
      if (k === 3) return '-0.5E+2';
      if (k === 4) return `[${ws()}${Array.from({ length: Math.floor(rnd() * 3) }, () => value(depth + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
      return object(depth + 1);
    };
    const object = (depth: number): string => {
      const keys = ['"event"', '"time"', '"\\u0065vent"', '"host"', '"event "', '"fields"'];
      const members = Array.from({ length: Math.floor(rnd() * 5) }, () => `${ws()}${keys[Math.floor(rnd() * keys.length)]}${ws()}:${ws()}${value(depth)}${ws()}`);
      return `{${members.join(',')}}`;
    };
    for (let n = 0; n < 300; n++) {
      const text = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ws() + object(0)).join('') + ws();
      const one = splitValues(text, 'event');
      const two = splitValues(text);
      expect(one.spans.map((s) => ({ start: s.start, end: s.end }))).toEqual(two.spans);
      for (const s of one.spans) {
        JSON.parse(text.slice(s.start, s.end)); // every generated envelope is valid JSON
        expect(spanText(text, s.member)).toBe(spanText(text, memberSpan(text, s, 'event')));
      }
    }
  });

  it('reports a cut-off value like splitValues', () => {
    expect(splitValues('{"event":1}{"event":{"a":"x', 'event')).toMatchObject({ truncatedAt: 1 });
    expect(splitValues('{"event":"x', 'event')).toMatchObject({ truncatedAt: 0 });
  });
});

describe('batch builders hand over their parse', () => {
  const token = { name: 't', token: 'x', defaultIndex: 'main', indexes: [], useAck: false, disabled: false } as unknown as Parameters<typeof parseEventBatch>[1]['token'];
  const ctx = { token, now: 1_700_000_000, defaultHost: 'here', maxJsonDepth: 8 };
  /** The HEC reply body of a batch parseEventBatch refuses. */
  const refused = (body: string) => {
    try {
      parseEventBatch(body, ctx, { autoExtractTimestamp: false, defaults: {} });
    } catch (e) {
      return (e as { reply: { body: Record<string, unknown> } }).reply.body;
    }
    throw new Error('accepted');
  };

  it('/event: an object event carries the parse of its exact `_raw`; a string event only when it was parsed', () => {
    const body = '{"event": {"process_exec":{"process":{"pid":1}},"node_name":"n1","time":"2026-01-01T00:00:00Z", "big": 12345678901234567890}}\n' + '{"event":"plain","host":"h"}{"event":[1,2],"host":"h"}';
    const [a, b, c] = parseEventBatch(body, ctx, { autoExtractTimestamp: false, defaults: {} });
    expect(a!._raw).toBe('{"process_exec":{"process":{"pid":1}},"node_name":"n1","time":"2026-01-01T00:00:00Z", "big": 12345678901234567890}');
    expect(a!.json).toEqual(JSON.parse(a!._raw));
    expect(a!.host).toBe('n1');
    expect(b!.json).toBeUndefined(); // host given, httpevent: never looked inside
    expect(c!.json).toEqual([1, 2]);
  });

  it('/event: `fields` become the event\'s indexed fields, as text; null is no value; none is no property', () => {
    // Splunk's HEC: "fields" is "a JSON object that contains explicit custom fields to be defined at index time";
    // values are flat (a scalar, or an array of scalars: a multivalue field).
    const body =
      '{"event":"a","fields":{"k8s.pod.name":"web-1","n":9,"ok":true,"tags":["x",2,null],"gone":null,"empty":[],"one":["solo"],"__proto__":["p"],"constructor":"c"}}' +
      '{"event":"b","fields":{}}{"event":"c"}{"event":"d","fields":null}';
    const [a, b, c, d] = parseEventBatch(body, ctx, { autoExtractTimestamp: false, defaults: {} });
    expect({ ...a!.fields }).toEqual({ 'k8s.pod.name': 'web-1', n: '9', ok: 'true', tags: ['x', '2'], one: 'solo', ['__proto__']: 'p', constructor: 'c' });
    expect(Object.keys(a!.fields!)).toContain('__proto__');
    for (const e of [b, c, d]) expect('fields' in e!).toBe(false);
  });

  it('/event: a number in `fields` is indexed as the text the client sent, not through a double', () => {
    // "Format events for HTTP Event Collector", Event metadata: `fields` values are String or Array<String>, i.e.
    // text; a 64-bit id sent as a JSON number became "12345678901234567000" and 1e400 "Infinity".
    const body =
      '{"event":"a","fields":{"big": 12345678901234567890,"ids":[9007199254740993, "s", -0.50, null],"huge":1e400,"f":1.0,"n":9}}' +
      // Duplicate keys: JSON.parse keeps the last, and so does the text; an escaped name is the same name.
      '{"event":"b","fields":{"d":1,"d":2.50,"\\u0078":10e-1}}' +
      // In an array batch too.
      '[{"event":"c","fields":{"big":-12345678901234567890}}]';
    const [a, b, c] = parseEventBatch(body, ctx, { autoExtractTimestamp: false, defaults: {} });
    expect({ ...a!.fields }).toEqual({ big: '12345678901234567890', ids: ['9007199254740993', 's', '-0.50'], huge: '1e400', f: '1.0', n: '9' });
    expect({ ...b!.fields }).toEqual({ d: '2.50', x: '10e-1' });
    expect({ ...c!.fields }).toEqual({ big: '-12345678901234567890' });
  });

  it('refuses envelopes nested deeper than maxJsonDepth before parsing them, numbering the event', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    // Depth 8 is the limit here: the envelope (1) holding 7 arrays passes, 8 arrays do not.
    expect(parseEventBatch(`{"event":${deep(7)}}`, ctx, { autoExtractTimestamp: false, defaults: {} })).toHaveLength(1);
    expect(refused(`{"event":"a"}{"event":${deep(8)}}`)).toMatchObject({ code: 6, 'invalid-event-number': 1 });
    // Brackets inside strings do not nest.
    expect(parseEventBatch(`{"event":"${'['.repeat(50)}"}`, ctx, { autoExtractTimestamp: false, defaults: {} })[0]!._raw).toBe('['.repeat(50));
    // A top-level value that is not an object is no envelope, whatever its depth.
    expect(refused(deep(100_000))).toMatchObject({ code: 6, 'invalid-event-number': 0 });
    // A string event or a /raw line nested too deep is kept as text, not looked into (so not routed as Tetragon's).
    const line = `{"process_exec":{"process":{"pid":1}},"x":${deep(8)}}`;
    const [kept] = parseRawBatch(`${line}\n`, {}, ctx);
    expect(kept).toMatchObject({ _raw: line, sourcetype: 'httpevent' });
    expect(kept!.json).toBeUndefined();
  });

  it('refuses a lone surrogate escape in a string event or its metadata (no UTF-8 form), as invalid UTF-8; an object event keeps it as text', () => {
    expect(refused('{"event":"ok"}{"event":"a\\ud800b"}')).toMatchObject({ code: 6, 'invalid-event-number': 1 });
    expect(refused('{"event":"lone low \\udc00"}')).toMatchObject({ code: 6, 'invalid-event-number': 0 });
    for (const key of ['host', 'source', 'sourcetype']) expect(refused(`{"event":"a"}{"event":"b"}{"event":"c","${key}":"x\\ud83d"}`), key).toMatchObject({ code: 6, 'invalid-event-number': 2 });
    // A pair escaped is one character (U+1F600); an object event's escape stays the text the client sent.
    const [pair, obj] = parseEventBatch('{"event":"\\ud83d\\ude00"}{"event":{"msg":"\\ud800"},"host":"h"}', ctx, { autoExtractTimestamp: false, defaults: {} });
    expect(pair!._raw).toBe('\u{1F600}');
    expect(obj!._raw).toBe('{"msg":"\\ud800"}');
  });

  it('a Tetragon event whose node_name holds a lone surrogate escape gets U+FFFD in its host, as a file read gives', () => {
    // Splunk keeps text as UTF-8 ("Configure character set encoding", help.splunk.com Get Data In), where a lone
    // surrogate has no form: the store kept its bytes as three U+FFFD, a file read the surrogate itself.
    const [e] = parseEventBatch('{"event":{"process_exec":{"process":{"pid":1}},"node_name":"n\\ud800","time":"2026-01-01T00:00:00Z"}}', ctx, { autoExtractTimestamp: false, defaults: {} });
    expect(e!.host).toBe('n\uFFFD');
    expect(e!._raw).toContain('"n\\ud800"');
  });

  it('/raw: JSON lines carry their parse', () => {
    const [a, b] = parseRawBatch('{"process_exec":{"process":{"pid":1}},"node_name":"n1","time":"2026-01-01T00:00:00Z"}\nnot json\n', {}, ctx);
    expect(a!.json).toEqual(JSON.parse(a!._raw));
    expect(b!.json).toBeUndefined();
    expect(b!._raw).toBe('not json');
  });

  it('detach keeps the text', () => {
    const body = 'x'.repeat(100) + 'abcdefghijklmnopqrstuvwxyz' + 'y'.repeat(100);
    expect(detach(body.slice(100, 126))).toBe('abcdefghijklmnopqrstuvwxyz');
    expect(detach('')).toBe('');
    expect(detach('short')).toBe('short');
  });
});

describe('tokenFromAuthorization', () => {
  it.each([
    ['Splunk abc', 'abc'],
    ['splunk   abc  ', 'abc'],
    ['Basic ' + Buffer.from('user:tok:en').toString('base64'), 'tok:en'],
    ['Basic ' + Buffer.from(':tok').toString('base64'), 'tok'],
  ])('%s', (h, t) => expect(tokenFromAuthorization(h)).toBe(t));
  it.each(['abc', 'Splunk', 'Splunk a b', 'Bearer abc', 'Basic %%%', 'Basic ' + Buffer.from('nocolon').toString('base64'), 'Basic ' + Buffer.from('user:').toString('base64')])(
    'malformed: %s',
    (h) => expect(tokenFromAuthorization(h)).toBeNull(),
  );

  // The regex parser this replaced (quadratic on `Splunk a<spaces>b`): the reference for every short input.
  function regexParse(header: string): string | null {
    const m = /^\s*(\S+)\s+(\S.*?)\s*$/.exec(header);
    if (!m) return null;
    const scheme = m[1]!.toLowerCase();
    const credentials = m[2]!;
    if (scheme === 'splunk') return /\s/.test(credentials) ? null : credentials;
    if (scheme !== 'basic' || !/^[A-Za-z0-9+/]+={0,2}$/.test(credentials)) return null;
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 || colon === decoded.length - 1 ? null : decoded.slice(colon + 1);
  }

  it('answers as the regex parser did, on 20 000 generated headers', () => {
    const words = ['Splunk', 'splunk', 'Basic', 'BASIC', 'Bearer', 'tok', 'dXNlcjp0b2s=', 'Og==', 'YTpi', 'a=b', '+/', '=', ':', 'x\u00a0y'];
    const spaces = [' ', '  ', '\t', '\u00a0', '\v', '\f', ''];
    let seed = 7;
    const pick = <T>(xs: readonly T[]): T => xs[(seed = (seed * 1103515245 + 12345) & 0x7fffffff) % xs.length]!;
    const differ: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      let h = pick(spaces);
      for (let w = 1 + (i % 4); w > 0; w--) h += pick(words) + pick(spaces);
      if (tokenFromAuthorization(h) !== regexParse(h)) differ.push(h);
    }
    expect(differ).toEqual([]);
  });

  it('16 KB pathological headers get the right answer (code 3 or the token), and no regex ever sees them', () => {
    const pad = ' '.repeat(16_000);
    const exec = vi.spyOn(RegExp.prototype, 'exec');
    try {
      expect(tokenFromAuthorization(`Splunk a${pad}b`)).toBeNull();
      expect(tokenFromAuthorization(pad)).toBeNull();
      expect(tokenFromAuthorization(`Splunk${pad}`)).toBeNull();
      expect(tokenFromAuthorization(`\t${pad}Splunk${pad}tok${pad}`)).toBe('tok');
      expect(tokenFromAuthorization(`Basic ${'A'.repeat(16_000)}!`)).toBeNull();
      expect(authorizationParts(`Bearer x${'\t'.repeat(16_000)}y`)).toEqual({ scheme: 'Bearer', credentials: `x${'\t'.repeat(16_000)}y` });
      // The path is read before any token is checked, too.
      expect(routeOf('/' + '/'.repeat(16_000) + 'x')).toBeNull();
      expect(routeOf('/services/collector/raw' + '/'.repeat(16_000))).toBe('raw');
      expect(routeOf('/')).toBeNull();
      expect(exec).not.toHaveBeenCalled();
    } finally {
      exec.mockRestore();
    }
  });
});

describe('AckIds', () => {
  it('an ack id is its batch\'s first seq; ids up to the store\'s last seq read true, others false', () => {
    let storeSeq = 41;
    const ids = new AckIds(() => storeSeq);
    // Handed out before a restart (≤ the store's seq): answered from the store.
    expect(ids.query([1, 41, 42, 0])).toEqual({ '1': true, '41': true, '42': false, '0': false });
    storeSeq = 45;
    expect(ids.of({ count: 3, firstSeq: 42 })).toBe(42);
    expect(ids.query([42, 45, 46])).toEqual({ '42': true, '45': true, '46': false });
    expect(() => ids.of({ count: 1 })).toThrow(/firstSeq/);
  });

  it('without a store seq (ClickHouse): ids are this process\'s, above its start time; earlier ids read false', () => {
    const before = Date.now() * 1000;
    const ids = new AckIds();
    const a = ids.of({ count: 2 });
    const b = ids.of({ count: 1 });
    expect(a).toBeGreaterThan(before);
    expect(b).toBe(a + 1);
    expect(Number.isSafeInteger(b)).toBe(true);
    // An id of a predecessor (below this start), one not handed out yet, and nonsense: false.
    expect(ids.query([a, b, b + 1, before, 1, 0])).toEqual({ [a]: true, [b]: true, [b + 1]: false, [before]: false, '1': false, '0': false });
    // A node restarted a millisecond later starts above the ids its predecessor handed out.
    const ms = Date.now();
    while (Date.now() === ms);
    expect(new AckIds().of({ count: 1 })).toBeGreaterThan(b);
  });
});

describe('helpers', () => {
  it('firstInvalidUtf8', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo 🚀'))).toBe(Buffer.from('héllo 🚀').length);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x80]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xf0, 0x9f, 0x9a]))).toBe(1);
  });

  it('envelopeTime', () => {
    expect(envelopeTime(1433188255.5)).toBe(1433188255.5);
    expect(envelopeTime('1433188255.500')).toBe(1433188255.5);
    expect(envelopeTime(' 12 ')).toBe(12);
    expect(envelopeTime('1e9')).toBeNull();
    expect(envelopeTime('abc')).toBeNull();
    expect(envelopeTime(true)).toBeNull();
    expect(envelopeTime(-5)).toBeNull();
    // Milliseconds sent as seconds land after year 2255: refused rather than stored in the far future.
    expect(envelopeTime(1_700_000_000_000)).toBeNull();
  });

  it('tetragonKind needs a Tetragon kind and its envelope', () => {
    expect(tetragonKind({ process_exec: {}, time: 't' })).toBe('process_exec');
    expect(tetragonKind({ process_lsm: {}, node_name: 'n' })).toBe('process_lsm');
    expect(tetragonKind({ process_exec: {} })).toBeNull();
    expect(tetragonKind({ foo: {}, time: 't' })).toBeNull();
    expect(tetragonKind('x')).toBeNull();
  });
});
