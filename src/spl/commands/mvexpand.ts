import { valuesOf } from '../../events/value.js';
import type { Span } from '../source.js';
import { defineCommand } from './types.js';

export interface MvexpandArgs {
  field: string;
  fieldSpan: Span;
  /** Values used per result; 0 = all. */
  limit: number;
}

/**
 * `mvexpand <field> [limit=<n>]`: one result per value of the field, every other field copied; the
 * values keep their order. `limit` caps the values used per input result (default 0 = all; the rest
 * are dropped, as documented).
 *
 * Decisions:
 * - A result without the field is dropped, not passed through: Splunk produces one result per value and
 *   zero values give zero results (checked: Splunk Answers "Why does mvexpand X remove events with
 *   X=NULL?", cited in remg427/misp42splunk#127; the usual workaround is fillnull before mvexpand).
 * - Internal fields (`_raw`, `_time`...) are refused: "mvexpand command can't be applied to internal
 *   fields" (SPL reference). Wildcards are refused too (one field only).
 * - Splunk's 500 MB memory cap (max_mem_usage_mb) is not modelled: rows stream one at a time.
 */
export const mvexpandCommand = defineCommand<MvexpandArgs>({
  name: 'mvexpand',
  doc: 'mvexpand <field> [limit=<n>]: one result per value of a multivalue field.',
  parse: (p) => {
    let limit = 0;
    const field = p.optionsAndField('mvexpand', ['limit'], (o) => (limit = p.parseInt(o.value, o.valueSpan, 0)), 'mvexpand dest');
    return { field: field.name, fieldSpan: field.span, limit };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => [a.field],
  create: (args, _ctx, next) => {
    const { field, limit } = args;
    return {
      push: (row) => {
        const v = row.get(field);
        if (v === null) return;
        if (!Array.isArray(v)) {
          next.push(row);
          return;
        }
        const vs = valuesOf(v);
        const n = limit > 0 ? Math.min(limit, vs.length) : vs.length;
        for (let i = 0; i < n; i++) {
          // The last copy can reuse the input row: nothing else holds it.
          const out = i === n - 1 ? row : row.clone();
          out.set(field, vs[i]!);
          next.push(out);
        }
      },
      end: () => next.end(),
    };
  },
});
