import { sortTexts, toNumber, valuesOf, type Scalar } from '../../events/value.js';
import { fieldPattern, isInternalField } from '../fields.js';
import type { Span } from '../source.js';
import { defineCommand } from './types.js';

type JsonType = 'auto' | 'bool' | 'json' | 'none' | 'num' | 'str';
const TYPES: readonly JsonType[] = ['auto', 'bool', 'json', 'none', 'num', 'str'];

/** Names of result fields whose type was decided are remembered up to this many (rows share names; ever-new names must not grow it). */
const MAX_REMEMBERED_NAMES = 10_000;

export interface TojsonArgs {
  /** Field patterns with their type, in the order written: the first that matches a field decides its type. */
  fields: { pattern: string; type: JsonType; span: Span }[];
  defaultType: JsonType;
  fillNull: boolean;
  includeInternal: boolean;
  outputField: string;
}

/**
 * `tojson [auto|bool|json|none|num|str(<wc-field>, ...)]... [<wc-field>]... [default_type=] [fill_null=]
 * [include_internal=] [output_field=]`: "Converts events into JSON objects ... The tojson command converts multivalue
 * fields into JSON arrays" (tojson reference), one object per result in `_raw` (or `output_field`). No field named:
 * every field, of `default_type` (none). Keys in name order (the makejson reference: "You cannot use the table or
 * fields command to specify the field order in the JSON object"); internal fields only with include_internal=true,
 * unless named without a wildcard.
 */
export const tojsonCommand = defineCommand<TojsonArgs>({
  name: 'tojson',
  doc: 'tojson [auto|bool|json|none|num|str(<fields>)]... [default_type=] [fill_null=] [include_internal=] [output_field=]: each result as a JSON object in _raw.',
  parse: (p) => {
    const typed: { pattern: string; type: JsonType | null; span: Span }[] = [];
    let defaultType: JsonType = 'none';
    let fillNull = false;
    let includeInternal = false;
    let outputField = '_raw';
    for (;;) {
      const o = p.option(['default_type', 'fill_null', 'include_internal', 'output_field']);
      if (o) {
        if (o.key === 'default_type') {
          const t = o.value.toLowerCase() as JsonType;
          if (!TYPES.includes(t)) throw p.error(`tojson: default_type must be one of ${TYPES.join(', ')}, not "${o.value}"`, o.valueSpan, 'SPL_BAD_ARGUMENT');
          defaultType = t;
        } else if (o.key === 'fill_null') fillNull = p.parseBool(o.value, o.valueSpan);
        else if (o.key === 'include_internal') includeInternal = p.parseBool(o.value, o.valueSpan);
        else {
          if (o.value === '') throw p.error('tojson: output_field needs a field name', o.valueSpan, 'SPL_BAD_ARGUMENT');
          outputField = o.value;
        }
        continue;
      }
      const list = p.fieldList(['default_type', 'fill_null', 'include_internal', 'output_field']);
      if (list.length === 0) break;
      for (const f of list) {
        // `num(x, y*)` arrives as one name (ArgParser.withCall glues the parenthesised part).
        const call = /^([a-z]+)\((.*)\)$/is.exec(f.name);
        const type = call ? (call[1]!.toLowerCase() as JsonType) : null;
        if (call && !TYPES.includes(type!)) throw p.error(`tojson: unknown datatype function "${call[1]}" (use ${TYPES.join(', ')})`, f.span, 'SPL_BAD_ARGUMENT');
        const patterns = call ? call[2]!.split(',').map(unquote) : [f.name];
        for (const pattern of patterns) {
          if (pattern === '') throw p.error(`tojson: ${call ? `${call[1]}() needs a field name` : 'empty field name'}`, f.span, 'SPL_BAD_ARGUMENT');
          typed.push({ pattern, type, span: f.span });
        }
      }
    }
    p.expectEnd();
    return { fields: typed.map((f) => ({ ...f, type: f.type ?? defaultType })), defaultType, fillNull, includeInternal, outputField };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => [a.outputField],
  create: (args, _ctx, next) => {
    const matchers = args.fields.map((f) => ({ test: fieldPattern(f.pattern), wildcard: f.pattern.includes('*'), type: f.type }));
    // A field's type (or null: left out), decided once per name.
    const types = new Map<string, JsonType | null>();
    const typeOf = (name: string): JsonType | null => {
      let t = types.get(name);
      if (t !== undefined) return t;
      t = null;
      if (matchers.length === 0) t = args.includeInternal || !isInternalField(name) ? args.defaultType : null;
      else {
        for (const m of matchers) {
          if (!m.test(name)) continue;
          t = m.wildcard && !args.includeInternal && isInternalField(name) ? null : m.type;
          break;
        }
      }
      if (types.size < MAX_REMEMBERED_NAMES) types.set(name, t);
      return t;
    };
    return {
      push: (row) => {
        const names = sortTexts(row.fieldNames().filter((f) => row.get(f) !== null && typeOf(f) !== null));
        let out = '{';
        for (const name of names) {
          const v = row.get(name)!;
          const many = Array.isArray(v);
          const parts: string[] = [];
          for (const value of valuesOf(v)) {
            const text = jsonValue(value, typeOf(name)!);
            if (text !== null) parts.push(text);
            else if (args.fillNull) parts.push('null');
          }
          if (parts.length === 0) continue;
          out += (out.length > 1 ? ',' : '') + JSON.stringify(name) + ':' + (many ? `[${parts.join(',')}]` : parts[0]);
        }
        row.set(args.outputField, out + '}');
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});

/** A field name inside a datatype function: quoted, its `\"` and `\\` escapes undone. */
function unquote(text: string): string {
  const t = text.trim();
  return /^".*"$/s.test(t) ? t.slice(1, -1).replace(/\\(["\\])/g, '$1') : t;
}

/** `value` as JSON text of `type`, or null when it is not valid for it (skipped, or null with fill_null=true). */
function jsonValue(value: Scalar, type: JsonType): string | null {
  switch (type) {
    // "Does not apply string validation": numbers stay numbers, texts texts.
    case 'none':
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
    case 'str':
      return JSON.stringify(typeof value === 'number' ? String(value) : value);
    case 'num': {
      const n = toNumber(value);
      return n === null ? null : String(n);
    }
    case 'bool':
      return boolText(value);
    case 'json':
      return jsonText(value);
    case 'auto': {
      if (typeof value === 'number') return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
      const n = toNumber(value);
      if (n !== null) return String(n);
      if (value === 'true' || value === 'false' || value === 'null') return value;
      // Text that is a JSON object or array is nested; any other text is a string.
      return (/^\s*[[{]/.test(value) ? jsonText(value) : null) ?? JSON.stringify(value);
    }
  }
}

/** true/false in any case, or a number (0 false, any other true); else not a boolean. */
function boolText(value: Scalar): string | null {
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true' || v === 'false') return v;
  }
  const n = toNumber(value);
  return n === null ? null : String(n !== 0);
}

/** Valid JSON text, written compactly; null for anything else (also JSON nested too deep to walk). */
function jsonText(value: Scalar): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  try {
    return JSON.stringify(JSON.parse(value));
  } catch {
    return null;
  }
}
