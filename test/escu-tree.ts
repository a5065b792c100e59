import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { ESCU_CORPUS_DIR } from './helpers.js';

/** One line of the corpus' searches.jsonl (splunk/security_content @ 2024-10, kept in ../shared). */
export interface EscuSearch {
  file: string;
  name: string;
  type: string;
  data_source: string[];
  search: string;
}

export interface EscuMacro {
  name: string;
  arguments: string[] | null;
  definition: string;
}

export const escuCorpusPresent = (): boolean => existsSync(join(ESCU_CORPUS_DIR, 'searches.jsonl')) && existsSync(join(ESCU_CORPUS_DIR, 'macros.jsonl'));

const jsonl = <T>(file: string): T[] =>
  readFileSync(join(ESCU_CORPUS_DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);

export const escuSearches = (): EscuSearch[] => jsonl<EscuSearch>('searches.jsonl');
export const escuMacros = (): EscuMacro[] => jsonl<EscuMacro>('macros.jsonl');

/** A stable UUID for a detection name (the corpus keeps no ids). */
export function uuidFor(name: string): string {
  const h = createHash('sha1').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The file's base name without `.yml`: security_content's snake-case name of the detection. */
export const baseName = (s: EscuSearch): string => s.file.slice(s.file.lastIndexOf('/') + 1).replace(/\.yml$/, '');

/**
 * The 78 Linux Endpoint.Processes detections (data-models.md §3.3): under detections/endpoint/, named
 * "Linux ...", their search reading `datamodel=Endpoint.Processes`.
 */
export const isLinuxProcesses = (s: EscuSearch): boolean =>
  s.file.startsWith('detections/endpoint/') && s.name.startsWith('Linux') && s.search.includes('datamodel=Endpoint.Processes');

/**
 * Writes a security_content-like checkout into `dir` from the corpus: each search as
 * `detections/<category>/<name>.yml` (name, id, type, data_source, search, plus `extra(s)` fields such as
 * `tests:`), each macro as `macros/<name>.yml`. Test data only: generated into a temporary directory,
 * never committed (the corpus is reference data, not project content).
 */
export function writeEscuTree(
  dir: string,
  opts: { searches?: readonly EscuSearch[]; extra?: (s: EscuSearch) => Record<string, unknown> } = {},
): { detections: number; macros: number } {
  const searches = opts.searches ?? escuSearches();
  for (const s of searches) {
    const file = join(dir, s.file);
    mkdirSync(dirname(file), { recursive: true });
    const doc = { name: s.name, id: uuidFor(s.name), version: 1, date: '2024-10-24', author: 'Splunk', status: 'production', type: s.type, description: 'corpus search', data_source: s.data_source, search: s.search, ...(opts.extra?.(s) ?? {}) };
    writeFileSync(file, stringify(doc, { lineWidth: 0 }));
  }
  const macros = escuMacros();
  mkdirSync(join(dir, 'macros'), { recursive: true });
  for (const m of macros) {
    const doc = { name: m.name, ...(m.arguments?.length ? { arguments: m.arguments } : {}), definition: m.definition, description: 'corpus macro' };
    writeFileSync(join(dir, 'macros', `${m.name}.yml`), stringify(doc, { lineWidth: 0 }));
  }
  return { detections: searches.length, macros: macros.length };
}
