import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findDetection, loadContent } from '../../src/detections/content.js';
import { BUNDLED_DATASETS_DIR } from '../../src/detections/datasets.js';
import { runDetectionTests } from '../../src/testing/testing.js';

// contentctl tests a detection in a Splunk where its `outputlookup` writes (ESCU's "previously seen" searches do): vigil
// test gives each group of tests a writable lookup directory of its own, removed after. Without one the test errored on
// "no writable lookup directory: name one with --lookup-dir", an option vigil test does not have.
const dir = mkdtempSync(join(tmpdir(), 'vigil-test-lookups-case-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'detections'), { recursive: true });
writeFileSync(join(dir, 'detections', 'seed.log'), readFileSync(join(BUNDLED_DATASETS_DIR, 'datasets/cisco_isovalent/cisco_isovalent.log')));
writeFileSync(
  join(dir, 'detections', 'seen.yml'),
  [
    'name: Lab Seen Curl Pods',
    'id: 00000000-0000-4000-8000-00000000b001',
    'type: Hunting',
    "search: '`cisco_isovalent_process_exec` process_name=curl | stats count by pod_name | outputlookup lab_seen_pods.csv | eval written=1'",
    'tests:',
    '- name: t',
    '  attack_data: [{data: seed.log, source: not_applicable, sourcetype: "cisco:isovalent:processExec"}]',
    '  expected: {exact: true, rows: [{pod_name: debug-toolbox, written: 1}, {pod_name: frontend-6d8f9c7b5-x2kqp, written: 1}, {pod_name: payments-api-7f9d4c8b6-m3n8z, written: 1}]}',
  ].join('\n'),
);

describe('vigil test and outputlookup', () => {
  it('runs a detection that writes a lookup, into a directory of its own that is gone afterwards', async () => {
    // A temporary directory of this test's own (os.tmpdir() reads TMPDIR), to see what is left in it.
    const scratch = join(dir, 'tmp');
    mkdirSync(scratch);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    try {
      const pack = loadContent([dir], { bundled: true });
      const [o] = await runDetectionTests(pack, [findDetection(pack, 'Lab Seen Curl Pods')!], { datasetsDirs: [BUNDLED_DATASETS_DIR] });
      expect(o).toMatchObject({ status: 'pass', results: 3, message: '' });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(readdirSync(scratch)).toEqual([]);
    rmSync(scratch, { recursive: true });
    // Nothing was written into the content.
    expect(readdirSync(join(dir))).toEqual(['detections']);
  });
});
