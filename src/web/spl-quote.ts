// No imports: the console (web/) bundles this file with the server's quoting rules.

/** A value quoted for SPL `field="value"` (backslashes and quotes escaped). */
export function splQuote(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The risk events of one risk object: the API's own query, and the console's link to it (any text, from event fields). */
export function riskEventsSearch(riskObject: string): string {
  return `index=risk risk_object=${splQuote(riskObject)}`;
}
