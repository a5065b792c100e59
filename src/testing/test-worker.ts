/**
 * Worker thread for `vigil test --jobs N`: loads the content on its own and runs the tests of the
 * detections it is given, posting each outcome back as it finishes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { findDetection, loadContent } from '../detections/content.js';
import type { Detection } from '../detections/detection.js';
import { runDetectionTests } from './testing.js';

interface TestWorkerData {
  contentDirs: string[];
  bundled: boolean;
  datasetsDirs: string[];
  detectionIds: string[];
}

const data = workerData as TestWorkerData;
const pack = loadContent(data.contentDirs, { bundled: data.bundled });
const detections = data.detectionIds.map((id) => findDetection(pack, id)).filter((d): d is Detection => d !== undefined);
void runDetectionTests(pack, detections, {
  datasetsDirs: data.datasetsDirs,
  onOutcome: (o) => parentPort!.postMessage({ type: 'outcome', outcome: o }),
}).then(() => parentPort!.postMessage({ type: 'done' }));
