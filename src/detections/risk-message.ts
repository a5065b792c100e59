/** A `$field$` token of a risk message (`$$` is a literal dollar sign). */
export const MESSAGE_TOKEN = /\$(\$|[A-Za-z0-9_.:{}-]+)\$/g;

/** The fields a risk message refers to (`$pod_name$` → pod_name), for linting and test checks. */
export function messageTokens(template: string): string[] {
  return [...template.matchAll(MESSAGE_TOKEN)].map((m) => m[1]!).filter((t) => t !== '$');
}
