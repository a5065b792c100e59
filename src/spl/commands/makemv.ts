import { mv, toText, valuesOf, type Scalar } from '../../events/value.js';
import { compileRegexArgument } from '../regex-literal.js';
import { SplError, type Span } from '../source.js';
import { defineCommand } from './types.js';

export interface MakemvArgs {
  field: string;
  /** The delimiter, or null when a tokenizer splits the value. */
  delim: string | null;
  tokenizer: { pattern: string; span: Span } | null;
  allowEmpty: boolean;
}

/**
 * `makemv [delim=<string> | tokenizer=<regex>] [allowempty=<bool>] [setsv=false] <field>` (SPL reference,
 * makemv): splits each value of the field on every occurrence of `delim` (default a single space), or
 * takes the first capturing group of every match of `tokenizer`, into a multivalue. Empty values (repeated
 * delimiters, zero-length matches) are dropped unless `allowempty=true`; a value that splits into nothing
 * removes the field. Internal fields are refused ("does not apply to internal fields"), as is `setsv=true`,
 * whose result the reference calls problematic and does not define.
 */
export const makemvCommand = defineCommand<MakemvArgs>({
  name: 'makemv',
  doc: 'makemv [delim=<string> | tokenizer=<regex>] [allowempty=<bool>] <field>: split a field into a multivalue.',
  parse: (p) => {
    const o: { delim: { value: string; span: Span } | null; tokenizer: { pattern: string; span: Span } | null; allowEmpty: boolean } = { delim: null, tokenizer: null, allowEmpty: false };
    const field = p.optionsAndField(
      'makemv',
      ['delim', 'tokenizer', 'allowempty', 'setsv'],
      (opt) => {
        if (opt.key === 'delim') o.delim = { value: opt.value, span: opt.span };
        else if (opt.key === 'tokenizer') o.tokenizer = { pattern: opt.value, span: opt.valueSpan };
        else if (opt.key === 'allowempty') o.allowEmpty = p.parseBool(opt.value, opt.valueSpan);
        else if (p.parseBool(opt.value, opt.valueSpan)) throw p.error('makemv setsv=true is not supported', opt.span, 'SPL_BAD_ARGUMENT');
      },
      'makemv delim="," recipients',
    );
    const { delim, tokenizer, allowEmpty } = o;
    if (delim && tokenizer) throw p.error('makemv takes delim= or tokenizer=, not both', delim.span, 'SPL_BAD_ARGUMENT');
    if (delim?.value === '') throw p.error('makemv delim= needs a non-empty delimiter', delim.span, 'SPL_BAD_ARGUMENT');
    return { field: field.name, delim: tokenizer ? null : (delim?.value ?? ' '), tokenizer, allowEmpty };
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => [a.field],
  create: (args, ctx, next) => {
    const { field, delim, tokenizer, allowEmpty } = args;
    const re = tokenizer ? compileRegexArgument(tokenizer.pattern, tokenizer.span, ctx.source, { global: true }) : null;
    if (tokenizer && re && (new RegExp(`${re.source}|`, re.flags).exec('')?.length ?? 1) < 2) {
      throw new SplError('SPL_BAD_ARGUMENT', 'the makemv tokenizer needs a capturing group, e.g. "([^,]+)"', tokenizer.span, ctx.source);
    }
    const split = (text: string): string[] =>
      re ? [...text.matchAll(re)].map((m) => m[1] ?? '') : text.split(delim!);
    return {
      push: (row) => {
        const v = row.get(field);
        if (v !== null) {
          const out: Scalar[] = [];
          for (const x of valuesOf(v)) for (const s of split(typeof x === 'string' ? x : toText(x))) if (allowEmpty || s !== '') out.push(s);
          row.set(field, mv(out));
        }
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
