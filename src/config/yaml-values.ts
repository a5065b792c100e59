/** What a parsed YAML value is, for validation messages shared by the config file and its alert actions. */

/** A YAML mapping (not a list, not null). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as a setting's error names what it got: `null`, `a list`, `a mapping`, or the scalar as JSON. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}
