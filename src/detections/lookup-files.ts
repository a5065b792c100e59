import { isUtf8 } from 'node:buffer';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { VigilError } from '../errors.js';
import type { LookupMatching, LookupTable } from '../spl/lookups.js';
import { lineColumn } from '../spl/source.js';
import type { ContentProblem, YamlReader } from '../yaml/reader.js';
import { parseCsv } from './csv.js';
import { warnUnknown } from './detection.js';
import { listFiles, type ListingProblem } from './list-files.js';

/** A table of a content directory: declared by a `lookups/**.yml`, or a bare CSV file (found under its file name). */
export interface ContentLookup {
  table: LookupTable;
  declared: boolean;
}

/**
 * Definition keys whose effect vigil's `lookup` does not implement (transforms.conf): a table declaring one
 * would match differently than in Splunk (no time bounds, no filter), so it is not loaded and searches using it do
 * not run (`vigil validate` says why) instead of returning different rows.
 */
const UNSUPPORTED_SETTINGS: Record<string, (v: string) => boolean> = {
  time_field: (v) => v.trim() !== '',
  filter: (v) => v.trim() !== '',
};

/**
 * Fields of a lookup definition in every security_content generation: contentctl's Lookup and SecurityContentObject
 * (CSV, KV store `fields`, MLTK model), 2026 files' `creation_date`/`modification_date`, the 2024 files' `filename`,
 * `collection` and `fields_list` (transforms.conf's), and the transforms.conf settings vigil refuses to load. Anything
 * else is warned about: contentctl refuses it (extra="forbid"), and a misspelled `case_sensitive_match` or `match_type`
 * silently matched otherwise than the author meant.
 */
const LOOKUP_KEYS: ReadonlySet<string> = new Set([
  'name', 'id', 'version', 'date', 'creation_date', 'modification_date', 'author', 'description', 'references', 'status',
  'deprecation_info', 'lookup_type', 'filename', 'default_match', 'match_type', 'min_matches', 'max_matches',
  'case_sensitive_match', 'collection', 'fields_list', 'fields', ...Object.keys(UNSUPPORTED_SETTINGS),
]);

/**
 * A definition's matching settings (transforms.conf match_type, max_matches, min_matches, default_match), or why vigil
 * cannot honour them (an unknown match type, a value out of the documented range).
 */
function matchingOf(top: ReturnType<YamlReader['top']>): { matching: Omit<LookupMatching, 'caseSensitive'> } | { why: string } {
  const matching: Omit<LookupMatching, 'caseSensitive'> = {};
  const types = settingText(top.key('match_type'));
  if (types !== undefined && types.trim() !== '') {
    // "A comma and space-delimited list of <match_type>(<field_name>)": WILDCARD, CIDR or EXACT (the default).
    const specs = [...types.matchAll(/([A-Za-z]+)\(([^()]*)\)/g)];
    if (types.replace(/([A-Za-z]+)\(([^()]*)\)/g, '').replace(/[,\s]/g, '') !== '') return { why: `match_type: ${types} is not a list of WILDCARD(<field>), CIDR(<field>) or EXACT(<field>)` };
    const wildcard: string[] = [];
    const cidr: string[] = [];
    for (const [, kind, field] of specs) {
      const k = kind!.toUpperCase();
      if (k === 'WILDCARD') wildcard.push(field!.trim());
      else if (k === 'CIDR') cidr.push(field!.trim());
      else if (k !== 'EXACT') return { why: `match_type: ${kind}(${field}) is not WILDCARD, CIDR or EXACT` };
    }
    if (wildcard.length > 0) matching.wildcardFields = wildcard;
    if (cidr.length > 0) matching.cidrFields = cidr;
  }
  const integer = (key: string, min: number, max: number): number | string | undefined => {
    const v = settingText(top.key(key));
    if (v === undefined || v.trim() === '') return undefined;
    const n = Number(v);
    return Number.isInteger(n) && n >= min && n <= max ? n : `${key}: ${v} is not an integer from ${min} to ${max}`;
  };
  // max_matches: "(range 1 - 1000)"; min_matches: at least 0 (the default), and never above max_matches' range.
  const maxMatches = integer('max_matches', 1, 1000);
  if (typeof maxMatches === 'string') return { why: maxMatches };
  if (maxMatches !== undefined) matching.maxMatches = maxMatches;
  const minMatches = integer('min_matches', 0, 1000);
  if (typeof minMatches === 'string') return { why: minMatches };
  if (minMatches !== undefined) matching.minMatches = minMatches;
  const defaultMatch = settingText(top.key('default_match'));
  if (defaultMatch !== undefined) matching.defaultMatch = defaultMatch;
  return { matching };
}

