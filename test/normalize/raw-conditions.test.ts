import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/events/event.js';
import { compileRawFilter, emptyScanRequest, wildcardMatcher, type RawFilter } from '../../src/events/scan.js';
import { toText, valuesOf } from '../../src/events/value.js';
import { eventResult } from '../../src/normalize/event-result.js';
import { rawConditionFor, rawConditionForExists } from '../../src/normalize/raw-conditions.js';
import { TETRAGON_CIM_FIELDS } from '../../src/normalize/tetragon.js';
import { FileSource } from '../../src/sources/file.js';
import { toEvent } from '../../src/sources/tetragon.js';

const FIX = new URL('../fixtures/tetragon/', import.meta.url);
const lines = (name: string): string[] => readFileSync(new URL(name, FIX), 'utf8').split('\n').filter((l) => l !== '');
const upstream = lines('upstream-samples.jsonl');
const realLines = [...upstream, ...lines('splunk-example.jsonl'), ...lines('synthetic.jsonl'), ...lines('cim-kinds.jsonl')];

/** Lines whose values stress the rules: numbers printed differently from raw, escapes, odd keys. */
const trickyLines = [
  '{"process_exec":{"process":{"binary":"/usr/bin/a\\"b","arguments":"x\\\\y <z> & \'q\' a=b c+d","pid":1.0,"uid":1e3,"cwd":"/caf\\u00e9"},"parent":{"binary":"no-slash","pid":-0}},"node_name":"n\\u003cx\\u003e","time":"2024-01-01T00:00:00Z"}',
  '{"process_exec":{"process":{"binary":"/x/","arguments":""}},"process_name":12345678901234567890,"pod_name":true,"a.b":{"c":null},"a":{"b.c":[1.50,2e-7]},"time":"2024-01-01T00:00:00Z"}',
  '{"process_connect":{"process":{"binary":"/bin/x"},"source_port":"0443","destination_port":1e2,"protocol":6,"destination_ip":"::1"},"time":"2024-01-01T00:00:00Z"}',
  '{"weird key":{"k{}":"v","":"empty key"},"arr":[[],[{}],[[1]]],"x{}y":"brace","time":"2024-01-01T00:00:00Z"}',
  '{"process_kprobe":{"process":{"binary":"/bin/K\\u212aube"},"args":[{"string_arg":"İstanbul"}]},"time":"2024-01-01T00:00:00Z"}',
];

function event(line: string, sourcetype?: string): Event {
  const out = toEvent(line, { index: 'main', source: 's', defaultHost: 'h', fallbackTime: () => 0 });
  if (!out.ok) throw new Error(out.reason);
  return sourcetype === undefined ? out.event : { ...out.event, sourcetype };
}

/** Deterministic pseudo-random numbers (the test must be reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const FIXED_PATTERNS = [
  '*', 'sh', 'nsenter', 'NSENTER', '*curl*', '*ps aux*', '*nsenter*', '*mount*', 'bash', '*-k*', '0', '1*', '*0', 'true', 'false',
  'null', '*null*', 'Infinity', '1000', '1.5', '*2e-7*', '12345678901234567890', '*890', '0443', '100', '6', '-0', '*/sh', '/bin/sh*',
  '*"echo hi"*', '* -x', '*.jsonl', 'kube*', '*kube*', 'minikube', 'default', 'aws-node-*', '*:v1.19.2', 'containerd://*', '*x*y*',
];

/** Patterns derived from a value's text: whole, cased, prefixes, suffixes, middles, holes. */
function patternsFor(text: string, rand: () => number): string[] {
  const out = [text, text.toUpperCase(), `*${text}*`];
  for (let i = 0; i < 4 && text.length > 0; i++) {
    const a = Math.floor(rand() * text.length);
    const b = a + 1 + Math.floor(rand() * (text.length - a));
    const mid = text.slice(a, b);
    out.push(`*${mid}*`, `${text.slice(0, b)}*`, `*${text.slice(a)}`);
    const hole = text.slice(0, a) + '*' + text.slice(b);
    out.push(hole, hole.toLowerCase());
  }
  // Few stars: wildcardMatcher's regex backtracks heavily on many-star patterns that do not match.
  const spaced = text.split(' ').slice(0, 4);
  if (spaced.length > 1) out.push(spaced.join('*'), `${spaced[0]}*${spaced.at(-1)}`);
  return out;
}

