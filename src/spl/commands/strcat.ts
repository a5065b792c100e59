import { firstValue, toText } from '../../events/value.js';
import { SplError, type Span } from '../source.js';
import { defineCommand } from './types.js';

/**
 * The longest value strcat writes (*decision*: the reference gives none): `strcat x x x ... d` of a long field would
 * otherwise multiply it. Past it the search stops with SPL_RUNTIME at the command.
 */
export const MAX_STRCAT_CHARS = 10_000_000;

export type StrcatPart = { kind: 'field'; name: string } | { kind: 'literal'; text: string };

export interface StrcatArgs {
  allRequired: boolean;
  parts: StrcatPart[];
  dest: string;
}

/**
 * `strcat [allrequired=<bool>] <source-fields> <dest-field>` (Search Reference: "Combines together string values and
 * literals into a new field. A destination field name is specified at the end"; source fields are
 * `(<field> | <quoted-str>)...`, "Literal values must be enclosed in quotation marks"; "If allrequired=f, the destination
 * field is always written and source fields that do not exist are treated as empty strings. If allrequired=t, the
 * values are written to destination field only if all source fields exist"; default false).
 * *Decision:* a multivalue source gives its first value (as eval's string functions read one); an empty value counts as
 * existing; numbers are written as Splunk prints them (`toText`).
 */
export const strcatCommand = defineCommand<StrcatArgs>({
  name: 'strcat',
  doc: 'strcat [allrequired=<bool>] <source-fields and "literals"> <dest-field>: concatenate into a new field.',
  parse: (p) => {
    let allRequired = false;
    const items: { part: StrcatPart; span: Span; quoted: boolean }[] = [];
    for (;;) {
      const o = p.option(['allrequired']);
      if (o) {
        allRequired = p.parseBool(o.value, o.valueSpan);
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (t.kind === 'string') {
        p.next('search');
        items.push({ part: { kind: 'literal', text: t.value }, span: t.span, quoted: true });
        continue;
      }
      const f = p.fieldName('a field name or a "quoted string"');
      items.push({ part: { kind: 'field', name: f.name }, span: f.span, quoted: false });
    }
    const dest = items.pop();
    if (!dest || items.length === 0) throw p.error('strcat needs source fields and a destination field, e.g. strcat sourceIP "/" destIP comboIP', dest?.span ?? p.peek('search').span);
    if (dest.quoted) throw p.error('the destination of strcat is a field name, not a "quoted string"', dest.span, 'SPL_BAD_ARGUMENT');
    const name = (dest.part as { name: string }).name;
    if (name.includes('*')) throw p.error('the destination of strcat is one field name, not a wildcard', dest.span, 'SPL_BAD_ARGUMENT');
    return { allRequired, parts: items.map((i) => i.part), dest: name };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => [a.dest],
  create: (args, ctx, next, cmd) => ({
    push: (row) => {
      let out = '';
      let complete = true;
      for (const part of args.parts) {
        if (part.kind === 'literal') out += part.text;
        else {
          const v = firstValue(row.get(part.name));
          if (v === null) complete = false;
          else out += toText(v);
        }
        if (out.length > MAX_STRCAT_CHARS) {
          throw new SplError('SPL_RUNTIME', `strcat: the value of ${args.dest} would be longer than ${MAX_STRCAT_CHARS.toLocaleString('en-US')} characters`, cmd.nameSpan, ctx.source);
        }
      }
      if (complete || !args.allRequired) row.set(args.dest, out);
      next.push(row);
    },
    end: () => next.end(),
  }),
});
