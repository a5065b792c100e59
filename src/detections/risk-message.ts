/**
 * A `$field$` token of a risk message, or `$$`: a literal dollar sign (Splunk's escape, as in saved searches'
 * `replace(x, ",\s$$", "")`); group 1 is the field name, undefined for `$$`.
 */
export const MESSAGE_TOKEN = /\$\$|\$([A-Za-z0-9_.:{}-]+)\$/g;

/** The fields a risk message refers to (`$pod_name$` → pod_name), for linting and test checks. */
export function messageTokens(template: string): string[] {
  return [...template.matchAll(MESSAGE_TOKEN)].flatMap((m) => (m[1] === undefined ? [] : [m[1]]));
}