describe('rawConditionFor never excludes an event that really matches', () => {
  it('holds for every sample event, field and pattern', () => {
    const rand = rng(12345);
    let checks = 0;
    let excluded = 0;
    const events: Event[] = [];
    for (const l of [...realLines, ...trickyLines]) events.push(event(l), event(l, '_json'));
    const allFields = new Set<string>(TETRAGON_CIM_FIELDS);
    for (const e of events) for (const f of eventResult(e).fieldNames()) allFields.add(f);
    for (const f of ['absent_field', 'process_exec.nope', '_raw']) allFields.add(f);

    // Each event meets the fixed patterns, the patterns of its own values (the matches) and a sample
    // of other events' patterns for the same field (mostly non-matches, to measure selectivity).
    const own = events.map((e) => {
      const r = eventResult(e);
      const m = new Map<string, string[]>();
      for (const f of allFields) m.set(f, valuesOf(r.get(f)).flatMap((v) => patternsFor(toText(v).slice(0, 80), rand)));
      return m;
    });
    const matchers = new Map<string, (v: string) => boolean>();
    const conds = new Map<string, ((raw: string) => boolean) | null>();
    const fieldList = [...allFields];
    events.forEach((e, i) => {
      const r = eventResult(e);
      // Soundness only concerns fields the event has; a few absent ones measure selectivity.
      const fields = new Set([...r.fieldNames(), ...TETRAGON_CIM_FIELDS, 'absent_field', '_raw']);
      for (let k = 0; k < 5; k++) fields.add(fieldList[Math.floor(rand() * fieldList.length)] as string);
      for (const f of fields) {
        const values = valuesOf(r.get(f)).map(toText);
        const others: string[] = [];
        for (let k = 0; k < 2; k++) {
          const pool = own[Math.floor(rand() * own.length)]?.get(f) ?? [];
          for (let j = 0; j < 5 && pool.length > 0; j++) others.push(pool[Math.floor(rand() * pool.length)] as string);
        }
        for (const p of new Set([...FIXED_PATTERNS, ...(own[i]?.get(f) ?? []), ...others])) {
          let m = matchers.get(p);
          if (!m) matchers.set(p, (m = wildcardMatcher(p)));
          const key = f + '\u0000' + p;
          let test = conds.get(key);
          if (test === undefined) conds.set(key, (test = compileRawFilter(rawConditionFor(f, p))));
          const holds = test === null || test(e._raw);
          const matches = values.some((v) => (m as (v: string) => boolean)(v));
          checks++;
          if (matches && !holds) {
            throw new Error(`excluded a match: field=${f} pattern=${JSON.stringify(p)} value=${JSON.stringify(values)} cond=${JSON.stringify(rawConditionFor(f, p))}`);
          }
          if (!holds) excluded++;
        }
      }
    });
    expect(checks).toBeGreaterThan(50_000); // about 120k
    // The conditions also do some work: many non-matching pairs are excluded.
    expect(excluded).toBeGreaterThan(checks / 4);
  });

  it('holds for existence checks', () => {
    for (const l of [...realLines, ...trickyLines]) {
      for (const e of [event(l), event(l, '_json')]) {
        const r = eventResult(e);
        for (const f of r.fieldNames()) {
          const test = compileRawFilter(rawConditionForExists(f));
          expect(test === null || test(e._raw), `${f} in ${l.slice(0, 60)}`).toBe(true);
        }
      }
    }
  });
});

