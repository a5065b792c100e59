import { createRequire } from 'node:module';

/**
 * Node built-ins that a few SPL functions need, loaded on their first use rather than when the engine is
 * imported: `node:crypto` (~7 ms) and `node:net` (~5 ms) are start-up every `vigil run` paid, while only
 * md5()/sha*() and IP matching or sorting use them (issue #13 item 5: nothing a command does not use on its path).
 */
// Made on first use too: createRequire costs ~0.6 ms, paid by every import of the engine otherwise.
let requireHere: NodeJS.Require | undefined;
const load = (id: string): unknown => (requireHere ??= createRequire(import.meta.url))(id);
let crypto: typeof import('node:crypto') | undefined;
let net: typeof import('node:net') | undefined;
let os: typeof import('node:os') | undefined;
let maxmind: typeof import('maxmind') | undefined;

export function nodeCrypto(): typeof import('node:crypto') {
  return (crypto ??= load('node:crypto') as typeof import('node:crypto'));
}

/** `net.isIP`: 4, 6, or 0 when `input` is not an IP address. */
export function isIP(input: string): number {
  return (net ??= load('node:net') as typeof import('node:net')).isIP(input);
}

/** This machine's host name (`makeresults annotate=true`'s splunk_server). */
export function hostName(): string {
  return (os ??= load('node:os') as typeof import('node:os')).hostname();
}

/** The `maxmind` package (its MaxMind DB `Reader`): only `iplocation` needs it, so only a search using it loads it. */
export function maxmindModule(): typeof import('maxmind') {
  return (maxmind ??= load('maxmind') as typeof import('maxmind'));
}
