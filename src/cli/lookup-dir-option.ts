import { resolve } from 'node:path';
import type { Command } from 'commander';
import { VigilError } from '../errors.js';
import { DEFAULT_LOOKUP_LIMITS, MAX_LOOKUP_LOCK_WAIT_S, type LookupDirSetup, type LookupProvider } from '../spl/lookups.js';
import { printable } from '../outputs/printable.js';
import { positiveInteger } from './shared.js';

export const LOOKUP_DIR_ENV = 'VIGIL_LOOKUP_DIR';

export interface LookupDirOptions {
  lookupDir?: string;
  lookupMaxRows?: string;
  lookupMaxBytes?: string;
  lookupMaxFiles?: string;
  lookupLockWait?: string;
}

/** `--lookup-dir` and its limits (vigil search, run). */
export function addLookupDirOptions(cmd: Command): Command {
  return cmd
    .option('--lookup-dir <dir>', `writable lookup directory: outputlookup writes its CSV files there, inputlookup and lookup read them before the content's (default: $${LOOKUP_DIR_ENV}; none: outputlookup fails)`)
    .option('--lookup-max-rows <n>', `rows one file outputlookup writes may hold (default ${DEFAULT_LOOKUP_LIMITS.maxRows})`)
    .option('--lookup-max-bytes <n>', `bytes one file outputlookup writes may hold (default ${DEFAULT_LOOKUP_LIMITS.maxBytes})`)
    .option('--lookup-max-files <n>', `lookup files the directory may hold: outputlookup creates no new one past it (default ${DEFAULT_LOOKUP_LIMITS.maxFiles})`)
    .option('--lookup-lock-wait <seconds>', `how long outputlookup waits while another search writes the same file (0 to ${MAX_LOOKUP_LOCK_WAIT_S}; default ${DEFAULT_LOOKUP_LIMITS.lockWaitMs / 1000})`);
}

/** The writable lookup directory of this run, or null when none is named (outputlookup then fails at the command). */
export function lookupDirSetup(opts: LookupDirOptions, env: string | undefined = process.env[LOOKUP_DIR_ENV]): LookupDirSetup | null {
  const dir = opts.lookupDir ?? (env !== undefined && env.trim() !== '' ? env : undefined);
  if (dir === undefined) return null;
  if (dir.trim() === '') throw new VigilError('USAGE', '--lookup-dir needs a directory');
  return {
    dir: resolve(dir),
    refusal: null,
    maxRows: opts.lookupMaxRows === undefined ? DEFAULT_LOOKUP_LIMITS.maxRows : positiveInteger(opts.lookupMaxRows, '--lookup-max-rows'),
    maxBytes: opts.lookupMaxBytes === undefined ? DEFAULT_LOOKUP_LIMITS.maxBytes : positiveInteger(opts.lookupMaxBytes, '--lookup-max-bytes'),
    maxFiles: opts.lookupMaxFiles === undefined ? DEFAULT_LOOKUP_LIMITS.maxFiles : positiveInteger(opts.lookupMaxFiles, '--lookup-max-files'),
    lockWaitMs: opts.lookupLockWait === undefined ? DEFAULT_LOOKUP_LIMITS.lockWaitMs : lockWaitMs(opts.lookupLockWait),
  };
}

/** `--lookup-lock-wait`: whole seconds, 0 (one try) to MAX_LOOKUP_LOCK_WAIT_S. */
function lockWaitMs(text: string): number {
  const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n <= MAX_LOOKUP_LOCK_WAIT_S)) throw new VigilError('USAGE', `--lookup-lock-wait must be a whole number of seconds from 0 to ${MAX_LOOKUP_LOCK_WAIT_S}, not "${printable(text)}"`);
  return n * 1000;
}

/**
 * The content's lookups, with the writable directory's over them when there is one (its code, node:crypto and
 * the CSV reader, loaded only then: test/cli/startup.test.ts).
 */
export async function runLookups(base: LookupProvider, setup: LookupDirSetup | null): Promise<LookupProvider> {
  if (setup === null) return base;
  const { withLookupDir } = await import('../detections/lookup-dir.js');
  return withLookupDir(base, setup);
}
