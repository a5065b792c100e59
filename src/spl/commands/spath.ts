import { mv, toText, valuesOf, type FieldValue, type Scalar } from '../../events/value.js';
import { extractAll, extractPath } from '../../normalize/json-fields.js';
import { spathJson } from '../eval/functions/string.js';
import type { Span } from '../source.js';
import { defineCommand } from './types.js';

export interface SpathArgs {
  input: string;
  /** Where a path's values go (default: the path text); null without a path. */
  output: string | null;
  path: string | null;
}

/** A location path: steps separated by `.`, each a key with optional `{}` / `{n}` (`{0}` alone for a top-level array). */
const STEP = /^([^{}]*)((?:\{-?\d*\})*)$/;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * `spath [input=<field>] [output=<field>] [path=<datapath> | <datapath>]`: JSON extraction.
 *
 * - Without a path, every field is extracted as KV_MODE=json does (`a.b`, `a{}`, `a{}.b`; the flattener
 *   in normalize/json-fields.ts), overwriting fields of the same name.
 * - With a path, the values it reaches go to `output` (default: the path text), through the same walker
 *   as eval's spath() (eval/functions/string.ts): `{}` takes every element of an array, `{n}` the
 *   element at index n, **0-based** for JSON (the SPL2 example `cooperative{1}` returns the second game;
 *   the SPL1 docs say only that JSON and XML differ; XML is 1-based), negative from the end. Several
 *   values make a multivalue; a path ending on an object or array yields its compact JSON text (Splunk
 *   keeps the original spacing). Keys containing dots (`labels.app.kubernetes.io/name`) are found too
 *   when the path has no `{n}`. A path that reaches nothing leaves the output field as it was.
 * - Default input `_raw`; each value of a multivalue input is parsed and the results concatenated.
 *   Text that is not JSON extracts nothing. XML (starts with `<`) is not supported: decision — a warning
 *   (once per search), not an error, so one XML value does not fail the whole search.
 * - Not modelled: the 5000-character auto-extraction cutoff (limits.conf extraction_cutoff). Instead, values
 *   inside more than MAX_JSON_DEPTH (128) objects/arrays are not extracted (normalize/json-fields.ts), and a
 *   path ending on an object or array holding such values yields nothing.
 */
export const spathCommand = defineCommand<SpathArgs>({
  name: 'spath',
  doc: 'spath [input=<field>] [output=<field>] [path=<datapath> | <datapath>]: extract fields from JSON.',
  parse: (p) => {
    let input = '_raw';
    let output: { name: string; span: Span } | null = null;
    let path: { name: string; span: Span } | null = null;
    for (;;) {
      const o = p.option(['input', 'output', 'path']);
      if (o) {
        if (o.key === 'input') input = o.value;
        else if (o.key === 'output') output = { name: o.value, span: o.span };
        else {
          if (path) throw p.error('spath takes one path', o.span, 'SPL_BAD_ARGUMENT');
          path = { name: o.value, span: o.valueSpan };
        }
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (t.kind !== 'word' && t.kind !== 'string') throw p.error(`unexpected '${t.value}' in spath arguments`, t.span);
      if (path) throw p.error('spath takes one path', t.span, 'SPL_BAD_ARGUMENT');
      path = p.fieldName('a path');
    }
    if (output && !path) throw p.error('spath output= needs a path (path=<datapath>)', output.span, 'SPL_BAD_ARGUMENT');
    if (path) {
      const steps = path.name.split('.');
      const bad = path.name === '' || steps.some((s, i) => {
        const m = STEP.exec(s);
        return !m || (m[1] === '' && (m[2] === '' || i > 0));
      });
      if (bad) throw p.error(`invalid spath path "${path.name}": expected steps like a.b{}.c or a{1}`, path.span, 'SPL_BAD_ARGUMENT');
    }
    return { input, output: output ? output.name : path ? path.name : null, path: path ? path.name : null };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => (a.output ? [a.output] : '*'),
  create: (args, ctx, next, cmd) => {
    const { input, output, path } = args;
    const dottedKeys = path !== null && !/\{-?\d+\}/.test(path);
    let warned = false;
    /** The JSON texts of the input field (XML is reported once and skipped). */
    const texts = (v: FieldValue | null): string[] => {
      const out: string[] = [];
      for (const x of valuesOf(v)) {
        const t = (typeof x === 'string' ? x : toText(x)).trim();
        if (t.startsWith('<')) {
          if (!warned) ctx.warn(`spath: XML in ${input} is not supported (only JSON); nothing was extracted from it`, cmd.nameSpan);
          warned = true;
        } else if (t.startsWith('{') || t.startsWith('[')) out.push(t);
      }
      return out;
    };
    return {
      push: (row) => {
        const docs = texts(row.get(input));
        if (path === null) {
          const merged = new Map<string, Scalar[]>();
          for (const d of docs) for (const [k, v] of extractAll(parseJson(d))) merged.set(k, [...(merged.get(k) ?? []), ...valuesOf(v)]);
          for (const [k, vs] of merged) row.set(k, mv(vs));
        } else if (docs.length > 0) {
          const vals: Scalar[] = [];
          for (const d of docs) {
            const r = spathJson(d, path);
            if (r !== null && typeof r !== 'boolean') vals.push(...valuesOf(r));
            else if (dottedKeys) vals.push(...valuesOf(extractPath(parseJson(d), path)));
          }
          const v = mv(vals);
          if (v !== null) row.set(output!, v);
        }
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
