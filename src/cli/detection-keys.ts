/**
 * Detections as the command line names them (`vigil run A B C`, `vigil test A B`): by name, id or YAML file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { ContentPack } from '../detections/content.js';
import type { Detection } from '../detections/detection.js';
import { editDistance } from '../edit-distance.js';
import { VigilError } from '../errors.js';
import { printable } from '../outputs/printable.js';
import { problemPlace } from '../yaml/reader.js';

/**
 * The detections named on the command line, in that order, each once (a name, its id and its file are one
 * detection). Every name that matches none is reported, not only the first.
 */
export async function resolveDetections(pack: ContentPack, keys: readonly string[]): Promise<Detection[]> {
  const out = new Map<string, Detection>();
  const unknown: VigilError[] = [];
  for (const k of keys) {
    try {
      const d = await resolveDetection(pack, k);
      if (!out.has(d.id)) out.set(d.id, d);
    } catch (e) {
      if (!(e instanceof VigilError && e.code === 'CONTENT_NOT_FOUND')) throw e;
      unknown.push(e);
    }
  }
  if (unknown.length === 1) throw unknown[0]!;
  if (unknown.length > 1) throw new VigilError('CONTENT_NOT_FOUND', `${unknown.length} detections not found:\n${unknown.map((e) => `- ${e.message}`).join('\n')}`);
  return [...out.values()];
}

/** A detection by name or id from the content, or a YAML file (its filter macro defaults to `search *`). */
async function resolveDetection(pack: ContentPack, key: string): Promise<Detection> {
  const [{ findDetection }, { readDetection }, { YamlReader }] = await Promise.all([
    import('../detections/content.js'),
    import('../detections/detection.js'),
    import('../yaml/reader.js'),
  ]);
  const found = findDetection(pack, key);
  if (found) return found;
  if (/\.ya?ml$/i.test(key) && existsSync(key)) {
    const r = YamlReader.parse(readFileSync(key, 'utf8'), key);
    const d = r.ok ? readDetection(r.top(), key) : null;
    const errors = r.problems.filter((p) => p.severity === 'error');
    if (!d || errors.length) {
      const p = errors[0];
      throw new VigilError('CONTENT_SCHEMA', p ? `${problemPlace(p)}: ${p.message}` : `${key}: not a detection`);
    }
    pack.macros.defineDefault({ name: d.filterMacro, args: [], definition: 'search *' });
    noteContentRoot(pack, key);
    return d;
  }
  // The key is echoed as text: a control character in it (a pasted ESC sequence) must not reach the terminal.
  const shown = printable(key);
  // A .yml key is most likely a path: saying only "no detection named" hid the file that is missing.
  if (/\.ya?ml$/i.test(key)) throw new VigilError('CONTENT_NOT_FOUND', `no detection named "${shown}", and no such file`);
  const near = nearNames(pack.detections.map((d) => d.name), key).map((n) => `  ${n}`);
  throw new VigilError('CONTENT_NOT_FOUND', `no detection named "${shown}"${near.length ? `; did you mean:\n${near.join('\n')}` : ' (vigil detections lists them)'}`);
}

/**
 * A detection file named by its path inside a content directory that was not loaded (`vigil test
 * my-content/detections/x.yml` without `--content my-content`): its own macros and lookups are not there, and its search
 * then failed with "unknown macro" and no word of why. Said once on stderr, with the option that loads them.
 */
function noteContentRoot(pack: ContentPack, file: string): void {
  const parts = resolve(file).split(sep);
  const at = parts.lastIndexOf('detections');
  if (at <= 0) return;
  const root = parts.slice(0, at).join(sep) || sep;
  if (!['macros', 'lookups'].some((f) => existsSync(join(root, f)))) return;
  const inRoot = (f: string | undefined) => f !== undefined && resolve(f).startsWith(root + sep);
  if (pack.detections.some((d) => inRoot(d.file)) || pack.macros.all().some((m) => inRoot(m.file))) return;
  process.stderr.write(`vigil: note: ${printable(file)} is in the content directory ${printable(root)}, which is not loaded: its macros and lookups are not either (add --content ${printable(root)})\n`);
}

/**
 * The names a mistyped key may mean: those containing it (a part of the name), else the closest by edit distance
 * when a few letters are off (a typo: "Shell Exection").
 */
function nearNames(names: readonly string[], key: string): string[] {
  const k = key.toLowerCase();
  // An empty key (a script's unset variable) is part of every name: it means none of them.
  if (k.trim() === '') return [];
  const containing = names.filter((n) => n.toLowerCase().includes(k));
  if (containing.length) return containing;
  const scored = names.map((n) => ({ n, d: editDistance(n.toLowerCase(), k) })).filter((x) => x.d <= Math.max(2, Math.floor(k.length / 5)));
  const best = Math.min(...scored.map((x) => x.d));
  return scored.filter((x) => x.d === best).map((x) => x.n);
}
