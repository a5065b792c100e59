/**
 * Where the console shows a risk object, and how its page asks the API for it. Risk objects come from event data,
 * so any text: `.` and `..` cannot be a path segment (a browser's URL parser removes them, `%2e` spelled or not), and
 * a long name cannot be in an address at all (past http.maxHeaderBytes, 16 KiB, the server answers 431; a reload of
 * such a page showed that JSON). Ordinary names keep the path form, so old links still open.
 */

/** Encoded names longer than this are not put in an address (a request line must fit in 16 KiB with its headers). */
export const MAX_ADDRESS_OBJECT = 2048;

/** What a link to a long name's page carries in the history entry (kept across reloads and back/forward). */
export interface RiskObjectState {
  riskObject: string;
}

export interface RiskLink {
  to: string;
  state?: RiskObjectState;
}

/** A short, stable tag for a long name: it tells history entries apart; the name itself is in the entry's state. */
export function objectRef(object: string): string {
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < object.length; i++) h = Math.imul(h ^ object.charCodeAt(i), 0x01000193) >>> 0;
  return `${object.length.toString(36)}-${h.toString(36)}`;
}

const dotted = (object: string) => object === '.' || object === '..';

/** The console address of a risk object's page (`range`: the page's time range, when not the default). */
export function riskLink(object: string, range?: string): RiskLink {
  const enc = encodeURIComponent(object);
  const r = range ? `range=${encodeURIComponent(range)}` : '';
  if (enc.length > MAX_ADDRESS_OBJECT) return { to: `/risk?ref=${objectRef(object)}${r ? `&${r}` : ''}`, state: { riskObject: object } };
  if (dotted(object)) return { to: `/risk?object=${enc}${r ? `&${r}` : ''}` };
  return { to: `/risk/${enc}${r ? `?${r}` : ''}` };
}

/**
 * The object a `/risk?…` address names: `?object=`, or the history entry's state when `?ref=` matches it; null when
 * neither (a long name's address opened in another tab, or pasted: only the tab that followed the link holds it).
 */
export function objectAt(query: URLSearchParams, state: unknown): string | null {
  const named = query.get('object');
  if (named !== null) return named;
  const held = (state as Partial<RiskObjectState> | null)?.riskObject;
  return typeof held === 'string' && query.get('ref') === objectRef(held) ? held : null;
}

/** The API request for an object's page (`suffix` '' or '/processes'; `params` the range's query). */
export function riskObjectRequest(object: string, suffix: '' | '/processes', params: string): { path: string; body?: { object: string } } {
  const enc = encodeURIComponent(object);
  if (enc.length > MAX_ADDRESS_OBJECT) return { path: `/api/risk/object${suffix}?${params}`, body: { object } };
  if (dotted(object)) return { path: `/api/risk/object${suffix}?object=${enc}&${params}` };
  return { path: `/api/risk/objects/${enc}${suffix}?${params}` };
}
