import { availableParallelism } from 'node:os';
import { VigilError } from '../errors.js';
import { printable } from '../outputs/printable.js';

// Apart from shared.ts: the engine's file source (file-source.ts) needs it, and what it imports is loaded by every
// thread that loads the engine (the bundle merges file-source.ts into the engine's file); shared.ts loads commander.

/** `--threads`, else `VIGIL_THREADS`, else the machine's cores. */
export function threadCount(opt: string | undefined, env: string | undefined = process.env.VIGIL_THREADS): number {
  const text = opt ?? (env !== undefined && env.trim() !== '' ? env : undefined);
  if (text === undefined) return availableParallelism();
  // Digits only: Number() would also read "1e3", "0x2" or " 2".
  const n = /^[0-9]{1,4}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 1024)) throw new VigilError('USAGE', `${opt !== undefined ? '--threads' : 'VIGIL_THREADS'} must be an integer from 1 to 1024, not "${printable(text)}"`);
  return n;
}
