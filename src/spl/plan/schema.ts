import type { FieldSchema } from '../commands/types.js';
import type { SearchPlan } from './plan.js';

/** Raw events carry these plus whatever their text yields: an open schema. */
const EVENT_FIELDS = ['_time', '_raw', 'index', 'sourcetype', 'source', 'host'];

/**
 * The fields a search's results can have, as far as the commands tell statically. A detection ending in
 * `stats ... by` has a closed schema (exactly its BY fields and aggregates); a raw-event search is open.
 */
export function outputSchema(plan: SearchPlan): FieldSchema {
  let schema: FieldSchema = { fields: new Set(EVENT_FIELDS), open: true };
  const stages = plan.generating ? [plan.generating, ...plan.stages] : plan.stages;
  for (const s of stages) {
    const bp = s.blueprint;
    if (bp.outputFields) {
      schema = bp.outputFields(s.command.args, schema);
      continue;
    }
    const w = bp.writes(s.command.args);
    schema = w === '*' ? { fields: schema.fields, open: true } : { fields: new Set([...schema.fields, ...w]), open: schema.open };
  }
  return schema;
}

/** Whether results of this schema can have `field`. */
export function mayHave(schema: FieldSchema, field: string): boolean {
  return schema.open || schema.fields.has(field);
}
