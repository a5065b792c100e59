import { toObject } from '../../../src/events/result.js';
import { runSearch, SplError } from '../../../src/spl/index.js';

export const NOW = 1700000000;

/** Runs a search (no event source: generating commands) and returns plain result objects. */
export const run = async (spl: string) => (await runSearch(spl, { now: NOW })).results.map(toObject);

/** The SplError a search raises (fails the test if it raises none). */
export async function errorOf(spl: string): Promise<SplError> {
  try {
    await runSearch(spl, { now: NOW });
  } catch (e) {
    if (e instanceof SplError) return e;
    throw e;
  }
  throw new Error(`expected an error from: ${spl}`);
}

/** The `at 1:<column>` an error message gives for the first occurrence of `text` in `spl`. */
export const at = (spl: string, text: string, from = 0) => `at 1:${spl.indexOf(text, from) + 1}`;