describe('rawConditionFor: shapes and selectivity', () => {
  const c = (text: string): RawFilter => ({ kind: 'contains', text });
  /** A key-name literal (a poor anchor for a chunk search, see rawAnchors). */
  const k = (text: string): RawFilter => ({ kind: 'contains', text, key: true });
  const selected = (field: string, pattern: string): number[] => {
    const test = compileRawFilter(rawConditionFor(field, pattern));
    return upstream.flatMap((l, i) => (test === null || test(l) ? [i + 1] : []));
  };

  it('says nothing for metadata, constants, empty patterns', () => {
    for (const f of ['index', 'sourcetype', 'source', 'host', '_time', 'vendor_product', 'os', 'action', 'direction']) expect(rawConditionFor(f, 'x*y')).toBeNull();
    expect(rawConditionFor('process_name', '')).toBeNull();
    expect(rawConditionForExists('_raw')).toBeNull();
    expect(rawConditionFor('', 'abc')).toBeNull();
  });

  it('requires the JSON key for a JSON path, with its outer boundaries', () => {
    expect(rawConditionForExists('process_kprobe.action')).toEqual({ kind: 'and', items: [k('"process_kprobe'), k('action"')] });
    expect(rawConditionForExists('process_kprobe.args{}.string_arg')).toEqual({
      kind: 'and',
      items: [k('"process_kprobe'), k('args'), k('string_arg"')],
    });
    expect(selected('process_kprobe.action', '*')).toEqual([7, 8, 14]);
  });

  it('uses /value" or "value" for an exact basename', () => {
    expect(rawConditionFor('process_name', 'nsenter')).toEqual({
      kind: 'and',
      items: [
        c('nsenter'), // implied by both branches: one scan rejects most lines
        {
          kind: 'or',
          items: [
            { kind: 'and', items: [{ kind: 'or', items: [c('/nsenter"'), c('"nsenter"')] }, k('"binary"')] },
            { kind: 'and', items: [c('"nsenter"'), k('"process_name"')] },
          ],
        },
      ],
    });
    // "sh" is not "bash": only /bin/sh (merlin) and the /usr/bin/sh parents of the nc events.
    expect(selected('process_name', 'sh')).toEqual([11, 12, 13]);
    expect(selected('process_name', 'NSENTER')).toEqual([9]);
    expect(selected('parent_process_name', 'bash')).toEqual([4, 5, 6, 9, 10, 14]);
  });

  it('splits process patterns at spaces, which are not in _raw', () => {
    const cond = rawConditionFor('process', '*nsenter -t 1*');
    expect(JSON.stringify(cond)).toContain('"nsenter"');
    expect(JSON.stringify(cond)).toContain('"-t"');
    expect(selected('process', '*nsenter -t 1*')).toEqual([9]);
    expect(selected('process', '/bin/sh -c*')).toEqual([11]);
    expect(selected('process', '*ps aux*')).toEqual([]);
  });

  it('anchors whole-string fields with quotes', () => {
    expect(selected('pod_name', 'xwing')).toEqual([4, 5, 6]);
    expect(selected('pod_name', 'elasticsearch*')).toEqual([12, 13, 14]);
    expect(selected('container_id', '*ef')).toEqual([9, 10]);
  });

  it('does not require digits for fields that may hold numbers', () => {
    expect(rawConditionFor('process_id', '19009')).toEqual({
      kind: 'or',
      items: [k('"pid"'), k('"process_id"')],
    });
    // But a string-only pattern is required in full.
    expect(selected('process_exec.process.pod.container.image.name', '*netperf*')).toEqual([1, 4, 5]); // 6 is process_exit
  });

  it('uses the literal runs for _raw itself', () => {
    expect(rawConditionFor('_raw', '*"pid":19009*')).toEqual(c('"pid":19009'));
    expect(selected('_raw', '*"pid":19009*')).toEqual([9]);
  });
});

describe('rawConditionFor as a FileSource prefilter', () => {
  it('returns exactly the events a full scan finds', async () => {
    const paths = ['upstream-samples.jsonl', 'splunk-example.jsonl', 'synthetic.jsonl'].map((n) => fileURLToPath(new URL(n, FIX)));
    const scan = async (raw: RawFilter | null): Promise<Event[]> => {
      const out: Event[] = [];
      for await (const b of new FileSource(paths, { defaultHost: 'h' }).scan({ ...emptyScanRequest(), raw })) out.push(...b);
      return out;
    };
    const everything = await scan(null);
    const cases: [string, string][] = [
      ['process_name', 'sh'], ['process_name', 'nsenter'], ['process', '*nsenter*'], ['process', '*-c "*'], ['pod_name', '*xwing*'],
      ['parent_process_name', 'bash'], ['process_id', '19009'], ['dest_ip', '169.254.169.254'], ['dest_port', '80'],
      ['process_kprobe.args{}.string_arg', 'second'], ['process_kprobe.action', '*'], ['cluster_name', 'isovalent-*'],
      ['container_id', 'containerd://*'], ['process_exec.process.pod.container.image.name', '*netperf*'], ['user_id', '1000'],
    ];
    for (const [field, pattern] of cases) {
      const m = wildcardMatcher(pattern);
      const expected = everything.filter((e) => valuesOf(eventResult(e).get(field)).some((v) => m(toText(v)))).map((e) => e._raw);
      const prefiltered = (await scan(rawConditionFor(field, pattern))).filter((e) =>
        valuesOf(eventResult(e).get(field)).some((v) => m(toText(v))),
      );
      expect(prefiltered.map((e) => e._raw), `${field}=${pattern}`).toEqual(expected);
      expect(expected.length, `${field}=${pattern} matches something`).toBeGreaterThan(0);
    }
  });
});
