import { mv, toText, valuesOf } from '../../events/value.js';
import { defineCommand } from './types.js';

export interface XmlkvArgs {
  field: string;
}

/**
 * `xmlkv [<field>] [maxinputs=<int>]`: each element of the field's XML (default `_raw`) holding only text,
 * `<key attr="...">value</key>`, sets the field `key` to `value` as written (over a field of that name); a key met
 * several times gets every value, in order, as a multivalue. Elements holding other elements, empty and self-closing
 * elements, attributes, comments and CDATA give nothing; entities are left as written (`xmlunescape` is Splunk's
 * command for them). Text that is not XML is read as far as it has such elements (a message with XML inside).
 * `maxinputs` (how many results Splunk hands the command per call) changes nothing here: rows stream.
 */
export const xmlkvCommand = defineCommand<XmlkvArgs>({
  name: 'xmlkv',
  doc: 'xmlkv [<field>] [maxinputs=<int>]: extract <key>value</key> pairs from XML in _raw or a field.',
  parse: (p) => {
    let field: string | null = null;
    for (;;) {
      const o = p.option(['maxinputs']);
      if (o) {
        p.parseInt(o.value, o.valueSpan, 1);
        continue;
      }
      const t = p.peek('search');
      if (t.kind === 'eof') break;
      if (field !== null) throw p.error(`xmlkv takes one field; unexpected '${t.value}'`, t.span);
      field = p.fieldName().name;
    }
    return { field: field ?? '_raw' };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: () => '*',
  create: (args, _ctx, next) => ({
    push: (row) => {
      const found = new Map<string, string[]>();
      for (const v of valuesOf(row.get(args.field))) {
        xmlLeaves(toText(v), (key, value) => {
          const values = found.get(key);
          if (values) values.push(value);
          else found.set(key, [value]);
        });
      }
      for (const [key, values] of found) row.set(key, values.length === 1 ? values[0]! : mv(values));
      next.push(row);
    },
    end: () => next.end(),
  }),
});

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

/** XML name characters (ASCII letters, digits, `_ : - .`, and anything past ASCII); a name starts with none of `- .` or a digit. */
function isNameChar(c: number, first: boolean): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || c > 0x7f) return true;
  return !first && ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e);
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * Calls `emit(name, text)` for each `<name ...>text</name >` of `s` whose text is not empty and holds no `<`, in order.
 * One pass: a tag's scan stops at the next `<` (which starts the next look), and a text's at its end, so each
 * character is read a bounded number of times, whatever the input (no backtracking regex, no recursion).
 */
export function xmlLeaves(s: string, emit: (name: string, text: string) => void): void {
  const n = s.length;
  let i = s.indexOf('<');
  while (i !== -1) {
    let j = i + 1;
    if (j >= n || !isNameChar(s.charCodeAt(j), true)) {
      i = s.indexOf('<', j);
      continue;
    }
    while (j < n && isNameChar(s.charCodeAt(j), false)) j++;
    const name = s.slice(i + 1, j);
    // The rest of the start tag: attributes (a quoted value may hold `>`), up to its `>`, never past a `<`.
    let k = j;
    let quote = 0;
    let end = -1;
    const after = k < n ? s.charCodeAt(k) : LT;
    if (after === GT || after === SLASH || isSpace(after)) {
      for (; k < n; k++) {
        const c = s.charCodeAt(k);
        if (c === LT) break;
        if (quote !== 0) {
          if (c === quote) quote = 0;
        } else if (c === DQUOTE || c === SQUOTE) quote = c;
        else if (c === GT) {
          end = k;
          break;
        }
      }
    }
    if (end === -1 || s.charCodeAt(end - 1) === SLASH) {
      i = s.indexOf('<', end === -1 ? j : end);
      continue;
    }
    const next = s.indexOf('<', end + 1);
    if (next === -1) return;
    if (next > end + 1 && closes(s, next, name)) emit(name, s.slice(end + 1, next));
    i = next;
  }
}

/** `</name>` (spaces allowed before the `>`) at `at`. */
function closes(s: string, at: number, name: string): boolean {
  if (s.charCodeAt(at + 1) !== SLASH || !s.startsWith(name, at + 2)) return false;
  let k = at + 2 + name.length;
  while (k < s.length && isSpace(s.charCodeAt(k))) k++;
  return s.charCodeAt(k) === GT;
}
