import { VigilError } from '../errors.js';
import { SplError } from '../spl/source.js';
import { printableLines } from '../outputs/printable.js';

/** Exit codes are a contract: 0 success (also with zero rows), 2 usage/SPL/content errors, 1 anything else. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const USAGE_CODES = new Set([
  'SPL_SYNTAX',
  'SPL_UNSUPPORTED_COMMAND',
  'SPL_UNSUPPORTED_FUNCTION',
  'SPL_BAD_ARGUMENT',
  'SPL_UNKNOWN_MACRO',
  'SPL_MACRO_DEPTH',
  'SPL_MACRO_ARGS',
  'SPL_MACRO_LIMIT',
  'REGEX_UNSUPPORTED',
  'REGEX_INVALID',
  'TIME_MODIFIER',
  'TIME_FORMAT',
  'CONTENT_YAML',
  'CONTENT_SCHEMA',
  'CONTENT_NOT_FOUND',
  'LOOKUP_NOT_FOUND',
  'CONFIG',
  'USAGE',
  'BACKFILL_LIMIT',
]);

/**
 * Prints an error the way a user should see it (never a stack trace for known errors) and returns the exit code. The
 * message goes through `printableLines`: the inputs it quotes (a path, a zone, a search's line) lose their control
 * characters (an ESC sequence in `--tz` or `--data-dir` reached the terminal), its line ends and tabs stay.
 */
export function reportError(err: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (err instanceof SplError) {
    write(`vigil: ${printableLines(err.format())}\n`);
    return EXIT_USAGE;
  }
  if (err instanceof VigilError) {
    write(`vigil: ${printableLines(err.message)} [${err.code}]\n`);
    return USAGE_CODES.has(err.code) ? EXIT_USAGE : EXIT_FAILURE;
  }
  const e = err as { message?: string; stack?: string };
  write(`vigil: internal error: ${printableLines(e?.message ?? String(err))}\n`);
  if (process.env.VIGIL_DEBUG && e?.stack) write(`${e.stack}\n`);
  return EXIT_FAILURE;
}
