/** A lookup table: rows of text fields (CSV). */
export interface LookupTable {
  name: string;
  fields: string[];
  rows: Record<string, string>[];
  /** CSV lookups match case-sensitively unless configured otherwise (transforms.conf case_sensitive_match). */
  caseSensitive: boolean;
  /** transforms.conf match_type WILDCARD(<field>): these fields' cells are patterns, `*` any run of characters. */
  wildcardFields?: readonly string[];
  /** transforms.conf match_type CIDR(<field>): these fields' cells are IPv4/IPv6 subnets (or addresses). */
  cidrFields?: readonly string[];
  /** transforms.conf max_matches (1 to 1000); unset: LOOKUP_MAX_MATCHES of the lookup command (100). */
  maxMatches?: number;
  /** transforms.conf min_matches: an input with fewer matches gets `defaultMatch` until it has this many. */
  minMatches?: number;
  /** transforms.conf default_match (default: the empty string, which outputs nothing). */
  defaultMatch?: string;
}

/** A table's matching settings, which a copy of its file elsewhere (a lookup directory) keeps. */
export type LookupMatching = Pick<LookupTable, 'caseSensitive' | 'wildcardFields' | 'cidrFields' | 'maxMatches' | 'minMatches' | 'defaultMatch'>;

/** Resolves lookup names (`lookup foo`, `inputlookup foo.csv`) to tables. */
export interface LookupProvider {
  get(name: string): LookupTable | undefined;
  names(): string[];
  /**
   * Why a table of this name is not loaded (a definition vigil refused: KV store, match_type, ...), or undefined: a
   * search using it fails saying so, rather than as an unknown table or, for inputlookup, with no rows.
   */
  refusal?(name: string): string | undefined;
}

export const NO_LOOKUPS: LookupProvider = { get: () => undefined, names: () => [] };

/**
 * Where `outputlookup` writes (a directory the user named: `--lookup-dir`, `VIGIL_LOOKUP_DIR`, `vigil serve`'s
 * `<dataDir>/lookups`). File names reach it already checked (`lookupFileName`); it does the I/O safely.
 */
export interface LookupWriter {
  /** Why this search may not write (the API without `search.outputLookup`), or null: it may. */
  readonly refusal: string | null;
  /** Rows and bytes one written file may hold (explicit limits: a search must not fill the disk). */
  readonly maxRows: number;
  readonly maxBytes: number;
  /**
   * Changes one file under its lock, so concurrent writers (searches, threads, processes) never lose each other's
   * rows: `change` gets the file's text, header and number of rows (`read`; null: no file, or not asked for) and
   * says what to do: write `text` in its place (atomically: a temporary file renamed over it) or remove it.
   * A new file is refused when the directory already holds its most files. Errors: VigilError SPL_LOOKUP_WRITE.
   */
  update(file: string, read: boolean, change: (existing: ExistingLookup | null) => LookupChange): void;
}

/** A file of the writable directory as `LookupWriter.update` reads it. */
export interface ExistingLookup {
  text: string;
  header: string[];
  rows: number;
}

/** What `LookupWriter.update` does with the file. */
export type LookupChange = { write: string } | 'remove';

/** A lookup provider that can also write (outputlookup); the others read only. */
export interface WritableLookups extends LookupProvider {
  writer?: LookupWriter;
}

/** File names of lookups written: at most this many UTF-8 bytes (the usual NAME_MAX). */
export const MAX_LOOKUP_NAME_BYTES = 255;

/**
 * The file a lookup name stands for in a writable lookup directory, or why it cannot be one: `x.csv` is itself,
 * a definition name `x` is `x.csv` (Splunk: "you can use either staff.csv or staff"). Plain names only: no path
 * separator, no `.`/`..`, no leading dot (temporary files are hidden), no NUL or control character (C0, C1, bidirectional),
 * not `.csv.gz`.
 */
export function lookupFileName(name: string): { file: string } | { error: string } {
  if (name === '' || name === '.' || name === '..') return { error: 'a lookup name must be a file name' };
  if (/[/\\]/.test(name)) return { error: 'a lookup name must be a plain file name, not a path (no / or \\)' };
  // C0 and C1 controls (a newline, NEL), and the bidirectional controls, which make a name display as another (U+202E
  // reverses what follows it: Trojan Source).
  if (/[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u.test(name)) return { error: 'a lookup name must not hold control characters (bidirectional controls included)' };
  if (name.startsWith('.')) return { error: 'a lookup name must not start with a dot' };
  if (/\.csv\.gz$/i.test(name)) return { error: 'gzipped lookups (.csv.gz) are not supported: write a .csv' };
  const file = /\.csv$/i.test(name) ? name : `${name}.csv`;
  if (Buffer.byteLength(file, 'utf8') > MAX_LOOKUP_NAME_BYTES) return { error: `a lookup file name must be at most ${MAX_LOOKUP_NAME_BYTES} bytes of UTF-8` };
  return { file };
}

/** The prefix of splunk_mv_csv's column holding a field's multivalue (`__mv_<field>`). */
export const MV_COLUMN_PREFIX = '__mv_';

/** splunk_mv_csv's form of a multivalue: each value in `$`, a `$` inside doubled, joined with `;`; one value: empty. */
export function mvCellText(values: readonly string[]): string {
  return values.length < 2 ? '' : values.map((v) => `$${v.replace(/\$/g, '$$$$')}$`).join(';');
}

/** The values of an `__mv_` cell (`$a$;$b$`), or null when it is not in that form (the plain column is used). */
export function parseMvCell(text: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '$') return null;
    let v = '';
    let j = i + 1;
    for (;;) {
      const end = text.indexOf('$', j);
      if (end < 0) return null;
      v += text.slice(j, end);
      if (text[end + 1] === '$') {
        v += '$';
        j = end + 2;
        continue;
      }
      i = end + 1;
      break;
    }
    out.push(v);
    if (i < text.length && text[i++] !== ';') return null;
    if (i === text.length && text[i - 1] === ';') return null;
  }
  return out.length > 0 ? out : null;
}

/**
 * The limits of the files `outputlookup` writes (`--lookup-max-rows`/`--lookup-max-bytes`/`--lookup-max-files`/
 * `--lookup-lock-wait`, serve's `search.maxLookupRows`/`maxLookupBytes`/`maxLookupFiles`/`lookupLockWait`).
 */
export interface LookupDirLimits {
  maxRows: number;
  maxBytes: number;
  /** Lookup files (`*.csv`) the directory may hold: a new name past it is refused (existing ones may be rewritten). */
  maxFiles: number;
  /** How long a writer waits for another's lock on the same file before SPL_LOOKUP_WRITE. */
  lockWaitMs: number;
}

/** 1,000,000 rows and 100 MiB per written lookup file, 1,000 files, a 10 s wait for a file's lock, unless configured. */
export const DEFAULT_LOOKUP_LIMITS: LookupDirLimits = { maxRows: 1_000_000, maxBytes: 100 * 1024 * 1024, maxFiles: 1000, lockWaitMs: 10_000 };

/** The longest lock wait that may be configured (1 h): a writer blocks its thread while it waits. */
export const MAX_LOOKUP_LOCK_WAIT_S = 3600;

/** A writable lookup directory: where, its limits, and whether searches of this caller may write to it. */
export interface LookupDirSetup extends LookupDirLimits {
  dir: string;
  /** null: searches may write; else the message of the error outputlookup raises (the API without the switch). */
  refusal: string | null;
}
