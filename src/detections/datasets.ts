import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VigilError } from '../errors.js';

/** The attack_data-style datasets shipped with vigil (a mirror of splunk/attack_data's layout). */
export const BUNDLED_DATASETS_DIR = fileURLToPath(new URL('../../attack_data', import.meta.url));

/**
 * The `--datasets` directories of `vigil test`/`validate`, before any test runs: a mistyped one was silently skipped
 * (tests then fell back to the bundled datasets, or each failed naming a path under it), where a missing `--content`
 * directory is CONTENT_NOT_FOUND (docs/errors.md: "A detection, dataset or content directory does not exist").
 */
export function checkDatasetsDirs(dirs: readonly string[]): void {
  for (const dir of dirs) {
    if (!existsSync(dir)) throw new VigilError('CONTENT_NOT_FOUND', `--datasets: ${dir}: directory not found`);
    if (!statSync(dir).isDirectory()) throw new VigilError('CONTENT_NOT_FOUND', `--datasets: ${dir}: not a directory`);
  }
}

/** URL prefixes under which splunk/attack_data serves its files; the rest of the URL is the path in the repo. */
const ATTACK_DATA_PREFIXES = [
  'https://media.githubusercontent.com/media/splunk/attack_data/master/',
  'https://raw.githubusercontent.com/splunk/attack_data/master/',
  'https://github.com/splunk/attack_data/raw/master/',
  'https://github.com/splunk/attack_data/blob/master/',
];

/**
 * Where a test's `data:` lives on disk. attack_data URLs map into `datasetsDirs` (first hit wins; tests
 * never touch the network); other values are file paths relative to the detection file.
 */
export function resolveAttackData(data: string, datasetsDirs: readonly string[], detectionFile: string): string {
  const d = data.trim();
  for (const prefix of ATTACK_DATA_PREFIXES) {
    if (!d.startsWith(prefix)) continue;
    const rel = decodedPath(d, prefix);
    for (const dir of datasetsDirs) {
      const p = join(dir, rel);
      if (existsSync(p)) return regularFile(p, d);
    }
    throw new VigilError(
      'CONTENT_NOT_FOUND',
      `dataset ${d} is not available locally: expected it at ${datasetsDirs.map((x) => join(x, rel)).join(' or ')} (pass --datasets DIR pointing at a copy of splunk/attack_data)`,
    );
  }
  if (/^[a-z]+:\/\//i.test(d)) {
    throw new VigilError('CONTENT_NOT_FOUND', `dataset ${d} is not an attack_data URL and vigil never downloads test data: use a local path`);
  }
  const p = isAbsolute(d) ? d : resolve(dirname(detectionFile), d);
  if (!existsSync(p)) throw new VigilError('CONTENT_NOT_FOUND', `dataset ${d} not found (looked at ${p})`);
  return regularFile(p, d);
}

/** The repository path of an attack_data URL; a bad %-escape is said about the dataset (it was a bare "URI malformed"). */
function decodedPath(d: string, prefix: string): string {
  try {
    return decodeURIComponent(d.slice(prefix.length));
  } catch {
    throw new VigilError('CONTENT_NOT_FOUND', `dataset ${d} has a malformed %-escape in its path (a % must be followed by two hex digits)`);
  }
}

/** A dataset must be a file: /dev/zero or a FIFO would be read forever (`vigil test` hung, one line growing without end). */
function regularFile(p: string, d: string): string {
  if (!statSync(p).isFile()) throw new VigilError('CONTENT_NOT_FOUND', `dataset ${d} is not a regular file (${p})`);
  return p;
}
