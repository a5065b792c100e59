import { describe, expect, it } from 'vitest';
import { Row } from '../../src/events/result.js';
import { chunkedWriter, outputSink } from '../../src/cli/output.js';

describe('CLI output', () => {
  it('writes a synchronous run of pieces at once, in order, before anything else runs', async () => {
    const writes: string[] = [];
    const write = chunkedWriter((s) => writes.push(s));
    write('a');
    write('b');
    expect(writes).toEqual([]);
    await Promise.resolve();
    expect(writes).toEqual(['ab']);
    write('c');
    await Promise.resolve();
    expect(writes).toEqual(['ab', 'c']);
  });

  it('prints jsonl rows in chunks of about 64K characters, the same text as row by row', async () => {
    const writes: string[] = [];
    const sink = outputSink({ format: 'jsonl', tz: 'UTC', write: (s) => writes.push(s) });
    const want: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const r = new Row();
      r.set('n', i);
      r.set('process', `/bin/sh -c "echo ${i}"`);
      sink.push(r);
      want.push(JSON.stringify({ n: i, process: `/bin/sh -c "echo ${i}"` }) + '\n');
    }
    sink.end();
    await Promise.resolve();
    expect(writes.join('')).toBe(want.join(''));
    expect(writes.length).toBeLessThan(20);
    for (const w of writes.slice(0, -1)) expect(w.length).toBeGreaterThanOrEqual(64 * 1024);
  });
});
