import { isIP } from 'node:net';

/**
 * Which `Host` headers the API/console port answers (`http.allowedHosts`): a defence against DNS rebinding, in
 * which a web page's own name is made to resolve to 127.0.0.1 so that the visitor's browser talks to a console
 * on their machine as that page (same-origin to it, without the console's cookie). Such a request names the
 * page's host. Always answered: a Host that is an IP address or `localhost` (`*.localhost`), and a request without
 * one (no browser sends that). Other names: those listed (`name`, `.example.com` for it and its subdomains, `*`
 * for any); with no list, any name when the server listens beyond loopback (its names are unknown), none when it
 * listens on loopback only (the default 127.0.0.1: only this machine's browser reaches it, by an address or
 * localhost).
 */
export type HostCheck = (hostHeader: string | undefined) => boolean;

export function hostCheck(listenHost: string, allowedHosts: readonly string[] | undefined): HostCheck {
  const list = allowedHosts?.map((h) => h.toLowerCase());
  const anyName = list === undefined ? !isLoopback(listenHost) : list.includes('*');
  return (header) => {
    if (header === undefined) return true;
    const name = hostName(header);
    if (name === null) return false;
    if (name === 'localhost' || name.endsWith('.localhost') || isIP(name) !== 0) return true;
    if (anyName) return true;
    return list !== undefined && list.some((h) => (h.startsWith('.') ? name === h.slice(1) || name.endsWith(h) : name === h));
  };
}

/** The host name of a Host header (lower case, without the port or the brackets of an IPv6 address), or null when it is not one. */
function hostName(header: string): string | null {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0 || !/^(:\d{1,5})?$/.test(h.slice(end + 1))) return null;
    const v6 = h.slice(1, end);
    return isIP(v6) === 6 ? v6 : null;
  }
  const m = /^([a-z0-9._-]+)(:\d{1,5})?$/.exec(h);
  if (m === null) return null;
  return (m[1] as string).replace(/\.$/, ''); // `localhost.` is localhost
}

function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}
