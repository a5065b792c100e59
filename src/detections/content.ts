import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MacroLibrary, type MacroDefinition } from '../spl/macros/macros.js';
import type { LookupProvider, LookupTable } from '../spl/lookups.js';
import { parseCsv } from './csv.js';
import { readDetection, type Detection } from './detection.js';
import { YamlReader, type ContentProblem } from '../yaml/reader.js';

/** An analytic story (security_content `stories/*.yml`). */
export interface Story {
  name: string;
  id: string | null;
  description: string;
  file: string;
}

/** Everything loaded from content directories, later directories overriding earlier ones. */
export interface ContentPack {
  detections: Detection[];
  macros: MacroLibrary;
  lookups: LookupProvider;
  stories: Story[];
  problems: ContentProblem[];
  /** The directories, in load order (bundled first). */
  dirs: string[];
}

/** The content shipped with vigil (detections and macros for the Cisco Isovalent pack). */
export const BUNDLED_CONTENT_DIR = fileURLToPath(new URL('../../content', import.meta.url));

/**
 * Loads content directories laid out like splunk/security_content (`detections/**.yml`, `macros/*.yml`,
 * `lookups/*.{yml,csv}`, `stories/*.yml`). A later directory overrides an earlier one: a detection with
 * the same id or name replaces it, a macro with the same name and arity replaces it. Every detection
 * gets its `<name>_filter` macro (`search *`) unless some directory defines it.
 */
export function loadContent(userDirs: readonly string[] = [], opts: { bundled?: boolean } = {}): ContentPack {
  const dirs = [...(opts.bundled === false ? [] : [BUNDLED_CONTENT_DIR]), ...userDirs];
  const problems: ContentProblem[] = [];
  const byId = new Map<string, Detection>();
  const macros = new MacroLibrary();
  const tables = new Map<string, LookupTable>();
  const stories = new Map<string, Story>();

  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      problems.push({ file: dir, line: 0, column: 0, severity: 'error', code: 'CONTENT_SCHEMA', message: 'content directory not found' });
      continue;
    }
    for (const file of yamlFiles(join(dir, 'macros'))) {
      const r = YamlReader.parse(readFileSync(file, 'utf8'), relative(process.cwd(), file) || file);
      const top = r.top();
      if (r.ok) {
        const name = top.key('name').string({ required: true });
        const definition = top.key('definition').string({ required: true });
        const args = top.key('arguments').strings();
        if (name !== undefined && definition !== undefined) {
          const def: MacroDefinition = { name, args, definition, file: r.file };
          const d = top.key('description').string();
          if (d) def.description = d;
          macros.define(def);
        }
      }
      problems.push(...r.problems);
    }
    for (const file of yamlFiles(join(dir, 'lookups'))) {
      const r = YamlReader.parse(readFileSync(file, 'utf8'), file);
      const top = r.top();
      const name = top.key('name').string({ required: true });
      const filename = top.key('filename').string();
      if (name && filename) {
        const csv = join(dir, 'lookups', filename);
        if (!existsSync(csv)) top.key('filename').report(`lookup file ${filename} not found next to ${basename(file)}`);
        else {
          const cs = top.key('case_sensitive_match').string();
          tables.set(name, readLookupCsv(name, csv, cs === undefined ? true : cs !== 'false'));
        }
      }
      problems.push(...r.problems);
    }
    for (const file of listFiles(join(dir, 'lookups'), (f) => f.endsWith('.csv'))) {
      const name = basename(file);
      if (!tables.has(name)) tables.set(name, readLookupCsv(name, file, true));
    }
    for (const file of yamlFiles(join(dir, 'stories'))) {
      const r = YamlReader.parse(readFileSync(file, 'utf8'), file);
      const top = r.top();
      const name = top.key('name').string({ required: true });
      if (name) stories.set(name, { name, id: top.key('id').string() ?? null, description: top.key('description').string() ?? '', file });
      problems.push(...r.problems);
    }
    for (const file of listFiles(join(dir, 'detections'), (f) => f.endsWith('.yml') || f.endsWith('.yaml'), true)) {
      const shown = relative(process.cwd(), file) || file;
      const r = YamlReader.parse(readFileSync(file, 'utf8'), shown.startsWith('..') ? file : shown);
      const d = r.ok ? readDetection(r.top(), r.file) : null;
      problems.push(...r.problems);
      if (!d) continue;
      // Override by id, and by name (a renamed copy in a user directory also replaces the original).
      for (const [k, existing] of byId) if (existing.name === d.name && k !== d.id) byId.delete(k);
      byId.set(d.id, d);
    }
  }
  const detections = [...byId.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of detections) {
    macros.defineDefault({ name: d.filterMacro, args: [], definition: 'search *', description: `Filter for "${d.name}" (empty by default).` });
  }
  const lookups: LookupProvider = {
    get: (name) => tables.get(name) ?? tables.get(`${name}.csv`) ?? tables.get(name.replace(/\.csv$/, '')),
    names: () => [...tables.keys()],
  };
  return { detections, macros, lookups, stories: [...stories.values()], problems, dirs };
}

function readLookupCsv(name: string, file: string, caseSensitive: boolean): LookupTable {
  const rows = parseCsv(readFileSync(file, 'utf8'));
  const header = rows[0] ?? [];
  return {
    name,
    fields: header,
    rows: rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))),
    caseSensitive,
  };
}

function yamlFiles(dir: string): string[] {
  return listFiles(dir, (f) => f.endsWith('.yml') || f.endsWith('.yaml'));
}

function listFiles(dir: string, accept: (f: string) => boolean, recursive = false): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && recursive) out.push(...listFiles(p, accept, true));
    else if (e.isFile() && accept(e.name)) out.push(p);
  }
  return out.sort();
}

/** Finds a detection by exact name, id, or case-insensitive name / snake name. */
export function findDetection(pack: ContentPack, key: string): Detection | undefined {
  const k = key.trim();
  return (
    pack.detections.find((d) => d.id === k || d.name === k) ??
    pack.detections.find((d) => d.name.toLowerCase() === k.toLowerCase() || d.filterMacro === `${k}_filter`)
  );
}
