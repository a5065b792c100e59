import { resolve, sep } from 'node:path';
import type { ContentPack } from '../../detections/content.js';
import type { Detection } from '../../detections/detection.js';
import { VigilError } from '../../errors.js';
import { resolveDetections } from '../detection-keys.js';
import { problemPlace } from '../../yaml/reader.js';
import { printableLines } from '../../outputs/printable.js';

/**
 * Content errors stop commands that depend on content (warnings do not); `vigil validate` lists them all.
 * `only`: the detections this command runs (named on its command line; none for `vigil search`). An error in another
 * detection's file cannot change what it does, so it is a warning on stderr instead: one broken detection of a
 * security_content checkout does not stop running the others. Errors anywhere else (macros, lookups, data models,
 * event types) always stop it: any search may use them.
 */
export function failOnContentErrors(pack: ContentPack, only?: readonly Detection[], warn: (s: string) => void = (s) => process.stderr.write(s)): void {
  let errors = pack.problems.filter((p) => p.severity === 'error');
  if (only !== undefined && errors.length > 0) {
    const detectionDirs = pack.dirs.map((d) => resolve(d, 'detections') + sep);
    const running = new Set(only.map((d) => resolve(d.file)));
    const elsewhere = (file: string): boolean => {
      const path = resolve(file);
      return !running.has(path) && detectionDirs.some((d) => path.startsWith(d));
    };
    const skipped = errors.filter((p) => elsewhere(p.file));
    errors = errors.filter((p) => !elsewhere(p.file));
    for (const p of skipped.slice(0, 10)) warn(`vigil: warning: ${printableLines(`${problemPlace(p)}: ${p.message}`)} (not run here)\n`);
    if (skipped.length > 10) warn(`vigil: warning: ... and ${skipped.length - 10} more in other detections (run vigil validate)\n`);
  }
  if (errors.length === 0) return;
  const lines = errors.slice(0, 10).map((p) => `  ${problemPlace(p)}: ${p.message}`);
  if (errors.length > 10) lines.push(`  ... and ${errors.length - 10} more (run vigil validate)`);
  // `vigil test --content dir "Name"`: the option took the name as a directory (commander's variadic options).
  if (only === undefined && errors.some((p) => p.code === 'CONTENT_NOT_FOUND' && p.message === 'content directory not found')) {
    lines.push('  (--content takes every argument after it: name detections before --content, or end its directories with --)');
  }
  const first = errors[0]!.code;
  throw new VigilError(first === 'CONTENT_YAML' || first === 'CONTENT_NOT_FOUND' ? first : 'CONTENT_SCHEMA', `content has errors:\n${lines.join('\n')}`);
}

/**
 * The detections a command line names (detection-keys.ts). A name that matches none may be that of a file with
 * errors: the content's errors are reported then, rather than "no detection named".
 */
export async function namedDetections(pack: ContentPack, keys: readonly string[]): Promise<Detection[]> {
  try {
    return await resolveDetections(pack, keys);
  } catch (e) {
    if (e instanceof VigilError && e.code === 'CONTENT_NOT_FOUND') failOnContentErrors(pack);
    throw e;
  }
}
