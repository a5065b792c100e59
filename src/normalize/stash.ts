import { mv, type FieldValue, type Scalar } from '../events/value.js';

/**
 * `stash` events — what vigil writes to the risk and notable indexes, like Splunk ES's summary events —
 * are flat JSON objects whose keys are field names (`annotations.mitre_attack.mitre_tactic` is one field,
 * not a path) and whose arrays are multivalue fields of that same name (no `{}` suffix). So `values(
 * annotations.mitre_attack.mitre_tactic)` over index=risk sees every tactic, as in ES.
 */
export const STASH_SOURCETYPE = 'stash';

function scalar(v: unknown): Scalar | null {
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return null;
}

/** A field of a stash event, or undefined when the key is not a flat field (then the JSON path rules apply). */
export function stashField(json: Record<string, unknown>, field: string): FieldValue | null | undefined {
  if (!Object.prototype.hasOwnProperty.call(json, field)) return undefined;
  const v = json[field];
  if (Array.isArray(v)) return mv(v.map(scalar).filter((x): x is Scalar => x !== null));
  if (v !== null && typeof v === 'object') return undefined;
  return scalar(v);
}

/** Every flat field of a stash event. */
export function stashFields(json: Record<string, unknown>): Map<string, FieldValue> {
  const out = new Map<string, FieldValue>();
  for (const k of Object.keys(json)) {
    const v = stashField(json, k);
    if (v !== null && v !== undefined) out.set(k, v);
  }
  return out;
}
