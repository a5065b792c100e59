import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { withLookupDir } from '../../src/detections/lookup-dir.js';
import { toObject } from '../../src/events/result.js';
import { runFilesInParallel } from '../../src/parallel/run.js';
import { FileSource } from '../../src/sources/file.js';
import { executeMany } from '../../src/spl/exec/multi.js';
import { CollectSink } from '../../src/spl/exec/run.js';
import { plan } from '../../src/spl/index.js';
import { parallelOptions } from './helpers.js';

const GENERATOR = '../../bench/generate.mjs';
const { tetragonEvents } = (await import(GENERATOR)) as { tetragonEvents: (count: number, o: { seed: number }) => Iterable<Record<string, unknown>> };
const NOW = 1_795_200_000;
const tmp = mkdtempSync(join(tmpdir(), 'vigil-parallel-outputlookup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Workers read the writable lookup directory (lookup is streaming: it runs in the partitions); outputlookup runs in
// the final part, once, and writes the file one pass writes.
describe('lookup directory over partitions (every partition on a worker)', () => {
  it('workers read its lookups; outputlookup writes the file of one pass', async () => {
    const events = join(tmp, 'events.jsonl');
    writeFileSync(events, [...tetragonEvents(1500, { seed: 5 })].map((ev) => JSON.stringify(ev)).join('\n') + '\n');
    const pack = loadContent();
    const setup = (dir: string) => ({ dir: join(tmp, dir), refusal: null, maxRows: 100_000, maxBytes: 10_000_000, maxFiles: 1000, lockWaitMs: 10_000 });
    const searches = ['`cisco_isovalent_process_exec` | stats count by process_name | outputlookup procs.csv', '`cisco_isovalent_process_exec` | lookup procs.csv process_name OUTPUT count AS seen | stats count by process_name seen'];
    const runOne = async (dirName: string, text: string) => {
      const lookups = withLookupDir(pack.lookups, setup(dirName));
      const sink = new CollectSink();
      await executeMany([plan(text, { lookups, now: NOW, tz: 'UTC', sourceNewestFirst: false, knowledge: pack.knowledge, macros: pack.macros })], [sink], { source: new FileSource([events], { now: NOW, defaultHost: 'h' }), now: NOW, tz: 'UTC', lookups });
      return sink.rows.map(toObject);
    };
    const runTwo = async (dirName: string, text: string) => {
      const lookups = withLookupDir(pack.lookups, setup(dirName));
      const sink = new CollectSink();
      const p = plan(text, { lookups, now: NOW, tz: 'UTC', sourceNewestFirst: false, knowledge: pack.knowledge, macros: pack.macros });
      const stats = await runFilesInParallel([p], [sink], { paths: [events], options: { now: NOW, defaultHost: 'h' } }, parallelOptions(lookups, NOW, { threads: 2, partitionBytes: 200_000, workers: 'only', lookupDir: setup(dirName) }));
      expect(stats).not.toBeNull();
      return sink.rows.map(toObject);
    };
    const wrote1 = await runOne('one', searches[0]!);
    const wrote2 = await runTwo('two', searches[0]!);
    expect(wrote2).toEqual(wrote1);
    expect(wrote1.length).toBeGreaterThan(1);
    expect(readFileSync(join(tmp, 'two', 'procs.csv'), 'utf8')).toBe(readFileSync(join(tmp, 'one', 'procs.csv'), 'utf8'));
    const read1 = await runOne('one', searches[1]!);
    const read2 = await runTwo('two', searches[1]!);
    expect(read2).toEqual(read1);
    // Every process name got its count from the written file: seen equals the count of its group.
    expect(read2.every((r) => r['seen'] === String(r['count']))).toBe(true);
  });
});