/**
 * Reads a content directory's `lookups/` folder in both security_content layouts: `<name>.yml` declaring a
 * `filename:` beside it (2024), or `lookup_type: csv` with `<name>.csv` beside it (2025+, `lookups/csv/`).
 * KV store and MLTK model lookups, and files of other kinds (`.mlmodel`, `.json`), are skipped with a
 * warning. A bare CSV file is a table under its file name (`inputlookup foo.csv`) unless a declaration that
 * vigil cannot honour claims it. Tables are parsed when a search first uses them: a checkout has megabytes
 * of CSV that most commands never read.
 */
/** A lookup definition vigil did not load, by its name and its CSV file's name: why, and where it is defined. */
export interface LookupRefusal {
  name: string;
  why: string;
  file: string;
}

export function readLookupDir(
  dir: string,
  parse: (file: string) => YamlReader | null,
  problems: ContentProblem[],
  report: ListingProblem,
  refusals: LookupRefusal[] = [],
): ContentLookup[] {
  const files = listFiles(dir, () => true, true, report);
  const out: ContentLookup[] = [];
  /** CSV files a declaration names: not offered again under their file name when the declaration is refused. */
  const refused = new Set<string>();
  for (const file of files.filter(isYaml)) {
    const r = parse(file);
    if (!r) continue;
    const top = r.top();
    if (r.ok && top.isMap) warnUnknown(top, 'lookup', (k) => LOOKUP_KEYS.has(k));
    const name = r.ok ? top.key('name').string({ required: true }) : undefined;
    if (name) {
      const kind = (top.key('lookup_type').string() ?? '').toLowerCase();
      const written = top.key('filename').string();
      // transforms.conf.spec, filename: "Paths are explicitly not supported. If you specify a path, Splunk software strips
      // the path to use the value after the final path separator": the file is always one beside the definition.
      const filename = written === undefined ? undefined : written.slice(Math.max(written.lastIndexOf('/'), written.lastIndexOf('\\')) + 1);
      if (written !== undefined && filename !== written && isPlainFileName(filename!)) {
        top.key('filename').report(`lookup ${name}: filename is a path: its file name ${filename} is read, beside ${basename(file)} (as Splunk does)`, 'warning');
      }
      const csv = join(dirname(file), filename ?? `${name}.csv`);
      const skip = (why: string) => {
        top.report(`lookup ${name}: ${why}: not loaded (searches using it do not run on vigil)`, 'warning');
        refused.add(csv);
        refusals.push({ name, why, file: r.file }, { name: basename(csv), why, file: r.file });
      };
      const matching = matchingOf(top);
      const caseSensitive = caseSensitiveOf(settingText(top.key('case_sensitive_match')));
      const unsupported = Object.keys(UNSUPPORTED_SETTINGS).find((k) => {
        const v = settingText(top.key(k));
        return v !== undefined && UNSUPPORTED_SETTINGS[k]!(v);
      });
      if (top.key('collection').exists || kind === 'kvstore') skip('KV store lookups are not supported');
      else if (kind === 'mlmodel' || (filename ?? '').endsWith('.mlmodel')) skip('MLTK model lookups are not supported');
      else if (kind !== '' && kind !== 'csv') skip(`lookup_type ${kind} is not supported`);
      // Read as text, its compressed bytes made a table of garbage.
      else if (/\.gz$/i.test(filename ?? '')) skip('gzipped CSV lookups (.csv.gz) are not supported: unzip it to a .csv');
      else if (filename === undefined && kind !== 'csv') top.report(`lookup ${name} needs a filename (or lookup_type: csv with ${name}.csv beside it)`);
      // A file name must remain (not `dir/`, `..`): with the path stripped it can only be a file beside the definition.
      else if (filename !== undefined && !isPlainFileName(filename)) top.key('filename').report(`lookup ${name}: filename must end with a file name, not "${written}"`);
      else if (unsupported) skip(`${unsupported}: ${settingText(top.key(unsupported))} is not supported`);
      else if ('why' in matching) skip(matching.why);
      else if (typeof caseSensitive === 'string') skip(caseSensitive);
      else if (!readable(csv)) (filename ? top.key('filename') : top).report(`lookup file ${basename(csv)} not found next to ${basename(file)}`);
      // A link to /dev/zero or a FIFO would be read without end when a search first uses the table.
      else if (!statSync(csv).isFile()) (filename ? top.key('filename') : top).report(`lookup file ${basename(csv)} is not a regular file`);
      else {
        out.push({ table: lazyCsvTable(name, csv, { caseSensitive, ...matching.matching }), declared: true });
      }
    }
    problems.push(...r.problems);
  }
  for (const file of files) {
    if (isYaml(file)) continue;
    if (file.toLowerCase().endsWith('.csv')) {
      if (!refused.has(file)) out.push({ table: lazyCsvTable(basename(file), file, { caseSensitive: true }), declared: false });
    } else if (!refused.has(file)) {
      problems.push({ file, line: 0, column: 0, severity: 'warning', code: 'CONTENT_SCHEMA', message: `not a CSV lookup or its definition: ignored` });
    }
  }
  return out;
}

