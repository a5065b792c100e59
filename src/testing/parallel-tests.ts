import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../worker-entry.js';
import type { ContentPack } from '../detections/content.js';
import { resolveAttackData } from '../detections/datasets.js';
import type { Detection } from '../detections/detection.js';
import { runDetectionTests, type TestOutcome, type TestRunOptions } from './testing.js';

/** Below this much test data a worker's start-up costs more than it saves. */
const PARALLEL_MIN_BYTES = 8 * 1024 * 1024;

export interface ParallelOptions extends TestRunOptions {
  /** Worker threads; 'auto' uses the cores when the test data is large enough to pay for them. */
  jobs: number | 'auto';
  contentDirs: readonly string[];
  bundled: boolean;
}

/**
 * How many workers `jobs` means for these detections: at most one a core, even when asked for more. Each worker loads
 * the content (~27 MB) and the tests are CPU-bound: `--jobs 60` over 60 detections on 2 cores took 32 s and 1.7 GB
 * (2 s and 140 MB with 2), and `--jobs 9999` over a security_content checkout would start a worker a detection.
 */
export function jobCount(detections: readonly Detection[], opts: Pick<ParallelOptions, 'jobs' | 'datasetsDirs'>, cores = availableParallelism()): number {
  if (typeof opts.jobs === 'number') return Math.max(1, Math.min(opts.jobs, detections.length, cores));
  let bytes = 0;
  for (const d of detections) {
    for (const t of d.tests) {
      for (const a of t.attackData) {
        try {
          bytes += statSync(resolveAttackData(a.data, opts.datasetsDirs, d.file)).size;
        } catch {
          // a missing dataset is reported by the test itself
        }
      }
    }
  }
  return bytes < PARALLEL_MIN_BYTES ? 1 : Math.max(1, Math.min(cores, detections.length));
}

/**
 * Runs detection tests across worker threads (each loads the content itself), detections dealt out
 * round-robin; with one job, in this thread. Outcomes come back in detection order.
 */
export async function runTestsInParallel(pack: ContentPack, detections: readonly Detection[], opts: ParallelOptions): Promise<TestOutcome[]> {
  const jobs = jobCount(detections, opts);
  if (jobs <= 1) return runDetectionTests(pack, detections, opts);
  const shares: string[][] = Array.from({ length: jobs }, () => []);
  detections.forEach((d, i) => shares[i % jobs]!.push(d.id));
  const outcomes: TestOutcome[] = [];
  await Promise.all(
    shares.map(
      (ids) =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(workerEntry(import.meta.url, 'test-worker'), {
            workerData: { contentDirs: [...opts.contentDirs], bundled: opts.bundled, datasetsDirs: [...opts.datasetsDirs], detectionIds: ids },
          });
          w.on('message', (m: { type: 'outcome'; outcome: TestOutcome } | { type: 'done' }) => {
            if (m.type === 'outcome') {
              outcomes.push(m.outcome);
              opts.onOutcome?.(m.outcome);
            } else void w.terminate().then(() => resolve());
          });
          w.once('error', reject);
        }),
    ),
  );
  const order = new Map(detections.map((d, i) => [d.id, i]));
  return outcomes.sort((a, b) => order.get(a.detectionId)! - order.get(b.detectionId)!);
}
