import { nodeCrypto } from '../../node-builtins.js';
import type { EvalFunction } from './types.js';
import { textOf } from '../value.js';

/**
 * Cryptographic functions: the lower-case hex digest of the value's UTF-8 text. A multivalue hashes
 * its first value (these functions are not documented for multivalues); null gives null.
 */
function digest(name: string, algorithm: string): EvalFunction {
  return {
    name,
    minArgs: 1,
    maxArgs: 1,
    doc: `${name}(x): the ${algorithm.toUpperCase()} digest of x, as lower-case hex.`,
    returns: 'string',
    call: ([v]) => {
      const t = textOf(v ?? null);
      return t === null ? null : nodeCrypto().createHash(algorithm).update(t, 'utf8').digest('hex');
    },
  };
}

export const cryptoFunctions: EvalFunction[] = [
  digest('md5', 'md5'),
  digest('sha1', 'sha1'),
  digest('sha256', 'sha256'),
  digest('sha512', 'sha512'),
];