const isPlainFileName = (f: string): boolean => f !== '' && f !== '.' && f !== '..' && !/[/\\\0]/.test(f);

const isYaml = (f: string): boolean => f.endsWith('.yml') || f.endsWith('.yaml');

/**
 * case_sensitive_match (default true), or why it is not a boolean. contentctl reads it as a boolean (pydantic: `no`,
 * `off`, `f`, `n`, `0` are false as `false` is) and writes transforms.conf's `true`/`false`; `0` or `no` matched
 * case-sensitively here before. Anything else contentctl refuses: vigil does not guess.
 */
function caseSensitiveOf(text: string | undefined): boolean | string {
  if (text === undefined || text.trim() === '') return true;
  const v = text.trim().toLowerCase();
  if (['true', 't', 'yes', 'y', 'on', '1'].includes(v)) return true;
  if (['false', 'f', 'no', 'n', 'off', '0'].includes(v)) return false;
  return `case_sensitive_match: ${text} is not true or false`;
}

/** A setting as text: lists (`match_type: [WILDCARD(a), ...]`) joined with commas. */
function settingText(n: ReturnType<YamlReader['top']>): string | undefined {
  if (!n.exists) return undefined;
  return n.node && 'items' in n.node ? n.strings().join(',') : n.string();
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** What reading a table's file found that `vigil validate` should say (not UTF-8, rows not of the header's width), by table. */
const tableWarnings = new WeakMap<LookupTable, ContentProblem[]>();

/** The warnings reading this content table's file gave (it is read on first use). */
export function csvTableWarnings(table: LookupTable): readonly ContentProblem[] {
  return tableWarnings.get(table) ?? [];
}

/** A CSV table parsed on first use of its fields or rows. */
export function lazyCsvTable(name: string, file: string, matching: LookupMatching): LookupTable {
  let parsed: { fields: string[]; rows: Record<string, string>[] } | undefined;
  const load = () => (parsed ??= readCsvTable(file, (w) => tableWarnings.set(table, [...csvTableWarnings(table), w])));
  const table: LookupTable = {
    name,
    ...matching,
    get fields() {
      return load().fields;
    },
    get rows() {
      return load().rows;
    },
  };
  return table;
}

function readCsvTable(file: string, warn: (w: ContentProblem) => void): { fields: string[]; rows: Record<string, string>[] } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new VigilError('LOOKUP_NOT_FOUND', `lookup file ${file} cannot be read: ${(e as Error).message}`);
  }
  const text = bytes.toString('utf8');
  // Knowledge Manager Manual, "Configure CSV lookups": "The CSV file cannot contain non-utf-8 characters". Read on (bad
  // bytes as U+FFFD), but say so: a Latin-1 "café" in the table never matches an event's.
  if (!isUtf8(bytes)) {
    const { line, column } = lineColumn(text, Math.max(0, text.indexOf('\ufffd')));
    warn({ file, line, column, severity: 'warning', code: 'CONTENT_SCHEMA', message: 'the lookup file is not UTF-8: its invalid bytes are read as U+FFFD (save it as UTF-8)' });
  }
  const lines: number[] = [];
  const rows = parseCsv(text, file, lines);
  const header = rows[0] ?? [];
  // contentctl (CSVLookup.ensure_correct_csv_structure) refuses a lookup whose rows have more or fewer cells than its
  // header; vigil reads them (a missing cell empty, an extra one dropped) and says where the first is.
  const ragged = rows.flatMap((r, k) => (k > 0 && r.length !== header.length ? [k] : []));
  if (ragged.length > 0) {
    const k = ragged[0]!;
    const more = ragged.length > 1 ? ` (and ${ragged.length - 1} more row${ragged.length > 2 ? 's' : ''})` : '';
    warn({ file, line: lines[k] ?? 0, column: 1, severity: 'warning', code: 'CONTENT_SCHEMA', message: `this row has ${rows[k]!.length} cells, the header ${header.length}${more}: a missing cell is read empty, an extra one dropped (contentctl refuses the lookup)` });
  }
  return { fields: header, rows: rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}
