import { isIP } from '../node-builtins.js';

/**
 * CIDR matching for search values (`src=10.0.0.0/8`) and eval's cidrmatch(). Returns null when the
 * pattern is not a CIDR block, so the caller falls back to text matching.
 */
export function cidrMatcher(pattern: string): ((ip: string) => boolean) | null {
  const slash = pattern.indexOf('/');
  if (slash < 0) return null;
  const base = pattern.slice(0, slash);
  const bitsText = pattern.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  const family = isIP(base);
  if (family === 0) return null;
  const bits = Number(bitsText);
  const width = family === 4 ? 32 : 128;
  if (bits > width) return null;
  const net = ipToBigInt(base, family)!;
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
  const want = net & mask;
  return (ip) => {
    const f = isIP(ip);
    if (f !== family) return false;
    const v = ipToBigInt(ip, f);
    return v !== null && (v & mask) === want;
  };
}

export function ipToBigInt(ip: string, family = isIP(ip)): bigint | null {
  if (family === 4) {
    const parts = ip.split('.').map(Number);
    return BigInt((((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0);
  }
  if (family !== 6) return null;
  let text = ip;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // IPv4-mapped tail (::ffff:1.2.3.4)
    const v4 = text.slice(lastColon + 1).split('.').map(Number);
    tail = [((v4[0]! << 8) | v4[1]!) & 0xffff, ((v4[2]! << 8) | v4[3]!) & 0xffff];
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array(8 - h.length - r.length).fill('0'), ...r];
  let v = 0n;
  const nums = groups.map((g) => parseInt(g, 16));
  if (tail.length) nums.splice(6, 2, ...tail);
  for (const g of nums) v = (v << 16n) | BigInt(g);
  return v;
}
