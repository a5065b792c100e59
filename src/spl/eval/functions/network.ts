import type { EvalFunction } from './types.js';
import { toText } from '../../../events/value.js';
import { isIP } from '../../node-builtins.js';
import { cidrMatcher } from '../../search/cidr.js';
import { isMv, scalarOf, textOf } from '../value.js';
import { SmallCache } from './helpers.js';

/**
 * Network functions: cidrmatch (Comparison functions) and ipmask (Conversion functions).
 *
 * cidrmatch decisions: IPv4 and IPv6 ("supports IPv4 and IPv6 addresses and subnets"); an address
 * only matches a subnet of its own family; a CIDR or address that does not parse gives false, not an
 * error; a bare address as the CIDR means /32 (/128); a null argument gives null; a multivalue
 * address matches when any of its values is in the subnet.
 */

type Matcher = (ip: string) => boolean;

const matchers = new SmallCache<Matcher | null>();

function matcherFor(cidr: string): Matcher | null {
  return matchers.get(cidr, (c) => {
    const text = c.trim();
    if (!text.includes('/')) {
      const family = isIP(text);
      if (family === 0) return null;
      return cidrMatcher(`${text}/${family === 4 ? 32 : 128}`);
    }
    return cidrMatcher(text);
  });
}

function ipv4Octets(text: string): number[] | null {
  if (isIP(text) !== 4) return null;
  return text.split('.').map(Number);
}

export const networkFunctions: EvalFunction[] = [
  {
    name: 'cidrmatch',
    minArgs: 2,
    maxArgs: 2,
    doc: 'cidrmatch(cidr, ip): true when ip (IPv4 or IPv6) is in the subnet; false for an invalid subnet or address; null when either is null.',
    returns: 'boolean',
    call: ([c, ip]) => {
      const cidr = textOf(c ?? null);
      const v = ip ?? null;
      if (cidr === null || v === null) return null;
      const match = matcherFor(cidr);
      if (match === null) return false;
      if (isMv(v)) return v.some((x) => match(toText(x).trim()));
      const t = textOf(v);
      return t === null ? null : match(t.trim());
    },
  },
  {
    name: 'ipmask',
    minArgs: 2,
    maxArgs: 2,
    doc: 'ipmask(mask, ip): the IPv4 address ANDed with the mask, octet by octet (ipmask("255.255.255.0", "10.20.30.120") is "10.20.30.0"); null when either is not an IPv4 address.',
    returns: 'string',
    call: ([m, ip]) => {
      const mask = scalarOf(m ?? null);
      const addr = scalarOf(ip ?? null);
      if (mask === null || addr === null || typeof mask === 'boolean' || typeof addr === 'boolean') return null;
      const a = ipv4Octets(toText(mask).trim());
      const b = ipv4Octets(toText(addr).trim());
      if (a === null || b === null) return null;
      return a.map((x, i) => x & b[i]!).join('.');
    },
  },
];
