/** A lookup table: rows of text fields (CSV). */
export interface LookupTable {
  name: string;
  fields: string[];
  rows: Record<string, string>[];
  /** CSV lookups match case-sensitively unless configured otherwise (transforms.conf case_sensitive_match). */
  caseSensitive: boolean;
}

/** Resolves lookup names (`lookup foo`, `inputlookup foo.csv`) to tables. */
export interface LookupProvider {
  get(name: string): LookupTable | undefined;
  names(): string[];
}

export const NO_LOOKUPS: LookupProvider = { get: () => undefined, names: () => [] };
